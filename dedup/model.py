"""The data that flows through dedup: documents, their paragraphs, and the findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ArchiveMatch",
    "CheckReport",
    "Cluster",
    "Document",
    "Match",
    "MatchKind",
    "Paragraph",
    "Repeat",
    "RepeatKind",
    "Report",
    "archive_order",
]

RepeatKind = Literal["exact", "prefixed", "contained", "edited"]
MatchKind = Literal["near_duplicate", "partial"]
ArchiveDirection = Literal["doc_in_archived", "archived_in_doc"]


@dataclass(slots=True)
class Document:
    """One text with its identity and metadata.

    ``path`` and ``line`` say where it was read (``line`` is the 1-based line where a JSONL,
    CSV or JSON record begins, ``None`` for a whole text file); ``ordinal`` is its 0-based position
    among all documents read, which stays unique when ids repeat. ``positional_id``: the record
    had no id, and ``id`` is where it was read (``FILE:LINE``).
    """

    id: str
    text: str
    path: str = ""
    line: int | None = None
    ordinal: int = 0
    source: str | None = None
    date: str | None = None
    title: str | None = None
    url: str | None = None
    positional_id: bool = False


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of a document: its 0-based index and ``[start, end)`` character span."""

    index: int
    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class Repeat:
    """A paragraph that repeats an earlier paragraph of the same document."""

    doc: str
    first: Paragraph
    repeat: Paragraph
    kind: RepeatKind
    scores: dict[str, float]
    excerpt: str = ""
    ordinal: int = 0
    # A contained repeat whose later paragraph is the longer (normalized): clean drops the first.
    later_contains_first: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "repeat",
            "doc": self.doc,
            "first": self.first.to_dict(),
            "repeat": self.repeat.to_dict(),
            "kind": self.kind,
            "scores": self.scores,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """Two documents verified to share text: the same article, or one reusing part of the other.

    ``direction`` is ``"a_in_b"`` when ``a`` lies (mostly) inside ``b``, ``"b_in_a"`` for the
    reverse, ``None`` when neither contains the other. ``aligned`` lists the paragraph pairs
    that match, as ``(a_index, b_index, score)``.
    """

    a: str
    b: str
    kind: MatchKind
    direction: Literal["a_in_b", "b_in_a"] | None
    scores: dict[str, float]
    aligned: tuple[tuple[int, int, float], ...] = ()
    a_ordinal: int = 0
    b_ordinal: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "match",
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "direction": self.direction,
            "scores": self.scores,
            "aligned": [{"a": i, "b": j, "score": s} for i, j, s in self.aligned],
        }


@dataclass(frozen=True, slots=True)
class Cluster:
    """Documents that are copies of one another; ``keep`` is the one a clean corpus keeps."""

    id: int
    members: tuple[str, ...]
    keep: str
    sources: tuple[str, ...] = ()
    syndicated: bool = False
    earliest: str | None = None
    ordinals: tuple[int, ...] = ()
    keep_ordinal: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "cluster",
            "id": self.id,
            "members": list(self.members),
            "keep": self.keep,
            "sources": list(self.sources),
            "syndicated": self.syndicated,
            "earliest": self.earliest,
        }


@dataclass(slots=True)
class Report:
    """Everything a scan found, plus counts for the summary.

    ``texts`` holds the original text of documents with findings (up to a limit, largest
    findings first), by id, for renderers that show them side by side; ``errors`` the messages
    of the bad records skipped.
    """

    documents: int = 0
    skipped: int = 0
    bytes_read: int = 0
    repeats: list[Repeat] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "documents": self.documents,
            "skipped": self.skipped,
            "repeats": len(self.repeats),
            "documents_with_repeats": len({r.doc for r in self.repeats}),
            "matches": len(self.matches),
            "near_duplicates": sum(m.kind == "near_duplicate" for m in self.matches),
            "partial_copies": sum(m.kind == "partial" for m in self.matches),
            "clusters": len(self.clusters),
            "duplicate_documents": sum(len(c.members) - 1 for c in self.clusters),
        }


@dataclass(frozen=True, slots=True)
class ArchiveMatch:
    """A new document verified to share text with a document already in the archive index.

    ``direction`` is ``"doc_in_archived"`` when the new document lies (mostly) inside the
    archived one, ``"archived_in_doc"`` for the reverse, ``None`` when neither contains the
    other. ``aligned`` lists matching paragraph pairs ``(doc_index, archived_index, score)``;
    ``path`` and ``line`` say where the new document was read.
    """

    doc: str
    archived: str
    kind: MatchKind
    direction: ArchiveDirection | None
    scores: dict[str, float]
    aligned: tuple[tuple[int, int, float], ...] = ()
    ordinal: int = 0
    path: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "archive_match",
            "doc": self.doc,
            "archived": self.archived,
            "kind": self.kind,
            "direction": self.direction,
            "scores": self.scores,
            "aligned": [{"doc": i, "archived": j, "score": s} for i, j, s in self.aligned],
            "file": self.path,
            "line": self.line,
        }


def archive_order(match: ArchiveMatch) -> tuple[bool, int, str]:
    """The order reports show archive matches in: near-duplicates (what fails a check) before
    partial copies, each in batch order."""
    return (match.kind != "near_duplicate", match.ordinal, match.archived)


@dataclass(slots=True)
class CheckReport(Report):
    """A batch checked against an archive: the batch's own findings plus its archive matches.

    ``duplicates`` are the ordinals of batch documents that are near-duplicates of an archived
    document or of another batch document kept; ``added`` how many documents ``--add`` stored;
    ``archive_documents`` the index size before the check; ``locations`` maps the ordinals of
    documents with findings to where they were read ``(path, line)``. ``archived_texts`` holds
    the texts of archived documents that matched, by archived id (apart from ``texts``: an
    archived id may name another document of the batch), within the same bounds as ``texts``.
    """

    archive_matches: list[ArchiveMatch] = field(default_factory=list)
    archive_documents: int = 0
    duplicates: list[int] = field(default_factory=list)
    added: int = 0
    locations: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    archived_texts: dict[str, str] = field(default_factory=dict)
    # The limits the batch broke (--max-duplicates, --max-rate), as messages: the gate failed.
    over_limits: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        summary = Report.summary(self)
        summary.update(
            archive_documents=self.archive_documents,
            archive_matches=len(self.archive_matches),
            archive_near_duplicates=sum(m.kind == "near_duplicate" for m in self.archive_matches),
            archive_partial_copies=sum(m.kind == "partial" for m in self.archive_matches),
            duplicates=len(self.duplicates),
            added=self.added,
        )
        return summary

    @property
    def duplicate_rate(self) -> float:
        """Share of the batch's documents that are duplicates (0 for an empty batch)."""
        return len(self.duplicates) / self.documents if self.documents else 0.0
