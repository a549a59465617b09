"""Write a clean corpus: every repeat removed, in the input's own format, with an audit trail."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from dedup.config import ScanConfig
from dedup.corpus import scan
from dedup.errors import ConfigError
from dedup.io.atomic import AtomicOutputs, check_outputs
from dedup.io.compression import compressing_writer, compression_of
from dedup.io.readers import (
    STDIN,
    DocumentReader,
    Record,
    csv_header,
    expand_inputs,
    format_of,
)
from dedup.io.splice import replace_field
from dedup.model import Document, Paragraph, Report
from dedup.repeats import removed_side
from dedup.text.segment import paragraphs as split_paragraphs

__all__ = ["CleanResult", "clean", "remove_paragraphs"]

_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class CleanResult:
    """What a clean run did: the scan's report and the counts of what it removed."""

    report: Report
    documents_written: int = 0
    paragraphs_removed: int = 0
    documents_dropped: int = 0
    bytes_removed: int = 0
    records_skipped: int = 0  # bad records passed over (--skip-bad), each in the audit
    outputs: list[str] = field(default_factory=list)


def remove_paragraphs(text: str, paragraphs: list[Paragraph], remove: Iterable[int]) -> str:
    """``text`` without the given paragraphs and their separators; all else byte-identical."""
    removed = set(remove)
    if not removed:
        return text
    cuts: list[tuple[int, int]] = []
    for index in sorted(removed):
        paragraph = paragraphs[index]
        if index + 1 < len(paragraphs):
            # From line start to line start: the indent of the paragraph cut goes with it, and
            # the next one keeps its own.
            cuts.append(
                (_line_start(text, paragraph.start), _line_start(text, paragraphs[index + 1].start))
            )
            continue
        kept_before = [p for p in paragraphs[:index] if p.index not in removed]
        start = kept_before[-1].end if kept_before else paragraph.start
        cuts.append((start, paragraph.end))
    pieces: list[str] = []
    position = 0
    for start, end in sorted(cuts):
        if start > position:
            pieces.append(text[position:start])
        position = max(position, end)
    pieces.append(text[position:])
    return "".join(pieces)


def _line_start(text: str, position: int) -> int:
    """Where the line of ``position`` starts, when only spaces and tabs stand before it on the
    line; else ``position``."""
    start = position
    while start > 0 and text[start - 1] in " \t\u00a0\u3000":
        start -= 1
    return start if start == 0 or text[start - 1] in "\n\r\u2028\u2029" else position


