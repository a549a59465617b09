"""The plain-text summaries ``dedup scan`` and ``dedup compare`` print."""

from __future__ import annotations

import re
import unicodedata

from dedup.explain import Comparison
from dedup.model import CheckReport, Report
from dedup.text.graphemes import grapheme_prefix

__all__ = [
    "held_share",
    "percent",
    "render_check",
    "render_comparison",
    "render_github",
    "render_summary",
]

_KIND_TEXT = {"near_duplicate": "near-duplicate", "partial": "partial copy"}


def _excerpt(text: str, width: int = 70) -> str:
    """``text`` on one line, cut to ``width`` terminal columns: a Chinese or Japanese character
    takes two."""
    flat = " ".join(text.split())
    if _fitting(flat, width) == len(flat):
        return _shown(flat)
    return _shown(grapheme_prefix(flat, _fitting(flat, width - 1)) + "…")


def _fitting(text: str, width: int) -> int:
    """How many characters of ``text`` fill at most ``width`` columns."""
    columns = 0
    for end, char in enumerate(text):
        columns += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if columns > width:
            return end
    return len(text)


# Characters that would break a summary line or take over the terminal: controls (line breaks,
# escape sequences), line and paragraph separators, bidi overrides and isolates.
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _shown(value: str) -> str:
    """An id, a source or an excerpt as one line prints it: a character that would start
    another line, colour the terminal or reorder the text is written as its escape."""
    return _UNSHOWN.sub(lambda found: found.group().encode("unicode_escape").decode(), value)


def percent(rate: float) -> str:
    """A rate as a percentage to a tenth, with more digits where that would show a rate that is
    not zero as 0.0% (one duplicate in 3,000 documents fails ``--max-rate 0``)."""
    if rate == 0 or rate >= 0.0005:
        return f"{rate:.1%}"
    return f"{100 * rate:.2g}%"


def held_share(scores: dict[str, float], side: str) -> tuple[float, str]:
    """How much of document ``side`` (``"a"`` or ``"b"``) the other holds, and by what measure:
    its sentences or its word 3-grams, whichever says more (sentences are often not aligned
    for a partial copy, and a Chinese text's may match none while its 3-grams do)."""
    sentences = scores.get(f"sentences_{side}", -1.0)
    grams = scores.get(f"containment_{side}", 0.0)
    return (sentences, "sentences") if sentences >= grams else (grams, "word 3-grams")


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
            f"  {_shown(repeat.doc)}: paragraph {repeat.repeat.index} repeats {repeat.first.index} "
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
            others = [_shown(m) for m in cluster.members if m != cluster.keep]
            shown = ", ".join(others[:3]) + (
                f", … ({len(others) - 3} more)" if len(others) > 3 else ""
            )
            outlets = f" [{', '.join(map(_shown, cluster.sources))}]" if cluster.sources else ""
            lines.append(
                f"  cluster {cluster.id}: {len(cluster.members)} documents, "
                f"keep {_shown(cluster.keep)}; copies: {shown}{outlets}"
            )
        if len(report.clusters) > examples:
            lines.append(f"  … and {len(report.clusters) - examples} more (see --report)")
        partial = [m for m in report.matches if m.kind == "partial"]
        lines.append(f"partial copies: {len(partial)}")
        for match in partial[:examples]:
            inner, outer = (match.a, match.b) if match.direction == "a_in_b" else (match.b, match.a)
            share, what = held_share(match.scores, "a" if match.direction == "a_in_b" else "b")
            lines.append(f"  {_shown(outer)} contains {share:.0%} of the {what} of {_shown(inner)}")
        if len(partial) > examples:
            lines.append(f"  … and {len(partial) - examples} more (see --report)")
    return "\n".join(lines) + "\n"


