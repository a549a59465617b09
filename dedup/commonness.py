"""How many documents of the corpus hold each 3-gram: text that many documents share is a formula.

Two congratulation cables to different presidents, or two notices of an execution in different
towns, share half their 3-grams and many of their words: the formula. Partial copies share a
story. What tells them apart is how common the shared text is across the corpus. In the labelled
SaudiNewsNet pairs, the 3-grams that formula pairs share are held by 31 to 51 documents (the 25th
percentile), those of copies and partial copies by at most 18; and a formula's shared text is far
commoner than the contained text's 3-grams as a whole, names and places included.
:func:`dedup.verify.classify` does not call a pair a partial copy when its shared 3-grams are
common in both senses (``MatchConfig.template_df`` and ``template_ratio``), nor a near-duplicate
unless the smaller text's rarer words are nearly all in the other (``template_weighted``): a
story many outlets carry, lightly edited, shares common text too, but also its names, where
the formula's names differ (in SaudiNewsNet, 18 congratulation cables to eight heads of state
formed one cluster before near-duplicates were judged so).

Half the 3-grams are counted, the same half in every document (those of even hash), in one byte
per bin (saturating at 255: past the threshold, how common no longer matters). Up to four forked
workers count into tables of their own in shared memory, summed once the pass ends, so the counts
do not depend on which worker read which batch. More workers share the four tables, where a count
is lost if two add to one bin at the same instant.
"""

from __future__ import annotations

import mmap
import os
from multiprocessing import get_context

import numba
import numpy as np
import numpy.typing as npt

__all__ = [
    "ARCHIVE_BITS",
    "TABLE_BITS",
    "ShingleCounts",
    "add_to_table",
    "counted_bins",
    "shared_and_own_df",
    "table_bits",
]

U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

# At most 2**25 one-byte bins per table (32 MB). At a million news articles a bin holds about 8
# counts of other 3-grams; their mean is subtracted (see ``_df``).
TABLE_BITS = 25
# An archive index counts in a table of the most bits (dedup.index.counts): an archive grows,
# and its table is never resized.
ARCHIVE_BITS = TABLE_BITS
# Smaller inputs get smaller tables (a small batch in CI pays for no 64 MB): one bin for every
# 20 bytes of text, about two counted 3-grams, and at least 2**16.
_BYTES_PER_BIN = 20
_MIN_BITS = 16
# At most this many tables (up to 32 MB each). Workers beyond share them: a count is lost only
# when two add to the same bin at the same instant.
_MAX_TABLES = 4
# The 25th percentile: most of the shared text, not its rarest or commonest few 3-grams.
_QUANTILE = 0.25


class ShingleCounts:
    """Documents holding each counted 3-gram, as forked workers count them (see module docs).

    Create it before forking; each worker calls :meth:`claim` once, then :meth:`count` for its
    batches; the reading process calls :meth:`finish` after the pass, then
    :func:`shared_and_own_df`.
    """

    def __init__(self, workers: int | None = None, bits: int = TABLE_BITS) -> None:
        """Tables of ``2**bits`` bins for ``workers`` counting processes (default: one per
        core), four at most; :func:`table_bits` sizes them for a corpus."""
        tables = min(workers or os.cpu_count() or 1, _MAX_TABLES)
        # An anonymous mapping is shared with processes forked after it: their counts land here.
        self._buffer: mmap.mmap | None = mmap.mmap(-1, tables << bits)
        self._tables: U8 = np.frombuffer(self._buffer, dtype=np.uint8).reshape(tables, 1 << bits)
        self._claimed = get_context("fork").Value("i", 0)
        self._table = 0
        self.mask = np.uint64((1 << bits) - 1)
        self.totals: U8 | None = None
        self.load = 0.0

    @classmethod
    def of_totals(cls, totals: U8) -> ShingleCounts:
        """Finished counts of a table summed elsewhere (an archive's, see
        :mod:`dedup.index.counts`); its length is a power of two."""
        counts = cls(workers=1, bits=0)
        counts.finish()
        counts.mask = np.uint64(len(totals) - 1)
        counts.totals = totals
        counts.load = float(np.sum(totals, dtype=np.int64)) / max(len(totals), 1)
        return counts

    def claim(self) -> None:
        """Take a table of one's own (in a forked worker, before counting)."""
        with self._claimed.get_lock():
            self._table = self._claimed.value % self._tables.shape[0]
            self._claimed.value += 1

    def count(self, shingles: U32, offsets: npt.NDArray[np.int64]) -> None:
        """Count a batch: document ``d`` holds ``shingles[offsets[d]:offsets[d + 1]]``."""
        _count_documents(self._tables[self._table], shingles, offsets, self.mask)

    def finish(self) -> None:
        """Sum the workers' tables; the shared memory is released. Once only."""
        if self.totals is not None:
            raise RuntimeError("the 3-gram counts are finished already")
        self.totals, self.load = _sum_tables(self._tables)
        self._tables = np.empty((0, 0), dtype=np.uint8)
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None


