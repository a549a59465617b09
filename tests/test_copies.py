"""Copies across documents: planted near-duplicates, partial copies, and clustering guards."""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Document, Report, ScanConfig, scan_documents
from dedup.cluster import cluster_pairs
from dedup.config import MatchConfig
from dedup.corpus import _Corpus
from dedup.digest import digest_encoded
from dedup.explain import compare

S1 = [
    "Storm closes northern ports",
    "Three northern ports closed on Monday as a winter storm brought winds of more than a "
    "hundred kilometres an hour to the coast, stranding dozens of cargo ships offshore.",
    "Harbour authorities said the ferries to the islands would not sail before Wednesday, and "
    "that fishing crews had been told to keep their boats tied up until the warning is lifted.",
    "The weather office expects the wind to ease on Tuesday night, but warned that heavy snow "
    "could block the mountain roads leading to the ports for several more days.",
    "Shipping companies estimated the cost of the closure at several million euros a day, "
    "mostly from perishable goods waiting in refrigerated containers on the docks.",
]
S2 = [
    "افتتاح مستشفى جديد للأطفال في المدينة",
    "افتتح وزير الصحة اليوم مستشفى جديدا للأطفال في شمال المدينة بسعة مئتي سرير ويضم أقساما "
    "متخصصة لعلاج أمراض القلب والسرطان لدى الأطفال حديثي الولادة",
    "وقال الوزير في كلمة خلال حفل الافتتاح إن المستشفى سيستقبل المرضى من جميع المحافظات "
    "المجاورة وإن الوزارة تعاقدت مع مئة وخمسين طبيبا وممرضا للعمل فيه",
    "وأضاف أن تكلفة المشروع بلغت ثلاثمئة مليون ريال وأنه استغرق أربع سنوات من العمل المتواصل "
    "بمشاركة شركات محلية ودولية متخصصة في البناء والتجهيز الطبي",
    "ومن المقرر أن يبدأ المستشفى استقبال المرضى الأسبوع المقبل بعد الانتهاء من تدريب الكوادر "
    "الطبية على الأجهزة الحديثة التي تم تركيبها في غرف العمليات",
]


def _filler(rng: random.Random, vocabulary: list[str]) -> str:
    paragraphs = []
    for _ in range(3):
        words = rng.choices(vocabulary, k=rng.randint(30, 50))
        paragraphs.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(paragraphs)


def _corpus() -> list[Document]:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(3000)]
    fillers = [_filler(rng, vocabulary) for _ in range(60)]
    s1_copy = [
        "Winter storm shuts three ports",
        "LONDON (Wire) - " + S1[1],
        S1[2].replace("Wednesday", "Thursday"),
        S1[3],
        "Follow our live coverage of the storm on the website.",
    ]
    s1_trimmed = [S1[1], S1[2]]
    s2_copy = [
        "وزير الصحة يفتتح مستشفى الأطفال",
        "الرياض (واس)- " + S2[1],
        S2[2],
        S2[3].replace("أربع سنوات", "خمس سنوات"),
        S2[4],
    ]
    digest = [
        fillers[0].split("\n\n")[0],
        S1[2],
        S1[3],
        S1[4],
        fillers[1].split("\n\n")[1],
        fillers[2].split("\n\n")[2],
        fillers[3].split("\n\n")[0],
        fillers[4].split("\n\n")[1],
    ]
    planted = {
        "s1": "\n\n".join(S1),
        "s1-copy": "\n\n".join(s1_copy),
        "s1-trimmed": "\n\n".join(s1_trimmed),
        "s2": "\n\n".join(S2),
        "s2-copy": "\n\n".join(s2_copy),
        "digest": "\n\n".join(digest),
    }
    documents = [Document(f"filler-{k}", text) for k, text in enumerate(fillers)]
    documents += [Document(doc_id, text) for doc_id, text in planted.items()]
    for ordinal, document in enumerate(documents):
        document.ordinal = ordinal
    return documents


@pytest.fixture(scope="module")
def planted_report() -> Report:
    return scan_documents(_corpus(), ScanConfig(find_repeats=False), workers=1)


