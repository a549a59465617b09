"""Exact verification of candidate pairs, and the evidence a person needs to see why.

Measures, all exact (no sketch estimates):

* ``jaccard``, ``containment_a``, ``containment_b``: on the word 3-gram sets
  (``containment_a = |A ∩ B| / |A|``: the share of A found in B);
* ``weighted_a``, ``weighted_b``: the same containment on the sets of words, each word weighted
  by its inverse document frequency in the corpus. Syndicated copies are reworded, retitled and
  trimmed, so their n-gram overlap is low, but they keep the rare words (names, numbers, places);
  template texts (a congratulation cable to another president) share n-grams but not rare words.
* ``shared_df``, ``own_df`` (with the corpus's 3-gram counts, :mod:`dedup.commonness`): how many
  documents hold the 3-grams the two share, and those of the contained text. Formula texts share
  what many documents hold; :func:`classify` does not call them partial copies, nor
  near-duplicates unless nearly all the smaller text's rarer words are shared too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numba
import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from dedup.commonness import ShingleCounts, shared_and_own_df
from dedup.config import MatchConfig
from dedup.model import MatchKind, Paragraph
from dedup.text.analyze import TextAnalysis, analyze
from dedup.text.batch import _grow, analyze_batch
from dedup.text.normalize import _ASCII_TABLE, normalize_codepoints
from dedup.text.numbers import numbers_in
from dedup.text.segment import _is_space
from dedup.text.shingle import Shingles, paragraph_overlaps
from dedup.text.words import words_of_text
from dedup.unique import unique_values

__all__ = [
    "EXACT_SCORES",
    "DocumentFrequencies",
    "Profile",
    "SentenceRuns",
    "SentenceWords",
    "align_paragraphs",
    "classify",
    "containment",
    "jaccard",
    "measure",
    "profile",
    "profile_of",
    "profiles_of",
    "sentence_coverage",
    "sentence_runs",
    "sentences",
    "shares_only_a_formula",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
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
_SENTENCE_MATCH = 80
_SENTENCE_WORDS = 0.5
_ALIGN_FROM_WEIGHTED = 0.3
# A partial copy found by its rarer words must share some text too: this share of the smaller
# text's 3-grams at least (on the labelled corpora every such pair shares more).
_PARTIAL_MIN_CONTAINMENT = 0.1
# Texts of fewer distinct words are short (a question, a notice, a sentence): one changed figure
# changes what they say. A short pair is a copy only when one text's figures are all in the
# other (``numbers_a``, ``numbers_b``): a copy may drop a figure, not change one.
_SHORT_WORDS = 50
# Longer texts that each hold this many figures are no near-duplicates when they share less
# than ``MatchConfig.min_figures_shared`` of them (the larger of the two shares): the same
# report on another day (closing prices, temperatures, scores), its wording a formula around
# new figures.
_COUNTED_FIGURES = 4
# Sharing fewer still, they are no partial copy either. Lower than the near-duplicate bar: a
# digest that reuses a figure-poor lead shares few of the story's figures (0.16 in a BBC
# business digest), while SaudiNewsNet's box-office, market and earnings reports of other days
# share none or one in ten.
_PARTIAL_MIN_FIGURES = 0.15
# Paragraphs aligned per document, at most (a dense count table of their pairs).
_SENTENCES_APART = 0.05
_MAX_ALIGNED = 1000
_FALLBACK_ALIGNMENT = 0.1
# Texts longer than this are profiled in a batch of their own (see profiles_of).
_ANALYZED_ALONE = 100_000
# Sentences aligned per document, at most: two tables of their pairs (32 MB at this bound), and
# time that grows with their product (a 10 MB document may hold 100,000 sentences).
_MAX_SENTENCES = 2000


@dataclass(slots=True)
class Profile:
    """What verification needs of one document: its paragraphs, shingles, distinct shingles and
    distinct words.

    Its sentences are split on first use and kept (a document is often verified against
    several), as code points: few of them are ever needed as strings (:func:`_coverage`).
    Sentence alignment reads the first 2,000 of them (news articles hold a few dozen): the
    ``sentences_*`` scores of a longer document are those of its beginning.
    """

    text: str
    paragraphs: list[Paragraph]
    shingles: Shingles
    shingle_set: U32
    token_set: U64
    _sentence_runs: SentenceRuns | None = None
    _sentence_words: SentenceWords | None = None
    _figures: dict[str, bool] | None = None

    def figures(self) -> dict[str, bool]:
        """The leading digits of the figures the text writes in digits (:func:`_leading_figures`),
        read on first use (a document is often verified against several): what tells two longer
        texts' figures apart."""
        if self._figures is None:
            self._figures = _leading_figures(numbers_in(self.text, spelled=False))
        return self._figures

    def sentence_runs(self) -> SentenceRuns:
        if self._sentence_runs is None:
            self._sentence_runs = sentence_runs(self.text)
        return self._sentence_runs

    def sentences(self) -> list[str]:
        runs = self.sentence_runs()
        return [runs.sentence(k) for k in range(len(runs))]

    def sentence_words(self) -> SentenceWords:
        if self._sentence_words is None:
            runs = self.sentence_runs()
            offsets = runs.offsets[: _MAX_SENTENCES + 1]
            self._sentence_words = SentenceWords.of_codepoints(
                runs.codepoints[: offsets[-1]], offsets
            )
        return self._sentence_words


