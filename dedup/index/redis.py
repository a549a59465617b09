"""The shared archive index: keys in a Redis server (``pip install 'dedup[redis]'``).

Keys (format version 1), all under a prefix (default ``dedup:``, ``?prefix=NAME:`` in the URL)::

    meta                 hash: format_version and the IndexParams
    next                 counter handing out document numbers
    count                number of documents
    i:<id>               the number of document <id>
    d:<number>           hash: id, length, tokens, source, date, exact, hash,
                         sig (little-endian uint32), pkeys (little-endian uint64), text (zstd)
    b<band><key>         set of numbers with that document band key (band: 2 bytes, key: 8)
    p<band><key>         the same for paragraph band keys
    x<key>               set of numbers with that exact-duplicate key (8 bytes)
    f                    hash: word bin -> document frequency

A batch is written in one MULTI/EXEC transaction, watched on the ids it touches: a writer that
dies before EXEC changes nothing, and two writers that touch the same id retry rather than
interleave. How much survives a *server* crash is the server's persistence setting.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt

from dedup.config import MatchConfig
from dedup.errors import BackendError
from dedup.index.base import (
    FORMAT_VERSION,
    I64,
    U64,
    ArchivedDocument,
    ArchiveEntry,
    ArchiveIndex,
    IndexParams,
    IndexStats,
    bin_deltas,
    compress_text,
    decompress_text,
    dedupe_last,
    word_bins_of,
)

__all__ = ["RedisIndex"]

_FIELDS = (b"id", b"source", b"date", b"exact", b"tokens", b"text")
_OLD_FIELDS = (b"hash", b"sig", b"pkeys", b"text", b"exact")
_RETRIES = 1000
# Scripts that apply one command to many keys or fields: one round of the protocol per document
# instead of one per band, which is most of the cost of an add.
_EACH_KEY = "for i, key in ipairs(KEYS) do redis.call(ARGV[1], key, ARGV[2]) end"
_INCREMENT_FIELDS = (
    "for i = 1, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end"
)
# Members of many sets at once, as (key position, member) pairs; sets over ARGV[1] members
# (when it is not negative) are boilerplate and left out.
_MEMBERS = """
local out, cap = {}, tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if cap < 0 or redis.call('SCARD', key) <= cap then
    for _, member in ipairs(redis.call('SMEMBERS', key)) do
      out[#out + 1] = i
      out[#out + 1] = member
    end
  end
end
return out
"""
_SCRIPT_ARGS = 4096


class RedisIndex(ArchiveIndex):
    """An archive index in the Redis database of ``url`` (``redis://host:port/db``)."""

    def __init__(self, url: str, config: MatchConfig | None = None, create: bool = True) -> None:
        try:
            import redis
        except ImportError:
            raise BackendError(
                f"{url}: the Redis backend needs the redis package: pip install 'dedup[redis]'"
            ) from None
        self._redis = redis
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = (query.pop("prefix", ["dedup:"])[0]).encode()
        self.url = url
        plain = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        with self._errors():
            self._client: Any = redis.Redis.from_url(plain, socket_timeout=60)
            self.params = self._open(config or MatchConfig(), create)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._redis.RedisError as error:
            raise BackendError(f"{self.url}: {error}") from None

    def _key(self, *parts: bytes | str) -> bytes:
        return self.prefix + b"".join(p.encode() if isinstance(p, str) else p for p in parts)

    def _open(self, config: MatchConfig, create: bool) -> IndexParams:
        meta_key = self._key("meta")
        raw = self._client.hgetall(meta_key)
        if not raw:
            if not create:
                raise BackendError(
                    f"{self.url}: no index there (create one with `dedup index add`)"
                )
            meta = {"format_version": str(FORMAT_VERSION), **IndexParams.of(config).to_meta()}
            for name, value in meta.items():  # HSETNX: a concurrent creator's values win whole
                self._client.hsetnx(meta_key, name, value)
            raw = self._client.hgetall(meta_key)
        meta = {k.decode(): v.decode() for k, v in raw.items()}
        version = meta.get("format_version")
        if version != str(FORMAT_VERSION):
            raise BackendError(
                f"{self.url}: index format version {version}, this dedup reads version "
                f"{FORMAT_VERSION}: rebuild the index with this version"
            )
        return IndexParams.from_meta(meta, self.url)

    def _band_key(self, kind: str, band: int, key: int) -> bytes:
        return self._key(kind, struct.pack(">HQ", band, key))

    def _exact_key(self, key: int) -> bytes:
        return self._key("x", struct.pack(">q", key))

    def _bucket_keys(self, signature: npt.NDArray[np.uint32], paragraph: U64) -> list[bytes]:
        keys = [
            self._band_key("b", band, key)
            for band, key in enumerate(self.document_band_keys(signature).tolist())
        ]
        for row in paragraph.tolist():
            keys.extend(self._band_key("p", band, key) for band, key in enumerate(row))
        return keys

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
        raise BackendError(f"{self.url}: gave up adding a batch: ids kept changing under it")

    def _add_watched(
        self, pipe: Any, entries: list[ArchiveEntry], id_keys: list[bytes]
    ) -> tuple[int, int]:
        pipe.watch(*id_keys)
        old_numbers = pipe.mget(id_keys)
        olds: dict[int, list[Any]] = {}
        for position, number in enumerate(old_numbers):
            if number is not None:
                olds[position] = [
                    number,
                    *pipe.hmget(self._key("d:", number), *_OLD_FIELDS),
                ]
        unchanged = {
            p
            for p, old in olds.items()
            if old[1] is not None and int(old[1]) == entries[p].content_hash
        }
        fresh = [p for p in range(len(entries)) if p not in unchanged]
        first = (
            int(self._client.incrby(self._key("next"), len(fresh))) - len(fresh) + 1 if fresh else 0
        )
        removed_bins: list[npt.NDArray[np.int32]] = []
        pipe.multi()
        for position in fresh:
            old = olds.get(position)
            if old is not None:
                removed_bins.append(self._queue_delete(pipe, old[0], *old[2:]))
        for offset, position in enumerate(fresh):
            entry = entries[position]
            number = str(first + offset).encode()
            pipe.hset(
                self._key("d:", number),
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
                    b"sig": entry.signature.astype("<u4").tobytes(),
                    b"pkeys": entry.paragraph_keys.astype("<u8").tobytes(),
                    b"text": compress_text(entry.text),
                },
            )
            pipe.set(id_keys[position], number)
            buckets = self._bucket_keys(entry.signature, entry.paragraph_keys)
            if buckets:
                pipe.eval(_EACH_KEY, len(buckets), *buckets, "SADD", number)
            if entry.exact_key:
                pipe.sadd(self._exact_key(entry.exact_key), number)
        added = len(fresh) - len(removed_bins)
        if added:
            pipe.incrby(self._key("count"), added)
        self._queue_frequencies(pipe, [entries[p].word_bins for p in fresh], removed_bins)
        pipe.execute()
        return len(fresh), len(unchanged)

    def _queue_delete(
        self,
        pipe: Any,
        number: bytes,
        signature: bytes,
        paragraph: bytes,
        text: bytes,
        exact: bytes,
    ) -> npt.NDArray[np.int32]:
        """Queue the deletion of document ``number``; returns its word bins."""
        rows = np.frombuffer(paragraph, "<u8").astype(np.uint64)
        rows = rows.reshape(-1, self.params.paragraph_bands)
        buckets = self._bucket_keys(np.frombuffer(signature, "<u4").astype(np.uint32), rows)
        if buckets:
            pipe.eval(_EACH_KEY, len(buckets), *buckets, "SREM", number)
        if int(exact):
            pipe.srem(self._exact_key(int(exact)), number)
        pipe.delete(self._key("d:", number))
        return word_bins_of(decompress_text(text))

    def _queue_frequencies(
        self, pipe: Any, added: list[npt.NDArray[np.int32]], removed: list[npt.NDArray[np.int32]]
    ) -> None:
        bins, deltas = bin_deltas(added, removed)
        key = self._key("f")
        pairs = np.stack([bins, deltas], axis=1).ravel().tolist()
        for start in range(0, len(pairs), 2 * _SCRIPT_ARGS):
            chunk = pairs[start : start + 2 * _SCRIPT_ARGS]
            pipe.eval(_INCREMENT_FIELDS, 1, key, *chunk)

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
        raise BackendError(f"{self.url}: gave up removing: ids kept changing under it")

    def _remove_watched(self, pipe: Any, id_keys: list[bytes]) -> int:
        pipe.watch(*id_keys)
        numbers = pipe.mget(id_keys)
        olds = [
            (key, number, *pipe.hmget(self._key("d:", number), *_OLD_FIELDS[1:]))
            for key, number in zip(id_keys, numbers, strict=True)
            if number is not None
        ]
        pipe.multi()
        removed = []
        for key, number, *stored in olds:
            removed.append(self._queue_delete(pipe, number, *stored))
            pipe.delete(key)
        if olds:
            pipe.incrby(self._key("count"), -len(olds))
        self._queue_frequencies(pipe, [], removed)
        pipe.execute()
        return len(olds)

    def stats(self) -> IndexStats:
        with self._errors():
            count = int(self._client.get(self._key("count")) or 0)
        return IndexStats(self.url, "redis", FORMAT_VERSION, count, self.params)

    def candidates(
        self,
        document_keys: U64,
        paragraph_keys: U64,
        paragraph_rows: I64,
        max_paragraph_bucket: int | None = None,
    ) -> list[tuple[int, str]]:
        rows_of: dict[bytes, list[int]] = {}
        for row, keys in enumerate(document_keys.tolist()):
            if any(keys):
                for band, key in enumerate(keys):
                    rows_of.setdefault(self._band_key("b", band, key), []).append(row)
        paragraph_rows_of: dict[bytes, list[int]] = {}
        for row, keys in zip(paragraph_rows.tolist(), paragraph_keys.tolist(), strict=True):
            for band, key in enumerate(keys):
                paragraph_rows_of.setdefault(self._band_key("p", band, key), []).append(row)
        with self._errors():
            pairs: set[tuple[int, bytes]] = set()
            for groups, cap in ((rows_of, -1), (paragraph_rows_of, max_paragraph_bucket)):
                names = list(groups)
                for start in range(0, len(names), _SCRIPT_ARGS):
                    chunk = names[start : start + _SCRIPT_ARGS]
                    found = self._client.eval(
                        _MEMBERS, len(chunk), *chunk, -1 if cap is None else cap
                    )
                    for position, number in zip(found[::2], found[1::2], strict=True):
                        pairs.update((row, number) for row in groups[chunk[position - 1]])
            return self._with_ids(pairs)

    def _pipelined(self, queue: Any) -> list[Any]:
        with self._client.pipeline(transaction=False) as pipe:
            queue(pipe)
            return list(pipe.execute())

    def _with_ids(self, pairs: set[tuple[int, bytes]]) -> list[tuple[int, str]]:
        numbers = sorted({number for _, number in pairs})
        ids = self._pipelined(
            lambda pipe: [pipe.hget(self._key("d:", number), b"id") for number in numbers]
        )
        id_of = {
            n: i.decode("utf-8", "surrogatepass") for n, i in zip(numbers, ids, strict=True) if i
        }
        return sorted({(row, id_of[number]) for row, number in pairs if number in id_of})

    def exact_matches(self, exact_keys: Sequence[int]) -> list[tuple[int, str]]:
        wanted = [(row, key) for row, key in enumerate(exact_keys) if key]
        with self._errors():
            members = self._pipelined(
                lambda pipe: [pipe.smembers(self._exact_key(key)) for _, key in wanted]
            )
            pairs = {
                (row, n) for (row, _), numbers in zip(wanted, members, strict=True) for n in numbers
            }
            return self._with_ids(pairs)

    def fetch(self, ids: Sequence[str]) -> dict[str, ArchivedDocument]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        with self._errors():
            numbers = self._client.mget([self._key("i:", doc_id) for doc_id in unique])
            present = [n for n in numbers if n is not None]
            rows = self._pipelined(
                lambda pipe: [
                    pipe.hmget(self._key("d:", n), *_FIELDS, b"has_source", b"has_date")
                    for n in present
                ]
            )
        result: dict[str, ArchivedDocument] = {}
        for row in rows:
            doc_id, source, date, exact, tokens, text, has_source, has_date = row
            if doc_id is None:
                continue  # removed between the two reads
            archived = ArchivedDocument(
                doc_id.decode("utf-8", "surrogatepass"),
                decompress_text(text),
                source.decode() if has_source == b"1" else None,
                date.decode() if has_date == b"1" else None,
                int(exact),
                int(tokens),
            )
            result[archived.id] = archived
        return result

    def frequencies(self, bins: I64) -> tuple[npt.NDArray[np.int64], int]:
        values = bins.tolist()
        with self._errors():
            counts = self._client.hmget(self._key("f"), values) if values else []
            documents = int(self._client.get(self._key("count")) or 0)
        return np.array([int(c or 0) for c in counts], dtype=np.int64), documents

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
