"""The archive index interface: what every backend stores and answers, and the shared encodings.

An archive index keeps, per document id: its MinHash signature (raw little-endian uint32), its
exact-duplicate key, its word count, source and date, and its text compressed with zstandard, so
that a match against the archive is verified exactly (:mod:`dedup.verify`), not only estimated.
The document and passage LSH band keys of each added batch are kept together as one segment
(:mod:`dedup.index.postings`). It also keeps the document frequency of every word bin (see
:class:`dedup.verify.DocumentFrequencies`) and of every counted 3-gram bin (see
:mod:`dedup.index.counts`), updated as documents come and go. Nothing is pickled.

Adding a batch is one atomic step: after a crash a batch is either all in or not at all. Adding
an id again replaces it (unchanged documents are left alone); removing it removes every trace.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import xxhash
import zstandard

from dedup.commonness import ARCHIVE_BITS, counted_bins
from dedup.config import MatchConfig
from dedup.digest import WORD_BINS_LOG2, Digest
from dedup.errors import BackendError
from dedup.index.postings import PostingSearch, Segment
from dedup.lsh import agreeing, band_key_matrix
from dedup.model import Document
from dedup.sketch import EMPTY
from dedup.text.analyze import analyze
from dedup.text.words import words_of_text
from dedup.unique import unique_values

__all__ = [
    "FORMAT_VERSION",
    "REBUILDABLE_VERSIONS",
    "ArchiveEntry",
    "ArchiveIndex",
    "ArchivedDocument",
    "IndexParams",
    "IndexStats",
    "bins_of",
    "count_changes",
    "entries_of",
    "redacted",
]

# Version of the stored layout; an index of another version is refused, never guessed at.
# 3: passage band keys (windows of 3-grams) where version 2 stored paragraph band keys.
# 4: the archive's 3-gram counts (dedup.index.counts). Removing a document re-analyzes its
# stored text to find what it counted: a change to the text analysis needs a new version.
# 5: the forms of heh (Kurdish, Persian, Urdu) normalize to one letter: signatures, keys and
# counts of texts holding them changed.
# 6: a word of a text written mostly in Chinese, Japanese or a Southeast Asian script is a run of
# characters (dedup.text.words): the word bins of such texts changed.
# 7: runs of such characters are words in any text, not only in one written mostly in them, and
# the digits of every script, variation selectors, traditional Chinese characters and Kurdish
# ێ ڵ ڕ ۆ ڤ normalize: word bins, signatures and counts of texts holding them changed.
FORMAT_VERSION = 7
# Versions whose stored documents `dedup index rebuild` reads into a new index of this one
# (their documents are stored as version 7 stores them; what is derived from them is not).
REBUILDABLE_VERSIONS = ("3", "4", "5", "6")

U8 = npt.NDArray[np.uint8]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

_WORD_MASK = np.uint64((1 << WORD_BINS_LOG2) - 1)
_ZSTD_LEVEL = 3


@dataclass(frozen=True, slots=True)
class IndexParams:
    """The settings an index was built with; signatures and keys only compare under equal ones."""

    num_perm: int
    seed: int
    bands: int
    rows: int
    passage_bands: int
    passage_rows: int
    passage_block: int
    word_bins_log2: int = WORD_BINS_LOG2

    @classmethod
    def of(cls, config: MatchConfig) -> IndexParams:
        return cls(
            config.num_perm,
            config.seed,
            config.bands,
            config.rows,
            config.passage_bands,
            config.passage_rows,
            config.passage_block,
        )

    def matching(self, config: MatchConfig) -> MatchConfig:
        """``config`` with these settings (an index built with it has them, bins aside)."""
        return replace(
            config,
            num_perm=self.num_perm,
            seed=self.seed,
            bands=self.bands,
            rows=self.rows,
            passage_bands=self.passage_bands,
            passage_rows=self.passage_rows,
            passage_block=self.passage_block,
        )

    def to_meta(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in self.__slots__}

    @classmethod
    def from_meta(cls, meta: dict[str, str], where: str) -> IndexParams:
        try:
            return cls(**{name: int(meta[name]) for name in cls.__slots__})
        except (KeyError, ValueError) as error:
            raise BackendError(f"{where}: index metadata is incomplete ({error})") from None


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One document as an index stores it (built by :func:`entries_of`)."""

    id: str
    text: str
    source: str | None
    date: str | None
    exact_key: int
    tokens: int
    signature: U32
    passage_keys: U64
    word_bins: I32
    shingle_bins: I32

    @property
    def content_hash(self) -> int:
        """A hash of text and metadata: re-adding an unchanged document is a no-op."""
        parts = (self.text, self.source or "", self.date or "")
        return signed64(xxhash.xxh3_64_intdigest("\x00".join(parts).encode("utf-8", "replace")))


