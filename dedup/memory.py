"""Giving freed memory back to the system between the stages of a long scan, and joining
arrays without holding them twice.

glibc serves allocations below its mmap threshold from the heap, and the threshold grows with
every large block freed (up to 32 MB), so most of a scan's numpy arrays (a batch's digest, a band
column's sort) live on the heap; freed, they stay mapped to the process. At a million documents
the reading stage left 0.85 GB of such free heap, which forked verifiers then also counted as
theirs. ``malloc_trim`` returns it. Elsewhere (another C library, another system) this does
nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["concatenate_releasing", "trim_heap"]

Scalar = TypeVar("Scalar", bound=np.generic)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already runs on
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def trim_heap() -> bool:
    """Return free heap memory to the system; ``False`` where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def concatenate_releasing(blocks: list[npt.NDArray[Scalar]]) -> npt.NDArray[Scalar]:
    """``np.concatenate(blocks)`` of a non-empty list, emptied as it goes (the blocks and the
    result are never both whole in memory)."""
    out = np.empty((sum(len(block) for block in blocks), *blocks[0].shape[1:]), blocks[0].dtype)
    blocks.reverse()
    filled = 0
    while blocks:
        block = blocks.pop()
        out[filled : filled + len(block)] = block
        filled += len(block)
    return out
