"""The numbers of a text: its runs of digits (figures, dates, the digits of codes like "b12"),
a figure written with separators of thousands ("4,310", "1.500.000", "١٬٥٠٠") read as one.

A changed figure changes what a text says ("vitamin b12" and "vitamin b2", "5 years" and
"15 years", Monday's case count and Tuesday's) while it changes few of its words, too few for
word overlap to notice: matching compares the numbers on their own where they decide. Runs of
digits, not tokens: Arabic glues "و" (and) or a unit to a figure ("و9", "140م"), and one copy
writes a date "15/10/1436ه" where another writes "١٤٣٦/١٠/١٥هـ". Read from the text as written:
normalization turns "1,500" into "1 500", which "2024, 300" becomes too.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["numbers_in"]

# A separator of thousands: a comma, a dot, the Arabic one, or a no-break space, alone between
# digits and followed by exactly three ("2024, 300" is two numbers).
_NUMBER = re.compile(r"\d+(?:[,.\u066c\u00a0\u202f]\d{3}(?!\d))*")
_NOT_DIGIT = re.compile(r"\D")


def numbers_in(text: str) -> frozenset[str]:
    """The distinct numbers of a text as written (not normalized), in ASCII digits (Arabic-Indic,
    Persian and full-width ones too)."""
    return frozenset(_ascii(_NOT_DIGIT.sub("", run)) for run in _NUMBER.findall(text))


def _ascii(digits: str) -> str:
    return digits if digits.isascii() else "".join(str(unicodedata.digit(d)) for d in digits)
