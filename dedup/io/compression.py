"""Open files transparently through gzip, bz2 or zstd, by magic bytes or extension."""

from __future__ import annotations

import bz2
import gzip
import io
from pathlib import Path
from typing import IO, Any, Literal

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
        raw = open(path, "rb")  # noqa: SIM115 - closed with the returned stream
        return io.BufferedReader(_ZstdReader(raw), buffer_size=1 << 20)
    return open(path, "rb", buffering=1 << 20)


class _ZstdReader(io.RawIOBase):
    """Every frame of a zstd stream, decompressed; EOFError when the data ends inside a frame.

    zstandard's own ``stream_reader`` returns what a truncated file holds without complaint, so
    frames are decoded one by one and the last must be complete. Input is fed in small slices to
    bound memory: zstd expands a run of one byte up to 32,768 times.
    """

    _SLICE = 4096

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the open frame's decompressobj; None between frames
        self._input = memoryview(b"")
        self._output = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._output:
            if not self._input:
                self._input = memoryview(self._raw.read(1 << 20))
                if not self._input:
                    if self._frame is not None:
                        raise EOFError("zstd data ends inside a frame")
                    return 0
            piece, self._input = self._input[: self._SLICE], self._input[self._SLICE :]
            self._output = memoryview(self._decompress(bytes(piece)))
        size = min(len(buffer), len(self._output))
        buffer[:size] = self._output[:size]
        self._output = self._output[size:]
        return size

    def _decompress(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            if self._frame is None:
                self._frame = self._decompressor.decompressobj()
            out.append(self._frame.decompress(data))
            if not self._frame.eof:
                break
            data = self._frame.unused_data  # the next frame starts here
            self._frame = None
        return b"".join(out)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def compressing_writer(handle: IO[bytes], compression: Compression) -> IO[bytes]:
    """A stream compressing into the open binary ``handle``; closing it leaves ``handle`` open."""
    if compression == "gzip":
        # filename="": else the header records the temporary file's name
        return gzip.GzipFile(filename="", fileobj=handle, mode="wb")  # type: ignore[return-value]
    if compression == "bz2":
        return bz2.BZ2File(handle, "wb")
    if compression == "zstd":
        import zstandard

        writer = zstandard.ZstdCompressor().stream_writer(handle, closefd=False)
        return writer
    return handle
