"""Exact verification of candidate pairs, and the evidence a person needs to see why.

Measures, all exact (no sketch estimates):

* ``jaccard``, ``containment_a``, ``containment_b``: on the word 3-gram sets
  (``containment_a = |A ∩ B| / |A|``: the share of A found in B);
* ``weighted_a``, ``weighted_b``: the same containment on the sets of words, each word weighted
  by its inverse document frequency in the corpus. Syndicated copies are reworded, retitled and
  trimmed, so their n-gram overlap is low, but they keep the rare words (names, numbers, places);
  template texts (a congratulation cable to another president) share n-grams but not rare words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from dedup.config import MatchConfig
from dedup.model import MatchKind, Paragraph
from dedup.text.analyze import TextAnalysis, analyze
from dedup.text.normalize import normalize
from dedup.text.shingle import Shingles, paragraph_overlaps

__all__ = [
    "EXACT_SCORES",
    "DocumentFrequencies",
    "Profile",
    "align_paragraphs",
    "classify",
    "containment",
    "jaccard",
    "measure",
    "profile",
    "profile_of",
    "sentence_coverage",
    "sentences",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
# The scores of two texts identical after normalization (found by their exact key, unmeasured).
EXACT_SCORES: dict[str, float] = {
    "jaccard": 1.0,
    "containment_a": 1.0,
    "containment_b": 1.0,
    "weighted_a": 1.0,
    "weighted_b": 1.0,
    "sentences_a": 1.0,
    "sentences_b": 1.0,
}
# A near-duplicate has a direction only when one side is clearly the trimmed one.
_LOPSIDED = 0.2
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")
_SENTENCE_MATCH = 80
_SENTENCE_WORDS = 0.5
_ALIGN_FROM_WEIGHTED = 0.3
# Paragraphs aligned per document, at most (a dense count table of their pairs).
_MAX_ALIGNED = 1000


@dataclass(slots=True)
class Profile:
    """What verification needs of one document: its analysis and its distinct shingles and words.

    Its sentences are split on first use and kept: a document is often verified against several.
    """

    text: str
    analysis: TextAnalysis
    shingle_set: U32
    token_set: U64
    _sentences: list[str] | None = None
    _sentence_words: list[frozenset[str]] | None = None

    def sentences(self) -> list[str]:
        if self._sentences is None:
            self._sentences = sentences(self.text)
        return self._sentences

    def sentence_words(self) -> list[frozenset[str]]:
        if self._sentence_words is None:
            self._sentence_words = [frozenset(s.split()) for s in self.sentences()]
        return self._sentence_words

    @property
    def shingles(self) -> Shingles:
        return self.analysis.shingles

    @property
    def paragraphs(self) -> list[Paragraph]:
        return self.analysis.paragraphs


def profile(text: str) -> Profile:
    """Analyze ``text`` for verification."""
    return profile_of(text, analyze(text))


def profile_of(text: str, analysis: TextAnalysis) -> Profile:
    """The profile of a text already analyzed."""
    shingles = analysis.shingles
    return Profile(text, analysis, np.unique(shingles.hashes), np.unique(shingles.tokens))


def sentences(text: str) -> list[str]:
    """Normalized sentences of ``text`` with at least three words."""
    pieces = (normalize(piece) for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if piece.count(" ") >= 2]


def sentence_coverage(a: list[str], b: list[str]) -> float:
    """Share of ``a``'s characters in sentences that have a close match in ``b``.

    A sentence matches when rapidfuzz's ``token_set_ratio`` is at least 80: reordered clauses,
    a dropped word or a changed honorific still match; a sentence about another person does not.
    Only sentence pairs sharing at least half the shorter one's words are scored (a pair that
    shares less cannot reach 80), which spares almost all of rapidfuzz's work.
    """
    return _coverage(a, b, [frozenset(t.split()) for t in a], [frozenset(t.split()) for t in b])


def _coverage(
    texts_a: list[str],
    texts_b: list[str],
    words_a: list[frozenset[str]],
    words_b: list[frozenset[str]],
) -> float:
    if not words_a or not words_b:
        return 0.0
    covered = total = 0
    for text, words in zip(texts_a, words_a, strict=True):
        total += len(text)
        size = len(words)
        for other_text, other in zip(texts_b, words_b, strict=True):
            if len(words & other) < _SENTENCE_WORDS * min(size, len(other)):
                continue
            if fuzz.token_set_ratio(text, other_text, score_cutoff=_SENTENCE_MATCH):
                covered += len(text)
                break
    return covered / total if total else 0.0


class DocumentFrequencies:
    """Approximate document frequencies of tokens, in a fixed table of hashed bins.

    Collisions can only raise a count, so a rare word may look a little commoner than it is; with
    2**22 bins that is rare at any corpus size. Below ``min_documents`` every word weighs the
    same: too few documents to tell rare from common.
    """

    def __init__(self, bins_log2: int = 22, min_documents: int = 50) -> None:
        self.mask = np.uint64((1 << bins_log2) - 1)
        self.counts = np.zeros(1 << bins_log2, dtype=np.uint32)
        self.documents = 0
        self.min_documents = min_documents

    def add(self, token_set: U64) -> None:
        """Count one document's distinct tokens."""
        self.counts[(token_set & self.mask).astype(np.int64)] += 1
        self.documents += 1

    def add_bins(self, bins: npt.NDArray[np.integer], documents: int) -> None:
        """Count the distinct word bins of ``documents`` documents, concatenated in ``bins``."""
        # A bin repeats across documents: count the repeats first (np.add.at is slow).
        unique, counts = np.unique(bins, return_counts=True)
        self.counts[unique] += counts.astype(np.uint32)
        self.documents += documents

    def weights(self, token_set: U64) -> npt.NDArray[np.float64]:
        """Inverse document frequency of each token: ``log(N / df)``, at least a small floor."""
        if self.documents < self.min_documents:
            return np.ones(len(token_set))
        df = np.maximum(self.counts[(token_set & self.mask).astype(np.int64)], 1)
        return np.maximum(np.log(self.documents / df), 0.01)


