"""The errors dedup raises.

DedupError                 every error a user can cause; the CLI prints it in one line, exit 2
├── InputError             unreadable or malformed input; names the file and, where known, the line
├── ConfigError            an invalid setting; says which and how to fix it
├── BackendError           an index backend failed (a database or server)
└── SpillError             temporary files could not be written (a full or too small disk)
"""

from __future__ import annotations

import os

__all__ = ["BackendError", "ConfigError", "DedupError", "InputError", "SpillError", "printable"]


def printable(path: str) -> str:
    """A file name as text: bytes of a name that are not UTF-8 (Python keeps them as lone
    surrogates, which no report, terminal or JSON can hold) written as ``\\xe9``."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


class DedupError(Exception):
    """Base of every error caused by input, settings or environment rather than a bug."""


class InputError(DedupError):
    """An input file could not be read or a record in it is malformed."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = None if path is None else printable(path)
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if self.path is not None and self.line is not None:
            where = f"{self.path}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class ConfigError(DedupError):
    """A setting is out of range or inconsistent with another."""


class BackendError(DedupError):
    """An index backend (SQLite, Redis) failed or holds data in an unknown format."""


class SpillError(DedupError):
    """A scan's temporary files (texts and band keys it reads back later) could not be written."""