def test_planted_clusters_are_found_exactly(planted_report: Report) -> None:
    clusters = sorted(sorted(c.members) for c in planted_report.clusters)
    assert clusters == [["s1", "s1-copy", "s1-trimmed"], ["s2", "s2-copy"]]
    keeps = sorted(c.keep for c in planted_report.clusters)
    assert keeps == ["s1", "s2"]


def test_partial_copy_has_its_direction(planted_report: Report) -> None:
    partial = {(m.a, m.b, m.direction) for m in planted_report.matches if m.kind == "partial"}
    assert ("s1", "digest", "a_in_b") in partial or ("s1-copy", "digest", "a_in_b") in partial
    assert all("filler" not in a and "filler" not in b for a, b, _ in partial)
    assert {b for _, b, _ in partial} == {"digest"}


def test_near_duplicates_link_only_the_planted(planted_report: Report) -> None:
    linked = {frozenset((m.a, m.b)) for m in planted_report.matches if m.kind == "near_duplicate"}
    allowed = {"s1", "s1-copy", "s1-trimmed", "s2", "s2-copy"}
    assert all(pair <= allowed for pair in linked)


def test_scan_runs_the_same_with_two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    one = scan_documents(_corpus(), ScanConfig(), workers=1)
    # Small batches, so that forked workers digest them (reading texts from the spill file).
    monkeypatch.setattr("dedup.digest.BATCH_SIZE", 8)
    documents = _corpus()
    assert len(documents) > 3 * 8
    two = scan_documents(documents, ScanConfig(), workers=2)
    assert one.summary() == two.summary()
    for findings in ("repeats", "matches", "clusters"):
        left, right = getattr(one, findings), getattr(two, findings)
        assert [f.to_dict() for f in left] == [f.to_dict() for f in right]
    assert one.clusters and one.matches


def test_scan_pauses_the_collector_and_forked_workers_restore_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = os.getpid()

    def digest_with_collector(*args: object) -> object:
        if os.getpid() != reader:  # the reading process warms the kernels up itself
            assert gc.isenabled(), "a digesting worker runs without the collector"
            assert gc.get_freeze_count() > 0, "a digesting worker walks what it inherited"
        return digest_encoded(*args)  # type: ignore[arg-type]

    verify_run = _Corpus._verify_run

    def verify_with_collector(self: _Corpus, pairs: list[tuple[int, int]]) -> object:
        assert gc.isenabled(), "a verifying worker runs without the collector"
        assert gc.get_freeze_count() > 0, "a verifying worker walks what it inherited"
        return verify_run(self, pairs)

    monkeypatch.setattr("dedup.digest.BATCH_SIZE", 8)
    monkeypatch.setattr("dedup.digest.digest_encoded", digest_with_collector)
    monkeypatch.setattr("dedup.corpus._PAIRS_PER_TASK", 1)
    monkeypatch.setattr(_Corpus, "_verify_run", verify_with_collector)
    during: list[bool] = []
    frozen = gc.get_freeze_count()
    report = scan_documents(
        _corpus(), ScanConfig(), workers=2, on_digest=lambda *_: during.append(gc.isenabled())
    )
    assert len(during) > 3 and not any(during)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # the caller's collector is left as it was
    assert sorted(sorted(c.members) for c in report.clusters) == [
        ["s1", "s1-copy", "s1-trimmed"],
        ["s2", "s2-copy"],
    ]


def test_exact_duplicates_cluster_whatever_their_length() -> None:
    short = "Bus fares rise."
    documents = [
        Document("a", short, ordinal=0),
        Document("b", "BUS  fares, rise!", ordinal=1),
        Document("c", "Bus fares fall.", ordinal=2),
    ]
    report = scan_documents(documents, ScanConfig(), workers=1)
    assert [sorted(c.members) for c in report.clusters] == [["a", "b"]]


def test_chaining_guard_keeps_unrelated_ends_apart() -> None:
    # A≈B and B≈C, but A and C share nothing: C must not join A's cluster.
    copies = {frozenset((0, 1)), frozenset((1, 2))}
    clusters = cluster_pairs(
        [(0, 1), (1, 2)], choose=min, are_copies=lambda a, b: frozenset((a, b)) in copies
    )
    assert clusters == [(0, [0, 1])]


