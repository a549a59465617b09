"""Excerpts end where a character ends, as the reader sees it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.text.graphemes import grapheme_prefix


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("cafe\u0301 noir", 4, "caf"),  # e and its accent stay together
        ("قَالَ الوزير", 4, "قَا"),  # a letter and its haraka
        ("กรุงเทพ", 3, "กรุ"),  # Thai vowel below its consonant: 3 code points, one kept whole
        ("กรุงเทพ", 2, "ก"),
        ("\u1112\u116c\u110b\u1174", 3, "\u1112\u116c"),  # decomposed Korean: whole syllables
        ("x\U0001f468\u200d\U0001f469\u200d\U0001f467y", 3, "x"),  # a family emoji, joined
        ("a\U0001f1f8\U0001f1e6\U0001f1ef\U0001f1f5", 4, "a\U0001f1f8\U0001f1e6"),  # two flags
        ("\u2764\ufe0f ok", 1, ""),  # a heart and its emoji variation selector
        ("\U0001f44d\U0001f3fd", 1, ""),  # a thumb and its skin tone
        ("plain text", 5, "plain"),
        ("short", 10, "short"),
    ],
)
def test_a_cut_never_splits_a_character(text: str, limit: int, expected: str) -> None:
    assert grapheme_prefix(text, limit) == expected


@given(st.text(), st.integers(min_value=0, max_value=40))
def test_the_cut_is_a_prefix_within_the_limit_not_ending_inside_a_cluster(
    text: str, limit: int
) -> None:
    cut = grapheme_prefix(text, limit)
    assert text.startswith(cut)
    assert len(cut) <= limit
    if len(cut) < len(text):
        following = text[len(cut)]
        assert unicodedata.category(following) not in ("Mn", "Mc", "Me")
        assert following != "\u200d" and not cut.endswith("\u200d")
