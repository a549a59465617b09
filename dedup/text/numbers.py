"""The numbers of a text: its runs of digits (figures, dates, the digits of codes like "b12"),
a run of thousands ("4,310", "1.500.000", "12 345": "4 310" once normalized) read as one.

A changed figure changes what a text says ("vitamin b12" and "vitamin b2", "5 years" and
"15 years", Monday's case count and Tuesday's) while it changes few of its words, too few for
word overlap to notice: matching compares the numbers on their own where they decide. Runs of
digits, not tokens: Arabic glues "و" (and) or a unit to a figure ("و9", "140م"), and one copy
writes a date "15/10/1436ه" where another writes "١٤٣٦/١٠/١٥هـ".
"""

from __future__ import annotations

import re

__all__ = ["numbers_in"]

# Normalization turns the separators of thousands into spaces: "1,500" and "1500" are one figure.
_DIGITS = re.compile(r"\d+(?: \d{3}(?!\d))*")


def numbers_in(normalized: str) -> frozenset[str]:
    """The distinct numbers (runs of digits of any script, with their groups of thousands) in a
    normalized text."""
    return frozenset(run.replace(" ", "") for run in _DIGITS.findall(normalized))
