"""Shingles: word n-grams (characters for spaceless scripts), hashed to 32-bit integers.

A compiled kernel hashes each token once and combines n consecutive token hashes into a shingle
hash, so no n-gram string is ever built. Shingles never cross a paragraph boundary; a paragraph
shorter than ``n`` tokens contributes one shingle of all its tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from dedup.text.normalize import NormalizedParagraphs, _fmix64, space_spaceless

__all__ = [
    "MAX_COMPARED_PARAGRAPHS",
    "MAX_N",
    "Shingles",
    "paragraph_overlaps",
    "shingle_normalized",
    "shingle_paragraphs",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

# Odd 64-bit multipliers, one per n-gram position (from the SplitMix64 sequence).
_POSITION_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
        0x1D8E4E27C47D124F,
        0xC2B2AE3D27D4EB4F,
    ],
    dtype=np.uint64,
)
MAX_N = len(_POSITION_MULTIPLIERS)
# Paragraphs of one document compared pairwise for repeats, at most: the count table of
# paragraph_overlaps is this squared, and a table of more rows is no article.
MAX_COMPARED_PARAGRAPHS = 2000


@dataclass(frozen=True, slots=True)
class Shingles:
    """A document's shingle hashes with the paragraph of each, its token hashes in order, and
    each paragraph's token count."""

    hashes: U32
    paragraph: npt.NDArray[np.int32]
    token_counts: npt.NDArray[np.int32]
    tokens: U64

    def of_paragraph(self, index: int) -> U32:
        selected: U32 = self.hashes[self.paragraph == index]
        return selected


