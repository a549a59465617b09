"""The batch analysis equals the per-text analysis, document for document."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from texts import AR_DATELINE, AR_HEAD, AR_LEAD, AR_OTHER, EN_HEAD, EN_LEAD, EN_OTHER, ZH_LEAD

from dedup import Document, RepeatConfig, find_repeats_in
from dedup.repeats import MIN_OVERLAP
from dedup.text.analyze import analyze
from dedup.text.batch import _code_points, analyze_batch
from dedup.text.words import words_of_text
from dedup.verify import profile, profiles_of

MIN_TOKENS = RepeatConfig().min_tokens
# Words, Arabic, CJK, combining marks and jamo (the per-text path), punctuation, line breaks.
pieces = st.sampled_from(
    [
        "news ",
        "the minister said ",
        "وزير الخارجية ",
        "قال ",
        "中国外交部",
        "ข่าวกรุงเทพ",
        "cafe\u0301 ",
        "\u1100\u1161 ",
        "ﬁnal ",
        ". ",
        "\n",
        "\n\n",
        " \t ",
        "!!! ",
        "\u00e9t\u00e9 ",  # two-byte UTF-8
        "\U0001f600 ",  # four-byte UTF-8
        "\ud83d ",  # a lone surrogate, as broken scraped text has
    ]
)
texts = st.lists(pieces, max_size=40).map("".join)


def assert_equal_to_per_text(texts: list[str]) -> None:
    batch = analyze_batch(texts, MIN_TOKENS, MIN_OVERLAP)
    assert len(batch) == len(texts)
    for d, text in enumerate(texts):
        analysis = analyze(text)
        shingles = analysis.shingles

        def run(values: np.ndarray, offsets: np.ndarray, d: int = d) -> list[int]:
            return values[offsets[d] : offsets[d + 1]].tolist()

        assert run(batch.shingles, batch.shingle_offsets) == shingles.hashes.tolist()
        assert run(batch.shingle_paragraph, batch.shingle_offsets) == shingles.paragraph.tolist()
        assert run(batch.tokens, batch.token_offsets) == shingles.tokens.tolist()
        assert run(batch.words, batch.word_offsets) == words_of_text(text, shingles.tokens).tolist()
        assert run(batch.paragraph_tokens, batch.paragraph_offsets) == (
            shingles.token_counts.tolist()
        )
        assert run(batch.paragraph_hashes, batch.paragraph_offsets) == (
            analysis.normalized.hashes.tolist()
        )
        assert run(batch.paragraph_spans, batch.paragraph_offsets) == [
            [p.start, p.end] for p in analysis.paragraphs
        ]
        if find_repeats_in(Document("d", text)):
            assert batch.maybe_repeats[d], "a document with repeats must not be skipped"


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, max_size=6))
def test_batch_analysis_equals_the_per_text_analysis(batch: list[str]) -> None:
    assert_equal_to_per_text(batch)


def test_documents_with_repeats_are_flagged_and_plain_ones_are_not() -> None:
    repeated = f"{EN_HEAD}\n\n{EN_LEAD}\n\n{EN_OTHER}\n\n{EN_LEAD}"
    dateline = f"{AR_HEAD}\n\n{AR_LEAD}\n\n{AR_DATELINE}{AR_LEAD}\n\n{AR_OTHER}"
    plain = f"{EN_HEAD}\n\n{EN_LEAD}\n\n{EN_OTHER}"
    texts = [repeated, plain, dateline, "", ZH_LEAD, "cafe\u0301 " * 30 + "\n\n" + plain]
    assert_equal_to_per_text(texts)
    flagged = analyze_batch(texts, MIN_TOKENS, MIN_OVERLAP).maybe_repeats.tolist()
    assert flagged == [True, False, True, False, False, False]


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, max_size=5))
def test_profiles_of_a_batch_equal_the_profile_of_each_text(batch: list[str]) -> None:
    for together, text in zip(profiles_of(batch), batch, strict=True):
        alone = profile(text)
        assert together.paragraphs == alone.paragraphs
        assert together.shingle_set.tolist() == alone.shingle_set.tolist()
        assert together.token_set.tolist() == alone.token_set.tolist()
        assert together.shingles.hashes.tolist() == alone.shingles.hashes.tolist()
        assert together.shingles.paragraph.tolist() == alone.shingles.paragraph.tolist()
        assert together.shingles.token_counts.tolist() == alone.shingles.token_counts.tolist()


# Any code point (one to four bytes), ASCII alone, and lone surrogates (which Python writes as
# three bytes with "surrogatepass"; broken scraped text has them).
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF))
ascii_text = st.text(st.characters(max_codepoint=0x7F))
with_surrogates = st.text(st.one_of(st.characters(categories=["Cs"]), st.characters()))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(st.one_of(any_text, ascii_text, with_surrogates), max_size=6),
        st.lists(ascii_text, max_size=6),  # the ASCII shortcut
    )
)
def test_decoding_equals_pythons_text_by_text(texts: list[str]) -> None:
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    byte_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(data) for data in encoded], out=byte_offsets[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    codepoints, offsets = _code_points(data, byte_offsets)
    assert (codepoints.dtype, offsets.dtype) == (np.uint32, np.int64)
    decoded = [
        "".join(map(chr, codepoints[offsets[d] : offsets[d + 1]].tolist()))
        for d in range(len(texts))
    ]
    assert decoded == texts
    assert offsets[-1] == len(codepoints)
