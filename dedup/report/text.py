"""The plain-text summary ``dedup scan`` prints."""

from __future__ import annotations

from dedup.model import Report

__all__ = ["render_summary"]


def _excerpt(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render_summary(report: Report, examples: int = 5) -> str:
    """A readable summary: counts, then the first few findings with short excerpts."""
    summary = report.summary()
    lines = [
        f"documents read: {summary['documents']}"
        + (f" (skipped {summary['skipped']} bad records)" if summary["skipped"] else ""),
        f"repeated paragraphs: {summary['repeats']} "
        f"in {summary['documents_with_repeats']} documents",
    ]
    for repeat in report.repeats[:examples]:
        lines.append(
            f"  {repeat.doc}: paragraph {repeat.repeat.index} repeats {repeat.first.index} "
            f"({repeat.kind}): {_excerpt(repeat.excerpt)}"
        )
    if len(report.repeats) > examples:
        lines.append(f"  … and {len(report.repeats) - examples} more (see --report)")
    return "\n".join(lines) + "\n"
