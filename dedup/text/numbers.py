"""The numbers of a text: its runs of digits (figures, dates, the digits of codes like "b12").

A changed figure changes what a text says ("vitamin b12" and "vitamin b2", "5 years" and
"15 years", Monday's case count and Tuesday's) while it changes few of its words, too few for
word overlap to notice: matching compares the numbers on their own where they decide. Runs of
digits, not tokens: Arabic glues "و" (and) or a unit to a figure ("و9", "140م"), and one copy
writes a date "15/10/1436ه" where another writes "١٤٣٦/١٠/١٥هـ".
"""

from __future__ import annotations

import re

__all__ = ["numbers_in"]

_DIGITS = re.compile(r"\d+")


def numbers_in(normalized: str) -> frozenset[str]:
    """The distinct runs of digits (of any script) in a normalized text."""
    return frozenset(_DIGITS.findall(normalized))
