"""Band-key postings of an archive: append-only segments, and one compiled pass to search them.

Each batch an index adds becomes one *segment*: a blob with the batch's document numbers, their
document band keys and their passage band keys. A check hashes its own (few) keys into a table
once and streams every segment through it. So adding costs one blob write per batch however
large the archive is (a B-tree of one row per band key was rewritten page by page and slowed
down as it grew: 290 documents a second at 100k), and a check reads the keys once, in order.
Removing a document rewrites the segment that holds it, so segments never carry dead entries.

Segment layout (little-endian)::

    uint32 documents, uint32 passages, uint32 bands, uint32 passage_bands
    int64  numbers[documents]            uint64 keys[documents x bands]
    int64  passage_numbers[passages] uint64 passage_keys[passages x passage_bands]
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from dedup.errors import BackendError
from dedup.unique import unique_pairs

__all__ = ["PostingSearch", "Segment"]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_HEADER = np.dtype("<u4")
_HEADER_FIELDS = 4


@dataclass(frozen=True, slots=True)
class Segment:
    """The band keys of one added batch (rows of zeros are never stored)."""

    numbers: I64
    keys: U64
    passage_numbers: I64
    passage_keys: U64

    def encode(self) -> bytes:
        header = np.array(
            [
                len(self.numbers),
                len(self.passage_numbers),
                self.keys.shape[1],
                self.passage_keys.shape[1],
            ],
            dtype=_HEADER,
        )
        parts = (
            header,
            self.numbers.astype("<i8"),
            self.keys.astype("<u8"),
            self.passage_numbers.astype("<i8"),
            self.passage_keys.astype("<u8"),
        )
        return b"".join(part.tobytes() for part in parts)

    @classmethod
    def decode(cls, blob: bytes, where: str) -> Segment:
        """Read a stored segment; a blob of the wrong size is a damaged index, not a crash."""
        if len(blob) < _HEADER_FIELDS * 4:
            raise BackendError(f"{where}: damaged index segment ({len(blob)} bytes)")
        documents, passages, bands, passage_bands = (
            int(v) for v in np.frombuffer(blob, _HEADER, _HEADER_FIELDS)
        )
        sizes = (documents, documents * bands, passages, passages * passage_bands)
        if _HEADER_FIELDS * 4 + 8 * sum(sizes) != len(blob):
            raise BackendError(f"{where}: damaged index segment ({len(blob)} bytes)")
        offset = _HEADER_FIELDS * 4
        arrays = []
        for size, dtype in zip(sizes, ("<i8", "<u8", "<i8", "<u8"), strict=True):
            arrays.append(np.frombuffer(blob, dtype, size, offset))
            offset += 8 * size
        return cls(
            arrays[0].astype(np.int64, copy=False),
            arrays[1].astype(np.uint64, copy=False).reshape(documents, bands),
            arrays[2].astype(np.int64, copy=False),
            arrays[3].astype(np.uint64, copy=False).reshape(passages, passage_bands),
        )

    @classmethod
    def build(cls, numbers: I64, keys: U64, passage_numbers: I64, passage_keys: U64) -> Segment:
        """A segment of documents ``numbers`` (rows of ``keys`` that are all zeros are left out)."""
        stored = keys.any(axis=1)
        return cls(
            np.ascontiguousarray(numbers[stored], dtype=np.int64),
            np.ascontiguousarray(keys[stored], dtype=np.uint64),
            np.ascontiguousarray(passage_numbers, dtype=np.int64),
            np.ascontiguousarray(passage_keys, dtype=np.uint64),
        )

    def without(self, numbers: I64) -> Segment:
        """This segment without the entries of documents ``numbers``."""
        keep = ~np.isin(self.numbers, numbers)
        keep_passages = ~np.isin(self.passage_numbers, numbers)
        return Segment(
            self.numbers[keep],
            self.keys[keep],
            self.passage_numbers[keep_passages],
            self.passage_keys[keep_passages],
        )

    def __len__(self) -> int:
        return len(self.numbers) + len(self.passage_numbers)


class PostingSearch:
    """The archived documents that share a band key with a query, fed one segment at a time.

    ``keys`` is the query's ``(rows, bands)`` document key matrix (rows of zeros ask nothing);
    ``passage_keys`` the passage keys with each passage's query row in ``passage_owners``.
    A passage key held by more than ``max_passage_bucket`` archived documents is
    boilerplate and proposes nothing.
    """

    def __init__(
        self,
        keys: U64,
        passage_keys: U64,
        passage_owners: I64,
        max_passage_bucket: int | None = None,
    ) -> None:
        asking = np.flatnonzero(keys.any(axis=1)) if keys.size else np.empty(0, np.int64)
        self._documents = _KeyTable(keys[asking], asking, cap=-1)
        cap = -1 if max_passage_bucket is None else max_passage_bucket
        self._passages = _KeyTable(passage_keys, passage_owners.astype(np.int64), cap)

    def feed(self, segment: Segment) -> None:
        self._documents.probe(segment.keys, segment.numbers)
        self._passages.probe(segment.passage_keys, segment.passage_numbers)

    def pairs(self) -> I64:
        """Unique ``(query row, archived number)`` pairs, sorted, as an ``(n, 2)`` array."""
        return _unique_rows(np.concatenate([self.document_pairs(), self.passage_pairs()]))

    def document_pairs(self) -> I64:
        """The pairs that share a document band (as :meth:`pairs`)."""
        return _unique_rows(self._documents.pairs())

    def passage_pairs(self) -> I64:
        """The pairs that share a passage band outside boilerplate (as :meth:`pairs`)."""
        return _unique_rows(self._passages.pairs())


def _unique_rows(pairs: I64) -> I64:
    if not len(pairs):
        return np.empty((0, 2), np.int64)
    return unique_pairs(pairs)


class _KeyTable:
    """Query keys (band mixed in) in an open-addressing table, and what probing found."""

    def __init__(self, keys: U64, rows: I64, cap: int) -> None:
        bands = keys.shape[1] if keys.ndim == 2 else 0
        self.salts = _band_salts(bands)
        mixed = (keys ^ self.salts[None, :]).ravel() if keys.size else np.empty(0, np.uint64)
        self.unique, inverse = np.unique(mixed, return_inverse=True)
        # Query rows of each unique key, grouped (CSR): a key may come from several rows.
        owner_rows = np.repeat(rows, bands)
        order = np.argsort(inverse, kind="stable")
        self.row_of = owner_rows[order]
        self.row_start = np.searchsorted(inverse[order], np.arange(len(self.unique) + 1))
        size = 1
        while size < 2 * len(self.unique) + 2:
            size *= 2
        self.table_keys, self.table_slots = _build_table(self.unique, size)
        self.filter_bits = _filter_bits(len(self.unique))
        self.filter = _build_filter(self.unique, self.filter_bits)
        self.cap = cap
        self.counts = np.zeros(len(self.unique), np.int64)
        self.last = np.full(len(self.unique), -1, np.int64)
        self.found: list[I64] = []

    def probe(self, keys: U64, numbers: I64) -> None:
        if not len(self.unique) or not keys.size:
            return
        if keys.shape[1] != len(self.salts):
            raise BackendError(
                f"index segment has {keys.shape[1]} bands, expected {len(self.salts)}"
            )
        slots, found_numbers = _probe(
            self.filter,
            self.filter_bits,
            self.table_keys,
            self.table_slots,
            keys,
            numbers,
            self.salts,
            self.counts,
            self.last,
            self.cap,
        )
        if len(slots):
            self.found.append(np.stack([slots, found_numbers], axis=1))

    def pairs(self) -> I64:
        if not self.found:
            return np.empty((0, 2), np.int64)
        found = np.concatenate(self.found)
        if self.cap >= 0:
            found = found[self.counts[found[:, 0]] <= self.cap]
        slots, numbers = found[:, 0], found[:, 1]
        per_slot = self.row_start[slots + 1] - self.row_start[slots]
        # Each (slot, number) stands for every query row that asked for the slot's key.
        starts = np.repeat(self.row_start[slots], per_slot)
        within = np.arange(per_slot.sum()) - np.repeat(np.cumsum(per_slot) - per_slot, per_slot)
        rows = self.row_of[starts + within]
        return np.stack([rows, np.repeat(numbers, per_slot)], axis=1)


def _band_salts(bands: int) -> U64:
    """One constant per band, XORed into its keys: equal keys of different bands differ."""
    salts = np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return salts ^ (salts >> np.uint64(29))


@numba.njit(cache=True, nogil=True)
def _build_table(unique: U64, size: int) -> tuple[U64, I64]:
    table_keys = np.zeros(size, np.uint64)
    table_slots = np.full(size, -1, np.int64)
    mask = size - 1
    for slot in range(unique.shape[0]):
        key = unique[slot]
        position = np.int64((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & mask
        while table_slots[position] != -1:
            position = (position + 1) & mask
        table_keys[position] = key
        table_slots[position] = slot
    return table_keys, table_slots


def _filter_bits(keys: int) -> int:
    """Bits of the filter, as a power of two: about 16 a key, so it stays in the CPU's cache."""
    bits = 16
    while (1 << bits) < 16 * keys:
        bits += 1
    return bits


