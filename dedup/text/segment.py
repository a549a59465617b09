"""Split a document into paragraphs, keeping character spans into the original text."""

from __future__ import annotations

import re

from dedup.model import Paragraph

__all__ = ["paragraphs"]

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_NEWLINE = re.compile(r"\n\s*")


def paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs of ``text``: blocks between blank lines, or lines when there is no blank line.

    Each paragraph's span excludes its surrounding white space; empty blocks are skipped, so
    indices count only paragraphs with text.
    """
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else _NEWLINE
    found: list[Paragraph] = []
    start = 0
    for match in separator.finditer(text):
        _append(found, text, start, match.start())
        start = match.end()
    _append(found, text, start, len(text))
    return found


def _append(found: list[Paragraph], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        found.append(Paragraph(len(found), start, end))
