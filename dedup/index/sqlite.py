"""The embedded archive index: one SQLite file, no server.

Schema (format version 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)           format_version and the IndexParams
    documents(number INTEGER PRIMARY KEY, id TEXT UNIQUE, length, tokens, source, date,
              exact_key INTEGER, content_hash INTEGER,
              signature BLOB,                        num_perm little-endian uint32
              paragraph_keys BLOB,                   little-endian uint64, paragraphs x bands
              text BLOB)                             zstandard-compressed UTF-8
    bands(band, key, number)                         document band keys (WITHOUT ROWID)
    paragraph_bands(band, key, number)               paragraph band keys (WITHOUT ROWID)
    frequencies(bin INTEGER PRIMARY KEY, count)      documents per word bin

Band keys are stored as the signed 64-bit integers with the same bits. The file is in WAL mode
with ``synchronous=FULL``; every batch is one ``BEGIN IMMEDIATE`` transaction, so a killed
writer leaves whole batches, and writers from several processes queue on the lock (up to
``timeout_s``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

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
    signature BLOB NOT NULL,
    paragraph_keys BLOB NOT NULL,
    text BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_exact ON documents (exact_key) WHERE exact_key != 0;
CREATE TABLE IF NOT EXISTS bands (
    band INTEGER NOT NULL, key INTEGER NOT NULL, number INTEGER NOT NULL,
    PRIMARY KEY (band, key, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paragraph_bands (
    band INTEGER NOT NULL, key INTEGER NOT NULL, number INTEGER NOT NULL,
    PRIMARY KEY (band, key, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS frequencies (bin INTEGER PRIMARY KEY, count INTEGER NOT NULL);
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
    ) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        if not create and not Path(path).is_file():
            raise BackendError(f"{path}: no index there (create one with `dedup index add`)")
        try:
            self._db = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as error:
            raise BackendError(f"{path}: cannot open the index: {error}") from None
        try:
            self.params = self._open(config or MatchConfig(), create)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise BackendError(f"{path}: not a dedup index ({error})") from None
        except BaseException:
            self._db.close()
            raise

    def _open(self, config: MatchConfig, create: bool) -> IndexParams:
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA cache_size={-_CACHE_KIB}")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            if tables:
                raise BackendError(f"{self.path}: a SQLite file, but not a dedup index")
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                meta = {"format_version": str(FORMAT_VERSION), **IndexParams.of(config).to_meta()}
                db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", meta.items())
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        version = meta.get("format_version")
        if version != str(FORMAT_VERSION):
            raise BackendError(
                f"{self.path}: index format version {version}, this dedup reads version "
                f"{FORMAT_VERSION}: rebuild the index with this version"
            )
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
        written = unchanged = 0
        added_bins: list[npt.NDArray[np.int32]] = []
        removed_bins: list[npt.NDArray[np.int32]] = []
        band_rows: list[tuple[int, int, int]] = []
        paragraph_rows: list[tuple[int, int, int]] = []
        entries = dedupe_last(entries)
        keys = self.band_keys_of(entries).view(np.int64).tolist()
        with self._transaction() as db:
            for entry, document_keys in zip(entries, keys, strict=True):
                old = db.execute(
                    "SELECT number, content_hash, signature, paragraph_keys, text "
                    "FROM documents WHERE id = ?",
                    (entry.id,),
                ).fetchone()
                if old is not None:
                    if old[1] == entry.content_hash:
                        unchanged += 1
                        continue
                    removed_bins.append(self._delete(old[0], old[2], old[3], old[4]))
                number = (
                    db.execute(
                        "INSERT INTO documents (id, length, tokens, source, date, exact_key, "
                        "content_hash, signature, paragraph_keys, text) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            entry.id,
                            len(entry.text),
                            entry.tokens,
                            entry.source,
                            entry.date,
                            entry.exact_key,
                            entry.content_hash,
                            entry.signature.astype("<u4").tobytes(),
                            entry.paragraph_keys.astype("<u8").tobytes(),
                            compress_text(entry.text),
                        ),
                    ).lastrowid
                    or 0
                )
                if any(document_keys):
                    band_rows.extend((band, key, number) for band, key in enumerate(document_keys))
                for row in entry.paragraph_keys.view(np.int64).tolist():
                    paragraph_rows.extend((band, key, number) for band, key in enumerate(row))
                added_bins.append(entry.word_bins)
                written += 1
            # Sorted inserts touch each B-tree page once.
            db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?, ?)", sorted(band_rows))
            db.executemany(
                "INSERT OR IGNORE INTO paragraph_bands VALUES (?, ?, ?)", sorted(paragraph_rows)
            )
            self._update_frequencies(added_bins, removed_bins)
        return written, unchanged

    def _delete(
        self, number: int, signature: bytes, paragraph: bytes, text: bytes
    ) -> npt.NDArray[np.int32]:
        """Delete document ``number`` with its band rows; returns its word bins."""
        db = self._db
        keys = self.document_band_keys(np.frombuffer(signature, "<u4").astype(np.uint32))
        db.executemany(
            "DELETE FROM bands WHERE band = ? AND key = ? AND number = ?",
            ((band, key, number) for band, key in enumerate(keys.view(np.int64).tolist())),
        )
        stored = np.frombuffer(paragraph, "<u8").astype(np.uint64)
        rows = stored.reshape(-1, self.params.paragraph_bands).view(np.int64).tolist()
        db.executemany(
            "DELETE FROM paragraph_bands WHERE band = ? AND key = ? AND number = ?",
            ((band, key, number) for row in rows for band, key in enumerate(row)),
        )
        db.execute("DELETE FROM documents WHERE number = ?", (number,))
        return word_bins_of(decompress_text(text))

    def _update_frequencies(
        self, added: list[npt.NDArray[np.int32]], removed: list[npt.NDArray[np.int32]]
    ) -> None:
        bins, deltas = bin_deltas(added, removed)
        self._db.executemany(
            "INSERT INTO frequencies VALUES (?, ?) "
            "ON CONFLICT (bin) DO UPDATE SET count = count + excluded.count",
            zip(bins.tolist(), deltas.tolist(), strict=True),
        )

    def remove(self, ids: Iterable[str]) -> int:
        removed: list[npt.NDArray[np.int32]] = []
        with self._transaction() as db:
            for doc_id in dict.fromkeys(ids):
                old = db.execute(
                    "SELECT number, signature, paragraph_keys, text FROM documents WHERE id = ?",
                    (doc_id,),
                ).fetchone()
                if old is not None:
                    removed.append(self._delete(*old))
            self._update_frequencies([], removed)
        return len(removed)

    def stats(self) -> IndexStats:
        (count,) = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()
        return IndexStats(self.url, "sqlite", FORMAT_VERSION, int(count), self.params)

    def candidates(
        self,
        document_keys: U64,
        paragraph_keys: U64,
        paragraph_rows: I64,
        max_paragraph_bucket: int | None = None,
    ) -> list[tuple[int, str]]:
        db = self._db
        db.execute("BEGIN")  # one snapshot for the whole query
        try:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS query (band, key, row)")
            db.execute("DELETE FROM query")
            db.executemany(
                "INSERT INTO query VALUES (?, ?, ?)",
                (
                    (band, key, row)
                    for row, keys in enumerate(document_keys.view(np.int64).tolist())
                    if any(keys)
                    for band, key in enumerate(keys)
                ),
            )
            found = db.execute(
                "SELECT DISTINCT q.row, d.id FROM query q "
                "JOIN bands b ON b.band = q.band AND b.key = q.key "
                "JOIN documents d ON d.number = b.number"
            ).fetchall()
            db.execute("DELETE FROM query")
            db.executemany(
                "INSERT INTO query VALUES (?, ?, ?)",
                (
                    (band, key, row)
                    for row, keys in zip(
                        paragraph_rows.tolist(),
                        paragraph_keys.view(np.int64).tolist(),
                        strict=True,
                    )
                    for band, key in enumerate(keys)
                ),
            )
            cap = -1 if max_paragraph_bucket is None else max_paragraph_bucket
            found += db.execute(
                "WITH small AS (SELECT k.band, k.key FROM (SELECT DISTINCT band, key FROM query) k "
                "JOIN paragraph_bands p ON p.band = k.band AND p.key = k.key "
                "GROUP BY k.band, k.key HAVING ? < 0 OR COUNT(DISTINCT p.number) <= ?) "
                "SELECT DISTINCT q.row, d.id FROM query q "
                "JOIN small s ON s.band = q.band AND s.key = q.key "
                "JOIN paragraph_bands p ON p.band = q.band AND p.key = q.key "
                "JOIN documents d ON d.number = p.number",
                (cap, cap),
            ).fetchall()
            db.execute("DELETE FROM query")
        finally:
            db.execute("COMMIT")
        return sorted(set(found))

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
                f"SELECT exact_key, id FROM documents WHERE exact_key IN ({marks})",
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
                    doc_id, decompress_text(text), source, date, exact_key, tokens
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

    def close(self) -> None:
        self._db.close()
