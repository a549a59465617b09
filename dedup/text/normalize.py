"""Unicode and script-aware normalization for matching.

The steps, in order:

1. remove zero-width and bidi control characters, Arabic harakat, Quranic marks and tatweel;
2. NFKC, case-fold, NFKC again (case-folding can leave text that is not NFKC);
3. unify letter variants: alef forms (أ إ آ ٱ → ا), ى → ي, ة → ه, Persian and Kurdish
   ک → ك and ی → ي; Arabic-Indic and Persian digits → ASCII;
4. punctuation, symbols and control characters → space;
5. collapse white space.

``normalize`` is idempotent. It serves matching only: nothing dedup writes carries normalized text.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

__all__ = ["is_spaceless_char", "normalize", "space_spaceless", "tokenize"]

_DELETE = (
    list(range(0x200B, 0x2010))  # zero-width space/joiners, LRM, RLM
    + list(range(0x202A, 0x202F))  # bidi embeddings and overrides
    + list(range(0x2060, 0x2065))  # word joiner, invisible operators
    + list(range(0x2066, 0x206A))  # bidi isolates
    + [0xFEFF, 0x061C, 0x00AD, 0x180E]  # BOM, Arabic letter mark, soft hyphen, Mongolian vs
    + list(range(0x0610, 0x061B))  # Arabic honorific and Quranic signs
    + list(range(0x064B, 0x0660))  # harakat: fathatan … wavy hamza below
    + [0x0670, 0x0640]  # superscript alef, tatweel
    + list(range(0x06D6, 0x06DD))  # Quranic annotation signs
    + list(range(0x06DF, 0x06E5))
    + list(range(0x06E7, 0x06E9))
    + list(range(0x06EA, 0x06EE))
)

_LETTERS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ک": "ك",
    "ی": "ي",
}

_DELETE_TABLE: dict[int, int | None] = dict.fromkeys(_DELETE)
_LETTER_TABLE: dict[int, int | str | None] = {ord(k): v for k, v in _LETTERS.items()}
_LETTER_TABLE.update({0x0660 + d: str(d) for d in range(10)})
_LETTER_TABLE.update({0x06F0 + d: str(d) for d in range(10)})

# Scripts written without spaces between words: matched by characters, not words.
_SPACELESS_RANGES = [
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31F0, 0x31FF),  # Katakana extension
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B-G
]


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


def _separator_ranges() -> list[tuple[int, int]]:
    """Code points that separate words: punctuation, symbols, controls and formats."""
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF or 0x30000 <= cp < 0xE0000:
            continue
        cat = unicodedata.category(chr(cp))
        if cat[0] in "PS" or cat in ("Cc", "Cf", "Co"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return ranges


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], dict[int, int]]:
    separators = re.compile(f"[{_char_class(_separator_ranges())}]+")
    spaceless = _char_class(_SPACELESS_RANGES)
    has_spaceless = re.compile(f"[{spaceless}]")
    tokens = re.compile(f"[{spaceless}]|[^\\s{spaceless}]+")
    ascii_table = {cp: 0x20 for cp in range(128) if not chr(cp).isalnum() and not chr(cp).isspace()}
    return separators, has_spaceless, tokens, ascii_table


def is_spaceless_char(char: str) -> bool:
    """True for a character of a script written without spaces (CJK, Thai, Lao, Khmer, Myanmar)."""
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in _SPACELESS_RANGES)


def normalize(text: str) -> str:
    """Return ``text`` normalized for matching (see the module docstring for the steps)."""
    separators, _, _, ascii_table = _patterns()
    if text.isascii():
        return " ".join(text.lower().translate(ascii_table).split())
    text = text.translate(_DELETE_TABLE)
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = text.translate(_LETTER_TABLE)
    text = separators.sub(" ", text)
    return " ".join(text.split())


def tokenize(normalized: str) -> list[str]:
    """Split normalized text into tokens: words, and single characters of spaceless scripts."""
    _, has_spaceless, tokens, _ = _patterns()
    if normalized.isascii() or not has_spaceless.search(normalized):
        return normalized.split()
    return tokens.findall(normalized)


def space_spaceless(normalized: str) -> str:
    """Normalized text with every character of a spaceless script standing as its own token."""
    if normalized.isascii():
        return normalized
    _, has_spaceless, tokens, _ = _patterns()
    if not has_spaceless.search(normalized):
        return normalized
    return " ".join(tokens.findall(normalized))
