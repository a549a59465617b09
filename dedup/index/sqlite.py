"""The embedded archive index: one SQLite file, no server.

Schema (format version 5; versions 3 and 4 differ only in what is derived from the texts)::

    meta(key TEXT PRIMARY KEY, value TEXT)           format_version and the IndexParams
    documents(number INTEGER PRIMARY KEY, id TEXT UNIQUE, segment, length, tokens, source,
              date, exact_key INTEGER, content_hash INTEGER,
              signature BLOB,                        num_perm little-endian uint32
              text BLOB)                             zstandard-compressed UTF-8
    segments(segment INTEGER PRIMARY KEY, postings BLOB)   band keys of one added batch
    frequencies(bin INTEGER PRIMARY KEY, count)      documents per word bin
    shingle_counts(part INTEGER PRIMARY KEY,         3-gram counts (dedup.index.counts): part 0
                   changes INTEGER, data BLOB)       the base table, later parts the log

The file is in WAL mode with ``synchronous=FULL``; every batch is one ``BEGIN IMMEDIATE``
transaction, so a killed writer leaves whole batches, and writers from several processes queue
on the lock (up to ``timeout_s``). The batches it committed may still be in ``-wal`` alone: a
connection that only reads opens read-only, reads them there and leaves them to the next writer.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import numpy.typing as npt

from dedup.config import MatchConfig
from dedup.errors import BackendError
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
    version_error,
)
from dedup.index.counts import FOLD_CHANGES, count_texts, encode_changes, encode_table, folded
from dedup.index.postings import Segment

__all__ = ["SqliteIndex"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    number INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    length INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    source TEXT,
    date TEXT,
    exact_key INTEGER NOT NULL,
    content_hash INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    signature BLOB NOT NULL,
    text BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_exact ON documents (exact_key) WHERE exact_key != 0;
CREATE TABLE IF NOT EXISTS segments (segment INTEGER PRIMARY KEY, postings BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS frequencies (bin INTEGER PRIMARY KEY, count INTEGER NOT NULL);
"""
_SCHEMA_COUNTS = """
CREATE TABLE IF NOT EXISTS shingle_counts (
    part INTEGER PRIMARY KEY,
    changes INTEGER NOT NULL,
    data BLOB NOT NULL
)
"""
_CHUNK = 500
_CACHE_KIB = 256 * 1024


