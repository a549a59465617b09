"""Paragraphs written for the tests: long enough to be compared (13+ tokens), distinct otherwise."""

from __future__ import annotations

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