def clean(
    inputs: Iterable[str],
    output: str | Path,
    config: ScanConfig | None = None,
    removed_path: str | Path | None = None,
    drop_partial: bool = False,
) -> CleanResult:
    """Scan ``inputs``, then write them to ``output`` without the copies found.

    Repeated paragraphs are cut from their documents; of each near-duplicate cluster only the
    kept document is written; with ``drop_partial``, a document found inside another (a partial
    copy) is dropped too. One input file gives one output file (same format and compression);
    several inputs or a folder give an output folder that mirrors them (a text file whose
    document is dropped is not written). ``removed_path`` receives a JSONL audit of every
    removal: what was removed, why, and what it duplicated or which document was kept.
    """
    config = config or ScanConfig()
    inputs = list(inputs)
    if STDIN in inputs:
        raise ConfigError("clean reads its inputs twice and cannot take '-': save stdin to a file")
    files = expand_inputs(inputs, config.read.glob)
    single = len(files) == 1 and not Path(inputs[0]).is_dir()
    targets = {files[0]: Path(output)} if single else _mirror(inputs, files)
    if single and Path(output).is_dir():
        raise ConfigError(
            f"{output} is a folder: one input file is cleaned into one file (-o FILE)"
        )
    if not single and Path(output).exists() and not Path(output).is_dir():
        raise ConfigError(
            f"{output} is a file: several inputs or a folder are cleaned into a folder (-o FOLDER)"
        )
    extra = [] if removed_path is None else [removed_path]
    if single:
        check_outputs(inputs, files=[output, *extra], glob=config.read.glob)
    else:
        check_outputs(inputs, files=extra, folders=[output], glob=config.read.glob)
    report = scan(inputs, config)
    result = CleanResult(report)
    by_ordinal: dict[int, list[int]] = {}
    first_of: dict[tuple[int, int], Paragraph] = {}
    for repeat in report.repeats:
        removed, duplicated = removed_side(repeat)
        if (repeat.ordinal, removed.index) not in first_of:
            by_ordinal.setdefault(repeat.ordinal, []).append(removed.index)
            first_of[repeat.ordinal, removed.index] = duplicated
    for (ordinal, index), duplicated in first_of.items():
        first_of[ordinal, index] = _kept_copy(first_of, ordinal, duplicated)

    audit: list[dict[str, Any]] = []
    drops = _documents_to_drop(report, drop_partial)
    reader = DocumentReader(inputs, config.read)

    def skipped(record: Record | None = None) -> None:
        # Each bad record --skip-bad passes over, and a file unreadable from some point, are
        # written down: left out of the clean corpus, they are removals too.
        pending = reader.errors[result.records_skipped :]
        for k, error in enumerate(pending):
            entry: dict[str, Any] = {"doc": None, "action": "skip_record", "reason": "bad_record"}
            if record is not None and k == len(pending) - 1:  # the record's own error
                entry.update(file=record.path, line=record.line)
            audit.append({**entry, "error": error})
            result.records_skipped += 1

    def cleaned_records() -> Iterator[tuple[Record, str | None]]:
        for record, document in reader.records():
            if document is None:
                skipped(record)
                continue
            skipped()  # a file left behind unread past a point
            drop = drops.get(document.ordinal)
            if drop is not None:
                audit.append({"doc": document.id, "action": "drop_document", **drop})
                result.documents_dropped += 1
                result.bytes_removed += len(document.text.encode())
                continue
            remove = by_ordinal.get(document.ordinal)
            if not remove:
                yield record, None
                continue
            text = _cleaned_text(document, remove, first_of, audit)
            result.paragraphs_removed += len(remove)
            result.bytes_removed += len(document.text.encode()) - len(text.encode())
            yield record, text
        skipped()

    records = cleaned_records()
    # All outputs are renamed into place together, once everything is written.
    with AtomicOutputs() as outputs:
        if single:
            handle = outputs.file(output)
            result.documents_written += _write_file(files[0], records, handle, config)
        else:
            staging = outputs.folder(output)
            result.documents_written += _write_tree(targets, records, staging, config)
        if removed_path is not None:
            audit_handle = outputs.file(removed_path)
            for entry in audit:
                audit_handle.write(orjson.dumps(entry) + b"\n")
    result.outputs = (
        [str(Path(output) / t) for t in targets.values()] if not single else [str(output)]
    )
    return result


def _documents_to_drop(report: Report, drop_partial: bool) -> dict[int, dict[str, Any]]:
    """Audit entries by ordinal of the documents a clean corpus leaves out."""
    drops: dict[int, dict[str, Any]] = {}
    kept = {cluster.keep_ordinal for cluster in report.clusters}
    for cluster in report.clusters:
        for ordinal in cluster.ordinals:
            if ordinal != cluster.keep_ordinal:
                drops[ordinal] = {
                    "reason": "near_duplicate",
                    "cluster": cluster.id,
                    "kept": cluster.keep,
                }
    if drop_partial:
        drops.update(_partial_copies_to_drop(report, drops, kept))
    return drops


