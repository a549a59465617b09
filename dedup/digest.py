"""The per-document pass: digest batches of documents into what matching keeps, on all cores.

A batch of documents becomes a :class:`Digest`: each document's repeats, MinHash signature,
exact-duplicate key, word count and distinct word bins (for document frequencies), and the band
keys of its passages (runs of 3-grams, see :class:`dedup.config.MatchConfig`). Nothing of the
text is kept. Batches are digested in worker processes (forked, so compiled kernels and tables
are shared) while the reading process parses the next ones; results come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

import numba
import numpy as np
import numpy.typing as npt

from dedup.commonness import ARCHIVE_BITS, ShingleCounts, counted_bins
from dedup.config import ScanConfig
from dedup.io.spill import TextSpill
from dedup.memory import start_forked_worker
from dedup.model import Document, Repeat
from dedup.pool import forked_pool
from dedup.repeats import MIN_OVERLAP, find_repeats
from dedup.sketch import sign_documents_and_passages
from dedup.text.analyze import analyze
from dedup.text.batch import analyze_encoded

__all__ = [
    "BATCH_CHARS",
    "BATCH_SIZE",
    "WORD_BINS_LOG2",
    "Digest",
    "digest_batch",
    "digest_encoded",
    "digest_stream",
    "exact_key",
]

BATCH_SIZE = 256
# A batch is cut sooner when its texts reach this many characters: its arrays take about 40
# bytes a character while it is digested (256 news articles hold under a million).
BATCH_CHARS = 8_000_000
# Distinct words are counted in 2**22 hashed bins (see verify.DocumentFrequencies).
WORD_BINS_LOG2 = 22
_WORD_MASK = np.uint64((1 << WORD_BINS_LOG2) - 1)


@dataclass(slots=True)
class Digest:
    """What the pass keeps of a batch of documents (row ``k`` is the batch's ``k``-th document)."""

    repeats: list[Repeat] = field(default_factory=list)
    signatures: npt.NDArray[np.uint32] = field(default_factory=lambda: np.empty((0, 0), np.uint32))
    exact_keys: npt.NDArray[np.uint64] = field(default_factory=lambda: np.empty(0, np.uint64))
    token_counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    word_bins: npt.NDArray[np.int32] = field(default_factory=lambda: np.empty(0, np.int32))
    word_bin_counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    # Only with ScanConfig.shingle_bins: the distinct counted 3-gram bins of each document.
    shingle_bins: npt.NDArray[np.int32] = field(default_factory=lambda: np.empty(0, np.int32))
    shingle_bin_counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    passage_keys: npt.NDArray[np.uint64] = field(
        default_factory=lambda: np.empty((0, 0), np.uint64)
    )
    passage_owners: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))


def digest_batch(
    documents: list[Document], config: ScanConfig, counts: ShingleCounts | None = None
) -> Digest:
    """Digest one batch of documents (see the module docstring); with ``counts``, count the
    documents holding each of their 3-grams there too."""
    encoded = [d.text.encode("utf-8", "surrogatepass") for d in documents]
    byte_offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum([len(data) for data in encoded], out=byte_offsets[1:])
    return digest_encoded(
        b"".join(encoded), byte_offsets, [(d.id, d.ordinal) for d in documents], config, counts
    )


