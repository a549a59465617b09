"""The CI gate: add documents to an archive index, and check a new batch against it.

``check`` reports the batch's own findings (repeats, near-duplicates, partial copies: the same as
``scan``) and every document of the batch that copies an archived document. Archive candidates
come from LSH band keys (document bands and passage bands, as in ``scan``) and exact-duplicate
keys; each is verified exactly with the archived text (:mod:`dedup.verify`).

Document frequencies (the rarity weights of words) are the archive's per-bin counts plus the
batch's, as if the batch were already added: the same weights a ``scan`` of archive and batch
together would use. So are the 3-gram counts that tell a shared formula from a copy
(:mod:`dedup.commonness`, :mod:`dedup.index.counts`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from dedup import profile_cache
from dedup.commonness import ShingleCounts, add_to_table
from dedup.config import ScanConfig
from dedup.corpus import scan_documents
from dedup.dates import parse_date, within_window
from dedup.digest import WORD_BINS_LOG2, Digest, digest_stream
from dedup.errors import ConfigError, InputError
from dedup.index import open_index
from dedup.index.base import ArchivedDocument, ArchiveIndex, bin_deltas, entries_of, signed64
from dedup.io.readers import DocumentReader
from dedup.lsh import band_key_matrix
from dedup.memory import trim_heap
from dedup.model import ArchiveDirection, ArchiveMatch, CheckReport, Document, archive_order
from dedup.pool import forked_pool
from dedup.profile_cache import ProfileCache, runs_within
from dedup.unique import unique_values
from dedup.verify import (
    EXACT_SCORES,
    DocumentFrequencies,
    Profile,
    align_paragraphs,
    classify,
    measure,
    profile,
    profiles_of,
)

__all__ = [
    "AddResult",
    "CheckConfig",
    "add",
    "add_documents",
    "check",
    "check_documents",
]

_FETCH_CHUNK = 256
_PAIRS_PER_TASK = 512


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """How to check a batch: the scan settings, and whether to add the accepted documents."""

    scan: ScanConfig = field(default_factory=ScanConfig)
    add: bool = False
    workers: int | None = None
    # Read the matched archived documents' texts back from the index, for reports that show
    # them beside the batch's (the HTML one); a CI gate that prints annotations needs none.
    archived_texts: bool = True


@dataclass(slots=True)
class AddResult:
    """What an add did: documents read, written (new or changed), unchanged, skipped as bad;
    how many records had no id, stored by their file and line (``positional``, the first one's
    id ``first_positional``)."""

    documents: int = 0
    written: int = 0
    unchanged: int = 0
    skipped: int = 0
    index_documents: int = 0
    positional: int = 0
    first_positional: str | None = None


def add(
    index: ArchiveIndex,
    inputs: Iterable[str],
    config: ScanConfig | None = None,
    batch_size: int = 256,
    workers: int | None = None,
) -> AddResult:
    """Add the documents of ``inputs`` to ``index``, ``batch_size`` per transaction."""
    config = config or ScanConfig()
    reader = DocumentReader(inputs, config.read)
    result = add_documents(index, reader, config, batch_size, workers)
    result.skipped = reader.skipped
    return result


def add_documents(
    index: ArchiveIndex,
    documents: Iterable[Document],
    config: ScanConfig | None = None,
    batch_size: int = 256,
    workers: int | None = None,
) -> AddResult:
    """Add ``documents`` to ``index``; each run of ``batch_size`` is added atomically."""
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size} (--batch-size)")
    config = _matching(config or ScanConfig())
    index.check_params(config.matches)
    result = AddResult()
    for batch, digest in digest_stream(documents, config, workers):
        entries = entries_of(batch, digest)
        result.documents += len(entries)
        for document in batch:
            if document.positional_id:
                result.positional += 1
                result.first_positional = result.first_positional or document.id
        for start in range(0, len(entries), batch_size):
            written, unchanged = index.add(entries[start : start + batch_size])
            result.written += written
            result.unchanged += unchanged
    result.index_documents = index.stats().documents
    return result


def check(
    index: ArchiveIndex, inputs: Iterable[str], config: CheckConfig | None = None
) -> CheckReport:
    """Check the documents of ``inputs`` against ``index`` and against each other."""
    config = config or CheckConfig()
    config.scan.check_fields()
    reader = DocumentReader(inputs, config.scan.read)
    report = check_documents(index, list(reader), config)
    report.skipped = reader.skipped
    return report


def check_documents(
    index: ArchiveIndex, documents: Sequence[Document], config: CheckConfig | None = None
) -> CheckReport:
    """Check ``documents`` (one batch, held in memory) against ``index`` and each other.

    With ``config.add``, the documents that are not near-duplicates (of the archive, or of a
    batch document kept in their place) are added to the index afterwards.
    """
    config = config or CheckConfig()
    scan_config = config.scan
    index.check_params(scan_config.matches)
    if config.add:
        _refuse_positional_ids(documents, scan_config.read.id_field)
    digests: list[tuple[list[Document], Digest]] = []
    batch = scan_documents(
        documents,
        replace(scan_config, shingle_bins=True),  # what the index and the archive check count
        config.workers,
        on_digest=lambda b, d: digests.append((b, d)),
    )
    report = CheckReport(
        documents=batch.documents,
        bytes_read=batch.bytes_read,
        repeats=batch.repeats,
        matches=batch.matches,
        clusters=batch.clusters,
        texts=batch.texts,
        archive_documents=index.stats().documents,
    )
    if not scan_config.find_matches:  # the scan's digests hold no signatures: digest for them
        digests = list(digest_stream(documents, _matching(scan_config), config.workers))
    entries = [entry for batch_docs, digest in digests for entry in entries_of(batch_docs, digest)]
    if scan_config.find_matches and report.archive_documents and documents:
        report.archive_matches = _ArchiveCheck(
            index, documents, digests, scan_config, config.workers
        ).run()
    near_archive = {m.ordinal for m in report.archive_matches if m.kind == "near_duplicate"}
    copies = {
        ordinal
        for cluster in report.clusters
        for ordinal in cluster.ordinals
        if ordinal != cluster.keep_ordinal
    }
    report.duplicates = sorted(near_archive | copies)
    wanted = {m.ordinal for m in report.archive_matches}
    wanted.update(r.ordinal for r in report.repeats)
    for match in report.matches:
        wanted.update((match.a_ordinal, match.b_ordinal))
    report.locations = {d.ordinal: (d.path, d.line) for d in documents if d.ordinal in wanted}
    # Before the add, which replaces an archived document by a batch document of its id.
    if config.archived_texts:
        _keep_archive_texts(report, documents, index, scan_config)
    if config.add:
        rejected = set(report.duplicates)
        accepted = [
            entry
            for document, entry in zip(documents, entries, strict=True)
            if document.ordinal not in rejected
        ]
        for start in range(0, len(accepted), 256):
            report.added += index.add(accepted[start : start + 256])[0]
    return report


def _keep_archive_texts(
    report: CheckReport, documents: Sequence[Document], index: ArchiveIndex, config: ScanConfig
) -> None:
    """Keep the texts of archive matches for side-by-side views, in the order reports show
    them, within what ``config.report_texts`` and ``report_chars`` leave after the batch's own
    findings: the batch document's from memory, the archived one's read back from the index,
    a chunk of ids per read (verification read them already, and let them go)."""
    count = len(report.texts)
    chars = sum(len(t) for t in report.texts.values())
    ordered = sorted(report.archive_matches, key=archive_order)
    for start in range(0, len(ordered), _FETCH_CHUNK):
        if count >= config.report_texts or chars >= config.report_chars:
            return
        chunk = ordered[start : start + _FETCH_CHUNK]
        archived = index.fetch(
            [m.archived for m in chunk if m.archived not in report.archived_texts]
        )
        for match in chunk:
            found = archived.get(match.archived)
            for texts, key, text in (
                (report.texts, match.doc, documents[match.ordinal].text),
                (report.archived_texts, match.archived, found.text if found else None),
            ):
                if count >= config.report_texts or chars >= config.report_chars:
                    return
                if text is not None and key not in texts:
                    texts[key] = text
                    count += 1
                    chars += len(text)


def _refuse_positional_ids(documents: Sequence[Document], id_field: str) -> None:
    """A CI job checks each scrape in one file (``data/batch.jsonl``): ids made of the file and
    line would name other documents in every batch, and each add would replace the last one's
    documents, unchecked against them."""
    for document in documents:
        if document.positional_id:
            raise InputError(
                f"no {id_field!r} field: --add stores documents by id, and an id made of the "
                f"file and line ({document.id}) names another document in the next batch "
                "(give each record an id, see --id-field, or check without --add)",
                document.path,
                document.line,
            )


def _matching(config: ScanConfig) -> ScanConfig:
    """``config`` with only what an index needs computed (signatures and keys, not repeats)."""
    return ScanConfig(
        read=config.read,
        repeats=config.repeats,
        matches=config.matches,
        find_repeats=False,
        find_matches=True,
        shingle_bins=True,
    )


class _ArchiveCheck:
    """Candidates of a batch in the archive, verified; one instance per check."""

    def __init__(
        self,
        index: ArchiveIndex,
        documents: Sequence[Document],
        digests: list[tuple[list[Document], Digest]],
        config: ScanConfig,
        workers: int | None = None,
    ) -> None:
        self.index = index
        self.pid = os.getpid()
        self.workers = workers
        self.documents = documents
        self.config = config.matches
        self.digests = digests
        self.tokens = np.concatenate([d.token_counts for _, d in digests])
        self.exact_keys = np.concatenate([d.exact_keys for _, d in digests])
        self.frequencies = DocumentFrequencies(bins_log2=WORD_BINS_LOG2)
        for batch, digest in digests:
            self.frequencies.add_bins(digest.word_bins, len(batch))
        self.loaded = np.zeros(len(self.frequencies.counts), dtype=bool)
        # Archived documents' profiles by id, the batch's by row: half the budget each.
        self.profiles: ProfileCache[str] = ProfileCache(chars=profile_cache.PROFILE_CHARS // 2)
        self.batch_profiles: ProfileCache[int] = ProfileCache(
            chars=profile_cache.PROFILE_CHARS // 2
        )
        self.counts: ShingleCounts | None = None

    def run(self) -> list[ArchiveMatch]:
        pairs = self._candidates()
        if pairs:
            self.counts = self._shingle_counts()
        archive_documents = self.index.stats().documents
        self.frequencies.documents = archive_documents + len(self.documents)
        chunks = [pairs[k : k + _PAIRS_PER_TASK] for k in range(0, len(pairs), _PAIRS_PER_TASK)]
        workers = min(self.workers or os.cpu_count() or 1, len(chunks))
        matches: list[ArchiveMatch] = []
        if workers <= 1:
            for chunk in chunks:
                matches.extend(self.verify_chunk(chunk))
        else:
            # Forked workers share this object (profiles, frequencies loaded so far); each
            # opens its own connection to the index, since a connection does not survive a fork.
            global _CHECKING
            _CHECKING = self
            trim_heap()  # the candidate search's freed heap: each worker would count it too
            try:
                with forked_pool(workers) as pool:
                    for found in pool.map(_verify_in_worker, chunks):
                        matches.extend(found)
            finally:
                _CHECKING = None
        matches.sort(key=lambda m: (m.ordinal, m.archived))
        return matches

    def verify_chunk(self, pairs: list[tuple[int, str, bool]]) -> list[ArchiveMatch]:
        """Fetch the archived documents of ``pairs`` and verify each pair."""
        matches: list[ArchiveMatch] = []
        for start in range(0, len(pairs), _FETCH_CHUNK):
            chunk = pairs[start : start + _FETCH_CHUNK]
            archived = self.index.fetch([doc_id for _, doc_id, _ in chunk])
            # Profiled together in pieces that fill half of each cache at most.
            lengths = {(row, ""): len(self.documents[row].text) for row, _, _ in chunk}
            for _, doc_id, _ in chunk:
                found = archived.get(doc_id)
                lengths[-1, doc_id] = len(found.text) if found is not None else 0
            for piece in runs_within(
                chunk, _profiled_keys, lengths.__getitem__, self.profiles.chars // 2
            ):
                self._prefetch(piece, archived)
                for row, doc_id, exact in piece:
                    found = archived.get(doc_id)
                    if found is None:
                        continue  # removed meanwhile
                    match = self._verify(row, found, exact)
                    if match is not None:
                        matches.append(match)
        return matches

    def _candidates(self) -> list[tuple[int, str, bool]]:
        """Sorted ``(row, archived id, exact)`` pairs, without a document paired with its own id."""
        config = self.config
        eligible = self.tokens >= config.min_tokens
        signatures = np.concatenate([d.signatures for _, d in self.digests])
        keys = band_key_matrix(signatures, config.bands, config.rows)
        keys[~eligible] = 0
        offsets = np.cumsum([0] + [len(batch) for batch, _ in self.digests])
        passage_keys = [d.passage_keys for _, d in self.digests if len(d.passage_owners)]
        passage_owners = [
            d.passage_owners + offsets[k]
            for k, (_, d) in enumerate(self.digests)
            if len(d.passage_owners)
        ]
        found = set(
            self.index.candidates(
                keys,
                np.concatenate(passage_keys)
                if passage_keys
                else np.empty((0, config.passage_bands), np.uint64),
                np.concatenate(passage_owners) if passage_owners else np.empty(0, np.int64),
                config.max_passage_bucket,
                signatures,
                config.min_estimated_jaccard,
            )
        )
        exact = set(self.index.exact_matches([signed64(k) for k in self.exact_keys.tolist()]))
        pairs = {(row, doc_id, (row, doc_id) in exact) for row, doc_id in found | exact}
        return sorted(p for p in pairs if p[1] != self.documents[p[0]].id)

    def _verify(self, row: int, archived: ArchivedDocument, exact: bool) -> ArchiveMatch | None:
        document = self.documents[row]
        if exact:
            return self._match(document, archived, "near_duplicate", None, dict(EXACT_SCORES), ())
        config = self.config
        if archived.tokens < config.min_tokens or self.tokens[row] < config.min_tokens:
            return None
        if not _within_window(document.date, archived.date, config.window_days):
            return None
        new = self.batch_profiles.get(row)
        if new is None:
            new = profile(document.text)
            self.batch_profiles.put(row, new)
        old = self._archived_profile(archived)
        self._load_frequencies(new, old)
        scores = measure(new, old, self.frequencies, config, self.counts)
        verdict = classify(scores, config)
        if verdict is None:
            return None
        kind, direction = verdict
        mapped: ArchiveDirection | None = None
        if direction is not None:
            mapped = "doc_in_archived" if direction == "a_in_b" else "archived_in_doc"
        return self._match(document, archived, kind, mapped, scores, align_paragraphs(new, old))

    def _match(
        self,
        document: Document,
        archived: ArchivedDocument,
        kind: Literal["near_duplicate", "partial"],
        direction: ArchiveDirection | None,
        scores: dict[str, float],
        aligned: tuple[tuple[int, int, float], ...],
    ) -> ArchiveMatch:
        return ArchiveMatch(
            document.id,
            archived.id,
            kind,
            direction,
            dict(scores),
            aligned,
            document.ordinal,
            document.path,
            document.line,
        )

    def _shingle_counts(self) -> ShingleCounts:
        """The archive's 3-gram counts with the batch's added, as if it were archived."""
        table = self.index.shingle_counts()
        add_to_table(table, *bin_deltas([d.shingle_bins for _, d in self.digests], []))
        return ShingleCounts.of_totals(table)

    def _prefetch(
        self, pairs: list[tuple[int, str, bool]], archived: dict[str, ArchivedDocument]
    ) -> None:
        """Profile the documents of ``pairs`` not profiled yet, together in one batch."""
        unverified = [(row, doc_id) for row, doc_id, exact in pairs if not exact]
        # Those cached already are marked as used, so that the new ones do not push them out.
        rows = [
            r for r in dict.fromkeys(r for r, _ in unverified) if self.batch_profiles.get(r) is None
        ]
        ids = [
            i
            for i in dict.fromkeys(i for _, i in unverified)
            if i in archived and self.profiles.get(i) is None
        ]
        texts = [self.documents[r].text for r in rows] + [archived[i].text for i in ids]
        found = profiles_of(texts)
        for row, batch_profile in zip(rows, found[: len(rows)], strict=True):
            self.batch_profiles.put(row, batch_profile)
        for doc_id, archived_profile in zip(ids, found[len(rows) :], strict=True):
            self.profiles.put(doc_id, archived_profile)

    def _archived_profile(self, archived: ArchivedDocument) -> Profile:
        cached = self.profiles.get(archived.id)
        if cached is None:
            cached = profile(archived.text)
            self.profiles.put(archived.id, cached)
        return cached

    def _load_frequencies(self, *profiles: Profile) -> None:
        """Add the archive's counts of the profiles' word bins not loaded yet."""
        mask = self.frequencies.mask
        bins = unique_values(
            np.concatenate([(p.token_set & mask).astype(np.int64) for p in profiles])
        )
        bins = bins[~self.loaded[bins]]
        if len(bins):
            counts, _ = self.index.frequencies(bins)
            self.frequencies.counts[bins] += counts.astype(np.uint32)
            self.loaded[bins] = True


_CHECKING: _ArchiveCheck | None = None


def _profiled_keys(pair: tuple[int, str, bool]) -> tuple[tuple[int, str], ...]:
    """The batch document and the archived one of a candidate pair, as keys of
    :func:`dedup.profile_cache.runs_within`; none for an exact pair, which is not profiled."""
    row, doc_id, exact = pair
    return () if exact else ((row, ""), (-1, doc_id))


def _verify_in_worker(pairs: list[tuple[int, str, bool]]) -> list[ArchiveMatch]:
    """Verify archive pairs in a forked worker (see ``_ArchiveCheck.run``)."""
    checking = _CHECKING
    assert checking is not None, "forked from a running check"
    if checking.pid != os.getpid():
        checking.index = open_index(checking.index.url, create=False)
        checking.pid = os.getpid()
    return checking.verify_chunk(pairs)


def _within_window(a: str | None, b: str | None, window_days: float | None) -> bool:
    return within_window(_instant(a), _instant(b), window_days)


def _instant(value: str | None) -> float:
    date = None if value is None else parse_date(value)
    return float("nan") if date is None else date
