"""Long documents: profiles, batches and report texts stay within their memory budgets, and
the findings do not change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import ScanConfig, scan_documents
from dedup.digest import _batches
from dedup.model import Document
from dedup.profile_cache import ProfileCache, runs_within
from dedup.verify import profile, profiles_of
from tests.test_copies import _corpus


def test_cache_drops_the_least_recently_used_beyond_its_entries() -> None:
    cache: ProfileCache[str] = ProfileCache(entries=2, chars=10**6)
    for key in "abc":
        cache.put(key, profile(f"text of {key} here"))
    assert "a" not in cache and len(cache) == 2
    assert cache.get("b") is not None  # b is now the most recently used
    cache.put("d", profile("text of d here"))
    assert "c" not in cache and {"b", "d"} == {k for k in "abcd" if k in cache}


def test_cache_drops_profiles_beyond_its_characters_but_keeps_the_latest() -> None:
    cache: ProfileCache[int] = ProfileCache(entries=100, chars=25)
    cache.put(1, profile("a" * 10))
    cache.put(2, profile("b" * 10))
    assert cache.held_chars == 20
    cache.put(3, profile("c" * 10))
    assert 1 not in cache and cache.held_chars == 20
    cache.put(2, profile("b" * 12))  # replaced: its old text no longer counts
    assert cache.held_chars == 22
    cache.put(4, profile("d" * 100))  # over the budget alone: kept, the others go
    assert [k for k in (1, 2, 3, 4) if k in cache] == [4] and cache.held_chars == 100


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=30),
    st.lists(st.integers(0, 20), min_size=10, max_size=10),
    st.integers(0, 60),
)
def test_runs_within_cut_the_items_in_order_into_runs_that_fit(
    pairs: list[tuple[int, int]], lengths: list[int], chars: int
) -> None:
    runs = list(runs_within(pairs, lambda pair: pair, lengths.__getitem__, chars))
    assert [pair for run in runs for pair in run] == pairs
    for k, run in enumerate(runs):
        held = sum(lengths[key] for key in {key for pair in run for key in pair})
        # Over the budget only when the first item alone is, and nothing else adds a key.
        first = set(run[0])
        assert run and (held <= chars or {key for pair in run for key in pair} == first)
        if k + 1 < len(runs):  # cut only where the next item would not fit
            keys = {key for pair in run for key in pair}
            more = keys | set(runs[k + 1][0])
            assert more != keys and sum(lengths[key] for key in more) > chars


def test_batches_are_cut_by_characters_as_well_as_by_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dedup.digest.BATCH_CHARS", 25)
    documents = [Document(str(k), "x" * length) for k, length in enumerate([10, 10, 10, 30, 1])]
    assert [[d.id for d in batch] for batch in _batches(documents)] == [
        ["0", "1", "2"],
        ["3"],
        ["4"],
    ]


def test_small_budgets_change_nothing_but_the_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    default = scan_documents(_corpus(), ScanConfig(), workers=2)
    # A few documents a batch, a profile or two in each cache, prefetches of a pair or two.
    monkeypatch.setattr("dedup.digest.BATCH_CHARS", 3000)
    monkeypatch.setattr("dedup.profile_cache.PROFILE_CHARS", 2000)
    monkeypatch.setattr("dedup.corpus._PAIRS_PER_TASK", 4)
    small = scan_documents(_corpus(), ScanConfig(), workers=2)
    assert default.matches and default.clusters
    for findings in ("repeats", "matches", "clusters"):
        left, right = getattr(default, findings), getattr(small, findings)
        assert [f.to_dict() for f in left] == [f.to_dict() for f in right]
    assert small.texts == default.texts


def test_a_report_keeps_texts_up_to_its_characters() -> None:
    everything = scan_documents(_corpus(), ScanConfig(), workers=1)
    some = scan_documents(_corpus(), ScanConfig(report_chars=1500), workers=1)
    # Largest cluster first: s1 (705 characters), s1-copy (614), and s1-trimmed (347), which
    # crossed 1,500; then no more.
    assert [(doc, len(text)) for doc, text in some.texts.items()] == [
        ("s1", 705),
        ("s1-copy", 614),
        ("s1-trimmed", 347),
    ]
    assert len(everything.texts) == 6
    assert all(some.texts[doc] == everything.texts[doc] for doc in some.texts)
    assert [m.to_dict() for m in some.matches] == [m.to_dict() for m in everything.matches]


def test_a_long_text_is_profiled_apart_from_short_ones() -> None:
    # A short profile's arrays are views into its batch: they must not hold the long text's.
    texts = ["the long one " * 10_000, "a short text of a few words", "another short text here"]
    long_one, short, other = profiles_of(texts)
    for found in (short, other):
        for array in (found.shingles.hashes, found.shingles.tokens, found.token_set):
            base = array.base if array.base is not None else array
            assert base.nbytes < 1_000
    assert long_one.shingles.hashes.nbytes > 100_000
    assert [p.shingle_set.tolist() for p in (long_one, short, other)] == [
        profile(text).shingle_set.tolist() for text in texts
    ]
