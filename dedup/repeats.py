"""Repeated paragraphs inside one document.

A later paragraph repeats an earlier one when, after normalization, it is

* ``exact``: the same text;
* ``prefixed``: the same text behind a short prefix (a dateline, "و", "And"), or the earlier copy
  carried the prefix;
* ``contained``: one lies inside the other (most of the shorter one's word 3-grams);
* ``edited``: lightly edited (a word dropped or changed), by rapidfuzz's normalized similarity.

Candidates are the paragraph pairs that share a good part of their word 3-grams; rapidfuzz
scores only those. An edited or contained copy adds no figure to the paragraph it repeats
(:mod:`dedup.text.numbers`): a daily update that changes only its figures says something new.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from dedup.config import RepeatConfig
from dedup.model import Document, Paragraph, Repeat, RepeatKind
from dedup.text.analyze import TextAnalysis, analyze
from dedup.text.graphemes import grapheme_prefix
from dedup.text.normalize import (
    has_spaceless,
    normalize,
    reference_normalize,
    tokenize,
    word_counts,
)
from dedup.text.numbers import numbers_in
from dedup.text.shingle import MAX_COMPARED_PARAGRAPHS, paragraph_overlaps

__all__ = ["MIN_OVERLAP", "find_repeats", "find_repeats_in", "removed_side"]

_EXCERPT_CHARS = 160
# A first paragraph of fewer words may be the headline (see _a_headline_restated).
_HEADLINE_WORDS = 30
# Pairs sharing less than this share of the smaller paragraph's 3-grams are not compared.
MIN_OVERLAP = 0.3


def removed_side(repeat: Repeat) -> tuple[Paragraph, Paragraph]:
    """Which paragraph of a repeat a clean corpus loses, and the one that keeps its text: the
    later copy, unless it contains the earlier one and more (then the earlier goes)."""
    if repeat.later_contains_first:
        return repeat.first, repeat.repeat
    return repeat.repeat, repeat.first


def find_repeats_in(document: Document, config: RepeatConfig | None = None) -> list[Repeat]:
    """Repeats in a document (analyzes its text, then :func:`find_repeats`)."""
    return find_repeats(document, analyze(document.text), config or RepeatConfig())


def find_repeats(document: Document, analysis: TextAnalysis, config: RepeatConfig) -> list[Repeat]:
    """Every later paragraph that repeats an earlier one, paired with the earliest it repeats."""
    paragraphs = analysis.paragraphs
    if len(paragraphs) < 2:
        return []
    hashes = analysis.normalized.hashes.tolist()
    text_of = _LazyParagraphs(analysis)
    # Words, in scripts without spaces too: min_tokens means words in Chinese and Thai.
    counts = word_counts(analysis.normalized, analysis.shingles.token_counts)
    eligible = [i for i in range(len(paragraphs)) if counts[i] >= config.min_tokens]

    figures: dict[int, frozenset[str]] = {}

    def numbers_of(paragraph: Paragraph) -> frozenset[str]:  # figures as written, read once
        found = figures.get(paragraph.index)
        if found is None:
            found = figures[paragraph.index] = numbers_in(
                document.text[paragraph.start : paragraph.end]
            )
        return found

    candidates = _candidate_pairs(analysis, eligible)
    first_exact: dict[int, int] = {}
    pairs: dict[int, tuple[int, RepeatKind, dict[str, float]]] = {}
    for j in eligible:
        earlier_exact = first_exact.setdefault(hashes[j], j)
        if earlier_exact != j:
            pairs[j] = (earlier_exact, "exact", {"similarity": 100.0, "containment": 1.0})
            continue
        for i, overlap in sorted(candidates.get(j, {}).items()):
            if overlap < MIN_OVERLAP:
                continue
            numbers = (numbers_of(paragraphs[i]), numbers_of(paragraphs[j]))
            verdict = _compare(text_of[i], text_of[j], overlap, numbers, config)
            if verdict is None or _a_headline_restated(i, j, verdict[0], counts, text_of):
                continue
            if verdict[0] == "contained" and len(text_of[j]) > len(text_of[i]):
                # j holds i and more: clean drops i. Paired with the longest earlier paragraph
                # it holds (or with one it copies outright, found further on: then j goes), so
                # that a chain A, A+S, A+S+T loses A and A+S in one pass, not one a run.
                held = pairs.get(j)
                if held is None or len(text_of[i]) > len(text_of[held[0]]):
                    pairs[j] = (i, *verdict)
                continue
            pairs[j] = (i, *verdict)
            break
    _extend_blocks(pairs, hashes, counts, config)
    found: list[Repeat] = []
    for j in sorted(pairs):
        i, kind, scores = pairs[j]
        repeat = paragraphs[j]
        excerpt = grapheme_prefix(document.text[repeat.start : repeat.end], _EXCERPT_CHARS)
        # Measured as _compare measured them: normalized, not by their spans (harakat or
        # invisible characters make a span long without making the text longer).
        later_longer = kind == "contained" and len(text_of[j]) > len(text_of[i])
        found.append(
            Repeat(
                document.id,
                paragraphs[i],
                repeat,
                kind,
                scores,
                excerpt,
                document.ordinal,
                later_contains_first=later_longer,
            )
        )
    return found


def _a_headline_restated(
    first: int,
    later: int,
    kind: RepeatKind,
    counts: npt.NDArray[np.int32],
    text_of: _LazyParagraphs,
) -> bool:
    """Whether a first paragraph short enough to be a headline is restated by the lead right
    after it, with more (wire style: "LONDON (Reuters) - " + the headline + the rest of the
    lead): no defect, and a clean corpus would lose its title. The same lead twice, one behind
    a dateline and nothing more, stays a repeat."""
    return (
        first == 0
        and later == 1
        and kind == "contained"
        and counts[0] < _HEADLINE_WORDS
        and len(text_of[1]) > len(text_of[0])
    )


class _LazyParagraphs:
    """Normalized paragraph strings, built only for the paragraphs compared."""

    def __init__(self, analysis: TextAnalysis) -> None:
        self._normalized = analysis.normalized
        self._cache: dict[int, str] = {}

    def __getitem__(self, index: int) -> str:
        text = self._cache.get(index)
        if text is None:
            text = self._cache[index] = self._normalized.paragraph(index)
        return text


def _extend_blocks(
    pairs: dict[int, tuple[int, RepeatKind, dict[str, float]]],
    hashes: Sequence[int],
    counts: npt.NDArray[np.int32],
    config: RepeatConfig,
) -> None:
    """Add short paragraphs repeated exactly as part of a longer repeated block.

    A short paragraph (a headline, a one-line footer) is too common to flag alone, but when it is
    printed twice in a row, or its neighbour is repeated at the same distance (a block transmitted
    twice), it belongs to the repeat.
    """
    first_seen: dict[int, int] = {}
    last_seen: dict[int, int] = {}
    short: dict[int, tuple[int, int]] = {}
    for j, key in enumerate(hashes):
        i = first_seen.setdefault(key, j)
        if i != j and j not in pairs and config.min_block_tokens <= counts[j] < config.min_tokens:
            short[j] = (i, last_seen[key])
        last_seen[key] = j
    changed = True
    while changed and short:
        changed = False
        for j, (i, previous) in list(short.items()):
            # Measured from the copy before it: a line printed three times in a row is a block.
            offset = j - previous
            neighbours = (pairs.get(j - 1), pairs.get(j + 1))
            in_block = offset == 1 or any(
                pair is not None and k - pair[0] == offset
                for k, pair in zip((j - 1, j + 1), neighbours, strict=True)
            )
            if in_block:
                pairs[j] = (i, "exact", {"similarity": 100.0, "containment": 1.0})
                del short[j]
                changed = True


def _candidate_pairs(analysis: TextAnalysis, eligible: list[int]) -> dict[int, dict[int, float]]:
    """For each eligible paragraph, the earlier eligible ones sharing 3-grams with it, and the
    share of the smaller one's distinct 3-grams they share."""
    shingles = analysis.shingles
    mask = np.zeros(len(analysis.paragraphs), dtype=np.bool_)
    mask[eligible] = True
    if len(eligible) > MAX_COMPARED_PARAGRAPHS:
        mask[eligible[MAX_COMPARED_PARAGRAPHS:]] = False
    firsts, laters, overlaps = paragraph_overlaps(shingles.hashes, shingles.paragraph, mask)
    candidates: dict[int, dict[int, float]] = {}
    for i, j, overlap in zip(firsts.tolist(), laters.tolist(), overlaps.tolist(), strict=True):
        candidates.setdefault(j, {})[i] = overlap
    return candidates


