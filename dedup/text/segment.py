"""Split a document into paragraphs, keeping character spans into the original text.

Paragraphs are the blocks between blank lines (a line holding only white space counts as blank);
a document without any blank line is split at every line break instead. A line ends at "\n",
"\r\n", a lone "\r" or a Unicode line or paragraph separator. Each span excludes the
paragraph's surrounding white space, and empty blocks are skipped, so indices count only
paragraphs with text. A compiled scan over code points does the work (white space as Python's
``str.isspace``).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from dedup.model import Paragraph

__all__ = ["paragraph_spans", "paragraphs"]


@numba.njit(cache=True, nogil=True)
def _is_space(c: Any) -> bool:
    return bool(
        c == 0x20
        or 0x09 <= c <= 0x0D
        or 0x1C <= c <= 0x1F
        or (
            c >= 0x85
            and (
                c == 0x85
                or c == 0xA0
                or c == 0x1680
                or 0x2000 <= c <= 0x200A
                or c == 0x2028
                or c == 0x2029
                or c == 0x202F
                or c == 0x205F
                or c == 0x3000
            )
        )
    )


@numba.njit(cache=True, nogil=True)
def _is_break(codepoints: npt.NDArray[np.uint32], i: int) -> bool:
    """Whether a line ends at ``i``: "\n", a "\r" alone (old Mac files; in "\r\n" the
    "\n" ends it), or a Unicode line or paragraph separator."""
    c = codepoints[i]
    if 13 < c < 0x2028 or c > 0x2029:  # nearly every character: one test
        return False
    if c == 13:
        return bool(i + 1 == codepoints.shape[0] or codepoints[i + 1] != 10)
    return bool(c == 10 or c >= 0x2028)


@numba.njit(cache=True, nogil=True)
def _blank_line_end(codepoints: npt.NDArray[np.uint32], newline: int) -> int:
    """Where a blank line starting at ``newline`` ends (after its second line break), or -1."""
    size = codepoints.shape[0]
    j = newline + 1
    while j < size and not _is_break(codepoints, j) and _is_space(codepoints[j]):
        j += 1
    return j + 1 if j < size and _is_break(codepoints, j) else -1


@numba.njit(cache=True, nogil=True)
def _spans_kernel(codepoints: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    size = codepoints.shape[0]
    by_blank_lines = False
    for i in range(size):
        if _is_break(codepoints, i) and _blank_line_end(codepoints, i) >= 0:
            by_blank_lines = True
            break
    spans = np.empty((size // 2 + 2, 2), dtype=np.int64)
    count = 0
    start = 0
    i = 0
    while i <= size:
        at_end = i == size
        cut = at_end
        resume = size
        if not at_end and _is_break(codepoints, i):
            if by_blank_lines:
                after = _blank_line_end(codepoints, i)
                if after >= 0:
                    cut, resume = True, after
            else:
                cut, resume = True, i + 1
        if not cut:
            i += 1
            continue
        while resume < size and _is_space(codepoints[resume]):
            resume += 1
        first, last = start, i
        while first < last and _is_space(codepoints[first]):
            first += 1
        while last > first and _is_space(codepoints[last - 1]):
            last -= 1
        if last > first:
            spans[count, 0] = first
            spans[count, 1] = last
            count += 1
        if at_end:
            break
        start = resume
        i = resume
    return spans[:count]


def paragraph_spans(codepoints: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """``[start, end)`` rows of the paragraphs of a text given as UTF-32 code points."""
    return _spans_kernel(codepoints)


def paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs of ``text`` (see the module docstring)."""
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return [
        Paragraph(index, start, end)
        for index, (start, end) in enumerate(_spans_kernel(codepoints).tolist())
    ]