def _partial_copies_to_drop(
    report: Report, drops: dict[int, dict[str, Any]], kept: set[int]
) -> dict[int, dict[str, Any]]:
    """Partial copies a clean corpus leaves out: a document goes only when a document that
    contains it stays, so that no text is lost down a chain (A in B, B in C: B goes, A stays,
    for B, its only container, is gone)."""
    containers: dict[int, list[tuple[int, str]]] = {}
    for match in report.matches:
        if match.kind != "partial" or match.direction is None:
            continue
        a_inside = match.direction == "a_in_b"
        inner = match.a_ordinal if a_inside else match.b_ordinal
        outer = match.b_ordinal if a_inside else match.a_ordinal
        if inner in drops or inner in kept or outer in drops:
            continue  # what a cluster keeps or drops is decided; a dropped copy contains nothing
        containers.setdefault(inner, []).append((outer, match.b if a_inside else match.a))
    dropped: dict[int, dict[str, Any]] = {}
    stays = {o for outers in containers.values() for o, _ in outers} - containers.keys()
    contained: dict[int, list[int]] = {}  # what each container holds, to look at again
    for inner, outers in containers.items():
        for outer, _ in outers:
            contained.setdefault(outer, []).append(inner)
    undecided = set(containers)
    waiting = deque(sorted(undecided))  # a document is looked at again when a container is
    while undecided:  # decided: a chain takes as many steps as it has links
        while waiting:
            inner = waiting.popleft()
            if inner not in undecided:
                continue
            outers = containers[inner]
            staying = next((name for o, name in outers if o in stays), None)
            if staying is not None:
                dropped[inner] = {"reason": "partial_copy", "contained_in": staying}
            elif all(o in dropped for o, _ in outers):
                stays.add(inner)
            else:
                continue
            undecided.discard(inner)
            waiting.extend(contained.get(inner, ()))
        if undecided:  # containers in a cycle: the first in input order stays
            first = min(undecided)
            stays.add(first)
            undecided.discard(first)
            waiting.extend(contained.get(first, ()))
    return dropped


def _kept_copy(
    first_of: dict[tuple[int, int], Paragraph], ordinal: int, paragraph: Paragraph
) -> Paragraph:
    """The paragraph an audit names as the one a removed paragraph duplicates: followed
    through paragraphs removed themselves (a third copy of an edited one) to one that stays."""
    seen = {paragraph.index}
    while (ordinal, paragraph.index) in first_of:
        paragraph = first_of[ordinal, paragraph.index]
        if paragraph.index in seen:
            break
        seen.add(paragraph.index)
    return paragraph


def _cleaned_text(
    document: Document,
    remove: list[int],
    first_of: dict[tuple[int, int], Paragraph],
    audit: list[dict[str, Any]],
) -> str:
    paragraphs = split_paragraphs(document.text)
    for index in sorted(remove):
        paragraph = paragraphs[index]
        first = first_of[document.ordinal, index]
        audit.append(
            {
                "doc": document.id,
                "action": "remove_paragraph",
                "reason": "repeat",
                "paragraph": paragraph.to_dict(),
                "text": document.text[paragraph.start : paragraph.end],
                "duplicates": first.to_dict(),
                "duplicates_text": document.text[first.start : first.end],
            }
        )
    return remove_paragraphs(document.text, paragraphs, remove)


def _mirror(inputs: list[str], files: list[str]) -> dict[str, Path]:
    """Output paths relative to the output folder: under a folder input, relative to it;
    otherwise the file's name."""
    targets: dict[str, Path] = {}
    folders = [Path(i) for i in inputs if Path(i).is_dir()]
    for file in files:
        path = Path(file)
        relative = next(
            (path.relative_to(f) for f in folders if path.is_relative_to(f)), Path(path.name)
        )
        if relative in targets.values():
            raise ConfigError(f"two inputs would both be written to {relative} in the output")
        targets[file] = relative
    return targets


def _write_tree(
    targets: dict[str, Path],
    records: Iterator[tuple[Record, str | None]],
    staging: Path,
    config: ScanConfig,
) -> int:
    written = 0
    pending = _PerFile(records)
    for file, relative in targets.items():
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open(destination, "wb") as handle:
            count = _write_file(file, pending.take(file), handle, config)
        if count == 0:  # every document dropped as a copy: a file of none could not be read
            destination.unlink()
        written += count
    return written


class _PerFile:
    """Hands out the records of one file at a time from one stream over all files."""

    def __init__(self, records: Iterator[tuple[Record, str | None]]) -> None:
        self._records = records
        self._next: tuple[Record, str | None] | None = None

    def take(self, path: str) -> Iterator[tuple[Record, str | None]]:
        while True:
            if self._next is None:
                self._next = next(self._records, None)
                if self._next is None:
                    return
            if self._next[0].path != path:
                return
            item, self._next = self._next, None
            yield item


