"""Group verified near-duplicate pairs into clusters, guard against chaining, choose what to keep.

Union-find alone chains: A≈B and B≈C put A and C together even when they share nothing. Every
cluster is therefore checked against its representative (the document it keeps): a member stays
when it is a copy of the representative, or, one step further and no more, when it is a verified
near-duplicate of such a copy and still related to the representative itself (in a scan: a copy
of it, or a part of it: the chain A≈B≈C holds C only when C visibly overlaps A). The members that
left are clustered again among themselves the same way. Last, a member that joined one step
beyond and is a verified near-duplicate of a later cluster's representative moves there, with
its own copies, when the keep policy would still keep that representative: the first
representative took it only because it came first (in SaudiNewsNet, reports of one
shelling sat with a report of another a week earlier, through a shared formula).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    lengths: Sequence[int] | Mapping[int, int],
    dates: Sequence[float],
    source_ranks: Sequence[int],
) -> int:
    """The member a clean corpus keeps; ties go to the first read."""
    if policy == "longest":
        return min(members, key=lambda m: (-lengths[m], m))
    if policy == "earliest":
        # Undated members (NaN, dedup.dates) last.
        return min(
            members,
            key=lambda m: (math.isnan(dates[m]), 0.0 if math.isnan(dates[m]) else dates[m], m),
        )
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
    clusters: list[tuple[int, list[int]]] = []
    for members in _components(set(edges), edges):
        clusters.extend(_split_chains(members, edges, choose, are_copies, are_related))
    return sorted(clusters)


def _components(nodes: set[int], edges: dict[int, set[int]]) -> list[list[int]]:
    """``nodes`` grouped by the edges among them (each group sorted, in order of its first)."""
    ordered = sorted(nodes)
    index = {node: k for k, node in enumerate(ordered)}
    union_find = UnionFind(len(ordered))
    for a in ordered:
        for b in edges[a] & nodes:
            union_find.union(index[a], index[b])
    components: dict[int, list[int]] = {}
    for node in ordered:
        components.setdefault(union_find.find(index[node]), []).append(node)
    return list(components.values())


def _split_chains(
    members: list[int],
    edges: dict[int, set[int]],
    choose: Callable[[Sequence[int]], int],
    are_copies: Callable[[int, int], bool],
    are_related: Callable[[int, int], bool] | None,
) -> list[tuple[int, list[int]]]:
    clusters: list[tuple[int, list[int]]] = []
    second_rings: list[set[int]] = []
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
        second_ring: list[int] = []
        if are_related is not None:
            # One step beyond the representative's copies, never two: no chain drifts further.
            first_ring = set(kept)
            second_ring = [
                m
                for m in remaining
                if m not in first_ring and edges[m] & first_ring and are_related(rep, m)
            ]
            kept = sorted(kept + second_ring)
        if len(kept) > 1:
            clusters.append((rep, kept))
            second_rings.append(set(second_ring))
            placed = set(kept)
            remaining = [m for m in remaining if m not in placed]
        else:
            remaining = [m for m in remaining if m != rep]
    return _closer_representatives(clusters, second_rings, members, edges, choose, are_related)


def _closer_representatives(
    clusters: list[tuple[int, list[int]]],
    second_rings: list[set[int]],
    component: list[int],
    edges: dict[int, set[int]],
    choose: Callable[[Sequence[int]], int],
    are_related: Callable[[int, int], bool] | None,
) -> list[tuple[int, list[int]]]:
    """Move members that joined one step beyond their representative's copies, with their own
    copies among them, to the first later cluster whose representative one of them is a
    verified near-duplicate of, when :func:`_may_move` allows. A member not yet placed that now
    qualifies there, one step beyond a member that moved, joins too."""
    if are_related is None:
        return clusters
    reps = {rep: k for k, (rep, _) in enumerate(clusters)}
    moves: dict[int, int] = {}
    for k, ring in enumerate(second_rings):
        # Copies of each other move together: an exact duplicate is never parted from its twin.
        for group in _components(ring, edges):
            for to in sorted({reps[r] for m in group for r in edges[m] if reps.get(r, k) != k}):
                if _may_move(group, clusters[to], edges, choose, are_related):
                    moves.update(dict.fromkeys(group, to))
                    break
    if not moves:
        return clusters
    arrivals: dict[int, list[int]] = {}
    for m, to in moves.items():
        arrivals.setdefault(to, []).append(m)
    placed = {m for _, members in clusters for m in members}
    for to, moved in arrivals.items():
        rep, members = clusters[to]
        copies = [m for m in moved if m in edges[rep]]
        joining = [
            m
            for m in component
            if m not in placed
            and edges[m].intersection(copies)
            and are_related(rep, m)
            and choose([*members, m]) == rep
        ]
        placed.update(joining)
        moved.extend(joining)
    # Only second rings move: every cluster keeps its representative and first ring.
    return [
        (rep, sorted([m for m in members if moves.get(m, k) == k] + arrivals.get(k, [])))
        for k, (rep, members) in enumerate(clusters)
    ]


def _may_move(
    group: list[int],
    cluster: tuple[int, list[int]],
    edges: dict[int, set[int]],
    choose: Callable[[Sequence[int]], int],
    are_related: Callable[[int, int], bool],
) -> bool:
    """Whether ``group`` may join ``cluster``: the keep policy still keeps its representative,
    and every member of the group is a verified near-duplicate of it, or related to it and a
    near-duplicate of such a member (one step, as in the cluster it leaves)."""
    rep, members = cluster
    # Every keep policy takes the least member by a fixed order: what beats the group here
    # also beats it with other groups moving in.
    if choose([*members, *group]) != rep:
        return False
    copies = {m for m in group if m in edges[rep]}
    return all(m in copies or (edges[m] & copies and are_related(rep, m)) for m in group)
