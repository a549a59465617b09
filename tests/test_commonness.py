"""Formula texts (a cable, a notice: the same words around other names) are no partial copies.

How common the shared 3-grams are across the corpus tells them apart (dedup.commonness); a story
copied by many outlets shares common text too, but its copies also share their rarer words, where
a formula's names differ.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import orjson
import pytest
from conftest import Invoke
from texts import STORY, formula_corpus

from dedup.commonness import ShingleCounts, shared_and_own_df, table_bits
from dedup.config import MatchConfig, ScanConfig
from dedup.corpus import scan_documents
from dedup.errors import ConfigError
from dedup.model import Document
from dedup.verify import classify, shares_only_a_formula


def _edited_copies(outlets: int) -> list[Document]:
    """A story carried by ``outlets`` outlets, each swapping a few neighbouring words."""
    rng = random.Random(11)
    documents = []
    for k in range(outlets):
        words = STORY.split()
        for _ in range(3):
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        documents.append(Document(f"edit-{k}", " ".join(words), ordinal=k))
    return documents


def _scan(documents: list[Document], workers: int = 1, **match: float) -> tuple[set, list]:
    config = ScanConfig(find_repeats=False, matches=MatchConfig(**match))  # type: ignore[arg-type]
    report = scan_documents(documents, config, workers=workers)
    linked = {frozenset((m.a, m.b)) for m in report.matches}
    return linked, [sorted(c.members) for c in report.clusters]


def test_formula_cables_are_not_linked_but_a_widely_carried_story_is_one_cluster() -> None:
    linked, clusters = _scan(formula_corpus())
    assert not any(a.startswith("cable") or b.startswith("cable") for a, b in map(tuple, linked))
    assert clusters == [sorted(f"story-{k}" for k in range(30))]


def test_without_the_formula_check_the_cables_would_link() -> None:
    # The planted cables do share enough to be linked: the check above is what keeps them apart.
    linked, _ = _scan(formula_corpus(), template_df=1000)
    cable_links = [p for p in linked if all(d.startswith("cable") for d in p)]
    assert len(cable_links) > 100


def test_a_story_many_outlets_edit_is_one_cluster() -> None:
    # Each copy's swapped words make 3-grams nobody else holds: its own text looks rare next to
    # the common shared text, as a formula's does. But the copies share all their words.
    linked, clusters = _scan(_edited_copies(60))
    assert clusters == [sorted(f"edit-{k}" for k in range(60))]
    assert len(linked) == 60 * 59 // 2


def test_a_formula_few_documents_hold_is_not_common() -> None:
    # Ten cables: their formula is held by too few documents to be told from a shared story.
    linked, _ = _scan(formula_corpus(cables=10, outlets=3))
    assert frozenset(("cable-0", "cable-1")) in linked


def test_two_workers_count_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = formula_corpus()
    config = ScanConfig(find_repeats=False)
    one = scan_documents(documents, config, workers=1)
    monkeypatch.setattr("dedup.digest.BATCH_SIZE", 8)  # many batches, digested by forked workers
    two = scan_documents(documents, config, workers=2)
    assert [m.to_dict() for m in one.matches] == [m.to_dict() for m in two.matches]
    assert [c.to_dict() for c in one.clusters] == [c.to_dict() for c in two.clusters]
    assert all("shared_df" in m.scores for m in one.matches)


def _sorted(values: list[int]) -> np.ndarray:
    return np.array(sorted(set(values)), dtype=np.uint32)


def test_documents_are_counted_once_whatever_their_repeats() -> None:
    even = [2 * k for k in range(1, 9)]  # counted 3-grams have even hashes
    counts = ShingleCounts(workers=2, bits=12)
    documents = [even * 3, even[:4], [*even[:4], 1, 3, 5]]  # the first repeats its 3-grams
    offsets = np.cumsum([0, *(len(d) for d in documents)])
    counts.claim()  # one table here ...
    counts.count(np.array(documents[0] + documents[1], dtype=np.uint32), offsets[:3])
    counts.claim()  # ... and another, as a second worker would
    counts.count(np.array(documents[2], dtype=np.uint32), offsets[2:] - offsets[2])
    counts.finish()
    # even[:4] is in 3 documents, even[4:] in 1; odd hashes are not counted
    shared, own = shared_and_own_df(counts, _sorted([*even[:4], 1, 3]), _sorted(even), True)
    assert shared == pytest.approx(3, abs=0.01) and own == pytest.approx(3, abs=0.01)
    shared, own = shared_and_own_df(counts, _sorted(even), _sorted(even[2:]), False)
    # shared: even[2:4] (3 each), even[4:] (1 each): the 25th percentile is 1
    assert shared == pytest.approx(1, abs=0.01) and own == pytest.approx(1, abs=0.01)
    assert shared_and_own_df(counts, _sorted([1, 3]), _sorted([1, 3]), True) == (0.0, 0.0)


SCORES = {
    "jaccard": 0.3,
    "containment_a": 0.6,
    "containment_b": 0.5,
    "weighted_a": 0.7,
    "weighted_b": 0.6,
    "sentences_a": 0.6,
    "sentences_b": 0.5,
}


@pytest.mark.parametrize(
    ("shared_df", "own_df", "linked", "sentences", "weighted"),
    [
        (40.0, 4.0, False, 0.6, 0.7),  # common shared text, rare rest: a formula
        (40.0, 4.0, False, 1.0, 0.7),  # the same with matching sentences: names still differ
        (40.0, 4.0, True, 1.0, 0.95),  # matching sentences and rarer words: a copy
        (40.0, 4.0, False, 0.6, 0.95),  # a formula is no partial copy, whatever its words
        (40.0, 30.0, True, 0.6, 0.7),  # as common as the rest: a widely carried story
        (20.0, 2.0, True, 0.6, 0.7),  # not common enough to be a formula
        (None, None, True, 0.6, 0.7),  # no corpus counts (compare without --in, check)
    ],
)
def test_classify_rejects_a_formula_only(
    shared_df: float | None, own_df: float | None, linked: bool, sentences: float, weighted: float
) -> None:
    scores = dict(SCORES, sentences_a=sentences, sentences_b=sentences, weighted_a=weighted)
    if shared_df is not None and own_df is not None:
        scores.update(shared_df=shared_df, own_df=own_df)
    assert (classify(scores, MatchConfig()) is not None) == linked


@pytest.mark.parametrize(
    ("scores", "only_a_formula"),
    [
        (dict(SCORES, sentences_a=1.0, sentences_b=1.0, shared_df=40.0, own_df=4.0), True),
        (dict(SCORES, shared_df=40.0, own_df=4.0), True),  # a partial copy but for the formula
        (dict(SCORES, shared_df=40.0, own_df=30.0), False),  # a widely carried story
        (dict(SCORES, sentences_a=1.0, sentences_b=1.0), False),  # no corpus counts
        (dict(SCORES, jaccard=0.9, weighted_a=0.95, weighted_b=0.95), False),  # obvious copy
        (dict(SCORES, containment_a=0.1, containment_b=0.1, weighted_a=0.2), False),  # unlinked
    ],
)
def test_shares_only_a_formula_when_the_formula_alone_decides(
    scores: dict[str, float], only_a_formula: bool
) -> None:
    assert shares_only_a_formula(scores, MatchConfig()) is only_a_formula


def test_template_weighted_zero_never_judges_near_duplicates() -> None:
    scores = dict(SCORES, sentences_a=1.0, sentences_b=1.0, shared_df=40.0, own_df=4.0)
    assert classify(scores, MatchConfig()) is None
    assert classify(scores, MatchConfig(template_weighted=0.0)) == ("near_duplicate", None)


def test_counts_are_finished_once() -> None:
    counts = ShingleCounts(workers=1, bits=12)
    with pytest.raises(RuntimeError, match="finish"):
        shared_and_own_df(counts, _sorted([2]), _sorted([2]), True)
    counts.finish()
    with pytest.raises(RuntimeError, match="finished already"):
        counts.finish()


def test_compare_in_a_corpus_shows_the_formula(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "cables.jsonl"
    corpus.write_bytes(
        b"".join(orjson.dumps({"id": d.id, "text": d.text}) + b"\n" for d in formula_corpus())
    )
    monkeypatch.setattr("dedup.digest.BATCH_SIZE", 8)  # counted by forked workers, no spill
    result = invoke("compare", "--in", str(corpus), "cable-0", "cable-1", "--passages", "0")
    shown = result.stdout.splitlines()
    assert (result.exit_code, shown[2]) == (
        0,
        "verdict: not a copy (only a formula is shared: 40 documents hold its 3-grams)",
    )
    assert shown[-4:] == [
        "  docs per shared 3-gram  40",
        "  docs per own 3-gram     1",
        "shared passages: 1",
        "  … and 1 more",
    ]
    found = orjson.loads(
        invoke("compare", "--in", str(corpus), "cable-0", "cable-1", "--json").stdout
    )
    assert (found["kind"], found["formula"]) == (None, True)


def test_template_ratio_below_one_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"template_ratio must be at least 1, got 0\.5"):
        MatchConfig(template_ratio=0.5)


@pytest.mark.parametrize(
    ("text_bytes", "bits"),
    [(None, 25), (0, 16), (1_000_000, 16), (28_800_000, 21), (288_000_000, 24), (10**10, 25)],
)
def test_count_tables_grow_with_the_text_up_to_32_mb(text_bytes: int | None, bits: int) -> None:
    assert table_bits(text_bytes) == bits


def test_table_counts_saturate_and_a_saturated_bin_stays() -> None:
    from dedup.commonness import add_to_table

    table = np.zeros(4, dtype=np.uint8)
    add_to_table(table, np.array([0, 1, 2]), np.array([254, 300, 3]))
    assert table.tolist() == [254, 255, 3, 0]
    add_to_table(table, np.array([0, 1, 2]), np.array([-4, -10, -3]))
    # 0 and 2 come back exactly; 1 saturated: how many documents are left is not known.
    assert table.tolist() == [250, 255, 0, 0]


@pytest.mark.parametrize(
    ("figures_shared", "verdict"),
    [
        (None, ("near_duplicate", None)),  # too few figures to count
        (0.6, ("near_duplicate", None)),
        (0.2, ("partial", "a_in_b")),  # a digest reusing a figure-poor lead: part, not whole
        (0.1, None),  # another day's report in the same words
    ],
)
def test_figures_shared_decide_what_the_words_cannot(
    figures_shared: float | None, verdict: tuple[str, str | None] | None
) -> None:
    scores = dict(SCORES, sentences_a=1.0, sentences_b=0.9, weighted_a=0.9)
    if figures_shared is not None:
        scores["figures_shared"] = figures_shared
    assert classify(scores, MatchConfig()) == verdict


def test_min_figures_shared_zero_turns_the_figures_off() -> None:
    scores = dict(SCORES, sentences_a=1.0, sentences_b=0.9, weighted_a=0.9, figures_shared=0.1)
    assert classify(scores, MatchConfig(min_figures_shared=0.0)) == ("near_duplicate", None)