def profile(text: str) -> Profile:
    """Analyze ``text`` for verification."""
    return profile_of(text, analyze(text))


def profile_of(text: str, analysis: TextAnalysis) -> Profile:
    """The profile of a text already analyzed."""
    shingles = analysis.shingles
    return Profile(
        text,
        analysis.paragraphs,
        shingles,
        unique_values(shingles.hashes),
        unique_values(words_of_text(text, shingles.tokens)),
    )


def profiles_of(texts: Sequence[str]) -> list[Profile]:
    """:func:`profile` of each text, analyzed together in one compiled call.

    A profile's arrays are views into the batch's, which live as long as any of its profiles
    is cached. So a long text is analyzed on its own: dropping its profile frees its arrays
    (:mod:`dedup.profile_cache` counts each profile's text, not its batch's).
    """
    alone = [k for k, text in enumerate(texts) if len(text) > _ANALYZED_ALONE]
    if not alone or len(texts) == 1:
        return _profiles_of(texts)
    together = [k for k, text in enumerate(texts) if len(text) <= _ANALYZED_ALONE]
    found = {k: _profiles_of([texts[k]])[0] for k in alone}
    if together:
        batch = _profiles_of([texts[k] for k in together])
        found.update(zip(together, batch, strict=True))
    return [found[k] for k in range(len(texts))]


def _profiles_of(texts: Sequence[str]) -> list[Profile]:
    batch = analyze_batch(texts)
    shingle_sets, shingle_set_offsets = _sorted_unique_runs(batch.shingles, batch.shingle_offsets)
    token_sets, token_set_offsets = _sorted_unique_runs(batch.words, batch.word_offsets)
    spans = batch.paragraph_spans.tolist()
    found: list[Profile] = []
    for d, text in enumerate(texts):
        s0, s1 = batch.shingle_offsets[d], batch.shingle_offsets[d + 1]
        p0, p1 = batch.paragraph_offsets[d], batch.paragraph_offsets[d + 1]
        t0, t1 = batch.token_offsets[d], batch.token_offsets[d + 1]
        shingles = Shingles(
            batch.shingles[s0:s1],
            batch.shingle_paragraph[s0:s1],
            batch.paragraph_tokens[p0:p1],
            batch.tokens[t0:t1],
        )
        paragraphs = [Paragraph(i, start, end) for i, (start, end) in enumerate(spans[p0:p1])]
        found.append(
            Profile(
                text,
                paragraphs,
                shingles,
                shingle_sets[shingle_set_offsets[d] : shingle_set_offsets[d + 1]],
                token_sets[token_set_offsets[d] : token_set_offsets[d + 1]],
            )
        )
    return found


@numba.njit(cache=True, nogil=True)
def _sorted_unique_runs(
    values: npt.NDArray[np.unsignedinteger], offsets: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.unsignedinteger], npt.NDArray[np.int64]]:
    """Each run ``values[offsets[k]:offsets[k + 1]]`` (unsigned: the bytes of a negative
    number would sort it last) sorted and deduplicated, and new offsets.

    A least-significant-digit radix sort, a byte at a time: runs are a document's few hundred
    hashes, where it measured 6x (32-bit) and 2x (64-bit) faster than ``np.sort``, which had
    been most of a profile's time.
    """
    out = np.empty_like(values)
    new_offsets = np.zeros_like(offsets)
    longest = 0
    for k in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[k + 1] - offsets[k])
    front = np.empty(longest, values.dtype)
    back = np.empty(longest, values.dtype)
    starts = np.empty(256, np.int64)
    filled = 0
    for k in range(offsets.shape[0] - 1):
        size = offsets[k + 1] - offsets[k]
        front[:size] = values[offsets[k] : offsets[k + 1]]
        source, target = front, back
        for shift in range(0, 8 * values.itemsize, 8):
            starts[:] = 0
            for i in range(size):
                starts[(source[i] >> shift) & 0xFF] += 1
            total = 0
            for digit in range(256):
                total, starts[digit] = total + starts[digit], total
            for i in range(size):
                digit = (source[i] >> shift) & 0xFF
                target[starts[digit]] = source[i]
                starts[digit] += 1
            source, target = target, source
        for i in range(size):
            if i == 0 or source[i] != source[i - 1]:
                out[filled] = source[i]
                filled += 1
        new_offsets[k + 1] = filled
    return out[:filled], new_offsets


def sentences(text: str) -> list[str]:
    """Normalized sentences of ``text`` with at least three words.

    The same as normalizing each piece between sentence ends, done for the whole text at once.
    """
    runs = sentence_runs(text)
    return [runs.sentence(k) for k in range(len(runs))]


@dataclass(frozen=True, slots=True)
class SentenceRuns:
    """:func:`sentences` as code points, joined: sentence ``k`` is
    ``codepoints[offsets[k]:offsets[k + 1]]``."""

    codepoints: U32
    offsets: I64

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sentence(self, index: int) -> str:
        piece = self.codepoints[self.offsets[index] : self.offsets[index + 1]]
        return piece.tobytes().decode("utf-32-le", "surrogatepass")