@dataclass(frozen=True, slots=True)
class ArchivedDocument:
    """What :meth:`ArchiveIndex.fetch` returns for verification and reports."""

    id: str
    text: str
    source: str | None
    date: str | None
    exact_key: int
    tokens: int


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Size and settings of an index."""

    url: str
    backend: str
    format_version: int
    documents: int
    params: IndexParams

    def to_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "backend": self.backend,
            "format_version": self.format_version,
            "documents": self.documents,
            **{name: getattr(self.params, name) for name in IndexParams.__slots__},
        }


class ArchiveIndex(ABC):
    """A persistent archive of documents, queried by LSH band keys and verified exactly.

    Candidates are approximate (LSH): callers verify them with the texts :meth:`fetch` returns.
    """

    url: str
    params: IndexParams
    format_version: int = FORMAT_VERSION  # as stored: older when opened to be rebuilt
    created: bool = False  # whether opening it created it (a first `index add`, `check --add`)

    @property
    def where(self) -> str:
        """How messages name this index: its URL without a password (a SQLite index, by its
        path)."""
        return redacted(self.url)

    @abstractmethod
    def add(self, entries: Sequence[ArchiveEntry]) -> tuple[int, int]:
        """Add a batch atomically; ids already present are replaced (unchanged ones skipped).

        Returns ``(written, unchanged)``: how many entries were written and how many were
        already stored as they are.
        """

    @abstractmethod
    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id (atomically); returns how many were present."""

    @abstractmethod
    def stats(self) -> IndexStats:
        """Number of documents, format version and settings."""

    @abstractmethod
    def drop_if_empty(self) -> bool:
        """Delete the index, and close it, if it holds no document: a first add that failed
        before any batch was committed leaves nothing behind. Returns whether it was dropped."""

    @abstractmethod
    def drop(self) -> None:
        """Delete the whole index, documents and all, and close it (a rebuild that failed)."""

    def candidates(
        self,
        document_keys: U64,
        passage_keys: U64,
        passage_owners: I64,
        max_passage_bucket: int | None = None,
        signatures: U32 | None = None,
        min_estimated_jaccard: float = 0.0,
    ) -> list[tuple[int, str]]:
        """Archived documents sharing a band with query rows: sorted unique ``(row, id)``.

        ``document_keys`` is ``(rows, bands)`` (row ``k`` is query document ``k``; rows of zeros
        are skipped); ``passage_keys`` is ``(passages, passage_bands)`` with the query
        row of each passage in ``passage_owners``. A passage key shared by more than
        ``max_passage_bucket`` archived documents is boilerplate and proposes nothing.

        With the query's ``signatures``, a pair found by a document band only counts when the
        two signatures agree on at least ``min_estimated_jaccard`` of their values (one band of
        two rows is weak evidence: as ``scan`` does).
        """
        search = PostingSearch(document_keys, passage_keys, passage_owners, max_passage_bucket)
        for segment in self._segments():
            search.feed(segment)
        by_document, by_passage = search.document_pairs(), search.passage_pairs()
        numbers = unique_values(np.concatenate([by_document[:, 1], by_passage[:, 1]]))
        stored = self._documents_of(numbers)
        if signatures is not None and min_estimated_jaccard > 0 and len(by_document):
            by_document = by_document[[n in stored for n in by_document[:, 1].tolist()]]
            blobs = [stored[n][1] for n in by_document[:, 1].tolist()]
            if any(len(blob) != 4 * self.params.num_perm for blob in blobs):
                raise BackendError(f"{self.where}: a stored signature is damaged")
            archived = np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(by_document), -1)
            in_order = np.stack([by_document[:, 0], np.arange(len(by_document))], axis=1)
            by_document = by_document[
                agreeing(signatures, archived.astype(np.uint32), in_order, min_estimated_jaccard)
            ]
        # A number not stored was removed after its segment was read: it matches nothing.
        found = {
            (row, stored[n][0])
            for pairs in (by_document, by_passage)
            for row, n in pairs.tolist()
            if n in stored
        }
        return sorted(found)

    @abstractmethod
    def _segments(self) -> Iterator[Segment]:
        """Every stored segment (see :mod:`dedup.index.postings`), read in a stream."""

    @abstractmethod
    def _documents_of(self, numbers: I64) -> dict[int, tuple[str, bytes]]:
        """Id and stored signature (raw) of the documents ``numbers`` (absent ones left out)."""

    @abstractmethod
    def exact_matches(self, exact_keys: Sequence[int]) -> list[tuple[int, str]]:
        """Archived documents whose exact-duplicate key equals query ``k``'s: ``(k, id)``."""

    @abstractmethod
    def fetch(self, ids: Sequence[str]) -> dict[str, ArchivedDocument]:
        """The stored documents of ``ids`` (absent ids are left out)."""

    @abstractmethod
    def frequencies(self, bins: I64) -> tuple[npt.NDArray[np.int64], int]:
        """Document frequencies of word ``bins`` and the number of documents counted."""

    @abstractmethod
    def shingle_counts(self) -> U8:
        """How many documents hold each counted 3-gram bin (see :mod:`dedup.index.counts`)."""

    @abstractmethod
    def stored_documents(self, batch_size: int) -> Iterator[list[ArchivedDocument]]:
        """Every stored document in the order they were added, ``batch_size`` at a time (what
        a rebuild reads: an index of a version in ``REBUILDABLE_VERSIONS`` reads too)."""

    @abstractmethod
    def recount(self) -> int:
        """Count the 3-grams again from the stored texts, replacing the counts; returns how
        many documents were counted."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> ArchiveIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def check_params(self, config: MatchConfig) -> None:
        """Raise BackendError unless ``config`` signs and bands as this index does."""
        wanted = IndexParams.of(config)
        if wanted != self.params:
            raise BackendError(
                f"{self.where}: index was built with {self.params.to_meta()}, "
                f"the settings asked for are {wanted.to_meta()}: use a new index"
            )

    def band_keys_of(self, entries: Sequence[ArchiveEntry]) -> U64:
        """Document band keys of ``entries``, one row each; a row of zeros for empty documents."""
        if not entries:
            return np.empty((0, self.params.bands), np.uint64)
        signatures = np.stack([entry.signature for entry in entries])
        keys: U64 = band_key_matrix(signatures, self.params.bands, self.params.rows)
        keys[(signatures == EMPTY).all(axis=1)] = 0
        return keys

    def segment_of(self, entries: Sequence[ArchiveEntry], numbers: Sequence[int]) -> Segment:
        """The band keys of ``entries``, stored as documents ``numbers``, as one segment."""
        keys = self.band_keys_of(entries)
        width = self.params.passage_bands
        parts = [entry.passage_keys.reshape(-1, width) for entry in entries]
        counts = [len(part) for part in parts]
        passage_keys = np.concatenate(parts) if sum(counts) else np.empty((0, width), np.uint64)
        number_array = np.asarray(numbers, dtype=np.int64)
        return Segment.build(number_array, keys, np.repeat(number_array, counts), passage_keys)


def entries_of(batch: Sequence[Document], digest: Digest) -> list[ArchiveEntry]:
    """Index entries of a digested batch (the digest of ``batch``, row for row)."""
    rows_of: dict[int, list[int]] = {}
    for position, row in enumerate(digest.passage_owners.tolist()):
        rows_of.setdefault(row, []).append(position)
    bands = digest.passage_keys.shape[1] if digest.passage_keys.ndim == 2 else 0
    # The digest counted each document's distinct word and 3-gram bins already: split them,
    # don't re-analyze.
    word_bins = np.split(digest.word_bins, np.cumsum(digest.word_bin_counts)[:-1])
    if len(digest.shingle_bin_counts) != len(batch):
        raise ValueError(
            "the digest holds no 3-gram bins: digest with "
            "ScanConfig(find_matches=True, shingle_bins=True) to index the batch"
        )
    shingle_bins = np.split(digest.shingle_bins, np.cumsum(digest.shingle_bin_counts)[:-1])
    entries: list[ArchiveEntry] = []
    for row, document in enumerate(batch):
        positions = rows_of.get(row, [])
        passage_keys = (
            digest.passage_keys[positions] if positions else np.empty((0, bands), dtype=np.uint64)
        )
        entries.append(
            ArchiveEntry(
                id=document.id,
                text=document.text,
                source=document.source,
                date=document.date,
                exact_key=signed64(int(digest.exact_keys[row])),
                tokens=int(digest.token_counts[row]),
                signature=np.ascontiguousarray(digest.signatures[row], dtype=np.uint32),
                passage_keys=np.ascontiguousarray(passage_keys, dtype=np.uint64),
                word_bins=np.sort(word_bins[row]),
                shingle_bins=shingle_bins[row],
            )
        )
    return entries


def bins_of(text: str) -> tuple[I32, I32]:
    """The distinct word bins and counted 3-gram bins of ``text``, as
    :func:`dedup.digest.digest_batch` finds them (what removing it takes from the counts)."""
    shingles = analyze(text).shingles
    word_bins = unique_values((words_of_text(text, shingles.tokens) & _WORD_MASK).astype(np.int32))
    hashes = np.ascontiguousarray(shingles.hashes, dtype=np.uint32)
    shingle_bins, _ = counted_bins(hashes, np.array([0, len(hashes)], np.int64), ARCHIVE_BITS)
    return word_bins, shingle_bins


def signed64(value: int) -> int:
    """An unsigned 64-bit integer as the signed one with the same bits (SQLite's INTEGER)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def compress_text(text: str) -> bytes:
    return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(
        text.encode("utf-8", "surrogatepass")
    )


def decompress_text(data: bytes, where: str) -> str:
    """A stored text; a damaged one is a BackendError naming the index, not a traceback."""
    try:
        return zstandard.ZstdDecompressor().decompress(data).decode("utf-8", "surrogatepass")
    except (zstandard.ZstdError, UnicodeDecodeError) as error:
        raise BackendError(f"{where}: a stored text is damaged ({error})") from None


def dedupe_last(entries: Sequence[ArchiveEntry]) -> list[ArchiveEntry]:
    """Entries with one per id, the last given winning (a batch may name an id twice)."""
    last = {entry.id: position for position, entry in enumerate(entries)}
    return [entry for position, entry in enumerate(entries) if last[entry.id] == position]


def bin_deltas(added: Sequence[I32], removed: Sequence[I32]) -> tuple[I64, I64]:
    """Net change of document frequency per bin: ``(bins, deltas)``, zero deltas left out."""
    parts = [np.asarray(b, dtype=np.int64) for b in (*added, *removed)]
    values = np.concatenate(parts) if parts else np.empty(0, np.int64)
    if not len(values):
        return values, np.empty(0, np.int64)
    if not removed:  # the common case, and a plain sort is five times faster than np.unique
        values.sort()
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        return values[starts], np.diff(np.append(starts, len(values)))
    signs = np.concatenate(
        [np.ones(len(b), np.int64) for b in added] + [-np.ones(len(b), np.int64) for b in removed]
    )
    bins, inverse = np.unique(values, return_inverse=True)
    deltas = np.bincount(inverse, weights=signs, minlength=len(bins)).astype(np.int64)
    keep = deltas != 0
    return bins[keep], deltas[keep]


def count_changes(
    added: Sequence[ArchiveEntry], removed: Sequence[tuple[I32, I32]]
) -> tuple[tuple[I64, I64], tuple[I64, I64]]:
    """The net changes (:func:`bin_deltas`) of the word bins and of the counted 3-gram bins
    when ``added`` come in and documents of ``removed`` (word bins, 3-gram bins) leave."""
    words = bin_deltas([e.word_bins for e in added], [w for w, _ in removed])
    grams = bin_deltas([e.shingle_bins for e in added], [g for _, g in removed])
    return words, grams


def redacted(url: str) -> str:
    """``url`` as messages and reports show it: without its password, in the address or in
    the query (``?password=``, as redis-py also reads it), for CI logs keep what they print."""
    parts = urlsplit(url)
    shown = url
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        shown = shown.replace(parts.netloc, f"{parts.username or ''}:***@{host}", 1)
    if parts.query:
        query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
        shown = shown.replace(f"?{parts.query}", f"?{query}", 1)
    return shown


def version_error(where: str, version: str | None, to_rebuild: bool) -> BackendError | None:
    """The error opening an index of format ``version`` raises, if any (``to_rebuild``: opened
    only to read its stored documents)."""
    if version == str(FORMAT_VERSION) or (to_rebuild and version in REBUILDABLE_VERSIONS):
        return None
    if version in REBUILDABLE_VERSIONS:
        how = "rebuild it into a new index with `dedup index rebuild OLD NEW`"
    elif version is not None and version.isdigit() and int(version) > FORMAT_VERSION:
        how = "a newer dedup wrote it: upgrade dedup to read it"
    else:
        how = "add its documents to a new index with `dedup index add`"
    return BackendError(
        f"{where}: index format version {version}, this dedup reads version {FORMAT_VERSION}: "
        + how
    )
