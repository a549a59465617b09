"""The plain-text summaries ``dedup scan`` and ``dedup compare`` print."""

from __future__ import annotations

from dedup.explain import Comparison
from dedup.model import Report

__all__ = ["render_comparison", "render_summary"]


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
    if summary["documents"] > 1 or report.clusters or report.matches:
        syndicated = sum(c.syndicated for c in report.clusters)
        lines.append(
            f"near-duplicate clusters: {summary['clusters']} "
            f"({summary['duplicate_documents']} documents beyond the one kept"
            + (f"; {syndicated} across outlets" if syndicated else "")
            + ")"
        )
        largest = sorted(report.clusters, key=lambda c: (-len(c.members), c.id))[:examples]
        for cluster in largest:
            others = [m for m in cluster.members if m != cluster.keep]
            shown = ", ".join(others[:3]) + (
                f", … ({len(others) - 3} more)" if len(others) > 3 else ""
            )
            outlets = f" [{', '.join(cluster.sources)}]" if cluster.sources else ""
            lines.append(
                f"  cluster {cluster.id}: {len(cluster.members)} documents, keep {cluster.keep}; "
                f"copies: {shown}{outlets}"
            )
        partial = [m for m in report.matches if m.kind == "partial"]
        lines.append(f"partial copies: {len(partial)}")
        for match in partial[:examples]:
            inner, outer = (match.a, match.b) if match.direction == "a_in_b" else (match.b, match.a)
            share = max(match.scores.get("sentences_a", 0.0), match.scores.get("sentences_b", 0.0))
            lines.append(f"  {outer} contains {share:.0%} of the sentences of {inner}")
    return "\n".join(lines) + "\n"


def render_comparison(comparison: Comparison, passages: int = 10) -> str:
    """Scores, verdict and aligned passages of ``dedup compare``."""
    scores = comparison.scores
    verdict: str = comparison.kind or "not a copy"
    if comparison.direction:
        verdict += f" ({'A inside B' if comparison.direction == 'a_in_b' else 'B inside A'})"
    lines = [
        f"A: {comparison.a.id}",
        f"B: {comparison.b.id}",
        f"verdict: {verdict}",
        "scores:",
        f"  3-gram jaccard          {scores['jaccard']:.3f}",
        f"  3-grams of A in B       {scores['containment_a']:.3f}",
        f"  3-grams of B in A       {scores['containment_b']:.3f}",
        f"  weighted words A in B   {scores['weighted_a']:.3f}",
        f"  weighted words B in A   {scores['weighted_b']:.3f}",
        f"  sentences of A in B     {scores['sentences_a']:.3f}",
        f"  sentences of B in A     {scores['sentences_b']:.3f}",
        f"shared passages: {len(comparison.aligned)}",
    ]
    for passage in comparison.aligned[:passages]:
        lines.append(f"  A[{passage.a_index}] ~ B[{passage.b_index}] ({passage.score:.0%} shared)")
        lines.append(f"    A: {_excerpt(passage.a_text, 100)}")
        lines.append(f"    B: {_excerpt(passage.b_text, 100)}")
    if len(comparison.aligned) > passages:
        lines.append(f"  … and {len(comparison.aligned) - passages} more")
    return "\n".join(lines) + "\n"
