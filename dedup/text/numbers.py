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
# Arabic separator, a no-break space) or decimals (a dot, a comma, the Arabic decimal point;
# Saudi wire style writes "ر" with the fraction first: "5ر1" is 1.5). A separator followed by
# anything but a digit is none ("2024, 300" is two numbers).
_SEPARATORS = ",.\u066b\u066c\u00a0\u202f"
_RUN = re.compile(f"\\d[\\d{_SEPARATORS}\u0631]*")
_SEPARATOR = re.compile(f"[{_SEPARATORS}]")
_DECIMAL_POINTS = frozenset(",.\u066b")
_RA = "\u0631"


def numbers_in(text: str) -> frozenset[str]:
    """The distinct numbers of a text as written (not normalized), in ASCII digits (Arabic-Indic,
    Persian and full-width ones too)."""
    found: set[str] = set()
    for run in set(_RUN.findall(text)):
        if run.isdigit():  # most runs: one plain number
            found.add(_integer(run))
        else:
            found.update(_numbers_of_run(run.rstrip(_SEPARATORS + _RA)))
    return frozenset(found)


def _numbers_of_run(run: str) -> list[str]:
    if _RA in run:
        pieces = run.split(_RA)
        if len(pieces) == 2 and pieces[0].isdigit() and pieces[1].isdigit():
            run = f"{pieces[1]}.{pieces[0]}"
        else:
            return [number for piece in pieces if piece for number in _numbers_of_run(piece)]
    parts = _SEPARATOR.split(run)
    if len(parts) == 1:
        return [_integer(run)]
    if "" in parts:  # separators side by side ("1,,2"): each number alone
        return [_integer(part) for part in parts if part]
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
