"""dedup compare: the scores, the verdict and the shared passages of two documents."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import orjson
from conftest import Invoke
from texts import EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD, doc

SAMPLE = Path(__file__).parents[1] / "examples" / "news.jsonl"


def test_compare_two_files(workdir: Path, invoke: Invoke) -> None:
    Path("a.txt").write_text(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD), "utf-8")
    Path("b.txt").write_text(doc("Budget passes", "CITY (Wire) - " + EN_LEAD, EN_OTHER), "utf-8")
    result = invoke("compare", "a.txt", "b.txt")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[:3] == ["A: a.txt", "B: b.txt", "verdict: near_duplicate (B inside A)"]
    assert "shared passages: 2" in lines
    assert "  A[1] ~ B[1] (100% shared)" in lines and "  A[2] ~ B[2] (100% shared)" in lines


def test_compare_shows_the_figures_of_two_short_texts(workdir: Path, invoke: Invoke) -> None:
    sentence = (
        "The ministry said on Monday that {n} people were moved from the flooded villages in "
        "the north of the province to shelters in the capital city."
    )
    Path("a.txt").write_text(sentence.format(n="1,500"), "utf-8")
    Path("b.txt").write_text(sentence.format(n="1500"), "utf-8")  # one figure, written so
    Path("c.txt").write_text(sentence.format(n="2,500"), "utf-8")
    same = invoke("compare", "a.txt", "b.txt").stdout.splitlines()
    assert same[2] == "verdict: near_duplicate"
    assert "  figures of A in B       1.000" in same
    # A copy may drop a figure: "2024, 300" holds 300, not a number 2024300.
    tail = " of the country, the education minister told reporters in the capital on Sunday."
    Path("d.txt").write_text("By the end of 2024, 300 new schools had opened in the north" + tail)
    Path("e.txt").write_text(
        "By the end of the year, 300 new schools had opened in the north" + tail
    )
    dropped = invoke("compare", "d.txt", "e.txt").stdout.splitlines()
    assert dropped[2] == "verdict: near_duplicate"
    other = invoke("compare", "a.txt", "c.txt").stdout.splitlines()
    assert other[2] == "verdict: not a copy"
    assert "  figures of A in B       0.000" in other and "  figures of B in A       0.000" in other


def test_compare_gives_the_scans_verdict_on_short_texts(workdir: Path, invoke: Invoke) -> None:
    # Under 20 words a text matches only when identical after normalization: a scan never
    # links "what year was he born" and "where was he born", and compare says so.
    Path("a.txt").write_text("The long review of the budget was published by the council.")
    Path("b.txt").write_text("The short review of the budget was published by the council.")
    Path("c.txt").write_text("THE LONG REVIEW of the budget was published by the council!")
    assert invoke("compare", "a.txt", "b.txt").stdout.splitlines()[2] == (
        "verdict: not a copy (one has under 20 words: texts that short match only when "
        "identical after normalization)"
    )
    assert invoke("compare", "a.txt", "c.txt").stdout.splitlines()[2] == (
        "verdict: near_duplicate (identical after normalization)"
    )
    found = orjson.loads(invoke("compare", "a.txt", "b.txt", "--json").stdout)
    assert (found["kind"], found["exact"], found["too_short"]) == (None, False, 20)


def test_compare_gives_the_direction_the_scan_gives(workdir: Path, invoke: Invoke) -> None:
    # A's sentences are each the start of one of B's, and A has a paragraph of its own: more
    # of A's 3-grams are in B than the other way, while more of B's sentences (by length)
    # have a close match in A. The scan decides such a partial copy on its 3-grams and rarer
    # words, without aligning sentences; compare shows the sentences but gives its verdict.
    rng = random.Random(11)

    def words(n: int) -> list[str]:
        consonants, vowels = "bcdfghjklmnpqrstvwxz", "aeiou"
        return [
            "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(3)) for _ in range(n)
        ]

    a_sentences, b_sentences = [], []
    for _ in range(10):
        sentence = words(10)
        a_sentences.append(" ".join(sentence).capitalize() + ".")
        b_sentences.append(" ".join(sentence + words(8)).capitalize() + ".")
    own = " ".join(" ".join(words(14)).capitalize() + "." for _ in range(5))
    records = [{"id": "A", "text": " ".join(a_sentences) + "\n\n" + own}]
    records.append({"id": "B", "text": " ".join(b_sentences)})
    Path("pair.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    shutil.copy(SAMPLE, "news.jsonl")
    for corpus in ("pair.jsonl", "news.jsonl"):
        assert invoke("scan", corpus, "-q", "--report", "r.jsonl").exit_code == 0
        findings = [orjson.loads(line) for line in Path("r.jsonl").read_bytes().splitlines()]
        matches = [f for f in findings if f["type"] == "match"]
        assert matches
        for match in matches:
            compared = orjson.loads(
                invoke("compare", "--in", corpus, match["a"], match["b"], "--json").stdout
            )
            assert (compared["kind"], compared["direction"]) == (match["kind"], match["direction"])
        if corpus == "pair.jsonl":
            assert [(m["a"], m["b"], m["kind"], m["direction"]) for m in matches] == [
                ("A", "B", "partial", "a_in_b")
            ]


def test_compare_ids_in_a_corpus_as_json(workdir: Path, invoke: Invoke) -> None:
    shutil.copy(SAMPLE, "news.jsonl")
    result = invoke("compare", "--in", "news.jsonl", "en-trees-herald", "en-digest", "--json")
    found = orjson.loads(result.stdout)
    assert result.exit_code == 0
    assert (found["a"], found["b"], found["kind"], found["direction"], found["formula"]) == (
        "en-trees-herald",
        "en-digest",
        "partial",
        "a_in_b",
        False,
    )
    assert [(p["a"], p["b"]) for p in found["aligned"]] == [(1, 3), (2, 3)]


def test_compare_unknown_id_is_one_line_and_exit_2(workdir: Path, invoke: Invoke) -> None:
    shutil.copy(SAMPLE, "news.jsonl")
    result = invoke("compare", "--in", "news.jsonl", "en-trees-herald", "nope")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: news.jsonl: no document with id 'nope' (--id-field id)\n",
    )


def test_compare_refuses_a_file_of_several_documents(workdir: Path, invoke: Invoke) -> None:
    shutil.copy(SAMPLE, "news.jsonl")
    Path("a.txt").write_text(doc(EN_HEAD, EN_LEAD), "utf-8")
    result = invoke("compare", "news.jsonl", "a.txt")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: news.jsonl: holds several documents: give two files of one document "
        "each, or --in FILE ID ID\n",
    )


def test_compare_refuses_a_document_compared_with_itself(workdir: Path, invoke: Invoke) -> None:
    shutil.copy(SAMPLE, "news.jsonl")
    Path("a.txt").write_text(doc(EN_HEAD, EN_LEAD), "utf-8")
    for args, same in (
        (["--in", "news.jsonl", "en-digest", "en-digest"], "en-digest"),
        (["a.txt", "./a.txt"], "a.txt"),
    ):
        result = invoke("compare", *args)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == (
            f"dedup: error: A and B are both {same}: give two documents to compare "
            "(see 'dedup compare --help')\n"
        )


def test_shared_passages_are_the_same_whichever_document_comes_first(
    workdir: Path, invoke: Invoke
) -> None:
    # The digest's third paragraph holds both of the herald's: each is listed, in either order
    # (the best match of each paragraph of A used to be all there was).
    shutil.copy(SAMPLE, "news.jsonl")
    pairs = []
    for ids in (("en-trees-herald", "en-digest"), ("en-digest", "en-trees-herald")):
        found = orjson.loads(invoke("compare", "--in", "news.jsonl", *ids, "--json").stdout)
        pairs.append([(p["a"], p["b"]) for p in found["aligned"]])
    assert pairs == [[(1, 3), (2, 3)], [(3, 1), (3, 2)]]


def test_a_passage_shared_inside_paragraphs_is_shown(workdir: Path, invoke: Invoke) -> None:
    # Scraped articles often have no paragraph breaks: a shared passage of six sentences inside
    # two one-paragraph texts shares under half of either, and nothing was shown.
    rng = random.Random(5)

    def sentences(n: int) -> str:
        made = []
        for _ in range(n):
            words = (
                "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in "abc")
                for _ in range(15)
            )
            made.append(" ".join(words).capitalize() + ".")
        return " ".join(made)

    passage = sentences(6)
    Path("a.txt").write_text(f"{sentences(3)} {passage} {sentences(3)}", "utf-8")
    Path("b.txt").write_text(f"{sentences(5)} {passage} {sentences(5)}", "utf-8")
    lines = invoke("compare", "a.txt", "b.txt").stdout.splitlines()
    assert lines[2] == "verdict: partial (A inside B)"
    assert "shared passages: 1" in lines and "  A[0] ~ B[0] (49% shared)" in lines


def test_unrelated_texts_show_no_passages_for_a_phrase_in_common(
    workdir: Path, invoke: Invoke
) -> None:
    # A headline sharing "in the UK" with a paragraph shares a quarter of its 3-grams: shown
    # for a copy whose passages lie inside long paragraphs, not for two other stories.
    from dedup.verify import align_paragraphs, profile

    a = "Mobile phone sales rise in the UK\n\n" + doc(EN_LEAD, EN_OTHER)
    b = "Ministers met farmers to discuss flood damage in the UK this week.\n\n" + EN_THIRD
    assert align_paragraphs(profile(a), profile(b)) != ()  # as a copy's would be
    Path("a.txt").write_text(a, "utf-8")
    Path("b.txt").write_text(b, "utf-8")
    lines = invoke("compare", "a.txt", "b.txt").stdout.splitlines()
    assert lines[2] == "verdict: not a copy" and "shared passages: 0" in lines
