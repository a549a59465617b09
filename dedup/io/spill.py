"""Temporary on-disk stores of what a scan reads back later, so its memory does not grow with them:
document texts, and columns of band keys."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from array import array
from types import TracebackType
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from dedup.errors import SpillError

__all__ = ["ColumnSpill", "TextSpill"]


class TextSpill:
    """Append texts, read any of them back by number; the file is deleted on close."""

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory
        self._file = _temporary_file(directory, "dedup-spill-")
        self._offsets = array("q", [0])
        self._pending: list[bytes] = []
        self._pending_size = 0

    def append(self, text: str) -> int:
        """Store ``text``; returns its number."""
        data = text.encode("utf-8", "surrogatepass")
        self._pending.append(data)
        self._pending_size += len(data)
        self._offsets.append(self._offsets[-1] + len(data))
        if self._pending_size > 1 << 22:
            self._flush()
        return len(self._offsets) - 2

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def get(self, number: int) -> str:
        """The text stored as ``number``."""
        self._flush()
        start, end = self._offsets[number], self._offsets[number + 1]
        return os.pread(self._file.fileno(), end - start, start).decode("utf-8", "surrogatepass")

    def byte_range(self, first: int, count: int) -> tuple[int, npt.NDArray[np.int64]]:
        """Where texts ``first`` to ``first + count - 1`` are in the file: the offset of the
        first, and each text's start relative to it (``count + 1`` values)."""
        offsets = np.array(self._offsets[first : first + count + 1], dtype=np.int64)
        return int(offsets[0]), offsets - offsets[0]

    def fileno(self) -> int:
        """The file's descriptor (a forked process may ``os.pread`` flushed texts from it)."""
        return self._file.fileno()

    def flush(self) -> None:
        """Write what is buffered, so that another process reading the file sees every text."""
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            _append(self._file, self._pending, self._directory)
            self._pending.clear()
            self._pending_size = 0

    def close(self) -> None:
        _discard(self._file)

    def __enter__(self) -> TextSpill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ColumnSpill:
    """Append matrices of ``columns`` columns, read back one whole column at a time (all rows,
    in order); the file is deleted on close.

    Each matrix is stored column by column, so a column is one read per appended matrix.
    """

    def __init__(self, columns: int, dtype: type = np.uint64, directory: str | None = None) -> None:
        self._directory = directory
        self._file = _temporary_file(directory, "dedup-columns-")
        self._columns = columns
        self._dtype = np.dtype(dtype)
        self._blocks: list[tuple[int, int]] = []  # (file offset, rows) of each matrix
        self._size = 0
        self._rows = 0
        self._pending: list[bytes] = []
        self._pending_size = 0

    def append(self, matrix: np.ndarray) -> None:
        if matrix.ndim != 2 or matrix.shape[1] != self._columns:
            raise ValueError(f"expected a matrix of {self._columns} columns, got {matrix.shape}")
        data = np.ascontiguousarray(matrix.T, dtype=self._dtype).tobytes()
        self._blocks.append((self._size, matrix.shape[0]))
        self._size += len(data)
        self._rows += matrix.shape[0]
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size > 1 << 24:
            self._flush()

    def __len__(self) -> int:
        """Rows appended."""
        return self._rows

    def column(self, index: int) -> np.ndarray:
        """Column ``index`` of every matrix appended, concatenated."""
        self._flush()
        width = self._dtype.itemsize
        out = np.empty(self._rows, dtype=self._dtype)
        filled = 0
        for offset, rows in self._blocks:
            data = os.pread(self._file.fileno(), rows * width, offset + index * rows * width)
            out[filled : filled + rows] = np.frombuffer(data, dtype=self._dtype)
            filled += rows
        return out

    def _flush(self) -> None:
        if self._pending:
            _append(self._file, self._pending, self._directory)
            self._pending.clear()
            self._pending_size = 0

    def close(self) -> None:
        _discard(self._file)


def _temporary_file(directory: str | None, prefix: str) -> BinaryIO:
    try:
        return tempfile.TemporaryFile(dir=directory, prefix=prefix)
    except OSError as error:
        raise _spill_error(error, directory) from None


def _append(file: BinaryIO, parts: list[bytes], directory: str | None) -> None:
    try:
        file.seek(0, os.SEEK_END)
        file.write(b"".join(parts))
        file.flush()
    except OSError as error:
        raise _spill_error(error, directory) from None


def _discard(file: BinaryIO) -> None:
    # Closing flushes what a failed write left buffered; the file is deleted anyway, and that
    # second failure must not hide the first.
    with contextlib.suppress(OSError):
        file.close()


def _spill_error(error: OSError, directory: str | None) -> SpillError:
    # A full disk is what users meet here (a million news articles spill about 4.5 GB), and the
    # file has no name to show: say where it was and how to move it.
    where = directory or tempfile.gettempdir()
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        hint = "set TMPDIR to a folder on a disk with more room"
    else:
        hint = "set TMPDIR to a folder you can write to"
    return SpillError(f"cannot write temporary files in {where}: {reason} ({hint})")
