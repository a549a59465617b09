"""Rebuild an archive index from the documents it stores.

An index keeps each document's text, source and date beside what is derived from them
(signatures, band keys, word and 3-gram counts). When the derivation changes (a new format
version), or the index moves to the other backend, :func:`rebuild` reads the stored documents of
the old index and adds them to a new one, as ``dedup index add`` would. The old index is only
read. A new SQLite index is written to a temporary file in its folder and linked into place
whole, never over a file that appeared meanwhile; a new Redis index is deleted again if the
rebuild fails.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dedup.check import AddResult, add_documents
from dedup.config import MatchConfig, ScanConfig
from dedup.errors import BackendError, ConfigError
from dedup.index import ArchiveIndex, open_index, redacted, sqlite_path
from dedup.index.sqlite import SqliteIndex
from dedup.model import Document

__all__ = ["rebuild"]


def rebuild(
    old_url: str, new_url: str, batch_size: int = 256, workers: int | None = None
) -> AddResult:
    """Build a new index at ``new_url`` from the documents stored in ``old_url``, with its
    settings; ``old_url`` may be of an older format version (``REBUILDABLE_VERSIONS``).
    ``new_url`` must hold no index. A rebuild that fails leaves no new index."""
    with open_index(old_url, create=False, to_rebuild=True) as old:
        matches = old.params.matching(ScanConfig().matches)
        new_path = sqlite_path(new_url)
        if new_path is None:
            return _into_redis(old, new_url, matches, batch_size, workers)
        return _into_file(old, new_path, matches, batch_size, workers)


def _into_redis(
    old: ArchiveIndex, new_url: str, matches: MatchConfig, batch_size: int, workers: int | None
) -> AddResult:
    try:  # an index of any version there, the old one included under another spelling
        with open_index(new_url, create=False, to_rebuild=True):
            pass
    except BackendError:
        pass
    else:
        raise ConfigError(f"{redacted(new_url)}: already holds an index; rebuild into a new one")
    new = open_index(new_url, matches)
    if not new.created:  # another creator came first
        new.close()
        raise ConfigError(f"{redacted(new_url)}: already holds an index; rebuild into a new one")
    with _dropped_if_failing(new):
        result = _copy(old, new, matches, batch_size, workers)
        new.close()
    return result


def _into_file(
    old: ArchiveIndex, new_path: str, matches: MatchConfig, batch_size: int, workers: int | None
) -> AddResult:
    target = Path(new_path)
    if not new_path or new_path.endswith(("/", os.sep)) or target.is_dir():
        raise ConfigError(f"{new_path or repr(new_path)}: name a file to write the index to")
    if target.exists() or target.is_symlink() or new_path == ":memory:":
        raise ConfigError(f"{new_path}: already exists; rebuild into a new file")
    if not target.parent.is_dir():
        raise ConfigError(f"{new_path}: the folder to write it in does not exist")
    try:
        handle, building = tempfile.mkstemp(prefix=".dedup-rebuild-", dir=target.parent)
    except OSError as error:
        raise BackendError(f"{new_path}: cannot write there ({error.strerror})") from None
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(building, 0o666 & ~umask)  # as any new file, not mkstemp's owner-only mode
    try:
        with _named(building, new_path):
            new = open_index(building, matches)
            with _dropped_if_failing(new):
                result = _copy(old, new, matches, batch_size, workers)
                if isinstance(new, SqliteIndex):
                    new.seal()
                new.close()
            _link_whole(building, new_path)
    finally:
        for leftover in ("", "-wal", "-shm", "-journal"):
            Path(building + leftover).unlink(missing_ok=True)
    return result


def _copy(
    old: ArchiveIndex,
    new: ArchiveIndex,
    matches: MatchConfig,
    batch_size: int,
    workers: int | None,
) -> AddResult:
    documents = (
        Document(stored.id, stored.text, ordinal=ordinal, source=stored.source, date=stored.date)
        for ordinal, stored in enumerate(
            stored for batch in old.stored_documents(batch_size) for stored in batch
        )
    )
    return add_documents(new, documents, ScanConfig(matches=matches), batch_size, workers)


def _link_whole(building: str, new_path: str) -> None:
    """Put the finished file at ``new_path``, unless something appeared there meanwhile (a
    link, unlike a rename, never replaces)."""
    try:
        os.link(building, new_path)
    except FileExistsError:
        raise ConfigError(
            f"{new_path}: appeared while the index was rebuilt; rebuild into a new file"
        ) from None
    except OSError as error:
        raise BackendError(f"{new_path}: cannot write the index there ({error.strerror})") from None


@contextmanager
def _dropped_if_failing(index: ArchiveIndex) -> Iterator[None]:
    try:
        yield
    except BaseException:
        index.drop()
        raise


@contextmanager
def _named(building: str, new_path: str) -> Iterator[None]:
    """Errors name the index the user asked for, not its temporary file."""
    try:
        yield
    except BackendError as error:
        raise BackendError(str(error).replace(building, new_path)) from None
    except sqlite3.Error as error:
        raise BackendError(f"{new_path}: cannot write the index: {error}") from None
