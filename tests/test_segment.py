"""Paragraph segmentation: spans into the original text, checked against a slow reference."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Paragraph, paragraphs

_BREAK = re.compile("(\r\n|\n|\r|\u2028|\u2029)")


def reference(text: str) -> list[str]:
    """Paragraph texts, the obvious way: lines, grouped by blank lines if any, else one by one.

    A line ends at "\n", "\r\n", a lone "\r", U+2028 or U+2029. A blank line is a
    whitespace-only line with a line break on both sides.
    """
    parts = _BREAK.split(text)
    lines, breaks = parts[0::2], [*parts[1::2], ""]
    blank = [not line.strip() for line in lines]
    if not any(blank[1:-1]):
        return [line.strip() for line in lines if line.strip()]
    found: list[str] = []
    group: list[int] = []
    for number, is_blank in enumerate(blank):
        if is_blank:
            if group:
                found.append(_joined(lines, breaks, group))
            group = []
        else:
            group.append(number)
    if group:
        found.append(_joined(lines, breaks, group))
    return found


def _joined(lines: list[str], breaks: list[str], group: list[int]) -> str:
    """Lines ``group`` (consecutive) with the breaks between them, as the text has them."""
    return "".join(lines[n] + (breaks[n] if n != group[-1] else "") for n in group).strip()


texts = st.text(
    alphabet=st.sampled_from(list("ab ج中\n\n\n\t\r\r\u00a0\u2028\u2029.")), max_size=80
)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_spans_map_back_into_the_text(text: str) -> None:
    found = paragraphs(text)
    assert [p.index for p in found] == list(range(len(found)))
    previous_end = 0
    for p in found:
        piece = text[p.start : p.end]
        assert piece
        assert piece == piece.strip()
        assert previous_end <= p.start < p.end <= len(text)
        assert not text[previous_end : p.start].strip()  # only white space between paragraphs
        previous_end = p.end
    assert not text[previous_end:].strip()


@settings(max_examples=500, deadline=None)
@given(texts)
def test_agrees_with_the_reference(text: str) -> None:
    assert [text[p.start : p.end] for p in paragraphs(text)] == reference(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc جد", min_size=1).map(str.strip).filter(bool), max_size=6))
def test_blank_line_separated_blocks_come_back_whole(blocks: list[str]) -> None:
    text = "\n\n".join(blocks)
    assert [text[p.start : p.end] for p in paragraphs(text)] == blocks


def test_blank_lines_separate_paragraphs_and_single_newlines_stay_inside() -> None:
    text = "Title\n\nline one\nline two\n\n\n  last  \n"
    assert paragraphs(text) == [Paragraph(0, 0, 5), Paragraph(1, 7, 24), Paragraph(2, 29, 33)]
    assert [text[p.start : p.end] for p in paragraphs(text)] == [
        "Title",
        "line one\nline two",
        "last",
    ]


def test_single_newlines_separate_only_when_there_is_no_blank_line() -> None:
    text = "first\nsecond\n  third\n"
    assert [text[p.start : p.end] for p in paragraphs(text)] == ["first", "second", "third"]
    assert paragraphs(text)[2] == Paragraph(2, 15, 20)


def test_whitespace_only_line_counts_as_blank() -> None:
    text = "one\n \t \ntwo\nthree"
    assert [text[p.start : p.end] for p in paragraphs(text)] == ["one", "two\nthree"]


def test_windows_line_endings() -> None:
    text = "one\r\n\r\ntwo\r\nthree\r\n"
    assert [text[p.start : p.end] for p in paragraphs(text)] == ["one", "two\r\nthree"]


def test_old_mac_line_endings_and_unicode_separators() -> None:
    text = "one\r\rtwo\rthree\r"
    assert [text[p.start : p.end] for p in paragraphs(text)] == ["one", "two\rthree"]
    text = "one\u2029two\u2029three"
    assert [text[p.start : p.end] for p in paragraphs(text)] == ["one", "two", "three"]


def test_empty_and_blank_texts_have_no_paragraphs() -> None:
    assert paragraphs("") == []
    assert paragraphs(" \n\n\t\n") == []


def test_arabic_text_spans() -> None:
    text = "العنوان\n\nالفقرة الأولى\n\nالفقرة الثانية"
    assert [(p.start, p.end) for p in paragraphs(text)] == [(0, 7), (9, 22), (24, 38)]


_LINE_END = "(?:\n|\r(?!\n)|[\u2028\u2029])"
_BLANK_LINE = re.compile(f"{_LINE_END}(?:(?!{_LINE_END})\\s)*{_LINE_END}\\s*")
_NEWLINE = re.compile(f"{_LINE_END}\\s*")


def _reference_spans(text: str) -> list[tuple[int, int]]:
    """The definition, spelled with regular expressions."""
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else _NEWLINE
    spans, start = [], 0
    for match in [*separator.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            first = start + len(piece) - len(piece.lstrip())
            spans.append((first, first + len(stripped)))
        if match:
            start = match.end()
    return spans


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            ["a", "ب", " ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2029", "x"]
        )
    )
)
def test_compiled_spans_equal_the_regex_definition(text: str) -> None:
    assert [(p.start, p.end) for p in paragraphs(text)] == _reference_spans(text)
