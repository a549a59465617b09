"""dedup clean on copies across documents: one of each cluster kept, partial copies on request."""

from __future__ import annotations

import random
import string
from pathlib import Path

import orjson
from test_copies import S1, _corpus

from dedup import ScanConfig, clean
from dedup.clean import remove_paragraphs
from dedup.text.segment import paragraphs

STORY = [
    "The national museum reopened its east wing on Friday after a two year renovation that "
    "replaced the roof and added climate control for the fragile textile collection.",
    "Curators said the wing would show three hundred objects that have not been on display "
    "for decades, including a collection of embroidered wedding dresses from the islands.",
]


def _write(path: Path) -> list[str]:
    documents = _corpus()
    # a story reused whole inside a longer roundup: a partial copy with nothing of its own
    records = [{"id": d.id, "text": d.text} for d in documents]
    records.append({"id": "museum", "text": "\n\n".join(STORY)})
    others = [documents[k].text.split("\n\n")[k % 3] for k in (10, 11, 12, 13)]
    roundup = [others[0], *STORY, *others[1:]]
    records.append({"id": "roundup", "text": "\n\n".join(roundup)})
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return [str(r["id"]) for r in records]


def test_clean_keeps_one_document_of_each_cluster(tmp_path: Path) -> None:
    ids = _write(tmp_path / "news.jsonl")
    result = clean(
        [str(tmp_path / "news.jsonl")],
        tmp_path / "clean.jsonl",
        ScanConfig(find_repeats=False),
        removed_path=tmp_path / "removed.jsonl",
    )
    written = [
        orjson.loads(line)["id"] for line in (tmp_path / "clean.jsonl").read_bytes().splitlines()
    ]
    dropped = {"s1-copy", "s1-trimmed", "s2-copy"}
    assert written == [i for i in ids if i not in dropped]
    assert result.documents_dropped == 3
    audit = [orjson.loads(line) for line in (tmp_path / "removed.jsonl").read_bytes().splitlines()]
    assert {(e["doc"], e["reason"], e["kept"]) for e in audit} == {
        ("s1-copy", "near_duplicate", "s1"),
        ("s1-trimmed", "near_duplicate", "s1"),
        ("s2-copy", "near_duplicate", "s2"),
    }
    # the kept documents are written byte for byte as read
    source = (tmp_path / "news.jsonl").read_bytes().splitlines()
    assert (tmp_path / "clean.jsonl").read_bytes().splitlines() == [
        line for line, i in zip(source, ids, strict=True) if i not in dropped
    ]


def test_drop_partial_also_drops_the_contained_document(tmp_path: Path) -> None:
    _write(tmp_path / "news.jsonl")
    clean(
        [str(tmp_path / "news.jsonl")],
        tmp_path / "clean.jsonl",
        ScanConfig(find_repeats=False),
        removed_path=tmp_path / "removed.jsonl",
        drop_partial=True,
    )
    written = {
        orjson.loads(line)["id"] for line in (tmp_path / "clean.jsonl").read_bytes().splitlines()
    }
    audit = [orjson.loads(line) for line in (tmp_path / "removed.jsonl").read_bytes().splitlines()]
    partial = [(e["doc"], e["contained_in"]) for e in audit if e["reason"] == "partial_copy"]
    assert ("museum", "roundup") in partial
    assert "museum" not in written and "roundup" in written
    assert "s1" in written  # what a cluster keeps is never dropped as a partial copy
    assert S1[0] in next(
        orjson.loads(line)["text"]
        for line in (tmp_path / "clean.jsonl").read_bytes().splitlines()
        if orjson.loads(line)["id"] == "s1"
    )


def _paragraphs(count: int) -> list[str]:
    """Distinct paragraphs of 50 random-looking words (no two share a 3-gram by chance)."""
    rng = random.Random(11)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(5000)]
    return [" ".join(rng.choices(words, k=50)) + "." for _ in range(count)]


def test_drop_partial_never_drops_the_only_container_of_a_dropped_copy(tmp_path: Path) -> None:
    # A is inside B, and B is inside C: dropping both would lose A's paragraphs, which C lacks.
    p = _paragraphs(35)
    rows = [("A", p[0:3]), ("B", p[0:12]), ("C", p[3:35])]
    (tmp_path / "chain.jsonl").write_bytes(
        b"".join(orjson.dumps({"id": i, "text": "\n\n".join(t)}) + b"\n" for i, t in rows)
    )
    result = clean(
        [str(tmp_path / "chain.jsonl")],
        tmp_path / "clean.jsonl",
        removed_path=tmp_path / "removed.jsonl",
        drop_partial=True,
    )
    directions = {(m.a, m.b, m.direction) for m in result.report.matches}
    assert directions == {("A", "B", "a_in_b"), ("B", "C", "a_in_b")}
    written = [
        orjson.loads(line)["id"] for line in (tmp_path / "clean.jsonl").read_bytes().splitlines()
    ]
    assert written == ["A", "C"]
    audit = [orjson.loads(line) for line in (tmp_path / "removed.jsonl").read_bytes().splitlines()]
    assert [(e["doc"], e["reason"], e["contained_in"]) for e in audit] == [
        ("B", "partial_copy", "C")
    ]


def test_a_cut_paragraph_takes_its_indent_and_leaves_the_next_its_own() -> None:
    text = "P1 first\n\n  P2 second\n\n\tP2 second again  \n\n  P3 third\r\n"
    spans = paragraphs(text)
    assert remove_paragraphs(text, spans, [2]) == "P1 first\n\n  P2 second\n\n  P3 third\r\n"
    assert (
        remove_paragraphs(text, spans, [0])
        == "  P2 second\n\n\tP2 second again  \n\n  P3 third\r\n"
    )
    assert remove_paragraphs(text, spans, [3]) == "P1 first\n\n  P2 second\n\n\tP2 second again\r\n"
