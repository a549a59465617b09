"""The scan pipeline: repeats inside each document, then copies across documents.

One streaming pass reads each document once: worker processes find the document's repeats, count
its words for the document frequencies and sign its 3-grams (:mod:`dedup.digest`); this process
spills its text to a temporary file. Memory then holds signatures and a few numbers per
document, not the texts (but for those a report keeps for side-by-side views, within
``ScanConfig.report_texts`` and ``report_chars``). After the pass, LSH banding proposes
candidate pairs, exact measures decide them (texts are read back from the spill), and
clustering groups the copies.
"""

from __future__ import annotations

import functools
import gc
import itertools
import math
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from dedup.cluster import cluster_pairs, representative
from dedup.commonness import ShingleCounts, table_bits
from dedup.config import MatchConfig, ScanConfig
from dedup.dates import parse_date, within_window
from dedup.digest import WORD_BINS_LOG2, Digest, digest_stream
from dedup.io.readers import DocumentReader
from dedup.io.spill import ColumnSpill, TextSpill
from dedup.lsh import agreeing, candidate_pairs, pairs_sharing_keys
from dedup.memory import concatenate_releasing, start_forked_worker, trim_heap
from dedup.model import Cluster, Document, Match, MatchKind, Repeat, Report
from dedup.pool import forked_pool
from dedup.profile_cache import ProfileCache, runs_within
from dedup.repeats import removed_side
from dedup.unique import unique_pairs
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