def sentence_runs(text: str) -> SentenceRuns:
    """:func:`sentences`, without making a string of each."""
    if text.isascii():
        # Lower-casing and the punctuation table map ASCII one character to one: normalize
        # and collapse every piece in one compiled pass over the bytes.
        data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        joined, ends, _ = _ascii_pieces(data, _sentence_bounds(data), _ASCII_LOWER)
        starts = np.concatenate((np.zeros(1, np.int64), ends[:-1]))
        return SentenceRuns(*_runs_of_three_words(joined, starts, ends))
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    spans = _sentence_bounds(codepoints).reshape(-1, 2)
    # A character of a script without spaces is a word of a sentence: a Chinese sentence has
    # no spaces, and as one word it would match nothing once a term of it is changed.
    normalized = normalize_codepoints(codepoints, spans, split_spaceless=True)
    return SentenceRuns(
        *_runs_of_three_words(normalized.codepoints, normalized.starts, normalized.ends)
    )


@numba.njit(cache=True, nogil=True)
def _runs_of_three_words(values: npt.NDArray[Any], starts: I64, ends: I64) -> tuple[U32, I64]:
    """The pieces ``values[starts[k]:ends[k]]`` (normalized: words one space apart) of three
    words or more, as code points joined, and where each starts."""
    out = np.empty(values.shape[0], np.uint32)
    offsets = np.zeros(starts.shape[0] + 1, np.int64)
    kept = filled = 0
    for k in range(starts.shape[0]):
        spaces = 0
        for i in range(starts[k], ends[k]):
            if values[i] == 32:
                spaces += 1
        if spaces < 2:
            continue
        for i in range(starts[k], ends[k]):
            out[filled] = values[i]
            filled += 1
        kept += 1
        offsets[kept] = filled
    return out[:filled].copy(), offsets[: kept + 1]  # a copy: profiles keep it, not the buffer


