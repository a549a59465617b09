"""Distinct values of integer arrays by sorting.

numpy 2.3+ finds the unique values of an integer array with a hash table first, which measured
20-40x slower than a plain sort on millions of values (9.5M candidate pair keys: 19-41 s
against 0.3 s; 5M int32 bins: 3.5 s against 0.1 s). ``return_inverse`` still sorts and is fast.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["unique_pairs", "unique_values"]

Integer = TypeVar("Integer", bound=np.integer)
Pairs = npt.NDArray[np.int64]


def unique_values(values: npt.NDArray[Integer]) -> npt.NDArray[Integer]:
    """The sorted distinct values of a 1-d integer array (``np.unique`` without options)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def unique_pairs(pairs: Pairs) -> Pairs:
    """The distinct rows of ``(n, 2)`` non-negative indices, sorted (``np.unique(axis=0)``):
    the first below 2**31, the second below 2**32 (packed into one int64 to sort once)."""
    if not len(pairs):
        return np.empty((0, 2), dtype=np.int64)
    packed = unique_values((pairs[:, 0].astype(np.int64) << 32) | pairs[:, 1])
    return np.stack([packed >> 32, packed & 0xFFFFFFFF], axis=1)
