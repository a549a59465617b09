"""A self-contained HTML report: a summary with histograms, then the copies side by side.

A ``dedup check`` report adds the archive: its size, the batch's duplicates (what the check's
limits count) and each archive match, the batch document beside the archived one.

The file needs no network: CSS, the one small script and the SVG charts are inline, and a
Content-Security-Policy forbids every load and every script but that one. All text from the
input (document text, ids, sources) is HTML-escaped, so a document holding ``<script>`` or a
``javascript:`` link shows it as text. Each passage takes the direction most of its letters
read in: Arabic paragraphs right to left (one that starts with a Latin credit too), English ones
left to right, side by side.

Large reports stay quick to open: each section shows its biggest findings first, up to
``limit``, and says how many it left out; each document shows at most ``max_chars`` characters
of paragraphs with no shared text, and of shared ones ten times as many; the page lays out only
what is on screen (``content-visibility``).
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from dedup.clean import remove_paragraphs
from dedup.io.atomic import atomic_file
from dedup.model import (
    ArchiveMatch,
    CheckReport,
    Cluster,
    Match,
    Paragraph,
    Repeat,
    Report,
    archive_order,
)
from dedup.report.text import held_share, percent
from dedup.text.graphemes import grapheme_prefix
from dedup.text.segment import paragraphs as split_paragraphs

__all__ = ["HEADLESS_CHROMIUM_FLAGS", "Removable", "removable_bytes", "render_html", "write_html"]

DEFAULT_LIMIT = 500
# How the benchmark, the screenshot script and the browser test open a report in Chromium:
# headless, offline, nothing but the page.
HEADLESS_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
DEFAULT_MAX_CHARS = 6000
_SHARED_ROOM = 10
_PAIRS_PER_CLUSTER = 3
_REPEATS_PER_DOCUMENT = 10

_SCRIPT = """\
document.addEventListener("mouseover", function (event) {
  var hot = document.querySelectorAll("mark.hot");
  for (var i = 0; i < hot.length; i++) hot[i].classList.remove("hot");
  var mark = event.target.closest ? event.target.closest("mark[data-p]") : null;
  if (!mark) return;
  var finding = mark.closest(".pair");
  var keys = mark.getAttribute("data-p").split(" ");
  for (var k = 0; k < keys.length; k++) {
    var peers = finding.querySelectorAll('mark[data-p~="' + keys[k] + '"]');
    for (var j = 0; j < peers.length; j++) peers[j].classList.add("hot");
  }
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)

_CSS = """\
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --shared: #ffe08a;
  --repeat: #ffc4b8; --hot: #ff9f1c; --bar: #3f6fb5; --bar2: #7d58b5; --bar3: #2f8f6b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, "Noto Sans", "DejaVu Sans", "Noto Sans Arabic",
  sans-serif; color: var(--ink); background: #f6f7f9; }
header.top { background: #1d2330; color: #fff; padding: 14px 24px; }
header.top h1 { margin: 0; font-size: 20px; }
header.top nav a { color: #cfe0ff; margin-right: 16px; font-size: 14px; }
main { padding: 16px 24px 48px; max-width: 1600px; margin: 0 auto; }
h2 { margin: 28px 0 8px; font-size: 18px; }
.counts { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 16px; }
.count { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 14px; min-width: 150px; }
.count b { display: block; font-size: 22px; }
.count span { color: var(--muted); font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
.chart svg .title { font-size: 13px; fill: var(--ink); font-weight: 600; }
.note { color: var(--muted); font-size: 13px; margin: 4px 0 12px; }
.finding { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  margin: 12px 0; padding: 10px 14px; content-visibility: auto;
  contain-intrinsic-size: auto 480px; }
.finding h3 { margin: 0 0 6px; font-size: 15px; }
.meta { color: var(--muted); font-size: 13px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin: 8px 0 4px; }
.side { border-top: 2px solid var(--line); padding-top: 4px; min-width: 0; }
.side h4 { margin: 2px 0 4px; font-size: 13px; color: var(--muted); font-weight: 600; }
.passage { margin: 0 0 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
.passage .n { color: var(--muted); font-size: 11px; user-select: none; }
mark { background: var(--shared); color: inherit; border-radius: 2px; padding: 0 1px; }
mark.repeat { background: var(--repeat); }
mark.exact { background: #ffd36b; }
mark.hot { background: var(--hot); }
.folded { color: var(--muted); font-style: italic; font-size: 13px; margin: 0 0 8px; }
.more { color: var(--muted); font-size: 13px; }
.failed { background: #fdecea; border-left: 4px solid #c62828; padding: 8px 12px;
  font-weight: 600; }
bdi.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px;
  overflow-wrap: anywhere; }
"""


@dataclass(slots=True)
class Removable:
    """Bytes ``dedup clean`` would remove (without ``--drop-partial``).

    ``repeat_bytes`` counts cut paragraphs with their separators; ``document_bytes`` the
    documents dropped from clusters. Both are exact where ``report.texts`` holds the text;
    ``estimated`` is set when some repeat spans were counted without it (their characters,
    not bytes), and ``documents_without_text`` counts dropped documents whose size is unknown.
    """

    repeat_bytes: int = 0
    document_bytes: int = 0
    documents_dropped: int = 0
    documents_without_text: int = 0
    estimated: bool = False

    @property
    def total(self) -> int:
        return self.repeat_bytes + self.document_bytes


def removable_bytes(report: Report) -> Removable:
    """What ``clean`` would remove, computed from the report and the texts it kept."""
    by_ordinal = all(len(c.ordinals) == len(c.members) for c in report.clusters)
    dropped: set[int | str] = set()
    result = Removable()
    for cluster in report.clusters:
        keys: Sequence[int | str] = cluster.ordinals if by_ordinal else cluster.members
        keep: int | str = cluster.keep_ordinal if by_ordinal else cluster.keep
        for key, member in zip(keys, cluster.members, strict=True):
            if key == keep or key in dropped:
                continue
            dropped.add(key)
            result.documents_dropped += 1
            text = report.texts.get(member)
            if text is None:
                result.documents_without_text += 1
            else:
                result.document_bytes += _utf8_length(text)
    cut: dict[int | str, tuple[str, list[Repeat]]] = {}
    for repeat in report.repeats:
        key = repeat.ordinal if by_ordinal else repeat.doc
        if key not in dropped:
            cut.setdefault(key, (repeat.doc, []))[1].append(repeat)
    for doc, repeats in cut.values():
        text = report.texts.get(doc)
        indices = {r.repeat.index for r in repeats}
        found = split_paragraphs(text) if text is not None else []
        if text is None or max(indices) >= len(found):
            result.estimated = True
            spans = {r.repeat.index: r.repeat for r in repeats}
            result.repeat_bytes += sum(p.end - p.start for p in spans.values())
            continue
        kept = remove_paragraphs(text, found, indices)
        result.repeat_bytes += _utf8_length(text) - _utf8_length(kept)
    return result


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def write_html(
    report: Report,
    path: str | Path,
    limit: int = DEFAULT_LIMIT,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> None:
    """Write ``report`` as one self-contained HTML file, atomically."""
    page = render_html(report, limit, max_chars)
    with atomic_file(path) as handle:
        handle.write(page.encode("utf-8", "replace"))


def render_html(
    report: Report, limit: int = DEFAULT_LIMIT, max_chars: int = DEFAULT_MAX_CHARS
) -> str:
    """The report as an HTML page (see the module docstring).

    ``limit`` caps the findings shown per section (clusters, partial copies, documents with
    repeats); ``max_chars`` the characters of text shown per document.
    """
    if limit < 0 or max_chars < 0:
        raise ValueError("limit and max_chars must be 0 or more")
    page = _Page(report, limit, max_chars)
    return page.render()


@dataclass(slots=True)
class _Page:
    report: Report
    limit: int
    max_chars: int
    out: list[str] = field(default_factory=list)
    pairs: dict[tuple[str, str], Match] = field(default_factory=dict)
    # By (archived, id): an archived id may name another document of the batch.
    _paragraphs: dict[tuple[bool, str], list[Paragraph]] = field(default_factory=dict)
    _links: dict[str, list[Match]] = field(default_factory=dict)  # near-duplicates by document

    def render(self) -> str:
        for match in self.report.matches:
            self.pairs.setdefault((match.a, match.b), match)
        check = self.report if isinstance(self.report, CheckReport) else None
        self.out.append(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>dedup report</title>\n"
            f"<style>\n{_CSS}</style>\n</head>\n<body>\n"
            '<header class="top"><h1>dedup report</h1><nav>'
            '<a href="#summary">Summary</a>'
            + ('<a href="#archive">Archive matches</a>' if check is not None else "")
            + '<a href="#clusters">Clusters</a>'
            '<a href="#partial">Partial copies</a><a href="#repeats">Repeats</a>'
            "</nav></header>\n<main>\n"
        )
        self._summary()
        if check is not None:
            self._archive_matches(check)
        self._clusters()
        self._partial_copies()
        self._repeats()
        self.out.append(f"</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
        return "".join(self.out)

    # -- summary -------------------------------------------------------------------------

    def _summary(self) -> None:
        report = self.report
        summary = report.summary()
        removable = removable_bytes(report)
        removed = f"{removable.total:,}"
        if removable.documents_without_text or removable.estimated:
            removed = "≥ " + removed if removable.documents_without_text else "≈ " + removed
        counts = [
            (f"{summary['documents']:,}", "documents read"),
            (
                f"{summary['repeats']:,}",
                f"repeated paragraphs in {_counted(summary['documents_with_repeats'], 'document')}",
            ),
            (
                f"{summary['clusters']:,}",
                f"near-duplicate clusters ({_counted(summary['duplicate_documents'], 'copy')})",
            ),
            (f"{summary['partial_copies']:,}", "partial copies"),
            (removed, "bytes clean would remove"),
        ]
        check = report if isinstance(report, CheckReport) else None
        if check is not None:
            counts[1:1] = [
                (
                    f"{summary['duplicates']:,}",
                    f"duplicates ({percent(check.duplicate_rate)} of the batch)",
                ),
                (
                    f"{summary['archive_matches']:,}",
                    "archive matches ("
                    + _counted(summary["archive_near_duplicates"], "near-duplicate")
                    + ", "
                    + _counted(summary["archive_partial_copies"], "partial copy")
                    + ")",
                ),
                (f"{summary['archive_documents']:,}", "documents in the archive"),
            ]
            if check.added:
                counts.append((f"{check.added:,}", "added to the index"))
        self.out.append('<section id="summary"><h2>Summary</h2>')
        if check is not None and check.over_limits:
            self.out.append(
                '<p class="failed">The check failed: '
                + escape("; ".join(check.over_limits))
                + ".</p>"
            )
        self.out.append('<div class="counts">')
        for number, label in counts:
            self.out.append(f'<div class="count"><b>{number}</b><span>{label}</span></div>')
        self.out.append("</div>")
        if check is not None:
            self.out.append(
                f'<p class="note">{summary["duplicates"]:,} of {summary["documents"]:,} '
                "documents are duplicates: near-duplicates of an archived document or of "
                "another document of the batch kept in their place (what --max-duplicates and "
                "--max-rate count).</p>"
            )
        detail = (
            f"{removable.repeat_bytes:,} bytes of repeated paragraphs and "
            f"{removable.document_bytes:,} bytes of {removable.documents_dropped:,} "
            "documents dropped from clusters"
        )
        if removable.documents_without_text:
            detail += (
                f" ({removable.documents_without_text:,} of them not counted: "
                "their texts are not kept in the report)"
            )
        if report.skipped:
            detail += f"; {report.skipped:,} bad records skipped"
        self.out.append(f'<p class="note">{escape(detail)}.</p><div class="charts">')
        scored: list[Match | ArchiveMatch] = [*report.matches]
        if check is not None:
            scored.extend(check.archive_matches)
        jaccard = [m.scores.get("jaccard", 0.0) for m in scored]
        weighted = [
            max(m.scores.get("weighted_a", 0.0), m.scores.get("weighted_b", 0.0)) for m in scored
        ]
        self.out.append(_score_histogram(jaccard, "3-gram Jaccard of matched pairs", "var(--bar)"))
        self.out.append(_score_histogram(weighted, "Weighted word containment", "var(--bar3)"))
        self.out.append(_size_histogram([len(c.members) for c in report.clusters]))
        self.out.append("</div></section>\n")

    # -- sections ------------------------------------------------------------------------

    def _archive_matches(self, report: CheckReport) -> None:
        matches = sorted(report.archive_matches, key=archive_order)
        self._section_head("archive", "Archive matches", len(matches), "archive matches")
        for match in matches[: self.limit]:
            kind = "near-duplicate" if match.kind == "near_duplicate" else "partial copy"
            exact = not match.aligned and match.scores.get("jaccard", 0.0) >= 1.0
            meta = []
            if match.kind == "partial" or match.direction is not None:
                meta.append(_archive_direction(match))
            if exact:
                meta.append("identical once normalized")
            if match.path:
                where = match.path if match.line is None else f"{match.path}, line {match.line}"
                meta.append("read at " + escape(where))
            scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(match.scores.items()))
            meta.append(escape(scores))
            self.out.append(
                '<article class="finding archive">'
                f"<h3>{_id(match.doc)}: {kind} of archived {_id(match.archived)}</h3>"
                f'<p class="meta">{" · ".join(meta)}</p>'
            )
            self._sides(match.doc, "batch", match.archived, "archived", match.aligned, exact, True)
            self.out.append("</article>\n")
        self.out.append("</section>\n")

    def _clusters(self) -> None:
        clusters = sorted(self.report.clusters, key=lambda c: (-len(c.members), c.id))
        self._section_head("clusters", "Near-duplicate clusters", len(clusters), "clusters")
        for cluster in clusters[: self.limit]:
            self._cluster(cluster)
        self.out.append("</section>\n")

    def _cluster(self, cluster: Cluster) -> None:
        copies = [m for m in cluster.members if m != cluster.keep]
        meta = [f"{len(cluster.members)} documents", "keep " + _id(cluster.keep)]
        if cluster.sources:
            meta.append("outlets: " + ", ".join(escape(s) for s in cluster.sources))
        if cluster.syndicated:
            meta.append("syndicated across outlets")
        if cluster.earliest:
            meta.append("earliest " + _id(cluster.earliest))
        self.out.append(
            f'<article class="finding cluster"><h3>Cluster {cluster.id}</h3>'
            f'<p class="meta">{" · ".join(meta)}</p>'
        )
        members = set(cluster.members)
        for copy in copies[:_PAIRS_PER_CLUSTER]:
            match = self.pairs.get((cluster.keep, copy)) or self.pairs.get((copy, cluster.keep))
            if match is None and (link := self._link(copy, members)) is not None:
                # Clustered through another member: show the pair that links it.
                other = link.b if link.a == copy else link.a
                self.out.append(
                    f'<p class="meta">{_id(copy)} matched {_id(other)}, not the kept document '
                    "itself: clustered through it</p>"
                )
                self._pair(other, copy, link, "member", "copy")
                continue
            self._pair(cluster.keep, copy, match, "kept", "copy")
        if len(copies) > _PAIRS_PER_CLUSTER:
            rest = copies[_PAIRS_PER_CLUSTER:]
            shown = ", ".join(_id(m) for m in rest[:20])
            tail = f", … ({len(rest) - 20:,} more)" if len(rest) > 20 else ""
            self.out.append(
                f'<p class="more">{len(rest):,} more copies not shown side by side: '
                f"{shown}{tail}</p>"
            )
        self.out.append("</article>\n")

    def _link(self, doc: str, members: set[str]) -> Match | None:
        """The first near-duplicate match of ``doc`` with another of ``members``."""
        if not self._links:
            for match in self.report.matches:
                if match.kind == "near_duplicate":
                    self._links.setdefault(match.a, []).append(match)
                    self._links.setdefault(match.b, []).append(match)
        for match in self._links.get(doc, []):
            if (match.b if match.a == doc else match.a) in members:
                return match
        return None

    def _partial_copies(self) -> None:
        partial = [m for m in self.report.matches if m.kind == "partial"]
        partial.sort(key=lambda m: (-_held(m)[0], m.a, m.b))
        self._section_head("partial", "Partial copies", len(partial), "partial copies")
        for match in partial[: self.limit]:
            inner, outer = (match.a, match.b) if match.direction != "b_in_a" else (match.b, match.a)
            scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(match.scores.items()))
            share, what = _held(match)
            self.out.append(
                '<article class="finding partial">'
                f"<h3>{_id(outer)} contains {share:.0%} of the {what} of "
                f'{_id(inner)}</h3><p class="meta">{escape(scores)}</p>'
            )
            self._pair(match.a, match.b, match, "A", "B")
            self.out.append("</article>\n")
        self.out.append("</section>\n")

    def _repeats(self) -> None:
        by_document: dict[tuple[int, str], list[Repeat]] = {}
        for repeat in self.report.repeats:
            by_document.setdefault((repeat.ordinal, repeat.doc), []).append(repeat)
        groups = sorted(
            by_document.values(),
            key=lambda rs: (-sum(r.repeat.end - r.repeat.start for r in rs), rs[0].ordinal),
        )
        self._section_head(
            "repeats", "Documents with repeated paragraphs", len(groups), "documents"
        )
        for repeats in groups[: self.limit]:
            doc = repeats[0].doc
            text = self.report.texts.get(doc)
            self.out.append(
                f'<article class="finding repeats"><h3>{_id(doc)}</h3>'
                f'<p class="meta">{len(repeats)} repeated paragraph'
                f"{'s' if len(repeats) != 1 else ''}</p>"
            )
            for repeat in repeats[:_REPEATS_PER_DOCUMENT]:
                scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(repeat.scores.items()))
                first = self._span(text, repeat.first, "")
                second = self._span(text, repeat.repeat, repeat.excerpt)
                shown = text[repeat.first.start : repeat.first.end] if text else repeat.excerpt
                direction = _direction(shown)
                self.out.append(
                    '<div class="pair">'
                    f'<div class="side"><h4>paragraph {repeat.first.index} (first)</h4>'
                    f'<p class="passage" dir="{direction}"><mark class="repeat" data-p="0">'
                    f"{first}</mark></p></div>"
                    f'<div class="side"><h4>paragraph {repeat.repeat.index} repeats it '
                    f"({escape(repeat.kind)}; {escape(scores)})</h4>"
                    f'<p class="passage" dir="{direction}"><mark class="repeat" data-p="0">'
                    f"{second}</mark></p></div></div>"
                )
            if len(repeats) > _REPEATS_PER_DOCUMENT:
                self.out.append(
                    f'<p class="more">{len(repeats) - _REPEATS_PER_DOCUMENT:,} more repeats '
                    "in this document not shown</p>"
                )
            self.out.append("</article>\n")
        self.out.append("</section>\n")

    def _section_head(self, anchor: str, title: str, total: int, noun: str) -> None:
        self.out.append(f'<section id="{anchor}"><h2>{title} ({total:,})</h2>')
        if total > self.limit:
            self.out.append(
                f'<p class="note">The {self.limit:,} biggest are shown; '
                f"{total - self.limit:,} more {noun} are left out (the JSONL report lists "
                "them all).</p>"
            )
        elif total == 0:
            self.out.append(f'<p class="note">No {noun} found.</p>')

    # -- texts ---------------------------------------------------------------------------

    def _span(self, text: str | None, span: Paragraph, fallback: str) -> str:
        if text is None or span.end > len(text):
            return escape(fallback) if fallback else "<i>(text not kept in the report)</i>"
        return escape(_clip(text[span.start : span.end], self.max_chars))

    def _pair(self, a: str, b: str, match: Match | None, label_a: str, label_b: str) -> None:
        """Two documents of the batch side by side, their aligned paragraphs marked."""
        aligned: Sequence[tuple[int, int, float]] = ()
        exact = False
        if match is not None:
            aligned = match.aligned
            if match.a != a:
                aligned = [(j, i, score) for i, j, score in aligned]
            exact = not match.aligned and match.scores.get("jaccard", 0.0) >= 1.0
        self._sides(a, label_a, b, label_b, aligned, exact)

    def _sides(
        self,
        a: str,
        label_a: str,
        b: str,
        label_b: str,
        aligned: Sequence[tuple[int, int, float]],
        exact: bool,
        b_archived: bool = False,
    ) -> None:
        """``a`` beside ``b`` (an archived document if ``b_archived``), the paragraph pairs of
        ``aligned`` (``a`` index, ``b`` index, score) marked."""
        marks_a: dict[int, list[tuple[int, float]]] = {}
        marks_b: dict[int, list[tuple[int, float]]] = {}
        for number, (ia, ib, score) in enumerate(aligned):
            marks_a.setdefault(ia, []).append((number, score))
            marks_b.setdefault(ib, []).append((number, score))
        self.out.append('<div class="pair">')
        self._side(a, label_a, marks_a, exact)
        self._side(b, label_b, marks_b, exact, b_archived)
        self.out.append("</div>")

    def _side(
        self,
        doc: str,
        label: str,
        marks: dict[int, list[tuple[int, float]]],
        exact: bool,
        archived: bool = False,
    ) -> None:
        self.out.append(f'<div class="side"><h4>{escape(label)}: {_id(doc)}</h4>')
        report = self.report
        texts = report.archived_texts if archived and isinstance(report, CheckReport) else None
        text = (report.texts if texts is None else texts).get(doc)
        if text is None:
            self.out.append('<p class="folded">text not kept in the report</p></div>')
            return
        found = self._paragraphs.get((archived, doc))
        if found is None:
            found = self._paragraphs[archived, doc] = split_paragraphs(text)
        budget = self.max_chars
        # Shared paragraphs show past the budget, up to ten times it: a book-length copy would
        # make a page of megabytes (the JSONL report lists every aligned pair).
        room = _SHARED_ROOM * max(self.max_chars, 1000)
        folded = folded_chars = 0
        for position, paragraph in enumerate(found):
            marked = marks.get(paragraph.index)
            size = paragraph.end - paragraph.start
            if room <= 0:
                if folded:
                    self.out.append(_folded(folded, folded_chars))
                    folded = 0
                self.out.append(_beyond(found[position:], marks, exact))
                break
            if not marked and not exact and size > budget:
                folded += 1
                folded_chars += size
                continue
            if folded:
                self.out.append(_folded(folded, folded_chars))
                folded = folded_chars = 0
            clip = max(budget, 1000)
            body = escape(_clip(text[paragraph.start : paragraph.end], clip))
            budget = max(0, budget - size)
            room -= min(size, clip)
            if marked:
                keys = " ".join(str(n) for n, _ in marked)
                share = max(s for _, s in marked)
                body = (
                    f'<mark class="shared" data-p="{keys}" title="{share:.0%} shared">{body}</mark>'
                )
            elif exact:
                body = f'<mark class="shared exact" title="identical">{body}</mark>'
            direction = _direction(text[paragraph.start : paragraph.start + _DIRECTION_CHARS])
            self.out.append(
                f'<p class="passage" dir="{direction}"><span class="n">¶{paragraph.index} </span>'
                f"{body}</p>"
            )
        if folded:
            self.out.append(_folded(folded, folded_chars))
        if not found:
            self.out.append('<p class="folded">(empty)</p>')
        self.out.append("</div>")


