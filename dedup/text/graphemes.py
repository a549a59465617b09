"""Cutting text for display without splitting a character as the reader sees it.

An excerpt cut by code point can end between a letter and its combining mark (Arabic harakat,
Thai vowel and tone marks, a decomposed Korean syllable's jamo), inside an emoji joined by
zero-width joiners, or between the two halves of a flag. :func:`grapheme_prefix` backs off to
the start of such a cluster. It is no full implementation of Unicode's segmentation rules, only
of the cases that scraped news text holds.
"""

from __future__ import annotations

import unicodedata

__all__ = ["grapheme_prefix"]

_ZWJ = "\u200d"


def grapheme_prefix(text: str, limit: int) -> str:
    """At most ``limit`` code points of ``text``, ending where a character (a grapheme
    cluster, in the common cases) ends."""
    if len(text) <= limit:
        return text
    end = max(limit, 0)
    while end > 0 and _continues(text, end):
        end -= 1
    return text[:end]


def _continues(text: str, i: int) -> bool:
    """Whether ``text[i]`` belongs to the character that ``text[i - 1]`` is part of."""
    char, previous = text[i], text[i - 1]
    if previous == _ZWJ or char == _ZWJ:
        return True
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):  # variation selectors are Mn too
        return True
    code = ord(char)
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:  # skin tones, flag tags
        return True
    if 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF:  # a syllable's vowel and final
        return True
    if _regional(char) and _regional(previous):  # a flag is two regional indicators
        run = 0
        while i - run - 1 >= 0 and _regional(text[i - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
