"""MinHash signatures equal datasketch's, and LSH banding proposes what shares a band."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.lsh import (
    _FULL_PAIRS_UP_TO,
    agreeing,
    band_key,
    band_key_matrix,
    band_keys,
    candidate_pairs,
    collision_probability,
    key_buckets,
    pairs_sharing_keys,
)
from dedup.sketch import (
    permutations,
    sign_documents_and_passages,
    signature,
    signatures,
    to_lean_minhash,
)

shingle_sets = st.lists(st.integers(0, 2**32 - 1), max_size=300)


@settings(max_examples=100, deadline=None)
@given(shingle_sets, st.sampled_from([16, 64, 128]), st.integers(1, 2**16))
def test_signature_equals_datasketch(shingles: list[int], num_perm: int, seed: int) -> None:
    reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=int)
    reference.update_batch(shingles)
    ours = signature(np.array(shingles, dtype=np.uint32), num_perm, seed)
    assert np.array_equal(ours, reference.hashvalues)


def test_permutations_equal_datasketch() -> None:
    a, b = permutations(128, 1)
    reference = MinHash(num_perm=128, seed=1)
    assert np.array_equal(a, reference.permutations[0])
    assert np.array_equal(b, reference.permutations[1])


def test_datasketch_lsh_takes_our_signatures() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**32, size=400, dtype=np.uint32)
    near = np.concatenate([base[:380], rng.integers(0, 2**32, size=20, dtype=np.uint32)])
    other = rng.integers(0, 2**32, size=400, dtype=np.uint32)
    rows = signatures([base, near, other])
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    for key, row in zip(("base", "near", "other"), rows, strict=True):
        lsh.insert(key, to_lean_minhash(row))
    assert sorted(lsh.query(to_lean_minhash(rows[0]))) == ["base", "near"]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**16))
def test_estimated_jaccard_is_close_to_exact(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shared = rng.integers(0, 2**32, size=300, dtype=np.uint32)
    a = np.concatenate([shared, rng.integers(0, 2**32, size=100, dtype=np.uint32)])
    b = np.concatenate([shared, rng.integers(0, 2**32, size=100, dtype=np.uint32)])
    exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    rows = signatures([a, b], num_perm=256)
    estimate = float(np.mean(rows[0] == rows[1]))
    assert abs(estimate - exact) < 0.15


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(shingle_sets, st.booleans()), max_size=6),
    st.integers(1, 50),
    st.sampled_from([(16, 4), (8, 2), (5, 3), (20, 1)]),
)
def test_documents_and_passages_signed_as_defined(
    documents: list[tuple[list[int], bool]], block: int, shape: tuple[int, int]
) -> None:
    """Against the definition: blocks of ``block`` hashes, each signed alone; a passage is two
    neighbouring blocks (or a document's only one); a document is all of its blocks."""
    bands, rows = shape
    hashes = [np.array(h, dtype=np.uint32) for h, _ in documents]
    eligible = np.array([e for _, e in documents], dtype=np.bool_)
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum([len(h) for h in hashes], out=offsets[1:])
    flat = np.concatenate(hashes) if hashes else np.empty(0, np.uint32)
    found, keys, owners = sign_documents_and_passages(flat, offsets, block, eligible, bands, rows)
    expected_keys: list[list[int]] = []
    expected_owners: list[int] = []
    for d, document in enumerate(hashes):
        assert np.array_equal(found[d], signature(document))
        blocks = [signature(document[k : k + block]) for k in range(0, len(document), block)]
        passages = [np.minimum(x, y) for x, y in itertools.pairwise(blocks)] or blocks
        if eligible[d] and passages:
            expected_keys.extend(band_key_matrix(np.array(passages), bands, rows).tolist())
            expected_owners.extend([d] * len(passages))
    assert keys.tolist() == expected_keys
    assert owners.tolist() == expected_owners


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from([(1, 64), (2, 32), (3, 21), (4, 16)]))
def test_compiled_band_key_equals_band_keys(seed: int, shape: tuple[int, int]) -> None:
    rows, bands = shape
    values = np.random.default_rng(seed).integers(0, 2**32, size=(5, 64), dtype=np.uint32)
    for band in range(bands):
        expected = band_keys(values, band, rows).tolist()
        assert [int(band_key(row, band, rows)) for row in values] == expected


def test_empty_set_signature_is_all_max() -> None:
    assert np.all(signature(np.empty(0, np.uint32)) == np.uint32(0xFFFFFFFF))