def _compare(
    first: str,
    later: str,
    overlap: float,
    numbers: tuple[frozenset[str], frozenset[str]],
    config: RepeatConfig,
) -> tuple[RepeatKind, dict[str, float]] | None:
    """How a later paragraph repeats a first (both normalized), given the figures of each."""
    similarity = round(fuzz.ratio(first, later), 2)
    scores = {"similarity": similarity, "containment": round(overlap, 4)}
    first_numbers, later_numbers = numbers
    shorter_first = len(first) <= len(later)
    short, long = (first, later) if shorter_first else (later, first)
    short_numbers, long_numbers = numbers if shorter_first else numbers[::-1]
    prefix = long[: len(long) - len(short)]
    if (
        long.endswith(short)
        and len(prefix) <= config.max_prefix_chars
        and _ends_a_word(prefix)  # "Unofficial results …" is no "Official results …" behind "Un"
    ):
        if _a_dateline(prefix):
            return "prefixed", {"similarity": similarity, "containment": 1.0}
        # Other words before the copy may turn what it says ("The ministry denied that …"):
        # the paragraph that has them is the one a clean corpus keeps.
        if short_numbers <= long_numbers:
            return "contained", {"similarity": similarity, "containment": 1.0}
        return None
    # Clean removes the later copy of an edited repeat, the smaller side of a contained one
    # (dedup.clean): only where the text it keeps holds every figure of the one it removes.
    if f" {short} " in f" {long} " and _turning_text(long.replace(short, " ", 1)):
        # All of it, word for word, inside the other, with words around it that turn it ("…, a
        # report the bank denied.", "…。日銀はこれを否定した。"): the longer one is kept. Other
        # words (a credit, "(SPA)") leave an edited repeat, whose later copy clean cuts.
        if short_numbers <= long_numbers:
            return "contained", {"similarity": similarity, "containment": 1.0}
        return None
    if similarity >= config.min_similarity and _turned(first, later):
        return None  # nearly the same words, but a negation among those that differ
    if similarity >= config.min_similarity and not later_numbers <= first_numbers:
        # A dateline's figures are the outlet's or the day's, not the story's: "هەولێر
        # (کوردستان24)-" before an edited lead adds no figure to it.
        later_numbers = later_numbers - numbers_in(_dateline_before(first, later, config))
    if similarity >= config.min_similarity and later_numbers <= first_numbers:
        if _another_entry(first, later):
            return None
        return "edited", scores
    if overlap >= config.min_containment and short_numbers <= long_numbers:
        return "contained", scores
    return None


