"""The HTML report: escaping and structure as strings, then the page in headless Chromium."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import random
import re
import select
import shutil
import subprocess
import time
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dedup import Cluster, Document, Match, Paragraph, Repeat, Report, ScanConfig, scan_documents
from dedup.check import CheckConfig, add_documents, check_documents
from dedup.index import open_index
from dedup.model import CheckReport
from dedup.report import REPORT_FORMATS, write_report
from dedup.report.html import HEADLESS_CHROMIUM_FLAGS, removable_bytes, render_html, write_html

EN = [
    "Flood waters recede in the river valley",
    "Flood waters began to recede on Sunday in the river valley after four days of heavy rain "
    "forced thousands of families to leave their homes and move to schools on higher ground.",
    "Rescue teams said they had reached every village cut off by the water, and that the main "
    "road to the valley would reopen once engineers had checked the damaged bridges.",
    "The regional governor promised compensation for farmers whose crops were destroyed and "
    "asked the national government to declare the valley a disaster area this week.",
]
AR = [
    "افتتاح معرض الكتاب الدولي في أربيل",
    "افتتح في مدينة أربيل اليوم السبت معرض الكتاب الدولي بمشاركة أكثر من ثلاثمئة دار نشر من "
    "عشرين دولة عربية وأجنبية وسط إقبال كبير من الزوار والطلاب والباحثين",
    "وقال مدير المعرض في مؤتمر صحفي إن الدورة الحالية تضم أكثر من مئة ألف عنوان في الأدب "
    "والتاريخ والعلوم وإن الأسعار ستكون مخفضة للطلاب طوال أيام المعرض",
    "ويستمر المعرض عشرة أيام تتخللها ندوات فكرية وأمسيات شعرية وحفلات توقيع لعدد من الكتاب "
    "والشعراء الكورد والعرب بحضور جمهور واسع من المهتمين بالثقافة",
]
AR_REPEAT = [
    "أمطار غزيرة في السليمانية",
    "شهدت محافظة السليمانية أمطارا غزيرة منذ ساعات الصباح الأولى أدت إلى ارتفاع منسوب المياه "
    "في عدد من الشوارع الرئيسية وتعطل حركة السير في أحياء عدة من المدينة",
    "ودعت مديرية الدفاع المدني المواطنين إلى توخي الحذر وعدم الاقتراب من مجاري السيول حتى "
    "انتهاء موجة الأمطار المتوقع أن تستمر حتى مساء يوم غد",
]
DATELINE = "السليمانية (كوردستان24)- "
HOSTILE = (
    '<script>window.pwned = 1; document.title = "pwned"</script></textarea>'
    '<img src=x onerror="window.pwned = 2"> <a href="javascript:window.pwned = 3">click me</a>'
)
OTHERS = [
    "Stock markets closed higher on Friday as investors welcomed figures showing that "
    "inflation slowed for the third month in a row across most of the large economies.",
    "أعلنت وزارة الزراعة عن خطة جديدة لدعم مزارعي القمح في المحافظات الشمالية تشمل توزيع "
    "البذور المحسنة والأسمدة بأسعار مدعومة على آلاف المزارعين",
    "The museum reopened its ancient history galleries after a two year renovation that added "
    "new lighting, wider walkways and a room for school visits on weekday mornings.",
]


def _corpus() -> list[Document]:
    texts = {
        "en-story": "\n\n".join(EN),
        "en-copy": "\n\n".join(
            ["Valley flood waters recede", "CITY (Wire) - " + EN[1], EN[2], EN[3], HOSTILE]
        ),
        "ar-story": "\n\n".join(AR),
        "ar-copy": "\n\n".join(["معرض أربيل الدولي للكتاب يفتح أبوابه", *AR[1:]]),
        "ar-repeat": "\n\n".join(
            [AR_REPEAT[0], AR_REPEAT[1], DATELINE + AR_REPEAT[1], AR_REPEAT[2]]
        ),
        **{f"other-{n}": text for n, text in enumerate(OTHERS)},
    }
    return [Document(i, t, ordinal=n) for n, (i, t) in enumerate(texts.items())]


@pytest.fixture(scope="module")
def report() -> Report:
    return scan_documents(_corpus(), ScanConfig(), workers=1)


def test_the_corpus_has_what_the_page_must_show(report: Report) -> None:
    clusters = sorted(sorted(c.members) for c in report.clusters)
    assert ["en-copy", "en-story"] in clusters
    assert any({"ar-story", "ar-copy"} <= set(members) for members in clusters)
    assert "ar-repeat" in {r.doc for r in report.repeats}


# -- the page as a string -----------------------------------------------------------------


class _Elements(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


def test_input_text_is_escaped_everywhere(report: Report) -> None:
    hostile_id = '<script>alert("id")</script>'
    report = Report(
        documents=report.documents,
        repeats=report.repeats,
        matches=[*report.matches, Match(hostile_id, "en-story", "partial", "a_in_b", {})],
        clusters=report.clusters,
        texts={**report.texts, hostile_id: HOSTILE},
    )
    page = render_html(report)
    tags = _tags(page)
    assert [t for t, _ in tags].count("script") == 1  # the report's own, at the end
    assert not [t for t, _ in tags if t in ("img", "textarea", "iframe", "object")]
    assert all((a.get("href") or "").startswith("#") for t, a in tags if t == "a")
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]
    assert (
        "&lt;script&gt;window.pwned = 1; document.title = &quot;pwned&quot;&lt;/script&gt;" in page
    )
    assert "&lt;/textarea&gt;" in page
    assert "&lt;a href=&quot;javascript:window.pwned = 3&quot;&gt;" in page
    assert "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in page
    assert "<script>window" not in page and 'href="javascript' not in page


def test_the_page_needs_no_network(report: Report) -> None:
    page = render_html(report)
    csp = next(
        a["content"] for t, a in _tags(page) if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert not [a for _, a in _tags(page) if a.get("src") or a.get("rel") == "stylesheet"]


def test_structure_summary_charts_and_marks(report: Report) -> None:
    page = render_html(report)
    tags = _tags(page)
    assert page.index('id="summary"') < page.index('id="clusters"') < page.index('id="repeats"')
    assert [t for t, _ in tags].count("svg") == 3
    passages = [a for t, a in tags if "passage" in (a.get("class") or "").split()]
    # each in the direction most of its letters read in: the corpus has Arabic and English
    assert {a.get("dir") for a in passages} == {"rtl", "ltr"}
    assert any(t == "mark" and "shared" in (a.get("class") or "") for t, a in tags)
    assert any(t == "mark" and "repeat" in (a.get("class") or "") for t, a in tags)
    assert "bytes clean would remove" in page


def test_removable_bytes_match_what_clean_removes(report: Report) -> None:
    removable = removable_bytes(report)
    dropped = {m for c in report.clusters for m in c.members if m != c.keep}
    assert removable.documents_dropped == len(dropped)
    assert removable.document_bytes == sum(len(report.texts[d].encode()) for d in dropped)
    text = report.texts["ar-repeat"]
    repeated = DATELINE + AR_REPEAT[1]
    assert removable.repeat_bytes == len(("\n\n" + repeated).encode())
    assert text.count(repeated) == 1 and not removable.estimated


def test_removable_bytes_without_texts_are_a_lower_bound() -> None:
    report = Report(
        documents=3,
        repeats=[Repeat("d", Paragraph(0, 0, 10), Paragraph(1, 12, 30), "exact", {})],
        clusters=[Cluster(0, ("a", "b", "c"), "a")],
        texts={"b": "ééé"},
    )
    removable = removable_bytes(report)
    assert (removable.document_bytes, removable.documents_without_text) == (6, 1)
    assert removable.repeat_bytes == 18 and removable.estimated
    assert "≥ 24" in render_html(report)


def _synthetic(findings: int) -> Report:
    """A report with ``findings`` findings, a third each of repeats, matches and clusters."""
    third = findings // 3
    text = "\n\n".join(["a title", "a first paragraph of words", "a first paragraph of words"])
    report = Report(documents=findings)
    for n in range(third):
        report.repeats.append(
            Repeat(f"r{n}", Paragraph(1, 9, 35), Paragraph(2, 37, 63), "exact", {}, ordinal=n)
        )
        report.matches.append(
            Match(f"p{n}", f"q{n}", "partial", "a_in_b", {"jaccard": n / third}, ((1, 1, 1.0),))
        )
        report.clusters.append(Cluster(n, tuple(f"c{n}-{k}" for k in range(2 + n % 7)), f"c{n}-0"))
    report.texts = {f"r{n}": text for n in range(third)}
    return report


def test_sections_are_capped_with_a_count_of_what_was_left_out() -> None:
    page = render_html(_synthetic(300), limit=40)
    assert page.count('class="finding cluster"') == 40
    assert page.count('class="finding partial"') == 40
    assert page.count('class="finding repeats"') == 40
    assert page.count("60 more clusters are left out") == 1
    assert page.count("60 more partial copies are left out") == 1
    assert page.count("60 more documents are left out") == 1
    # biggest first: clusters of 8 members lead
    first = page.index('class="finding cluster"')
    assert "8 documents" in page[first : first + 400]


def test_a_member_clustered_through_another_shows_the_pair_that_links_it() -> None:
    # "lead" matched "wire", and "wire" matched "digest": "digest" was shown beside the kept
    # "lead" with nothing marked and no reason for it being there.
    texts = {
        "lead": "First shared paragraph.\n\nSecond paragraph.",
        "wire": "First shared paragraph.\n\nSecond paragraph, longer.",
        "digest": "Other opening.\n\nSecond paragraph, longer.",
    }
    scores = {"jaccard": 0.9}
    report = Report(
        documents=3,
        matches=[
            Match("lead", "wire", "near_duplicate", None, scores, ((0, 0, 1.0),)),
            Match("wire", "digest", "near_duplicate", None, scores, ((1, 1, 1.0),)),
        ],
        clusters=[Cluster(0, ("lead", "wire", "digest"), "lead")],
        texts=texts,
    )
    page = render_html(report)
    assert (
        page.count(
            '<p class="meta"><bdi class="id">digest</bdi> matched <bdi class="id">wire</bdi>, not '
            "the kept document itself: clustered through it</p>"
        )
        == 1
    )
    linked = page[page.index("clustered through it") :]
    assert linked.index("member: <bdi") < linked.index("copy: <bdi")
    assert linked.count("<mark") == 2  # Second paragraph, longer: marked on both sides


def test_a_passage_reads_in_the_direction_of_most_of_its_letters() -> None:
    # dir="auto" follows the first letter: an Arabic paragraph opening with a Latin credit was
    # laid out left to right.
    from dedup.report.html import _direction

    assert _direction("BBC: قال المتحدث باسم الوزارة إن الطريق سيفتح غدا") == "rtl"
    assert _direction("قال: The minister said the road would open tomorrow") == "ltr"
    assert _direction("2024 — 15%") == "auto"


def test_a_long_copy_shows_its_first_paragraphs_and_counts_the_rest() -> None:
    # 400 paragraphs of 500 characters, identical in both: all shared, most past the room.
    paragraphs = [
        f"Paragraph {n:03d} of a book-length report" + " and more" * 51 + " end" for n in range(400)
    ]
    assert {len(p) for p in paragraphs} == {500}
    text = "\n\n".join(paragraphs)
    found = scan_documents(
        [Document("book", text, ordinal=0), Document("book-copy", text, ordinal=1)],
        ScanConfig(find_repeats=False),
        workers=1,
    )
    assert [c.members for c in found.clusters] == [("book", "book-copy")]
    page = render_html(found, max_chars=6000)
    # Shared paragraphs fill ten times max_chars: 120 of 500 characters; 280 are counted.
    assert page.count('<p class="passage"') == 2 * 120
    chars = sum(len(p) for p in paragraphs[120:])
    assert (
        page.count(
            f"… 280 more paragraphs ({chars:,} characters, 280 with shared text) past what a "
            "document shows"
        )
        == 2
    )
    assert len(page) < 300_000


def test_a_news_length_copy_shows_every_shared_paragraph() -> None:
    # 14 paragraphs of about 600 characters, 13 shared: over max_chars (6,000) in all.
    rng = random.Random(3)
    vocabulary = ["".join(rng.choices("abcdefghij", k=rng.randint(3, 8))) for _ in range(2000)]
    paragraphs = [" ".join(rng.choices(vocabulary, k=100)) for _ in range(15)]
    assert sum(map(len, paragraphs[:14])) > 6000
    found = scan_documents(
        [
            Document("story", "\n\n".join(paragraphs[:14]), ordinal=0),
            Document("copy", "\n\n".join([*paragraphs[:13], paragraphs[14]]), ordinal=1),
        ],
        ScanConfig(find_repeats=False),
        workers=1,
    )
    assert [c.members for c in found.clusters] == [("story", "copy")]
    page = render_html(found, max_chars=6000)
    assert page.count('<mark class="shared"') == 2 * 13
    assert "past what a document shows" not in page
    # max_chars 0: shared paragraphs still show, clipped to 1,000 characters each.
    assert render_html(found, max_chars=0).count('<mark class="shared"') == 2 * 13


def test_html_is_a_report_format(tmp_path: Path, report: Report) -> None:
    assert ".html" in REPORT_FORMATS
    write_report(report, tmp_path / "out" / "report.HTML")
    page = (tmp_path / "out" / "report.HTML").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.HTML"]


def test_scan_writes_an_html_report(invoke: Any, workdir: Path) -> None:
    for document in _corpus():
        (workdir / f"{document.id}.txt").write_text(document.text, "utf-8")
    result = invoke("scan", ".", "--report", "report.html", "--quiet")
    assert result.exit_code == 0, result.output
    page = (workdir / "report.html").read_text("utf-8")
    assert "&lt;script&gt;window.pwned" in page and "<script>window" not in page


def test_a_partial_copy_says_how_much_of_the_contained_text_it_holds(
    invoke: Any, workdir: Path
) -> None:
    # Most partial copies are decided on their 3-grams, without aligning sentences: the heading
    # gives the measure there is, as the text summary does (it said "0% of the sentences").
    sample = Path(__file__).parents[1] / "examples" / "news.jsonl"
    assert invoke("scan", str(sample), "--report", "r.html", "-q").exit_code == 0
    page = (workdir / "r.html").read_text("utf-8")
    headings = re.findall(r"contains \d+% of the [\w -]+ of", page)
    assert headings == [
        "contains 59% of the word 3-grams of",
        "contains 49% of the word 3-grams of",
    ]


# -- a check's page: the archive ----------------------------------------------------------------


def _article(seed: int, paragraphs: int = 4) -> str:
    """Made-up paragraphs of random words, the same for one seed."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "\n\n".join(
        " ".join("".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(40)) + "."
        for _ in range(paragraphs)
    )


