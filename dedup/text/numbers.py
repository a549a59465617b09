"""The numbers of a text: its figures (runs of digits, the digits of codes like "b12" and of
dates), read as written: a figure with separators of thousands ("4,310", "1.500.000", "١٬٥٠٠")
is one number, and so is a decimal ("7640.33", "3,5", "٣٫٥", "5ر1").

A changed figure changes what a text says ("vitamin b12" and "vitamin b2", "5 years" and
"15 years", Monday's closing prices and Tuesday's) while it changes few of its words, too few
for word overlap to notice: matching compares the numbers on their own where they decide. Runs
of digits, not tokens: Arabic glues "و" (and) or a unit to a figure ("و9", "140م"), and one copy
writes a date "15/10/1436ه" where another writes "١٤٣٦/١٠/١٥هـ". Read from the text as written:
normalization turns "1,500" into "1 500", which "2024, 300" becomes too. Leading zeros and a
decimal's trailing ones say nothing ("05/09" is "5/9", "82.10" is "82.1").
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["numbers_in"]

# Digits joined by separators that may stand inside one number: thousands (a comma, a dot, the
# Arabic separator, a no-break space) or decimals (a dot, a comma, the Arabic decimal point).
# A separator followed by a space is none ("2024, 300" is two numbers).
_RUN = re.compile(r"\d+(?:[,.\u066b\u066c\u00a0\u202f]\d+)*")
_SEPARATOR = re.compile(r"[,.\u066b\u066c\u00a0\u202f]")
_DECIMAL_POINTS = frozenset(",.\u066b")


# Saudi wire style writes a decimal with "ر" and its fraction first: "5ر1" is 1.5.
_RA_DECIMAL = re.compile(r"(\d+)\u0631(\d+)")


def numbers_in(text: str) -> frozenset[str]:
    """The distinct numbers of a text as written (not normalized), in ASCII digits (Arabic-Indic,
    Persian and full-width ones too)."""
    found: set[str] = set()
    if "\u0631" in text:
        text = _RA_DECIMAL.sub(lambda m: f"{m[2]}.{m[1]}", text)
    for run in _RUN.findall(text):
        found.update(_numbers_of_run(run))
    return frozenset(found)


def _numbers_of_run(run: str) -> list[str]:
    parts = _SEPARATOR.split(run)
    if len(parts) == 1:
        return [_integer(run)]
    separators = _SEPARATOR.findall(run)
    if all(len(part) == 3 for part in parts[1:]):  # 1,500,000
        return [_integer("".join(parts))]
    last = separators[-1]
    whole = parts[:-1]
    if (
        last in _DECIMAL_POINTS
        and all(len(part) == 3 for part in whole[1:])
        and last not in separators[:-1]
    ):  # 3.5, 7640.33, 1,500.25
        fraction = _ascii(parts[-1]).rstrip("0")
        integer = _integer("".join(whole))
        return [f"{integer}.{fraction}" if fraction else integer]
    return [_integer(part) for part in parts]  # a date 15.10.2015, a list 1,2,3


def _integer(digits: str) -> str:
    return _ascii(digits).lstrip("0") or "0"


def _ascii(digits: str) -> str:
    return digits if digits.isascii() else "".join(str(unicodedata.digit(d)) for d in digits)
