"""Freed heap goes back to the system between stages; the signature matrix is never doubled."""

from __future__ import annotations

import platform

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.memory import concatenate_releasing, trim_heap


def test_trim_heap_works_where_the_c_library_is_glibc() -> None:
    assert trim_heap() is (platform.libc_ver()[0] == "glibc")


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