def digest_encoded(
    encoded: bytes,
    byte_offsets: npt.NDArray[np.int64],
    names: list[tuple[str, int]],
    config: ScanConfig,
    counts: ShingleCounts | None = None,
) -> Digest:
    """:func:`digest_batch` of texts given as UTF-8, joined (see :func:`analyze_encoded`), with
    the ``(id, ordinal)`` of each document."""
    matches = config.matches
    digest = Digest()
    batch = analyze_encoded(encoded, byte_offsets, config.repeats.min_tokens, MIN_OVERLAP)
    if config.find_repeats:
        # Only documents with two equal or overlapping paragraphs can hold a repeat.
        for row in np.flatnonzero(batch.maybe_repeats).tolist():
            data = encoded[byte_offsets[row] : byte_offsets[row + 1]]
            text = data.decode("utf-8", "surrogatepass")
            document = Document(names[row][0], text, ordinal=names[row][1])
            digest.repeats.extend(find_repeats(document, analyze(document.text), config.repeats))
    if not config.find_matches:
        return digest
    if counts is not None:
        counts.count(batch.shingles, batch.shingle_offsets)
    if config.shingle_bins:
        digest.shingle_bins, digest.shingle_bin_counts = counted_bins(
            batch.shingles, batch.shingle_offsets, ARCHIVE_BITS
        )
    digest.exact_keys, digest.word_bins, digest.word_bin_counts = _document_keys_of_batch(
        batch.paragraph_hashes, batch.paragraph_offsets, batch.words, batch.word_offsets
    )
    token_counts = np.diff(batch.token_offsets)
    digest.token_counts = token_counts
    # Passages are cut in blocks of passage_block consecutive 3-grams, across paragraph breaks
    # (many scraped articles have none, and copies break paragraphs differently, so passages
    # cut by paragraphs did not line up). A text too short to match on its own proposes
    # nothing through its passages either.
    signatures, keys, owners = sign_documents_and_passages(
        batch.shingles,
        batch.shingle_offsets,
        matches.passage_block,
        token_counts >= matches.min_tokens,
        matches.passage_bands,
        matches.passage_rows,
        matches.num_perm,
        matches.seed,
    )
    digest.signatures, digest.passage_keys, digest.passage_owners = signatures, keys, owners
    return digest


