"""Verification measures: the compiled shortcuts change nothing but the work done."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from dedup import normalize
from dedup.text.normalize import space_spaceless
from dedup.verify import (
    DocumentFrequencies,
    SentenceWords,
    _overlap,
    _sorted_unique_runs,
    _verdict_by_lengths,
    align_paragraphs,
    measure,
    profile,
    sentence_coverage,
    sentences,
)

# The sentence ends verify.sentences finds in one compiled pass, as a regular expression.
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|(?<=[。！？｡])\s*|\n+")

words = st.sampled_from(["the", "minister", "said", "وزير", "قال", "talks", "ended", "a", "b"])
# Any white space separates words, as str.split has it; a sentence may hold a line break.
gaps = st.sampled_from([" ", " ", "  ", "\t", "\n", "\u00a0"])
sentence_lists = st.lists(
    st.lists(st.tuples(words, gaps), min_size=3, max_size=9).map(
        lambda parts: "".join(word + gap for word, gap in parts).strip()
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([np.uint32, np.uint64]),
    st.lists(
        st.lists(st.sampled_from([0, 1, 255, 256, 2**31, 2**32 - 1]) | st.integers(0, 2**32 - 1)),
        max_size=6,
    ),
    st.booleans(),
)
def test_sorted_unique_runs_equal_np_unique_of_each_run(
    dtype: type[np.unsignedinteger], runs: list[list[int]], wide: bool
) -> None:
    # 64-bit values: the high bits too, where a radix sort's last passes work.
    scale = 2**32 + 7 if wide and dtype is np.uint64 else 1
    arrays = [np.array([v * scale % 2**64 for v in run], dtype=dtype) for run in runs]
    offsets = np.zeros(len(runs) + 1, dtype=np.int64)
    np.cumsum([len(run) for run in runs], out=offsets[1:])
    values = np.concatenate(arrays) if arrays else np.empty(0, dtype)
    out, new_offsets = _sorted_unique_runs(values, offsets)
    expected = [np.unique(array) for array in arrays]
    assert out.dtype == dtype
    assert new_offsets.tolist() == [0, *np.cumsum([len(e) for e in expected]).tolist()]
    assert out.tolist() == [v for e in expected for v in e.tolist()]


def coverage_by_brute_force(a: list[str], b: list[str]) -> float:
    """Every sentence pair compared on word sets, then by rapidfuzz (the definition)."""
    if not a or not b:
        return 0.0
    covered = 0
    for text in a:
        for other in b:
            mine, theirs = frozenset(text.split()), frozenset(other.split())
            if len(mine & theirs) < 0.5 * min(len(mine), len(theirs)):
                continue
            if fuzz.token_set_ratio(text, other, score_cutoff=80):
                covered += len(text)
                break
    return covered / sum(len(text) for text in a)


# Words of many lengths, some a letter apart: most pairs are decided by word lengths alone
# (verify._sentence_verdicts), some only by rapidfuzz, some right at its cutoff.
varied_words = st.sampled_from(
    ["a", "ab", "abc", "abcd", "minister", "ministers", "وزير", "الوزير", "𝔸𝔹", "x" * 12, "y" * 30]
)
varied_sentence_lists = st.lists(
    st.lists(varied_words, min_size=1, max_size=12).map(" ".join), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(sentence_lists, sentence_lists)
def test_sentence_coverage_equals_the_definition(a: list[str], b: list[str]) -> None:
    assert sentence_coverage(a, b) == coverage_by_brute_force(a, b)


@settings(max_examples=500, deadline=None)
@given(varied_sentence_lists, varied_sentence_lists)
def test_sentence_coverage_equals_the_definition_for_words_of_any_length(
    a: list[str], b: list[str]
) -> None:
    assert sentence_coverage(a, b) == coverage_by_brute_force(a, b)


@pytest.mark.parametrize(
    ("a", "b", "by_lengths"),
    [
        # One side's words all shared: 100 whatever the rest.
        ("abcd minister", "abcd minister ministers " + "y" * 30, 1),
        # "abcd" against "abcd x": 80 exactly, which only rapidfuzz's rounding can decide.
        ("abcd x", "abcd " + "y" * 10 + " " + "z" * 10, -1),
        # A letter more: 72.7, and the own words differ too much in length to reach 80.
        ("abcd xy", "abcd " + "y" * 10 + " " + "z" * 10, 0),
        # Own words of equal length: only their comparison can tell (92.3 and 26.7).
        ("ab abcdefghij", "ab abcdefghik", -1),
        ("ab abcdefghij", "ab zzzzzzzzzz", -1),
    ],
)
def test_sentence_pairs_decided_by_word_lengths_agree_with_rapidfuzz(
    a: str, b: str, by_lengths: int
) -> None:
    words_a, words_b = SentenceWords.of([a]), SentenceWords.of([b])
    shared, shared_chars = words_a.overlap_with(words_b)
    verdict = _verdict_by_lengths(
        shared[0, 0],
        shared_chars[0, 0],
        words_a.sizes[0],
        words_a.chars[0],
        words_b.sizes[0],
        words_b.chars[0],
        20,
    )
    assert verdict == by_lengths
    expected = 1.0 if fuzz.token_set_ratio(a, b, score_cutoff=80) else 0.0
    assert sentence_coverage([a], [b]) == expected


def test_sentences_with_other_white_space_are_left_to_rapidfuzz() -> None:
    # Where no character is beyond U+00FF, rapidfuzz keeps a no-break space inside a word.
    a, b = ["the\u00a0the minister"], ["the the the"]
    assert not SentenceWords.of(a).plain[0]
    assert sentence_coverage(a, b) == coverage_by_brute_force(a, b) == 0.0


def test_sentences_of_one_letter_each_are_one_word_each() -> None:
    # Joined without separators, eight sentences of one letter make eight words.
    words = SentenceWords.of(list("abcdefgh"))
    assert words.sizes.tolist() == [1] * 8
    assert sentence_coverage(list("abcdefgh"), ["x y h"]) == 1 / 8


@pytest.mark.parametrize(
    ("sentence", "plain"),
    [
        ("the minister said", True),
        ("the\tminister\nsaid\x1fnow", True),
        ("the\u0085minister said", False),
        ("the\u00a0minister said", False),
        ("the\u3000minister said", False),
        ("the\u00a0minister said وزير", False),
    ],
)
def test_only_sentences_with_ascii_white_space_are_plain(sentence: str, plain: bool) -> None:
    assert SentenceWords.of([sentence]).plain.tolist() == [plain]


def test_shared_words_count_distinct_words_per_sentence_pair() -> None:
    a = SentenceWords.of(["the the minister said", "talks ended"])
    b = SentenceWords.of(["the minister", "ended the talks", "nothing here"])
    assert a.sizes.tolist() == [3, 2]
    assert a.chars.tolist() == [3 + 8 + 4, 5 + 5]
    assert a.shared_with(b).tolist() == [[2, 1, 0], [0, 2, 0]]
    assert a.overlap_with(b)[1].tolist() == [[11, 3, 0], [0, 10, 0]]


# ASCII texts take the whole-text path; Arabic, CJK, combining marks, jamo and ligatures the
# compiled one (and its reference fallback).
ascii_pieces = [*"abAB .!?\n\t,\r\x0b\x1f-Z9"]
sentence_text = st.one_of(
    st.lists(st.sampled_from(ascii_pieces), max_size=40),
    st.lists(
        st.sampled_from(
            [
                *ascii_pieces,
                "؟",
                "وزير",
                "قال",
                "中国",
                "。",
                "！",
                "cafe\u0301",
                "\u1100\u1161",
                "ﬁ",
            ]
        ),
        max_size=40,
    ),
).map("".join)


@settings(max_examples=300, deadline=None)
@given(sentence_text)
def test_sentences_equal_each_piece_normalized(text: str) -> None:
    pieces = (space_spaceless(normalize(piece)) for piece in _SENTENCE_END.split(text))
    assert sentences(text) == [piece for piece in pieces if piece.count(" ") >= 2]


# Few distinct values (high bits set too), so that the sets share tokens often.
token_sets = st.lists(
    st.integers(0, 300).map(lambda v: v * 0x9E3779B97F4A7C15 % 2**64), max_size=60, unique=True
).map(lambda values: np.array(sorted(values), dtype=np.uint64))
shingle_sets = st.lists(st.integers(0, 300), max_size=60, unique=True).map(
    lambda values: np.array(sorted(values), dtype=np.uint32)
)


@settings(max_examples=100, deadline=None)
@given(token_sets, token_sets, st.sampled_from([np.int32, np.int64]))
def test_counting_word_bins_equals_counting_each_document(
    tokens_a: np.ndarray, tokens_b: np.ndarray, dtype: type[np.signedinteger]
) -> None:
    # The bins of distinct words, as digest workers send them (int32), or any integer type.
    by_document = DocumentFrequencies(bins_log2=4)
    by_bins = DocumentFrequencies(bins_log2=4)
    bins = []
    for tokens in (tokens_a, tokens_b):
        by_document.add(tokens)
        bins.extend(np.unique(tokens & by_bins.mask).tolist())
    by_bins.add_bins(np.array(bins, dtype=dtype), 2)
    assert by_bins.counts.tolist() == by_document.counts.tolist()
    assert by_bins.documents == by_document.documents == 2


@settings(max_examples=200, deadline=None)
@given(shingle_sets, shingle_sets, token_sets, token_sets, st.integers(0, 200))
def test_overlap_equals_set_intersections_and_weights(
    shingles_a: np.ndarray,
    shingles_b: np.ndarray,
    tokens_a: np.ndarray,
    tokens_b: np.ndarray,
    documents: int,
) -> None:
    frequencies = DocumentFrequencies(bins_log2=4)
    for tokens in (tokens_a, tokens_b, tokens_a[::2]):
        frequencies.add(tokens)
    frequencies.documents = documents
    uniform = frequencies.documents < frequencies.min_documents
    shared, shared_weight, weight_a, weight_b = _overlap(
        shingles_a,
        shingles_b,
        tokens_a,
        tokens_b,
        frequencies.counts,
        frequencies.mask,
        max(documents, 1),
        uniform,
    )
    assert shared == len(np.intersect1d(shingles_a, shingles_b))
    weights_a, weights_b = frequencies.weights(tokens_a), frequencies.weights(tokens_b)
    in_both = np.isin(tokens_a, tokens_b)
    assert shared_weight == pytest.approx(weights_a[in_both].sum(), rel=1e-12, abs=1e-12)
    assert weight_a == pytest.approx(weights_a.sum(), rel=1e-12, abs=1e-12)
    assert weight_b == pytest.approx(weights_b.sum(), rel=1e-12, abs=1e-12)


def aligned_by_brute_force(a: str, b: str) -> tuple[tuple[int, int, float], ...]:
    """Each paragraph, of ``a`` and of ``b`` alike, with the paragraph of the other document
    sharing the most of the smaller one's distinct 3-grams (the earliest on a tie), when that
    share is at least half, or where none is, a tenth; in the order of ``a``'s paragraphs."""
    shingles_a, shingles_b = profile(a).shingles, profile(b).shingles
    sets_a = [set(shingles_a.hashes[shingles_a.paragraph == p].tolist()) for p in range(100)]
    sets_b = [set(shingles_b.hashes[shingles_b.paragraph == p].tolist()) for p in range(100)]

    def score(i: int, j: int) -> float:
        shared = sets_a[i] & sets_b[j]
        return len(shared) / min(len(sets_a[i]), len(sets_b[j])) if shared else 0.0

    for threshold in (0.5, 0.1):
        pairs = set()
        for i in range(100):
            j = max(range(100), key=lambda j: (score(i, j), -j))
            if score(i, j) >= threshold:
                pairs.add((i, j))
        for j in range(100):
            i = max(range(100), key=lambda i: (score(i, j), -i))
            if score(i, j) >= threshold:
                pairs.add((i, j))
        if pairs:
            return tuple((i, j, round(score(i, j), 4)) for i, j in sorted(pairs))
    return ()