HOSTILE_ARCHIVED_ID = '<img src=x onerror="window.pwned = 4">a-7'
HOSTILE_BATCH_ID = "<script>window.pwned = 5</script>copy-of-a-7"
ARCHIVE = {
    **{f"a-{k}": _article(k) for k in range(6)},
    HOSTILE_ARCHIVED_ID: _article(7) + "\n\n" + HOSTILE,
}
BATCH = {
    "copy-of-a-2": "A new headline for the story\n\n" + _article(2) + "\n\n(Agency)",
    "fresh-1": _article(101),
    # a-3 inside a longer story: a partial copy, the archived one in the batch document
    "grows-a-3": _article(301, 6) + "\n\n" + _article(3) + "\n\n" + _article(302, 6),
    HOSTILE_BATCH_ID: _article(7) + "\n\n" + HOSTILE,
    # the id of an archived document, another text (with a repeat: a finding, its text kept)
    "a-2": _article(102, 2) + "\n\n" + _article(102, 1),
}


def _check(folder: Path, config: ScanConfig | None = None) -> CheckReport:
    """``BATCH`` checked against ``ARCHIVE`` in a real SQLite index in ``folder``."""
    url = str(folder / "archive.db")
    if not (folder / "archive.db").exists():
        with open_index(url) as index:
            archive = [Document(i, t, ordinal=n) for n, (i, t) in enumerate(ARCHIVE.items())]
            add_documents(index, archive, workers=1)
    batch = [
        Document(i, t, path="batch.jsonl", line=n + 1, ordinal=n)
        for n, (i, t) in enumerate(BATCH.items())
    ]
    with open_index(url, create=False) as index:
        return check_documents(index, batch, CheckConfig(config or ScanConfig(), workers=1))


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> CheckReport:
    return _check(tmp_path_factory.mktemp("check"))


