"""Normalization for matching: idempotent, script-aware, and exact on the cases that matter."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import normalize, tokenize
from dedup.text import normalize as normalize_module
from dedup.text.normalize import (
    _cached,
    _scan_separator_ranges,
    _separator_ranges,
    is_spaceless_char,
    reference_normalize,
    space_spaceless,
)
from dedup.text.numbers import numbers_in

arabic = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
arabic_supplement = st.characters(min_codepoint=0x0750, max_codepoint=0x077F)
persian_digits = st.characters(min_codepoint=0x06F0, max_codepoint=0x06F9)
controls = st.sampled_from(
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\ufeff"]
)
cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
ascii_printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
white_space = st.sampled_from([" ", "\t", "\n", "\r", "\u00a0", "\u3000"])
mixed = st.one_of(
    arabic, arabic_supplement, persian_digits, controls, cjk, ascii_printable, white_space
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_idempotent_on_any_text(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=mixed))
def test_idempotent_on_arabic_and_mixed_scripts(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=mixed))
def test_output_is_single_spaced_without_edge_space(text: str) -> None:
    once = normalize(text)
    assert once == " ".join(once.split())


@pytest.mark.parametrize("char", ["\ufc5e", "\ufc60", "\ufd3d", "\ufe70", "\ufe7c", "\ufc5b"])
def test_presentation_forms_normalize_in_one_pass(char: str) -> None:
    once = normalize("ب" + char)
    assert normalize(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # harakat (fatha, damma, kasra, shadda, sukun, tanwin) and superscript alef
        ("مُحَمَّدٌ", "محمد"),
        ("كَتَبَ الطَّالِبُ دَرْسًا", "كتب الطالب درسا"),
        ("هٰذا", "هذا"),
        # tatweel (kashida)
        ("العـــربية", "العربيه"),
        # alef forms
        ("أحمد إبراهيم آمن ٱلله", "احمد ابراهيم امن الله"),
        # alef maqsura and ta marbuta
        ("مستشفى على", "مستشفي علي"),
        ("مدرسة جميلة", "مدرسه جميله"),
        # Persian and Kurdish kaf and yeh
        ("کتاب یک", "كتاب يك"),
        # the forms of heh: Sorani typed with and without ە and ھ (the vowel as ه + ZWNJ),
        # Persian ۀ and هٔ, Urdu ہ
        ("هەواڵی کوردستانەوە", "ههوالي كوردستانهوه"),
        ("هه\u200cواڵی كوردستانه\u200cوه\u200c", "ههوالي كوردستانهوه"),
        ("ھەولێر", "ههولير"),
        ("خانۀ ما", "خانه ما"),
        ("خانهٔ ما", "خانه ما"),
        ("پاکستان ہے", "پاكستان هے"),
        # Kurdish letters typed as the plain ones an Arabic keyboard has
        ("ڕووداو گوڵ کۆبوونەوە ڤیان", "رووداو گول كوبوونهوه فيان"),
        ("ی\u065aک", "يك"),  # a decomposed ێ: its small v is dropped with the harakat
        # Arabic-Indic and Persian digits
        ("١٢٣٤٥٦٧٨٩٠", "1234567890"),
        ("۱۲۳۴۵۶۷۸۹۰", "1234567890"),
        ("عام ٢٠١٧ و۲۰۱۸", "عام 2017 و2018"),
        # Arabic punctuation
        ("قال، ثم؛ لماذا؟", "قال ثم لماذا"),
        ("كلمة،كلمة", "كلمه كلمه"),
        # lam-alef ligature (NFKC)
        ("ﻻ", "لا"),
    ],
)
def test_arabic(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\u200bb\u200cc\u200dd", "abcd"),  # zero-width space, non-joiner, joiner
        ("e\u200ef\u200fg", "efg"),  # LRM, RLM
        ("\u202ah\u202bi\u202cj\u202dk\u202el", "hijkl"),  # bidi embeddings and overrides
        ("\u2066m\u2067n\u2068o\u2069", "mno"),  # bidi isolates
        ("\ufeffp\u2060q", "pq"),  # BOM, word joiner
        ("soft\u00adhyphen", "softhyphen"),
        ("عر\u061cبي", "عربي"),  # Arabic letter mark
        ("زن\u200cها", "زنها"),  # ZWNJ inside a Persian word
        # variation selectors: an emoji's (dropped with the symbol), an ideograph's glyph
        ("I \u2764\ufe0f NY", "i ny"),
        ("葛\U000e0100城", "葛城"),
        ("hello\ufe0e world", "hello world"),
    ],
)
def test_invisible_controls_are_removed(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World! (test)", "hello world test"),
        ("«quote» “curly” ‘single’ — dash… end", "quote curly single dash end"),
        ("co-operate; e.g. a/b", "co operate e g a b"),
        ("ÉCOLE Straße", "école strasse"),
        ("ｆｕｌｌ ｗｉｄｔｈ １２", "full width 12"),
        ("  many   spaces\t\nhere\r\n", "many spaces here"),
        ("price: $5 + 10% = €", "price 5 10"),
        ("", ""),
        ("...", ""),
    ],
)
def test_punctuation_symbols_case_and_space(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ราคา ๑๒๐ บาท", "ราคา 120 บาท"),  # Thai
        ("ລາຄາ ໑໒໐", "ລາຄາ 120"),  # Lao
        ("मूल्य १२० रुपये", "मूल्य 120 रुपये"),  # Devanagari
        ("১৯৭১ সাল", "1971 সাল"),  # Bengali
        ("၂၀၂၄ ခုနှစ်", "2024 ခုနှစ်"),  # Myanmar
    ],
)
def test_the_digits_of_every_script_are_ascii(text: str, expected: str) -> None:
    assert normalize(text) == expected == reference_normalize(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我國一季度經濟運行開局良好", "我国一季度经济运行开局良好"),
        ("臺灣 裡面 後來", "台湾 里面 后来"),  # Taiwan and Hong Kong variants too
        ("我国经济", "我国经济"),  # simplified stays
        ("事実無根の誤報", "事実无根の误报"),  # Japanese kanji fold alike: both copies agree
    ],
)
def test_traditional_chinese_folds_to_simplified(text: str, expected: str) -> None:
    assert normalize(text) == expected == reference_normalize(text)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
            st.characters(min_codepoint=0x20000, max_codepoint=0x3134F),
            st.sampled_from(list("繐國誤臺裡๑१٣\ufe0f ")),
        ),
        max_size=30,
    )
)
def test_the_fast_and_the_reference_path_make_the_same_tokens(text: str) -> None:
    # A combining mark sends a whole text down the reference path: the same words must come
    # out of it, or a text's exact key would depend on an accent elsewhere in it.
    from dedup.verify import profile

    fast, reference = profile(text + " café"), profile(text + " cafe\u0301")
    assert fast.shingles.tokens.tolist() == reference.shingles.tokens.tolist()


def test_ascii_and_unicode_paths_agree() -> None:
    # normalize takes a fast path for ASCII; a non-ASCII character must not change the result
    # for the ASCII part.
    text = "The Quick-Brown FOX; jumped (over) 3 dogs!"
    assert normalize(text + " é") == normalize(text) + " é"


def test_tokenize_splits_cjk_into_characters_and_keeps_latin_words() -> None:
    assert tokenize(normalize("东京Tokyo 2024年 hello世界!")) == [
        "东",
        "京",
        "tokyo",
        "2024",
        "年",
        "hello",
        "世",
        "界",
    ]


def test_tokenize_other_scripts_by_white_space() -> None:
    assert tokenize(normalize("قال المسؤول، إن")) == ["قال", "المسؤول", "ان"]
    assert tokenize("hello world") == ["hello", "world"]


def test_tokenize_japanese_and_thai_are_spaceless() -> None:
    assert tokenize("ひらがなカタカナ") == list("ひらがなカタカナ")
    assert tokenize("ภาษาไทย") == list("ภาษาไทย")


def test_space_spaceless() -> None:
    assert space_spaceless("东京tokyo 2024年") == "东 京 tokyo 2024 年"
    assert space_spaceless("plain ascii") == "plain ascii"
    assert space_spaceless("عربي فقط") == "عربي فقط"


def test_is_spaceless_char() -> None:
    assert [is_spaceless_char(c) for c in "中あカไa ب"] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fast_path_equals_reference_on_any_text(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.one_of(mixed, st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF)))
)
def test_fast_path_equals_reference_on_arabic_forms(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


# ASCII of any kind (controls, punctuation), with words and paragraph breaks mixed in.
ascii_paragraphs = st.lists(
    st.one_of(st.characters(max_codepoint=127), st.sampled_from(["\n\n", "word ", "Word. "]))
).map("".join)


@settings(max_examples=300, deadline=None)
@given(ascii_paragraphs)
def test_ascii_text_normalizes_as_the_reference(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


def test_tables_are_built_once_cached_and_rebuilt_when_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(normalize_module, "CACHE_DIR", tmp_path)
    builds: list[int] = []

    def build() -> np.ndarray:
        builds.append(1)
        return np.arange(6, dtype=np.int64).reshape(3, 2)

    def valid(found: np.ndarray) -> bool:
        return found.shape == (3, 2) and found.dtype == np.int64

    first = _cached("ranges.npy", build, valid)
    again = _cached("ranges.npy", build, valid)
    assert len(builds) == 1 and again.tolist() == first.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert [p.name for p in tmp_path.iterdir()] == ["ranges.npy"]  # no temporary left
    (tmp_path / "ranges.npy").write_bytes(b"\x93NUMPY damaged")
    assert _cached("ranges.npy", build, valid).tolist() == first.tolist()
    # An array of objects would be unpickled to be read: it is rebuilt instead.
    np.save(tmp_path / "ranges.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert _cached("ranges.npy", build, valid).tolist() == first.tolist()
    np.save(tmp_path / "ranges.npy", np.zeros((2, 2), np.int64))  # another shape: invalid
    assert _cached("ranges.npy", build, valid).tolist() == first.tolist()
    assert len(builds) == 4


def test_cached_separator_ranges_are_the_scanned_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(normalize_module, "CACHE_DIR", tmp_path)
    scanned = _scan_separator_ranges()
    assert _separator_ranges() == scanned  # built, then cached
    (cached,) = tmp_path.iterdir()
    assert cached.name.startswith(f"separators-v{normalize_module._TABLE_VERSION}-unicode-")
    monkeypatch.setattr(normalize_module, "_scan_separator_ranges", lambda: [])
    assert _separator_ranges() == scanned  # read back, not scanned again


def test_numbers_are_the_runs_of_digits_of_any_script() -> None:
    assert numbers_in("Vitamin B12: 4,310 cases in ٢٠١٥, و9 and 140م") == {
        "12",
        "4310",
        "2015",
        "9",
        "140",
    }
    # A figure is one number however its thousands are written, and so is a decimal.
    for written in (
        "1,500,000",
        "1.500.000",
        "1\u00a0500\u00a0000",
        "1500000",
        "١٬٥٠٠٬٠٠٠",
        "１，５００，０００",  # full width, as Japanese papers print figures
    ):
        assert numbers_in(f"{written} people") == {"1500000"}, written
    assert numbers_in("3.5 and １２") == {"3.5", "12"}
    # Chinese lists numbers with a full-width comma, and never writes decimals with it.
    assert numbers_in("分别为15，20和30") == {"15", "20", "30"}
    for written in (
        "7640.33",
        "7,640.33",
        "7640,33",
        "٧٦٤٠٫٣٣",
        "7640.3300",
        "33ر7640",
        "33.\u200f7640",
        "７６４０．３３",
    ):
        assert numbers_in(f"closed at {written} points") == {"7640.33"}, written
    # Dates and times are their parts, without leading zeros, however they are written.
    for written in ("15.10.2015", "15/10/2015", "2015-10-15", "١٥/١٠/٢٠١٥"):
        assert numbers_in(written) == {"15", "10", "2015"}, written
    assert (
        numbers_in("05/09/2024 at 07:00")
        == numbers_in("5/9/2024 at 7:00")
        == {
            "5",
            "9",
            "2024",
            "7",
            "0",
        }
    )
    # Separate numbers stay separate, though normalized text would join them.
    assert numbers_in("By the end of 2024, 300 schools; scores 1, 200, 300") == {
        "2024",
        "300",
        "1",
        "200",
    }
    assert numbers_in("价格为5元") == {"5"}
    # Counts spelled out are numbers too, in English, Arabic (behind its particles) and Chinese.
    assert numbers_in("Three dead, seven injured and twenty-one missing; one of them") == {
        "3",
        "7",
        "21",
    }
    assert numbers_in("قتل ثلاثة أشخاص وأصيب سبعة وبالخمسين، لست أدري") == {"3", "7", "50"}
    assert numbers_in("三人死亡，五人受伤，二十五名，两辆") == {"3", "5", "25", "2"}
    # units of time and decimals; a lone 一 ("a") and a part of a larger numeral are not read
    assert numbers_in("十一日增长百分之五点三，是去年的两倍") == {"11", "5.3", "2"}
    assert numbers_in("增長百分之五點八，一个人，一百二十人") == {"5.8"}
    assert numbers_in("three and ثلاثة", spelled=False) == frozenset()
    # Compounds are one number; a count before a scale word is not read ("a figure missing is
    # safer than a wrong one"), nor Monday (الاثنين).
    for words, value in [
        ("Twenty-three people", "23"),
        ("twenty one people", "21"),
        ("ثلاثة وعشرين شخصا", "23"),
    ]:
        assert numbers_in(words) == {value}, words
    for words in (
        "Two hundred people",
        "ثلاثة آلاف ريال",
        "يوم الاثنين المقبل",
        "twenty three thousand people",
        "ثلاثة وعشرين ألف",
        "一百二十人",
        "二〇二四年",  # a year, digit by digit
        "ستي قالت",
    ):
        assert numbers_in(words) == frozenset(), words
    # Arabic teens, and counts written with harakat or tatweel.
    assert numbers_in("ثلاثة عشر شخصا") == {"13"}
    assert numbers_in("ثَلاثَةُ أشخاص وخمسـة") == {"3", "5"}
    # A right-to-left mark between two numbers is no decimal point.
    assert numbers_in("10\u200f20") == {"10", "20"}
    assert numbers_in("no figures here") == frozenset()


_NUMBER_PIECES = [
    *"0123456789٠١٢٣٤٥٦٧٨٩,.٫٬ \u00a0\u202f\u200fرa-",
    *("twenty", "three", "ثلاثة", "وعشرين", "三人", "十五名", "hundred", "ألف", " "),
]


@given(st.lists(st.sampled_from(_NUMBER_PIECES), max_size=40).map("".join))
def test_numbers_are_plain_decimal_strings_whatever_the_text(text: str) -> None:
    for number in numbers_in(text):
        assert re.fullmatch(r"(0|[1-9][0-9]*)(\.[0-9]*[1-9])?", number), number
