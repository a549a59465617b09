"""The scan pipeline: read documents, find repeats inside each, collect the findings."""

from __future__ import annotations

from collections.abc import Iterable

from dedup.config import ScanConfig
from dedup.io.readers import DocumentReader
from dedup.model import Document, Report
from dedup.repeats import SHINGLE_N, find_repeats
from dedup.text.normalize import normalize
from dedup.text.segment import paragraphs as split_paragraphs
from dedup.text.shingle import shingle_paragraphs

__all__ = ["scan", "scan_documents"]


def scan(inputs: Iterable[str], config: ScanConfig | None = None) -> Report:
    """Scan files, folders or ``-`` (JSONL on stdin) and return everything found."""
    config = config or ScanConfig()
    reader = DocumentReader(inputs, config.read)
    report = scan_documents(reader, config)
    report.skipped = reader.skipped
    return report


def scan_documents(documents: Iterable[Document], config: ScanConfig | None = None) -> Report:
    """Scan documents already in memory (or any iterable of them)."""
    config = config or ScanConfig()
    report = Report()
    for document in documents:
        report.documents += 1
        report.bytes_read += len(document.text)
        if not config.find_repeats:
            continue
        paragraphs = split_paragraphs(document.text)
        normalized = [normalize(document.text[p.start : p.end]) for p in paragraphs]
        shingles = shingle_paragraphs(normalized, SHINGLE_N)
        report.repeats.extend(
            find_repeats(document, paragraphs, normalized, shingles, config.repeats)
        )
    return report