def test_chaining_guard_rejoins_what_the_representative_verifies() -> None:
    clusters = cluster_pairs([(0, 1), (1, 2)], choose=min, are_copies=lambda a, b: True)
    assert clusters == [(0, [0, 1, 2])]


def test_a_copy_of_a_copy_stays_when_it_overlaps_the_representative() -> None:
    # A≈B≈C≈D; C shares a good part with A (related), D too, but D is two steps away.
    pairs = [(0, 1), (1, 2), (2, 3)]
    related = {frozenset((0, 2)), frozenset((0, 3))}
    clusters = cluster_pairs(
        pairs,
        choose=min,
        are_copies=lambda a, b: False,
        are_related=lambda a, b: frozenset((a, b)) in related,
    )
    assert clusters == [(0, [0, 1, 2])]


def test_a_copy_of_a_copy_moves_to_a_representative_it_copies() -> None:
    # 0≈1≈2≈3≈4, kept in the order 0, 1, 3, 4, 2 (by date, say): 2 is related to 0 through its
    # copy 1, but it is a direct copy of 3, which leads a cluster of its own (3 and 4): 2
    # belongs with 3, as a later report of the same event would. 5, a copy of 2 only, related
    # to 3 but not to 0, comes along.
    order = [0, 1, 3, 4, 2, 5]
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (2, 5)]
    related = {frozenset((0, 2)), frozenset((3, 5))}
    clusters = cluster_pairs(
        pairs,
        choose=lambda members: min(members, key=order.index),
        are_copies=lambda a, b: False,
        are_related=lambda a, b: frozenset((a, b)) in related,
    )
    assert clusters == [(0, [0, 1]), (3, [2, 3, 4, 5])]


def test_a_copy_of_a_copy_stays_when_the_other_representative_would_not_be_kept() -> None:
    # As above, but kept by number: 2 would be kept before 3, so it does not move to 3.
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4)]
    clusters = cluster_pairs(
        pairs, choose=min, are_copies=lambda a, b: False, are_related=lambda a, b: (a, b) == (0, 2)
    )
    assert clusters == [(0, [0, 1, 2]), (3, [3, 4])]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ([0, 1, 3, 4, 2, 5], [(0, [0, 1]), (3, [2, 3, 4, 5])]),
        # 5 would be kept before 3: neither twin moves, rather than 2 moving without 5.
        ([0, 1, 5, 3, 4, 2], [(0, [0, 1, 2, 5]), (3, [3, 4])]),
    ],
)
def test_copies_of_each_other_move_together_or_not_at_all(
    order: list[int], expected: list[tuple[int, list[int]]]
) -> None:
    # 2 and 5 are twins one step beyond 0's copy 1; 2 is a direct copy of 3.
    pairs = [(0, 1), (1, 2), (1, 5), (2, 5), (2, 3), (3, 4)]
    related = {frozenset((0, 2)), frozenset((0, 5)), frozenset((3, 5))}
    clusters = cluster_pairs(
        pairs,
        choose=lambda members: min(members, key=order.index),
        are_copies=lambda a, b: False,
        are_related=lambda a, b: frozenset((a, b)) in related,
    )
    assert clusters == expected


def test_a_copy_of_a_copy_sharing_nothing_with_the_representative_leaves() -> None:
    clusters = cluster_pairs(
        [(0, 1), (1, 2)], choose=min, are_copies=lambda a, b: False, are_related=lambda a, b: False
    )
    assert clusters == [(0, [0, 1])]


