"""Frozen, validated settings. Each is built once (by the CLI or a library user) and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from dedup.errors import ConfigError

__all__ = ["ReadConfig", "RepeatConfig", "ScanConfig"]


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
        _require(
            self.max_doc_bytes > 0,
            f"max_doc_bytes must be positive, got {self.max_doc_bytes} (--max-doc-bytes)",
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
        _require(self.min_tokens >= 1, f"min_tokens must be at least 1, got {self.min_tokens}")
        _require(
            self.max_prefix_chars >= 0,
            f"max_prefix_chars must not be negative, got {self.max_prefix_chars}",
        )
        _require(
            0.0 < self.min_containment <= 1.0,
            f"min_containment must be in (0, 1], got {self.min_containment}",
        )
        _require(
            0.0 < self.min_similarity <= 100.0,
            f"min_similarity must be in (0, 100], got {self.min_similarity}",
        )


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Everything a scan needs: how to read, and what to look for."""

    read: ReadConfig = field(default_factory=ReadConfig)
    repeats: RepeatConfig = field(default_factory=RepeatConfig)
    find_repeats: bool = True
