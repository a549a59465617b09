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

__all__ = [
    "EMPTY",
    "permutations",
    "signature",
    "signatures",
    "signatures_of_runs",
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
def _minhash_kernel(hashes: U32, offsets: npt.NDArray[np.int64], a: U32, b: U32, out: U32) -> None:
    num_perm = a.shape[0]
    for doc in range(offsets.shape[0] - 1):
        row = out[doc]
        for k in range(num_perm):
            row[k] = np.uint32(0xFFFFFFFF)
        for i in range(offsets[doc], offsets[doc + 1]):
            # numba widens integer arithmetic to 64 bits: truncate after every step.
            h = hashes[i]
            h = np.uint32(h ^ (h >> np.uint32(16)))
            h = np.uint32(h * np.uint32(0x85EBCA6B))
            h = np.uint32(h ^ (h >> np.uint32(13)))
            h = np.uint32(h * np.uint32(0xC2B2AE35))
            h = np.uint32(h ^ (h >> np.uint32(16)))
            for k in range(num_perm):
                row[k] = min(row[k], np.uint32(a[k] * h + b[k]))


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


def signatures_of_runs(
    hashes: U32, offsets: npt.NDArray[np.int64], num_perm: int = 128, seed: int = 1
) -> U32:
    """One signature per run ``hashes[offsets[k]:offsets[k + 1]]``, without splitting arrays."""
    a, b = permutations(num_perm, seed)
    out = np.empty((len(offsets) - 1, num_perm), dtype=np.uint32)
    _minhash_kernel(np.ascontiguousarray(hashes, dtype=np.uint32), offsets, a, b, out)
    return out


def signature(shingles: U32, num_perm: int = 128, seed: int = 1) -> U32:
    """The MinHash signature of one shingle set."""
    result: U32 = signatures([shingles], num_perm, seed)[0]
    return result


def to_lean_minhash(values: U32, seed: int = 1) -> object:
    """A datasketch ``LeanMinHash`` holding ``values`` (for datasketch's LSH or storage)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=values, scheme="affine32")
