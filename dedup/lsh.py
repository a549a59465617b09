"""Candidate pairs from MinHash signatures by banding, with numpy sorts instead of hash tables.

Each band's rows are folded into one 64-bit key; documents with equal keys in any band become
candidates. Nothing is kept per band entry but one integer in a transient array, so a million
signatures band in seconds. Results are approximate by design: verification decides.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numba
import numpy as np
import numpy.typing as npt

from dedup.unique import unique_pairs, unique_values

__all__ = [
    "agreeing",
    "band_key",
    "band_key_matrix",
    "band_keys",
    "candidate_pairs",
    "collision_probability",
    "key_buckets",
    "pairs_sharing_keys",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
Pairs = npt.NDArray[np.int64]
T = TypeVar("T")
R = TypeVar("R")

# Runs of equal keys longer than this are linked as a star (to their first member) rather than
# pairwise, so a key shared by thousands of documents costs linear, not quadratic, work. Not
# lower: candidates are verified pair by pair, and a star drops every pair but the first
# member's (at 8, partial copies sharing a band in buckets of 11-35 syndicated articles were
# never verified).
_FULL_PAIRS_UP_TO = 50


def agreeing(left: U32, right: U32, pairs: Pairs, min_share: float) -> npt.NDArray[np.bool_]:
    """Whether signatures ``left[i]`` and ``right[j]`` of each pair ``(i, j)`` agree on at least
    ``min_share`` of their values: the estimated Jaccard, which one shared band does not prove."""
    needed = math.ceil(min_share * left.shape[1] - 1e-9)
    return _agreeing(left, right, pairs, needed)


@numba.njit(cache=True, nogil=True)
def _agreeing(left: U32, right: U32, pairs: Pairs, needed: int) -> npt.NDArray[np.bool_]:
    # The rows are read in place (gathering them into copies moved tens of gigabytes at a
    # million documents), and counting stops at the threshold.
    keep = np.zeros(pairs.shape[0], np.bool_)
    for k in range(pairs.shape[0]):
        a, b = left[pairs[k, 0]], right[pairs[k, 1]]
        equal = 0
        for position in range(a.shape[0]):
            if a[position] == b[position]:
                equal += 1
                if equal >= needed:
                    keep[k] = True
                    break
    return keep


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    """The chance that two sets of Jaccard ``similarity`` share at least one band."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def band_keys(signatures: U32, band: int, rows: int) -> npt.NDArray[np.uint64]:
    """One 64-bit key per signature for ``band``: exact for ``rows <= 2``, hashed beyond.

    :func:`band_key` is the same for one signature, for compiled callers.
    """
    columns = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
    if rows == 1:
        return columns[:, 0].copy()
    if rows == 2:
        return (columns[:, 0] << np.uint64(32)) | columns[:, 1]
    key = np.full(len(signatures), 0xCBF29CE484222325, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            key = (key ^ columns[:, r]) * np.uint64(0x100000001B3)
    return key


@numba.njit(cache=True, nogil=True)
def band_key(values: U32, band: int, rows: int) -> np.uint64:
    """:func:`band_keys` of one signature (``values``), inside compiled code."""
    start = band * rows
    if rows == 1:
        return np.uint64(values[start])
    if rows == 2:
        return (np.uint64(values[start]) << np.uint64(32)) | np.uint64(values[start + 1])
    key = np.uint64(0xCBF29CE484222325)
    for r in range(rows):
        key = (key ^ np.uint64(values[start + r])) * np.uint64(0x100000001B3)
    return key


def band_key_matrix(signatures: U32, bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """All band keys of ``signatures``: a ``(len(signatures), bands)`` array."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations")
    keys = np.empty((len(signatures), bands), dtype=np.uint64)
    for band in range(bands):
        keys[:, band] = band_keys(signatures, band, rows)
    return keys


def candidate_pairs(
    signatures: U32,
    bands: int,
    rows: int,
    eligible: npt.NDArray[np.bool_] | None = None,
) -> Pairs:
    """Unique ``(i, j)`` pairs, ``i < j``, of signature rows that share a band.

    ``eligible`` masks out rows that must not be paired (empty or too short documents).
    """
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations")
    owners = np.arange(len(signatures), dtype=np.int64)
    if eligible is not None:
        owners = owners[eligible]
    # One band's keys at a time: a million signatures never become a full key matrix.
    columns = (band_keys(signatures, band, rows)[owners] for band in range(bands))
    return pairs_sharing_keys(columns, owners)


def key_buckets(column: npt.NDArray[np.uint64]) -> tuple[Pairs, Pairs, Pairs]:
    """Rows with equal keys, as a stable argsort would group them: ``(order, starts, lengths)``.

    Bucket ``k`` is ``order[starts[k] : starts[k] + lengths[k]]``, rows in increasing order;
    only buckets of two rows or more are listed (``order`` elsewhere is meaningless).

    A stable argsort of 64-bit keys is a merge sort, several times slower than sorting plain
    values. So the row number replaces the keys' low bits, the values are sorted, and the row
    numbers read back from them; only the rows whose keys share the remaining high bits (equal
    keys, and rarely unequal ones that differ only in the low bits) are then compared in full,
    in one compiled pass.
    """
    count = len(column)
    column = np.asarray(column, dtype=np.uint64)
    bits = max(1, (count - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    packed = (column & ~low) | np.arange(count, dtype=np.uint64)
    packed.sort()
    return _buckets_of_sorted(packed, column, bits)


# Runs of equal high bits up to this long are put in key order by insertion; longer ones (a
# boilerplate key) by a merge sort.
_INSERTION_UP_TO = 32


@numba.njit(cache=True, nogil=True)
def _buckets_of_sorted(packed: U64, column: U64, bits: int) -> tuple[Pairs, Pairs, Pairs]:
    # The numpy passes this replaced (masks, a lexsort of the shared rows) took 12 ms a column
    # of 340k rows, where the sort itself takes 2.
    count = packed.shape[0]
    low = np.uint64((1 << bits) - 1)
    order = np.empty(count, np.int64)
    for k in range(count):
        order[k] = np.int64(packed[k] & low)
    starts = np.empty(count // 2 + 1, np.int64)
    lengths = np.empty(count // 2 + 1, np.int64)
    found = 0
    run = 0
    while run < count:
        end = run + 1
        high = packed[run] >> np.uint64(bits)
        while end < count and packed[end] >> np.uint64(bits) == high:
            end += 1
        if end - run > 1:
            rows = order[run:end]  # in increasing row order: put them in key order, stably
            if end - run <= _INSERTION_UP_TO:
                for i in range(1, end - run):
                    row = rows[i]
                    j = i - 1
                    while j >= 0 and column[rows[j]] > column[row]:
                        rows[j + 1] = rows[j]
                        j -= 1
                    rows[j + 1] = row
            else:
                rows[:] = rows[np.argsort(column[rows], kind="mergesort")]
            first = 0
            for i in range(1, end - run + 1):
                if i == end - run or column[rows[i]] != column[rows[first]]:
                    if i - first > 1:
                        starts[found] = run + first
                        lengths[found] = i - first
                        found += 1
                    first = i
        run = end
    return order, starts[:found].copy(), lengths[:found].copy()


def _on_threads(
    work: Callable[[T], R], items: Iterable[T], threads: int | None = None
) -> Iterator[R]:
    """``map(work, items)`` on a few threads (numpy's sorts release the GIL), in order, with
    at most one item per thread taken from ``items`` ahead: key columns are made lazily so that
    a million documents' band keys are never all in memory. Two threads by default, however
    many cores: each holds a column and its sort's temporaries (about 0.2 GB at a million
    documents), and two already overlap reading a column with sorting another."""
    threads = threads or min(2, os.cpu_count() or 1)
    if threads <= 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _column_pairs(
    column: npt.NDArray[np.uint64], owners: npt.NDArray[np.int64], max_bucket: int | None
) -> list[Pairs]:
    """Row pairs sharing a key in one column (see :func:`pairs_sharing_keys`)."""
    found: list[Pairs] = []
    order, starts, lengths = key_buckets(column)
    if max_bucket is not None:
        # A document may hold a passage many times (a text repeating itself): one row per
        # owner and key, so that a bucket's pairs grow with its documents, not its rows, and
        # the cap counts documents.
        order, starts, lengths = _one_row_per_owner(order, starts, lengths, owners)
        keep = lengths <= max_bucket
        starts, lengths = starts[keep], lengths[keep]
    full = lengths <= _FULL_PAIRS_UP_TO if max_bucket is None else lengths >= 0
    # Buckets of one length at a time: one index matrix for all of them, no Python per bucket.
    for length in unique_values(lengths[full & (lengths > 1)]).tolist():
        members = order[starts[lengths == length][:, None] + np.arange(length)]
        i, j = np.triu_indices(length, k=1)
        found.append(np.stack([members[:, i].ravel(), members[:, j].ravel()], axis=1))
    star = ~full
    if star.any():
        star_starts, star_lengths = starts[star], lengths[star]
        firsts = np.repeat(order[star_starts], star_lengths - 1)
        offsets = np.arange(int((star_lengths - 1).sum())) - np.repeat(
            np.cumsum(star_lengths - 1) - (star_lengths - 1), star_lengths - 1
        )
        rest = order[np.repeat(star_starts + 1, star_lengths - 1) + offsets]
        found.append(np.stack([firsts, rest], axis=1))
    return found


def _one_row_per_owner(
    order: Pairs, starts: Pairs, lengths: Pairs, owners: npt.NDArray[np.int64]
) -> tuple[Pairs, Pairs, Pairs]:
    """The buckets of :func:`key_buckets` with only the first row of each owner, and only
    those left with two rows or more. Owners do not decrease with the row (the passages of a
    document are consecutive), and a bucket lists its rows in order: an owner's rows in a
    bucket are adjacent."""
    if not len(lengths):
        return order, starts, lengths
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
        int(lengths.sum())
    )
    members = order[positions]
    bucket = np.repeat(np.arange(len(lengths)), lengths)
    member_owners = owners[members]
    first = np.ones(len(members), dtype=np.bool_)
    first[1:] = (bucket[1:] != bucket[:-1]) | (member_owners[1:] != member_owners[:-1])
    members, bucket = members[first], bucket[first]
    counts = np.bincount(bucket, minlength=len(lengths))
    new_starts = np.cumsum(counts) - counts
    shared = counts >= 2
    return members, new_starts[shared], counts[shared]


def pairs_sharing_keys(
    keys: npt.NDArray[np.uint64] | Iterable[npt.NDArray[np.uint64]],
    owners: npt.NDArray[np.int64],
    max_bucket: int | None = None,
) -> Pairs:
    """Unique owner pairs ``(i, j)``, ``i < j``, whose rows share a key in some column.

    ``keys`` is a ``(rows, bands)`` matrix or any iterable of key columns.

    Several rows may have one owner (the passages of a document); pairs of one owner are
    dropped. A key shared by more than ``max_bucket`` owners is ignored (boilerplate); without a
    bound, long runs are linked as a star to their first row.
    """
    columns = keys.T if isinstance(keys, np.ndarray) else keys

    def work(column: npt.NDArray[np.uint64]) -> list[Pairs]:
        return _column_pairs(column, owners, max_bucket)

    found = [pairs for column_pairs in _on_threads(work, columns) for pairs in column_pairs]
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = owners[np.concatenate(found)]
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs.sort(axis=1)
    return unique_pairs(pairs)