@numba.njit(cache=True, nogil=True)
def _filter_positions(key: np.uint64, bits: int) -> tuple[np.uint64, np.uint64]:
    shift = np.uint64(64 - bits)
    first = (key * np.uint64(0x9E3779B97F4A7C15)) >> shift
    second = (key * np.uint64(0xC2B2AE3D27D4EB4F)) >> shift
    return first, second


@numba.njit(cache=True, nogil=True)
def _in_filter(words: U64, bits: int, key: np.uint64) -> bool:
    first, second = _filter_positions(key, bits)
    one = np.uint64(1)
    return bool(
        (words[first >> np.uint64(6)] >> (first & np.uint64(63))) & one
        and (words[second >> np.uint64(6)] >> (second & np.uint64(63))) & one
    )


@numba.njit(cache=True, nogil=True)
def _build_filter(unique: U64, bits: int) -> U64:
    """A Bloom filter of the query keys (two bits a key): most stored keys are not asked for,
    and the filter, unlike the table, fits in the cache."""
    words = np.zeros(max((1 << bits) // 64, 1), np.uint64)
    for key in unique:
        first, second = _filter_positions(key, bits)
        words[first >> np.uint64(6)] |= np.uint64(1) << (first & np.uint64(63))
        words[second >> np.uint64(6)] |= np.uint64(1) << (second & np.uint64(63))
    return words


@numba.njit(cache=True, nogil=True)
def _probe(
    filter_words: U64,
    filter_bits: int,
    table_keys: U64,
    table_slots: I64,
    keys: U64,
    numbers: I64,
    salts: U64,
    counts: I64,
    last: I64,
    cap: int,
) -> tuple[I64, I64]:
    """``(slot, number)`` for every stored key that the query asks for.

    ``counts`` counts distinct documents per slot across calls (a document's entries are
    contiguous, so ``last`` tells a repeat); past ``cap`` a slot is boilerplate and no longer
    recorded.
    """
    mask = table_keys.shape[0] - 1
    out_slots = np.empty(keys.shape[0] * keys.shape[1], np.int64)
    out_numbers = np.empty(keys.shape[0] * keys.shape[1], np.int64)
    found = 0
    for row in range(keys.shape[0]):
        number = numbers[row]
        for band in range(keys.shape[1]):
            key = keys[row, band] ^ salts[band]
            if not _in_filter(filter_words, filter_bits, key):
                continue
            position = np.int64((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & mask
            while table_slots[position] != -1 and table_keys[position] != key:
                position = (position + 1) & mask
            slot = table_slots[position]
            if slot == -1 or last[slot] == number:
                continue
            last[slot] = number
            counts[slot] += 1
            if cap >= 0 and counts[slot] > cap:
                continue
            out_slots[found] = slot
            out_numbers[found] = number
            found += 1
    return out_slots[:found], out_numbers[:found]