__all__ = ["scan", "scan_documents"]


Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(stage, done, total)``: stage ``"reading"`` (documents read, total
unknown) or ``"verifying"`` (candidate pairs verified of ``total``)."""


def scan(
    inputs: Iterable[str], config: ScanConfig | None = None, progress: Progress | None = None
) -> Report:
    """Scan files, folders or ``-`` (JSONL on stdin) and return everything found."""
    config = config or ScanConfig()
    config.check_fields()
    reader = DocumentReader(inputs, config.read)
    report = scan_documents(reader, config, progress=progress, text_bytes=reader.expected_bytes())
    report.skipped = reader.skipped
    report.errors = reader.errors
    return report


def scan_documents(
    documents: Iterable[Document],
    config: ScanConfig | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_digest: Callable[[list[Document], Digest], None] | None = None,
    text_bytes: int | None = None,
) -> Report:
    """Scan documents already in memory (or any iterable of them).

    ``workers`` processes digest the documents (default: one per core); ``progress`` is told
    how far the scan is; ``on_digest`` receives each batch with its digest, in order (the
    archive check indexes them without digesting twice). ``text_bytes``, about how much text
    there is (of a list, its texts' length), sizes the 3-gram count tables
    (:func:`dedup.commonness.table_bits`).

    Each document's ``ordinal`` is set to its position among ``documents`` (findings and
    clusters refer to documents by it). The cyclic garbage collector is paused while it runs
    (for the whole process, other threads and the callbacks included) and turned back on after,
    if it was on.
    """
    config = config or ScanConfig()
    if text_bytes is None and isinstance(documents, Sequence):
        text_bytes = sum(len(d.text) for d in documents)
    report = Report()
    corpus = _Corpus(config.matches, progress=progress, workers=workers)
    kept = _KeptTexts(report.texts, config)
    with _no_cycle_collection(), corpus:
        spill = corpus.spill if config.find_matches else None
        if config.find_matches:
            corpus.counts = ShingleCounts(workers, table_bits(text_bytes))
        numbered = _numbered(documents)
        for batch, digest in digest_stream(numbered, config, workers, spill, corpus.counts):
            if progress is not None:
                progress("reading", report.documents + len(batch), None)
            if on_digest is not None:
                on_digest(batch, digest)
            report.documents += len(batch)
            report.bytes_read += sum(len(d.text) for d in batch)
            report.repeats.extend(digest.repeats)
            if digest.repeats:
                by_ordinal = {d.ordinal: d for d in batch}
                for repeat in digest.repeats:
                    kept.keep(repeat.doc, by_ordinal[repeat.ordinal].text)
            if config.find_matches:
                corpus.add(batch, digest)
        if corpus.counts is not None:
            corpus.counts.finish()
        if config.find_matches:
            report.matches, report.clusters = corpus.find_copies()
            corpus.keep_texts(report, kept)
    return report


def _numbered(documents: Iterable[Document]) -> Iterator[Document]:
    for ordinal, document in enumerate(documents):
        document.ordinal = ordinal
        yield document


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector for the pass. Nearly everything the pass allocates
    (documents' fields, digests, matches) lives to its end, so the collector's full passes over
    the growing heap free nothing: they took 0.25 s of a 10 s scan of 100k documents, and
    pausing them left the peak memory as it was. Forked workers turn it back on
    (:func:`dedup.memory.start_forked_worker`)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True)
class _KeptTexts:
    """The texts a report keeps for side-by-side views (``texts``, the report's), while there
    are fewer than ``ScanConfig.report_texts`` of them holding fewer than ``report_chars``
    characters; the first text kept for a document stays."""

    texts: dict[str, str]
    config: ScanConfig
    chars: int = 0

    def room(self) -> bool:
        return len(self.texts) < self.config.report_texts and self.chars < self.config.report_chars

    def keep(self, doc_id: str, text: str) -> None:
        if doc_id not in self.texts and self.room():
            self.texts[doc_id] = text
            self.chars += len(text)


@dataclass(slots=True)
class _Corpus:
    """What the pass keeps of each document for matching, indexed by ordinal."""

    config: MatchConfig
    progress: Progress | None = None
    workers: int | None = None
    ids: list[str] = field(default_factory=list)
    ordinals: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    repeated_chars: dict[int, int] = field(default_factory=dict)  # of documents with repeats
    # Seconds since 1970 (dedup.dates), NaN where unknown.
    dates: array[float] = field(default_factory=lambda: array("d"))
    sources: list[str | None] = field(default_factory=list)
    exact_key_blocks: list[npt.NDArray[np.uint64]] = field(default_factory=list)
    eligible_blocks: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    exact_keys: npt.NDArray[np.uint64] = field(default_factory=lambda: np.empty(0, np.uint64))
    signature_blocks: list[npt.NDArray[np.uint32]] = field(default_factory=list)
    passage_keys: ColumnSpill | None = None
    passage_owner_blocks: list[npt.NDArray[np.int64]] = field(default_factory=list)
    frequencies: DocumentFrequencies = field(
        default_factory=lambda: DocumentFrequencies(bins_log2=WORD_BINS_LOG2)
    )
    spill: TextSpill = field(default_factory=TextSpill)
    counts: ShingleCounts | None = None
    profiles: ProfileCache[int] = field(default_factory=ProfileCache)

    def __enter__(self) -> _Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.spill.close()
        if self.passage_keys is not None:
            self.passage_keys.close()

    def add(self, batch: list[Document], digest: Digest) -> None:
        """Keep what matching needs of a digested batch (its texts are in the spill already:
        :func:`digest_stream` put them there)."""
        first_number = len(self.ids)
        for document in batch:
            self.ids.append(document.id)
            self.ordinals.append(document.ordinal)
            self.lengths.append(len(document.text))
            date = None if document.date is None else parse_date(document.date)
            self.dates.append(float("nan") if date is None else date)
            self.sources.append(document.source)
        self._count_out_repeats(batch, digest.repeats, first_number)
        self.exact_key_blocks.append(digest.exact_keys)
        self.eligible_blocks.append(digest.token_counts >= self.config.min_tokens)
        self.frequencies.add_bins(digest.word_bins, len(batch))
        self.signature_blocks.append(digest.signatures)
        if len(digest.passage_owners):
            # Several passages a document, 16 keys each: on disk until banding reads them back.
            if self.passage_keys is None:
                self.passage_keys = ColumnSpill(self.config.passage_bands)
            self.passage_keys.append(digest.passage_keys)
            self.passage_owner_blocks.append(digest.passage_owners + first_number)

    def _count_out_repeats(self, batch: list[Document], repeats: list[Repeat], first: int) -> None:
        """Count the characters of the repeats a clean corpus loses: a document's length, for
        ``--keep longest``, is that of its clean text (a lead printed twice makes an article
        no longer)."""
        numbers = {document.ordinal: first + i for i, document in enumerate(batch)}
        for ordinal, paragraph in {(r.ordinal, removed_side(r)[0]) for r in repeats}:
            number = numbers[ordinal]
            chars = paragraph.end - paragraph.start
            self.repeated_chars[number] = self.repeated_chars.get(number, 0) + chars

    def prefetch(self, numbers: Iterable[int]) -> None:
        """Profile, in one batch, the documents among ``numbers`` not in the cache yet (those
        in it are marked as used, so that the new ones do not push them out)."""
        missing = [n for n in dict.fromkeys(numbers) if self.profiles.get(n) is None]
        for number, found in zip(
            missing, profiles_of([self.spill.get(n) for n in missing]), strict=True
        ):
            self.profiles.put(number, found)

    def profile(self, number: int) -> Profile:
        cached = self.profiles.get(number)
        if cached is None:
            cached = profile(self.spill.get(number))
            self.profiles.put(number, cached)
        return cached

    def find_copies(self) -> tuple[list[Match], list[Cluster]]:
        count = len(self.ids)
        if count < 2:
            return [], []
        exact_groups = self._exact_groups()
        exact_group_of = {m: g for g, members in enumerate(exact_groups) for m in members}
        # One matrix, filled as the blocks are let go: at a million documents each copy is
        # half a gigabyte. Then the heap the reading stage freed goes back to the system.
        sigs = concatenate_releasing(self.signature_blocks)
        trim_heap()
        eligible = np.concatenate(self.eligible_blocks)
        pairs = candidate_pairs(sigs, self.config.bands, self.config.rows, eligible)
        if len(pairs) and self.config.min_estimated_jaccard > 0:
            # Two rows sharing one band of 2 are weak evidence: keep document-band pairs whose
            # signatures agree enough overall (passage-band pairs below are all kept).
            pairs = pairs[agreeing(sigs, sigs, pairs, self.config.min_estimated_jaccard)]
        del sigs  # not needed any more: let the passages have the memory
        if self.passage_keys is not None:
            owners = concatenate_releasing(self.passage_owner_blocks)
            keys = self.passage_keys
            columns = (keys.column(band) for band in range(self.config.passage_bands))
            passage_pairs = pairs_sharing_keys(columns, owners, self.config.max_passage_bucket)
            self.passage_keys = None
            keys.close()
            del owners
            pairs = unique_pairs(np.concatenate([pairs, passage_pairs]))
            del passage_pairs
        trim_heap()  # before verifiers are forked: each would count that heap as its own too
        to_verify = [
            (a, b)
            for a, b in pairs.tolist()
            if not (a in exact_group_of and exact_group_of[a] == exact_group_of.get(b))
            and self._within_window(a, b)
        ]
        matches = [m for m in self._verify_all(to_verify) if m is not None]
        number_of = {ordinal: number for number, ordinal in enumerate(self.ordinals)}
        near_pairs = [
            (number_of[m.a_ordinal], number_of[m.b_ordinal])
            for m in matches
            if m.kind == "near_duplicate"
        ]
        for members in exact_groups:
            for a, b in self._exact_links(members):
                near_pairs.append((a, b))
                matches.append(self._exact_match(a, b))
        matches.sort(key=lambda m: (m.a_ordinal, m.b_ordinal))
        clusters = self._clusters(near_pairs)
        return matches, clusters

    def keep_texts(self, report: Report, kept: _KeptTexts) -> None:
        """Keep the texts of matched documents, largest clusters first, as many as there is
        room for (renderers show findings side by side)."""
        number_of = {ordinal: number for number, ordinal in enumerate(self.ordinals)}
        wanted: list[int] = []
        for cluster in sorted(report.clusters, key=lambda c: (-len(c.members), c.id)):
            wanted.extend(cluster.ordinals)
        for match in report.matches:
            wanted.extend((match.a_ordinal, match.b_ordinal))
        for ordinal in wanted:
            if not kept.room():
                break
            number = number_of[ordinal]
            if self.ids[number] not in kept.texts:
                kept.keep(self.ids[number], self.spill.get(number))

    def _verify_all(self, pairs: list[tuple[int, int]]) -> list[Match | None]:
        """Verify candidate pairs, in order; on all cores when there are many.

        Workers are forked after the pass, so they share (copy-on-write) everything this object
        holds, the spill file included; each verifies a contiguous run of pairs, which keeps the
        documents it profiles in its own cache.
        """
        workers = min(self.workers or os.cpu_count() or 1, len(pairs) // _PAIRS_PER_TASK + 1)
        if workers <= 1:
            results: list[Match | None] = []
            for start in range(0, len(pairs), _PAIRS_PER_TASK):
                if self.progress is not None:
                    self.progress("verifying", start, len(pairs))
                results.extend(self._verify_run(pairs[start : start + _PAIRS_PER_TASK]))
            return results
        global _VERIFYING
        self.spill.flush()
        _VERIFYING = self
        try:
            chunks = [pairs[k : k + _PAIRS_PER_TASK] for k in range(0, len(pairs), _PAIRS_PER_TASK)]
            results = []
            with forked_pool(workers, start_forked_worker) as pool:
                for verdicts in pool.map(_verify_chunk, chunks):
                    results.extend(verdicts)
                    if self.progress is not None:
                        self.progress("verifying", len(results), len(pairs))
            return results
        finally:
            _VERIFYING = None

    def _exact_groups(self) -> list[list[int]]:
        """Documents identical after normalization (same exact key), in reading order."""
        self.exact_keys = np.concatenate(self.exact_key_blocks)
        self.exact_key_blocks = [self.exact_keys]
        numbers = np.flatnonzero(self.exact_keys)  # 0: an empty text, a copy of nothing
        keys = self.exact_keys[numbers]
        order = np.lexsort((numbers, keys))
        keys, numbers = keys[order], numbers[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        lengths = np.diff(np.r_[starts, len(keys)])
        groups = [
            numbers[s : s + n].tolist() for s, n in zip(starts, lengths, strict=True) if n > 1
        ]
        return sorted(groups)

    def _within_window(self, a: int, b: int) -> bool:
        return within_window(self.dates[a], self.dates[b], self.config.window_days)

    def _exact_links(self, members: list[int]) -> list[tuple[int, int]]:
        """The pairs that link an exact-duplicate group: each member to the first, or with a
        window, each dated member to the next one in time when they are that close (and an
        undated member, within any window, to the first)."""
        if self.config.window_days is None:
            return [(members[0], m) for m in members[1:]]
        unknown = [m for m in members if math.isnan(self.dates[m])]
        dated = sorted(set(members) - set(unknown), key=lambda m: (self.dates[m], m))
        links = [(a, b) for a, b in itertools.pairwise(dated) if self._within_window(a, b)]
        links = [(min(a, b), max(a, b)) for a, b in links]
        first = members[0]
        links += [(first, m) for m in unknown if m != first]
        if dated and first in unknown:
            links.append((min(first, dated[0]), max(first, dated[0])))
        return sorted(links)

    def _verify_run(self, pairs: list[tuple[int, int]]) -> list[Match | None]:
        """Verify a run of pairs, its documents profiled together first (in pieces that fill
        half the cache at most, when the documents are long)."""
        verdicts: list[Match | None] = []
        half = self.profiles.chars // 2
        numbers = {n for pair in pairs for n in pair}
        if sum(self.lengths[n] for n in numbers) <= half:  # news: the whole run, uncut
            pieces: Iterable[list[tuple[int, int]]] = [pairs]
        else:
            pieces = runs_within(pairs, lambda pair: pair, self.lengths.__getitem__, half)
        for piece in pieces:
            self.prefetch(n for pair in piece for n in pair)
            verdicts.extend(self._verify(a, b) for a, b in piece)
        return verdicts

    def _verify(self, a: int, b: int) -> Match | None:
        profile_a, profile_b = self.profile(a), self.profile(b)
        scores = measure(profile_a, profile_b, self.frequencies, self.config, self.counts)
        verdict = classify(scores, self.config)
        if verdict is None:
            return None
        kind, direction = verdict
        return self._match(a, b, kind, direction, scores, align_paragraphs(profile_a, profile_b))

    def _exact_match(self, a: int, b: int) -> Match:
        return self._match(a, b, "near_duplicate", None, dict(EXACT_SCORES), ())

    def _match(
        self,
        a: int,
        b: int,
        kind: MatchKind,
        direction: Literal["a_in_b", "b_in_a"] | None,
        scores: dict[str, float],
        aligned: tuple[tuple[int, int, float], ...],
    ) -> Match:
        return Match(
            self.ids[a],
            self.ids[b],
            kind,
            direction,
            scores,
            aligned,
            self.ordinals[a],
            self.ordinals[b],
        )

    def _clusters(self, near_pairs: list[tuple[int, int]]) -> list[Cluster]:
        config = self.config
        ranks = {source: rank for rank, source in enumerate(config.source_priority)}
        source_ranks = [ranks.get(s or "", len(ranks)) for s in self.sources]

        def choose(members: Sequence[int]) -> int:
            lengths = {m: self.lengths[m] - self.repeated_chars.get(m, 0) for m in members}
            return representative(members, config.keep, lengths, self.dates, source_ranks)

        @functools.cache
        def verdict(a: int, b: int) -> tuple[MatchKind, str | None] | None:
            if not self._within_window(a, b):
                return None
            if self.exact_keys[a] and self.exact_keys[a] == self.exact_keys[b]:
                return "near_duplicate", None
            scores = measure(
                self.profile(a), self.profile(b), self.frequencies, config, self.counts
            )
            return classify(scores, config)

        def are_copies(rep: int, member: int) -> bool:
            found = verdict(rep, member)
            return found is not None and found[0] == "near_duplicate"

        def are_related(rep: int, member: int) -> bool:
            # A copy, or a part of the kept document: clean drops the member, little is lost.
            found = verdict(rep, member)
            return found is not None and (found[0] == "near_duplicate" or found[1] == "b_in_a")

        clusters: list[Cluster] = []
        for number, (keep, members) in enumerate(
            cluster_pairs(near_pairs, choose, are_copies, are_related)
        ):
            sources = sorted({s for m in members if (s := self.sources[m])})
            dated = [m for m in members if not math.isnan(self.dates[m])]
            earliest = min(dated, key=lambda m: (self.dates[m], m)) if dated else None
            clusters.append(
                Cluster(
                    id=number,
                    members=tuple(self.ids[m] for m in members),
                    keep=self.ids[keep],
                    sources=tuple(sources),
                    syndicated=len(sources) > 1,
                    earliest=self.ids[earliest] if earliest is not None else None,
                    ordinals=tuple(self.ordinals[m] for m in members),
                    keep_ordinal=self.ordinals[keep],
                )
            )
        return clusters


_VERIFYING: _Corpus | None = None
_PAIRS_PER_TASK = 512


def _verify_chunk(pairs: list[tuple[int, int]]) -> list[Match | None]:
    """Verify pairs in a forked worker (see ``_Corpus._verify_all``)."""
    assert _VERIFYING is not None, "forked from a verifying corpus"
    return _VERIFYING._verify_run(pairs)