@numba.njit(cache=True, nogil=True)
def _sentence_bounds(codepoints: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """``[start, end)`` of each piece between sentence ends, flat: a sentence ends at the
    white space after ``.!?؟``, right after the full stops of Chinese and Japanese (``。！？``,
    written without a space after them), or at line breaks.

    One pass: the regular expression this replaced (the tests keep it as the reference) made
    ``re`` test every position with its look-behind, most of a profile's time.
    """
    size = codepoints.shape[0]
    bounds = np.empty(2 * size + 2, np.int64)
    bounds[0] = 0
    count = 1
    i = 0
    while i < size:
        c = codepoints[i]
        end = i
        if _ends_spaceless_sentence(c):
            end = i + 1
            while end < size and _is_space(codepoints[end]):
                end += 1
            bounds[count] = i + 1  # the stop stays with its sentence (it normalizes away)
            bounds[count + 1] = end
            count += 2
            i = end
            continue
        if i > 0 and _is_space(c) and _ends_sentence(codepoints[i - 1]):
            while end < size and _is_space(codepoints[end]):
                end += 1
        elif c == 10:
            while end < size and codepoints[end] == 10:
                end += 1
        if end == i:
            i += 1
            continue
        bounds[count] = i
        bounds[count + 1] = end
        count += 2
        i = end
    bounds[count] = size
    return bounds[: count + 1]


# ASCII lower-cased, punctuation made a space: normalization's effect on ASCII text.
_ASCII_LOWER = np.array(
    [_ASCII_TABLE.get(ord(chr(cp).lower()), ord(chr(cp).lower())) for cp in range(128)],
    dtype=np.uint8,
)


@numba.njit(cache=True, nogil=True)
def _ascii_pieces(
    data: npt.NDArray[np.uint8], bounds: npt.NDArray[np.int64], table: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The pieces ``data[bounds[2k]:bounds[2k + 1]]`` normalized (``table``, white space
    collapsed as ``" ".join(piece.split())``) and joined: each piece's end and word count."""
    pieces = bounds.shape[0] // 2
    out = np.empty(data.shape[0], np.uint8)
    ends = np.empty(pieces, np.int64)
    words = np.zeros(pieces, np.int64)
    n = 0
    for k in range(pieces):
        first = n
        pending = False
        for i in range(bounds[2 * k], bounds[2 * k + 1]):
            v = table[data[i]]
            if _is_space(v):
                pending = n > first
                continue
            if pending or n == first:
                words[k] += 1
                if pending:
                    out[n] = 32
                    n += 1
                    pending = False
            out[n] = v
            n += 1
        ends[k] = n
    return out[:n], ends, words


@numba.njit(cache=True, nogil=True)
def _ends_sentence(c: Any) -> bool:
    return bool(c == 0x2E or c == 0x21 or c == 0x3F or c == 0x61F)


@numba.njit(cache=True, nogil=True)
def _ends_spaceless_sentence(c: Any) -> bool:
    # 。 ！ ？ and the half-width ｡
    return bool(c == 0x3002 or c == 0xFF01 or c == 0xFF1F or c == 0xFF61)


def sentence_coverage(a: list[str], b: list[str]) -> float:
    """Share of ``a``'s characters in sentences that have a close match in ``b``.

    A sentence matches when rapidfuzz's ``token_set_ratio`` is at least 80: reordered clauses,
    a dropped word or a changed honorific still match; a sentence about another person does not.
    Only sentence pairs sharing at least half the shorter one's words are candidates, which
    spares almost all of rapidfuzz's work (a choice: sentences whose words differ in spelling,
    "colour" and "color", may score 80 without sharing them); of the candidates, most are
    decided by the word sets alone (:func:`_sentence_verdicts`).
    """
    words_a, words_b = SentenceWords.of(a), SentenceWords.of(b)
    shared, shared_chars = words_a.overlap_with(words_b)
    return _coverage(a.__getitem__, b.__getitem__, words_a, words_b, shared, shared_chars)


@dataclass(frozen=True, slots=True)
class SentenceWords:
    """The distinct words of each sentence as 64-bit hashes: ``hashes[owners == k]`` is
    sentence ``k``'s, ``sizes[k]`` their number, ``lengths`` each word's length and ``chars[k]``
    their sum, ``sentence_lengths[k]`` the sentence's own (all in code points). Sorted by hash,
    for merging. ``plain[k]``: the sentence's white space is all ASCII, where rapidfuzz splits
    words as ``str.split`` does (it keeps U+0085 and U+00A0 inside words of a text that has no
    character beyond U+00FF)."""

    hashes: U64
    owners: I64
    sizes: I64
    lengths: I64
    chars: I64
    plain: npt.NDArray[np.bool_]
    sentence_lengths: I64

    @classmethod
    def of(cls, texts: list[str]) -> SentenceWords:
        # One string, one encoding: a code point is one UTF-32 unit, so lengths are offsets.
        codepoints = np.frombuffer(
            "".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
        )
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(text) for text in texts], out=offsets[1:])
        return cls.of_codepoints(codepoints, offsets)

    @classmethod
    def of_codepoints(cls, codepoints: U32, offsets: I64) -> SentenceWords:
        """Of the sentences ``codepoints[offsets[k]:offsets[k + 1]]``."""
        hashes, owners, sizes, lengths, chars, plain = _word_hashes(codepoints, offsets)
        return cls(hashes, owners, sizes, lengths, chars, plain, np.diff(offsets))

    def shared_with(self, other: SentenceWords) -> npt.NDArray[np.int32]:
        """``shared[i, j]``: words sentence ``i`` here shares with sentence ``j`` of ``other``."""
        return self.overlap_with(other)[0]

    def overlap_with(
        self, other: SentenceWords
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """:meth:`shared_with`, and the length of those shared words (summed)."""
        return _shared_words(
            self.hashes,
            self.owners,
            self.lengths,
            len(self.sizes),
            other.hashes,
            other.owners,
            len(other.sizes),
        )


@numba.njit(cache=True, nogil=True)
def _word_hashes(
    codepoints: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64]
) -> tuple[U64, I64, I64, I64, I64, npt.NDArray[np.bool_]]:
    """Hashes of the distinct words (split on white space, as ``str.split``) of each sentence
    ``codepoints[offsets[k]:offsets[k + 1]]``, sorted (for the merge in ``overlap_with``), with
    their sentence and length; and each sentence's count of them, the sum of their lengths, and
    whether its white space is ASCII."""
    # A sentence of n code points holds (n + 1) // 2 words at most.
    most = (codepoints.shape[0] + offsets.shape[0]) // 2 + 1
    hashes = np.empty(most, np.uint64)
    owners = np.empty(most, np.int64)
    lengths = np.empty(most, np.int64)
    sizes = np.zeros(offsets.shape[0] - 1, np.int64)
    chars = np.zeros(offsets.shape[0] - 1, np.int64)
    plain = np.ones(offsets.shape[0] - 1, np.bool_)
    count = 0
    for sentence in range(offsets.shape[0] - 1):
        h = np.uint64(0xCBF29CE484222325)
        length = 0
        for i in range(offsets[sentence], offsets[sentence + 1] + 1):
            if i == offsets[sentence + 1] or _is_space(codepoints[i]):
                if i < offsets[sentence + 1] and codepoints[i] >= 0x80:
                    plain[sentence] = False
                if length:
                    hashes[count] = h
                    owners[count] = sentence
                    lengths[count] = length
                    count += 1
                    length = 0
                    h = np.uint64(0xCBF29CE484222325)
            else:
                h = (h ^ np.uint64(codepoints[i])) * np.uint64(0x100000001B3)
                length += 1
    # One stable sort by hash leaves each sentence's copies of a word side by side (owners rise
    # in reading order): keep the first of each (a hash's length is its word's).
    order = np.argsort(hashes[:count], kind="mergesort")
    words = np.empty(count, np.uint64)
    word_owners = np.empty(count, np.int64)
    word_lengths = np.empty(count, np.int64)
    kept = 0
    for k in order:
        if kept and words[kept - 1] == hashes[k] and word_owners[kept - 1] == owners[k]:
            continue
        words[kept], word_owners[kept], word_lengths[kept] = hashes[k], owners[k], lengths[k]
        sizes[owners[k]] += 1
        chars[owners[k]] += lengths[k]
        kept += 1
    return words[:kept], word_owners[:kept], sizes, word_lengths[:kept], chars, plain


