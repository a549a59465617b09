"""MinHash signatures, computed in batches by a compiled kernel, equal to datasketch's.

The permutations are datasketch's ``affine32`` scheme (its default since 2.0): each 32-bit shingle
hash is pre-mixed with the MurmurHash3 finalizer, then permuted as ``a * h + b mod 2**32``. With
the same ``num_perm`` and ``seed``, :func:`signatures` equals
``datasketch.MinHash(num_perm, seed, hashfunc=int).update_batch(shingles)`` bit for bit, so
:func:`to_lean_minhash` gives objects that datasketch's LSH and storage accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numba
import numpy as np
import numpy.typing as npt

from dedup.lsh import band_key

__all__ = [
    "EMPTY",
    "permutations",
    "sign_documents_and_passages",
    "signature",
    "signatures",
    "to_lean_minhash",
]

U32 = npt.NDArray[np.uint32]
EMPTY = np.uint32(0xFFFFFFFF)


@cache
def permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """datasketch's affine32 permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``.

    Drawn as datasketch draws them (a test compares the two), without importing datasketch,
    which costs most of a second.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


@numba.njit(cache=True, nogil=True)
def _premix(h: np.uint32) -> np.uint32:
    """datasketch's affine32 pre-mixing of a 32-bit hash (the MurmurHash3 finalizer)."""
    # numba widens integer arithmetic to 64 bits: truncate after every step.
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return np.uint32(h ^ (h >> np.uint32(16)))


@numba.njit(cache=True, nogil=True)
def _minhash_into(hashes: U32, start: int, end: int, a: U32, b: U32, row: U32) -> None:
    """Lower ``row`` to the MinHash of ``hashes[start:end]`` (``row`` starts as ``EMPTY``)."""
    num_perm = a.shape[0]
    for i in range(start, end):
        h = _premix(hashes[i])
        for k in range(num_perm):
            row[k] = min(row[k], np.uint32(a[k] * h + b[k]))


@numba.njit(cache=True, nogil=True)
def _minhash_kernel(hashes: U32, offsets: npt.NDArray[np.int64], a: U32, b: U32, out: U32) -> None:
    for doc in range(offsets.shape[0] - 1):
        out[doc] = np.uint32(0xFFFFFFFF)
        _minhash_into(hashes, offsets[doc], offsets[doc + 1], a, b, out[doc])


def signatures(shingle_sets: Sequence[U32], num_perm: int = 128, seed: int = 1) -> U32:
    """One MinHash signature per shingle set, as a ``(len(shingle_sets), num_perm)`` uint32 array.

    An empty set gets a signature of all ``EMPTY`` (0xFFFFFFFF), as in datasketch.
    """
    a, b = permutations(num_perm, seed)
    lengths = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
    offsets = np.zeros(len(shingle_sets) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    hashes = (
        np.concatenate(shingle_sets).astype(np.uint32, copy=False)
        if shingle_sets
        else np.empty(0, np.uint32)
    )
    out = np.empty((len(shingle_sets), num_perm), dtype=np.uint32)
    _minhash_kernel(hashes, offsets, a, b, out)
    return out


def signature(shingles: U32, num_perm: int = 128, seed: int = 1) -> U32:
    """The MinHash signature of one shingle set."""
    result: U32 = signatures([shingles], num_perm, seed)[0]
    return result


def to_lean_minhash(values: U32, seed: int = 1) -> object:
    """A datasketch ``LeanMinHash`` holding ``values`` (for datasketch's LSH or storage)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=values, scheme="affine32")


def sign_documents_and_passages(
    hashes: U32,
    offsets: npt.NDArray[np.int64],
    block: int,
    eligible: npt.NDArray[np.bool_],
    bands: int,
    rows: int,
    num_perm: int = 128,
    seed: int = 1,
) -> tuple[U32, npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Signatures of documents and band keys of their passages, in one pass over the 3-grams.

    Document ``d`` holds ``hashes[offsets[d]:offsets[d + 1]]``, cut into blocks of ``block``
    consecutive hashes. A passage is two consecutive blocks (stride one block), or the only
    block of a short document; its signature is the minimum of its blocks', so no hash is
    permuted twice, and the document's signature is the minimum of all its blocks'. Returns
    ``(signatures, keys, owners)``: one signature per document (``EMPTY`` when it has no
    hashes), and for the passages of ``eligible`` documents, in document order, their
    ``bands`` x ``rows`` keys (:func:`dedup.lsh.band_key`) and their document.
    """
    if bands * rows > num_perm:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations")
    if block < 1:
        raise ValueError(f"a block holds at least one 3-gram, not {block}")
    a, b = permutations(num_perm, seed)
    signatures = np.full((len(offsets) - 1, num_perm), EMPTY, dtype=np.uint32)
    keys, owners = _passage_kernel(
        np.ascontiguousarray(hashes, dtype=np.uint32),
        offsets.astype(np.int64, copy=False),
        block,
        eligible,
        bands,
        rows,
        a,
        b,
        signatures,
    )
    return signatures, keys, owners


@numba.njit(cache=True, nogil=True)
def _passage_kernel(
    hashes: U32,
    offsets: npt.NDArray[np.int64],
    block: int,
    eligible: npt.NDArray[np.bool_],
    bands: int,
    rows: int,
    a: U32,
    b: U32,
    signatures: U32,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    documents = offsets.shape[0] - 1
    total = 0
    for d in range(documents):
        blocks = (offsets[d + 1] - offsets[d] + block - 1) // block
        if eligible[d] and blocks > 0:
            total += max(blocks - 1, 1)
    keys = np.empty((total, bands), np.uint64)
    owners = np.empty(total, np.int64)
    previous = np.empty(a.shape[0], np.uint32)
    current = np.empty(a.shape[0], np.uint32)
    passage = np.empty(a.shape[0], np.uint32)
    filled = 0
    for d in range(documents):
        start, end = offsets[d], offsets[d + 1]
        row = signatures[d]
        count = 0
        for block_start in range(start, end, block):
            current[:] = np.uint32(0xFFFFFFFF)
            _minhash_into(hashes, block_start, min(block_start + block, end), a, b, current)
            for k in range(row.shape[0]):
                row[k] = min(row[k], current[k])
            if eligible[d] and count > 0:
                for k in range(bands * rows):
                    passage[k] = min(previous[k], current[k])
                for band in range(bands):
                    keys[filled, band] = band_key(passage, band, rows)
                owners[filled] = d
                filled += 1
            previous, current = current, previous
            count += 1
        if eligible[d] and count == 1:
            for band in range(bands):
                keys[filled, band] = band_key(previous, band, rows)
            owners[filled] = d
            filled += 1
    return keys, owners