def test_candidate_pairs_find_rows_sharing_a_band() -> None:
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint32)
    rows[7] = rows[3]  # identical: shares every band
    rows[20, :2] = rows[10, :2]  # shares the first band only
    eligible = np.ones(50, dtype=bool)
    assert candidate_pairs(rows, 64, 2, eligible).tolist() == [[3, 7], [10, 20]]
    eligible[20] = False
    assert candidate_pairs(rows, 64, 2, eligible).tolist() == [[3, 7]]


def test_collision_probability_favours_recall() -> None:
    assert collision_probability(0.3, 64, 2) > 0.99
    assert collision_probability(0.01, 64, 2) < 0.01


def _pairs_by_brute_force(
    keys: np.ndarray, owners: np.ndarray, max_bucket: int | None
) -> list[list[int]]:
    found = set()
    for column in keys.T:
        buckets: dict[int, list[int]] = {}
        for row, key in enumerate(column.tolist()):
            buckets.setdefault(key, []).append(row)
        for rows in buckets.values():
            if max_bucket is not None and len({int(owners[r]) for r in rows}) > max_bucket:
                continue  # boilerplate: shared by more than max_bucket owners
            if max_bucket is None and len(rows) > _FULL_PAIRS_UP_TO:
                linked = [(rows[0], other) for other in rows[1:]]  # a star, not a clique
            else:
                linked = [(a, b) for k, a in enumerate(rows) for b in rows[k + 1 :]]
            for a, b in linked:
                if owners[a] != owners[b]:
                    found.add(tuple(sorted((int(owners[a]), int(owners[b])))))
    return [list(pair) for pair in sorted(found)]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 80),
    st.integers(1, 3),
    st.integers(1, 12),
    st.one_of(st.none(), st.integers(1, 10)),
    st.integers(0, 2**16),
)
def test_pairs_sharing_keys_equal_a_brute_force_grouping(
    rows: int, columns: int, distinct: int, max_bucket: int | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, distinct, size=(rows, columns)).astype(np.uint64)
    owners = np.sort(rng.integers(0, rows, size=rows)).astype(np.int64)
    found = pairs_sharing_keys(keys, owners, max_bucket)
    assert found.tolist() == _pairs_by_brute_force(keys, owners, max_bucket)


def test_a_passage_one_document_repeats_costs_no_pairs_of_its_rows() -> None:
    # 5,000 rows of one document share a key (a text repeating itself): paired row by row,
    # they made 12.5 million pairs (200 MB) before the document's own pairs were dropped.
    keys = np.zeros((5001, 1), dtype=np.uint64)
    owners = np.array([0] * 5000 + [1], dtype=np.int64)
    tracemalloc.start()
    try:
        found = pairs_sharing_keys(keys, owners, max_bucket=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found.tolist() == [[0, 1]]
    assert peak < 20 * 2**20


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.integers(1, 40), st.booleans(), st.integers(0, 2**16))
def test_key_buckets_group_rows_as_a_stable_argsort(
    rows: int, distinct: int, wide: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    # Wide keys use the high bits; narrow ones (and keys differing only in their low bits)
    # all land in the runs that are compared in full.
    pool = rng.integers(0, 2**64 - 1 if wide else 64, size=distinct, dtype=np.uint64)
    pool[: distinct // 2] ^= rng.integers(0, 4, size=distinct // 2, dtype=np.uint64)
    column = pool[rng.integers(0, distinct, size=rows)]
    order, starts, lengths = key_buckets(column)
    found = [order[s : s + n].tolist() for s, n in zip(starts, lengths, strict=True)]
    stable = np.argsort(column, kind="stable")
    expected = [
        members
        for key in np.unique(column)
        if len(members := stable[column[stable] == key].tolist()) > 1
    ]
    assert found == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from([0.05, 0.0625, 0.3, 1.0]))
def test_agreeing_equals_the_share_of_equal_values(seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    left = rng.integers(0, 3, size=(20, 128), dtype=np.uint32)  # few values: many agree
    right = rng.integers(0, 40, size=(15, 128), dtype=np.uint32)
    pairs = np.stack([rng.integers(0, 20, 50), rng.integers(0, 15, 50)], axis=1)
    expected = (left[pairs[:, 0]] == right[pairs[:, 1]]).mean(axis=1) >= share
    assert agreeing(left, right, pairs, share).tolist() == expected.tolist()