# Words that make what follows them another statement: reported speech ("… denied that"), a
# negation, a denial, a rumour (normalized, as the prefix is). Any of them in the words before
# a copy, or a complementizer ending them, and the copy is no mere repeat behind a dateline.
_COMPLEMENTIZERS = frozenset(("that", "whether", "if", "ان", "بان", "انه", "بانه", "انها", "بانها"))
_TURNING_WORDS = frozenset((
    "not", "no", "never", "nor", "denied", "denies", "deny", "denying", "refuted", "rejected",
    "false", "untrue", "rumour", "rumor", "rumours", "rumors", "alleged", "allegedly", "claimed",
    "claims", "لا", "لم", "لن", "ليس", "ليست", "غير", "عدم", "نفت", "نفي", "ينفي", "تنفي", "نافيا",
    "نافيه", "كذبت", "تكذيب", "شائعات", "شائعه", "مزاعم", "ادعاءات", "زعم", "زعمت", "unconfirmed",
    "unofficial", "claiming", "hoax", "dismissed", "dismisses", "fake", "misleading", "نفى",
    "नहीं", "नही", "मत",
))  # fmt: skip
# ... in Kurdish, Persian and Urdu, as written (normalized when first needed: ڕەتکردەوە, تکذیب,
# تردید), and their "that" (کە, که, کہ).
_ARABIC_SCRIPT_TURNING_WORDS = (
    "ڕەتکردەوە", "ڕەتیکردەوە", "ڕەتکرایەوە", "ڕەتی", "ڕەتکردنەوە", "نکۆڵی", "نەخێر", "نا",
    "نە", "نییە", "نەبوو", "نخواهد", "نخواهند", "نمی", "نکرد", "نکردند", "نکرده", "نشد", "نشده",
    "نشود", "ندارد", "ندارند", "نبود", "نیستند",
    "ناڕاستە", "دەنگۆ", "دەنگۆی", "بانگەشە", "تکذیب", "شایعه", "شایعات", "ادعا", "نه", "نیست",
    "هرگز", "رد", "نادرست", "کذب", "تردید", "نہیں", "نہ", "افواہ", "افواہیں", "جھوٹ", "مسترد",
    "غلط",
)  # fmt: skip
_ARABIC_SCRIPT_COMPLEMENTIZERS = ("کە", "که", "کہ", "اینکه")
# A verb negated by its prefix (Kurdish نە/نا, Persian ن, normalized): نەکرێت for بکرێت,
# نابەستێت for دەبەستێت, نکرد for کرد, نمی‌شود for می‌شود.
_NEGATING_PREFIXES = ("نه", "نا", "ن", "مه")
_VERB_PREFIXES = ("", "ب", "ده", "د", "مي")
# Negations, denials and rumours of scripts written without spaces (Chinese, Japanese, Thai),
# sought in the normalized text with its spaces taken out: a token there is a character.
# Broad, as 非洲 (Africa), 不同 (different), 少ない (few) and まず (first) hold them too, and a copy
# then kept rather than cut is the safe side.
_TURNING_SEQUENCES = (
    "否", "不", "没", "非", "未", "假", "谣", "传言", "网传", "无法", "拒绝", "拒不",
    "ない", "なかっ", "ません", "ず", "デマ", "誤報", "虚偽", "うそ", "噂",
    "事実無根", "ไม่", "มิได้", "มิใช่", "ปฏิเสธ", "ข่าวลือ", "เท็จ", "ข่าวปลอม",
)  # fmt: skip
# ... and those that end a frame of reported speech before a copy: "… said", Thai "that".
_SPACELESS_COMPLEMENTIZERS = ("称", "表示", "说", "指出", "ว่า")


