"""Repeated paragraphs inside one document.

A later paragraph repeats an earlier one when, after normalization, it is

* ``exact``: the same text;
* ``prefixed``: the same text behind a short prefix (a dateline, "و", "And"), or the earlier copy
  carried the prefix;
* ``contained``: one lies inside the other (most of the shorter one's shingles, and a near-exact
  alignment of its text inside the longer one);
* ``edited``: lightly edited (a word dropped or changed), by rapidfuzz's normalized similarity.

Candidates are the paragraph pairs that share a shingle; rapidfuzz scores only those.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz

from dedup.config import RepeatConfig
from dedup.model import Document, Paragraph, Repeat, RepeatKind
from dedup.text.normalize import normalize
from dedup.text.segment import paragraphs as split_paragraphs
from dedup.text.shingle import Shingles, shingle_paragraphs

__all__ = ["find_repeats", "find_repeats_in"]

_EXCERPT_CHARS = 160
SHINGLE_N = 3


def find_repeats_in(document: Document, config: RepeatConfig | None = None) -> list[Repeat]:
    """Repeats in a document: segments, normalizes and shingles it, then :func:`find_repeats`."""
    text = document.text
    paragraphs = split_paragraphs(text)
    normalized = [normalize(text[p.start : p.end]) for p in paragraphs]
    shingles = shingle_paragraphs(normalized, SHINGLE_N)
    return find_repeats(document, paragraphs, normalized, shingles, config or RepeatConfig())


def find_repeats(
    document: Document,
    paragraphs: Sequence[Paragraph],
    normalized: Sequence[str],
    shingles: Shingles,
    config: RepeatConfig,
) -> list[Repeat]:
    """Every later paragraph that repeats an earlier one, paired with the earliest it repeats.

    ``shingles`` are the document's word ``SHINGLE_N``-grams per paragraph.
    """
    eligible = [i for i in range(len(paragraphs)) if shingles.token_counts[i] >= config.min_tokens]
    if len(paragraphs) < 2:
        return []
    candidates = _candidate_pairs(shingles, eligible)
    first_exact: dict[str, int] = {}
    pairs: dict[int, tuple[int, RepeatKind, dict[str, float]]] = {}
    for j in eligible:
        earlier_exact = first_exact.setdefault(normalized[j], j)
        best: tuple[int, RepeatKind, dict[str, float]] | None = None
        if earlier_exact != j:
            best = (earlier_exact, "exact", {"similarity": 100.0, "containment": 1.0})
        else:
            for i in sorted(candidates.get(j, ())):
                verdict = _compare(normalized[i], normalized[j], config)
                if verdict is not None:
                    best = (i, *verdict)
                    break
        if best is not None:
            pairs[j] = best
    _extend_blocks(pairs, normalized, shingles, config)
    found: list[Repeat] = []
    for j in sorted(pairs):
        i, kind, scores = pairs[j]
        repeat = paragraphs[j]
        excerpt = document.text[repeat.start : repeat.end][:_EXCERPT_CHARS]
        found.append(
            Repeat(document.id, paragraphs[i], repeat, kind, scores, excerpt, document.ordinal)
        )
    return found


def _extend_blocks(
    pairs: dict[int, tuple[int, RepeatKind, dict[str, float]]],
    normalized: Sequence[str],
    shingles: Shingles,
    config: RepeatConfig,
) -> None:
    """Add short paragraphs repeated exactly as part of a longer repeated block.

    A short paragraph (a headline, a one-line footer) is too common to flag alone, but when it is
    printed twice in a row, or its neighbour is repeated at the same distance (a block transmitted
    twice), it belongs to the repeat.
    """
    first_seen: dict[str, int] = {}
    short: dict[int, int] = {}
    for j, form in enumerate(normalized):
        i = first_seen.setdefault(form, j)
        tokens = shingles.token_counts[j] if j < len(shingles.token_counts) else 0
        if i != j and j not in pairs and config.min_block_tokens <= tokens < config.min_tokens:
            short[j] = i
    changed = True
    while changed and short:
        changed = False
        for j, i in list(short.items()):
            offset = j - i
            neighbours = (pairs.get(j - 1), pairs.get(j + 1))
            in_block = offset == 1 or any(
                pair is not None and k - pair[0] == offset
                for k, pair in zip((j - 1, j + 1), neighbours, strict=True)
            )
            if in_block:
                pairs[j] = (i, "exact", {"similarity": 100.0, "containment": 1.0})
                del short[j]
                changed = True


def _candidate_pairs(shingles: Shingles, eligible: list[int]) -> dict[int, set[int]]:
    """For each paragraph, the earlier eligible paragraphs that share at least one shingle."""
    mask = np.isin(shingles.paragraph, eligible)
    hashes = shingles.hashes[mask]
    owners = shingles.paragraph[mask]
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    same_hash = hashes[1:] == hashes[:-1]
    shared = np.flatnonzero(same_hash & (owners[1:] != owners[:-1]))
    candidates: dict[int, set[int]] = {}
    for position in shared:
        # Walk back over the run of this hash to pair the later owner with every earlier one.
        later = int(owners[position + 1])
        k = position
        while k >= 0 and hashes[k] == hashes[position + 1]:
            if owners[k] != later:
                candidates.setdefault(later, set()).add(int(owners[k]))
            k -= 1
    return candidates


def _compare(
    first: str, later: str, config: RepeatConfig
) -> tuple[RepeatKind, dict[str, float]] | None:
    similarity = round(fuzz.ratio(first, later), 2)
    short, long = (first, later) if len(first) <= len(later) else (later, first)
    extra = len(long) - len(short)
    if long.endswith(short) and extra <= config.max_prefix_chars:
        return "prefixed", {"similarity": similarity, "containment": 1.0}
    containment = round(fuzz.partial_ratio(short, long) / 100.0, 4) if short else 0.0
    if similarity >= config.min_similarity:
        return "edited", {"similarity": similarity, "containment": containment}
    if containment >= config.min_containment:
        return "contained", {"similarity": similarity, "containment": containment}
    return None