@numba.njit(cache=True, nogil=True)
def _document_keys_of_batch(
    paragraph_hashes: npt.NDArray[np.uint64],
    paragraph_offsets: npt.NDArray[np.int64],
    tokens: npt.NDArray[np.uint64],
    token_offsets: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Exact-duplicate keys, distinct word bins (flat) and their count, per document."""
    documents = paragraph_offsets.shape[0] - 1
    keys = np.zeros(documents, np.uint64)
    bins = np.empty(tokens.shape[0], np.int32)
    counts = np.zeros(documents, np.int64)
    filled = 0
    for d in range(documents):
        key, found = _document_keys(
            paragraph_hashes[paragraph_offsets[d] : paragraph_offsets[d + 1]],
            tokens[token_offsets[d] : token_offsets[d + 1]],
        )
        keys[d] = key
        bins[filled : filled + found.shape[0]] = found
        filled += found.shape[0]
        counts[d] = found.shape[0]
    return keys, bins[:filled].copy(), counts


def exact_key(paragraph_hashes: npt.NDArray[np.uint64]) -> int:
    """The exact-duplicate key of a text of these normalized paragraphs (their hashes), as the
    scan computes it (0 for an empty text)."""
    key, _ = _document_keys(paragraph_hashes, np.empty(0, np.uint64))
    return int(key)


@numba.njit(cache=True, nogil=True)
def _document_keys(
    paragraph_hashes: npt.NDArray[np.uint64], tokens: npt.NDArray[np.uint64]
) -> tuple[np.uint64, npt.NDArray[np.int32]]:
    """The exact-duplicate key (0 for an empty text) and the distinct word bins of a document."""
    key = np.uint64(0)
    for h in paragraph_hashes:
        if h != 0:
            key = (key ^ h) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    size = 1
    while size < 2 * tokens.shape[0] + 2:
        size *= 2
    seen = np.full(size, -1, dtype=np.int64)
    out = np.empty(tokens.shape[0], dtype=np.int32)
    count = 0
    for token in tokens:
        word_bin = np.int64(token & _WORD_MASK)
        slot = word_bin & (size - 1)  # bins are uniform hash bits already
        while seen[slot] != -1 and seen[slot] != word_bin:
            slot = (slot + 1) & (size - 1)
        if seen[slot] == -1:
            seen[slot] = word_bin
            out[count] = word_bin
            count += 1
    return key, out[:count]


def digest_stream(
    documents: Iterable[Document],
    config: ScanConfig,
    workers: int | None = None,
    spill: TextSpill | None = None,
    counts: ShingleCounts | None = None,
) -> Iterator[tuple[list[Document], Digest]]:
    """Digest ``documents`` in batches, in input order: ``(batch, digest)`` pairs.

    ``workers`` processes do the work (default: one per core); with one worker, or a stream of
    a single batch, everything runs in this process. Only digests (numbers and repeats) travel
    back. With a ``spill``, each document's text is appended to it (numbered in reading order)
    and workers read their batch's bytes from its file: texts are not pickled through a pipe,
    nor encoded twice. With ``counts``, the documents holding each 3-gram are counted there
    (:mod:`dedup.commonness`).
    """
    workers = workers or os.cpu_count() or 1
    batches = _batches(documents)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    if workers <= 1 or second is None:
        for batch in _chain(first, second, batches):
            if spill is not None:
                for document in batch:
                    spill.append(document.text)
            yield batch, digest_batch(batch, config, counts)
        return
    _warm_up(config)  # load compiled kernels once here, so forked workers start with them
    with forked_pool(workers, _start_worker, (counts,)) as pool:
        pending: list[tuple[list[Document], Future[Digest]]] = []
        for batch in _chain(first, second, batches):
            if spill is None:
                future = pool.submit(_digest_in_worker, _lean(batch), config)
            else:
                first_number = len(spill)
                for document in batch:
                    spill.append(document.text)
                spill.flush()
                start, byte_offsets = spill.byte_range(first_number, len(batch))
                names = [(d.id, d.ordinal) for d in batch]
                future = pool.submit(
                    _digest_spilled, spill.fileno(), start, byte_offsets, names, config
                )
            pending.append((batch, future))
            # Keep a bounded number of batches in flight: memory stays flat on any input.
            while len(pending) > 2 * workers:
                done_batch, done = pending.pop(0)
                yield done_batch, done.result()
        for done_batch, done in pending:
            yield done_batch, done.result()


_WORKER_COUNTS: ShingleCounts | None = None


def _start_worker(counts: ShingleCounts | None) -> None:
    """In each forked worker: count 3-grams into a table of its own (the pool forks, so
    ``counts`` and its shared memory are inherited, not pickled)."""
    global _WORKER_COUNTS
    start_forked_worker()
    _WORKER_COUNTS = counts
    if counts is not None:
        counts.claim()


def _digest_in_worker(documents: list[Document], config: ScanConfig) -> Digest:
    return digest_batch(documents, config, _WORKER_COUNTS)


def _digest_spilled(
    fd: int,
    start: int,
    byte_offsets: npt.NDArray[np.int64],
    names: list[tuple[str, int]],
    config: ScanConfig,
) -> Digest:
    """Digest a batch read from a spill file (a forked worker shares its descriptor)."""
    encoded = os.pread(fd, int(byte_offsets[-1]), start)
    return digest_encoded(encoded, byte_offsets, names, config, _WORKER_COUNTS)


def _warm_up(config: ScanConfig) -> None:
    # Not ASCII, so that the UTF-8 decoder is loaded too (ASCII batches skip it).
    sample = "Warm up the kernels.\n\nWarm up the kernels once more (تسخين), then fork."
    digest_batch([Document("warm-up", sample)], config)


def _lean(batch: list[Document]) -> list[Document]:
    """The fields a worker needs (ids, text, ordinal), without metadata to pickle."""
    return [Document(d.id, d.text, ordinal=d.ordinal) for d in batch]


def _batches(documents: Iterable[Document]) -> Iterator[list[Document]]:
    """``BATCH_SIZE`` documents at a time, fewer when their texts reach ``BATCH_CHARS``."""
    batch: list[Document] = []
    chars = 0
    for document in documents:
        batch.append(document)
        chars += len(document.text)
        if len(batch) >= BATCH_SIZE or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _chain(
    first: list[Document], second: list[Document] | None, rest: Iterator[list[Document]]
) -> Iterator[list[Document]]:
    yield first
    if second is not None:
        yield second
        yield from rest
