"""Sorting for distinct values gives what ``np.unique`` gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.unique import unique_pairs, unique_values


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 500),
    st.sampled_from([np.int32, np.int64, np.uint64]),
    st.integers(1, 2**40),
    st.integers(0, 2**16),
)
def test_unique_values_equal_numpy(size: int, dtype: type, spread: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    high = min(spread, np.iinfo(dtype).max)
    values = rng.integers(0, high, size=size, endpoint=True).astype(dtype)
    found = unique_values(values)
    assert found.dtype == values.dtype
    assert found.tolist() == np.unique(values).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 300),
    st.integers(0, 2**31 - 4),
    st.integers(1, 2**32 - 1),
    st.integers(0, 2**16),
)
def test_unique_pairs_equal_numpy_rows(size: int, first: int, high: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Few distinct first members (up to the largest allowed), so rows repeat and differ in
    # their second member only.
    firsts = first + rng.integers(0, 4, size=size)
    pairs = np.stack([firsts, rng.integers(0, high, size=size, endpoint=True)], axis=1).astype(
        np.int64
    )
    pairs = np.concatenate([pairs, pairs[: size // 2]])
    found = unique_pairs(pairs)
    assert found.dtype == np.int64
    assert found.shape == (len(found), 2)
    assert found.tolist() == np.unique(pairs, axis=0).reshape(-1, 2).tolist()