@cache
def _as_normalized(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` as the normalized text holds them, spaces taken out (誤報 is 误报 there:
    traditional characters are folded)."""
    return tuple(dict.fromkeys(reference_normalize(word).replace(" ", "") for word in words))


# Korean writes its particles and endings on the word: a word starting with one of these
# negates or denies ("않았다", "부인했다", "사실무근이다"), as do "안" and "못" alone.
_TURNING_KOREAN_STEMS = (
    "않", "아니", "없", "못하", "못했", "못한", "못할", "부인하", "부인했", "부인한", "사실무근",
    "거짓", "루머", "헛소문", "오보",
)  # fmt: skip
_TURNING_KOREAN_WORDS = frozenset(("안", "못"))
_GLUED_PARTICLES = frozenset(("و", "ف"))
_OPENING_WORDS = 4  # the words of a paragraph that find where its copy starts


# Words that say the opposite of one another: one swapped for the other ("prices rose 5%",
# "prices fell 5%"; 同比增长 and 同比下降) is another statement, not an edit of a repeat.
_OPPOSITES = (
    ("rose", "fell"), ("rise", "fall"), ("rises", "falls"), ("rising", "falling"),
    ("increased", "decreased"), ("increase", "decrease"), ("increases", "decreases"),
    ("gained", "lost"), ("won", "lost"), ("higher", "lower"), ("up", "down"),
    ("approved", "rejected"), ("accepted", "rejected"), ("surplus", "deficit"),
    ("profit", "loss"), ("ارتفع", "انخفض"), ("ارتفعت", "انخفضت"), ("ارتفاع", "انخفاض"),
    ("زيادة", "انخفاض"), ("زيادة", "تراجع"), ("ارتفاع", "تراجع"), ("صعد", "هبط"),
    ("فاز", "خسر"), ("ربح", "خسارة"), ("وافق", "رفض"), ("وافقت", "رفضت"), ("قبول", "رفض"),
    ("افزایش", "کاهش"), ("موافقت", "مخالفت"), ("اضافہ", "کمی"), ("زیادبوون", "کەمبوون"),
)  # fmt: skip
_SPACELESS_OPPOSITES = (
    ("增长", "下降"), ("增长", "减少"), ("上涨", "下跌"), ("增加", "减少"), ("上升", "下降"),
    ("盈利", "亏损"), ("批准", "否决"), ("上昇", "下落"), ("増加", "減少"), ("値上げ", "値下げ"),
    ("黒字", "赤字"), ("เพิ่มขึ้น", "ลดลง"),
)  # fmt: skip


def _turned(first: str, later: str) -> bool:
    """Whether the words one paragraph has and the other lacks turn what it says: a negation,
    a denial ("would approve" and "would not approve" are no edit of one another), or a word
    swapped for its opposite ("rose" and "fell")."""
    lost, gained = set(tokenize(first)), set(tokenize(later))
    lost, gained = lost - gained, gained - lost
    if (
        _turning(lost | gained)
        or _swapped(lost, gained, _normalized_pairs(_OPPOSITES))
        or _negated_verb(lost, gained)
        or _negated_verb(gained, lost)
    ):
        return True
    if not (has_spaceless(first) or has_spaceless(later)):
        return False
    first, later = first.replace(" ", ""), later.replace(" ", "")
    if any((word in first) != (word in later) for word in _as_normalized(_TURNING_SEQUENCES)):
        return True
    pairs = _normalized_pairs(_SPACELESS_OPPOSITES)
    words = {word for pair in pairs for word in pair}
    only_first = {word for word in words if word in first and word not in later}
    only_later = {word for word in words if word in later and word not in first}
    return _swapped(only_first, only_later, pairs)


def _negated_verb(plain: set[str], negated: set[str]) -> bool:
    """Whether a word of ``negated`` is a word of ``plain`` behind a Kurdish or Persian
    negating prefix (which takes the place of a verb's own prefix: بکرێت, نەکرێت)."""
    for word in negated:
        for prefix in _NEGATING_PREFIXES:
            rest = word[len(prefix) :]
            if (
                word.startswith(prefix)
                and len(rest) > 1
                and any(verb + rest in plain for verb in _VERB_PREFIXES)
            ):
                return True
    return False


def _swapped(lost: set[str], gained: set[str], pairs: tuple[tuple[str, str], ...]) -> bool:
    """Whether one side lost a word of a pair and gained the other (a glued "و" or "ف" aside)."""
    lost = lost | {w[1:] for w in lost if w[:1] in _GLUED_PARTICLES}
    gained = gained | {w[1:] for w in gained if w[:1] in _GLUED_PARTICLES}
    return any((x in lost and y in gained) or (y in lost and x in gained) for x, y in pairs)


@cache
def _normalized_pairs(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Each pair of ``pairs`` as :func:`_as_normalized` gives its words."""
    return tuple((_as_normalized((x,))[0], _as_normalized((y,))[0]) for x, y in pairs)


def _turning_text(words: str) -> bool:
    """Whether normalized ``words`` hold a turning word, in any script."""
    if _turning(tokenize(words)):
        return True
    joined = words.replace(" ", "") if has_spaceless(words) else ""
    return any(word in joined for word in _as_normalized(_TURNING_SEQUENCES))


def _turning(tokens: Iterable[str]) -> bool:
    """Whether ``tokens`` hold a turning word, written alone or behind the Arabic "و" or "ف"
    ("ولن", "فلا"), or a Korean word that negates."""
    others = _as_normalized(_ARABIC_SCRIPT_TURNING_WORDS)
    return any(
        token in _TURNING_WORDS
        or token in others
        or (token[:1] in _GLUED_PARTICLES and token[1:] in _TURNING_WORDS)
        or token in _TURNING_KOREAN_WORDS
        or token.startswith(_TURNING_KOREAN_STEMS)
        for token in tokens
    )


def _another_entry(first: str, later: str) -> bool:
    """Whether two nearly equal paragraphs are two entries of one list (people honoured,
    sanctions designees, a table's rows): they start with other words altogether (a name, an
    item), where an edited repeat of a lead differs by a word dropped or added further on, one
    spelled otherwise, or the joining words before it ("ومن جهة ثانية", "Meanwhile,")."""
    a, b = tokenize(first), tokenize(later)
    changes = list(Levenshtein.opcodes(a, b))
    at = next((k for k, change in enumerate(changes) if change.tag != "equal"), None)
    if at is None or sum(len(token) for token in a[: changes[at].src_start]) > _ENTRY_HEAD_CHARS:
        return False
    # The run of changes up to the next equal words (an insert and a replace, where the
    # entries' names differ in length).
    run = list(itertools.takewhile(lambda change: change.tag != "equal", changes[at:]))
    ours = a[run[0].src_start : run[-1].src_end]
    theirs = b[run[0].dest_start : run[-1].dest_end]
    if not ours or not theirs or any(_joining(word) for word in ours + theirs):
        return False
    return fuzz.ratio(" ".join(ours), " ".join(theirs)) < _OTHER_WORDS


def _joining(word: str) -> bool:
    return word in _joining_words() or (len(word) > 2 and word[0] in _GLUED_PARTICLES)


# An entry starts with its name: at most a word or two before it (a Thai table row's "pump").
_ENTRY_HEAD_CHARS = 12
_OTHER_WORDS = 50  # rapidfuzz ratio under which changed words are others, not a spelling
# Words that join a paragraph to the text before it, which an editor changes when the lead is
# pasted again elsewhere.
_JOINING = (
    "من جهة ثانية أخرى اخرى آخر اخر صعيد على كما مضيفا بأن أن إن أما بعد ذلك لذا سياسيا كذلك "
    "أيضا ايضا فيما حيث meanwhile also separately however moreover additionally further "
    "furthermore elsewhere in other news and but the he she it they this that"
)


@cache
def _joining_words() -> frozenset[str]:
    # Normalized on first use: at import, it would load the compiled normalizer in every run.
    return frozenset(tokenize(normalize(_JOINING)))


def _ends_a_word(prefix: str) -> bool:
    """Whether the copy starts a word after ``prefix``: a space ends it, or a particle Arabic
    writes on the next word ("و", "ف"), or a character of a script without spaces."""
    return prefix.endswith(" ") or prefix in _GLUED_PARTICLES or has_spaceless(prefix[-1:])


def _dateline_before(first: str, later: str, config: RepeatConfig) -> str:
    """The dateline (normalized) before the copy of ``first`` that ``later`` begins with, where
    the copy starts with ``first``'s first words; else nothing."""
    opening = " ".join(first.split()[:_OPENING_WORDS])
    at = later.find(opening)
    if 0 < at <= config.max_prefix_chars and _ends_a_word(later[:at]) and _a_dateline(later[:at]):
        return later[:at]
    return ""


def _a_dateline(prefix: str) -> bool:
    """Whether ``prefix`` (the normalized words before a copy) leaves the copy saying what it
    said: a dateline, a credit line, a joining word ("LONDON (Reuters) -", "و", "UPDATE:").
    Not when it turns it into another statement: "The ministry denied that …"."""
    tokens = tokenize(prefix)
    if not tokens:
        return True
    if (
        tokens[-1] in _COMPLEMENTIZERS
        or tokens[-1] in _as_normalized(_ARABIC_SCRIPT_COMPLEMENTIZERS)
        or _turning_text(prefix)
    ):
        return False
    return not (
        has_spaceless(prefix)
        and prefix.replace(" ", "").endswith(_as_normalized(_SPACELESS_COMPLEMENTIZERS))
    )
