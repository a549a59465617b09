"""Fixtures shared by the tests: the real data folder, a CLI runner, a scratch working folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dedup.cli import cli

REPO = Path(__file__).resolve().parent.parent

Invoke = Callable[..., Result]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository: real, third-party text (not in the repo)."""
    path = (REPO / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"real data not found: {path} is absent (it lives beside the repository)")
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder made the working directory, so that messages name short paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def invoke() -> Invoke:
    """Run ``dedup ARGS...`` in-process; an unexpected exception fails the test with its trace."""

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), input=input, catch_exceptions=False, prog_name="dedup"
        )

    return run
