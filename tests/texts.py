"""Paragraphs written for the tests: long enough to be compared (13+ tokens), distinct otherwise."""

from __future__ import annotations

import random

from dedup.model import Document

# English: a short news story.
EN_HEAD = "Council approves budget"
EN_LEAD = (
    "The city council voted on Tuesday to approve a new budget that increases spending on "
    "public transport and road repairs by ten percent."
)
EN_OTHER = (
    "Opponents of the plan said the council had ignored the concerns of residents in the "
    "northern districts, where several bus routes were cut last year."
)
EN_THIRD = (
    "The mayor is expected to sign the budget into law next week, after a final review by the "
    "finance committee and the city auditor."
)

# Arabic: a short news story from Erbil.
AR_HEAD = "مفاوضات أربيل وبغداد تقترب من الاتفاق"
AR_LEAD = (
    "قال مسؤول كبير في حكومة إقليم كوردستان اليوم الثلاثاء إن المفاوضات مع بغداد حول الموازنة "
    "والنفط وصلت إلى مرحلة متقدمة وإن الطرفين يقتربان من اتفاق نهائي"
)
AR_OTHER = (
    "وأضاف المسؤول في تصريح للصحفيين أن الوفد الكوردي سيعود إلى العاصمة الأسبوع المقبل لاستكمال "
    "المحادثات بشأن رواتب الموظفين وحصة الإقليم من الموازنة العامة"
)
AR_THIRD = (
    "من جهته أكد متحدث باسم الحكومة الاتحادية أن بغداد ملتزمة بالدستور وأنها تسعى إلى حل جميع "
    "القضايا العالقة عبر الحوار والتفاهم المشترك بين الجانبين"
)
AR_DATELINE = "اربيل (كوردستان24)- "

# Chinese: written without spaces, so matched by characters.
ZH_HEAD = "城市交通新计划"
ZH_LEAD = "今天上午市政府召开新闻发布会宣布将在明年投入大量资金改善城市公共交通系统"
ZH_OTHER = "专家表示这项计划有助于缓解交通拥堵问题并减少空气污染但仍需要进一步的研究"


def doc(*paragraphs: str) -> str:
    """Paragraphs joined by blank lines, ending with a newline, as a text file holds them."""
    return "\n\n".join(paragraphs) + "\n"


# Formula texts: the same cable around other names, and one story many outlets carry.
CABLE = (
    "The King sent a cable of congratulations to President {name} of {country} on the "
    "anniversary of the independence day of his country. In the cable the King expressed his "
    "sincere congratulations and best wishes of continued good health and happiness to the "
    "president and of further progress and prosperity to the government and the people of "
    "the friendly republic."
)
STORY = (
    "Heavy rain flooded the lower districts of the port city overnight and forced hundreds of "
    "families to leave their homes, the civil defence said on Monday. Rescue teams used boats "
    "to reach residents trapped on rooftops near the old market, and the schools of the "
    "district will stay closed until the water recedes from the streets."
)


def words(rng: random.Random, count: int) -> str:
    return " ".join(
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        for _ in range(count)
    )


def formula_corpus(cables: int = 40, outlets: int = 30) -> list[Document]:
    """``cables`` formula cables, each with its own news about its country; one story carried
    by ``outlets`` outlets, each with its own credit line."""
    rng = random.Random(7)
    documents = []
    for k in range(cables):
        name, country = words(rng, 2).title(), words(rng, 1).title()
        own_news = f"{words(rng, 45)}."  # what each cable's article says besides the formula
        text = CABLE.format(name=name, country=country) + "\n\n" + own_news
        documents.append(Document(f"cable-{k}", text, ordinal=len(documents)))
    for k in range(outlets):
        credit = f"Reported by {words(rng, 2).title()} for outlet {k}."
        documents.append(Document(f"story-{k}", STORY + "\n\n" + credit, ordinal=len(documents)))
    return documents