@numba.njit(cache=True, nogil=True)
def _shingle_kernel(
    codepoints: npt.NDArray[np.uint32], n: int, multipliers: npt.NDArray[np.uint64]
) -> tuple[U32, npt.NDArray[np.int32], npt.NDArray[np.int32], U64]:
    # codepoints: paragraphs joined by "\n", tokens within a paragraph separated by one " ".
    size = codepoints.shape[0]
    token_hash = np.empty(size // 2 + 1, dtype=np.uint64)
    paragraphs = 1
    for c in codepoints:
        if c == 10:
            paragraphs += 1
    token_counts = np.zeros(paragraphs, dtype=np.int32)
    tokens = 0
    paragraph = 0
    h = np.uint64(0xCBF29CE484222325)
    in_token = False
    for i in range(size + 1):
        c = codepoints[i] if i < size else np.uint32(10)
        if c == 32 or c == 10:
            if in_token:
                token_hash[tokens] = _fmix64(h)
                token_counts[paragraph] += 1
                tokens += 1
                in_token = False
                h = np.uint64(0xCBF29CE484222325)
            if c == 10:
                paragraph += 1
        else:
            h = (h ^ np.uint64(c)) * np.uint64(0x100000001B3)
            in_token = True
    hashed, paragraph_of = _ngrams(token_hash[:tokens], token_counts, n, multipliers)
    return hashed, paragraph_of, token_counts, token_hash[:tokens]


@numba.njit(cache=True, nogil=True)
def _ngrams(
    token_hash: U64,
    token_counts: npt.NDArray[np.int32],
    n: int,
    multipliers: npt.NDArray[np.uint64],
) -> tuple[U32, npt.NDArray[np.int32]]:
    """Shingle hashes of ``n`` consecutive token hashes within each paragraph (a paragraph of
    fewer tokens gives one shingle of them all), and the paragraph of each."""
    out = np.empty(token_hash.shape[0], dtype=np.uint32)
    out_paragraph = np.empty(token_hash.shape[0], dtype=np.int32)
    count = 0
    start = 0
    for p in range(token_counts.shape[0]):
        length = token_counts[p]
        if length == 0:
            continue
        windows = length - n + 1 if length >= n else 1
        width = n if length >= n else length
        for w in range(windows):
            acc = np.uint64(0)
            for k in range(width):
                acc += token_hash[start + w + k] * multipliers[k]
            out[count] = np.uint32(_fmix64(acc) >> np.uint64(32))
            out_paragraph[count] = p
            count += 1
        start += length
    return out[:count], out_paragraph[:count]


def shingle_paragraphs(normalized_paragraphs: Sequence[str], n: int) -> Shingles:
    """Shingle a document given the normalized text of each of its paragraphs."""
    joined = "\n".join(space_spaceless(p) for p in normalized_paragraphs)
    codepoints = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    return _shingle(codepoints, len(normalized_paragraphs), n)


def shingle_normalized(normalized: NormalizedParagraphs, n: int) -> Shingles:
    """Shingle paragraphs normalized with ``split_spaceless=True`` (no strings built)."""
    return _shingle(normalized.codepoints, len(normalized), n)


def _shingle(codepoints: npt.NDArray[np.uint32], paragraphs: int, n: int) -> Shingles:
    if not 1 <= n <= MAX_N:
        raise ValueError(f"n must be between 1 and {MAX_N}, got {n}")
    hashes, paragraph, counts, tokens = _shingle_kernel(codepoints, n, _POSITION_MULTIPLIERS)
    return Shingles(hashes, paragraph, counts[:paragraphs], tokens)


@numba.njit(cache=True, nogil=True)
def paragraph_overlaps(
    hashes: npt.NDArray[np.uint32],
    paragraph: npt.NDArray[np.int32],
    eligible: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Pairs ``i < j`` of eligible paragraphs sharing shingles, with the share of the smaller
    one's distinct shingles they share: ``(firsts, laters, overlaps)``.

    One pass over a hash table of the shingles, each holding the chain of eligible paragraphs
    it was seen in; the count table is over eligible paragraphs only, so a document of many
    short lines, few of them eligible, costs no more than its eligible ones.
    """
    paragraphs = eligible.shape[0]
    compact = np.full(paragraphs, -1, dtype=np.int64)
    original = np.empty(paragraphs, dtype=np.int64)
    size = 0
    for p in range(paragraphs):
        if eligible[p]:
            compact[p] = size
            original[size] = p
            size += 1
    distinct = np.zeros(size, dtype=np.int64)
    shared = np.zeros((size, size), dtype=np.int32)
    slots = 16
    while slots < 2 * hashes.shape[0]:
        slots *= 2
    mask = slots - 1
    keys = np.empty(slots, dtype=np.uint32)
    heads = np.full(slots, -1, dtype=np.int64)
    node_owner = np.empty(hashes.shape[0], dtype=np.int64)
    node_next = np.empty(hashes.shape[0], dtype=np.int64)
    nodes = 0
    for k in range(hashes.shape[0]):
        owner = compact[paragraph[k]]
        if owner < 0:
            continue
        key = hashes[k]
        slot = np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & mask
        while heads[slot] != -1 and keys[slot] != key:
            slot = (slot + 1) & mask
        head = heads[slot]
        node = head
        while node != -1 and node_owner[node] != owner:
            node = node_next[node]
        if node != -1:
            continue  # seen in this paragraph already
        node = head
        while node != -1:
            other = node_owner[node]
            shared[min(other, owner), max(other, owner)] += 1
            node = node_next[node]
        keys[slot] = key
        node_owner[nodes] = owner
        node_next[nodes] = head
        heads[slot] = nodes
        nodes += 1
        distinct[owner] += 1
    pairs = 0
    for i in range(size):
        for j in range(i + 1, size):
            if shared[i, j] > 0:
                pairs += 1
    firsts = np.empty(pairs, dtype=np.int64)
    laters = np.empty(pairs, dtype=np.int64)
    overlaps = np.empty(pairs, dtype=np.float64)
    pairs = 0
    for i in range(size):
        for j in range(i + 1, size):
            if shared[i, j] > 0:
                firsts[pairs] = original[i]
                laters[pairs] = original[j]
                overlaps[pairs] = shared[i, j] / min(distinct[i], distinct[j])
                pairs += 1
    return firsts, laters, overlaps
