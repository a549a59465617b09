"""Temporary on-disk stores: what goes in comes back, in order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.io.spill import ColumnSpill, TextSpill

matrices = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 2**16)).map(
        lambda shape_seed: np.random.default_rng(shape_seed[1]).integers(
            0, 2**64 - 1, size=(shape_seed[0], 3), dtype=np.uint64
        )
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(matrices)
def test_a_column_is_that_column_of_every_matrix_in_order(appended: list[np.ndarray]) -> None:
    spill = ColumnSpill(3)
    try:
        for matrix in appended:
            spill.append(matrix)
        whole = np.concatenate(appended) if appended else np.empty((0, 3), np.uint64)
        assert len(spill) == len(whole)
        for column in range(3):
            assert spill.column(column).tolist() == whole[:, column].tolist()
    finally:
        spill.close()


def test_columns_read_back_past_the_write_buffer() -> None:
    spill = ColumnSpill(2)
    big = np.arange(2 * 1_200_000, dtype=np.uint64).reshape(-1, 2)  # 19 MB: flushed midway
    spill.append(big)
    spill.append(big[:5])
    assert spill.column(1)[-5:].tolist() == big[:5, 1].tolist()
    assert spill.column(0)[: len(big)].tolist() == big[:, 0].tolist()
    spill.close()


def test_a_matrix_of_another_width_is_refused() -> None:
    spill = ColumnSpill(2)
    with pytest.raises(ValueError, match="expected a matrix of 2 columns"):
        spill.append(np.zeros((4, 3), np.uint64))
    spill.close()


def test_texts_come_back_by_number_with_any_characters() -> None:
    texts = ["plain", "", "عربي وكوردی", "broken \ud83d surrogate", "中文" * 1000]
    with TextSpill() as spill:
        numbers = [spill.append(text) for text in texts]
        assert numbers == list(range(len(texts)))
        assert [spill.get(n) for n in reversed(numbers)] == texts[::-1]
