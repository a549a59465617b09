"""Open files transparently through gzip, bz2 or zstd, known by their first bytes."""

from __future__ import annotations

import bz2
import gzip
import io
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Literal

__all__ = [
    "Compression",
    "Replay",
    "compressing_writer",
    "compression_of",
    "decompressing",
    "open_compressed",
    "strip_compression_suffix",
]

Compression = Literal["gzip", "bz2", "zstd"] | None

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"))
# bzip2: "BZh", the block size digit, then the magic of a first block or of the stream's end;
# "BZh" alone starts English text too.
_BZIP2 = re.compile(rb"BZh[1-9](\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90)")
_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}


def compression_of(path: str | Path) -> Compression:
    """The compression of a file, by its first bytes (an empty file holds no compressed data)."""
    with open(path, "rb") as handle:
        return _compression_of_head(handle.read(_HEAD))


_HEAD = 10  # bytes enough to tell every compression apart


def _compression_of_head(head: bytes) -> Compression:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name  # type: ignore[return-value]
    if _BZIP2.match(head):
        return "bz2"
    return None


class Replay(io.RawIOBase):
    """A stream whose first bytes, already read, are handed over again (and the error that
    stopped that read, if one did, after them)."""

    def __init__(self, head: bytes, rest: IO[bytes], failure: BaseException | None = None) -> None:
        self._head = memoryview(head)
        self._read = getattr(rest, "read1", rest.read)  # what is there, not a full buffer
        self._failure = failure  # met reading the head: raised once it is handed over

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        if self._failure is not None:
            raise self._failure
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def decompressing(stream: IO[bytes]) -> IO[bytes]:
    """``stream`` (stdin) decompressed if its first bytes say it is compressed."""
    head = b""
    while len(head) < _HEAD:  # a pipe may hand over fewer bytes than asked at first
        piece = stream.read(_HEAD - len(head))
        if not piece:
            break
        head += piece
    stream = io.BufferedReader(Replay(head, stream), buffer_size=1 << 20)
    compression = _compression_of_head(head)
    if compression == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if compression == "bz2":
        return bz2.BZ2File(stream, "rb")
    if compression == "zstd":
        return io.BufferedReader(_ZstdReader(stream), buffer_size=1 << 20)
    return stream


def strip_compression_suffix(name: str) -> str:
    """``a.jsonl.gz`` → ``a.jsonl``."""
    path = Path(name)
    return name[: -len(path.suffix)] if path.suffix.lower() in _SUFFIXES else name


def open_compressed(path: str | Path, compression: Compression) -> IO[bytes]:
    """A buffered binary stream of the decompressed content."""
    if compression == "gzip":
        return io.BufferedReader(_Salvaging(lambda: gzip.open(path, "rb")), buffer_size=1 << 20)
    if compression == "bz2":
        return io.BufferedReader(_Salvaging(lambda: bz2.open(path, "rb")), buffer_size=1 << 20)
    if compression == "zstd":
        raw = open(path, "rb")  # noqa: SIM115 - closed with the returned stream
        return io.BufferedReader(_ZstdReader(raw), buffer_size=1 << 20)
    return open(path, "rb", buffering=1 << 20)


class _Salvaging(io.RawIOBase):
    """A gzip or bzip2 stream that hands over every byte before a truncation or corruption.

    Their ``read(n)`` gathers n bytes over several reads and, when the data turns out truncated,
    drops what it gathered with the EOFError: up to a megabyte of complete records before the
    cut. ``read1`` hands over all but is slower (many small reads), so it is used only then: the
    file is opened again and read one ``read1`` at a time from where the stream stood.
    """

    def __init__(self, open_stream: Callable[[], gzip.GzipFile | bz2.BZ2File]) -> None:
        self._open = open_stream
        self._stream = open_stream()
        self._delivered = 0
        self._salvaging = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            if self._salvaging:
                data = self._stream.read1(len(buffer))
            else:
                data = self._stream.read(len(buffer))
        except (EOFError, OSError, zlib.error):  # cut short, or junk after the data
            if self._salvaging:
                raise
            self._stream.close()
            self._stream = self._open()
            self._salvaging = True
            for _ in range(self._delivered // _SKIP_STEP):
                self._stream.read(_SKIP_STEP)
            self._stream.read(self._delivered % _SKIP_STEP)
            return self.readinto(buffer)
        buffer[: len(data)] = data
        self._delivered += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


_SKIP_STEP = 1 << 20


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