def jaccard(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> float:
    """Exact Jaccard similarity of two sorted unique arrays."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def containment(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> float:
    """Exact share of ``a`` found in ``b`` (sorted unique arrays)."""
    if len(a) == 0:
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / len(a)


def measure(
    a: Profile,
    b: Profile,
    frequencies: DocumentFrequencies,
    config: MatchConfig | None = None,
) -> dict[str, float]:
    """The exact measures of a pair, rounded for reports.

    Sentence alignment (``sentences_a``, ``sentences_b``) is the costly measure: with a
    ``config`` it is computed only where it can change :func:`classify`'s verdict, and left out
    of the scores elsewhere; without one, always.
    """
    shared = len(np.intersect1d(a.shingle_set, b.shingle_set, assume_unique=True))
    union = len(a.shingle_set) + len(b.shingle_set) - shared
    common, in_a, _ = np.intersect1d(
        a.token_set, b.token_set, assume_unique=True, return_indices=True
    )
    weights_a = frequencies.weights(a.token_set)
    weights_b = frequencies.weights(b.token_set)
    shared_weight = float(weights_a[in_a].sum()) if len(common) else 0.0
    scores = {
        "jaccard": round(shared / union, 4) if union else 1.0,
        "containment_a": round(shared / len(a.shingle_set), 4) if len(a.shingle_set) else 0.0,
        "containment_b": round(shared / len(b.shingle_set), 4) if len(b.shingle_set) else 0.0,
        "weighted_a": _share(shared_weight, float(weights_a.sum())),
        "weighted_b": _share(shared_weight, float(weights_b.sum())),
    }
    if config is None or _sentences_decide(scores, config):
        texts_a, texts_b = a.sentences(), b.sentences()
        words_a, words_b = a.sentence_words(), b.sentence_words()
        scores["sentences_a"] = round(_coverage(texts_a, texts_b, words_a, words_b), 4)
        scores["sentences_b"] = round(_coverage(texts_b, texts_a, words_b, words_a), 4)
    return scores


def _sentences_decide(scores: dict[str, float], config: MatchConfig) -> bool:
    """Whether sentence alignment can change the verdict of :func:`classify`."""
    if _obvious_copy(scores, config):
        return False
    weighted = max(scores["weighted_a"], scores["weighted_b"])
    if weighted >= config.near_weighted_small:
        return True  # a near-duplicate needs its sentences to match
    partial_anyway = (
        max(scores["containment_a"], scores["containment_b"]) >= config.partial_containment
        or weighted >= config.partial_weighted
    )
    return not partial_anyway and weighted >= _ALIGN_FROM_WEIGHTED


def _share(part: float, whole: float) -> float:
    return round(min(part / whole, 1.0), 4) if whole > 0 and math.isfinite(whole) else 0.0


def align_paragraphs(
    a: Profile, b: Profile, min_score: float = 0.5
) -> tuple[tuple[int, int, float], ...]:
    """Paragraph pairs that share text: for each paragraph of ``a``, its best match in ``b``.

    The score is the share of the shorter paragraph's 3-grams found in the other (ties go to
    the earlier paragraph of ``b``).
    """
    count_a = min(len(a.paragraphs), _MAX_ALIGNED)
    count_b = min(len(b.paragraphs), _MAX_ALIGNED)
    hashes = np.concatenate([a.shingles.hashes, b.shingles.hashes])
    owners = np.concatenate([a.shingles.paragraph, b.shingles.paragraph + len(a.paragraphs)])
    eligible = np.zeros(len(a.paragraphs) + len(b.paragraphs), dtype=np.bool_)
    eligible[:count_a] = True
    eligible[len(a.paragraphs) : len(a.paragraphs) + count_b] = True
    firsts, laters, overlaps = paragraph_overlaps(hashes, owners, eligible)
    across = (firsts < len(a.paragraphs)) & (laters >= len(a.paragraphs))
    firsts, laters, overlaps = firsts[across], laters[across] - len(a.paragraphs), overlaps[across]
    order = np.lexsort((laters, -overlaps, firsts))
    aligned: list[tuple[int, int, float]] = []
    previous = -1
    for i, j, score in zip(
        firsts[order].tolist(), laters[order].tolist(), overlaps[order].tolist(), strict=True
    ):
        if i != previous and score >= min_score:
            aligned.append((i, j, round(score, 4)))
        previous = i
    return tuple(aligned)


def _obvious_copy(scores: dict[str, float], config: MatchConfig) -> bool:
    """Most of both texts' 3-grams and rarer words shared: a copy whatever the sentences say."""
    return (
        scores["jaccard"] >= config.obvious_jaccard
        and min(scores["weighted_a"], scores["weighted_b"]) >= config.obvious_weighted
    )