_DIRECTION_CHARS = 2000  # enough letters to tell a paragraph's script


def _direction(text: str) -> str:
    """``rtl`` when most strongly directed letters of ``text`` read right to left, else ``ltr``
    (``auto`` with none). Not ``dir="auto"``, which follows the first letter: "BBC: قال…" would
    lay out an Arabic paragraph left to right."""
    rtl = ltr = 0
    for char in text[:_DIRECTION_CHARS]:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            ltr += 1
        elif kind in ("R", "AL"):
            rtl += 1
    if rtl == ltr == 0:
        return "auto"
    return "rtl" if rtl > ltr else "ltr"


def _id(doc: str) -> str:
    return f'<bdi class="id">{escape(doc)}</bdi>'


def _archive_direction(match: ArchiveMatch) -> str:
    """Which document of an archive match holds the other, and how much of it (sentences where
    they were aligned, else word 3-grams)."""
    if match.direction is None:
        return "neither holds the other"
    share, what = held_share(match.scores, "a" if match.direction == "doc_in_archived" else "b")
    if match.direction == "doc_in_archived":
        return f"the archived document holds {share:.0%} of the {what} of the batch document"
    return f"the batch document holds {share:.0%} of the {what} of the archived one"


def _folded(count: int, chars: int) -> str:
    noun = "paragraph" if count == 1 else "paragraphs"
    return f'<p class="folded">… {count:,} {noun} with no shared text ({chars:,} characters)</p>'