def _archive_section(page: str) -> str:
    return page[page.index('<section id="archive">') : page.index('<section id="clusters">')]


def test_the_check_has_what_the_page_must_show(checked: CheckReport) -> None:
    assert [(m.doc, m.archived, m.kind, m.direction) for m in checked.archive_matches] == [
        ("copy-of-a-2", "a-2", "near_duplicate", None),
        ("grows-a-3", "a-3", "partial", "archived_in_doc"),
        (HOSTILE_BATCH_ID, HOSTILE_ARCHIVED_ID, "near_duplicate", None),
    ]
    assert checked.duplicates == [0, 3] and checked.archive_documents == len(ARCHIVE)
    assert "a-2" in {r.doc for r in checked.repeats}


def test_the_check_page_shows_each_archive_match(checked: CheckReport) -> None:
    page = render_html(checked)
    assert '<a href="#archive">Archive matches</a>' in page
    section = _archive_section(page)
    assert "<h2>Archive matches (3)</h2>" in section
    headings = [h.split("</h3>")[0] for h in section.split("<h3>")[1:]]
    # near-duplicates (what fails the check) first, then the partial copy
    assert headings == [
        '<bdi class="id">copy-of-a-2</bdi>: near-duplicate of archived <bdi class="id">a-2</bdi>',
        '<bdi class="id">&lt;script&gt;window.pwned = 5&lt;/script&gt;copy-of-a-7</bdi>: '
        'near-duplicate of archived <bdi class="id">&lt;img src=x onerror=&quot;window.pwned = '
        "4&quot;&gt;a-7</bdi>",
        '<bdi class="id">grows-a-3</bdi>: partial copy of archived <bdi class="id">a-3</bdi>',
    ]
    partial = section[section.index("grows-a-3</bdi>: partial") :]
    assert "the batch document holds 100% of the sentences of the archived one" in partial
    assert "read at batch.jsonl, line 3" in partial
    assert section.count("identical once normalized") == 1  # the hostile pair: an exact copy
    # both texts side by side, the archived one read back from the index, its shared
    # paragraphs marked: a-2 is the archived text, not the batch document of that id
    first = section[: section.index("grows-a-3")]
    assert first.count('<mark class="shared"') == 8
    assert escape(ARCHIVE["a-2"].split("\n\n")[0]) in first.split("archived: ")[1]
    assert escape(BATCH["a-2"].split("\n\n")[0]) not in section
    assert "text not kept in the report" not in section


