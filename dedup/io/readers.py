"""Read documents from text files, folders, JSONL, JSON arrays, CSV/TSV, Parquet and stdin.

Everything streams: a JSONL file of any size is read one record at a time. Records are first read
as *records* (the raw fields of one line or row, with where they came from), then turned into
:class:`~dedup.model.Document` objects; ``dedup clean`` reads the records again to write them back
in their own format.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import gzip
import io
import json
import math
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, Any, Literal

import orjson
import zstandard

from dedup.config import ReadConfig
from dedup.dates import DATE_FORMS, parse_date
from dedup.errors import InputError, printable
from dedup.io.atomic import FOLDER_MARK
from dedup.io.compression import (
    Replay,
    compression_of,
    decompressing,
    open_compressed,
    strip_compression_suffix,
)
from dedup.model import Document

__all__ = [
    "DocumentReader",
    "Format",
    "Record",
    "expand_inputs",
    "format_of",
    "iter_records",
    "read_documents",
]

Format = Literal["text", "jsonl", "json", "csv", "tsv", "parquet"]
STDIN = "-"

_FORMATS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


@dataclass(slots=True)
class Record:
    """One record as read: its 1-based line (record number), its fields, its raw bytes.

    A record that could not be parsed carries ``error`` instead of fields, so that a reader
    skipping bad records can go on with the next line. A CSV/TSV record carries its file's
    header row as read (``header``), so that ``dedup clean`` can write it back unchanged.
    """

    path: str
    line: int | None
    fields: dict[str, Any]
    raw: bytes | None = None
    error: InputError | None = None
    header: bytes | None = None
    number: int | None = None  # of an element in a JSON array, whose elements may share a line


def format_of(path: str) -> Format:
    """The input format of ``path``, by its extension once any compression suffix is removed."""
    if path == STDIN:
        return "jsonl"
    suffix = Path(strip_compression_suffix(path)).suffix.lower()
    return _FORMATS.get(suffix, "text")


def expand_inputs(inputs: Iterable[str], glob: str = "*.txt") -> list[str]:
    """Files to read: files as given, folders searched recursively for ``glob``, in sorted order."""
    files: list[str] = []
    for item in inputs:
        if item == STDIN:
            files.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            found = _files_in(str(path), glob)
            if not found:
                raise InputError(f"no files matching {glob!r} in this folder (--glob)", item)
            files.extend(found)
        elif path.is_file():
            files.append(item)
        elif path.exists():
            raise InputError("not a regular file", item)
        else:
            raise InputError("no such file or folder", item)
    return files


def _files_in(folder: str, glob: str) -> list[str]:
    """The files of ``folder`` and its subfolders whose path below it matches ``glob`` (from
    the right, as :meth:`Path.rglob` matches), sorted; a subfolder that cannot be read is an
    error, not a silent gap. The mark dedup leaves in its output folders is no document."""

    def unreadable(error: OSError) -> None:
        where = printable(error.filename or folder)
        raise InputError(f"cannot read this folder ({error.strerror or error})", where)

    found = []
    for directory, _, names in os.walk(folder, onerror=unreadable):
        for name in names:
            path = os.path.join(directory, name)
            below = PurePath(os.path.relpath(path, folder))
            if name != FOLDER_MARK and matches_glob(below, glob) and os.path.isfile(path):
                found.append(path)
    return sorted(found)


def matches_glob(below: PurePath, glob: str) -> bool:
    """Whether a path below a folder input is one ``--glob`` reads, as :meth:`Path.rglob`
    matches: anywhere below the folder, with ``**`` for any number of folders."""
    return _parts_match(below.parts, ("**", *PurePath(glob).parts))


def _parts_match(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_parts_match(parts[skip:], pattern[1:]) for skip in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatch.fnmatchcase(parts[0], pattern[0])
        and _parts_match(parts[1:], pattern[1:])
    )


def iter_records(path: str, config: ReadConfig) -> Iterator[Record]:
    """The records of one input file (or ``-``: JSONL on stdin); InputError on unreadable data."""
    fmt = format_of(path)
    try:
        if path == STDIN:
            yield from _jsonl_records(path, decompressing(sys.stdin.buffer), config)
            return
        if fmt == "parquet":
            yield from _parquet_records(path, config)
            return
        compression = compression_of(path)
        with open_compressed(path, compression) as stream:
            if fmt == "text":
                yield _text_record(path, stream, config)
            elif fmt == "jsonl":
                yield from _jsonl_records(path, stream, config)
            elif fmt == "json":
                yield from _json_records(path, stream, config)
            else:
                yield from _csv_records(path, stream, config, "\t" if fmt == "tsv" else ",")
    except InputError:
        raise
    except _READ_ERRORS as error:
        raise InputError(_describe_read_error(error), path) from None


def _describe_read_error(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "compressed data is truncated (the file ends early)"
    if isinstance(error, zlib.error | zstandard.ZstdError | gzip.BadGzipFile):
        return f"compressed data is corrupt ({error})"
    text = str(error)
    if "Not a gzipped file" in text or "Invalid data stream" in text:
        return f"compressed data is corrupt ({text})"
    return getattr(error, "strerror", None) or text


def _read_limited(stream: IO[bytes], config: ReadConfig, path: str, line: int | None) -> bytes:
    data = stream.read(config.max_doc_bytes + 1)
    if len(data) > config.max_doc_bytes:
        raise InputError(_too_large(config), path, line)
    return data


def _too_large(config: ReadConfig) -> str:
    return f"document is larger than {config.max_doc_bytes:,} bytes (raise --max-doc-bytes)"


def _decode(data: bytes, path: str, line: int | None) -> str:
    """The text of ``data``; bad UTF-8 is named by its line (counted in ``data`` when it holds
    several) and its offset in that line."""
    if b"\x00" in data:
        raise InputError("binary data (NUL byte), not text", path, line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        if line is None and b"\n" in data:
            line = 1 + data.count(b"\n", 0, line_start)
        raise InputError(
            f"invalid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start - line_start}); "
            "convert the file to UTF-8",
            path,
            line,
        ) from None


def _text_record(path: str, stream: IO[bytes], config: ReadConfig) -> Record:
    data = _read_limited(stream, config, path, None)
    if not data:
        raise InputError("empty file", path)
    text = _decode(data, path, None).removeprefix("\ufeff")
    return Record(path, None, {config.text_field: text, config.id_field: printable(path)}, data)


def _most_record_chars(config: ReadConfig) -> int:
    """The longest a JSON record may be for its text to fit ``max_doc_bytes``: a text may be
    written with \\uXXXX escapes, six characters a letter; its other fields get a megabyte."""
    return 6 * config.max_doc_bytes + (1 << 20)


def _jsonl_records(path: str, stream: IO[bytes], config: ReadConfig) -> Iterator[Record]:
    seen_any = False
    line = 0
    most = _most_record_chars(config)
    while True:
        raw = stream.readline(most + 2)
        if not raw:
            break
        line += 1
        if len(raw) > most and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # pass over the rest of the long line
                raw = stream.readline(1 << 20)
            seen_any = True
            yield Record(path, line, {}, None, InputError(_too_large(config), path, line))
            continue
        # A byte order mark starts the file, or each file of several joined with cat.
        raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        seen_any = True
        try:
            yield Record(path, line, _parse_json_object(raw, path, line), raw)
        except InputError as error:
            yield Record(path, line, {}, raw, error)
    if not seen_any:
        raise InputError("empty file: no JSON records", path)


def _json_problem(raw: bytes) -> str:
    """What is wrong with a line, worded by the standard library's parser.

    orjson's wording and positions change between its releases; the same input must give the
    same message wherever dedup is installed (the JSON array reader words it the same way).
    """
    try:
        value = _STRICT_JSON.decode(raw.decode("utf-8"))
    except json.JSONDecodeError as problem:
        # Some messages end in "at", waiting for the position that follows.
        return f"{problem.msg.removesuffix(' at')} at column {problem.colno}"
    except _Refused as refused:
        return str(refused)
    except RecursionError:
        return _TOO_DEEP
    except ValueError:
        return "an integer of more than 4,300 digits"
    # What else only orjson refuses, in words of our own: its own change between releases.
    if _holds_surrogate(value):
        return _LONE_SURROGATE
    return _TOO_DEEP  # orjson reads 1,024 levels of arrays and objects at most


_LONE_SURROGATE = (
    "a lone surrogate escape such as \\ud800, half of a character; "
    "the program that wrote the file split a character"
)
_TOO_DEEP = "arrays or objects nested too deeply"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _holds_surrogate(value: object) -> bool:
    """Whether a decoded JSON value holds a surrogate code point: one of a pair of escapes
    decodes to a character, a lone one to a surrogate, which no UTF-8 output can hold."""
    return any(
        isinstance(leaf, str) and _SURROGATE.search(leaf) is not None
        for leaf in _leaves(value, keys=True)
    )


def _leaves(value: object, keys: bool = False) -> Iterator[object]:
    """The scalars of a JSON value (and, with ``keys``, its objects' keys), however deeply
    nested: walked with a stack, as deep as a parser reads (no recursion limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if keys:
                stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


class _Refused(ValueError):
    """A value the standard library's parser reads but orjson, and dedup, refuse."""


def _refuse_constant(name: str) -> float:
    raise _Refused(f"{name}, which JSON does not allow")


def _finite(digits: str) -> float:
    value = float(digits)
    if math.isinf(value):
        raise _Refused(f"the number {digits[:30]}, too large for a float")
    return value


# The standard library's parser, refusing what orjson refuses: NaN, Infinity, infinite numbers.
_STRICT_JSON = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


def _parse_json_object(raw: bytes, path: str, line: int) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = _decode(raw, path, line)  # names binary data or bad UTF-8 precisely
        try:  # what orjson refuses and JSON allows: an integer too wide even for a float
            value = _STRICT_JSON.decode(text)
        except (ValueError, RecursionError):
            value = None
        if value is None or _holds_surrogate(value):
            raise InputError(f"invalid JSON ({_json_problem(raw)})", path, line) from None
    if not isinstance(value, dict):
        raise InputError(f"expected a JSON object, got {type(value).__name__}", path, line)
    for field in value.values():  # most are strings: a loop, not a call per field
        if type(field) is not str and _maybe_wide_integer(field):
            exact: dict[str, Any] = _STRICT_JSON.decode(raw.decode())  # as arrays are read
            return exact
    return value


def _maybe_wide_integer(value: object) -> bool:
    """Whether a value orjson parsed may hold an integer wider than 64 bits, which it reads as
    a float: an id 123456789012345678901234567890 would be 1.2345678901234568e+29, and
    ``dedup clean`` would write it so."""
    return any(isinstance(leaf, float) and abs(leaf) >= 2.0**63 for leaf in _leaves(value))


def _json_records(path: str, stream: IO[bytes], config: ReadConfig) -> Iterator[Record]:
    """A JSON array of objects, or JSONL with a .json name (told apart by the first character).

    The array streams: it is decoded a megabyte at a time and parsed element by element, so a
    scraper's multi-gigabyte export is read in the memory of one element. A record's line is
    the line where its element begins.
    """
    head, failure = _read_some(stream, _JSON_CHUNK)
    while not head.removeprefix(_BOM).lstrip(b" \t\r\n") and failure is None:
        more, failure = _read_some(stream, _JSON_CHUNK)  # white space so far
        if not more:
            break
        head += more
    if not head.removeprefix(_BOM).lstrip(b" \t\r\n"):
        if failure is not None:
            raise failure
        raise InputError("empty file: no JSON records", path)
    if not head.removeprefix(_BOM).lstrip(b" \t\r\n").startswith(b"["):
        replayed = io.BufferedReader(Replay(head, stream, failure), buffer_size=1 << 20)
        yield from _jsonl_records(path, replayed, config)
        return
    source = _JsonText(stream, path, head.removeprefix(_BOM), failure)
    most_chars = _most_record_chars(config)
    decoder = _STRICT_JSON
    pos = source.skip_space(0) + 1
    count = 0
    while True:
        pos = source.skip_space(pos)
        if source.at(pos) == "]":
            break
        if count:
            if source.at(pos) != ",":
                message = "invalid JSON array (expected ',' or ']')"
                raise InputError(message, path, source.line_at(pos))
            pos = source.skip_space(pos + 1)
        line = source.line_at(pos)
        too_large = False
        while True:
            try:
                value, end = decoder.raw_decode(source.text, pos)
                if end < len(source.text) or source.eof or source.failed:
                    break  # else a number or word may go on past what is read
            except json.JSONDecodeError as error:
                if source.eof or not _cut_short(error, source.text):
                    problem = (
                        f"{error.msg.removesuffix(' at')} at column {source.column_at(error.pos)}"
                    )
                    raise InputError(
                        f"invalid JSON ({problem})", path, source.line_at(error.pos)
                    ) from None
            except _Refused as refused:
                raise InputError(f"invalid JSON ({refused})", path, line) from None
            except RecursionError:
                raise InputError(f"invalid JSON ({_TOO_DEEP})", path, line) from None
            except ValueError:
                message = "invalid JSON (an integer of more than 4,300 digits)"
                raise InputError(message, path, line) from None
            if len(source.text) - pos > most_chars:
                too_large = True  # to be a document: passed over below
                break
            pos = source.read_more(pos)  # the element goes on past what is read
        count += 1
        if too_large:
            pos = source.skip_value(pos)
            yield Record(path, line, {}, None, InputError(_too_large(config), path, line))
            continue
        text = source.text
        if _SURROGATE_ESCAPE.search(text, pos, end) and _holds_surrogate(value):
            refusal = InputError(f"invalid JSON ({_LONE_SURROGATE})", path, line)
            yield Record(path, line, {}, None, refusal, number=count)
        elif isinstance(value, dict):
            yield Record(path, line, value, None, number=count)
        else:
            message = f"expected a JSON object, got {type(value).__name__}"
            yield Record(path, line, {}, None, InputError(message, path, line), number=count)
        pos = end
    after = source.skip_space(pos + 1)
    if source.at(after):
        message = "invalid JSON (text after the array's closing ']')"
        raise InputError(message, path, source.line_at(after))
    if count == 0:
        raise InputError("empty file: the JSON array has no records", path)


_JSON_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"


def _cut_short(error: json.JSONDecodeError, text: str) -> bool:
    """Whether parsing failed only because the text read so far ends inside the element."""
    return error.msg.startswith("Unterminated string") or error.pos >= len(text) - 10


class _JsonText:
    """The part of a JSON array file not parsed yet, decoded as it is read, with the line and
    column where it begins (for messages).

    A read that fails (bad UTF-8, a NUL byte, compressed data cut short) keeps the text before
    the fault: the elements there are parsed, and the failure is raised when the parser needs
    what lies past it.
    """

    def __init__(
        self, stream: IO[bytes], path: str, head: bytes, failure: BaseException | None = None
    ) -> None:
        self._stream = stream
        self._path = path
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.eof = False
        self._failure: BaseException | None = None
        self._line = 1  # the line of text[self._counted]
        self._counted = 0
        self._first_column = 1  # the column of text[0]
        self._bytes_read = 0
        self._last_newline = -1  # where in the file the last newline read is
        self._append(head)
        self._failure = self._failure or failure

    @property
    def failed(self) -> bool:
        """Whether a read failed: nothing is read past the text held."""
        return self._failure is not None

    def at(self, pos: int) -> str:
        """The character at ``pos`` as returned by :meth:`skip_space`: "" at the end of the file."""
        return self.text[pos] if pos < len(self.text) else ""

    def skip_space(self, pos: int) -> int:
        """The position of the next character that is not white space, reading on as needed
        (text before ``pos`` may be dropped: positions held before are stale)."""
        while True:
            while pos < len(self.text) and self.text[pos] in " \t\r\n":
                pos += 1
            if pos < len(self.text) or self.eof:
                return pos
            pos = self.read_more(pos)

    def skip_value(self, pos: int) -> int:
        """The position just past the value (object, array or string) starting at ``pos``,
        found without parsing it; the text it passes over is dropped as it is read."""
        depth, in_string = 0, False
        while True:
            pattern = _STRING_END if in_string else _STRUCTURE
            found = pattern.search(self.text, pos)
            if found is None:
                if self.eof:
                    return len(self.text)
                pos = self.read_more(len(self.text))
                continue
            mark, pos = found.group(), found.end()
            if in_string:
                if mark == "\\":
                    pos += 1  # the escaped character
                else:
                    in_string = False
                    if depth == 0:
                        return pos
            elif mark == '"':
                in_string = True
            elif mark in "[{":
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    return pos
            if pos > len(self.text) and not self.eof:  # an escaped character not read yet
                past = pos - len(self.text)
                pos = self.read_more(len(self.text)) + past

    def line_at(self, pos: int) -> int:
        """The line of ``text[pos]``; positions asked for only grow (between reads)."""
        self._line += self.text.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def column_at(self, pos: int) -> int:
        newline = self.text.rfind("\n", 0, pos)
        return pos - newline if newline >= 0 else self._first_column + pos

    def read_more(self, keep_from: int) -> int:
        """Drop the text before ``keep_from`` (parsed), read on, and return where the text
        kept now begins (0). Reads at least as much as is kept: an element longer than a
        read is parsed again a few times, not once a megabyte."""
        if self._failure is not None:
            raise self._failure
        if keep_from:
            self.line_at(keep_from)
            self._first_column = self.column_at(keep_from)
            self.text = self.text[keep_from:]
            self._counted = 0
        self._append(self._read(max(_JSON_CHUNK, len(self.text))))
        return 0

    def _read(self, size: int) -> bytes:
        data, self._failure = _read_some(self._stream, size)
        if not data and self._failure is not None:
            raise self._failure
        return data

    def _append(self, data: bytes) -> None:
        if not data and self._failure is None:
            self.eof = True
        nul = data.find(b"\x00")
        if nul >= 0:
            self._failure = InputError(
                "binary data (NUL byte), not text", self._path, self._line_of(data, nul)
            )
            data = data[:nul]
        try:
            self.text += self._decoder.decode(data, final=self.eof)
        except UnicodeDecodeError as error:
            raw = error.object  # the bytes held from the last read (half a character), then data
            raw_start = self._bytes_read - (len(raw) - len(data))  # in the file
            newline = raw.rfind(b"\n", 0, error.start)
            line_start = raw_start + newline + 1 if newline >= 0 else self._last_newline + 1
            offset = raw_start + error.start - line_start
            self._failure = InputError(
                f"invalid UTF-8 (byte 0x{raw[error.start]:02x} at offset {offset}); "
                "convert the file to UTF-8",
                self._path,
                self._line_of(raw, error.start),
            )
            self.text += raw[: error.start].decode()
            self.eof = False
        newline = data.rfind(b"\n")
        if newline >= 0:
            self._last_newline = self._bytes_read + newline
        self._bytes_read += len(data)

    def _line_of(self, data: bytes, index: int) -> int:
        """The line of byte ``index`` of ``data``, read after the text held."""
        return self._line + self.text.count("\n", self._counted) + data.count(b"\n", 0, index)


def _read_some(stream: IO[bytes], size: int) -> tuple[bytes, BaseException | None]:
    """Up to ``size`` bytes, gathered one read at a time, and the error that stopped the
    reads, if one did: what came before a failing read is kept (a plain ``read`` drops it)."""
    read1 = getattr(stream, "read1", stream.read)
    parts: list[bytes] = []
    got = 0
    try:
        while got < size:
            piece = read1(size - got)
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
    except _READ_ERRORS as error:
        return b"".join(parts), error
    return b"".join(parts), None


_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_END = re.compile(r'["\\]')


def _csv_records(
    path: str, stream: IO[bytes], config: ReadConfig, delimiter: str
) -> Iterator[Record]:
    """The rows of a CSV/TSV file; a bad row is one bad record, and the rows after it are read.

    The last row is held back one step: a quote left open swallows the rest of the file into
    that row's last field, which the lenient parser accepts without a word.
    """
    csv.field_size_limit(max(config.max_doc_bytes, 1 << 17))
    # A line holds the text and the row's other fields: it may be longer than a document.
    lines = _CsvLines(stream, path, _most_record_chars(config), delimiter)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        fieldnames = next(reader)
    except StopIteration:
        raise InputError("empty file: no header row", path) from None
    except (csv.Error, _LineTooLong) as problem:
        raise InputError(_csv_problem(problem, config), path, 1) from None
    if config.text_field not in fieldnames:
        columns = ", ".join(name.replace("\r", "\\r").replace("\n", "\\n") for name in fieldnames)
        raise InputError(
            f"no {config.text_field!r} column (columns: {columns}; use --text-field)", path, 1
        )
    if len(set(fieldnames)) < len(fieldnames):  # a row's cells would be lost under one name
        twice = next(name for name in fieldnames if fieldnames.count(name) > 1)
        raise InputError(f"column {twice!r} appears twice in the header", path, 1)
    header = lines.take()
    held: Record | None = None
    blank = b""  # blank lines, written back with the row after them
    while True:
        start = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except _READ_ERRORS:  # compressed data cut short: the row held back is whole
            if held is not None:
                yield held
            raise
        except (csv.Error, _LineTooLong, InputError) as problem:
            error = (
                problem
                if isinstance(problem, InputError)
                else InputError(_csv_problem(problem, config), path, start)
            )
            lines.skip_record()
            blank = b""
            if held is not None:
                yield held
            held = Record(path, start, {}, None, error)
            continue
        if not row:
            blank += lines.take()
            continue
        raw = blank + lines.take()
        blank = b""
        if held is not None:
            yield held
        held = Record(path, start, _row_fields(fieldnames, row), raw, header=header)
    if held is None:
        raise InputError("empty file: no rows below the header", path)
    if held.raw is not None and _quote_left_open(held.raw.decode(), delimiter):
        message = (
            "invalid CSV (a quote opened in this row is never closed: "
            "the rest of the file is inside it)"
        )
        held = Record(path, held.line, {}, None, InputError(message, path, held.line))
    yield held


class _LineTooLong(Exception):
    """A line longer than a document may be: its record is too large, whatever else it holds."""


class _CsvLines:
    """The lines of a CSV file, for :func:`csv.reader`: decoded one by one (bad UTF-8 is named
    on its line), read at most a document's length at a time, their bytes kept for the record
    they belong to (``dedup clean`` writes a row back unchanged)."""

    def __init__(self, stream: IO[bytes], path: str, limit: int, delimiter: str = ",") -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
        self._readline = text.readline
        self._path = path
        self._limit = limit
        self._delimiter = delimiter
        self._record: list[bytes] = []
        self._line_ended = True
        self._held = ""
        self.number = 0  # lines begun so far

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = self._piece(self._limit + 1)
        if not line:
            raise StopIteration
        if not self._line_ended and len(line) > self._limit:
            self._record.append(line.encode(errors="surrogateescape"))  # its quotes count
            raise _LineTooLong
        try:
            self._record.append(line.encode())
        except UnicodeEncodeError as error:
            self._record.append(line.encode(errors="surrogateescape"))  # its quotes count
            byte = ord(line[error.start]) - 0xDC00  # surrogateescape's stand-in for the byte
            offset = len(line[: error.start].encode("utf-8", errors="surrogateescape"))
            raise InputError(
                f"invalid UTF-8 (byte 0x{byte:02x} at offset {offset}); convert the file to UTF-8",
                self._path,
                self.number,
            ) from None
        return line.removeprefix("\ufeff") if self.number == 1 else line

    def _piece(self, size: int) -> str:
        """The next line, or its next ``size`` characters when it is longer."""
        if self._held:  # a character read to see whether a "\r" was half of a "\r\n"
            piece, self._held = self._held, ""
            if piece not in ("\r", "\n"):
                piece += self._readline(size - 1)
        else:
            piece = self._readline(size)
        if piece.endswith("\r") and len(piece) == size:  # a "\r\n" cut by the size?
            following = self._readline(1)
            if following == "\n":
                piece += following
            else:
                self._held = following
        if piece:
            self.number += self._line_ended
            self._line_ended = piece[-1] in "\n\r"
        return piece

    def take(self) -> bytes:
        """The bytes of the record just read."""
        raw = b"".join(self._record)
        self._record.clear()
        return raw

    def skip_record(self) -> None:
        """Pass over the rest of a record that cannot be read: the rest of its line, then on
        to the line that closes a quoted field it left open."""
        quoting = _CsvQuoting(self._delimiter)
        for part in self._record:
            quoting.feed(part.decode("utf-8", "surrogateescape"))
        self._record.clear()
        while not (self._line_ended and not quoting.inside):
            piece = self._piece(1 << 20)
            if not piece:
                return
            quoting.feed(piece)


class _CsvQuoting:
    """Whether a CSV record's text, fed piece by piece, is inside a quoted field: a quote opens
    one only at the start of a field ('5" screen' opens nothing), and inside, a doubled quote
    is a quote."""

    def __init__(self, delimiter: str) -> None:
        self._delimiter = delimiter
        self.inside = False
        self._field_start = True
        self._quote_pending = False  # inside, a quote that may be the first of a pair

    def feed(self, text: str) -> None:
        """Go on with ``text``, from quote to quote (a record passed over may be megabytes)."""
        ends = (self._delimiter, "\n", "\r")
        pos, size = 0, len(text)
        while pos < size:
            if self._quote_pending:  # inside, a quote ended the last piece
                self._quote_pending = False
                if text[pos] == '"':
                    pos += 1
                    continue
                self.inside, self._field_start = False, False
            quote = text.find('"', pos)
            if self.inside:
                if quote < 0:
                    return
                if quote + 1 == size:
                    self._quote_pending = True
                    return
                if text[quote + 1] == '"':  # a doubled quote: still inside
                    pos = quote + 2
                    continue
                self.inside, self._field_start = False, False
                pos = quote + 1
                continue
            if quote < 0:
                self._field_start = text[-1] in ends
                return
            self.inside = text[quote - 1] in ends if quote > 0 else self._field_start
            self._field_start = False
            pos = quote + 1


def _quote_left_open(text: str, delimiter: str) -> bool:
    """Whether a (last) row ends inside a quoted field: a quote that ends the text closes one."""
    quoting = _CsvQuoting(delimiter)
    quoting.feed(text)
    return quoting.inside and not quoting._quote_pending


def csv_header(path: str) -> bytes:
    """The bytes of a CSV or TSV file's header row, as read (for a clean copy of the file
    that keeps no row)."""
    delimiter = "\t" if format_of(path) == "tsv" else ","
    with open_compressed(path, compression_of(path)) as stream:
        lines = _CsvLines(stream, path, 1 << 40, delimiter)  # a header of any width
        next(csv.reader(lines, delimiter=delimiter), None)
        return lines.take()


def _csv_problem(problem: Exception, config: ReadConfig) -> str:
    if isinstance(problem, _LineTooLong) or "field larger than field limit" in str(problem):
        return _too_large(config)
    return f"invalid CSV ({problem})"


def _row_fields(fieldnames: list[str], row: list[str]) -> dict[str, Any]:
    """A row by column name, as :class:`csv.DictReader` gives it: values past the header under
    ``None``, columns the row lacks as ``None``."""
    fields: dict[Any, Any] = dict(zip(fieldnames, row, strict=False))
    if len(row) > len(fieldnames):
        fields[None] = row[len(fieldnames) :]
    for name in fieldnames[len(row) :]:
        fields[name] = None
    return fields


def _parquet_records(path: str, config: ReadConfig) -> Iterator[Record]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            "reading Parquet needs pyarrow: pip install 'dedup[parquet]'", path
        ) from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises its own ArrowInvalid/OSError kinds
        raise InputError(f"not a readable Parquet file ({error})", path) from None
    if config.text_field not in parquet.schema_arrow.names:
        raise InputError(
            f"no {config.text_field!r} column (columns: {', '.join(parquet.schema_arrow.names)}; "
            "use --text-field)",
            path,
        )
    if parquet.metadata.num_rows == 0:
        raise InputError("empty file: no rows", path)
    row = 0
    for batch in parquet.iter_batches(batch_size=4096):
        for fields in _python_rows(batch, path, row):
            row += 1
            yield Record(path, row, fields, None)


def _python_rows(batch: Any, path: str, rows_before: int) -> list[dict[str, Any]]:
    """The rows of an Arrow record batch as dicts. A timestamp or duration in nanoseconds, as
    pandas writes them, has no Python value without pandas: such a column is read as its integer
    count of units, which the writer of ``clean`` turns back into the same value."""
    try:
        rows: list[dict[str, Any]] = batch.to_pylist()
        return rows
    except ValueError:  # pyarrow's ArrowInvalid is one
        pass
    import pyarrow as pa

    columns = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        try:
            columns[name] = column.to_pylist()
        except ValueError as error:
            if not (pa.types.is_timestamp(column.type) or pa.types.is_duration(column.type)):
                raise InputError(
                    f"column {name!r} cannot be read ({error})", path, rows_before + 1
                ) from None
            columns[name] = column.cast(pa.int64()).to_pylist()
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def document_of(record: Record, config: ReadConfig) -> Document:
    """The document in one record; InputError when the text field is missing or not text."""
    if record.error is not None:
        raise record.error
    fields = record.fields
    text = fields.get(config.text_field)
    if text is None:
        raise InputError(
            f"no {config.text_field!r} field (use --text-field)", record.path, record.line
        )
    if not isinstance(text, str):
        raise InputError(
            f"field {config.text_field!r} is {type(text).__name__}, not text",
            record.path,
            record.line,
        )
    # A character takes up to four bytes: only a text that might be too large is encoded.
    if 4 * len(text) > config.max_doc_bytes and len(text.encode()) > config.max_doc_bytes:
        raise InputError(_too_large(config), record.path, record.line)
    if "\x00" in text:
        raise InputError("binary data (NUL character) in the text", record.path, record.line)
    raw_id = fields.get(config.id_field)
    if raw_id is not None and (
        isinstance(raw_id, bool) or not isinstance(raw_id, str | int | float)
    ):
        raise InputError(
            f"field {config.id_field!r} is {_json_type(raw_id)}, not a string or number",
            record.path,
            record.line,
        )
    path = printable(record.path)
    # FILE:LINE, or FILE:N for the Nth element of a JSON array
    fallback = f"{path}:{record.number or record.line}"
    doc_id = str(raw_id) if raw_id not in (None, "") else fallback
    date = _meta(fields, config.date_field)
    if date is not None and parse_date(date) is None:
        raise InputError(
            f"field {config.date_field!r} holds {date[:40]!r}, not a date ({DATE_FORMS})",
            record.path,
            record.line,
        )
    return Document(
        id=doc_id,
        text=text,
        path=path,
        line=record.line,
        source=_meta(fields, config.source_field),
        date=date,
        title=_meta(fields, config.title_field),
        url=_meta(fields, config.url_field),
        positional_id=doc_id == fallback,
    )


def _json_type(value: object) -> str:
    """A value's type in JSON's words (what the user wrote), not Python's."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _meta(fields: dict[str, Any], name: str | None) -> str | None:
    if name is None:
        return None
    value = fields.get(name)
    return None if value in (None, "") else str(value)


class DocumentReader:
    """Iterate the documents of several inputs, counting (with ``skip_bad``) what was skipped.

    Without ``config.skip_bad`` the first bad record raises :class:`InputError`. With it, a bad
    record is skipped, and a file that cannot be read further (corrupt compression) is skipped
    from that point; ``skipped`` counts both and ``errors`` keeps their messages.
    """

    def __init__(self, inputs: Iterable[str], config: ReadConfig) -> None:
        self.config = config
        self.files = expand_inputs(inputs, config.glob)
        self.documents = 0
        self.skipped = 0
        self.errors: list[str] = []
        self._ids: set[str] = set()  # a report, an audit, a clean corpus name documents by id

    def expected_bytes(self) -> int | None:
        """About how many bytes the inputs hold decompressed (compressed files count four
        times their size; a file that cannot be looked at, none: reading it will say why, or
        skip it); ``None`` when stdin is among them."""
        if STDIN in self.files:
            return None
        total = 0
        for path in self.files:
            try:
                size = os.path.getsize(path)
                total += 4 * size if compression_of(path) else size
            except OSError:
                continue
        return total

    def __iter__(self) -> Iterator[Document]:
        for _, document in self.records():
            if document is not None:
                yield document

    def records(self) -> Iterator[tuple[Record, Document | None]]:
        """Each record read with its document, or ``None`` where it was skipped as bad."""
        for path in self.files:
            records = iter_records(path, self.config)
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except InputError as error:
                    self._skip(error)
                    break  # the file cannot be read past this point
                try:
                    document = document_of(record, self.config)
                except InputError as error:
                    self._skip(error)
                    yield record, None
                    continue
                if document.id in self._ids:
                    self._skip(
                        InputError(
                            f"duplicate id {document.id!r}: ids must be unique (--id-field names "
                            "them; without the field, a record's id is FILE:LINE)",
                            record.path,
                            record.line,
                        )
                    )
                    yield record, None
                    continue
                self._ids.add(document.id)
                document.ordinal = self.documents
                self.documents += 1
                yield record, document

    def _skip(self, error: InputError) -> None:
        if not self.config.skip_bad:
            raise error
        self.skipped += 1
        self.errors.append(str(error))


def read_documents(inputs: Iterable[str], config: ReadConfig | None = None) -> Iterator[Document]:
    """All documents of ``inputs`` (files, folders, or ``-`` for JSONL on stdin)."""
    return iter(DocumentReader(inputs, config or ReadConfig()))