edges = st.lists(
    st.tuples(st.integers(0, 15), st.integers(0, 15)).filter(lambda p: p[0] != p[1]), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(edges, st.integers(0, 2**16), st.permutations(range(16)))
def test_clusters_partition_the_linked_documents(
    pairs: list[tuple[int, int]], salt: int, order: list[int]
) -> None:
    # ``order`` is a keep policy: the representative is the member that comes first in it.
    def choose(members: Sequence[int]) -> int:
        return min(members, key=order.index)

    def are_copies(a: int, b: int) -> bool:
        return hash((min(a, b), max(a, b), salt)) % 3 == 0

    def are_related(a: int, b: int) -> bool:
        return hash((min(a, b), max(a, b), salt)) % 3 != 2

    def linked(a: int, b: int) -> bool:
        return (a, b) in pairs or (b, a) in pairs

    for related in (None, are_related):
        clusters = cluster_pairs(pairs, choose=choose, are_copies=are_copies, are_related=related)
        members = [m for _, group in clusters for m in group]
        assert len(members) == len(set(members))  # no document in two clusters
        assert set(members) <= {node for pair in pairs for node in pair}
        for representative, group in clusters:
            assert representative == choose(group) and len(group) >= 2 and group == sorted(group)
            # Each member is a verified copy of the representative, or (with are_related) a
            # copy of such a member that is related to the representative: one step, no more.
            copies = {
                m
                for m in group
                if m == representative or linked(representative, m) or are_copies(representative, m)
            }
            for member in set(group) - copies:
                assert related is not None and related(representative, member)
                assert any(linked(member, c) for c in copies)
            # ... and none of its connected documents that qualifies is left out of every cluster.
            component, frontier = {representative}, [representative]
            while frontier:
                here = frontier.pop()
                for node in {n for pair in pairs if here in pair for n in pair} - component:
                    component.add(node)
                    frontier.append(node)
            for node in component - set(members):
                assert not linked(node, representative)
                assert not are_copies(representative, node)  # offered, even if its edges led away
                if related is not None and related(representative, node):
                    assert not any(linked(node, c) for c in copies)


def test_keep_policy_source_prefers_the_listed_outlet() -> None:
    documents = _corpus()
    for document in documents:
        document.source = "agency" if document.id == "s2-copy" else "paper"
    config = ScanConfig(
        find_repeats=False, matches=MatchConfig(keep="source", source_priority=("agency",))
    )
    report = scan_documents(documents, config, workers=1)
    [cluster] = [c for c in report.clusters if "s2" in c.members]
    assert (cluster.keep, cluster.syndicated, cluster.sources) == (
        "s2-copy",
        True,
        ("agency", "paper"),
    )


def test_keep_longest_measures_the_text_a_clean_corpus_keeps() -> None:
    body = "\n\n".join(S1)
    documents = [
        Document("original", body),
        # One sentence more than the original: the longest once repeats are cleaned.
        Document("extended", body + "\n\nPort officials will review the warning on Friday."),
        # The lead printed twice, as scraped: longest as read, not once cleaned.
        Document("echoed", body + "\n\n" + S1[1]),
    ]
    documents += [Document(f"other-{i}", text) for i, text in enumerate(_corpus_fillers())]
    report = scan_documents(documents, ScanConfig(matches=MatchConfig(keep="longest")), workers=1)
    assert [r.doc for r in report.repeats] == ["echoed"]
    assert [(sorted(c.members), c.keep) for c in report.clusters] == [
        (["echoed", "extended", "original"], "extended")
    ]
    without_repeats = ScanConfig(find_repeats=False, matches=MatchConfig(keep="longest"))
    assert [c.keep for c in scan_documents(documents, without_repeats, workers=1).clusters] == [
        "echoed"
    ]


def _corpus_fillers() -> list[str]:
    """Unrelated texts, for word rarity to be measured against."""
    return [d.text for d in _corpus() if not d.id.startswith(("s1", "s2"))]


def test_progress_reports_reading_then_verifying() -> None:
    seen: list[tuple[str, int, int | None]] = []
    scan_documents(_corpus(), ScanConfig(), workers=1, progress=lambda *event: seen.append(event))
    stages = [stage for stage, _, _ in seen]
    assert stages[0] == "reading" and "verifying" in stages
    assert stages.index("verifying") > max(i for i, s in enumerate(stages) if s == "reading")
    assert [done for stage, done, _ in seen if stage == "reading"][-1] == len(_corpus())


def test_documents_built_without_ordinals_are_numbered_by_the_scan() -> None:
    documents = [Document(d.id, d.text) for d in _corpus()]  # every ordinal left at 0
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert [d.ordinal for d in documents] == list(range(len(documents)))
    assert sorted(sorted(c.members) for c in report.clusters) == [
        ["s1", "s1-copy", "s1-trimmed"],
        ["s2", "s2-copy"],
    ]
    assert set(report.texts) <= {d.id for d in documents}
    assert all(
        report.texts[i] == text
        for i, text in ((d.id, d.text) for d in documents)
        if i in report.texts
    )


def test_short_questions_differing_in_one_word_stay_apart() -> None:
    # Too short to match on their own (fewer than min_tokens words), and their one passage
    # must not propose them through the passage bands either.
    stem = "of the poem the old poet wrote by the river"
    documents = [
        Document("who", f"Who is the author {stem}?", ordinal=0),
        Document("what", f"What is the title {stem}?", ordinal=1),
        Document("copy", f"Who is the author {stem}?", ordinal=2),
    ]
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert [sorted(c.members) for c in report.clusters] == [["copy", "who"]]
    assert [(m.a, m.b) for m in report.matches] == [("who", "copy")]


SUPPLEMENT = (
    "Doctors recommend that adults over fifty take a daily supplement of vitamin {v} to prevent "
    "anaemia and nerve damage, according to the new national guidelines published on Monday."
)
SENTENCE = (
    "The court sentenced the former minister to {n} years in prison for corruption and ordered "
    "him to repay the money he had taken from the state budget over a decade."
)


def test_short_texts_with_other_figures_stay_apart() -> None:
    texts = {
        "b12": SUPPLEMENT.format(v="B12"),
        "b2": SUPPLEMENT.format(v="B2"),
        "b12-copy": SUPPLEMENT.format(v="B12").replace("Doctors", "Physicians"),
        "5-years": SENTENCE.format(n="5"),
        "15-years": SENTENCE.format(n="15"),
        # A copy may drop a figure: it adds none, so it still copies the one it came from.
        "no-figure": SENTENCE.format(n="several"),
    }
    documents = [Document(i, t, ordinal=k) for k, (i, t) in enumerate(texts.items())]
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert sorted(sorted(c.members) for c in report.clusters) == [
        ["5-years", "no-figure"],
        ["b12", "b12-copy"],
    ]


def test_a_partial_copy_shares_text_not_only_words() -> None:
    # Two short crime reports share common words ("police", "arrested", "officers said") and
    # no passage: no copy of any kind.
    a = Document(
        "leeds",
        "Police in Leeds arrested two men on Friday after a jewellery shop was robbed in the city "
        "centre. Officers said nobody was injured and that the stolen watches were recovered "
        "within an hour.",
    )
    b = Document(
        "bristol",
        "Police in Bristol arrested a woman on Sunday after a pharmacy was broken into in the east "
        "of the city. Officers said the shop was closed at the time and that an investigation was "
        "continuing.",
    )
    comparison = compare(a, b)
    assert comparison.scores["containment_a"] < 0.1 < 0.5 <= comparison.scores["weighted_a"]
    assert comparison.kind is None


def test_verification_on_two_cores_gives_the_same_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.corpus

    one = scan_documents(_corpus(), ScanConfig(), workers=1)
    monkeypatch.setattr(dedup.corpus, "_PAIRS_PER_TASK", 2)  # many small tasks on two workers
    two = scan_documents(_corpus(), ScanConfig(), workers=2)
    assert len(one.matches) > 4
    assert [m.to_dict() for m in one.matches] == [m.to_dict() for m in two.matches]
    assert [c.to_dict() for c in one.clusters] == [c.to_dict() for c in two.clusters]


def _digest_with_passage(passage_block: int) -> Report:
    """A two-paragraph item and a long digest holding it in its one paragraph (no breaks)."""
    rng = random.Random(11)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(5000)]

    def sentences(count: int) -> str:
        return " ".join(" ".join(rng.choices(vocabulary, k=15)) + "." for _ in range(count))

    before, after = sentences(60), sentences(60)
    item = "\n\n".join(S1[1:3])
    digest = f"{before} {' '.join(S1[1:3])} {after}"
    others = [_filler(rng, vocabulary) for _ in range(60)]
    documents = [
        Document(name, text, ordinal=k)
        for k, (name, text) in enumerate(
            [("item", item), ("digest", digest), *((f"o{k}", t) for k, t in enumerate(others))]
        )
    ]
    config = ScanConfig(find_repeats=False, matches=MatchConfig(passage_block=passage_block))
    return scan_documents(documents, config, workers=1)


