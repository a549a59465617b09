"""Report files: the format is chosen by the extension (``.jsonl``, ``.json``, ``.csv``,
``.html``).

The schema is a contract (documented in the README): every finding has a ``"type"`` of
``repeat``, ``match``, ``cluster`` or (in ``dedup check`` reports) ``archive_match``; a JSONL
report ends with one ``summary`` line. An HTML report is for reading, not parsing (see
``dedup.report.html``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from dedup.errors import ConfigError
from dedup.io.atomic import AtomicOutputs
from dedup.model import CheckReport, Report
from dedup.report.html import render_html

__all__ = [
    "CSV_COLUMNS",
    "REPORT_FORMATS",
    "check_report_path",
    "findings",
    "write_report",
    "write_reports",
]

REPORT_FORMATS = (".jsonl", ".json", ".csv", ".html")
# Scores may be numpy scalars; orjson writes them as plain numbers.
_NUMPY = orjson.OPT_SERIALIZE_NUMPY
CSV_COLUMNS = (
    "type",
    "doc",
    "first_index",
    "first_start",
    "first_end",
    "repeat_index",
    "repeat_start",
    "repeat_end",
    "a",
    "b",
    "kind",
    "direction",
    "cluster",
    "members",
    "keep",
    "syndicated",
    "scores",
)


def findings(report: Report) -> Iterator[dict[str, Any]]:
    """Every finding as a plain dict, in report order: repeats, matches, clusters, then the
    archive matches of a check."""
    for repeat in report.repeats:
        yield repeat.to_dict()
    for match in report.matches:
        yield match.to_dict()
    for cluster in report.clusters:
        yield cluster.to_dict()
    if isinstance(report, CheckReport):
        for archived in report.archive_matches:
            yield archived.to_dict()


def check_report_path(path: str | Path) -> None:
    """Raise ConfigError unless ``path`` names a report format (checked before a long scan)."""
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FORMATS:
        what = f"unknown report format {suffix!r}" if suffix else "no report format (extension)"
        raise ConfigError(f"{what} for {path}: use one of {', '.join(REPORT_FORMATS)}")


def write_report(report: Report, path: str | Path) -> None:
    """Write ``report`` to ``path`` atomically, in the format its extension names."""
    write_reports(report, [path])


def write_reports(report: Report, paths: Iterable[str | Path]) -> None:
    """Write ``report`` to each of ``paths`` (format by extension), all or none: each is
    renamed into place only when every one is written."""
    paths = list(paths)
    for path in paths:
        check_report_path(path)
    with AtomicOutputs() as outputs:
        for path in paths:
            _write(report, Path(path).suffix.lower(), outputs.file(path))


def _write(report: Report, suffix: str, handle: IO[bytes]) -> None:
    if suffix == ".html":
        handle.write(render_html(report).encode("utf-8", "replace"))
    elif suffix == ".jsonl":
        for finding in findings(report):
            handle.write(orjson.dumps(finding, option=_NUMPY) + b"\n")
        handle.write(orjson.dumps({"type": "summary", **report.summary()}, option=_NUMPY) + b"\n")
    elif suffix == ".json":
        document = {
            "summary": report.summary(),
            "repeats": [r.to_dict() for r in report.repeats],
            "matches": [m.to_dict() for m in report.matches],
            "clusters": [c.to_dict() for c in report.clusters],
        }
        if isinstance(report, CheckReport):
            document["archive_matches"] = [m.to_dict() for m in report.archive_matches]
        handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | _NUMPY) + b"\n")
    else:
        handle.write(_csv_bytes(report))


def _csv_bytes(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for finding in findings(report):
        row: dict[str, Any] = {"type": finding["type"], "kind": finding.get("kind", "")}
        if finding["type"] == "repeat":
            row["doc"] = finding["doc"]
            for side in ("first", "repeat"):
                for key in ("index", "start", "end"):
                    row[f"{side}_{key}"] = finding[side][key]
        elif finding["type"] == "match":
            row.update(a=finding["a"], b=finding["b"], direction=finding["direction"] or "")
        elif finding["type"] == "archive_match":
            row.update(
                a=finding["doc"], b=finding["archived"], direction=finding["direction"] or ""
            )
        else:
            row.update(
                cluster=finding["id"],
                members=" ".join(finding["members"]),
                keep=finding["keep"],
                syndicated=finding["syndicated"],
            )
        if "scores" in finding:
            row["scores"] = orjson.dumps(finding["scores"], option=_NUMPY).decode()
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")
