"""Everything matching needs of one text, computed in one go: paragraphs, normal forms, shingles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.model import Paragraph
from dedup.text.normalize import NormalizedParagraphs, normalize_codepoints
from dedup.text.segment import paragraph_spans
from dedup.text.shingle import Shingles, shingle_normalized

__all__ = ["SHINGLE_N", "TextAnalysis", "analyze"]

# Word 3-grams: syndicated copies are reworded, so longer n-grams break at every edit (measured
# on ../shared/data: 3-grams keep more of a copy's overlap than 5-grams at the same precision).
SHINGLE_N = 3


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """A text's paragraphs (spans into it), their normal forms, and their shingles."""

    paragraphs: list[Paragraph]
    normalized: NormalizedParagraphs
    shingles: Shingles


def analyze(text: str, n: int = SHINGLE_N) -> TextAnalysis:
    """Segment, normalize and shingle ``text``."""
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    spans = paragraph_spans(codepoints)
    paragraphs = [Paragraph(i, start, end) for i, (start, end) in enumerate(spans.tolist())]
    normalized = normalize_codepoints(codepoints, spans, split_spaceless=True)
    return TextAnalysis(paragraphs, normalized, shingle_normalized(normalized, n))
