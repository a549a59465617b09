"""The numbers of a text: its tokens holding a digit (figures, dates, codes such as "b12").

A changed figure changes what a text says ("vitamin b12" and "vitamin b2", "5 years" and
"15 years", Monday's case count and Tuesday's) while it changes few of its words, too few for
word overlap to notice: matching compares the numbers on their own where they decide.
"""

from __future__ import annotations

import re

from dedup.text.normalize import tokenize

__all__ = ["numbers_in"]

_DIGIT = re.compile(r"\d")


def numbers_in(normalized: str) -> frozenset[str]:
    """The distinct tokens of a normalized text that hold a digit (of any script)."""
    if not _DIGIT.search(normalized):
        return frozenset()
    return frozenset(token for token in tokenize(normalized) if _DIGIT.search(token))