def test_an_item_inside_a_digest_without_paragraph_breaks_is_a_partial_copy() -> None:
    # The item is 3% of the digest's 3-grams: only a passage of the digest lines up with it.
    report = _digest_with_passage(MatchConfig().passage_block)
    assert [(m.a, m.b, m.kind, m.direction) for m in report.matches] == [
        ("item", "digest", "partial", "a_in_b")
    ]
    assert report.clusters == []


def test_without_passages_the_item_inside_a_digest_is_not_proposed() -> None:
    # One passage per document (a block longer than any text): the digest is not found.
    assert _digest_with_passage(100_000).matches == []


SORANI = (
    "هەولێر (کوردستان24)- سەرۆکی حکومەتی هەرێمی کوردستان ئەمڕۆ لە کۆبوونەوەیەکدا لەگەڵ "
    "شاندێکی بازرگانی باسی لە گرنگی بەهێزکردنی پەیوەندییە ئابوورییەکان کرد.\n\n"
    "لە کۆبوونەوەکەدا هەردوولا جەختیان لەسەر فراوانکردنی هاوکاری لە بوارەکانی وزە، کشتوکاڵ "
    "و گەشتوگوزار کردەوە، و سەرۆکی حکومەت ڕایگەیاند کە هەرێمی کوردستان ئامادەیە ئاسانکاری "
    "بۆ وەبەرهێنەرانی بیانی بکات.\n\n"
    "هەروەها باس لە پڕۆژەکانی ژێرخان و دروستکردنی ڕێگاوبان و پردەکان کرا، کە بەشێکن لە "
    "پلانی حکومەت بۆ ساڵی داهاتوو، و شاندەکەش دەستخۆشی لە هەنگاوەکانی حکومەت کرد."
)
SORANI_OTHER = (
    "سلێمانی (کوردستان24)- بەڕێوەبەرایەتی کەشناسی ئاگاداری دا کە لە ماوەی سێ ڕۆژی داهاتوودا "
    "باران و بەفر لە ناوچە شاخاوییەکانی هەرێمەکە دەبارێت و پلەی گەرما دادەبەزێت.\n\n"
    "بەرپرسێکی بەڕێوەبەرایەتییەکە ڕایگەیاند کە شۆفێران دەبێت ئاگاداری ڕێگا شاخاوییەکان بن، "
    "چونکە ئەگەری داخستنی هەندێک لەو ڕێگایانە هەیە بەهۆی کەڵەکەبوونی بەفرەوە.\n\n"
    "هەروەها داوا لە هاووڵاتیان کرا خۆیان لە گەشتی نەپێویست بەدوور بگرن تا ئەو کاتەی "
    "کەشوهەوا ئاسایی دەبێتەوە و ڕێگاکان کراوە دەبن."
)


