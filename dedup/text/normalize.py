"""Unicode and script-aware normalization for matching.

The steps, in order:

1. remove zero-width and bidi control characters, variation selectors, Arabic harakat, Quranic
   marks and tatweel;
2. NFKC, case-fold, NFKC again (case-folding can leave text that is not NFKC), and remove the
   marks of step 1 again (Arabic presentation forms decompose into letters with harakat);
3. unify letter variants: alef forms (أ إ آ ٱ → ا), ى → ي, ة → ه, Persian and Kurdish
   ک → ك and ی → ي, the forms of heh (Kurdish ە ھ, Persian ۀ, Urdu ہ ۂ ۃ) → ه, Kurdish
   ێ ڵ ڕ ۆ ڤ → ي ل ر و ف; the digits of
   every script (Arabic-Indic, Persian, Devanagari, Thai, …) → ASCII; traditional Chinese
   characters → simplified (國 → 国);
4. punctuation, symbols and control characters → space;
5. collapse white space.

``normalize`` is idempotent. It serves matching only: nothing dedup writes carries normalized text.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from dedup.cache import CACHE_DIR

__all__ = [
    "NormalizedParagraphs",
    "has_spaceless",
    "is_spaceless_char",
    "normalize",
    "normalize_codepoints",
    "reference_normalize",
    "space_spaceless",
    "tokenize",
    "word_counts",
]

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
    # variation selectors: "❤️" is "❤" drawn as an emoji, "葛󠄀" a glyph of "葛"
    + list(range(0xFE00, 0xFE10))
    + list(range(0x180B, 0x1810))
    + list(range(0xE0100, 0xE01F0))
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
    # Heh is written many ways: Sorani keyboards without ە and ھ type ه (the vowel as ه plus a
    # ZWNJ, which step 1 deletes), Persian writes ۀ or ه‌ی, Urdu ہ or ه. One letter for all, as
    # ة → ه does for Arabic: a word differing only in its heh is the same word far more often
    # than another one.
    "ە": "ه",
    "ھ": "ه",
    # Kurdish letters an Arabic keyboard lacks, typed as the plain letter on many sites (and
    # what NFKC and step 1 leave of a decomposed ێ or ۆ): one letter for both.
    "ێ": "ي",
    "ڵ": "ل",
    "ڕ": "ر",
    "ۆ": "و",
    "ڤ": "ف",
    "ۀ": "ه",
    "ہ": "ه",
    "ۂ": "ه",
    "ۃ": "ه",
}

_DELETE_TABLE: dict[int, int | None] = dict.fromkeys(_DELETE)
_LETTER_TABLE: dict[int, int | str | None] = {ord(k): v for k, v in _LETTERS.items()}

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
    """Code points that separate words: punctuation, symbols, controls and formats, as
    ``(first, last)`` ranges. Cached on disk (:func:`_cached`): finding them looks at every
    code point, 0.1 s in each process that meets a text the reference path normalizes. The tables
    are built from them: a change to either bumps ``_TABLE_VERSION``, which both names carry."""
    ranges = _cached(
        f"separators-v{_TABLE_VERSION}-unicode-{unicodedata.unidata_version}.npy",
        lambda: np.array(_scan_separator_ranges(), dtype=np.int64).reshape(-1, 2),
        lambda found: found.ndim == 2 and found.shape[1] == 2 and found.dtype == np.int64,
    )
    return [(first, last) for first, last in ranges.tolist()]


def _scan_separator_ranges() -> list[tuple[int, int]]:
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


def _digit_zeros() -> list[int]:
    """The digit zero of every script (Arabic-Indic ٠, Devanagari ०, Thai ๐, …): each is followed
    by its one to nine. Cached on disk as :func:`_separator_ranges` is."""
    zeros = _cached(
        f"digits-v{_TABLE_VERSION}-unicode-{unicodedata.unidata_version}.npy",
        lambda: np.array(
            [cp for cp in range(sys.maxunicode + 1) if unicodedata.decimal(chr(cp), None) == 0],
            dtype=np.int64,
        ),
        lambda found: found.ndim == 1 and found.dtype == np.int64,
    )
    return [int(zero) for zero in zeros.tolist()]


@cache
def _letters() -> dict[int, int | str | None]:
    """Step 3's table: the letter variants, the digits of every script as ASCII ones (a Thai
    paper may print a price ๑๒๐ that another prints 120), and traditional Chinese characters as
    simplified ones (Hong Kong and Taiwan papers reprint Xinhua's stories in traditional ones)."""
    digits = {zero + d: str(d) for zero in _digit_zeros() for d in range(10)}
    return {**digits, **_chinese_variants(), **_LETTER_TABLE}


_VARIANTS = Path(__file__).parent / "data" / "chinese_variants.txt"


@cache
def _variants_digest() -> str:
    """A short hash of the variants table, which the compiled table is built from."""
    return hashlib.sha256(_VARIANTS.read_bytes()).hexdigest()[:12]


def _chinese_variants() -> dict[int, int | str | None]:
    """Traditional character → simplified, from OpenCC (scripts/make_chinese_variants.py)."""
    lines = _VARIANTS.read_text("utf-8")
    pairs = (line.split("\t") for line in lines.splitlines() if not line.startswith("#"))
    return {ord(traditional): simplified for traditional, simplified in pairs}


@cache
def _separators() -> re.Pattern[str]:
    # Only the reference path and the table builder need it.
    return re.compile(f"[{_char_class(_separator_ranges())}]+")


@cache
def _spaceless_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    spaceless = _char_class(_SPACELESS_RANGES)
    return re.compile(f"[{spaceless}]"), re.compile(f"[{spaceless}]|[^\\s{spaceless}]+")


_ASCII_TABLE = {cp: 0x20 for cp in range(128) if not chr(cp).isalnum() and not chr(cp).isspace()}


# Characters a word of each spaceless script takes, about: Chinese and Japanese words are one to
# three characters, Thai, Lao, Khmer and Burmese ones a syllable or more of several letters and
# marks ("กรุงเทพมหานคร", Bangkok, is 13 code points).
_SOUTHEAST_ASIAN = [(0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF)]
_SOUTHEAST_ASIAN_CHARS_PER_WORD = 4
_CJK_CHARS_PER_WORD = 2


def has_spaceless(normalized: str) -> bool:
    """Whether normalized text holds a character of a script written without spaces."""
    return not normalized.isascii() and _spaceless_patterns()[0].search(normalized) is not None


def word_counts(
    paragraphs: NormalizedParagraphs, token_counts: npt.NDArray[np.int32]
) -> npt.NDArray[np.int32]:
    """About how many words each paragraph holds: its tokens (``token_counts``), where the
    characters of a script without spaces, a token each, count by the characters its words
    take."""
    codepoints = paragraphs.codepoints
    if codepoints.max(initial=0) < _SPACELESS_RANGES[0][0]:  # nearly every text: one pass
        return token_counts
    southeast = _in_ranges(codepoints, _SOUTHEAST_ASIAN)
    cjk = _in_ranges(codepoints, _SPACELESS_RANGES) & ~southeast
    if not cjk.any() and not southeast.any():
        return token_counts
    n_cjk, n_southeast = (
        _per_paragraph(mask, paragraphs.starts, paragraphs.ends) for mask in (cjk, southeast)
    )
    words = n_cjk / _CJK_CHARS_PER_WORD + n_southeast / _SOUTHEAST_ASIAN_CHARS_PER_WORD
    return (token_counts - n_cjk - n_southeast + np.ceil(words - 1e-9)).astype(np.int32)


def _per_paragraph(
    mask: npt.NDArray[np.bool_], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    totals = np.concatenate([[0], np.cumsum(mask)])
    result: npt.NDArray[np.int64] = totals[ends] - totals[starts]
    return result


def _in_ranges(
    codepoints: npt.NDArray[np.uint32], ranges: list[tuple[int, int]]
) -> npt.NDArray[np.bool_]:
    found = np.zeros(len(codepoints), dtype=np.bool_)
    for lo, hi in ranges:
        found |= (codepoints >= lo) & (codepoints <= hi)
    return found


def is_spaceless_char(char: str) -> bool:
    """True for a character of a script written without spaces (CJK, Thai, Lao, Khmer, Myanmar)."""
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in _SPACELESS_RANGES)


def reference_normalize(text: str) -> str:
    """The normalization spelled out step by step in Python: the definition the fast path follows.

    Slow (hundreds of nanoseconds a character); :func:`normalize` gives the same result.
    """
    separators = _separators()
    text = text.translate(_DELETE_TABLE)
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKC", text.casefold())
    # Presentation forms decompose into letters with harakat: delete those too.
    text = text.translate(_DELETE_TABLE).translate(_letters())
    text = separators.sub(" ", text)
    return " ".join(text.split())


def normalize(text: str) -> str:
    """Return ``text`` normalized for matching (see the module docstring for the steps)."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_TABLE).split())
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    spans = np.array([[0, len(codepoints)]], dtype=np.int64)
    result = normalize_codepoints(codepoints, spans, split_spaceless=False)
    return result.paragraph(0)


def tokenize(normalized: str) -> list[str]:
    """Split normalized text into tokens: words, and single characters of spaceless scripts."""
    has_spaceless, tokens = _spaceless_patterns()
    if normalized.isascii() or not has_spaceless.search(normalized):
        return normalized.split()
    return tokens.findall(normalized)


def space_spaceless(normalized: str) -> str:
    """Normalized text with every character of a spaceless script standing as its own token."""
    if normalized.isascii():
        return normalized
    has_spaceless, tokens = _spaceless_patterns()
    if not has_spaceless.search(normalized):
        return normalized
    return " ".join(tokens.findall(normalized))


# The fast path: one table lookup per code point in a compiled loop. Each table entry is the code
# point a character becomes, or one of these markers; _SPACELESS flags a spaceless-script result.
_DELETED = -1
_COMPLEX = -2  # needs the reference path: expands, composes, or is a combining mark
_SPACE = 0x20
_SPACELESS = 1 << 24
_TABLE_SIZE = 0x30000
_FIRST_EXPANSION = -16  # entries -16, -17, … name expansion 0, 1, … stored after the table
_MAX_EXPANSION = 4
_HANGUL_JAMO = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))


_TABLE_VERSION = 7


@cache
def _tables() -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """(normalizing table, table for text that is already normalized), cached on disk
    (:func:`_cached`): building them takes about a second."""
    both = _cached(
        f"normalize-v{_TABLE_VERSION}-{_variants_digest()}-unicode-{unicodedata.unidata_version}.npy",
        lambda: np.stack(_build_tables()),
        lambda found: found.ndim == 2 and found.shape[0] == 2 and found.dtype == np.int32,
    )
    return both[0], both[1]


def _cached(
    name: str,
    build: Callable[[], npt.NDArray[Any]],
    valid: Callable[[npt.NDArray[Any]], bool],
) -> npt.NDArray[Any]:
    """The array cached on disk as ``name``, or built (and cached) when it is not there or not
    ``valid``. Names carry this Python's Unicode version, so an upgrade builds anew; a cache
    that cannot be read or written is simply rebuilt. Never unpickled."""
    path = CACHE_DIR / name
    try:
        found: npt.NDArray[Any] = np.load(path, allow_pickle=False)
        if valid(found):
            return found
    except (OSError, ValueError):
        pass
    built = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            np.save(handle, built, allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        pass
    return built


def _build_tables() -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    separators = _separators()
    spaceless = np.zeros(_TABLE_SIZE, dtype=bool)
    for lo, hi in _SPACELESS_RANGES:
        spaceless[lo : min(hi, _TABLE_SIZE - 1) + 1] = True
    table = np.empty(_TABLE_SIZE, dtype=np.int32)
    identity = np.arange(_TABLE_SIZE, dtype=np.int32)
    deleted = set(_DELETE)
    jamo = [cp for lo, hi in _HANGUL_JAMO for cp in range(lo, hi + 1)]
    expansions: list[str] = []
    for cp in range(_TABLE_SIZE):
        char = chr(cp)
        if char.isspace():
            table[cp] = identity[cp] = _SPACE
            continue
        if 0xD800 <= cp <= 0xDFFF:
            table[cp] = _COMPLEX
            continue
        if cp in deleted:
            table[cp] = _DELETED
            continue
        if unicodedata.category(char)[0] == "M":
            table[cp] = _COMPLEX
            continue
        result = unicodedata.normalize("NFKC", char)
        result = unicodedata.normalize("NFKC", result.casefold())
        result = result.translate(_DELETE_TABLE).translate(_letters())
        result = separators.sub(" ", result)
        if result.strip() == "":
            table[cp] = _SPACE if result else _DELETED
        elif any(unicodedata.category(c)[0] == "M" for c in result):
            table[cp] = _COMPLEX
        elif len(result) == 1:
            table[cp] = ord(result)
        elif len(result) <= _MAX_EXPANSION:
            table[cp] = _FIRST_EXPANSION - len(expansions)
            expansions.append(result)
        else:
            table[cp] = _COMPLEX
    table[jamo] = _COMPLEX
    mapped = table >= 0
    targets = np.where(mapped, table, 0)
    table[mapped & spaceless[np.minimum(targets, _TABLE_SIZE - 1)]] |= _SPACELESS
    identity[spaceless] |= _SPACELESS
    # Expansions (ligatures, ß → ss) are stored after the table: _MAX_EXPANSION entries each.
    tail = np.full((len(expansions), _MAX_EXPANSION), _DELETED, dtype=np.int32)
    for k, result in enumerate(expansions):
        for m, char in enumerate(result):
            code = ord(char)
            tail[k, m] = (
                _SPACE if char == " " else code | (_SPACELESS if is_spaceless_char(char) else 0)
            )
    return np.concatenate([table, tail.ravel()]), np.concatenate([identity, tail.ravel()])


@numba.njit(cache=True, nogil=True)
def _normalize_kernel(
    codepoints: npt.NDArray[np.uint32],
    spans: npt.NDArray[np.int64],
    table: npt.NDArray[np.int32],
    beyond_table_is_complex: bool,
    split_spaceless: bool,
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int32],
    bool,
]:
    # Returns the normal text (paragraphs joined by "\n"), where each paragraph starts in it,
    # each paragraph's hash, and, as dedup.text.shingle._shingle_kernel would find them in the
    # normal text, the token hashes and each paragraph's token count: tokens are hashed as they
    # are written, which spares the shingler a pass over the text.
    size = codepoints.shape[0]
    table_size = 0x30000
    out = np.empty(6 * size + spans.shape[0] + 1, dtype=np.uint32)
    offsets = np.zeros(spans.shape[0] + 1, dtype=np.int64)
    hashes = np.zeros(spans.shape[0], dtype=np.uint64)
    tokens = np.empty(out.shape[0] // 2 + 1, dtype=np.uint64)
    token_counts = np.zeros(spans.shape[0], dtype=np.int32)
    n = t = 0
    for p in range(spans.shape[0]):
        if p > 0:
            out[n] = 10  # paragraph separator
            n += 1
        start = n
        pending_space = False
        h = np.uint64(0xCBF29CE484222325)
        token = np.uint64(0xCBF29CE484222325)
        for i in range(spans[p, 0], spans[p, 1]):
            c = codepoints[i]
            if c < table_size:
                v = table[c]
            elif beyond_table_is_complex:
                return out[:0], offsets, hashes, tokens[:0], token_counts, True
            else:
                v = np.int32(c)
                if c <= 0x3134F:  # CJK extensions G and up: a spaceless script, as below it
                    v |= np.int32(1 << 24)
            if v == -2:
                return out[:0], offsets, hashes, tokens[:0], token_counts, True
            if v == -1:
                continue
            if v <= -16:  # an expansion: up to four values stored after the table
                base = table_size + (-16 - v) * 4
                parts = 4
            else:
                base = -1
                parts = 1
            for m in range(parts):
                if base >= 0:
                    v = table[base + m]
                    if v == -1:
                        break
                if v == 32:
                    pending_space = n > start
                    continue
                is_spaceless = (v & (1 << 24)) != 0
                v = v & 0xFFFFFF
                if split_spaceless and is_spaceless and n > start:
                    pending_space = True
                if pending_space:
                    out[n] = 32
                    h = (h ^ np.uint64(32)) * np.uint64(0x100000001B3)
                    n += 1
                    pending_space = False
                    tokens[t] = _fmix64(token)
                    t += 1
                    token_counts[p] += 1
                    token = np.uint64(0xCBF29CE484222325)
                out[n] = v
                h = (h ^ np.uint64(v)) * np.uint64(0x100000001B3)
                token = (token ^ np.uint64(v)) * np.uint64(0x100000001B3)
                n += 1
                if split_spaceless and is_spaceless:
                    pending_space = True
        if n > start:
            tokens[t] = _fmix64(token)
            t += 1
            token_counts[p] += 1
        offsets[p + 1] = n
        hashes[p] = h if n > start else np.uint64(0)
    # offsets[p] is where paragraph p - 1 ended: paragraph p starts after its separator.
    for p in range(1, spans.shape[0]):
        offsets[p] += 1
    return out[:n], offsets, hashes, tokens[:t], token_counts, False


@numba.njit(cache=True, nogil=True)
def _fmix64(h: np.uint64) -> np.uint64:
    # MurmurHash3's 64-bit finalizer: each token hash's bits mixed (dedup.text.shingle's too).
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@dataclass(frozen=True, slots=True)
class NormalizedParagraphs:
    """The normalized paragraphs of a document as code points, joined by ``"\n"``.

    ``offsets[p]:ends[p]`` is paragraph ``p``; ``hashes[p]`` a 64-bit hash of its normalized text
    (0 when empty), so equal paragraphs are found without building strings.
    """

    codepoints: npt.NDArray[np.uint32]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    hashes: npt.NDArray[np.uint64]

    def __len__(self) -> int:
        return len(self.hashes)

    def paragraph(self, index: int) -> str:
        piece = self.codepoints[self.starts[index] : self.ends[index]]
        return piece.tobytes().decode("utf-32-le", "surrogatepass")


def normalize_codepoints(
    codepoints: npt.NDArray[np.uint32], spans: npt.NDArray[np.int64], split_spaceless: bool
) -> NormalizedParagraphs:
    """Normalize the paragraphs at ``spans`` (code point ``[start, end)`` rows) of a document."""
    table, identity = _tables()
    out, offsets, hashes, _, _, complex_text = _normalize_kernel(
        codepoints, spans, table, True, split_spaceless
    )
    if complex_text:
        # Rare: combining marks, Hangul jamo, expanding characters. Take the reference path,
        # then let the kernel hash (and split spaceless scripts in) its already-normal text.
        text = codepoints.tobytes().decode("utf-32-le", "surrogatepass")
        pieces = [reference_normalize(text[start:end]) for start, end in spans.tolist()]
        joined = "\n".join(pieces)
        normal = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        lengths = np.array([len(piece) for piece in pieces], dtype=np.int64)
        ends = np.cumsum(lengths + 1) - 1
        new_spans = np.stack([ends - lengths, ends], axis=1) if len(pieces) else spans
        out, offsets, hashes, _, _, _ = _normalize_kernel(
            normal, new_spans, identity, False, split_spaceless
        )
    starts = offsets[:-1].copy()
    ends = np.empty_like(starts)
    if len(starts):
        ends[:-1] = starts[1:] - 1
        ends[-1] = len(out)
    return NormalizedParagraphs(out, starts, ends, hashes)