def _beyond(
    rest: Sequence[Paragraph], marks: dict[int, list[tuple[int, float]]], exact: bool
) -> str:
    chars = sum(p.end - p.start for p in rest)
    shared = len(rest) if exact else sum(1 for p in rest if p.index in marks)
    noun = "paragraph" if len(rest) == 1 else "paragraphs"
    return (
        f'<p class="folded">… {len(rest):,} more {noun} ({chars:,} characters, {shared:,} '
        "with shared text) past what a document shows</p>"
    )


def _counted(count: int, noun: str) -> str:
    """``1 copy``, ``2 copies``, ``0 documents``."""
    if count == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{count:,} {plural}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else grapheme_prefix(text, limit) + " …"


def _held(match: Match) -> tuple[float, str]:
    """How much of the contained document of a partial copy the other holds."""
    return held_share(match.scores, "b" if match.direction == "b_in_a" else "a")


# -- charts ------------------------------------------------------------------------------

_WIDTH, _HEIGHT, _LEFT, _BOTTOM, _TOP = 380, 160, 40, 30, 26


def _score_histogram(values: Iterable[float], title: str, colour: str, bins: int = 20) -> str:
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int(value * bins)))] += 1
    labels = [f"{i / bins:.2f}–{(i + 1) / bins:.2f}" for i in range(bins)]
    ticks = {0: "0", bins // 2: "0.5", bins - 1: "1"}
    return _bars(counts, labels, ticks, title, colour, tick_at_edge=True)


def _size_histogram(sizes: Iterable[int]) -> str:
    edges = [(2, 2), (3, 3), (4, 4), (5, 5), (6, 7), (8, 10), (11, 20), (21, 50), (51, 10**12)]
    labels = ["2", "3", "4", "5", "6–7", "8–10", "11–20", "21–50", "51+"]
    counts = [0] * len(edges)
    for size in sizes:
        for number, (low, high) in enumerate(edges):
            if low <= size <= high:
                counts[number] += 1
                break
    ticks = dict(enumerate(labels))
    return _bars(counts, labels, ticks, "Cluster sizes (documents)", "var(--bar2)")


def _bars(
    counts: list[int],
    labels: list[str],
    ticks: dict[int, str],
    title: str,
    colour: str,
    tick_at_edge: bool = False,
) -> str:
    plot_w = _WIDTH - _LEFT - 10
    plot_h = _HEIGHT - _BOTTOM - _TOP
    top = max(counts) if counts and max(counts) > 0 else 1
    step = plot_w / len(counts)
    parts = [
        f'<div class="chart"><svg width="{_WIDTH}" height="{_HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f'<text class="title" x="{_LEFT}" y="16">{escape(title)} (n = {sum(counts):,})</text>'
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" '
        'stroke="#9aa3b2"/>'
        f'<text x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{top:,}</text>'
        f'<text x="{_LEFT - 4}" y="{_TOP + plot_h}" text-anchor="end">0</text>'
    ]
    for number, count in enumerate(counts):
        height = plot_h * count / top
        x = _LEFT + number * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{_TOP + plot_h - height:.1f}" width="{step - 2:.1f}" '
            f'height="{height:.1f}" fill="{colour}"><title>{escape(labels[number])}: '
            f"{count:,}</title></rect>"
        )
    for number, label in ticks.items():
        if tick_at_edge and number == len(counts) - 1:
            x = _LEFT + plot_w
        elif tick_at_edge:
            x = _LEFT + number * step
        else:
            x = _LEFT + (number + 0.5) * step
        parts.append(
            f'<text x="{x:.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg></div>")
    return "".join(parts)