def _legacy_sorani(text: str) -> str:
    """``text`` as a keyboard without ە and ھ types it: ه and a ZWNJ for the vowel, ه for h,
    Arabic kaf and yeh."""
    return text.replace("ە", "ه\u200c").replace("ھ", "ه").replace("ک", "ك").replace("ی", "ي")


def test_sorani_typed_with_and_without_its_own_letters_is_one_story() -> None:
    documents = [
        Document("modern", SORANI, ordinal=0),
        Document("legacy", _legacy_sorani(SORANI), ordinal=1),
        Document("other", SORANI_OTHER, ordinal=2),
        Document("other-legacy", _legacy_sorani(SORANI_OTHER), ordinal=3),
    ]
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert sorted(sorted(c.members) for c in report.clusters) == [
        ["legacy", "modern"],
        ["other", "other-legacy"],
    ]
    assert {m.kind for m in report.matches} == {"near_duplicate"}


def _closing_report(day: str, figures: tuple[str, ...], riser: str, faller: str) -> str:
    index, change, up, down, pound, euro, oil, gold = figures
    return "\n\n".join(
        [
            f"FTSE 100 closes higher on {day}",
            f"London's FTSE 100 index closed at {index} points on {day}, a rise of {change} per "
            "cent, as investors weighed fresh data on inflation and the outlook for interest "
            "rates.",
            f"The biggest riser was {riser}, which gained {up} per cent after a broker upgrade, "
            f"while {faller} fell {down} per cent following a profit warning.",
            f"The pound traded at {pound} dollars and {euro} euros, while Brent crude stood at "
            f"{oil} dollars a barrel and gold at {gold} dollars an ounce.",
            "Analysts said markets would remain cautious until the Bank of England's next policy "
            "meeting, with traders pricing in a small chance of a cut before the summer.",
        ]
    )


