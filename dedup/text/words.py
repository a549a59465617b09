"""Words, for the measures that weigh what two texts share by how rare it is.

A token is a word, or one character of a script written without spaces. A Chinese character is
a morpheme, and most Chinese and Japanese words are two of them; a Thai, Lao, Khmer or Burmese
character is a letter or a mark, and any two texts in those scripts hold nearly all of them.
Compared as single characters, a Thai football report held 86% of a flood warning's "words", and
two unrelated Chinese texts a quarter of each other's. So a run of such characters makes words of
consecutive characters: two for Chinese and Japanese (unrelated texts then share 1-4%, copies
70-95%), three for the Southeast Asian scripts, about a syllable (unrelated: 11-18%, copies:
68-91%). A run shorter than that is one word; every other token is a word as it stands.

Runs are found per token, not per text: a Japanese story heavy with English names and its copy
with a few names fewer make the same words of the same passages, whichever script has more
tokens in each.

The scan's word counts, an index's stored word bins and verification all take their words here.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
import numpy.typing as npt

from dedup.text.normalize import (
    _SOUTHEAST_ASIAN,
    _SPACELESS_RANGES,
    _fmix64,
    _in_ranges,
    _normalize_kernel,
    _tables,
)
from dedup.text.shingle import _POSITION_MULTIPLIERS

__all__ = ["token_run_lengths", "words_of_batch", "words_of_text"]

U8 = npt.NDArray[np.uint8]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_CJK_RUN = 2
_SOUTHEAST_ASIAN_RUN = 3
# Characters that are, or normalize to, characters of a script without spaces: kanbun marks,
# enclosed and squared forms (㊀ 一, ㍿ 株式会社), half-width katakana, enclosed ideographs.
_WRITTEN_SPACELESS = [
    *_SPACELESS_RANGES,
    (0x3190, 0x319F),
    (0x3200, 0x33FF),
    (0xFF65, 0xFF9F),
    (0x1F200, 0x1F2FF),
]


def token_run_lengths(codepoints: U32, offsets: I64, tokens: U64, token_offsets: I64) -> U8:
    """For each token, how many characters make a word of its run: 2 or 3 for a character of a
    script without spaces, 0 for any other token. ``codepoints[offsets[d]:offsets[d + 1]]`` is
    text ``d`` as written, ``tokens[token_offsets[d]:token_offsets[d + 1]]`` its tokens."""
    lengths = np.zeros(len(tokens), dtype=np.uint8)
    # Only code points from Thai up can be spaceless: in most texts a few quotes and dashes.
    high = np.flatnonzero(codepoints >= _SPACELESS_RANGES[0][0])
    if len(high) == 0:
        return lengths
    spaceless = high[_in_ranges(codepoints[high], _WRITTEN_SPACELESS)]
    if len(spaceless) == 0:
        return lengths
    # The tokens of texts holding such characters: a token is one iff its hash is one's.
    texts = np.unique(np.searchsorted(offsets, spaceless, side="right") - 1)
    owned = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.add.at(owned, token_offsets[texts], 1)
    np.add.at(owned, token_offsets[texts + 1], -1)
    candidates = np.flatnonzero(np.cumsum(owned[:-1]) > 0)
    hashes, runs = _spaceless_token_hashes()
    at = np.minimum(np.searchsorted(hashes, tokens[candidates]), len(hashes) - 1)
    found = hashes[at] == tokens[candidates]
    lengths[candidates[found]] = runs[at[found]]
    return lengths


@cache
def _spaceless_token_hashes() -> tuple[U64, U8]:
    """The token hash of every character of a script without spaces, as the normalizer's kernel
    hashes a one-character token (it hashes them here), sorted, and its script's run length."""
    codes = np.concatenate([np.arange(lo, hi + 1, dtype=np.uint32) for lo, hi in _SPACELESS_RANGES])
    _, identity = _tables()  # they are normal already: each stays itself, a token of its own
    spans = np.array([[0, len(codes)]], dtype=np.int64)
    hashes = _normalize_kernel(codes, spans, identity, False, True)[3]
    runs = np.where(_in_ranges(codes, _SOUTHEAST_ASIAN), _SOUTHEAST_ASIAN_RUN, _CJK_RUN).astype(
        np.uint8
    )
    order = np.argsort(hashes)
    return hashes[order], runs[order]


def words_of_batch(tokens: U64, token_offsets: I64, run_lengths: U8) -> tuple[U64, I64]:
    """The word hashes of each text of a batch, and their offsets: its tokens, where runs of
    spaceless characters become words of ``run_lengths`` characters (a shorter run: one word)."""
    if not run_lengths.any():
        return tokens, token_offsets
    return _word_runs(tokens, token_offsets, run_lengths, _POSITION_MULTIPLIERS)


def words_of_text(text: str, tokens: U64) -> U64:
    """The word hashes of one text, given its tokens (as :func:`words_of_batch`)."""
    if text.isascii():
        return tokens
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offsets = np.array([0, len(codepoints)], dtype=np.int64)
    token_offsets = np.array([0, len(tokens)], dtype=np.int64)
    run_lengths = token_run_lengths(codepoints, offsets, tokens, token_offsets)
    words, _ = words_of_batch(tokens, token_offsets, run_lengths)
    return words


@numba.njit(cache=True, nogil=True)
def _word_runs(
    tokens: U64, token_offsets: I64, run_lengths: U8, multipliers: U64
) -> tuple[U64, I64]:
    texts = token_offsets.shape[0] - 1
    words = np.empty(tokens.shape[0], np.uint64)
    word_offsets = np.zeros(texts + 1, np.int64)
    w = 0
    for d in range(texts):
        i, end = token_offsets[d], token_offsets[d + 1]
        while i < end:
            n = run_lengths[i]
            if n == 0:
                words[w] = tokens[i]
                w += 1
                i += 1
                continue
            run_end = i + 1
            while run_end < end and run_lengths[run_end] == n:
                run_end += 1
            windows = max(run_end - i - n + 1, 1)
            width = min(n, run_end - i)
            for k in range(windows):
                acc = np.uint64(0)
                for j in range(width):
                    acc += tokens[i + k + j] * multipliers[j]
                words[w] = _fmix64(acc)
                w += 1
            i = run_end
        word_offsets[d + 1] = w
    return words[:w].copy(), word_offsets