def test_the_check_summary_counts_the_archive(checked: CheckReport) -> None:
    page = render_html(checked)
    summary = page[page.index('<section id="summary">') : page.index('<section id="archive">')]
    assert "<b>2</b><span>duplicates (40.0% of the batch)</span>" in summary
    assert "<b>3</b><span>archive matches (2 near-duplicates, 1 partial copy)</span>" in summary
    assert "<b>7</b><span>documents in the archive</span>" in summary
    assert "2 of 5 documents are duplicates" in summary
    # the histograms count the archive matches too
    assert "3-gram Jaccard of matched pairs (n = 3)" in summary


def test_archived_ids_and_texts_are_escaped(checked: CheckReport) -> None:
    page = render_html(checked)
    tags = _tags(page)
    assert [t for t, _ in tags].count("script") == 1
    assert not [t for t, _ in tags if t in ("img", "textarea", "iframe", "object")]
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]
    assert "window.pwned = 4" in page and "window.pwned = 5" in page
    assert "<img" not in page and "<script>window" not in page
    archived = _archive_section(page).split("archived: ")[2]
    assert "&lt;script&gt;window.pwned = 1;" in archived
    # where the document was read is input too
    path = '<img src=x onerror="window.pwned = 6">.jsonl'
    moved = dataclasses.replace(checked.archive_matches[0], path=path)
    page = render_html(dataclasses.replace(checked, archive_matches=[moved]))
    assert "read at &lt;img src=x onerror=&quot;window.pwned = 6&quot;&gt;.jsonl, line 1" in page
    assert "<img" not in page