paragraph_texts = st.lists(
    st.lists(
        st.sampled_from(["the", "minister", "said", "talks", "ended", "وزير"]),
        min_size=1,
        max_size=8,
    ).map(" ".join),
    min_size=1,
    max_size=6,
).map("\n\n".join)


@settings(max_examples=200, deadline=None)
@given(paragraph_texts, paragraph_texts)
def test_align_paragraphs_pairs_each_paragraph_with_its_best_match(a: str, b: str) -> None:
    assert align_paragraphs(profile(a), profile(b)) == aligned_by_brute_force(a, b)


def test_sentence_alignment_reads_the_first_2000_sentences_of_a_long_document() -> None:
    # Two tables of sentence pairs: unbounded, a 10 MB document would need hundreds of GB.
    shared = [f"the minister {n} said talks {n + 1} ended." for n in range(2000)]
    a = profile(" ".join([*shared, *(f"rain fell on town {n} today." for n in range(500))]))
    b = profile(" ".join([*shared, *(f"sun shone over port {n} again." for n in range(700))]))
    assert len(a.sentence_runs()) == 2500
    assert len(a.sentence_words().sizes) == 2000
    scores = measure(a, b, DocumentFrequencies())
    assert (scores["sentences_a"], scores["sentences_b"]) == (1.0, 1.0)