def table_bits(text_bytes: int | None) -> int:
    """Bits of the count tables for about ``text_bytes`` of text (``None``: unknown, the most)."""
    if text_bytes is None:
        return TABLE_BITS
    bins = max(text_bytes // _BYTES_PER_BIN, 1)
    return max(_MIN_BITS, min(TABLE_BITS, bins.bit_length()))


def counted_bins(shingles: U32, offsets: I64, bits: int) -> tuple[I32, I64]:
    """The distinct bins of the counted 3-grams of each document (document ``d`` holds
    ``shingles[offsets[d]:offsets[d + 1]]``): flat, sorted within each document, and how many
    each document has. What an archive index adds to its counts (:mod:`dedup.index.counts`)."""
    return _counted_bins(shingles, offsets, np.uint64((1 << bits) - 1))


def add_to_table(table: U8, bins: I64, deltas: I64) -> None:
    """Add ``deltas`` to the counts of ``bins`` in place, saturating at 255. A saturated bin
    stays saturated when documents leave: how many are left is no longer known."""
    _add_to_table(table, bins, deltas)


def shared_and_own_df(
    counts: ShingleCounts, shingles_a: U32, shingles_b: U32, a_is_contained: bool
) -> tuple[float, float]:
    """How common the 3-grams two texts share are, and those of the contained text (the one
    with more of its 3-grams in the other): the 25th percentile of the documents holding each,
    counted ones only (sorted unique inputs). Both 0 when they share none."""
    if counts.totals is None:
        raise RuntimeError("finish() the 3-gram counts before reading them")
    return _shared_and_own_df(
        counts.totals, counts.mask, counts.load, shingles_a, shingles_b, a_is_contained
    )


@numba.njit(cache=True, nogil=True)
def _counted(shingle: np.uint32) -> bool:
    return bool((shingle & np.uint32(1)) == 0)


@numba.njit(cache=True, nogil=True)
def _bin(shingle: np.uint32, mask: np.uint64) -> np.int64:
    # The low bit chose the half that is counted; the bits above it place the 3-gram.
    return np.int64((np.uint64(shingle) >> np.uint64(1)) & mask)


@numba.njit(cache=True, nogil=True)
def _count_documents(
    table: U8, shingles: U32, offsets: npt.NDArray[np.int64], mask: np.uint64
) -> None:
    empty = np.uint32(0xFFFFFFFF)  # odd: never a counted 3-gram
    seen = np.full(1024, empty, dtype=np.uint32)
    for d in range(offsets.shape[0] - 1):
        size = 16
        while size < offsets[d + 1] - offsets[d]:
            size *= 2
        if size > seen.shape[0]:
            seen = np.full(size, empty, dtype=np.uint32)
        else:
            seen[:size] = empty
        for k in range(offsets[d], offsets[d + 1]):
            shingle = shingles[k]
            if not _counted(shingle):
                continue
            # Once per document: a table of what this document counted already.
            slot = np.int64((np.uint64(shingle) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40))
            slot &= size - 1
            while seen[slot] != empty and seen[slot] != shingle:
                slot = (slot + 1) & (size - 1)
            if seen[slot] == shingle:
                continue
            seen[slot] = shingle
            where = _bin(shingle, mask)
            if table[where] < 255:
                table[where] += 1


@numba.njit(cache=True, nogil=True)
def _counted_bins(shingles: U32, offsets: I64, mask: np.uint64) -> tuple[I32, I64]:
    out = np.empty(shingles.shape[0], dtype=np.int32)
    sizes = np.zeros(offsets.shape[0] - 1, dtype=np.int64)
    filled = 0
    for d in range(offsets.shape[0] - 1):
        start = filled
        for k in range(offsets[d], offsets[d + 1]):
            if _counted(shingles[k]):
                out[filled] = _bin(shingles[k], mask)
                filled += 1
        if filled > start:
            out[start:filled] = np.sort(out[start:filled])
            kept = start + 1
            for k in range(start + 1, filled):
                if out[k] != out[kept - 1]:
                    out[kept] = out[k]
                    kept += 1
            filled = kept
        sizes[d] = filled - start
    return out[:filled].copy(), sizes


@numba.njit(cache=True, nogil=True)
def _add_to_table(table: U8, bins: I64, deltas: I64) -> None:
    for k in range(bins.shape[0]):
        value = np.int64(table[bins[k]])
        if value == 255 and deltas[k] < 0:
            continue
        table[bins[k]] = min(max(value + deltas[k], 0), 255)


@numba.njit(cache=True, nogil=True)
def _sum_tables(tables: U8) -> tuple[U8, float]:
    """The tables summed bin by bin (saturating at 255), and the mean count of a bin."""
    totals = np.empty(tables.shape[1], dtype=np.uint8)
    everything = 0
    for k in range(tables.shape[1]):
        total = 0
        for table in range(tables.shape[0]):
            total += tables[table, k]
        everything += total
        totals[k] = min(total, 255)
    return totals, everything / max(tables.shape[1], 1)


@numba.njit(cache=True, nogil=True)
def _df(totals: U8, mask: np.uint64, load: float, shingle: np.uint32) -> float:
    # Other 3-grams share the bin: subtract what a bin holds on average (at least one document,
    # the one that holds this 3-gram, is always left).
    return max(float(totals[_bin(shingle, mask)]) - load, 1.0)


@numba.njit(cache=True, nogil=True)
def _quantile(values: npt.NDArray[np.float64]) -> float:
    if values.shape[0] == 0:
        return 0.0
    ordered = np.sort(values)
    return float(ordered[int(values.shape[0] * _QUANTILE)])


@numba.njit(cache=True, nogil=True)
def _shared_and_own_df(
    totals: U8,
    mask: np.uint64,
    load: float,
    shingles_a: U32,
    shingles_b: U32,
    a_is_contained: bool,
) -> tuple[float, float]:
    shared = np.empty(min(shingles_a.shape[0], shingles_b.shape[0]), dtype=np.float64)
    count = i = j = 0
    while i < shingles_a.shape[0] and j < shingles_b.shape[0]:
        if shingles_a[i] < shingles_b[j]:
            i += 1
        elif shingles_a[i] > shingles_b[j]:
            j += 1
        else:
            if _counted(shingles_a[i]):
                shared[count] = _df(totals, mask, load, shingles_a[i])
                count += 1
            i += 1
            j += 1
    if count == 0:
        return 0.0, 0.0
    contained = shingles_a if a_is_contained else shingles_b
    own = np.empty(contained.shape[0], dtype=np.float64)
    owned = 0
    for shingle in contained:
        if _counted(shingle):
            own[owned] = _df(totals, mask, load, shingle)
            owned += 1
    return _quantile(shared[:count]), _quantile(own[:owned])
