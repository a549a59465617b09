"""Renderers of a scan's findings: terminal summary, JSON, JSONL, CSV and HTML."""

from dedup.report.files import REPORT_FORMATS, check_report_path, write_report, write_reports
from dedup.report.text import render_check, render_comparison, render_github, render_summary

__all__ = [
    "REPORT_FORMATS",
    "check_report_path",
    "render_check",
    "render_comparison",
    "render_github",
    "render_summary",
    "write_report",
    "write_reports",
]
