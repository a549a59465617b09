"""Frozen, validated settings. Each is built once (by the CLI or a library user) and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

from dedup.errors import ConfigError

__all__ = ["KeepPolicy", "MatchConfig", "ReadConfig", "RepeatConfig", "ScanConfig"]


# Bounds that no real setting reaches; past them, sizes overflow the machine's integers.
_MAX_DOC_BYTES = 2**40
_MAX_COUNT = 2**31 - 1


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """How to turn input files into documents.

    ``id_field`` falls back to ``FILE:LINE`` for records that lack it. Meta fields are optional:
    ``None`` means the input has no such field.
    """

    text_field: str = "text"
    id_field: str = "id"
    source_field: str | None = None
    date_field: str | None = None
    title_field: str | None = None
    url_field: str | None = None
    glob: str = "*.txt"
    skip_bad: bool = False
    max_doc_bytes: int = 10_000_000

    def __post_init__(self) -> None:
        _require(bool(self.text_field), "text_field must not be empty (--text-field)")
        glob = PurePath(self.glob)
        _require(
            bool(self.glob) and not glob.is_absolute() and ".." not in glob.parts,
            f"glob must match files inside the folder, got {self.glob!r}: no absolute path, "
            "no '..' (--glob)",
        )
        _require(
            0 < self.max_doc_bytes <= _MAX_DOC_BYTES,
            f"max_doc_bytes must be between 1 and {_MAX_DOC_BYTES:,}, got {self.max_doc_bytes} "
            "(--max-doc-bytes)",
        )


@dataclass(frozen=True, slots=True)
class RepeatConfig:
    """When a later paragraph counts as a repeat of an earlier one in the same document.

    Paragraphs with fewer than ``min_tokens`` tokens (words, or characters of spaceless scripts)
    are never compared: stock phrases, chart rows and short headings recur legitimately.
    A shorter paragraph of at least ``min_block_tokens`` tokens counts only as part of a block:
    printed twice in a row, or beside a repeated paragraph at the same distance.
    ``max_prefix_chars`` bounds what may stand before a copy (a dateline, "و", "And").
    ``min_containment`` is the share of the shorter paragraph's word 3-grams found in the longer;
    ``min_similarity`` the rapidfuzz ratio (0-100) for a lightly edited copy.
    """

    min_tokens: int = 13
    min_block_tokens: int = 3
    max_prefix_chars: int = 60
    min_containment: float = 0.9
    min_similarity: float = 90.0

    def __post_init__(self) -> None:
        _require(
            1 <= self.min_tokens <= _MAX_COUNT,
            f"min_tokens must be between 1 and {_MAX_COUNT:,}, got {self.min_tokens} "
            "(--min-tokens)",
        )
        _require(
            self.max_prefix_chars >= 0,
            f"max_prefix_chars must not be negative, got {self.max_prefix_chars}",
        )
        _require(
            0.0 < self.min_containment <= 1.0,
            f"min_containment must be in (0, 1], got {self.min_containment} (--min-containment)",
        )
        _require(
            0.0 < self.min_similarity <= 100.0,
            f"min_similarity must be in (0, 100], got {self.min_similarity} (--min-similarity)",
        )


KeepPolicy = Literal["first", "longest", "earliest", "source"]


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """How copies across documents are proposed (MinHash LSH) and decided (exact measures).

    LSH uses ``bands`` x ``rows`` of the ``num_perm`` permutations; its threshold is set low on
    purpose (two bands of 2 rows catch pairs of 3-gram Jaccard 0.1 about half the time and 0.3
    almost always): verification decides. Documents with fewer than ``min_tokens`` words match
    only when identical after normalization: short texts differ in the one word that matters.
    A pair proposed by the document bands only is verified when at least
    ``min_estimated_jaccard`` of its signature values agree (the MinHash estimate of Jaccard).
    Passages are banded on their own too (``passage_bands`` x ``passage_rows``), so a text
    reusing part of a longer one is proposed: a passage is two consecutive blocks of
    ``passage_block`` 3-grams (stride one block), cut without regard to paragraph breaks, which
    many scraped articles lack and copies place differently. A passage shared by more than
    ``max_passage_bucket`` documents is boilerplate and proposes nothing.

    Verification thresholds (see :func:`dedup.verify.classify`) were chosen on the labelled
    pairs of ../shared/data (``bench/copies_quality.py``): ``near_*`` decide near-duplicates,
    ``partial_*`` partial copies. "weighted" is the IDF-weighted share of a text's words found in
    the other; "sentences" the share of its sentences with a close match; "small"/"large" the
    higher and lower of the two directions. A pair sharing at least ``obvious_jaccard`` of its
    3-grams and ``obvious_weighted`` of both texts' rarer words is a copy without the (costly)
    sentence alignment and without the formula check below (not lower: at 0.8, two execution
    notices of one formula around other names passed as copies). A pair whose shared 3-grams
    are held by more than ``template_df`` documents (25th percentile), and by ``template_ratio``
    times more than the contained text's 3-grams as a whole, shares only a formula (a cable, a
    notice): it is no partial copy, and no near-duplicate either unless it shares at least
    ``template_weighted`` of the smaller text's rarer words, the names a formula is wrapped
    around (:mod:`dedup.commonness`). Two longer texts that each hold a few figures are no
    near-duplicates when each has less than ``min_figures_shared`` of its figures in the other
    (by their leading digits), and no copy at all under 0.15 (or ``min_figures_shared`` if
    lower; 0 turns both off): the same report on another day, its wording a formula around new
    figures.
    """

    num_perm: int = 128
    seed: int = 1
    bands: int = 64
    rows: int = 2
    min_tokens: int = 20
    min_estimated_jaccard: float = 0.05
    passage_bands: int = 16
    passage_rows: int = 4
    passage_block: int = 40
    max_passage_bucket: int = 50
    obvious_jaccard: float = 0.5
    obvious_weighted: float = 0.85
    near_weighted_small: float = 0.65
    near_sentences_small: float = 0.75
    near_sentences_large: float = 0.3
    partial_containment: float = 0.45
    partial_weighted: float = 0.5
    partial_sentences: float = 0.75
    template_df: float = 25.0
    template_ratio: float = 1.6
    template_weighted: float = 0.9
    min_figures_shared: float = 0.25
    keep: KeepPolicy = "first"
    source_priority: tuple[str, ...] = ()
    window_days: float | None = None

    def __post_init__(self) -> None:
        _require(self.num_perm >= 1, f"num_perm must be at least 1, got {self.num_perm}")
        _require(
            self.bands >= 1 and self.rows >= 1 and self.bands * self.rows <= self.num_perm,
            f"bands x rows ({self.bands} x {self.rows}) must fit in num_perm ({self.num_perm})",
        )
        _require(
            self.passage_bands * self.passage_rows <= self.num_perm,
            f"passage bands x rows ({self.passage_bands} x {self.passage_rows}) must fit "
            f"in num_perm ({self.num_perm})",
        )
        _require(
            self.passage_block >= 1, f"passage_block must be at least 1, got {self.passage_block}"
        )
        for name in (
            "obvious_jaccard",
            "obvious_weighted",
            "near_weighted_small",
            "near_sentences_small",
            "near_sentences_large",
            "partial_containment",
            "partial_weighted",
            "partial_sentences",
            "template_weighted",
            "min_figures_shared",
        ):
            value = getattr(self, name)
            _require(0.0 <= value <= 1.0, f"{name} must be between 0 and 1, got {value}")
        _require(self.template_df >= 0, f"template_df must not be negative, got {self.template_df}")
        _require(
            self.template_ratio >= 1.0,
            f"template_ratio must be at least 1, got {self.template_ratio}",
        )
        _require(
            self.keep != "source" or bool(self.source_priority),
            "keep policy 'source' needs a source priority list (--source-priority a,b,c)",
        )
        _require(
            self.window_days is None or self.window_days >= 0,
            f"window_days must not be negative, got {self.window_days} (--window)",
        )


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Everything a scan needs: how to read, and what to look for.

    ``report_texts`` bounds how many documents' texts a report keeps for side-by-side views,
    and ``report_chars`` how many characters they hold between them (a view without its text
    says so).
    """

    read: ReadConfig = field(default_factory=ReadConfig)
    repeats: RepeatConfig = field(default_factory=RepeatConfig)
    matches: MatchConfig = field(default_factory=MatchConfig)
    find_repeats: bool = True
    find_matches: bool = True
    report_texts: int = 2000
    report_chars: int = 50_000_000
    # Digests keep each document's counted 3-gram bins, for an archive index to count
    # (dedup.index.counts); a scan alone needs only the totals.
    shingle_bins: bool = False

    def check_fields(self) -> None:
        """Raise ConfigError when matching settings need a field the reading does not name (a
        scan of files: documents built in memory carry their own dates and sources)."""
        matches, read = self.matches, self.read
        if not self.find_matches:
            return
        _require(
            read.date_field is not None or matches.keep != "earliest",
            "keep policy 'earliest' needs the documents' dates (--date-field)",
        )
        _require(
            read.date_field is not None or matches.window_days is None,
            "a window needs the documents' dates (--date-field)",
        )
        _require(
            read.source_field is not None or not matches.source_priority,
            "a source priority needs the documents' sources (--source-field)",
        )
