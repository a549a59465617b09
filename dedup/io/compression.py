"""Open files transparently through gzip, bz2 or zstd, by magic bytes or extension."""

from __future__ import annotations

import bz2
import gzip
import io
from pathlib import Path
from typing import IO, Literal

__all__ = [
    "Compression",
    "compressing_writer",
    "compression_of",
    "open_compressed",
    "strip_compression_suffix",
]

Compression = Literal["gzip", "bz2", "zstd"] | None

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\x28\xb5\x2f\xfd", "zstd"))
_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}


def compression_of(path: str | Path) -> Compression:
    """The compression of a file, by its first bytes (or, for an empty file, its extension)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name  # type: ignore[return-value]
    if not head:
        return _SUFFIXES.get(Path(path).suffix.lower())  # type: ignore[return-value]
    return None


def strip_compression_suffix(name: str) -> str:
    """``a.jsonl.gz`` → ``a.jsonl``."""
    path = Path(name)
    return name[: -len(path.suffix)] if path.suffix.lower() in _SUFFIXES else name


def open_compressed(path: str | Path, compression: Compression) -> IO[bytes]:
    """A buffered binary stream of the decompressed content."""
    if compression == "gzip":
        return io.BufferedReader(gzip.open(path, "rb"), buffer_size=1 << 20)
    if compression == "bz2":
        return io.BufferedReader(bz2.open(path, "rb"), buffer_size=1 << 20)
    if compression == "zstd":
        import zstandard

        raw = open(path, "rb")  # noqa: SIM115 - closed with the returned stream
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader, buffer_size=1 << 20)
    return open(path, "rb", buffering=1 << 20)


def compressing_writer(handle: IO[bytes], compression: Compression) -> IO[bytes]:
    """A stream compressing into the open binary ``handle``; closing it leaves ``handle`` open."""
    if compression == "gzip":
        return gzip.GzipFile(fileobj=handle, mode="wb")  # type: ignore[return-value]
    if compression == "bz2":
        return bz2.BZ2File(handle, "wb")
    if compression == "zstd":
        import zstandard

        writer = zstandard.ZstdCompressor().stream_writer(handle, closefd=False)
        return writer
    return handle
