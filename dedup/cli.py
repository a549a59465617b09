"""The ``dedup`` command: a thin layer that turns options into configs and calls the library."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from dedup.clean import clean as clean_corpus
from dedup.config import ReadConfig, RepeatConfig, ScanConfig
from dedup.corpus import scan as scan_corpus
from dedup.errors import DedupError
from dedup.model import Report
from dedup.report import REPORT_FORMATS, render_summary, write_report

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FINDINGS = 1
EXIT_ERROR = 2


def read_options(command: F) -> F:
    """Options that say how to read the inputs (shared by every command that reads)."""
    options = [
        click.option(
            "--text-field",
            default="text",
            show_default=True,
            help="Field (JSON) or column (CSV/Parquet) holding the text.",
        ),
        click.option(
            "--id-field",
            default="id",
            show_default=True,
            help="Field holding the document id; FILE:LINE where it is missing.",
        ),
        click.option("--source-field", default=None, help="Field naming the outlet (source)."),
        click.option("--date-field", default=None, help="Field holding the publication date."),
        click.option("--title-field", default=None, help="Field holding the title."),
        click.option("--url-field", default=None, help="Field holding the URL."),
        click.option(
            "--glob",
            default="*.txt",
            show_default=True,
            help="Files to read inside folder inputs (searched recursively).",
        ),
        click.option(
            "--skip-bad",
            is_flag=True,
            help="Skip and count bad records instead of stopping at the first.",
        ),
        click.option(
            "--max-doc-bytes",
            type=int,
            default=10_000_000,
            show_default=True,
            help="Largest document accepted.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def repeat_options(command: F) -> F:
    """Options of the repeated-paragraph finder."""
    defaults = RepeatConfig()
    options = [
        click.option(
            "--min-tokens",
            type=int,
            default=defaults.min_tokens,
            show_default=True,
            help="Shortest paragraph (in words) compared on its own.",
        ),
        click.option(
            "--min-similarity",
            type=float,
            default=defaults.min_similarity,
            show_default=True,
            help="Similarity (0-100) of a lightly edited repeat.",
        ),
        click.option(
            "--min-containment",
            type=float,
            default=defaults.min_containment,
            show_default=True,
            help="Share of a paragraph found inside another.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _scan_config(options: dict[str, Any]) -> ScanConfig:
    read = ReadConfig(
        text_field=options["text_field"],
        id_field=options["id_field"],
        source_field=options["source_field"],
        date_field=options["date_field"],
        title_field=options["title_field"],
        url_field=options["url_field"],
        glob=options["glob"],
        skip_bad=options["skip_bad"],
        max_doc_bytes=options["max_doc_bytes"],
    )
    repeats = RepeatConfig(
        min_tokens=options["min_tokens"],
        min_similarity=options["min_similarity"],
        min_containment=options["min_containment"],
    )
    return ScanConfig(read=read, repeats=repeats)


class _Group(click.Group):
    """Turns library errors into one line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DedupError as error:
            click.echo(f"dedup: error: {error}", err=True)
            ctx.exit(EXIT_ERROR)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(EXIT_ERROR)
        except OSError as error:  # an output that cannot be written; readers raise InputError
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"dedup: error: {where}{error.strerror or error}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("dedup: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dedup")
def cli() -> None:
    """Find and remove duplicate text: repeated paragraphs inside documents and copies across
    documents.

    Exit codes: 0 ok, 1 findings above a --fail-on limit, 2 usage, input or configuration error.
    """


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@read_options
@repeat_options
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="PATH",
    help=f"Write the findings to PATH; format by extension ({', '.join(REPORT_FORMATS)}). "
    "Repeatable.",
)
@click.option(
    "--fail-on-repeats",
    type=int,
    default=None,
    metavar="N",
    help="Exit 1 when more than N repeated paragraphs are found.",
)
@click.option(
    "--examples",
    type=int,
    default=5,
    show_default=True,
    help="How many findings the summary shows.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Print nothing; rely on the exit code and reports."
)
def scan(
    inputs: tuple[str, ...],
    reports: tuple[str, ...],
    fail_on_repeats: int | None,
    examples: int,
    quiet: bool,
    **options: Any,
) -> None:
    """Find repeated paragraphs in INPUT... (files, folders, or - for JSONL on stdin).

    \b
    Example:
      dedup scan articles.jsonl.gz --report findings.jsonl --fail-on-repeats 0
    """
    report = scan_corpus(inputs, _scan_config(options))
    for path in reports:
        write_report(report, path)
    if not quiet:
        click.echo(render_summary(report, examples), nl=False)
    _exit_for_limits(report, fail_on_repeats)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="OUTPUT",
    help="Cleaned corpus: a file for one input file, else a folder mirroring the inputs.",
)
@click.option(
    "--removed",
    default=None,
    metavar="PATH",
    help="Write a JSONL audit of every removal, its reason and what it duplicated.",
)
@read_options
@repeat_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
def clean(
    inputs: tuple[str, ...], output: str, removed: str | None, quiet: bool, **options: Any
) -> None:
    """Write INPUT... to OUTPUT without repeated paragraphs, in the input's own format.

    \b
    Example:
      dedup clean articles.jsonl -o clean.jsonl --removed removed.jsonl
    """
    result = clean_corpus(inputs, output, _scan_config(options), removed)
    if not quiet:
        click.echo(
            f"wrote {result.documents_written} documents to {output}: "
            f"removed {result.paragraphs_removed} repeated paragraphs "
            f"({result.bytes_removed:,} bytes)"
            + (f"; skipped {result.report.skipped} bad records" if result.report.skipped else "")
        )


def _exit_for_limits(report: Report, fail_on_repeats: int | None) -> None:
    if fail_on_repeats is not None and len(report.repeats) > fail_on_repeats:
        click.echo(
            f"dedup: {len(report.repeats)} repeated paragraphs, over the limit of "
            f"{fail_on_repeats} (--fail-on-repeats)",
            err=True,
        )
        sys.exit(EXIT_FINDINGS)


def main() -> None:
    """Entry point of the ``dedup`` console script and ``python -m dedup``."""
    cli(prog_name="dedup")