def test_a_check_keeps_archived_texts_within_the_report_budget(tmp_path: Path) -> None:
    # Two texts: the batch's a-2 (its repeat) and copy-of-a-2; a-2's archived text is left out.
    report = _check(tmp_path, ScanConfig(report_texts=2))
    assert sorted(report.texts) == ["a-2", "copy-of-a-2"] and report.archived_texts == {}
    section = _archive_section(render_html(report))
    assert section.count("text not kept in the report") == 5
    assert '<h4>archived: <bdi class="id">a-2</bdi></h4><p class="folded">text not kept' in section


def test_check_writes_an_html_report_that_agrees_with_the_jsonl(invoke: Any, workdir: Path) -> None:
    for name, records in (("archive.jsonl", ARCHIVE), ("batch.jsonl", BATCH)):
        lines = [json.dumps({"id": i, "text": t}) for i, t in records.items()]
        (workdir / name).write_text("\n".join(lines) + "\n", "utf-8")
    assert invoke("index", "add", "archive.db", "archive.jsonl").exit_code == 0
    result = invoke(
        "check", "--index", "archive.db", "batch.jsonl", "--max-duplicates", "1",
        "--report", "findings.html", "--report", "findings.jsonl", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output == "dedup: 2 duplicate documents, over the limit of 1 (--max-duplicates)\n"
    lines = [json.loads(line) for line in (workdir / "findings.jsonl").read_text().splitlines()]
    summary = lines[-1]
    page = (workdir / "findings.html").read_text("utf-8")
    # The page says the gate failed, and why, as the run's last line did.
    assert (
        page.count(
            '<p class="failed">The check failed: 2 duplicate documents, over the limit of 1 '
            "(--max-duplicates).</p>"
        )
        == 1
    )
    passed = invoke(
        "check", "--index", "archive.db", "batch.jsonl", "--max-duplicates", "2",
        "--report", "passed.html", "--quiet",
    )  # fmt: skip
    assert passed.exit_code == 0
    assert 'class="failed"' not in (workdir / "passed.html").read_text("utf-8")
    counts = re.findall(r'<div class="count"><b>([^<]*)</b><span>([^<]*)</span>', page)
    assert counts[:4] == [
        (str(summary["documents"]), "documents read"),
        (str(summary["duplicates"]), "duplicates (40.0% of the batch)"),
        (
            str(summary["archive_matches"]),
            f"archive matches ({summary['archive_near_duplicates']} near-duplicates, "
            f"{summary['archive_partial_copies']} partial copy)",  # one: no plural
        ),
        (str(summary["archive_documents"]), "documents in the archive"),
    ]
    kinds = {"near_duplicate": "near-duplicate", "partial": "partial copy"}
    archive_matches = [f for f in lines if f["type"] == "archive_match"]
    assert len(archive_matches) == summary["archive_matches"] == 3
    for found in archive_matches:
        assert (
            f'<h3><bdi class="id">{escape(found["doc"])}</bdi>: {kinds[found["kind"]]} of '
            f'archived <bdi class="id">{escape(found["archived"])}</bdi></h3>'
        ) in page


# -- the page in headless Chromium -----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (*HEADLESS_CHROMIUM_FLAGS, "--window-size=1280,2000")


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # the shell puts the pipe ends where --remote-debugging-pipe expects them
        self.process = subprocess.Popen(
            [
                "bash",  # dash cannot redirect from fds above 9
                "-c",
                f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}',
                binary,
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            self.events.append(reply)

    def wait_for(self, method: str, timeout_s: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events.append(self._read(deadline - time.monotonic()))

    def _read(self, timeout_s: float = 30) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, timeout_s))
            if not ready:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def open(self, url: str) -> str:
        """A new tab showing ``url`` once loaded; returns its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session: str = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable", session)
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired")
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


# Measured in the page: marks that are laid out, the direction and the on-screen order of the
# letters of each passage (a right-to-left line puts its first letter right of its fifth),
# and every trace the hostile document could leave if anything of it ran or became markup.
PROBE = r"""(() => {
  const visible = (e) => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 0;
  const marks = [...document.querySelectorAll("mark.shared")];
  const passages = [...document.querySelectorAll("p.passage")].map((p) => {
    const mark = p.querySelector("mark") || p;
    const node = [...mark.childNodes].find((n) => n.nodeType === 3 && n.data.trim().length > 8);
    let first = null, fifth = null;
    if (node) {
      const at = (i) => { const r = document.createRange(); r.setStart(node, i);
        r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
      const a = at(0), b = at(4);
      if (Math.abs(a.top - b.top) < 2) {
        first = a.left + a.width / 2; fifth = b.left + b.width / 2;
      }
    }
    return { text: mark.textContent.slice(0, 40), direction: getComputedStyle(p).direction,
             first: first, fifth: fifth };
  });
  return {
    title: document.title,
    pwned: typeof window.pwned === "undefined" ? null : window.pwned,
    scripts: document.scripts.length,
    injected: document.querySelectorAll("main img, main a, main textarea, main script").length,
    hostileShownAsText: (() => {
      const shown = [...document.querySelectorAll("p.passage")].find(
        (p) => p.textContent.includes("<script>window.pwned = 1;"));
      if (!shown) return false;
      shown.scrollIntoView();
      return visible(shown) && shown.innerText.includes('<script>window.pwned = 1; document');
    })(),
    marks: marks.length,
    visibleMarks: marks.filter(visible).length,
    repeatMarks: document.querySelectorAll("mark.repeat").length,
    passages: passages,
  };
})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return CHROMIUM


def test_the_page_in_headless_chromium(chromium: str, report: Report, tmp_path: Path) -> None:
    write_html(report, tmp_path / "report.html")
    browser = Browser(chromium, tmp_path / "profile")
    try:
        session = browser.open((tmp_path / "report.html").as_uri())
        shot = browser.call("Page.captureScreenshot", session, format="png")
        page = browser.evaluate(session, PROBE)
    finally:
        browser.close()
    png = base64.b64decode(shot["data"])
    (tmp_path / "report.png").write_bytes(png)
    assert png.startswith(b"\x89PNG") and len(png) > 20_000

    # highlighted spans exist and are laid out
    assert page["marks"] >= 4 and page["visibleMarks"] >= 4
    assert page["repeatMarks"] >= 2
    # Arabic passages run right to left, English ones left to right
    arabic = [p for p in page["passages"] if any("\u0600" <= c <= "\u06ff" for c in p["text"])]
    english = [p for p in page["passages"] if p["text"][:1].isascii() and p["text"][:1].isalpha()]
    assert len(arabic) >= 8 and len(english) >= 8
    assert all(p["direction"] == "rtl" for p in arabic)
    assert all(p["direction"] == "ltr" for p in english)
    measured = [p for p in arabic if p["first"] is not None]
    assert measured and all(p["first"] > p["fifth"] for p in measured)
    measured = [p for p in english if p["first"] is not None]
    assert measured and all(p["first"] < p["fifth"] for p in measured)
    # the hostile document shows as text and nothing of it ran or became an element
    assert page["pwned"] is None and page["title"] == "dedup report"
    assert page["scripts"] == 1 and page["injected"] == 0
    assert page["hostileShownAsText"]


# What a reader of a failing check sees of the archive: the section laid out, its headings as
# text (the hostile ids included), its shared paragraphs marked.
ARCHIVE_PROBE = r"""(() => {
  const section = document.querySelector("#archive");
  section.scrollIntoView();
  const visible = (e) => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 0;
  return {
    shown: visible(section),
    headings: [...section.querySelectorAll("h3")].map((h) => h.innerText),
    marks: [...section.querySelectorAll("mark.shared")].filter(visible).length,
    summary: [...document.querySelectorAll("#summary .count")].map((c) => c.innerText),
  };
})()"""


def test_the_check_page_in_headless_chromium(
    chromium: str, checked: CheckReport, tmp_path: Path
) -> None:
    write_html(checked, tmp_path / "check.html")
    browser = Browser(chromium, tmp_path / "profile")
    try:
        session = browser.open((tmp_path / "check.html").as_uri())
        page = browser.evaluate(session, PROBE)
        archive = browser.evaluate(session, ARCHIVE_PROBE)
    finally:
        browser.close()
    assert page["pwned"] is None and page["title"] == "dedup report"
    assert page["scripts"] == 1 and page["injected"] == 0
    assert page["hostileShownAsText"]
    assert archive["shown"] and archive["marks"] >= 8
    assert archive["headings"][1] == (
        f"{HOSTILE_BATCH_ID}: near-duplicate of archived {HOSTILE_ARCHIVED_ID}"
    )
    assert "2\nduplicates (40.0% of the batch)" in archive["summary"]


# Where each id lies against the column that holds it (a side of a pair).
WIDTH_PROBE = r"""(() => [...document.querySelectorAll(".side bdi.id")].map((id) => {
  const side = id.closest(".side").getBoundingClientRect();
  const box = id.getBoundingClientRect();
  return {left: box.left - side.left, right: side.right - box.right};
}))()"""


def test_an_unbreakable_id_stays_in_its_column(chromium: str, tmp_path: Path) -> None:
    # A URL-less id of 3,000 characters ran over into the other column of a pair.
    long_id = "x" * 3000
    text = "First shared paragraph of the story.\n\nSecond paragraph."
    report = Report(
        documents=2,
        matches=[Match(long_id, "b", "near_duplicate", None, {"jaccard": 1.0}, ((0, 0, 1.0),))],
        clusters=[Cluster(0, (long_id, "b"), long_id)],
        texts={long_id: text, "b": text},
    )
    write_html(report, tmp_path / "long.html")
    browser = Browser(chromium, tmp_path / "profile")
    try:
        ids = browser.evaluate(browser.open((tmp_path / "long.html").as_uri()), WIDTH_PROBE)
    finally:
        browser.close()
    assert len(ids) == 2
    assert all(place["left"] >= -1 and place["right"] >= -1 for place in ids), ids


def test_counts_take_the_singular_for_one() -> None:
    from dedup.report.html import _counted

    assert [_counted(n, "copy") for n in (0, 1, 2)] == ["0 copies", "1 copy", "2 copies"]
    assert _counted(1_500, "document") == "1,500 documents"
