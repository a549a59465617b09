"""Explain why two texts match: every score, the verdict, and the shared passages side by side."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from dedup.commonness import ShingleCounts, table_bits
from dedup.config import MatchConfig, ReadConfig, ScanConfig
from dedup.digest import WORD_BINS_LOG2, digest_stream, exact_key
from dedup.errors import InputError
from dedup.io.readers import DocumentReader, read_documents
from dedup.model import Document, MatchKind
from dedup.text.analyze import analyze
from dedup.verify import (
    DocumentFrequencies,
    Profile,
    align_paragraphs,
    classify,
    measure,
    profile_of,
    shares_only_a_formula,
)

__all__ = ["AlignedPassage", "Comparison", "compare", "compare_files", "compare_in_corpus"]


@dataclass(frozen=True, slots=True)
class AlignedPassage:
    """A paragraph of A, the paragraph of B that shares most text with it, and the share."""

    a_index: int
    b_index: int
    score: float
    a_text: str
    b_text: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing two documents."""

    a: Document
    b: Document
    scores: dict[str, float]
    kind: MatchKind | None
    direction: Literal["a_in_b", "b_in_a"] | None
    aligned: tuple[AlignedPassage, ...]
    # Not linked only because what the two share is a formula many documents of the corpus hold.
    formula: bool = False
    # Identical after normalization: a copy, whatever the scores.
    exact: bool = False
    # Set when one text has fewer words than this: such texts match only when identical.
    too_short: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "a": self.a.id,
            "b": self.b.id,
            "kind": self.kind,
            "direction": self.direction,
            "formula": self.formula,
            "exact": self.exact,
            "too_short": self.too_short,
            "scores": self.scores,
            "aligned": [
                {
                    "a": p.a_index,
                    "b": p.b_index,
                    "score": p.score,
                    "a_text": p.a_text,
                    "b_text": p.b_text,
                }
                for p in self.aligned
            ],
        }


def compare(
    a: Document,
    b: Document,
    config: MatchConfig | None = None,
    frequencies: DocumentFrequencies | None = None,
    counts: ShingleCounts | None = None,
) -> Comparison:
    """Compare two documents as a scan would verify them: the verdict is the scan's, and the
    scores are all of them (the scan measures sentences only where they decide).

    ``frequencies`` are the corpus's word frequencies; without them (or with too few documents)
    every word weighs the same, so weighted scores equal plain word containment. ``counts``,
    the corpus's 3-gram counts (finished), tell a shared formula from a copy.
    """
    config = config or MatchConfig()
    frequencies = frequencies or DocumentFrequencies()
    analysis_a, analysis_b = analyze(a.text), analyze(b.text)
    profile_a, profile_b = profile_of(a.text, analysis_a), profile_of(b.text, analysis_b)
    scores = measure(profile_a, profile_b, frequencies, counts=counts)
    key_a, key_b = (exact_key(x.normalized.hashes) for x in (analysis_a, analysis_b))
    words = min(len(profile_a.shingles.tokens), len(profile_b.shingles.tokens))
    exact = key_a != 0 and key_a == key_b
    too_short = config.min_tokens if words < config.min_tokens and not exact else None
    verdict: tuple[MatchKind, Literal["a_in_b", "b_in_a"] | None] | None = None
    formula = False
    if exact:
        verdict = ("near_duplicate", None)
    elif too_short is None:
        scanned = measure(profile_a, profile_b, frequencies, config, counts)
        verdict = classify(scanned, config)
        formula = verdict is None and shares_only_a_formula(scanned, config)
    kind, direction = verdict if verdict is not None else (None, None)
    aligned = tuple(
        AlignedPassage(
            i, j, score, _paragraph(profile_a, a.text, i), _paragraph(profile_b, b.text, j)
        )
        # Passages sharing only a tenth are shown for a copy, not for two unrelated texts.
        for i, j, score in align_paragraphs(profile_a, profile_b, fallback=kind is not None)
    )
    return Comparison(a, b, scores, kind, direction, aligned, formula, exact, too_short)


def _paragraph(profile: Profile, text: str, index: int) -> str:
    paragraph = profile.paragraphs[index]
    return text[paragraph.start : paragraph.end]


def compare_files(path_a: str, path_b: str, read: ReadConfig | None = None) -> Comparison:
    """Compare the one document in each of two files."""
    read = read or ReadConfig()
    return compare(_only_document(path_a, read), _only_document(path_b, read))


def compare_in_corpus(
    corpus: str, id_a: str, id_b: str, read: ReadConfig | None = None
) -> Comparison:
    """Compare two documents of ``corpus`` by id, weighing words by the corpus's frequencies
    and telling formulas by its 3-gram counts, as a scan of it would."""
    read = read or ReadConfig()
    frequencies = DocumentFrequencies(bins_log2=WORD_BINS_LOG2)
    found: dict[str, Document] = {}
    config = ScanConfig(read=read, find_repeats=False)
    reader = DocumentReader([corpus], read)
    counts = ShingleCounts(bits=table_bits(reader.expected_bytes()))
    # The scan's own pass counts the words (compiled, on all cores), as a scan would weigh them.
    for batch, digest in digest_stream(reader, config, counts=counts):
        frequencies.add_bins(digest.word_bins, len(batch))
        for document in batch:
            if document.id in (id_a, id_b) and document.id not in found:
                found[document.id] = document
    for wanted in (id_a, id_b):
        if wanted not in found:
            raise InputError(f"no document with id {wanted!r} (--id-field {read.id_field})", corpus)
    counts.finish()
    return compare(found[id_a], found[id_b], frequencies=frequencies, counts=counts)


def _only_document(path: str, read: ReadConfig) -> Document:
    documents = list(itertools.islice(read_documents([path], read), 2))
    if len(documents) != 1:
        raise InputError(
            "holds several documents: give two files of one document each, or --in FILE ID ID",
            path,
        )
    return documents[0]
