"""Renderers of a scan's findings: terminal summary, JSON, JSONL and CSV."""

from dedup.report.files import REPORT_FORMATS, check_report_path, write_report
from dedup.report.text import render_comparison, render_summary

__all__ = [
    "REPORT_FORMATS",
    "check_report_path",
    "render_comparison",
    "render_summary",
    "write_report",
]
