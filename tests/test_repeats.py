"""Planted repeats inside one document, in Arabic, English and Chinese: exactly these are found."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from texts import (
    AR_DATELINE,
    AR_HEAD,
    AR_LEAD,
    AR_OTHER,
    AR_THIRD,
    EN_HEAD,
    EN_LEAD,
    EN_OTHER,
    EN_THIRD,
    ZH_HEAD,
    ZH_LEAD,
    ZH_OTHER,
    doc,
)

from dedup import Document, RepeatConfig, find_repeats_in, normalize, shingle_paragraphs
from dedup.repeats import removed_side
from dedup.text.shingle import paragraph_overlaps


def found(text: str, config: RepeatConfig | None = None) -> list[tuple[int, int, str]]:
    repeats = find_repeats_in(Document(id="d", text=text), config)
    return [(r.first.index, r.repeat.index, r.kind) for r in repeats]


def drop_word(paragraph: str, position: int) -> str:
    words = paragraph.split()
    return " ".join(words[:position] + words[position + 1 :])


# --- Arabic -------------------------------------------------------------------------------------


def test_arabic_exact() -> None:
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, AR_LEAD)) == [(1, 3, "exact")]


def test_arabic_exact_despite_harakat_tatweel_and_letter_variants() -> None:
    decorated = AR_LEAD.replace("قال", "قَالَ").replace("الموازنة", "المـوازنه").replace("إن", "ان")
    assert decorated != AR_LEAD
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, decorated)) == [(1, 3, "exact")]


def test_arabic_dateline_prefixed_lead() -> None:
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, AR_DATELINE + AR_LEAD)) == [(1, 3, "prefixed")]


def test_arabic_dateline_on_the_first_copy() -> None:
    assert found(doc(AR_HEAD, AR_DATELINE + AR_LEAD, AR_OTHER, AR_LEAD)) == [(1, 3, "prefixed")]


def test_arabic_waw_glued_to_the_first_word() -> None:
    assert ("و" + AR_LEAD).startswith("وقال")
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, "و" + AR_LEAD)) == [(1, 3, "prefixed")]


def test_arabic_contained() -> None:
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, AR_LEAD + " " + AR_THIRD)) == [(1, 3, "contained")]


def test_arabic_edited_by_a_dropped_word() -> None:
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, drop_word(AR_LEAD, 5))) == [(1, 3, "edited")]


def test_arabic_short_stock_phrase_is_not_flagged() -> None:
    stock = "المصدر وكالة الأنباء السعودية"
    text = doc(AR_HEAD, AR_LEAD, stock, AR_OTHER, stock, AR_THIRD)
    assert found(text) == []


def test_arabic_block_printed_twice_with_its_headline() -> None:
    text = doc(AR_HEAD, AR_LEAD, AR_OTHER, AR_HEAD, AR_LEAD, AR_OTHER)
    assert found(text) == [(0, 3, "exact"), (1, 4, "exact"), (2, 5, "exact")]


def test_arabic_distinct_paragraphs_are_not_flagged() -> None:
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, AR_THIRD)) == []


# --- English ------------------------------------------------------------------------------------


def test_english_exact() -> None:
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD)) == [(1, 3, "exact")]


def test_english_exact_despite_case_and_punctuation() -> None:
    shouted = EN_LEAD.upper().replace(",", "").replace(".", "!")
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, shouted)) == [(1, 3, "exact")]


def test_english_dateline_prefixed_lead() -> None:
    text = doc(EN_HEAD, EN_LEAD, EN_OTHER, "LONDON (Reuters) - " + EN_LEAD)
    assert found(text) == [(1, 3, "prefixed")]


def test_english_and_prefixed_lead() -> None:
    text = doc(EN_HEAD, EN_LEAD, EN_OTHER, "And " + EN_LEAD[0].lower() + EN_LEAD[1:])
    assert found(text) == [(1, 3, "prefixed")]


@pytest.mark.parametrize(
    "dateline",
    [
        "LONDON (Reuters) - ",
        "TOKYO, March 9 - ",
        "WASHINGTON — ",
        "UPDATE: ",
        "Officials said: ",
        "RIYADH, July 26 ",
    ],
)
def test_datelines_and_credit_lines_make_a_prefixed_repeat(dateline: str) -> None:
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, dateline + EN_LEAD)) == [(1, 3, "prefixed")]


def test_arabic_and_chinese_datelines_without_punctuation_make_a_prefixed_repeat() -> None:
    spa = "الرياض 10 شوال 1436 هـ الموافق 26 يوليو 2015 م واس "
    assert found(doc(AR_HEAD, AR_LEAD, AR_OTHER, spa + AR_LEAD)) == [(1, 3, "prefixed")]
    xinhua = "新华社北京3月9日电 "
    assert found(doc(ZH_HEAD, ZH_LEAD, ZH_OTHER, xinhua + ZH_LEAD)) == [(1, 3, "prefixed")]


@pytest.mark.parametrize(
    ("lead", "turned"),
    [
        (EN_LEAD, "The mayor denied reports that " + EN_LEAD[0].lower() + EN_LEAD[1:]),
        (EN_LEAD, "The Saudi-led coalition denied that " + EN_LEAD[0].lower() + EN_LEAD[1:]),
        (EN_LEAD, "The Ministry of Health (MoH) said that " + EN_LEAD[0].lower() + EN_LEAD[1:]),
        (AR_LEAD, "ونفت الحكومة صحة ما تم تداوله بأن " + AR_LEAD),
        (ZH_LEAD, "有专家否认" + ZH_LEAD),
        (EN_LEAD, "Officials dismissed social media posts claiming " + EN_LEAD),
    ],
    ids=["en", "en-hyphen", "en-bracket", "ar", "zh", "en-dismissed"],
)
def test_words_that_turn_a_copy_keep_it(lead: str, turned: str) -> None:
    # No dateline: the later paragraph contains the earlier and says more, so it is a
    # contained repeat whose earlier side a clean corpus drops, not a prefixed one it drops.
    [repeat] = find_repeats_in(Document(id="d", text=doc(EN_HEAD, lead, EN_OTHER, turned)))
    assert (repeat.first.index, repeat.repeat.index, repeat.kind) == (1, 3, "contained")
    assert removed_side(repeat)[0] == repeat.first


@pytest.mark.parametrize(
    ("first", "update"),
    [
        (
            "The death toll from the factory fire in the northern city has risen to three, with "
            "seven people injured, the civil defence said in a statement on Monday.",
            "UPDATE: The death toll from the factory fire in the northern city has risen to five, "
            "with nine people injured, the civil defence said in a statement on Monday.",
        ),
        (
            "ارتفع عدد ضحايا الحريق الذي شب في مصنع بالمدينة الشمالية إلى ثلاثة قتلى وسبعة "
            "مصابين بحسب بيان للدفاع المدني صدر اليوم الاثنين",
            "ارتفع عدد ضحايا الحريق الذي شب في مصنع بالمدينة الشمالية إلى خمسة قتلى وتسعة "
            "مصابين بحسب بيان للدفاع المدني صدر اليوم الاثنين",
        ),
    ],
    ids=["en", "ar"],
)
def test_an_update_with_other_counts_in_words_is_no_repeat(first: str, update: str) -> None:
    assert found(doc(EN_HEAD, first, EN_OTHER, update)) == []


def test_short_lines_of_spaceless_scripts_are_short() -> None:
    # Thai and Chinese count a token per character: min_tokens still means words, so a venue
    # line of two words, or a table row, shared by two entries is no repeat, while a lead is.
    lead = (
        "การแข่งขันฟุตบอลนัดแรกระหว่างทีมชาติไทยกับทีมชาติเวียดนามจะจัดขึ้นในวันเสาร์นี้"
        "ที่สนามราชมังคลากีฬาสถานโดยคาดว่าจะมีแฟนบอลเข้าชมมากกว่าสี่หมื่นคน"
    )
    thai = doc(
        "โปรแกรมการแข่งขัน",
        "ไทย พบ เวียดนาม",
        "สนาม: กรุงเทพมหานคร",
        "ไทย พบ มาเลเซีย",
        "สนาม: กรุงเทพมหานคร",
        lead,
        "ผู้จัดการทีมกล่าวว่านักเตะทุกคนพร้อมลงสนามและตั้งเป้าคว้าชัยชนะให้ได้",
        lead,
    )
    assert found(thai) == [(5, 7, "exact")]
    chinese = doc(ZH_HEAD, "北京：晴，最高气温25度", ZH_LEAD, "上海：晴，最高气温25度", ZH_OTHER)
    assert found(chinese) == []


def test_a_headline_the_lead_restates_is_no_repeat() -> None:
    headline = (
        "City council approves a new budget that raises spending on public transport and road "
        "repairs by ten percent"
    )
    lead = (
        "LONDON (Reuters) - " + headline + ", after a debate that lasted late into the night and "
        "split the ruling coalition over the cost of the new tram line."
    )
    assert found(doc(headline, lead, EN_OTHER)) == []
    # Not a headline: a teaser of the same length further down, or the lead printed twice.
    assert found(doc(EN_HEAD, headline, lead)) == [(1, 2, "contained")]
    assert found(doc(EN_LEAD, "LONDON (Reuters) - " + EN_LEAD, EN_OTHER)) == [(0, 1, "prefixed")]


JA_LEAD = (
    "東京都は来年度から都営地下鉄の運賃を全線で平均15%引き上げる方針を固めた。"
    "燃料費や人件費の上昇で赤字が拡大しているため。"
)
KO_LEAD = (
    "서울시는 다음 달부터 지하철 기본요금을 1,400원에서 1,550원으로 150원 인상한다고 밝혔다. "
    "시는 적자가 계속 늘어 요금 조정이 불가피하다고 설명했다."
)
TH_LEAD = (
    "กรุงเทพมหานครประกาศขึ้นค่าโดยสารรถไฟฟ้าสายสีเขียวทุกสถานีเฉลี่ยร้อยละสิบห้า"
    "ตั้งแต่เดือนหน้าเป็นต้นไปเพื่อรองรับต้นทุนการเดินรถที่สูงขึ้นอย่างต่อเนื่อง"
)
ZH_TRAD_LEAD = (
    "臺北市政府今日宣布，自下個月起全面調漲公車及捷運票價，單程票價平均上漲百分之十五，"
    "以因應營運成本持續增加。"
)


@pytest.mark.parametrize(
    ("lead", "turned"),
    [
        (ZH_TRAD_LEAD, "市府闢謠：" + ZH_TRAD_LEAD),
        (ZH_TRAD_LEAD, "市府澄清並沒有此事：" + ZH_TRAD_LEAD),
        (ZH_LEAD, "外交部发言人表示，" + ZH_LEAD),
        (JA_LEAD, "都はデマだと説明：" + JA_LEAD),
        (KO_LEAD, '서울시 해명 "사실무근": ' + KO_LEAD),
        (TH_LEAD, "โฆษก กทม. ปฏิเสธข่าวที่ว่า " + TH_LEAD),
        # A denial after the copy, as Japanese, Korean and Chinese write it, or English too.
        (JA_LEAD, JA_LEAD + "都はこれを否定した。"),
        (KO_LEAD, KO_LEAD + " 시는 이를 부인했다."),
        (ZH_LEAD, ZH_LEAD + "央行予以否认。"),
        (EN_LEAD, EN_LEAD[:-1] + ", a report the council denied."),
    ],
    ids=[
        "zh-hant", "zh-hant-not", "zh-said", "ja", "ko", "th",
        "ja-after", "ko-after", "zh-after", "en-after",
    ],
)  # fmt: skip
def test_words_that_turn_a_copy_keep_it_in_other_scripts(lead: str, turned: str) -> None:
    [repeat] = find_repeats_in(Document(id="d", text=doc(EN_HEAD, lead, EN_OTHER, turned)))
    assert (repeat.first.index, repeat.repeat.index, repeat.kind) == (1, 3, "contained")
    assert removed_side(repeat)[0] == repeat.first


def test_a_lead_pasted_again_with_a_credit_after_it_loses_the_later_copy() -> None:
    # Words after the copy that do not turn it: the lead on top stays, the copy at the end goes.
    [repeat] = find_repeats_in(
        Document(id="d", text=doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD, EN_LEAD + " (SPA)"))
    )
    assert (repeat.first.index, repeat.repeat.index, repeat.kind) == (1, 4, "edited")
    assert removed_side(repeat)[0] == repeat.repeat


def test_an_everyday_word_holding_a_negation_character_does_not_turn_an_edit() -> None:
    # 不断 (constantly) and 持续 (continuously): an edit, though 不 is in one and not the other.
    lead = (
        "国家统计局今天发布数据显示，一季度国内生产总值同比增长百分之五，"
        "经济运行不仅开局良好，而且不断向好发展。"
    )
    edited = lead.replace("不断", "持续")
    assert found(doc(ZH_HEAD, lead, ZH_OTHER, edited)) == [(1, 3, "edited")]


def test_spaceless_datelines_stay_datelines() -> None:
    assert found(doc(EN_HEAD, JA_LEAD, EN_OTHER, "【東京共同】" + JA_LEAD)) == [(1, 3, "prefixed")]
    thai = "กรุงเทพฯ 9 มี.ค. (ไทยโพสต์) - "
    assert found(doc(EN_HEAD, TH_LEAD, EN_OTHER, thai + TH_LEAD)) == [(1, 3, "prefixed")]
    assert found(doc(EN_HEAD, KO_LEAD, EN_OTHER, "(서울=연합뉴스) " + KO_LEAD)) == [
        (1, 3, "prefixed")
    ]


def test_an_edit_that_negates_in_a_spaceless_script_is_no_repeat() -> None:
    negated = JA_LEAD.replace("固めた", "固めていない")
    assert found(doc(EN_HEAD, JA_LEAD, EN_OTHER, negated)) == []
    negated = TH_LEAD.replace("ประกาศขึ้น", "ไม่ได้ประกาศขึ้น")
    assert found(doc(EN_HEAD, TH_LEAD, EN_OTHER, negated)) == []
    negated = KO_LEAD.replace("인상한다고", "인상하지 않는다고")
    assert found(doc(EN_HEAD, KO_LEAD, EN_OTHER, negated)) == []


@pytest.mark.parametrize(
    ("lead", "before", "after"),
    [
        (ZH_LEAD, "宣布将", "表示无法"),  # cannot
        (ZH_LEAD, "宣布将", "拒绝"),  # refuses to
        (JA_LEAD, "方針を固めた", "方針を固めず"),  # the ず form: without deciding
        (TH_LEAD, "ประกาศขึ้น", "มิได้ประกาศขึ้น"),  # formal "did not"
        (KO_LEAD, "인상한다고", "인상하지 못했다고"),  # could not
    ],
)
def test_more_negations_turn_an_edit(lead: str, before: str, after: str) -> None:
    assert before in lead
    assert found(doc(EN_HEAD, lead, EN_OTHER, lead.replace(before, after))) == []


def test_rose_and_fell_are_two_statements_in_any_script() -> None:
    english = (
        "Consumer prices in the capital rose 5.3 percent in the year to March, the statistics "
        "office said on Tuesday, driven by the cost of food, rent and transport services."
    )
    arabic = (
        "ارتفع معدل التضخم في المملكة خلال شهر مارس إلى 5.3 في المئة على أساس سنوي بحسب ما "
        "أعلنت الهيئة العامة للإحصاء اليوم مدفوعا بأسعار الغذاء والإيجارات والنقل"
    )
    chinese = (
        "国家统计局今天发布数据显示，三月份全国居民消费价格同比增长百分之五点三，其中食品价格"
        "和服务价格涨幅较大，交通通信价格保持稳定，市场供应总体充足。"
    )
    for lead, before, after, other in (
        (english, "rose", "fell", ("Tuesday", "Wednesday")),
        (arabic, "ارتفع", "انخفض", ("اليوم", "أمس")),
        (chinese, "同比增长", "同比下降", ("总体充足", "总体平稳")),
        (EN_LEAD, "increases", "decreases", ("Tuesday", "Monday")),
    ):
        assert found(doc(EN_HEAD, lead, EN_OTHER, lead.replace(before, after))) == []
        # another word changed: still an edited repeat
        assert found(doc(EN_HEAD, lead, EN_OTHER, lead.replace(*other))) == [(1, 3, "edited")]


KU_LEAD = (
    "ئەنجومەنی وەزیرانی هەرێمی کوردستان لە کۆبوونەوەی ئەمڕۆی خۆیدا بڕیاری دا کە مووچەی مانگی "
    "ئەیلوولی فەرمانبەران لە سەرەتای هەفتەی داهاتوودا دابەش بکرێت و وەزارەتی دارایی ڕاسپێردرا بۆ "
    "جێبەجێکردنی ئەو بڕیارە بە زووترین کات."
)
FA_LEAD = (
    "هیئت وزیران در جلسه امروز خود با افزایش ۲۰ درصدی حقوق کارکنان دولت از ابتدای سال آینده "
    "موافقت کرد و سازمان برنامه و بودجه موظف شد منابع لازم برای اجرای این مصوبه را در لایحه "
    "بودجه پیش‌بینی کند."
)
UR_LEAD = (
    "وفاقی کابینہ نے آج اپنے اجلاس میں سرکاری ملازمین کی تنخواہوں میں اگلے مالی سال سے اضافے کی "
    "منظوری دے دی ہے اور وزارت خزانہ کو ہدایت کی گئی ہے کہ وہ اس فیصلے پر عمل درآمد کے لیے فوری "
    "اقدامات کرے۔"
)


@pytest.mark.parametrize(
    "later",
    [
        # negated verbs: نە for the verb's own ب, ن before an auxiliary, نہیں
        KU_LEAD.replace("دابەش بکرێت", "دابەش نەکرێت"),
        FA_LEAD.replace("موافقت کرد", "موافقت نخواهد کرد"),
        UR_LEAD.replace("منظوری دے دی", "منظوری نہیں دی"),
        # a word swapped for its opposite
        FA_LEAD.replace("افزایش", "کاهش"),
        FA_LEAD.replace("موافقت", "مخالفت"),
    ],
)
def test_kurdish_persian_and_urdu_edits_that_turn_are_no_repeats(later: str) -> None:
    lead = next(lead for lead in (KU_LEAD, FA_LEAD, UR_LEAD) if lead[:20] == later[:20])
    assert found(doc(EN_HEAD, lead, EN_OTHER, later)) == []
    # the lead behind a dateline is still found
    assert found(doc(EN_HEAD, lead, EN_OTHER, "تهران (ایرنا) - " + lead)) == [(1, 3, "prefixed")]


@pytest.mark.parametrize(
    ("lead", "denial"),
    [
        (KU_LEAD, "وتەبێژی حکوومەت ئەوەی ڕەتکردەوە کە "),
        (UR_LEAD, "حکومتی ترجمان نے اس خبر کی تردید کی کہ "),
        (FA_LEAD, "شایعه شده است که "),
    ],
)
def test_a_kurdish_persian_or_urdu_denial_before_a_copy_is_kept(lead: str, denial: str) -> None:
    # "the spokesman denied that" + the lead: the paragraph that stays holds the denial
    assert found(doc(EN_HEAD, lead, EN_OTHER, denial + lead)) == [(1, 3, "contained")]


@pytest.mark.parametrize("dateline", ["هەولێر (کوردستان24)- ", "هەولێر (کوردستان 24)- "])
def test_an_outlets_number_in_a_dateline_adds_no_figure(dateline: str) -> None:
    # Kurdistan24 (or France 24) names itself with a figure the lead lacks: an edited lead
    # behind its dateline was no repeat, as if the copy carried a new figure.
    edited = KU_LEAD.replace(" بە زووترین کات", "")
    assert found(doc(EN_HEAD, KU_LEAD, EN_OTHER, dateline + edited)) == [(1, 3, "edited")]
    # a figure the lead lacks, in the body, still tells another statement
    changed = edited.replace("ئەیلوولی", "ئەیلوولی 2024")
    assert found(doc(EN_HEAD, KU_LEAD, EN_OTHER, dateline + changed)) == []


def test_a_hindi_negation_turns_an_edit() -> None:
    lead = (
        "सरकार ने आज घोषणा की कि अगले वर्ष से राजधानी में सार्वजनिक परिवहन के किराए में दस "
        "प्रतिशत की बढ़ोतरी की जाएगी और नई बसें खरीदी जाएंगी ताकि यात्रियों को बेहतर सुविधा मिले"
    )
    negated = lead.replace("की जाएगी", "नहीं की जाएगी")
    assert found(doc(EN_HEAD, lead, EN_OTHER, negated)) == []
    assert len(found(doc(EN_HEAD, lead, EN_OTHER, lead.replace("नई", "कई नई")))) == 1


@pytest.mark.parametrize(
    "entries",
    [
        [
            f"{name} (former council speaker) received the Order of the Rising Sun for a long "
            "contribution to the development of local self-government."
            for name in ("Taro Yamada", "Ichiro Suzuki", "Hanako Sato")
        ],
        [
            f"{name}様（元市議会議長）は、長年にわたり地方自治の発展に尽力された功績により、"
            "旭日小綬章を受章されました。"
            for name in ("山田太郎", "鈴木一郎", "佐藤花子")
        ],
        [
            f"{name}同志被评为本年度全县优秀共产党员，县委县政府予以通报表彰并颁发荣誉证书和奖金。"
            for name in ("张伟", "李强", "王芳")
        ],
        [
            f"ปั๊มน้ำมัน {brand} ราคาน้ำมันแก๊สโซฮอล์ 95 ลิตรละ 37.45 บาท น้ำมันแก๊สโซฮอล์ 91 "
            "ลิตรละ 37.08 บาท น้ำมันดีเซล ลิตรละ 32.94 บาท"
            for brand in ("ปตท.", "บางจาก", "เชลล์")
        ],
    ],
    ids=["en", "ja", "zh", "th"],
)
def test_entries_of_a_list_that_differ_in_their_name_are_no_repeat(entries: list[str]) -> None:
    assert found(doc(EN_HEAD, EN_LEAD, *entries)) == []


def test_a_lead_pasted_again_with_other_joining_words_is_an_edited_repeat() -> None:
    lead = (
        "قالت مصادر طبية في عدن إن تسعة أشخاص بينهم خمسة مدنيين لقوا حتفهم وأصيب آخرون إثر "
        "تعرضهم لانفجار ألغام أرضية زرعتها الميليشيات في عدد من الأحياء السكنية"
    )
    assert found(doc(AR_HEAD, "ومن جهة ثانية " + lead, AR_OTHER, "وعلى صعيد آخر " + lead)) == [
        (1, 3, "edited")
    ]
    english = "Meanwhile, " + EN_LEAD[0].lower() + EN_LEAD[1:]
    assert found(doc(EN_HEAD, english, EN_OTHER, "Separately, " + EN_LEAD)) == [(1, 3, "edited")]


def test_a_growing_chain_of_paragraphs_loses_every_smaller_one_in_one_pass() -> None:
    # A, A+S, A+S+T: each later one holds the one before it. Paired only with A, A+S stayed,
    # and a second clean of the clean corpus cut it.
    grown = EN_LEAD + " " + EN_THIRD
    chain = doc(EN_HEAD, EN_LEAD, grown, grown + " " + EN_OTHER)
    assert found(chain) == [(1, 2, "contained"), (2, 3, "contained")]


def test_a_short_line_printed_three_times_in_a_row_is_one_block() -> None:
    line = "Follow us on social media for more news"
    assert found(doc(EN_HEAD, EN_LEAD, line, line, line)) == [(2, 3, "exact"), (2, 4, "exact")]


def test_an_edit_that_negates_is_no_repeat() -> None:
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD.replace("voted", "has not voted"))) == []
    # Arabic writes "and will not" as one word: "ولن".
    promise = (
        "قال مسؤول كبير إن الحكومة ستوافق على مشروع الميزانية الجديد خلال الجلسة المقبلة "
        "للمجلس بعد مناقشات طويلة مع الكتل النيابية"
    )
    denied = promise.replace("ستوافق", "ولن توافق")
    assert found(doc(AR_HEAD, promise, AR_OTHER, denied)) == []
    # A negation only in a clause the copy adds does not turn the copy.
    lead = EN_LEAD + " " + EN_THIRD
    appended = lead[:-1] + ", speaking on condition they not be named."
    assert [kind for _, _, kind in found(doc(EN_HEAD, lead, EN_OTHER, appended))] != []
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD.replace("voted", "has voted"))) == [
        (1, 3, "edited")
    ]


def test_a_prefix_inside_a_word_is_no_dateline() -> None:
    # "Un" is no dateline before "Official results …", and "unofficial" turns what it says.
    lead = "Official results show " + EN_LEAD[0].lower() + EN_LEAD[1:]
    assert found(doc(EN_HEAD, lead, EN_OTHER, "Un" + lead[0].lower() + lead[1:])) == []


def test_old_mac_line_endings() -> None:
    text = "\r\r".join([EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD])
    assert found(text) == [(1, 3, "exact")]


def test_english_contained() -> None:
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD + " " + EN_THIRD)) == [(1, 3, "contained")]


def test_english_contained_the_other_way() -> None:
    text = doc(EN_HEAD, EN_LEAD + " " + EN_THIRD, EN_OTHER, EN_LEAD)
    assert found(text) == [(1, 3, "contained")]


def test_english_edited_by_a_dropped_word() -> None:
    assert found(doc(EN_HEAD, EN_LEAD, EN_OTHER, drop_word(EN_LEAD, 7))) == [(1, 3, "edited")]


UPDATE = (
    "The ministry of health said on {day} that {new} new cases of the virus had been recorded "
    "in the capital over the past twenty four hours, bringing the total to {total}."
)


def test_an_update_that_changes_only_its_figures_is_no_repeat() -> None:
    monday = UPDATE.format(day="Monday", new="125", total="4,310")
    tuesday = UPDATE.format(day="Monday", new="131", total="4,441")
    assert found(doc(EN_HEAD, monday, EN_OTHER, tuesday)) == []
    # Dropping a figure adds none: still an edited copy, and cleaning it loses nothing.
    dropped = monday.replace(" 125", "")
    assert found(doc(EN_HEAD, monday, EN_OTHER, dropped)) == [(1, 3, "edited")]


def test_a_contained_copy_with_a_figure_of_its_own_is_no_repeat() -> None:
    longer = EN_LEAD + " " + EN_THIRD
    assert found(doc(EN_HEAD, longer, EN_OTHER, EN_LEAD[:-1] + " in 2025.")) == []
    assert found(doc(EN_HEAD, longer, EN_OTHER, EN_LEAD[:-1] + " in time.")) == [
        (1, 3, "contained")
    ]


def test_english_short_stock_phrase_is_not_flagged() -> None:
    stock = "Reporting by Jane Smith"
    assert found(doc(EN_HEAD, EN_LEAD, stock, EN_OTHER, stock, EN_THIRD)) == []


def test_english_block_printed_twice_with_its_headline() -> None:
    text = doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_HEAD, EN_LEAD, EN_OTHER)
    assert found(text) == [(0, 3, "exact"), (1, 4, "exact"), (2, 5, "exact")]


def test_short_paragraph_printed_twice_in_a_row_is_flagged() -> None:
    assert found(doc(EN_LEAD, EN_HEAD, EN_HEAD, EN_OTHER)) == [(1, 2, "exact")]


def test_every_later_copy_points_at_the_first() -> None:
    text = doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD, EN_THIRD, EN_LEAD)
    assert found(text) == [(1, 3, "exact"), (1, 5, "exact")]


def test_repeat_fields() -> None:
    text = doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD)
    [repeat] = find_repeats_in(Document(id="story-1", text=text, ordinal=4))
    first_start = len(EN_HEAD) + 2
    repeat_start = first_start + len(EN_LEAD) + 2 + len(EN_OTHER) + 2
    assert (repeat.doc, repeat.ordinal, repeat.kind) == ("story-1", 4, "exact")
    assert (repeat.first.start, repeat.first.end) == (first_start, first_start + len(EN_LEAD))
    assert (repeat.repeat.start, repeat.repeat.end) == (repeat_start, repeat_start + len(EN_LEAD))
    assert repeat.scores == {"similarity": 100.0, "containment": 1.0}
    assert repeat.excerpt == EN_LEAD[:160]


def test_min_tokens_decides_what_is_compared_alone() -> None:
    text = doc(EN_LEAD, "Reporting by Jane Smith", EN_OTHER, "Reporting by Jane Smith")
    assert found(text) == []
    assert found(text, RepeatConfig(min_tokens=4)) == [(1, 3, "exact")]


def test_single_paragraph_and_empty_documents() -> None:
    assert found(EN_LEAD) == []
    assert found("") == []


# --- Chinese ------------------------------------------------------------------------------------


def test_chinese_repeated_paragraph_is_found() -> None:
    assert found(doc(ZH_HEAD, ZH_LEAD, ZH_OTHER, ZH_LEAD)) == [(1, 3, "exact")]


def test_chinese_edited_repeat_is_found() -> None:
    edited = ZH_LEAD.replace("大量", "")
    assert found(doc(ZH_HEAD, ZH_LEAD, ZH_OTHER, edited)) == [(1, 3, "edited")]


def test_chinese_is_shingled_by_characters() -> None:
    normalized = normalize(ZH_LEAD)
    shingles = shingle_paragraphs([normalized], 3)
    by_hand = shingle_paragraphs([" ".join(ZH_LEAD)], 3)
    assert shingles.token_counts.tolist() == [len(ZH_LEAD)]
    assert len(shingles.hashes) == len(ZH_LEAD) - 2
    assert np.array_equal(shingles.hashes, by_hand.hashes)


def test_shingles_stay_inside_their_paragraph() -> None:
    shingles = shingle_paragraphs(["a b c d", "e f", "", "g h i"], 3)
    assert shingles.token_counts.tolist() == [4, 2, 0, 3]
    assert shingles.paragraph.tolist() == [0, 0, 1, 3]
    assert len(shingles.of_paragraph(0)) == 2
    # "b c d" and "g h i" have different words; identical 3-grams hash alike
    again = shingle_paragraphs(["x b c d"], 3)
    assert shingles.hashes[1] == again.hashes[1]
    assert shingles.hashes[0] != again.hashes[0]


@pytest.mark.parametrize("n", [0, 11])
def test_shingle_size_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=f"n must be between 1 and 10, got {n}"):
        shingle_paragraphs(["a b c"], n)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 5)), max_size=60),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_paragraph_overlaps_equal_a_brute_force_count(
    shingles: list[tuple[int, int]], eligible: list[bool]
) -> None:
    hashes = np.array([h for h, _ in shingles], dtype=np.uint32)
    paragraph = np.array([p for _, p in shingles], dtype=np.int32)
    firsts, laters, overlaps = paragraph_overlaps(hashes, paragraph, np.array(eligible))
    sets = [{h for h, p in shingles if p == k} if eligible[k] else set() for k in range(6)]
    expected = [
        (i, j, len(sets[i] & sets[j]) / min(len(sets[i]), len(sets[j])))
        for i in range(6)
        for j in range(i + 1, 6)
        if sets[i] & sets[j]
    ]
    assert list(zip(firsts.tolist(), laters.tolist(), overlaps.tolist(), strict=True)) == expected


def test_a_document_of_many_short_lines_is_checked_in_bounded_memory() -> None:
    lead = EN_LEAD
    lines = [f"line {k}" for k in range(60_000)]
    text = "\n".join([EN_HEAD, lead, *lines, lead])
    # The count table covers the two eligible paragraphs, not 60,004 squared cells.
    assert found(text) == [(1, 60_002, "exact")]


def test_a_lone_surrogate_in_a_repeated_paragraph_is_no_crash() -> None:
    # Broken scraped text carries lone surrogates; comparing the paragraphs reads them back.
    lead = EN_LEAD + " \ud83d"
    text = f"{EN_HEAD}\n\n{lead}\n\n{EN_OTHER}\n\nLONDON (Reuters) - {lead}"
    assert found(text) == [(1, 3, "prefixed")]
