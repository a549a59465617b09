"""The shared archive index: keys in a Redis server (``pip install 'dedup[redis]'``).

Keys (format version 5, laid out as versions 3 and 4 were), all under a prefix (default
``dedup:``, ``?prefix=NAME:`` in the URL)::

    meta                 hash: format_version and the IndexParams
    next                 counter handing out document numbers
    nextseg              counter handing out segment numbers
    count                number of documents
    i:<id>               the number of document <id>
    d:<number>           hash: id, length, tokens, source, date, exact, hash, seg,
                         sig (little-endian uint32), text (zstd)
    s:<segment>          the band keys of one added batch (see dedup.index.postings)
    segs                 set of the segment numbers
    x<key>               set of numbers with that exact-duplicate key (8 bytes)
    f                    hash: word bin -> document frequency
    cb                   the 3-gram counts' base table (see dedup.index.counts)
    cl                   list: the 3-gram count changes logged since the base
    cn                   how many changes the log holds

A batch is written in one MULTI/EXEC transaction, watched on the ids and segments it touches: a
writer that dies before EXEC changes nothing, and two writers that touch the same id or segment
retry rather than interleave. How much survives a *server* crash is the server's persistence
setting.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import numpy.typing as npt

from dedup.config import MatchConfig
from dedup.errors import BackendError, ConfigError
from dedup.index.base import (
    FORMAT_VERSION,
    I64,
    ArchivedDocument,
    ArchiveEntry,
    ArchiveIndex,
    IndexParams,
    IndexStats,
    bins_of,
    compress_text,
    count_changes,
    decompress_text,
    dedupe_last,
    redacted,
    version_error,
)
from dedup.index.counts import (
    FOLD_CHANGES,
    count_texts,
    encode_changes,
    encode_table,
    folded,
)
from dedup.index.postings import Segment

__all__ = ["RedisIndex"]

_FIELDS = (b"id", b"source", b"date", b"exact", b"tokens", b"text")
_OLD_FIELDS = (b"hash", b"seg", b"text", b"exact")
_RETRIES = 1000
# One round of the protocol for a batch's frequency updates, not one per word bin.
_INCREMENT_FIELDS = (
    "for i = 1, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end"
)
_SCRIPT_ARGS = 4096
_SEGMENTS_PER_READ = 32
_TEXTS_PER_READ = 512
_RECOUNT_TRIES = 3


_SINGLETONS = ("meta", "count", "next", "nextseg", "segs", "f", "cb", "cl", "cn")


class RedisIndex(ArchiveIndex):
    """An archive index in the Redis database of ``url`` (``redis://host:port/db``)."""

    def __init__(
        self,
        url: str,
        config: MatchConfig | None = None,
        create: bool = True,
        to_rebuild: bool = False,
        empty_if_absent: bool = False,
    ) -> None:
        try:
            import redis
        except ImportError:
            raise BackendError(
                f"{redacted(url)}: the Redis backend needs the redis package: "
                "pip install 'dedup[redis]'"
            ) from None
        self._redis = redis
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = (query.pop("prefix", ["dedup:"])[0]).encode()
        self.url = url
        # As written, less the prefix (urlunsplit would drop the "//" of unix:///path).
        plain = url.split("?", 1)[0] + (f"?{urlencode(query, doseq=True)}" if query else "")
        if parts.scheme != "unix" and not re.fullmatch(r"/?\d*", parts.path):
            raise ConfigError(
                f"{redacted(url)}: the database is a number, as in redis://host:6379/0"
            )
        with self._errors():
            try:
                self._client: Any = redis.Redis.from_url(plain, socket_timeout=60)
            except ValueError as error:  # a port that is no port, a socket path missing
                raise ConfigError(f"{redacted(url)}: not a Redis URL ({error})") from None
            self.params = self._open(config or MatchConfig(), create, to_rebuild, empty_if_absent)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._redis.RedisError as error:
            raise BackendError(f"{self.where}: {_one_line(error)}") from None

    def _key(self, *parts: bytes | str) -> bytes:
        return self.prefix + b"".join(p.encode() if isinstance(p, str) else p for p in parts)

    def _open(
        self, config: MatchConfig, create: bool, to_rebuild: bool, empty_if_absent: bool
    ) -> IndexParams:
        meta_key = self._key("meta")
        raw = self._client.hgetall(meta_key)
        if not raw:
            if empty_if_absent and not create:  # read as empty; nothing is written
                return IndexParams.of(config)
            if not create:
                raise BackendError(
                    f"{self.where}: no index there (create one with `dedup index add`)"
                )
            if self._client.exists(*(self._key(name) for name in _SINGLETONS)):
                raise BackendError(
                    f"{self.where}: holds keys of an index without its metadata (an interrupted "
                    f"rebuild?): delete the keys under {self.prefix.decode()!r} first"
                )
            meta = {"format_version": str(FORMAT_VERSION), **IndexParams.of(config).to_meta()}
            for name, value in meta.items():  # HSETNX: a concurrent creator's values win whole
                if self._client.hsetnx(meta_key, name, value) and name == "format_version":
                    self.created = True
            raw = self._client.hgetall(meta_key)
        meta = {k.decode(): v.decode() for k, v in raw.items()}
        error = version_error(self.where, meta.get("format_version"), to_rebuild)
        if error is not None:
            raise error
        self.format_version = int(meta["format_version"])
        return IndexParams.from_meta(meta, self.where)

    def _exact_key(self, key: int) -> bytes:
        return self._key("x", struct.pack(">q", key))

    def add(self, entries: Sequence[ArchiveEntry]) -> tuple[int, int]:
        entries = dedupe_last(entries)
        if not entries:
            return 0, 0
        id_keys = [self._key("i:", entry.id) for entry in entries]
        with self._errors():
            for _ in range(_RETRIES):
                with self._client.pipeline(transaction=True) as pipe:
                    try:
                        return self._add_watched(pipe, entries, id_keys)
                    except self._redis.WatchError:
                        continue
        raise BackendError(f"{self.where}: gave up adding a batch: ids kept changing under it")

    def _add_watched(
        self, pipe: Any, entries: list[ArchiveEntry], id_keys: list[bytes]
    ) -> tuple[int, int]:
        pipe.watch(*id_keys)
        olds = self._olds(pipe, id_keys)
        fresh = [
            p
            for p in range(len(entries))
            if p not in olds or int(olds[p][1] or 0) != entries[p].content_hash
        ]
        replaced = [olds[p] for p in fresh if p in olds]
        rewrites = self._watch_segments(pipe, replaced)
        numbers = self._allocate("next", len(fresh))
        segment = self._allocate("nextseg", 1)[0] if fresh else 0
        pipe.multi()
        removed_bins = self._queue_delete(pipe, replaced, rewrites)
        for number, position in zip(numbers, fresh, strict=True):
            entry = entries[position]
            pipe.hset(
                self._key("d:", str(number)),
                mapping={
                    b"id": entry.id.encode("utf-8", "surrogatepass"),
                    b"length": len(entry.text),
                    b"tokens": entry.tokens,
                    b"source": (entry.source or "").encode(),
                    b"has_source": int(entry.source is not None),
                    b"date": (entry.date or "").encode(),
                    b"has_date": int(entry.date is not None),
                    b"exact": entry.exact_key,
                    b"hash": entry.content_hash,
                    b"seg": segment,
                    b"sig": entry.signature.astype("<u4").tobytes(),
                    b"text": compress_text(entry.text),
                },
            )
            pipe.set(id_keys[position], number)
            if entry.exact_key:
                pipe.sadd(self._exact_key(entry.exact_key), number)
        if fresh:
            postings = self.segment_of([entries[p] for p in fresh], numbers).encode()
            pipe.set(self._key("s:", str(segment)), postings)
            pipe.sadd(self._key("segs"), segment)
        added = len(fresh) - len(replaced)
        if added:
            pipe.incrby(self._key("count"), added)
        self._queue_frequencies(pipe, [entries[p] for p in fresh], removed_bins)
        pipe.execute()
        self._fold_when_long()
        return len(fresh), len(entries) - len(fresh)

    def _olds(self, pipe: Any, id_keys: list[bytes]) -> dict[int, list[Any]]:
        """``[number, hash, seg, text, exact]`` of the stored documents, by position."""
        olds: dict[int, list[Any]] = {}
        for position, number in enumerate(pipe.mget(id_keys)):
            if number is not None:
                olds[position] = [number, *pipe.hmget(self._key("d:", number), *_OLD_FIELDS)]
        return olds

    def _allocate(self, counter: str, count: int) -> list[int]:
        """``count`` fresh numbers from ``counter`` (a failed transaction leaves a gap)."""
        if not count:
            return []
        last = int(self._client.incrby(self._key(counter), count))
        return list(range(last - count + 1, last + 1))

    def _watch_segments(self, pipe: Any, olds: list[list[Any]]) -> dict[bytes, Segment | None]:
        """Watch the segments holding ``olds`` and return each without them (None: now empty)."""
        gone: dict[bytes, list[int]] = {}
        for number, _, segment, *_ in olds:
            gone.setdefault(self._key("s:", segment or b"0"), []).append(int(number))
        if not gone:
            return {}
        pipe.watch(*gone)
        rewrites: dict[bytes, Segment | None] = {}
        for key, numbers in gone.items():
            blob = pipe.get(key)
            if blob is not None:
                left = Segment.decode(blob, self.where).without(np.asarray(numbers, np.int64))
                rewrites[key] = left if len(left) else None
        return rewrites

    def _queue_delete(
        self, pipe: Any, olds: list[list[Any]], rewrites: dict[bytes, Segment | None]
    ) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]]:
        """Queue the deletion of documents ``olds`` and their postings; returns their word and
        3-gram bins."""
        bins = []
        for number, _, _, text, exact in olds:
            if int(exact or 0):
                pipe.srem(self._exact_key(int(exact)), number)
            pipe.delete(self._key("d:", number))
            bins.append(bins_of(decompress_text(text, self.where)))
        for key, left in rewrites.items():
            if left is None:
                pipe.delete(key)
                pipe.srem(self._key("segs"), key[len(self.prefix) + 2 :])
            else:
                pipe.set(key, left.encode())
        return bins

    def _queue_frequencies(
        self,
        pipe: Any,
        added: Sequence[ArchiveEntry],
        removed: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]],
    ) -> None:
        """Queue counting ``added`` in and the bins of ``removed`` out."""
        (bins, deltas), (grams, gram_deltas) = count_changes(added, removed)
        key = self._key("f")
        pairs = np.stack([bins, deltas], axis=1).ravel().tolist()
        for start in range(0, len(pairs), 2 * _SCRIPT_ARGS):
            chunk = pairs[start : start + 2 * _SCRIPT_ARGS]
            pipe.eval(_INCREMENT_FIELDS, 1, key, *chunk)
        if len(grams):
            pipe.rpush(self._key("cl"), encode_changes(grams, gram_deltas))
            pipe.incrby(self._key("cn"), len(grams))

    def _fold_when_long(self) -> None:
        """Fold the 3-gram count log into the base once it is long (see dedup.index.counts).

        Only the entries read are folded: writers append to the log meanwhile without
        getting in the way. The batch is stored already, so a fold that fails (a damaged log,
        a lost connection, another process folding first) leaves the log to a later write;
        a damaged log is reported where it is read, by a check.
        """
        base, log, logged = self._key("cb"), self._key("cl"), self._key("cn")
        try:
            if int(self._client.get(logged) or 0) <= FOLD_CHANGES:
                return
            with self._client.pipeline(transaction=True) as pipe:
                pipe.watch(base)  # a second folder gives way to the first
                blobs = pipe.lrange(log, 0, -1)
                table, changes = folded(pipe.get(base), blobs, self.where)
                pipe.multi()
                pipe.set(base, encode_table(table))
                pipe.ltrim(log, len(blobs), -1)
                pipe.decrby(logged, changes)
                pipe.execute()
        except (BackendError, self._redis.RedisError):
            return

    def remove(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0
        id_keys = [self._key("i:", doc_id) for doc_id in wanted]
        with self._errors():
            for _ in range(_RETRIES):
                with self._client.pipeline(transaction=True) as pipe:
                    try:
                        return self._remove_watched(pipe, id_keys)
                    except self._redis.WatchError:
                        continue
        raise BackendError(f"{self.where}: gave up removing: ids kept changing under it")

    def _remove_watched(self, pipe: Any, id_keys: list[bytes]) -> int:
        pipe.watch(*id_keys)
        olds = self._olds(pipe, id_keys)
        rewrites = self._watch_segments(pipe, list(olds.values()))
        pipe.multi()
        removed = self._queue_delete(pipe, list(olds.values()), rewrites)
        for position in olds:
            pipe.delete(id_keys[position])
        if olds:
            pipe.incrby(self._key("count"), -len(olds))
        self._queue_frequencies(pipe, [], removed)
        pipe.execute()
        self._fold_when_long()
        return len(olds)

    def recount(self) -> int:
        # Watched on what every add and remove changes: the counts are written only if no
        # document came or went while the texts were read.
        watched = [self._key(name) for name in ("next", "count", "cl")]
        with self._errors():
            for _ in range(_RECOUNT_TRIES):
                with self._client.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(*watched)
                        last = int(pipe.get(self._key("next")) or 0)
                        table, documents = count_texts(self._stored_texts(last), self.where)
                        pipe.multi()
                        pipe.set(self._key("cb"), encode_table(table))
                        pipe.delete(self._key("cl"))
                        pipe.set(self._key("cn"), 0)
                        pipe.execute()
                        return documents
                    except self._redis.WatchError:
                        continue
        raise BackendError(
            f"{self.where}: documents kept coming and going during the recount: run it when "
            "no writer is busy"
        )

    def _stored_texts(self, last: int) -> Iterator[bytes]:
        """The stored (compressed) texts of documents numbered up to ``last``."""
        for start in range(1, last + 1, _TEXTS_PER_READ):
            numbers = range(start, min(start + _TEXTS_PER_READ, last + 1))
            texts = self._pipelined(
                lambda pipe, numbers=numbers: [
                    pipe.hget(self._key("d:", str(n)), b"text") for n in numbers
                ]
            )
            yield from (text for text in texts if text is not None)

    def stats(self) -> IndexStats:
        with self._errors():
            count = int(self._client.get(self._key("count")) or 0)
        return IndexStats(self.where, "redis", self.format_version, count, self.params)

    def _segments(self) -> Iterator[Segment]:
        with self._errors():
            numbers = sorted(int(n) for n in self._client.smembers(self._key("segs")))
            for start in range(0, len(numbers), _SEGMENTS_PER_READ):
                chunk = numbers[start : start + _SEGMENTS_PER_READ]
                for blob in self._client.mget([self._key("s:", str(n)) for n in chunk]):
                    if blob is not None:  # emptied and deleted since the list was read
                        yield Segment.decode(blob, self.where)

    def _documents_of(self, numbers: I64) -> dict[int, tuple[str, bytes]]:
        values = numbers.tolist()
        with self._errors():
            rows = self._pipelined(
                lambda pipe: [pipe.hmget(self._key("d:", str(n)), b"id", b"sig") for n in values]
            )
        return {
            n: (doc_id.decode("utf-8", "surrogatepass"), signature)
            for n, (doc_id, signature) in zip(values, rows, strict=True)
            if doc_id is not None
        }

    def _pipelined(self, queue: Any) -> list[Any]:
        with self._client.pipeline(transaction=False) as pipe:
            queue(pipe)
            return list(pipe.execute())

    def exact_matches(self, exact_keys: Sequence[int]) -> list[tuple[int, str]]:
        wanted = [(row, key) for row, key in enumerate(exact_keys) if key]
        with self._errors():
            members = self._pipelined(
                lambda pipe: [pipe.smembers(self._exact_key(key)) for _, key in wanted]
            )
            pairs = {
                (row, int(n))
                for (row, _), numbers in zip(wanted, members, strict=True)
                for n in numbers
            }
        stored = self._documents_of(np.array(sorted({n for _, n in pairs}), dtype=np.int64))
        return sorted({(row, stored[n][0]) for row, n in pairs if n in stored})

    def fetch(self, ids: Sequence[str]) -> dict[str, ArchivedDocument]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        with self._errors():
            numbers = self._client.mget([self._key("i:", doc_id) for doc_id in unique])
            found = self._archived([n for n in numbers if n is not None])
        return {archived.id: archived for archived in found}

    def _archived(self, numbers: Sequence[bytes | int]) -> list[ArchivedDocument]:
        """The stored documents numbered ``numbers`` (removed ones left out)."""
        rows = self._pipelined(
            lambda pipe: [
                pipe.hmget(
                    self._key("d:", str(n) if isinstance(n, int) else n),
                    *_FIELDS,
                    b"has_source",
                    b"has_date",
                )
                for n in numbers
            ]
        )
        return [
            ArchivedDocument(
                doc_id.decode("utf-8", "surrogatepass"),
                decompress_text(text, self.where),
                source.decode() if has_source == b"1" else None,
                date.decode() if has_date == b"1" else None,
                int(exact),
                int(tokens),
            )
            for doc_id, source, date, exact, tokens, text, has_source, has_date in rows
            if doc_id is not None
        ]

    def stored_documents(self, batch_size: int) -> Iterator[list[ArchivedDocument]]:
        # Read up to the last number handed out, then again up to the new last: a document
        # replaced meanwhile left its old number for a new one.
        with self._errors():
            start, last = 1, int(self._client.get(self._key("next")) or 0)
            while start <= last:
                for first in range(start, last + 1, batch_size):
                    found = self._archived(range(first, min(first + batch_size, last + 1)))
                    if found:
                        yield found
                start, last = last + 1, int(self._client.get(self._key("next")) or 0)

    def frequencies(self, bins: I64) -> tuple[npt.NDArray[np.int64], int]:
        values = bins.tolist()
        with self._errors():
            counts = self._client.hmget(self._key("f"), values) if values else []
            documents = int(self._client.get(self._key("count")) or 0)
        return np.array([int(c or 0) for c in counts], dtype=np.int64), documents

    def shingle_counts(self) -> npt.NDArray[np.uint8]:
        with self._errors():
            with self._client.pipeline(transaction=True) as pipe:  # base and log of one moment
                pipe.get(self._key("cb"))
                pipe.lrange(self._key("cl"), 0, -1)
                base, blobs = pipe.execute()
            return folded(base, blobs, self.where)[0]

    def drop_if_empty(self) -> bool:
        with self._errors():
            if int(self._client.get(self._key("count")) or 0):
                return False
            # An index that never held a document has only its own singletons: deleted by
            # name, never by pattern (another index's prefix may begin with this one's).
            self._client.delete(*(self._key(name) for name in _SINGLETONS))
        self.close()
        return True

    def drop(self) -> None:
        # Every key is found from the index's own records, never by pattern (another index's
        # prefix may begin with this one's). The metadata goes first: keys an interrupted drop
        # leaves are no index, and creating one there is refused.
        with self._errors():
            self._client.delete(self._key("meta"))
            last = int(self._client.get(self._key("next")) or 0)
            for start in range(1, last + 1, _TEXTS_PER_READ):
                numbers = range(start, min(start + _TEXTS_PER_READ, last + 1))
                rows = self._pipelined(
                    lambda pipe, numbers=numbers: [
                        pipe.hmget(self._key("d:", str(n)), b"id", b"exact") for n in numbers
                    ]
                )
                keys = [self._key("d:", str(n)) for n in numbers]
                for doc_id, exact in rows:
                    if doc_id is not None:
                        keys.append(self._key("i:", doc_id))
                        if int(exact):
                            keys.append(self._exact_key(int(exact)))
                self._client.delete(*keys)
            segments = self._client.smembers(self._key("segs"))
            keys = [self._key("s:", n) for n in segments]
            for start in range(0, len(keys), _TEXTS_PER_READ):
                self._client.delete(*keys[start : start + _TEXTS_PER_READ])
            self._client.delete(*(self._key(name) for name in _SINGLETONS))
        self.close()

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


def _one_line(error: Exception) -> str:
    """Redis's message, without the pipelined command it quotes (compressed bytes, ids): "Command
    # 199 (RPUSH …) of pipeline caused error: OOM …" says "OOM …"."""
    text = str(error).rpartition("of pipeline caused error: ")[2]
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"
