"""The numbers of a text: its figures (runs of digits, the digits of codes like "b12" and of
dates), read as written: a figure with separators of thousands ("4,310", "1.500.000", "١٬٥٠٠")
is one number, and so is a decimal ("7640.33", "3,5", "٣٫٥", "5ر1").

A changed figure changes what a text says ("vitamin b12" and "vitamin b2", "5 years" and
"15 years", Monday's closing prices and Tuesday's) while it changes few of its words, too few
for word overlap to notice: matching compares the numbers on their own where they decide. Runs
of digits, not tokens: Arabic glues "و" (and) or a unit to a figure ("و9", "140م"), and one copy
writes a date "15/10/1436ه" where another writes "١٤٣٦/١٠/١٥هـ". Read from the text as written:
normalization turns "1,500" into "1 500", which "2024, 300" becomes too. Leading zeros and a
decimal's trailing ones say nothing ("05/09" is "5/9", "82.10" is "82.1").

Small counts are often spelled out, and a copy may spell one another copy writes in digits: the
number words two to ninety of English and Arabic (with the Arabic "و", "ب", "ل", "ال" before
them) and Chinese numerals before a measure word ("三人", "五名") are numbers too. "One" is not:
it is a pronoun as often as a count.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["numbers_in"]

# Digits joined by separators that may stand inside one number: thousands (a comma, a dot, the
# Arabic separator, a no-break space; full-width ones too) or decimals (a dot, a comma, the
# Arabic decimal point; Saudi wire style writes "ر" with the fraction first: "5ر1" is 1.5). A
# separator followed by anything but a digit is none ("2024, 300" is two numbers).
_SEPARATORS = ",.\u066b\u066c\u00a0\u202f\uff0c\uff0e"
_RUN = re.compile(f"\\d[\\d{_SEPARATORS}\u0631\u200f]*")
_SEPARATOR = re.compile(f"[{_SEPARATORS}]")
_DECIMAL_POINTS = frozenset(",.\u066b\uff0e")  # not the full-width comma: Chinese lists
_RA = "\u0631"
_RLM = "\u200f"  # Asharq Al-Awsat writes 0.2 as "2.", a right-to-left mark, "0"


_UNITS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen")  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ENGLISH = {word: value for value, word in enumerate(_UNITS, start=2)} | {
    word: 10 * tens for tens, word in enumerate(_TENS, start=2)
}
_ENGLISH_UNITS = {"one": 1} | {word: value for word, value in _ENGLISH.items() if value < 10}
_ENGLISH_TENS = frozenset(range(20, 100, 10))
# Arabic: the count, then its tens ("ثلاث", "ثلاثة"; "ثلاثون", "ثلاثين"), in the forms keyboards
# give them (alef with or without hamza, ta marbuta as ة or ه), behind the particles and the
# article that Arabic writes on the word ("و", "ب", "ل", "ال": "وبالثلاثة").
_ARABIC_UNITS = {3: ["ثلاث"], 4: ["اربع", "أربع"], 5: ["خمس"], 6: ["ست"], 7: ["سبع"],
                 8: ["ثمان"], 9: ["تسع"]}  # fmt: skip
_ARABIC_STEMS = {
    2: ["اثنان", "اثنين", "اثنتان", "اثنتين", "إثنان", "إثنين"],
    10: ["عشر", "عشرة", "عشره"],
    20: ["عشرون", "عشرين"],
    **{
        value: [stem + end for stem in stems for end in ("", "ة", "ه", "ي", "ية", "يه")]
        for value, stems in _ARABIC_UNITS.items()
    },
    **{
        10 * value: [stem + end for stem in stems for end in ("ون", "ين")]
        for value, stems in _ARABIC_UNITS.items()
    },
}
_ARABIC_TENS = {
    form: value for value, forms in _ARABIC_STEMS.items() if value >= 20 for form in forms
}
_ARABIC_TEEN_TENS = frozenset(("عشر", "عشرة", "عشره"))
# Harakat and tatweel, which keyboards add to a word without making it another.
_MARKS = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, 0x0640])
_ARABIC_PREFIXES = [
    conjunction + preposition + article
    for conjunction in ("", "و", "ف")
    for preposition in ("", "ب", "ك")
    for article in ("", "ال")
] + ["ل", "لل", "ول", "ولل", "فل", "فلل"]
_NOT_SPELLED = {"لست", "ولست", "فلست", "ستي", "الست"}  # "I am not", "my grandmother", "the lady"
_SPELLED = _ENGLISH | {
    prefix + form: value
    for value, forms in _ARABIC_STEMS.items()
    for form in forms
    for prefix in _ARABIC_PREFIXES
    if prefix + form not in _NOT_SPELLED
    and not (value == 2 and "ال" in prefix)  # "الاثنين" is Monday far more often than "the two"
}
# A count before one of these is part of a larger number ("two hundred", "ثلاثة آلاف"): not
# read, as a figure missing is safer than a wrong one.
_SCALES = frozenset((
    "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion",
    "billions", "trillion", "مئة", "مائة", "مئات", "ألف", "الف", "آلاف", "الاف", "ألفا", "الفا",
    "ألفاً", "مليون", "ملايين", "مليار", "مليارات",
))  # fmt: skip
_PUNCTUATION = "\"'“”‘’«»()[]{}<>.,;:!?،؛؟…-–—/\\*"
# Chinese numerals under a hundred before a measure word or a unit of time (三人, 十一日, 五倍),
# part of a larger one (一百二十人) not, and a lone 一 not (一个 is "a"); decimals with 点
# (百分之五点三 is 5.3). Traditional characters too: numbers are read from the text as written.
_NUMERALS = "一二三四五六七八九十两兩"
_CHINESE = re.compile(
    f"(?<![{_NUMERALS}百千万萬亿億零〇点點])([{_NUMERALS}]+)"
    "(?=[人名个個位次年天日月周週座辆輛架艘起件项項家所条條只隻岁歲倍成季])"
)
_CHINESE_DECIMAL = re.compile(
    f"(?<![{_NUMERALS}百千万萬亿億零〇])([{_NUMERALS}零〇]+)[点點]([零〇一二三四五六七八九]+)"
)
_CHINESE_DIGITS = {c: v for v, c in enumerate("零一二三四五六七八九")} | {
    "两": 2,
    "兩": 2,
    "〇": 0,
}


def numbers_in(text: str, spelled: bool = True) -> frozenset[str]:
    """The distinct numbers of a text as written (not normalized), in ASCII digits (Arabic-Indic,
    Persian and full-width ones too), with the counts it spells out unless not ``spelled`` (a
    word at a time in Python: 100 µs an article, where the digits take 15)."""
    found: set[str] = set()
    for run in set(_RUN.findall(text)):
        if run.isdigit():  # most runs: one plain number
            found.add(_integer(run))
        else:
            found.update(_numbers_of_run(run.rstrip(_SEPARATORS + _RA + _RLM)))
    if not spelled:
        return frozenset(found)
    words = [_bare(token.strip(_PUNCTUATION)) for token in text.split()]
    words += ["", ""]
    position = 0
    while position < len(words) - 2:
        word, following = words[position], words[position + 1]
        position += 1
        value = _spelled(word)
        if value is None:
            continue
        if value in _ENGLISH_TENS and following.lower() in _ENGLISH_UNITS:
            value += _ENGLISH_UNITS[following.lower()]  # twenty three
        elif value < 10 and following[:1] == "و" and following[1:] in _ARABIC_TENS:
            value += _ARABIC_TENS[following[1:]]  # ثلاثة وعشرين: three and twenty
        elif value < 10 and following in _ARABIC_TEEN_TENS:
            value += 10  # ثلاثة عشر: three-teen
        else:
            following = ""
        if following:  # two words read as one count
            position += 1
        if words[position].lower() not in _SCALES:
            found.add(str(value))
    if _CHINESE.search(text):
        found.update(str(_chinese(word)) for word in _CHINESE.findall(text) if word != "一")
    if _CHINESE_DECIMAL.search(text):
        for whole, fraction in _CHINESE_DECIMAL.findall(text):
            digits = "".join(str(_CHINESE_DIGITS[c]) for c in fraction)
            found.add(_decimal(str(_chinese(whole)), digits))
    return frozenset(found)


def _bare(word: str) -> str:
    return word if word.isascii() else word.translate(_MARKS)


def _spelled(word: str) -> int | None:
    """The count a word spells, if any ("three", "وثلاثة", "twenty-one")."""
    value = _SPELLED.get(word)
    if value is not None:
        return value
    lower = word.lower()
    value = _SPELLED.get(lower)
    if value is None and "-" in lower:  # twenty-one
        tens, _, units = lower.partition("-")
        if tens in _TENS and units in _ENGLISH_UNITS:
            value = _ENGLISH[tens] + _ENGLISH_UNITS[units]
    return value


def _chinese(word: str) -> int:
    """The value of a Chinese numeral under a hundred: 五 5, 十五 15, 二十 20, 二十五 25."""
    if "十" not in word:
        return _CHINESE_DIGITS[word[-1]]
    tens, _, units = word.rpartition("十")
    return 10 * (_CHINESE_DIGITS.get(tens, 1) if tens else 1) + _CHINESE_DIGITS.get(units, 0)


def _numbers_of_run(run: str) -> list[str]:
    for mark in (_RLM, _RA):  # decimals written fraction first: "2.", RLM, "0"; "5ر1"
        if mark in run:
            pieces = run.split(mark)
            fraction = pieces[0]
            if mark == _RLM:  # the Asharq form only: "2.", RLM, "0"
                fraction = pieces[0][:-1] if pieces[0][-1:] == "." else ""
            if len(pieces) == 2 and fraction.isdigit() and pieces[1].isdigit():
                return [_decimal(pieces[1], fraction)]
            return [number for piece in pieces if piece for number in _numbers_of_run(piece)]
    parts = _SEPARATOR.split(run)
    if len(parts) == 1:
        return [_integer(run)]
    if "" in parts:  # separators side by side ("1,,2"): each number alone
        return [_integer(part) for part in parts if part]
    separators = _SEPARATOR.findall(run)
    if all(len(part) == 3 for part in parts[1:]):  # 1,500,000
        return [_integer("".join(parts))]
    last = separators[-1]
    whole = parts[:-1]
    if (
        last in _DECIMAL_POINTS
        and all(len(part) == 3 for part in whole[1:])
        and last not in separators[:-1]
    ):  # 3.5, 7640.33, 1,500.25
        return [_decimal("".join(whole), parts[-1])]
    return [_integer(part) for part in parts]  # a date 15.10.2015, a list 1,2,3


def _decimal(whole: str, fraction: str) -> str:
    significant = _ascii(fraction).rstrip("0")
    integer = _integer(whole)
    return f"{integer}.{significant}" if significant else integer


def _integer(digits: str) -> str:
    return _ascii(digits).lstrip("0") or "0"


def _ascii(digits: str) -> str:
    return digits if digits.isascii() else "".join(str(unicodedata.digit(d)) for d in digits)