def render_comparison(comparison: Comparison, passages: int = 10) -> str:
    """Scores, verdict and aligned passages of ``dedup compare``."""
    scores = comparison.scores
    verdict: str = comparison.kind or "not a copy"
    if comparison.direction:
        verdict += f" ({'A inside B' if comparison.direction == 'a_in_b' else 'B inside A'})"
    if comparison.exact:
        verdict += " (identical after normalization)"
    if comparison.too_short is not None:
        verdict += (
            f" (one has under {comparison.too_short} words: texts that short match only when "
            "identical after normalization)"
        )
    if comparison.formula and "shared_df" in scores:
        shared_df = scores["shared_df"]
        verdict += f" (only a formula is shared: {shared_df:.0f} documents hold its 3-grams)"
    lines = [
        f"A: {_shown(comparison.a.id)}",
        f"B: {_shown(comparison.b.id)}",
        f"verdict: {verdict}",
        "scores:",
        f"  3-gram jaccard          {scores['jaccard']:.3f}",
        f"  3-grams of A in B       {scores['containment_a']:.3f}",
        f"  3-grams of B in A       {scores['containment_b']:.3f}",
        f"  weighted words A in B   {scores['weighted_a']:.3f}",
        f"  weighted words B in A   {scores['weighted_b']:.3f}",
        f"  sentences of A in B     {scores['sentences_a']:.3f}",
        f"  sentences of B in A     {scores['sentences_b']:.3f}",
    ]
    if "numbers_a" in scores:  # two short texts: a figure of one missing in the other decides
        lines.append(f"  figures of A in B       {scores['numbers_a']:.3f}")
        lines.append(f"  figures of B in A       {scores['numbers_b']:.3f}")
    if "figures_shared" in scores:  # longer texts with figures: none shared is another report
        lines.append(f"  figures shared          {scores['figures_shared']:.3f}")
    if "shared_df" in scores:  # with a corpus (--in) to count 3-grams in
        lines.append(f"  docs per shared 3-gram  {scores['shared_df']:.0f}")
        lines.append(f"  docs per own 3-gram     {scores['own_df']:.0f}")
    lines.append(f"shared passages: {len(comparison.aligned)}")
    for passage in comparison.aligned[:passages]:
        lines.append(f"  A[{passage.a_index}] ~ B[{passage.b_index}] ({passage.score:.0%} shared)")
        lines.append(f"    A: {_excerpt(passage.a_text, 100)}")
        lines.append(f"    B: {_excerpt(passage.b_text, 100)}")
    if len(comparison.aligned) > passages:
        lines.append(f"  … and {len(comparison.aligned) - passages} more")
    return "\n".join(lines) + "\n"


def render_check(report: CheckReport, examples: int = 5) -> str:
    """The summary of ``dedup check``: the batch's own findings, then its archive matches."""
    lines = [render_summary(report, examples).rstrip("\n")]
    summary = report.summary()
    lines.append(
        f"archive: {summary['archive_documents']} documents; matches: "
        f"{summary['archive_near_duplicates']} near-duplicates, "
        f"{summary['archive_partial_copies']} partial copies"
    )
    for match in report.archive_matches[:examples]:
        lines.append(
            f"  {_shown(match.doc)}: {_KIND_TEXT[match.kind]} of archived {_shown(match.archived)}"
        )
    if len(report.archive_matches) > examples:
        lines.append(f"  … and {len(report.archive_matches) - examples} more (see --report)")
    lines.append(
        f"duplicates: {summary['duplicates']} of {summary['documents']} documents "
        f"({percent(report.duplicate_rate)})"
    )
    if report.added:
        lines.append(f"added to the index: {report.added} documents")
    return "\n".join(lines) + "\n"


def render_github(report: CheckReport) -> str:
    """One GitHub Actions ``::warning`` annotation per finding: repeats, matches inside the
    batch (on the later document), and archive matches (clusters restate matches: none)."""
    lines: list[str] = []
    for repeat in report.repeats:
        path, line = report.locations.get(repeat.ordinal, ("", None))
        lines.append(
            _annotation(
                path,
                line,
                "repeated paragraph",
                f"{repeat.doc}: paragraph {repeat.repeat.index} repeats paragraph "
                f"{repeat.first.index} ({repeat.kind})",
            )
        )
    for match in report.matches:
        path, line = report.locations.get(match.b_ordinal, ("", None))
        lines.append(
            _annotation(
                path,
                line,
                _KIND_TEXT[match.kind],
                f"{match.b} is a {_KIND_TEXT[match.kind]} of {match.a} in this batch "
                f"({_evidence(match.scores)})",
            )
        )
    for archived in report.archive_matches:
        kind = _KIND_TEXT[archived.kind]
        lines.append(
            _annotation(
                archived.path,
                archived.line,
                f"archive {kind}",
                f"{archived.doc} is a {kind} of archived {archived.archived} "
                f"({_evidence(archived.scores)})",
            )
        )
    return "".join(line + "\n" for line in lines)


def _evidence(scores: dict[str, float]) -> str:
    """The measures that decided a match; sentences only where they were aligned (a pair
    plainly a copy by its 3-grams is not)."""
    evidence = []
    for name, key in (("rare words", "weighted"), ("sentences", "sentences")):
        if f"{key}_a" in scores:
            evidence.append(f"{name} {max(scores[f'{key}_a'], scores[f'{key}_b']):.2f}")
    return ", ".join(evidence)


def _annotation(path: str, line: int | None, title: str, message: str) -> str:
    properties = [f"file={_escape_property(path)}"]
    if line is not None:
        properties.append(f"line={line}")
    properties.append(f"title={_escape_property(title)}")
    return f"::warning {','.join(properties)}::{_escape_data(message)}"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")
