"""The seed article (../shared/data/seed): a real Kurdistan24 story whose lead is printed twice."""

from __future__ import annotations

from pathlib import Path

import orjson
from conftest import Invoke

from dedup import paragraphs


def test_seed_article_has_exactly_one_repeat(
    shared_data: Path, workdir: Path, invoke: Invoke
) -> None:
    seed = shared_data / "seed" / "kurdistan24.txt"
    result = invoke("scan", str(seed), "--report", "r.jsonl")
    assert result.exit_code == 0
    lines = [orjson.loads(line) for line in Path("r.jsonl").read_bytes().splitlines()]
    repeats = [line for line in lines if line["type"] == "repeat"]
    assert [(r["first"]["index"], r["repeat"]["index"], r["kind"]) for r in repeats] == [
        (1, 2, "prefixed")
    ]
    assert lines[-1]["type"] == "summary"
    assert (lines[-1]["documents"], lines[-1]["repeats"]) == (1, 1)


def test_seed_article_clean_removes_that_paragraph_only(
    shared_data: Path, workdir: Path, invoke: Invoke
) -> None:
    seed = shared_data / "seed" / "kurdistan24.txt"
    original = seed.read_text(encoding="utf-8")
    result = invoke("clean", str(seed), "-o", "clean.txt", "--removed", "removed.jsonl")
    assert result.exit_code == 0
    found = paragraphs(original)
    repeat, following = found[2], found[3]
    assert original[repeat.start : repeat.end].startswith("اربيل (كوردستان24)- ")
    assert original[repeat.end : following.start] == "\n\n"
    expected = original[: repeat.start] + original[following.start :]
    assert Path("clean.txt").read_text(encoding="utf-8") == expected
    [audit] = [orjson.loads(line) for line in Path("removed.jsonl").read_bytes().splitlines()]
    assert (audit["paragraph"]["index"], audit["duplicates"]["index"]) == (2, 1)
    assert audit["text"] == original[repeat.start : repeat.end]
