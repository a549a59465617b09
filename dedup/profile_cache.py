"""The profiles of recently verified documents, within a memory budget.

A document is often verified against several others, so its profile (:class:`dedup.verify.
Profile`) is kept. A profile takes about ten bytes a character of its text (3-grams, words and
sentences as arrays): a few thousand news articles are some megabytes, as many book-length
documents would fill memory. So the cache counts both profiles and characters, and verification
profiles a run of pairs in pieces that fit (:func:`runs_within`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Generic, TypeVar

from dedup.verify import Profile

__all__ = ["PROFILE_CHARS", "ProfileCache", "runs_within"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

# About 300 MB of profiles a process: news articles reach the count of profiles first.
PROFILE_CHARS = 32_000_000


class ProfileCache(Generic[K]):
    """Profiles by key, the least recently used dropped first when there are more than
    ``entries`` of them or their texts hold more than ``chars`` characters between them
    (default :data:`PROFILE_CHARS`). The latest profile stays, however long its text."""

    def __init__(self, entries: int = 4096, chars: int | None = None) -> None:
        self.entries = entries
        self.chars = PROFILE_CHARS if chars is None else chars
        self._profiles: OrderedDict[K, Profile] = OrderedDict()
        self._held = 0

    def __contains__(self, key: K) -> bool:
        return key in self._profiles

    def __len__(self) -> int:
        return len(self._profiles)

    @property
    def held_chars(self) -> int:
        """Characters of text the cached profiles hold between them."""
        return self._held

    def get(self, key: K) -> Profile | None:
        """The profile of ``key`` (now the most recently used), or ``None``."""
        found = self._profiles.get(key)
        if found is not None:
            self._profiles.move_to_end(key)
        return found

    def put(self, key: K, profile: Profile) -> None:
        """Keep ``profile`` as the most recently used, dropping the least recently used ones
        beyond the budget."""
        previous = self._profiles.pop(key, None)
        if previous is not None:
            self._held -= len(previous.text)
        self._profiles[key] = profile
        self._held += len(profile.text)
        while len(self._profiles) > 1 and (
            len(self._profiles) > self.entries or self._held > self.chars
        ):
            _, dropped = self._profiles.popitem(last=False)
            self._held -= len(dropped.text)


def runs_within(
    items: Iterable[T],
    keys_of: Callable[[T], Iterable[K]],
    length_of: Callable[[K], int],
    chars: int,
) -> Iterator[list[T]]:
    """``items`` in consecutive runs whose distinct keys' texts (``length_of``) hold at most
    ``chars`` characters between them; an item over that alone starts a run of its own (which
    items of no other keys join)."""
    run: list[T] = []
    seen: set[K] = set()
    held = 0
    for item in items:
        new = [key for key in dict.fromkeys(keys_of(item)) if key not in seen]
        size = sum(length_of(key) for key in new)
        if run and new and held + size > chars:
            yield run
            run, seen, held = [], set(), 0
            new = list(dict.fromkeys(keys_of(item)))
            size = sum(length_of(key) for key in new)
        run.append(item)
        seen.update(new)
        held += size
    if run:
        yield run