class SqliteIndex(ArchiveIndex):
    """An archive index in the SQLite file ``path`` (created when ``create`` is true)."""

    def __init__(
        self,
        path: str,
        config: MatchConfig | None = None,
        create: bool = True,
        timeout_s: float = 120.0,
        to_rebuild: bool = False,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._existed = Path(path).exists()  # an empty file of the user's is left a file
        if not create and not Path(path).is_file():
            raise BackendError(f"{path}: no index there (create one with `dedup index add`)")
        # An index opened only to be read: for a rebuild, its stats, a check that adds nothing.
        self._reader = to_rebuild or read_only
        location, uri = _reader_location(path) if self._reader else (path, False)
        try:
            self._db = sqlite3.connect(location, timeout=timeout_s, isolation_level=None, uri=uri)
        except sqlite3.Error as error:
            raise BackendError(f"{path}: cannot open the index: {error}") from None
        try:
            self.params = self._open(config or MatchConfig(), create, to_rebuild)
        except sqlite3.DatabaseError as error:
            self._db.close()
            if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CANTOPEN:  # its -wal or -shm
                raise BackendError(f"{path}: cannot open the index: {error}") from None
            raise BackendError(f"{path}: not a dedup index ({error})") from None
        except BaseException:
            self._db.close()
            raise

    def _open(self, config: MatchConfig, create: bool, to_rebuild: bool) -> IndexParams:
        db = self._db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            if tables:
                raise BackendError(f"{self.path}: a SQLite file, but not a dedup index")
            if not create:  # an empty file: a command that only reads leaves it so
                raise BackendError(
                    f"{self.path}: no index there (create one with `dedup index add`)"
                )
        if not self._reader:  # an index opened only to be read is left as it is
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA cache_size={-_CACHE_KIB}")
        if "meta" not in tables:
            self.created = True
            with self._transaction():
                for statement in [*_SCHEMA.split(";"), _SCHEMA_COUNTS]:
                    if statement.strip():
                        db.execute(statement)
                meta = {"format_version": str(FORMAT_VERSION), **IndexParams.of(config).to_meta()}
                db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", meta.items())
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        error = version_error(self.path, meta.get("format_version"), to_rebuild)
        if error is not None:
            raise error
        self.format_version = int(meta["format_version"])
        return IndexParams.from_meta(meta, self.path)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise BackendError(f"{self.path}: cannot write the index: {error}") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise BackendError(f"{self.path}: cannot commit to the index: {error}") from None

    def add(self, entries: Sequence[ArchiveEntry]) -> tuple[int, int]:
        entries = dedupe_last(entries)
        if not entries:
            return 0, 0
        with self._transaction() as db:
            olds = self._stored(db, [entry.id for entry in entries], "number, content_hash")
            fresh = [e for e in entries if e.id not in olds or olds[e.id][1] != e.content_hash]
            removed_bins = self._delete(db, [olds[e.id][0] for e in fresh if e.id in olds])
            (last,) = db.execute("SELECT COALESCE(MAX(number), 0) FROM documents").fetchone()
            numbers = list(range(last + 1, last + 1 + len(fresh)))
            segment = None
            if fresh:
                postings = self.segment_of(fresh, numbers).encode()
                segment = db.execute(
                    "INSERT INTO segments (postings) VALUES (?)", (postings,)
                ).lastrowid
            db.executemany(
                "INSERT INTO documents (number, id, segment, length, tokens, source, date, "
                "exact_key, content_hash, signature, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        number,
                        entry.id,
                        segment,
                        len(entry.text),
                        entry.tokens,
                        entry.source,
                        entry.date,
                        entry.exact_key,
                        entry.content_hash,
                        entry.signature.astype("<u4").tobytes(),
                        compress_text(entry.text),
                    )
                    for number, entry in zip(numbers, fresh, strict=True)
                ),
            )
            self._update_frequencies(fresh, removed_bins)
        return len(fresh), len(entries) - len(fresh)

    def _stored(
        self, db: sqlite3.Connection, ids: Sequence[str], columns: str
    ) -> dict[str, tuple[Any, ...]]:
        """``columns`` of the stored documents among ``ids``, by id."""
        found: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for doc_id, *values in db.execute(
                f"SELECT id, {columns} FROM documents WHERE id IN ({marks})", chunk
            ):
                found[doc_id] = tuple(values)
        return found

    def _delete(
        self, db: sqlite3.Connection, numbers: list[int]
    ) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]]:
        """Delete documents ``numbers`` and their postings; returns their word and 3-gram bins."""
        if not numbers:
            return []
        bins: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]] = []
        segments: dict[int, list[int]] = {}
        for start in range(0, len(numbers), _CHUNK):
            chunk = numbers[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for number, segment, text in db.execute(
                f"SELECT number, segment, text FROM documents WHERE number IN ({marks})", chunk
            ):
                segments.setdefault(segment, []).append(number)
                bins.append(bins_of(decompress_text(text, self.where)))
            db.execute(f"DELETE FROM documents WHERE number IN ({marks})", chunk)
        for segment, gone in segments.items():
            row = db.execute(
                "SELECT postings FROM segments WHERE segment = ?", (segment,)
            ).fetchone()
            if row is None:
                continue
            left = Segment.decode(row[0], self.path).without(np.asarray(gone, np.int64))
            if len(left):
                db.execute(
                    "UPDATE segments SET postings = ? WHERE segment = ?", (left.encode(), segment)
                )
            else:
                db.execute("DELETE FROM segments WHERE segment = ?", (segment,))
        return bins

    def _update_frequencies(
        self,
        added: Sequence[ArchiveEntry],
        removed: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]],
    ) -> None:
        """Count ``added`` in and the bins of ``removed`` out (in the open transaction)."""
        db = self._db
        (bins, deltas), (grams, gram_deltas) = count_changes(added, removed)
        db.executemany(
            "INSERT INTO frequencies VALUES (?, ?) "
            "ON CONFLICT (bin) DO UPDATE SET count = count + excluded.count",
            zip(bins.tolist(), deltas.tolist(), strict=True),
        )
        if not len(grams):
            return
        db.execute(
            "INSERT INTO shingle_counts (part, changes, data) "
            "VALUES ((SELECT COALESCE(MAX(part), 0) + 1 FROM shingle_counts), ?, ?)",
            (len(grams), encode_changes(grams, gram_deltas)),
        )
        (logged,) = db.execute("SELECT SUM(changes) FROM shingle_counts").fetchone()
        if logged > FOLD_CHANGES:
            db.execute(
                "INSERT OR REPLACE INTO shingle_counts VALUES (0, 0, ?)",
                (encode_table(self.shingle_counts()),),
            )
            db.execute("DELETE FROM shingle_counts WHERE part > 0")

    def shingle_counts(self) -> npt.NDArray[np.uint8]:
        rows = self._db.execute("SELECT part, data FROM shingle_counts ORDER BY part").fetchall()
        base = rows[0][1] if rows and rows[0][0] == 0 else None
        return folded(base, (data for part, data in rows if part > 0), self.path)[0]

    def recount(self) -> int:
        with self._transaction() as db:  # writers wait: none is lost from the new counts
            table, documents = count_texts(
                (text for (text,) in db.execute("SELECT text FROM documents")), self.path
            )
            db.execute("DELETE FROM shingle_counts")
            db.execute("INSERT INTO shingle_counts VALUES (0, 0, ?)", (encode_table(table),))
        return documents

    def stored_documents(self, batch_size: int) -> Iterator[list[ArchivedDocument]]:
        after = 0
        while True:
            rows = self._db.execute(
                "SELECT number, id, source, date, exact_key, tokens, text FROM documents "
                "WHERE number > ? ORDER BY number LIMIT ?",
                (after, batch_size),
            ).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield [
                ArchivedDocument(
                    doc_id, decompress_text(text, self.where), source, date, exact_key, tokens
                )
                for _, doc_id, source, date, exact_key, tokens, text in rows
            ]

    def remove(self, ids: Iterable[str]) -> int:
        with self._transaction() as db:
            olds = self._stored(db, list(dict.fromkeys(ids)), "number")
            removed = self._delete(db, [number for (number,) in olds.values()])
            self._update_frequencies([], removed)
        return len(removed)

    def stats(self) -> IndexStats:
        (count,) = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()
        return IndexStats(self.url, "sqlite", self.format_version, int(count), self.params)

    def _segments(self) -> Iterator[Segment]:
        # A snapshot would hold the writers' checkpoint back for the whole read; segments are
        # read one by one instead, and a document removed meanwhile is dropped by _documents_of.
        (last,) = self._db.execute("SELECT COALESCE(MAX(segment), 0) FROM segments").fetchone()
        after = 0
        while after < last:
            rows = self._db.execute(
                "SELECT segment, postings FROM segments WHERE segment > ? AND segment <= ? "
                "ORDER BY segment LIMIT 64",
                (after, last),
            ).fetchall()
            if not rows:
                break
            for _, postings in rows:
                yield Segment.decode(postings, self.path)
            after = rows[-1][0]

    def _documents_of(self, numbers: I64) -> dict[int, tuple[str, bytes]]:
        found: dict[int, tuple[str, bytes]] = {}
        values = numbers.tolist()
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for number, doc_id, signature in self._db.execute(
                f"SELECT number, id, signature FROM documents WHERE number IN ({marks})", chunk
            ):
                found[number] = (doc_id, signature)
        return found

    def exact_matches(self, exact_keys: Sequence[int]) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        wanted = [(row, key) for row, key in enumerate(exact_keys) if key]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows_of: dict[int, list[int]] = {}
            for row, key in chunk:
                rows_of.setdefault(key, []).append(row)
            marks = ",".join("?" * len(rows_of))
            for key, doc_id in self._db.execute(
                # The partial index on exact_key serves only queries that say exact_key != 0.
                f"SELECT exact_key, id FROM documents WHERE exact_key IN ({marks}) "
                "AND exact_key != 0",
                list(rows_of),
            ):
                found.extend((row, doc_id) for row in rows_of[key])
        return sorted(found)

    def fetch(self, ids: Sequence[str]) -> dict[str, ArchivedDocument]:
        result: dict[str, ArchivedDocument] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for doc_id, source, date, exact_key, tokens, text in self._db.execute(
                "SELECT id, source, date, exact_key, tokens, text FROM documents "
                f"WHERE id IN ({marks})",
                chunk,
            ):
                result[doc_id] = ArchivedDocument(
                    doc_id, decompress_text(text, self.where), source, date, exact_key, tokens
                )
        return result

    def frequencies(self, bins: I64) -> tuple[npt.NDArray[np.int64], int]:
        db = self._db
        db.execute("BEGIN")
        try:
            (documents,) = db.execute("SELECT COUNT(*) FROM documents").fetchone()
            counts: dict[int, int] = {}
            values = bins.tolist()
            for start in range(0, len(values), _CHUNK):
                chunk = values[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                counts.update(
                    db.execute(f"SELECT bin, count FROM frequencies WHERE bin IN ({marks})", chunk)
                )
        finally:
            db.execute("COMMIT")
        return np.array([counts.get(b, 0) for b in values], dtype=np.int64), int(documents)

    @property
    def where(self) -> str:
        return self.path

    def drop_if_empty(self) -> bool:
        (count,) = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()
        if count:
            return False
        if self._existed:
            self._unlink_journals()
            Path(self.path).write_bytes(b"")  # as it was: empty
        else:
            self.drop()
        return True

    def seal(self) -> None:
        """Move every committed page into the database file and leave WAL mode, so that the
        file alone is the index (before it is renamed); a failure is a BackendError."""
        try:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            (mode,) = self._db.execute("PRAGMA journal_mode=DELETE").fetchone()
        except sqlite3.Error as error:
            raise BackendError(f"{self.path}: cannot write the index: {error}") from None
        if busy or mode != "delete":
            raise BackendError(f"{self.path}: cannot write the index out whole (busy)")

    def drop(self) -> None:
        self._unlink_journals()
        Path(self.path).unlink(missing_ok=True)

    def _unlink_journals(self) -> None:
        self._db.close()
        for leftover in ("-wal", "-shm", "-journal"):
            Path(self.path + leftover).unlink(missing_ok=True)

    def close(self) -> None:
        self._db.close()


def _reader_location(path: str) -> tuple[str, bool]:
    """Where a connection that only reads opens the index ``path``, and whether it is a URI.

    Batches a writer committed to ``path-wal`` (one killed before the checkpoint that closing
    it makes) are part of the index. A read-only connection reads them through ``path-shm``
    (made if missing, or rebuilt in memory where it cannot be written) and, unlike a
    read-write one closing last, never checkpoints them into the file nor removes the WAL.
    """
    wal, shm = Path(path + "-wal"), Path(path + "-shm")
    read_only = f"file:{quote(path)}?mode=ro"
    folder_writable = os.access(Path(path).parent, os.W_OK)
    if wal.exists() and (shm.exists() or folder_writable):
        return read_only, True
    if wal.exists() and wal.stat().st_size:
        raise BackendError(
            f"{path}: batches committed to {path}-wal are not in {path} yet, and without "
            f"{path}-shm they cannot be read where nothing can be written: copy {path} and "
            f"{path}-wal to a folder that can be written and read them there"
        )
    if _writable(path):
        # Read-write, as a writer may start meanwhile: closing it removes the WAL files that
        # opening a WAL-mode file makes, and finds nothing to checkpoint.
        return path, False
    # Nothing can be written here, so nothing is committed outside the file, and SQLite cannot
    # make the WAL files: immutable.
    return f"{read_only}&immutable=1", True


def _writable(path: str) -> bool:
    """Whether the index file and its folder (where SQLite puts its journals) can be written."""
    return os.access(path, os.W_OK) and os.access(Path(path).parent, os.W_OK)
