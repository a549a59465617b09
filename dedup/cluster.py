"""Group verified near-duplicate pairs into clusters, guard against chaining, choose what to keep.

Union-find alone chains: A≈B and B≈C put A and C together even when they share nothing. Every
cluster is therefore checked against its representative (the document it keeps): a member stays
when it is a copy of the representative, or, one step further and no more, when it is a verified
near-duplicate of such a copy and still related to the representative itself (in a scan: a copy
of it, or a part of it: the chain A≈B≈C holds C only when C visibly overlaps A). The members that
left are clustered again among themselves the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

__all__ = ["KeepPolicy", "UnionFind", "cluster_pairs", "representative"]

KeepPolicy = Literal["first", "longest", "earliest", "source"]


class UnionFind:
    """Disjoint sets over ``0..size-1`` with path halving and union by size."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        if self.size[root_a] < self.size[root_b]:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.size[root_a] += self.size[root_b]


def representative(
    members: Sequence[int],
    policy: KeepPolicy,
    lengths: Sequence[int],
    dates: Sequence[str | None],
    source_ranks: Sequence[int],
) -> int:
    """The member a clean corpus keeps; ties go to the first read."""
    if policy == "longest":
        return min(members, key=lambda m: (-lengths[m], m))
    if policy == "earliest":
        return min(members, key=lambda m: (dates[m] is None, dates[m] or "", m))
    if policy == "source":
        return min(members, key=lambda m: (source_ranks[m], m))
    return min(members)


def cluster_pairs(
    pairs: Iterable[tuple[int, int]],
    choose: Callable[[Sequence[int]], int],
    are_copies: Callable[[int, int], bool],
    are_related: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, list[int]]]:
    """Clusters of the verified near-duplicate ``pairs``, as ``(representative, members)``.

    ``choose`` picks a representative among members; ``are_copies(rep, member)`` verifies a pair
    that no edge links directly; ``are_related(rep, member)``, for a copy of a copy of the
    representative, whether it still shares enough with the representative to stay (without
    it, none stays). Members are sorted; clusters are ordered by representative.
    """
    edges: dict[int, set[int]] = {}
    for a, b in pairs:
        edges.setdefault(a, set()).add(b)
        edges.setdefault(b, set()).add(a)
    nodes = sorted(edges)
    index = {node: k for k, node in enumerate(nodes)}
    union_find = UnionFind(len(nodes))
    for a, neighbours in edges.items():
        for b in neighbours:
            union_find.union(index[a], index[b])
    components: dict[int, list[int]] = {}
    for node in nodes:
        components.setdefault(union_find.find(index[node]), []).append(node)
    clusters: list[tuple[int, list[int]]] = []
    for members in components.values():
        clusters.extend(_split_chains(members, edges, choose, are_copies, are_related))
    return sorted(clusters)


def _split_chains(
    members: list[int],
    edges: dict[int, set[int]],
    choose: Callable[[Sequence[int]], int],
    are_copies: Callable[[int, int], bool],
    are_related: Callable[[int, int], bool] | None,
) -> list[tuple[int, list[int]]]:
    clusters: list[tuple[int, list[int]]] = []
    remaining = sorted(members)
    while True:
        # Go on while two members not yet placed are still linked. Every member not yet placed
        # is offered, also one whose edges all led into earlier clusters: it may be a verified
        # copy of a later representative (dropping it left that copy out of every cluster).
        unplaced = set(remaining)
        if sum(1 for m in remaining if edges[m] & unplaced) < 2:
            break
        rep = choose(remaining)
        kept = [m for m in remaining if m == rep or m in edges[rep] or are_copies(rep, m)]
        if are_related is not None:
            # One step beyond the representative's copies, never two: no chain drifts further.
            first_ring = set(kept)
            kept += [
                m
                for m in remaining
                if m not in first_ring and edges[m] & first_ring and are_related(rep, m)
            ]
            kept.sort()
        if len(kept) > 1:
            clusters.append((rep, kept))
            placed = set(kept)
            remaining = [m for m in remaining if m not in placed]
        else:
            remaining = [m for m in remaining if m != rep]
    return clusters
