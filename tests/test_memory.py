"""Freed heap goes back to the system between stages; the signature matrix is never doubled."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.memory import concatenate_releasing, trim_heap

# A digesting worker's pattern: a batch's arrays of medium size, all freed, batch after batch.
_BATCHES = """
import resource, sys
import numpy as np
from dedup.memory import keep_freed_heap
if sys.argv[1] == 'keep':
    assert keep_freed_heap()
def batch():
    arrays = [np.ones(64 << 10) for _ in range(40)]
    del arrays
batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    batch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_trim_heap_works_where_the_c_library_is_glibc() -> None:
    assert trim_heap() is (platform.libc_ver()[0] == "glibc")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
@pytest.mark.skipif(
    any(name.startswith("MALLOC_") for name in os.environ)
    or bool({"GLIBC_TUNABLES", "LD_PRELOAD"} & set(os.environ)),
    reason="the allocator is tuned or replaced here: its faults are not glibc's defaults",
)
def test_keep_freed_heap_spares_the_page_faults_of_batch_after_batch() -> None:
    def faults(mode: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", _BATCHES, mode], capture_output=True, text=True, check=True
        )
        return int(run.stdout)

    # 20 batches of 20 MB: about 100,000 pages mapped afresh unless freed memory is kept.
    plain, kept = faults("plain"), faults("keep")
    assert plain > 20_000
    assert kept < plain / 20


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=8), st.integers(1, 4))
def test_concatenate_releasing_equals_concatenate_and_empties_the_list(
    lengths: list[int], width: int
) -> None:
    rng = np.random.default_rng(len(lengths) * 10 + width)
    blocks = [rng.integers(0, 2**32, size=(n, width), dtype=np.uint32) for n in lengths]
    expected = np.concatenate(blocks)
    found = concatenate_releasing(blocks)
    assert blocks == []
    assert found.dtype == np.uint32
    assert found.tolist() == expected.tolist()