def _write_file(
    path: str,
    records: Iterable[tuple[Record, str | None]],
    handle: IO[bytes],
    config: ScanConfig,
) -> int:
    """Write the records of one input file, in its format and compression, to ``handle``."""
    fmt = format_of(path)
    if fmt == "parquet":
        return _write_parquet(records, handle, config, path)
    compression = compression_of(path)
    stream = handle if compression is None else compressing_writer(handle, compression)
    written = 0
    text_field = config.read.text_field
    try:
        if fmt == "text":
            for record, text in records:
                raw = record.raw or b""
                bom = _BOM if raw.startswith(_BOM) else b""  # the reader drops it from the text
                stream.write(raw if text is None else bom + text.encode())
                written += 1
        elif fmt in ("jsonl", "json"):
            array = False  # a .json file holds an array, or JSONL
            for record, text in records:
                if fmt == "json" and record.raw is None:  # an element of an array
                    stream.write(b",\n" if array else b"[\n")
                    array = True
                    stream.write(_json(_replaced(record.fields, text_field, text)))
                else:
                    line = _jsonl_line(record, text_field, text)
                    stream.write(line if line.endswith(b"\n") else line + b"\n")
                written += 1
            if array:
                stream.write(b"\n]\n")
            elif fmt == "json" and not written:
                stream.write(b"[]\n")
        else:
            written = _write_csv(records, stream, text_field, "\t" if fmt == "tsv" else ",")
            if not written:  # a CSV without rows keeps its header
                stream.write(csv_header(path))
    finally:
        if stream is not handle:
            stream.close()
    return written


def _jsonl_line(record: Record, text_field: str, text: str | None) -> bytes:
    """A JSONL record as read, with its text replaced in place (:mod:`dedup.io.splice`): the
    other fields keep their bytes. Written anew only where the line is no object to splice."""
    if record.raw is not None:
        if text is None:
            return record.raw
        spliced = replace_field(record.raw, text_field, _json(text))
        if spliced is not None:
            return spliced
    return _json(_replaced(record.fields, text_field, text))


def _json(fields: Any) -> bytes:
    """A record (or a value) as JSON: by orjson, or by the standard library where orjson
    cannot write a value (an integer wider than 64 bits, which the readers keep exact)."""
    try:
        return orjson.dumps(fields)
    except TypeError:
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _replaced(fields: dict[str, Any], text_field: str, text: str | None) -> dict[str, Any]:
    return fields if text is None else {**fields, text_field: text}


def _write_csv(
    records: Iterable[tuple[Record, str | None]], stream: IO[bytes], text_field: str, delimiter: str
) -> int:
    """Write the header and unchanged rows byte for byte as read, changed rows anew."""
    buffer = io.StringIO()
    writer: Any = None
    columns: list[str] = []
    written = 0
    for record, text in records:
        if writer is None:
            columns = [name for name in record.fields if name is not None]
            newline = "\n" if record.header and not record.header.endswith(b"\r\n") else "\r\n"
            writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
            if record.header is not None:
                stream.write(record.header)
            else:
                writer.writerow(columns)
        if text is None and record.raw is not None:
            stream.write(record.raw)
        else:
            fields = _replaced(record.fields, text_field, text)
            row = [fields.get(name) for name in columns]
            for name, value in fields.items():
                if name is None:  # DictReader keeps a long row's extra cells under the key None
                    row.extend(value)
            writer.writerow(row)
        if buffer.tell():
            stream.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
        written += 1
    return written


def _write_parquet(
    records: Iterable[tuple[Record, str | None]], handle: IO[bytes], config: ScanConfig, path: str
) -> int:
    """Write the rows in the input's schema (its column types, even with no row left), a
    batch at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    written = 0
    with pq.ParquetWriter(handle, schema) as writer:
        rows = (_replaced(record.fields, config.read.text_field, t) for record, t in records)
        while batch := list(itertools.islice(rows, _PARQUET_ROWS)):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            written += len(batch)
    return written


_PARQUET_ROWS = 4096