def classify(
    scores: dict[str, float], config: MatchConfig
) -> tuple[MatchKind, Literal["a_in_b", "b_in_a"] | None] | None:
    """Decide a measured pair: near-duplicate, partial copy (with direction), or neither.

    Near-duplicate: the smaller text's rarer words are mostly in the larger, nearly all its
    sentences have a close match there, and a fair part of the larger's sentences match back
    (a retitled, re-credited, trimmed or lightly extended copy). Partial: a large share of one
    text's sentences, rarer words or 3-grams is found in the other.
    """
    weighted_small = max(scores["weighted_a"], scores["weighted_b"])
    sentences_a, sentences_b = scores.get("sentences_a", 0.0), scores.get("sentences_b", 0.0)
    sentences_small = max(sentences_a, sentences_b)
    sentences_large = min(sentences_a, sentences_b)
    contained_a, contained_b = scores["containment_a"], scores["containment_b"]
    if _obvious_copy(scores, config):
        lopsided = abs(contained_a - contained_b) >= _LOPSIDED
        return "near_duplicate", (
            "a_in_b" if contained_a > contained_b else "b_in_a"
        ) if lopsided else None
    by_sentences = sentences_a != sentences_b
    a_inside = sentences_a > sentences_b if by_sentences else contained_a >= contained_b
    direction: Literal["a_in_b", "b_in_a"] = "a_in_b" if a_inside else "b_in_a"
    if (
        weighted_small >= config.near_weighted_small
        and sentences_small >= config.near_sentences_small
        and sentences_large >= config.near_sentences_large
    ):
        lopsided = sentences_small - sentences_large >= _LOPSIDED
        return "near_duplicate", direction if lopsided else None
    if (
        max(contained_a, contained_b) >= config.partial_containment
        or weighted_small >= config.partial_weighted
        or sentences_small >= config.partial_sentences
    ):
        return "partial", direction
    return None
