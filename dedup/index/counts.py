"""The archive's 3-gram counts: a base table and a log of the changes since it was written.

A check tells a shared formula from a copy by how many documents hold the shared 3-grams
(:mod:`dedup.commonness`), as a scan does, so the index keeps those counts for the archive: one
byte per bin of ``2**ARCHIVE_BITS`` bins (the largest table a scan uses), zstandard-compressed.
Rewriting up to 32 MB for every added batch of 256 documents would cost more than the batch
itself, so each added or removed batch only appends its net change per bin (a batch of 256 news
articles changes about 60,000 bins, some 200 kB), and once the log holds more than
``FOLD_CHANGES`` changes the writer folds it into the base. Reading applies the log to the base.

Counts saturate at 255, as a scan's do (past ``template_df``, 25, how common no longer matters):
a bin that reached 255 stays there when documents leave, since how many are left is not known.
Below that, adding and removing a document are exact inverses.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import zstandard

from dedup.commonness import ARCHIVE_BITS, add_to_table, counted_bins
from dedup.errors import BackendError
from dedup.index.base import bin_deltas
from dedup.text.batch import analyze_encoded

__all__ = [
    "FOLD_CHANGES",
    "count_texts",
    "decode_changes",
    "decode_table",
    "encode_changes",
    "encode_table",
    "folded",
]

# About 65 batches of 256 news articles. Measured at 100k documents: a fold (decode the base,
# apply the log, encode) takes about 0.5 s, and reading base and log for a check at most 0.3 s,
# most of it applying the log (one scattered update per change).
FOLD_CHANGES = 1 << 22

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

_LEVEL = 1
_RECOUNT_BATCH = 256


def encode_table(table: U8) -> bytes:
    return zstandard.ZstdCompressor(level=_LEVEL).compress(table.data)


def decode_table(blob: bytes | None, where: str) -> U8:
    """The base table (all zeros when there is none yet)."""
    table = np.zeros(1 << ARCHIVE_BITS, dtype=np.uint8)
    if blob is None:
        return table
    try:
        # Straight into the table: no second 32 MB copy.
        with zstandard.ZstdDecompressor().stream_reader(blob) as reader:
            view, size = table.data, 0
            while size < len(table) and (read := reader.readinto(view[size:])):
                size += read
            extra = reader.read(1)
    except zstandard.ZstdError as error:
        raise BackendError(f"{where}: the 3-gram counts are damaged ({error})") from None
    if size != len(table) or extra:
        raise BackendError(f"{where}: the 3-gram counts are damaged (not {len(table)} bins)")
    return table


def encode_changes(bins: I64, deltas: I64) -> bytes:
    """One batch's net change per bin (``bins`` distinct), as one log entry."""
    data = bins.astype("<u4").tobytes() + deltas.astype("<i4").tobytes()
    return zstandard.ZstdCompressor(level=_LEVEL).compress(data)


def decode_changes(blob: bytes, where: str) -> tuple[I64, I64]:
    try:
        raw = zstandard.ZstdDecompressor().decompress(blob)
    except zstandard.ZstdError as error:
        raise BackendError(f"{where}: the 3-gram count log is damaged ({error})") from None
    if len(raw) % 8:
        raise BackendError(f"{where}: the 3-gram count log is damaged (size {len(raw)})")
    half = len(raw) // 2
    bins = np.frombuffer(raw[:half], dtype="<u4").astype(np.int64)
    if len(bins) and int(bins.max()) >= 1 << ARCHIVE_BITS:
        raise BackendError(f"{where}: the 3-gram count log is damaged (bin out of range)")
    return bins, np.frombuffer(raw[half:], dtype="<i4").astype(np.int64)


def folded(base: bytes | None, changes: Iterable[bytes], where: str) -> tuple[U8, int]:
    """The counts now: the base table with the logged ``changes`` applied, oldest first; and
    how many bin changes the log held."""
    table = decode_table(base, where)
    logged = 0
    for blob in changes:
        bins, deltas = decode_changes(blob, where)
        add_to_table(table, bins, deltas)
        logged += len(bins)
    return table, logged


def count_texts(texts: Iterable[bytes], where: str) -> tuple[U8, int]:
    """The counts of the stored texts ``texts`` (zstandard-compressed UTF-8, as an index keeps
    them), counted as adding them did, and how many there were."""
    table = np.zeros(1 << ARCHIVE_BITS, dtype=np.uint8)
    documents = 0
    batch: list[bytes] = []
    decompressor = zstandard.ZstdDecompressor()
    for blob in texts:
        try:
            batch.append(decompressor.decompress(blob))
        except zstandard.ZstdError as error:
            raise BackendError(f"{where}: a stored text is damaged ({error})") from None
        if len(batch) == _RECOUNT_BATCH:
            _count_batch(table, batch)
            documents += len(batch)
            batch = []
    if batch:
        _count_batch(table, batch)
        documents += len(batch)
    return table, documents


def _count_batch(table: U8, encoded: list[bytes]) -> None:
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(data) for data in encoded], out=offsets[1:])
    analysis = analyze_encoded(b"".join(encoded), offsets)
    bins, _ = counted_bins(analysis.shingles, analysis.shingle_offsets, ARCHIVE_BITS)
    add_to_table(table, *bin_deltas([bins], []))
