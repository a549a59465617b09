"""dedup: find and remove duplicate and near-duplicate text in corpora."""

import dedup.cache  # noqa: F401 - first: sets where numba caches kernels before numba loads
from dedup.clean import CleanResult, clean, remove_paragraphs
from dedup.config import ReadConfig, RepeatConfig, ScanConfig
from dedup.corpus import scan, scan_documents
from dedup.errors import BackendError, ConfigError, DedupError, InputError, SpillError
from dedup.index import open_index
from dedup.io.readers import read_documents
from dedup.model import Cluster, Document, Match, Paragraph, Repeat, Report
from dedup.repeats import find_repeats, find_repeats_in
from dedup.report import render_summary, write_report
from dedup.text.normalize import normalize, tokenize
from dedup.text.segment import paragraphs
from dedup.text.shingle import shingle_paragraphs

__all__ = [
    "BackendError",
    "CleanResult",
    "Cluster",
    "ConfigError",
    "DedupError",
    "Document",
    "InputError",
    "Match",
    "Paragraph",
    "ReadConfig",
    "Repeat",
    "RepeatConfig",
    "Report",
    "ScanConfig",
    "SpillError",
    "clean",
    "find_repeats",
    "find_repeats_in",
    "normalize",
    "open_index",
    "paragraphs",
    "read_documents",
    "remove_paragraphs",
    "render_summary",
    "scan",
    "scan_documents",
    "shingle_paragraphs",
    "tokenize",
    "write_report",
]
