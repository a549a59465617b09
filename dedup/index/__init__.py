"""Persistent archive indexes behind one interface, opened by URL.

``open_index("archive.db")`` or ``open_index("sqlite:///archive.db")``: a SQLite file (embedded,
no server). ``open_index("redis://host:6379/0")``: a Redis database shared by many runners
(``pip install 'dedup[redis]'``).
"""

from __future__ import annotations

from pathlib import Path
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
    redacted,
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
    "redacted",
    "sqlite_path",
]


def open_index(
    url: str,
    config: MatchConfig | None = None,
    create: bool = True,
    to_rebuild: bool = False,
    empty_if_absent: bool = False,
    read_only: bool = False,
) -> ArchiveIndex:
    """Open (or, with ``create``, create) the index at ``url``.

    ``config`` gives the signature and banding settings of a new index; an existing index keeps
    its own (see :meth:`ArchiveIndex.check_params`). With ``to_rebuild``, an index of an older
    format version that :func:`dedup.rebuild.rebuild` reads opens too, for that only. With
    ``empty_if_absent``, a SQLite file that does not exist opens as an empty index in memory,
    and no file is created. With ``read_only`` (a check that adds nothing), a SQLite index is
    left as it is, and opens where its file or folder cannot be written.
    """
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme in ("", "sqlite"):
        from dedup.index.sqlite import SqliteIndex

        path = sqlite_path(url)
        if not path:
            raise ConfigError(f"{url}: no file named; use sqlite:///path/to/index.db or a path")
        if empty_if_absent and not Path(path).exists():
            return SqliteIndex(":memory:", config)
        return SqliteIndex(path, config, create, to_rebuild=to_rebuild, read_only=read_only)
    if scheme in ("redis", "rediss", "unix"):
        from dedup.index.redis import RedisIndex

        return RedisIndex(
            url, config, create, to_rebuild=to_rebuild, empty_if_absent=empty_if_absent
        )
    raise ConfigError(
        f"{redacted(url)}: unknown index URL scheme {scheme!r}: use a path, sqlite:/// or redis://"
    )


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite index URL (a path or ``sqlite:///path``); ``None`` for others."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme == "":
        return url
    if scheme != "sqlite":
        return None
    if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
        raise ConfigError(
            f"{url}: a SQLite URL names its file after three slashes: sqlite:///archive.db, "
            "or sqlite:////absolute/path.db"
        )
    return url[len("sqlite:///") :]
