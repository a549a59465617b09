"""Words, for the measures that weigh what two texts share by how rare it is.

A token is a word, or one character of a script written without spaces. A Chinese character is
a morpheme, and most Chinese and Japanese words are two of them; a Thai, Lao, Khmer or Burmese
character is a letter or a mark, and any two texts in those scripts hold nearly all of them.
Compared as single characters, a Thai football report held 86% of a flood warning's "words", and
two unrelated Chinese texts a quarter of each other's. So in a text written mostly in such a
script (half its tokens or more), a word is a run of consecutive tokens: two for Chinese and
Japanese (unrelated texts then share 1-4%, copies 70-95%), three for the Southeast Asian scripts,
about a syllable (unrelated: 11-18%, copies: 68-91%).

The scan's word counts, an index's stored word bins and verification all take their words here.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from dedup.text.normalize import _SOUTHEAST_ASIAN, _SPACELESS_RANGES, _fmix64, _in_ranges
from dedup.text.shingle import _POSITION_MULTIPLIERS

__all__ = ["word_run_lengths", "words_of_batch", "words_of_text"]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_CJK_RUN = 2
_SOUTHEAST_ASIAN_RUN = 3


def word_run_lengths(codepoints: U32, offsets: I64, token_offsets: I64) -> npt.NDArray[np.int64]:
    """How many consecutive tokens make a word, per text: 1, or 2 or 3 in a text written mostly
    in a script without spaces. ``codepoints[offsets[d]:offsets[d + 1]]`` is text ``d`` as
    written, and ``token_offsets`` bound its tokens."""
    texts = len(offsets) - 1
    lengths = np.ones(texts, dtype=np.int64)
    # Only code points from Thai up can be spaceless: in most texts a few quotes and dashes.
    high = np.flatnonzero(codepoints >= _SPACELESS_RANGES[0][0])
    if len(high) == 0:
        return lengths
    values = codepoints[high]
    owner = np.searchsorted(offsets, high, side="right") - 1
    spaceless = np.bincount(owner[_in_ranges(values, _SPACELESS_RANGES)], minlength=texts)
    if not spaceless.any():
        return lengths
    southeast = np.bincount(owner[_in_ranges(values, _SOUTHEAST_ASIAN)], minlength=texts)
    tokens = np.diff(token_offsets)
    mostly = (spaceless > 0) & (2 * spaceless >= tokens)
    southeast_asian = 2 * southeast[mostly] > spaceless[mostly]
    lengths[mostly] = np.where(southeast_asian, _SOUTHEAST_ASIAN_RUN, _CJK_RUN)
    return lengths


def words_of_batch(
    tokens: U64, token_offsets: I64, run_lengths: npt.NDArray[np.int64]
) -> tuple[U64, I64]:
    """The word hashes of each text of a batch, and their offsets: its tokens, or runs of
    ``run_lengths[d]`` of them (a text with fewer tokens: one word of them all)."""
    if not (run_lengths > 1).any():
        return tokens, token_offsets
    return _word_runs(tokens, token_offsets, run_lengths, _POSITION_MULTIPLIERS)


def words_of_text(text: str, tokens: U64) -> U64:
    """The word hashes of one text, given its tokens (as :func:`words_of_batch`)."""
    if text.isascii():
        return tokens
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offsets = np.array([0, len(codepoints)], dtype=np.int64)
    token_offsets = np.array([0, len(tokens)], dtype=np.int64)
    words, _ = words_of_batch(
        tokens, token_offsets, word_run_lengths(codepoints, offsets, token_offsets)
    )
    return words


@numba.njit(cache=True, nogil=True)
def _word_runs(
    tokens: U64, token_offsets: I64, run_lengths: npt.NDArray[np.int64], multipliers: U64
) -> tuple[U64, I64]:
    texts = token_offsets.shape[0] - 1
    words = np.empty(tokens.shape[0], np.uint64)
    word_offsets = np.zeros(texts + 1, np.int64)
    w = 0
    for d in range(texts):
        start, end = token_offsets[d], token_offsets[d + 1]
        n = run_lengths[d]
        if n == 1 or end - start == 0:
            words[w : w + end - start] = tokens[start:end]
            w += end - start
        else:
            windows = max(end - start - n + 1, 1)
            width = min(n, end - start)
            for k in range(windows):
                acc = np.uint64(0)
                for j in range(width):
                    acc += tokens[start + k + j] * multipliers[j]
                words[w] = _fmix64(acc)
                w += 1
        word_offsets[d + 1] = w
    return words[:w].copy(), word_offsets