def _weather_report(day: str, region: str, figures: tuple[int, ...]) -> str:
    high, low, wind, humidity = figures
    return "\n\n".join(
        [
            f"حالة الطقس المتوقعة ليوم {day}",
            "توقع المركز الوطني للأرصاد أن تكون الأجواء غائمة جزئيا على أجزاء من منطقة "
            f"{region} مع فرصة لهطول أمطار رعدية متوسطة إلى غزيرة قد تكون مصحوبة برياح نشطة "
            "مثيرة للأتربة والغبار.",
            f"وأوضح المركز في تقريره اليومي أن درجة الحرارة العظمى في الرياض ستبلغ {high} درجة "
            f"مئوية والصغرى {low} درجة، فيما تصل سرعة الرياح إلى {wind} كيلومترا في الساعة "
            f"وتبلغ الرطوبة النسبية {humidity} في المائة.",
            "ودعا المركز الجميع إلى توخي الحيطة والحذر والابتعاد عن مجاري السيول وعدم المجازفة "
            "بعبورها، ومتابعة التحديثات عبر حسابات المركز الرسمية في مواقع التواصل الاجتماعي.",
        ]
    )


def test_the_same_report_on_another_day_is_no_copy() -> None:
    # Each day's report is the wording of the last around new figures: no two are the same
    # article, though a syndicated copy of one (retitled, credited) still is.
    monday = _closing_report(
        "Monday 4 March",
        ("7640.33", "0.42", "3.10", "2.25", "1.27", "1.17", "82.10", "2115"),
        "Barclays",
        "Ocado",
    )
    tuesday = _closing_report(
        "Tuesday 5 March",
        ("7682.91", "0.56", "4.80", "3.40", "1.26", "1.16", "83.45", "2128"),
        "Rolls-Royce",
        "Burberry",
    )
    texts = {
        "ftse-monday": monday,
        "ftse-tuesday": tuesday,
        "ftse-monday-copy": "Markets: London stocks gain\n\n"
        + monday.split("\n\n", 1)[1]
        + "\n\n(Wire)",
        # Figures written another way are the same figures.
        "ftse-monday-rounded": monday.replace("7640.33", "7,640.3")
        .replace("2115", "2,115.00")
        .replace("82.10", "82.1"),
        "weather-monday": _weather_report("الاثنين", "عسير", (41, 27, 35, 20)),
        "weather-tuesday": _weather_report("الثلاثاء", "جازان", (43, 29, 40, 15)),
        "weather-wednesday": _weather_report("الأربعاء", "الباحة", (39, 26, 30, 25)),
    }
    documents = [Document(i, t, ordinal=k) for k, (i, t) in enumerate(texts.items())]
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert [sorted(c.members) for c in report.clusters] == [
        ["ftse-monday", "ftse-monday-copy", "ftse-monday-rounded"]
    ]
    assert {(m.a, m.b) for m in report.matches} == {
        ("ftse-monday", "ftse-monday-copy"),
        ("ftse-monday", "ftse-monday-rounded"),
        ("ftse-monday-copy", "ftse-monday-rounded"),
    }


def test_a_short_copy_may_spell_its_counts() -> None:
    spelled = (
        "Twenty-three people were injured on Monday when a bus overturned on the coastal "
        "highway north of the city, the civil defence said, adding that three were in a "
        "serious condition."
    )
    texts = {
        "spelled": spelled,
        "digits": spelled.replace("Twenty-three", "23").replace("three were", "3 were"),
        "other-count": spelled.replace("Twenty-three", "Thirty-one"),
    }
    documents = [Document(i, t, ordinal=k) for k, (i, t) in enumerate(texts.items())]
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert [sorted(c.members) for c in report.clusters] == [["digits", "spelled"]]