@numba.njit(cache=True, nogil=True)
def _shared_words(
    hashes_a: U64,
    owners_a: npt.NDArray[np.int64],
    lengths_a: npt.NDArray[np.int64],
    count_a: int,
    hashes_b: U64,
    owners_b: npt.NDArray[np.int64],
    count_b: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    shared = np.zeros((count_a, count_b), np.int32)
    shared_chars = np.zeros((count_a, count_b), np.int32)
    i = j = 0
    while i < hashes_a.shape[0] and j < hashes_b.shape[0]:
        if hashes_a[i] < hashes_b[j]:
            i += 1
        elif hashes_a[i] > hashes_b[j]:
            j += 1
        else:
            word = hashes_a[i]
            end_a = i
            while end_a < hashes_a.shape[0] and hashes_a[end_a] == word:
                end_a += 1
            end_b = j
            while end_b < hashes_b.shape[0] and hashes_b[end_b] == word:
                end_b += 1
            for x in range(i, end_a):
                for y in range(j, end_b):
                    shared[owners_a[x], owners_b[y]] += 1
                    shared_chars[owners_a[x], owners_b[y]] += lengths_a[x]
            i, j = end_a, end_b
    return shared, shared_chars


def _coverage(
    sentence_a: Callable[[int], str],
    sentence_b: Callable[[int], str],
    words_a: SentenceWords,
    words_b: SentenceWords,
    shared: npt.NDArray[np.int32],
    shared_chars: npt.NDArray[np.int32],
) -> float:
    """Share of the characters of sentences ``a`` (``sentence_a(k)`` is the ``k``-th) in
    sentences with a close match in ``b``; ``shared, shared_chars`` is
    ``words_a.overlap_with(words_b)``. Only the sentences rapidfuzz must score are made
    strings."""
    if len(words_a.sizes) == 0 or len(words_b.sizes) == 0:
        return 0.0
    covered, covered_chars, rows, columns = _sentence_verdicts(
        shared,
        shared_chars,
        words_a.sizes,
        words_a.chars,
        words_a.plain,
        words_a.sentence_lengths,
        words_b.sizes,
        words_b.chars,
        words_b.plain,
        _SENTENCE_WORDS,
        _SENTENCE_MATCH,
    )
    # Only the pairs the word sets leave undecided are scored (whether a sentence matches does
    # not depend on which of its candidates is scored first).
    for i, j in zip(rows.tolist(), columns.tolist(), strict=True):
        if not covered[i] and fuzz.token_set_ratio(
            sentence_a(i), sentence_b(j), score_cutoff=_SENTENCE_MATCH
        ):
            covered[i] = True
            covered_chars += int(words_a.sentence_lengths[i])
    total = int(words_a.sentence_lengths.sum())
    return covered_chars / total if total else 0.0


@numba.njit(cache=True, nogil=True)
def _sentence_verdicts(
    shared: npt.NDArray[np.int32],
    shared_chars: npt.NDArray[np.int32],
    sizes_a: npt.NDArray[np.int64],
    chars_a: npt.NDArray[np.int64],
    plain_a: npt.NDArray[np.bool_],
    lengths_a: npt.NDArray[np.int64],
    sizes_b: npt.NDArray[np.int64],
    chars_b: npt.NDArray[np.int64],
    plain_b: npt.NDArray[np.bool_],
    min_shared: float,
    cutoff: int,
) -> tuple[npt.NDArray[np.bool_], int, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Which sentences of ``a`` surely have a match in ``b``, their length summed (of
    ``lengths_a``), and the candidate pairs (sharing ``min_shared`` of the smaller one's words)
    of the others that only rapidfuzz can decide.

    rapidfuzz's ``token_set_ratio`` scores three strings made of the sorted words: the shared
    words (``sect``), and ``sect`` followed by each side's own words. Two of its three ratios
    depend on lengths only, known from the word sets: the pair matches when either reaches
    ``cutoff`` (or one side's words are all shared: 100). The third compares the two sides' own
    words, and can be no higher than their difference in length allows: when that bound and
    the other two fall short, the pair does not match. A pair at the cutoff exactly is left to
    rapidfuzz, whose rounding decides it, and so is a pair whose words rapidfuzz may split
    otherwise (``SentenceWords.plain``). On SaudiNewsNet this leaves one call in seven. Words
    are told apart by 64-bit hashes: two words that collided would count as one here.
    """
    count_a, count_b = shared.shape
    covered = np.zeros(count_a, np.bool_)
    rows = np.empty(count_a + count_b, np.int64)
    columns = np.empty(count_a + count_b, np.int64)
    found = covered_chars = 0
    for i in range(count_a):
        if sizes_a[i] == 0:
            continue  # rapidfuzz scores an empty sentence 0
        first = found
        for j in range(count_b):
            words = shared[i, j]
            if sizes_b[j] == 0 or words == 0 or words < min_shared * min(sizes_a[i], sizes_b[j]):
                continue
            verdict = _verdict_by_lengths(
                words,
                shared_chars[i, j],
                sizes_a[i],
                chars_a[i],
                sizes_b[j],
                chars_b[j],
                100 - cutoff,
            )
            if plain_a[i] and plain_b[j] and verdict == 1:
                covered[i] = True
                break
            if plain_a[i] and plain_b[j] and verdict == 0:
                continue
            if found == rows.shape[0]:
                rows, columns = _grow(rows, found + 1), _grow(columns, found + 1)
            rows[found] = i
            columns[found] = j
            found += 1
        if covered[i]:
            found = first  # its undecided pairs need no score
            covered_chars += lengths_a[i]
    return covered, covered_chars, rows[:found], columns[:found]


@numba.njit(cache=True, nogil=True)
def _verdict_by_lengths(
    shared: int, shared_chars: int, size_a: int, chars_a: int, size_b: int, chars_b: int, slack: int
) -> int:
    """1: rapidfuzz's ``token_set_ratio`` reaches the cutoff (``100 - slack``), 0: it does not,
    -1: only rapidfuzz can tell (see :func:`_sentence_verdicts`); ``shared`` words at least one.
    A ratio is ``1 - distance / total`` of joined lengths: the words and a space between each
    two; ``score >= cutoff`` is ``100 * distance <= slack * total``, in integers."""
    if shared == min(size_a, size_b):
        return 1  # one side's words are all shared: 100
    sect = shared_chars + shared - 1
    own_a = chars_a - shared_chars + size_a - shared - 1
    own_b = chars_b - shared_chars + size_b - shared - 1
    # sect against sect + own words: the own words and a space are the distance.
    distance_a, total_a = 1 + own_a, 2 * sect + 1 + own_a
    distance_b, total_b = 1 + own_b, 2 * sect + 1 + own_b
    if 100 * distance_a < slack * total_a or 100 * distance_b < slack * total_b:
        return 1
    # sect + own words of a against those of b: the distance is at least their length gap.
    if (
        100 * distance_a > slack * total_a
        and 100 * distance_b > slack * total_b
        and 100 * abs(own_a - own_b) > slack * (2 * sect + 2 + own_a + own_b)
    ):
        return 0
    return -1


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
        _count_bins(self.counts, np.asarray(bins))  # as they come: widening copied 0.2 GB at 100k
        self.documents += documents

    def weights(self, token_set: U64) -> npt.NDArray[np.float64]:
        """Inverse document frequency of each token: ``log(N / df)``, at least a small floor."""
        if self.documents < self.min_documents:
            return np.ones(len(token_set))
        df = np.maximum(self.counts[(token_set & self.mask).astype(np.int64)], 1)
        return np.maximum(np.log(self.documents / df), 0.01)


@numba.njit(cache=True, nogil=True)
def _count_bins(counts: U32, bins: npt.NDArray[np.integer]) -> None:
    # One pass in place: np.add.at is slow, and np.unique sorts what needs no order.
    for value in bins:
        counts[value] += 1


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
    counts: ShingleCounts | None = None,
) -> dict[str, float]:
    """The exact measures of a pair, rounded for reports.

    Sentence alignment (``sentences_a``, ``sentences_b``) is the costly measure: with a
    ``config`` it is computed only where it can change :func:`classify`'s verdict, and left out
    of the scores elsewhere; without one, always. With the corpus's 3-gram ``counts``
    (finished), ``shared_df`` and ``own_df`` say how common the shared text is.
    """
    uniform = frequencies.documents < frequencies.min_documents
    shared, shared_weight, weight_a, weight_b = _overlap(
        a.shingle_set,
        b.shingle_set,
        a.token_set,
        b.token_set,
        frequencies.counts,
        frequencies.mask,
        max(frequencies.documents, 1),
        uniform,
    )
    union = len(a.shingle_set) + len(b.shingle_set) - shared
    scores = {
        "jaccard": round(shared / union, 4) if union else 0.0,  # two empty texts share nothing
        "containment_a": round(shared / len(a.shingle_set), 4) if len(a.shingle_set) else 0.0,
        "containment_b": round(shared / len(b.shingle_set), 4) if len(b.shingle_set) else 0.0,
        "weighted_a": _share(shared_weight, weight_a),
        "weighted_b": _share(shared_weight, weight_b),
    }
    if counts is not None and (config is None or _formula_decides(scores, config)):
        shared_df, own_df = shared_and_own_df(
            counts,
            a.shingle_set,
            b.shingle_set,
            scores["containment_a"] >= scores["containment_b"],
        )
        scores["shared_df"], scores["own_df"] = round(shared_df, 1), round(own_df, 1)
    if max(len(a.token_set), len(b.token_set)) < _SHORT_WORDS:
        scores["numbers_a"], scores["numbers_b"] = _shared_numbers(
            numbers_in(a.text), numbers_in(b.text)
        )
    else:  # the counts that words spell are under ten, or tens: they say little here
        figures_a, figures_b = a.figures(), b.figures()
        if min(len(figures_a), len(figures_b)) >= _COUNTED_FIGURES:
            scores["figures_shared"] = max(
                _matched_share(figures_a, figures_b), _matched_share(figures_b, figures_a)
            )
    if config is None or _sentences_decide(scores, config):
        sentence_a, sentence_b = a.sentence_runs().sentence, b.sentence_runs().sentence
        words_a, words_b = a.sentence_words(), b.sentence_words()
        words, chars = words_a.overlap_with(words_b)
        scores["sentences_a"] = round(
            _coverage(sentence_a, sentence_b, words_a, words_b, words, chars), 4
        )
        scores["sentences_b"] = round(
            _coverage(sentence_b, sentence_a, words_b, words_a, words.T, chars.T), 4
        )
    return scores


@numba.njit(cache=True, nogil=True)
def _overlap(
    shingles_a: U32,
    shingles_b: U32,
    tokens_a: U64,
    tokens_b: U64,
    counts: U32,
    mask: np.uint64,
    documents: int,
    uniform: bool,
) -> tuple[int, float, float, float]:
    """Shared 3-grams; the weight of the shared words and of each side's words (the inverse
    document frequency of :meth:`DocumentFrequencies.weights`). Sorted unique inputs, merged."""
    shared = i = j = 0
    while i < shingles_a.shape[0] and j < shingles_b.shape[0]:
        if shingles_a[i] < shingles_b[j]:
            i += 1
        elif shingles_a[i] > shingles_b[j]:
            j += 1
        else:
            shared += 1
            i += 1
            j += 1
    shared_weight = weight_a = weight_b = 0.0
    i = j = 0
    while i < tokens_a.shape[0] or j < tokens_b.shape[0]:
        take_a = j == tokens_b.shape[0] or (i < tokens_a.shape[0] and tokens_a[i] <= tokens_b[j])
        token = tokens_a[i] if take_a else tokens_b[j]
        both = take_a and j < tokens_b.shape[0] and tokens_b[j] == token
        weight = 1.0
        if not uniform:
            df = max(counts[np.int64(token & mask)], 1)
            weight = max(math.log(documents / df), 0.01)
        if take_a:
            weight_a += weight
            i += 1
        if both or not take_a:
            weight_b += weight
            j += 1
        if both:
            shared_weight += weight
    return shared, shared_weight, weight_a, weight_b


def _leading_figures(numbers: frozenset[str]) -> dict[str, bool]:
    """The first three significant digits of each figure, and whether it is a large one (five
    digits or more before any decimal point). Left out: list numbers and counts under ten, and
    years (Gregorian and Hijri), which another day's report shares. Copies write one amount
    "197.000.000", "197 million" or "197.0", and one writes "53.7 million" where the other has
    "53,715,000"; another day's report has other leading digits."""
    leading: dict[str, bool] = {}
    for number in numbers:
        whole = number.partition(".")[0]
        if "." not in number and (len(whole) < 2 or _a_year(whole)):
            continue
        digits = number.replace(".", "").lstrip("0")
        key = digits[:3]
        leading[key] = leading.get(key, False) or len(whole) >= 5
    return leading


def _a_year(whole: str) -> bool:
    return len(whole) == 4 and (1900 <= int(whole) <= 2100 or 1350 <= int(whole) <= 1500)


def _matched_share(figures: dict[str, bool], others: dict[str, bool]) -> float:
    """The share of ``figures`` (:func:`_leading_figures`) that ``others`` hold, or that a
    rounded figure and a large one agree on as far as the rounded one goes: "13" ("13 million")
    is "137" ("13,738,630"); "11" (a day) is not "112" (a count)."""
    rounded = {key for key in others if len(key) == 2}
    large_prefixes = {key[:2] for key, large in others.items() if large}
    matched = sum(
        key in others or (large and key[:2] in rounded) or (len(key) == 2 and key in large_prefixes)
        for key, large in figures.items()
    )
    return round(matched / len(figures), 4)


def _shared_numbers(numbers_a: frozenset[str], numbers_b: frozenset[str]) -> tuple[float, float]:
    """The share of each text's figures found in the other (1.0 for a text without any)."""
    shared = len(numbers_a & numbers_b)
    return (
        round(shared / len(numbers_a), 4) if numbers_a else 1.0,
        round(shared / len(numbers_b), 4) if numbers_b else 1.0,
    )


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
    a: Profile, b: Profile, min_score: float = 0.5, fallback: bool = True
) -> tuple[tuple[int, int, float], ...]:
    """Paragraph pairs that share text: each paragraph's best match in the other document,
    for the paragraphs of ``a`` and of ``b`` alike (so the order of the two does not matter),
    in the order of ``a``'s paragraphs.

    The score is the share of the shorter paragraph's 3-grams found in the other (ties go to
    the earlier paragraph). Pairs scoring under ``min_score`` are left out, unless none reaches
    it and ``fallback`` (the two are a verified copy): texts without paragraph breaks share a
    passage inside long paragraphs, and the pairs sharing a tenth are the best there is to show.
    """
    lowest = min(min_score, _FALLBACK_ALIGNMENT) if fallback else min_score
    firsts, laters, overlaps = _best_alignments(
        a.shingles.hashes,
        a.shingles.paragraph,
        len(a.paragraphs),
        b.shingles.hashes,
        b.shingles.paragraph,
        len(b.paragraphs),
        _MAX_ALIGNED,
        lowest,
    )
    strict = overlaps >= min_score
    if strict.any():
        firsts, laters, overlaps = firsts[strict], laters[strict], overlaps[strict]
    return tuple(
        (i, j, round(score, 4))
        for i, j, score in zip(firsts.tolist(), laters.tolist(), overlaps.tolist(), strict=True)
    )


@numba.njit(cache=True, nogil=True)
def _best_alignments(
    hashes_a: U32,
    paragraph_a: npt.NDArray[np.int32],
    paragraphs_a: int,
    hashes_b: U32,
    paragraph_b: npt.NDArray[np.int32],
    paragraphs_b: int,
    most: int,
    min_score: float,
) -> tuple[I64, I64, npt.NDArray[np.float64]]:
    """:func:`align_paragraphs` of the first ``most`` paragraphs of each side, as arrays."""
    hashes = np.concatenate((hashes_a, hashes_b))
    owners = np.concatenate((paragraph_a, paragraph_b + np.int32(paragraphs_a)))
    eligible = np.zeros(paragraphs_a + paragraphs_b, dtype=np.bool_)
    eligible[: min(paragraphs_a, most)] = True
    eligible[paragraphs_a : paragraphs_a + min(paragraphs_b, most)] = True
    firsts, laters, overlaps = paragraph_overlaps(hashes, owners, eligible)
    # The best pair of each paragraph, of a (by its index) and of b (after a's).
    best = np.full(paragraphs_a + paragraphs_b, -1, dtype=np.int64)
    for k in range(firsts.shape[0]):
        if firsts[k] >= paragraphs_a or laters[k] < paragraphs_a:
            continue  # both in the same document
        for own, other in ((firsts[k], laters[k]), (laters[k], firsts[k])):
            held = best[own]
            if held < 0 or overlaps[k] > overlaps[held]:
                best[own] = k
            elif overlaps[k] == overlaps[held]:
                held_other = laters[held] if own == firsts[k] else firsts[held]
                if other < held_other:
                    best[own] = k
    keep = np.zeros(firsts.shape[0], dtype=np.bool_)
    for pair in best:
        if pair >= 0 and overlaps[pair] >= min_score:
            keep[pair] = True
    chosen = np.flatnonzero(keep)
    # In the order of a's paragraphs, then b's.
    order = np.argsort(firsts[chosen] * (paragraphs_a + paragraphs_b + 1) + laters[chosen])
    chosen = chosen[order]
    return firsts[chosen], laters[chosen] - paragraphs_a, overlaps[chosen]


def _formula_decides(scores: dict[str, float], config: MatchConfig) -> bool:
    """Whether the pair could be linked, so that a formula would change the verdict. An obvious
    copy shares most of both texts' rarer words, the names a formula would not share: no
    formula, and its shared text is left uncounted."""
    if _obvious_copy(scores, config):
        return False
    return (
        max(scores["containment_a"], scores["containment_b"]) >= config.partial_containment
        or max(scores["weighted_a"], scores["weighted_b"]) >= _ALIGN_FROM_WEIGHTED
    )


def shares_only_a_formula(scores: dict[str, float], config: MatchConfig) -> bool:
    """Whether the pair would be linked but for the formula check: what the two share is a
    formula many documents hold (see :mod:`dedup.commonness`)."""
    return classify(scores, config) is None and (
        classify(scores, replace(config, template_df=math.inf)) is not None
    )


def _formula(scores: dict[str, float], config: MatchConfig) -> bool:
    """The shared 3-grams are common in the corpus, and far commoner than the contained text's
    3-grams as a whole: a formula wrapped around other names (see :mod:`dedup.commonness`)."""
    shared = scores.get("shared_df")
    if shared is None:
        return False
    return shared > config.template_df and shared > config.template_ratio * max(
        scores["own_df"], 1.0
    )


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
    text's sentences, rarer words or 3-grams is found in the other (rarer words with some
    3-grams: words alone are a topic). Neither when what the two share is a formula many
    documents hold (``shared_df``, ``own_df``), unless, for a near-duplicate, the smaller text's
    rarer words are nearly all shared too; nor when two short texts each hold a figure the
    other lacks (``numbers_a``, ``numbers_b``: "vitamin b12" and "vitamin b2"), or two longer
    ones share almost none of their figures (``figures_shared``: Monday's closing prices and
    Tuesday's); and no near-duplicate when they share few.
    """
    if max(scores.get("numbers_a", 1.0), scores.get("numbers_b", 1.0)) < 1.0:
        return None  # short texts, each with a figure the other lacks, say other things
    figures_shared = scores.get("figures_shared", 1.0)
    if figures_shared < min(_PARTIAL_MIN_FIGURES, config.min_figures_shared):
        return None  # the same wording around other figures: another day's report
    # Few figures in common: a digest may still reuse part of the text (a partial copy), but it
    # is no copy of the whole.
    other_figures = figures_shared < config.min_figures_shared
    weighted_small = max(scores["weighted_a"], scores["weighted_b"])
    sentences_a, sentences_b = scores.get("sentences_a", 0.0), scores.get("sentences_b", 0.0)
    sentences_small = max(sentences_a, sentences_b)
    sentences_large = min(sentences_a, sentences_b)
    contained_a, contained_b = scores["containment_a"], scores["containment_b"]
    if _obvious_copy(scores, config) and not other_figures:
        lopsided = abs(contained_a - contained_b) >= _LOPSIDED
        return "near_duplicate", (
            "a_in_b" if contained_a > contained_b else "b_in_a"
        ) if lopsided else None
    # Sentences tell the direction where their shares differ; near-equal ones say nothing, and
    # the 3-grams do.
    by_sentences = abs(sentences_a - sentences_b) >= _SENTENCES_APART
    a_inside = sentences_a > sentences_b if by_sentences else contained_a >= contained_b
    direction: Literal["a_in_b", "b_in_a"] = "a_in_b" if a_inside else "b_in_a"
    formula = _formula(scores, config)
    if (
        weighted_small >= config.near_weighted_small
        and sentences_small >= config.near_sentences_small
        and sentences_large >= config.near_sentences_large
        # A formula's sentences match around other names: its rarer words do not.
        and not (formula and weighted_small < config.template_weighted)
        and not other_figures
    ):
        lopsided = sentences_small - sentences_large >= _LOPSIDED
        return "near_duplicate", direction if lopsided else None
    if (
        max(contained_a, contained_b) >= config.partial_containment
        or (
            weighted_small >= config.partial_weighted
            and max(contained_a, contained_b) >= _PARTIAL_MIN_CONTAINMENT
        )
        or sentences_small >= config.partial_sentences
    ) and not formula:
        return "partial", direction
    return None
