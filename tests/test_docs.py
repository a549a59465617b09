"""The README documents every command and the report schema the code writes."""

from __future__ import annotations

from pathlib import Path

from dedup.cli import cli
from dedup.report.files import CSV_COLUMNS

README = (Path(__file__).parents[1] / "README.md").read_text("utf-8")


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name in cli.commands if f"dedup {name}" not in README]
    assert missing == []


def test_the_readme_names_every_csv_column() -> None:
    assert f"`{', '.join(CSV_COLUMNS)}`" in " ".join(README.split())


def test_quickstart_opens_the_readme() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert quickstart.strip().splitlines() == [
        "pip install . && dedup scan examples/news.jsonl --source-field source --date-field date",
        "pip install -e '.[test]' && python -m pytest",
    ]


def test_quickstart_prints_what_the_readme_shows() -> None:
    from click.testing import CliRunner

    shown = README.split("it prints:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    sample = str(Path(__file__).parents[1] / "examples" / "news.jsonl")
    result = CliRunner().invoke(
        cli, ["scan", sample, "--source-field", "source", "--date-field", "date"]
    )
    assert (result.exit_code, result.output) == (0, shown)


def test_every_option_is_in_the_readme() -> None:
    import click

    def options(command: click.Command, name: str) -> list[tuple[str, str]]:
        if isinstance(command, click.Group):
            return [o for sub, c in command.commands.items() for o in options(c, f"{name} {sub}")]
        return [
            (name, flag)
            for param in command.params
            if isinstance(param, click.Option)
            for flag in param.opts + param.secondary_opts
            if flag.startswith("--") and flag != "--help"
        ]

    assert [(name, flag) for name, flag in options(cli, "dedup") if flag not in README] == []