def test_align_paragraphs_reads_the_first_1000_paragraphs_of_each_side() -> None:
    # Paragraph i of a is paragraph 1099 - i of b; a pair is aligned when both are among
    # their document's first 1,000 paragraphs (another paragraph shares 2 of 5 3-grams).
    paragraphs = [f"story {n} of the day number {n}" for n in range(1100)]
    a, b = profile("\n\n".join(paragraphs)), profile("\n\n".join(reversed(paragraphs)))
    assert align_paragraphs(a, b) == tuple((i, 1099 - i, 1.0) for i in range(100, 1000))


def test_two_empty_texts_share_nothing() -> None:
    scores = measure(profile(""), profile("  \n "), DocumentFrequencies())
    assert (scores["jaccard"], scores["containment_a"], scores["containment_b"]) == (0, 0, 0)


def test_near_equal_sentence_shares_leave_the_direction_to_the_3grams() -> None:
    from dedup.config import MatchConfig
    from dedup.verify import classify

    scores = {"jaccard": 0.3, "containment_a": 0.85, "containment_b": 0.4}
    scores |= {"weighted_a": 0.6, "weighted_b": 0.3}
    # 0.654 and 0.671 of each other's sentences say nothing; 85% of a's 3-grams are in b.
    assert classify(scores | {"sentences_a": 0.654, "sentences_b": 0.671}, MatchConfig()) == (
        "partial",
        "a_in_b",
    )
    assert classify(scores | {"sentences_a": 0.3, "sentences_b": 0.9}, MatchConfig()) == (
        "partial",
        "b_in_a",
    )