SPACELESS = Path(__file__).parent / "data" / "spaceless"


def test_texts_in_spaceless_scripts_match_on_words_not_characters() -> None:
    # Thai letters, or Chinese characters one by one, are shared by any two texts: a football
    # report held 86% of a flood warning's "words". Copies still cluster, the Xinhua story
    # reprinted in traditional characters with them; other stories link to nothing.
    names = sorted(path.stem for path in SPACELESS.glob("*.txt"))
    documents = [Document(name, (SPACELESS / f"{name}.txt").read_text()) for name in names]
    report = scan_documents(documents, workers=1)
    assert sorted(sorted(c.members) for c in report.clusters) == [
        ["ja_jiji", "ja_kyodo"],
        ["th_mcot", "th_thairath"],
        ["zh_cns", "zh_trad", "zh_xinhua"],
    ]
    assert [(m.a, m.b) for m in report.matches if m.kind == "partial"] == []


def test_the_words_of_a_spaceless_text_are_runs_of_its_characters() -> None:
    from dedup.text.words import words_of_text
    from dedup.verify import profile

    english, chinese, thai = (
        profile(text) for text in ("the cat sat on the mat", "国家统计局发布", "ข่าวกรุงเทพ")
    )
    assert len(english.token_set) == 5  # words as they are
    assert len(chinese.token_set) == len("国家统计局发布") - 1  # pairs of characters
    assert len(thai.token_set) == len("ข่าวกรุงเทพ") - 2  # runs of three
    # English with a Chinese name: the English words as they are, the name one word of two.
    mixed = "the minister met 王毅 in the capital on monday to discuss trade"
    tokens = profile(mixed).shingles.tokens.tolist()
    words = words_of_text(mixed, np.array(tokens, dtype=np.uint64)).tolist()
    assert words[:3] == tokens[:3] and words[4:] == tokens[5:]
    assert words[3] not in (tokens[3], tokens[4]) and len(words) == len(tokens) - 1
    # A squared form normalizes to its characters, which make the same words.
    squared, spelled = "㍿ report on trade", "株式会社 report on trade"
    assert (
        words_of_text(squared, profile(squared).shingles.tokens).tolist()
        == words_of_text(spelled, profile(spelled).shingles.tokens).tolist()
    )


def test_a_text_mixing_scripts_and_its_copy_share_their_words() -> None:
    # A Japanese story full of English names, and its copy with an English credit and tags:
    # one is mostly Japanese by tokens, the other mostly English. Words used to be chosen per
    # text (runs of two characters in one, single characters in the other), so the two shared
    # no words and the copy was only a partial one.
    story = (
        "米Apple社のTim Cook CEOは9日、California州Cupertinoで開いた新製品発表会でiPhone 16 Proと"
        "Apple Watch Series 10を発表した。Google社のSundar Pichai CEOやMicrosoft社のSatya Nadella "
        "CEOも会場に姿を見せた。新しいiPhoneはA18 Pro chipを搭載し、Apple Intelligenceと呼ぶAI機能"
        "に対応する。価格は999 dollarsからで、Japan、United States、United Kingdomなど30以上の国と"
        "地域で20日に発売する。Morgan StanleyのErik Woodring analystは販売台数が前年を上回ると"
        "予想した。"
    )
    copy = story + (
        " (Reporting by Ken Tanaka in San Francisco and Mary Jones in New York; additional"
        " reporting by Stephen Nellis and Max Cherney in San Francisco; editing by Peter Graff and"
        " Will Dunham) Topics: Apple iPhone Technology Business Markets California Cupertino"
        " Google Microsoft Morgan Stanley Sundar Pichai Satya Nadella Tim Cook Erik Woodring Apple"
        " Intelligence Series Watch Pro chip dollars Japan United States United Kingdom"
    )
    documents = [Document("story", story), Document("copy", copy)]
    report = scan_documents(documents, ScanConfig(find_repeats=False), workers=1)
    assert [sorted(c.members) for c in report.clusters] == [["copy", "story"]]
    (match,) = report.matches
    assert match.scores["weighted_a"] == 1.0
