"""A batch of texts segmented, normalized and shingled in one compiled call.

:func:`dedup.text.analyze.analyze` does this for one text and keeps everything (paragraph
objects, normal forms) that verification and reports need. The per-document pass needs less, for
many texts: shingles, words, paragraph hashes and counts. Calling the kernels once per text cost
more in dispatch and small objects than the kernels themselves, so :func:`analyze_batch` runs the
same kernels over a whole batch in one call and returns flat arrays, one run per document.

It also tells which documents may hold a repeated paragraph (two equal paragraphs, or two long
enough sharing a good part of their 3-grams): only those need :func:`dedup.repeats.find_repeats`.
A text the table cannot normalize (combining marks, Hangul jamo) takes the per-text path, whose
reference normalization is in Python; the results are the same (a test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numba
import numpy as np
import numpy.typing as npt

from dedup.text.analyze import SHINGLE_N, TextAnalysis, analyze
from dedup.text.normalize import _normalize_kernel, _tables
from dedup.text.segment import _spans_kernel
from dedup.text.shingle import (
    _POSITION_MULTIPLIERS,
    MAX_COMPARED_PARAGRAPHS,
    _ngrams,
    paragraph_overlaps,
)
from dedup.text.words import token_run_lengths, words_of_batch

__all__ = ["BatchAnalysis", "analyze_batch", "analyze_encoded"]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


@dataclass(slots=True)
class BatchAnalysis:
    """Flat arrays for a batch; document ``d`` owns ``x[x_offsets[d]:x_offsets[d + 1]]``."""

    shingle_offsets: I64
    shingles: U32
    shingle_paragraph: I32  # paragraph index within its document
    paragraph_offsets: I64
    paragraph_spans: I64  # (paragraphs, 2): [start, end) in the text, in code points
    paragraph_tokens: I32  # tokens per paragraph
    paragraph_hashes: U64  # hash of each normalized paragraph (0: empty)
    token_offsets: I64
    tokens: U64  # token hashes, in order
    maybe_repeats: npt.NDArray[np.bool_]
    # words (dedup.text.words): the tokens, runs of spaceless characters made words
    word_offsets: I64 = field(default_factory=lambda: np.zeros(1, np.int64))
    words: U64 = field(default_factory=lambda: np.empty(0, np.uint64))

    def __len__(self) -> int:
        return len(self.maybe_repeats)


def analyze_batch(
    texts: Sequence[str],
    repeat_min_tokens: int | None = None,
    repeat_min_overlap: float = 1.0,
) -> BatchAnalysis:
    """Analyze ``texts`` (see the module docstring).

    ``maybe_repeats[d]`` is true when document ``d`` has two paragraphs with the same normal
    form, or two of at least ``repeat_min_tokens`` tokens sharing ``repeat_min_overlap`` of the
    smaller one's distinct 3-grams. Without ``repeat_min_tokens`` only equal paragraphs count
    (and no overlap is computed).
    """
    # UTF-8 is a copy for ASCII text, where UTF-32 costs a slow encoder: the kernel decodes.
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    byte_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(data) for data in encoded], out=byte_offsets[1:])
    return analyze_encoded(b"".join(encoded), byte_offsets, repeat_min_tokens, repeat_min_overlap)


def analyze_encoded(
    encoded: bytes,
    byte_offsets: I64,
    repeat_min_tokens: int | None = None,
    repeat_min_overlap: float = 1.0,
) -> BatchAnalysis:
    """:func:`analyze_batch` of texts given as UTF-8 (``"surrogatepass"``), joined: text ``d``
    is ``encoded[byte_offsets[d]:byte_offsets[d + 1]]``."""
    if repeat_min_tokens is None:
        repeat_min_tokens = np.iinfo(np.int32).max  # no paragraph is long enough to compare
    codepoints, offsets = _code_points(np.frombuffer(encoded, dtype=np.uint8), byte_offsets)
    table, _ = _tables()
    arrays = _batch_kernel(
        codepoints,
        offsets,
        table,
        SHINGLE_N,
        _POSITION_MULTIPLIERS,
        repeat_min_tokens,
        repeat_min_overlap,
        MAX_COMPARED_PARAGRAPHS,
    )
    batch = BatchAnalysis(*arrays[:-1])
    complex_texts = np.flatnonzero(arrays[-1])
    if len(complex_texts):
        texts = {
            d: encoded[byte_offsets[d] : byte_offsets[d + 1]].decode("utf-8", "surrogatepass")
            for d in complex_texts.tolist()
        }
        batch = _with_analyses(
            batch,
            {d: analyze(text) for d, text in texts.items()},
            repeat_min_tokens,
            repeat_min_overlap,
        )
    run_lengths = token_run_lengths(codepoints, offsets, batch.tokens, batch.token_offsets)
    batch.words, batch.word_offsets = words_of_batch(batch.tokens, batch.token_offsets, run_lengths)
    return batch


def _code_points(data: npt.NDArray[np.uint8], byte_offsets: I64) -> tuple[U32, I64]:
    """Code points of joined UTF-8 texts (see :func:`_decode_utf8`), and where each starts."""
    if len(data) and int(data.max()) < 0x80:
        # ASCII (most English batches): each byte is its code point. A numpy copy, 4x faster
        # than decoding byte by byte.
        return data.astype(np.uint32), np.ascontiguousarray(byte_offsets, dtype=np.int64)
    return _decode_utf8(data, byte_offsets)


@numba.njit(cache=True, nogil=True)
def _decode_utf8(data: npt.NDArray[np.uint8], byte_offsets: I64) -> tuple[U32, I64]:
    """Code points of UTF-8 that Python wrote (valid; surrogates as three bytes), and where
    each text of ``byte_offsets`` starts among them."""
    out = np.empty(data.shape[0], np.uint32)
    offsets = np.zeros(byte_offsets.shape[0], np.int64)
    i = n = 0
    text = 1
    while i < data.shape[0]:
        while text < byte_offsets.shape[0] and byte_offsets[text] <= i:
            offsets[text] = n
            text += 1
        b = np.uint32(data[i])
        if b < 0x80:
            out[n] = b
            i += 1
        elif b < 0xE0:
            out[n] = ((b & 0x1F) << 6) | (data[i + 1] & 0x3F)
            i += 2
        elif b < 0xF0:
            out[n] = ((b & 0x0F) << 12) | ((data[i + 1] & 0x3F) << 6) | (data[i + 2] & 0x3F)
            i += 3
        else:
            out[n] = (
                ((b & 0x07) << 18)
                | ((data[i + 1] & 0x3F) << 12)
                | ((data[i + 2] & 0x3F) << 6)
                | (data[i + 3] & 0x3F)
            )
            i += 4
        n += 1
    offsets[text:] = n
    return out[:n], offsets


@numba.njit(cache=True, nogil=True)
def _batch_kernel(
    codepoints: U32,
    offsets: I64,
    table: npt.NDArray[np.int32],
    n: int,
    multipliers: U64,
    repeat_min_tokens: int,
    repeat_min_overlap: float,
    dense_limit: int,
) -> tuple[
    I64, U32, I32, I64, I64, I32, U64, I64, U64, npt.NDArray[np.bool_], npt.NDArray[np.bool_]
]:
    documents = offsets.shape[0] - 1
    capacity = codepoints.shape[0] // 2 + documents + 1
    shingle_offsets = np.zeros(documents + 1, np.int64)
    shingles = np.empty(capacity, np.uint32)
    shingle_paragraph = np.empty(capacity, np.int32)
    paragraph_offsets = np.zeros(documents + 1, np.int64)
    paragraph_spans = np.empty((capacity, 2), np.int64)
    paragraph_tokens = np.empty(capacity, np.int32)
    paragraph_hashes = np.empty(capacity, np.uint64)
    token_offsets = np.zeros(documents + 1, np.int64)
    tokens = np.empty(capacity, np.uint64)
    maybe_repeats = np.zeros(documents, np.bool_)
    complex_texts = np.zeros(documents, np.bool_)
    s = p = t = 0
    for d in range(documents):
        text = codepoints[offsets[d] : offsets[d + 1]]
        spans = _spans_kernel(text)
        _, _, hashes, token_hashes, counts, is_complex = _normalize_kernel(
            text, spans, table, True, True
        )
        if is_complex:
            complex_texts[d] = True  # analyzed in Python (see analyze_batch)
        else:
            hashed, paragraph = _ngrams(token_hashes, counts, n, multipliers)
            paragraphs = spans.shape[0]
            # Spaceless scripts make a token of every character: grow when a text needs it.
            if s + hashed.shape[0] > shingles.shape[0]:
                shingles = _grow(shingles, s + hashed.shape[0])
                shingle_paragraph = _grow(shingle_paragraph, s + hashed.shape[0])
            if t + token_hashes.shape[0] > tokens.shape[0]:
                tokens = _grow(tokens, t + token_hashes.shape[0])
            if p + paragraphs > paragraph_tokens.shape[0]:
                paragraph_tokens = _grow(paragraph_tokens, p + paragraphs)
                paragraph_hashes = _grow(paragraph_hashes, p + paragraphs)
                paragraph_spans = _grow_rows(paragraph_spans, p + paragraphs)
            shingles[s : s + hashed.shape[0]] = hashed
            shingle_paragraph[s : s + hashed.shape[0]] = paragraph
            s += hashed.shape[0]
            paragraph_spans[p : p + paragraphs] = spans
            paragraph_tokens[p : p + paragraphs] = counts
            paragraph_hashes[p : p + paragraphs] = hashes
            p += paragraphs
            tokens[t : t + token_hashes.shape[0]] = token_hashes
            t += token_hashes.shape[0]
            maybe_repeats[d] = _may_repeat(
                hashes,
                counts,
                hashed,
                paragraph,
                repeat_min_tokens,
                repeat_min_overlap,
                dense_limit,
            )
        shingle_offsets[d + 1] = s
        paragraph_offsets[d + 1] = p
        token_offsets[d + 1] = t
    return (
        shingle_offsets,
        shingles[:s].copy(),
        shingle_paragraph[:s].copy(),
        paragraph_offsets,
        paragraph_spans[:p].copy(),
        paragraph_tokens[:p].copy(),
        paragraph_hashes[:p].copy(),
        token_offsets,
        tokens[:t].copy(),
        maybe_repeats,
        complex_texts,
    )


@numba.njit(cache=True, nogil=True)
def _grow(values: np.ndarray, needed: int) -> np.ndarray:
    grown = np.empty(max(needed, 2 * values.shape[0]), values.dtype)
    grown[: values.shape[0]] = values
    return grown


@numba.njit(cache=True, nogil=True)
def _grow_rows(values: np.ndarray, needed: int) -> np.ndarray:
    grown = np.empty((max(needed, 2 * values.shape[0]), values.shape[1]), values.dtype)
    grown[: values.shape[0]] = values
    return grown


@numba.njit(cache=True, nogil=True)
def _may_repeat(
    hashes: U64,
    counts: I32,
    shingles: U32,
    paragraph: I32,
    min_tokens: int,
    min_overlap: float,
    dense_limit: int,
) -> bool:
    """Whether :func:`dedup.repeats.find_repeats` can find anything in this document."""
    paragraphs = hashes.shape[0]
    if paragraphs < 2:
        return False
    ordered = np.sort(hashes)
    for k in range(1, paragraphs):
        if ordered[k] != 0 and ordered[k] == ordered[k - 1]:
            return True
    eligible = np.zeros(paragraphs, np.bool_)
    count = 0
    for k in range(paragraphs):
        if counts[k] >= min_tokens and count < dense_limit:
            eligible[k] = True
            count += 1
    if count < 2:
        return False
    _, _, overlaps = paragraph_overlaps(shingles, paragraph, eligible)
    return bool((overlaps >= min_overlap).any())


def _with_analyses(
    batch: BatchAnalysis,
    analyses: dict[int, TextAnalysis],
    repeat_min_tokens: int,
    repeat_min_overlap: float,
) -> BatchAnalysis:
    """``batch`` with the runs of some documents replaced by their per-text analyses."""

    def runs(values: np.ndarray, run_offsets: I64) -> list[np.ndarray]:
        return [values[run_offsets[d] : run_offsets[d + 1]] for d in range(len(batch))]

    shingles = runs(batch.shingles, batch.shingle_offsets)
    shingle_paragraph = runs(batch.shingle_paragraph, batch.shingle_offsets)
    paragraph_tokens = runs(batch.paragraph_tokens, batch.paragraph_offsets)
    paragraph_spans = runs(batch.paragraph_spans, batch.paragraph_offsets)
    paragraph_hashes = runs(batch.paragraph_hashes, batch.paragraph_offsets)
    tokens = runs(batch.tokens, batch.token_offsets)
    maybe_repeats = batch.maybe_repeats.copy()
    for d, analysis in analyses.items():
        found = analysis.shingles
        shingles[d], shingle_paragraph[d], tokens[d] = found.hashes, found.paragraph, found.tokens
        paragraph_tokens[d] = found.token_counts
        paragraph_spans[d] = np.array(
            [(p.start, p.end) for p in analysis.paragraphs], dtype=np.int64
        ).reshape(-1, 2)
        paragraph_hashes[d] = analysis.normalized.hashes
        maybe_repeats[d] = _may_repeat(
            analysis.normalized.hashes,
            found.token_counts,
            found.hashes,
            found.paragraph,
            repeat_min_tokens,
            repeat_min_overlap,
            MAX_COMPARED_PARAGRAPHS,
        )

    def joined(parts: list[np.ndarray], dtype: type) -> tuple[I64, np.ndarray]:
        run_offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(part) for part in parts], out=run_offsets[1:])
        return run_offsets, np.concatenate(parts).astype(dtype, copy=False)

    shingle_offsets, flat_shingles = joined(shingles, np.uint32)
    paragraph_offsets, flat_tokens_per_paragraph = joined(paragraph_tokens, np.int32)
    token_offsets, flat_tokens = joined(tokens, np.uint64)
    return BatchAnalysis(
        shingle_offsets,
        flat_shingles,
        np.concatenate(shingle_paragraph).astype(np.int32, copy=False),
        paragraph_offsets,
        np.concatenate(paragraph_spans).astype(np.int64, copy=False).reshape(-1, 2),
        flat_tokens_per_paragraph,
        np.concatenate(paragraph_hashes).astype(np.uint64, copy=False),
        token_offsets,
        flat_tokens,
        maybe_repeats,
    )
