"""Memory of a long scan: freed memory given back to the system between its stages, kept for
the next batch in its workers, and arrays joined without holding them twice.

glibc serves allocations below its mmap threshold from the heap, and the threshold grows with
every large block freed (up to 32 MB), so most of a scan's numpy arrays (a batch's digest, a band
column's sort) live on the heap; freed, they stay mapped to the process. At a million documents
the reading stage left 0.85 GB of such free heap, which forked verifiers then also counted as
theirs. ``malloc_trim`` returns it. Workers, which allocate and free a batch's arrays over and
over, do the opposite (:func:`keep_freed_heap`). Elsewhere (another C library, another system)
neither does anything.
"""

from __future__ import annotations

import ctypes
import functools
import gc
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["concatenate_releasing", "keep_freed_heap", "start_forked_worker", "trim_heap"]

# mallopt's parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

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


def keep_freed_heap() -> bool:
    """Keep freed memory mapped for the next allocation, in a process that allocates and frees
    the same sizes over and over (a worker digesting batch after batch). glibc otherwise gives
    the top of the heap back whenever it grows past its trim threshold, and maps anew every
    block over the mmap threshold, and each page so mapped costs a page fault when next
    written. The process then holds the heap of its largest batch until it ends (a worker's is
    tens of megabytes). ``False`` where the C library has no ``mallopt`` or refuses a setting.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # 32 MB is the largest mmap threshold glibc accepts on 64-bit systems. Setting either
    # turns off glibc's own adjustment of both, so both are set.
    mapped = mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    trimmed = mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    return bool(mapped and trimmed)


def start_forked_worker() -> None:
    """Set up a worker process forked from a scan (the initializer of its pools).

    The objects it inherits are frozen out of its collections (walking them would copy their
    pages from the parent); the collector, which the scan's pass pauses, is turned back on, as a
    worker's heap churns; and freed heap is kept (:func:`keep_freed_heap`).
    """
    gc.freeze()
    gc.enable()
    keep_freed_heap()


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
