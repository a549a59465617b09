"""Index postings: segments round-trip, and the search equals a brute-force join."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import BackendError
from dedup.index.postings import PostingSearch, Segment

BANDS, PASSAGE_BANDS = 3, 2
# Few distinct key values, so that keys collide often, across bands too.
keys_st = st.integers(min_value=0, max_value=5)


def _matrix(draw: st.DrawFn, rows: int, width: int) -> np.ndarray:
    values = draw(st.lists(keys_st, min_size=rows * width, max_size=rows * width))
    return np.array(values, dtype=np.uint64).reshape(rows, width)


@st.composite
def segments_st(draw: st.DrawFn, first_number: int) -> Segment:
    documents = draw(st.integers(0, 4))
    numbers = np.arange(first_number, first_number + documents, dtype=np.int64)
    per_document = draw(st.lists(st.integers(0, 3), min_size=documents, max_size=documents))
    return Segment.build(
        numbers,
        _matrix(draw, documents, BANDS),
        np.repeat(numbers, per_document).astype(np.int64),
        _matrix(draw, sum(per_document), PASSAGE_BANDS),
    )


@st.composite
def query_st(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = draw(st.integers(1, 4))
    passages = draw(st.integers(0, 5))
    passage_owners = np.array(
        draw(st.lists(st.integers(0, rows - 1), min_size=passages, max_size=passages)),
        dtype=np.int64,
    )
    return _matrix(draw, rows, BANDS), _matrix(draw, passages, PASSAGE_BANDS), passage_owners


def brute_force(
    query: tuple[np.ndarray, np.ndarray, np.ndarray], segments: list[Segment], cap: int | None
) -> set[tuple[int, int]]:
    keys, passage_keys, passage_owners = query
    found = set()
    for segment in segments:
        for number, stored in zip(segment.numbers, segment.keys, strict=True):
            for row, asked in enumerate(keys):
                if asked.any() and (asked == stored).any():
                    found.add((row, int(number)))
    holders: dict[tuple[int, int], set[int]] = {}
    for segment in segments:
        for number, stored in zip(segment.passage_numbers, segment.passage_keys, strict=True):
            for band, key in enumerate(stored):
                holders.setdefault((band, int(key)), set()).add(int(number))
    for row, asked in zip(passage_owners, passage_keys, strict=True):
        for band, key in enumerate(asked):
            numbers = holders.get((band, int(key)), set())
            if cap is None or len(numbers) <= cap:
                found.update((int(row), n) for n in numbers)
    return found


@settings(max_examples=200, deadline=None)
@given(
    query=query_st(),
    first=segments_st(first_number=1),
    second=segments_st(first_number=10),
    cap=st.one_of(st.none(), st.integers(0, 3)),
)
def test_search_equals_a_brute_force_join(
    query: tuple[np.ndarray, np.ndarray, np.ndarray],
    first: Segment,
    second: Segment,
    cap: int | None,
) -> None:
    search = PostingSearch(*query, max_passage_bucket=cap)
    for segment in (first, second):
        search.feed(Segment.decode(segment.encode(), "test"))
    pairs = search.pairs()
    assert {(int(r), int(n)) for r, n in pairs} == brute_force(query, [first, second], cap)
    assert len(pairs) == len({tuple(p) for p in pairs.tolist()})  # unique


def test_a_segment_round_trips_and_drops_documents() -> None:
    numbers = np.array([4, 5, 6], dtype=np.int64)
    keys = np.array([[1, 2, 3], [0, 0, 0], [7, 8, 9]], dtype=np.uint64)  # document 5 is empty
    segment = Segment.build(
        numbers, keys, np.array([4, 6, 6], np.int64), np.arange(6, dtype=np.uint64).reshape(3, 2)
    )
    assert segment.numbers.tolist() == [4, 6]
    decoded = Segment.decode(segment.encode(), "test")
    assert decoded.keys.tolist() == [[1, 2, 3], [7, 8, 9]]
    assert decoded.passage_numbers.tolist() == [4, 6, 6]
    left = decoded.without(np.array([6], np.int64))
    assert (left.numbers.tolist(), left.passage_keys.tolist()) == ([4], [[0, 1]])
    assert len(left.without(np.array([4], np.int64))) == 0


def test_a_damaged_segment_is_an_error_not_a_crash() -> None:
    blob = Segment.build(
        np.array([1], np.int64),
        np.ones((1, 3), np.uint64),
        np.empty(0, np.int64),
        np.empty((0, 2), np.uint64),
    ).encode()
    for damaged in (blob[:-1], blob + b"\0", b"\1\2"):
        with pytest.raises(BackendError, match=r"archive\.db: damaged index segment"):
            Segment.decode(damaged, "archive.db")


def test_a_passage_repeated_in_one_document_counts_once_toward_the_cap() -> None:
    # document 1 holds passage key 4 (band 0) twice: one holder, under a cap of 1
    segment = Segment.build(
        np.array([1], np.int64),
        np.ones((1, 3), np.uint64),
        np.array([1, 1], np.int64),
        np.array([[4, 4], [4, 5]], np.uint64),
    )
    query = (np.zeros((1, 3), np.uint64), np.array([[4, 0]], np.uint64), np.array([0], np.int64))
    search = PostingSearch(*query, max_passage_bucket=1)
    search.feed(segment)
    assert search.pairs().tolist() == [[0, 1]]
    second = Segment.build(
        np.array([2], np.int64),
        np.ones((1, 3), np.uint64),
        np.array([2], np.int64),
        np.array([[4, 9]], np.uint64),
    )
    search.feed(second)  # a second holder: now over the cap, boilerplate
    assert search.pairs().tolist() == []
