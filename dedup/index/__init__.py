"""Persistent archive indexes behind one interface, opened by URL.

``open_index("archive.db")`` or ``open_index("sqlite:///archive.db")``: a SQLite file (embedded,
no server). ``open_index("redis://host:6379/0")``: a Redis database shared by many runners
(``pip install 'dedup[redis]'``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dedup.config import MatchConfig
from dedup.errors import ConfigError
from dedup.index.base import (
    FORMAT_VERSION,
    ArchivedDocument,
    ArchiveEntry,
    ArchiveIndex,
    IndexParams,
    IndexStats,
    entries_of,
)

__all__ = [
    "FORMAT_VERSION",
    "ArchiveEntry",
    "ArchiveIndex",
    "ArchivedDocument",
    "IndexParams",
    "IndexStats",
    "entries_of",
    "open_index",
]


def open_index(
    url: str, config: MatchConfig | None = None, create: bool = True, upgrade: bool = False
) -> ArchiveIndex:
    """Open (or, with ``create``, create) the index at ``url``.

    ``config`` gives the signature and banding settings of a new index; an existing index keeps
    its own (see :meth:`ArchiveIndex.check_params`). With ``upgrade``, an index of an older
    format version that :meth:`ArchiveIndex.recount` brings up to date opens too, for that
    only.
    """
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme in ("", "sqlite"):
        from dedup.index.sqlite import SqliteIndex

        path = url[len("sqlite:///") :] if scheme else url
        if not path:
            raise ConfigError(f"{url}: no file named; use sqlite:///path/to/index.db or a path")
        return SqliteIndex(path, config, create, upgrade=upgrade)
    if scheme in ("redis", "rediss", "unix"):
        from dedup.index.redis import RedisIndex

        return RedisIndex(url, config, create, upgrade=upgrade)
    raise ConfigError(
        f"{url}: unknown index URL scheme {scheme!r}: use a path, sqlite:/// or redis://"
    )
