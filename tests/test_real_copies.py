"""Copies across documents on real, labelled news (SaudiNewsNet, ../shared/data/dev): slow."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from dedup.config import ReadConfig, ScanConfig
from dedup.corpus import scan
from dedup.model import Report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saudi(shared_data: Path) -> tuple[Report, list[dict[str, str]]]:
    data = shared_data / "dev"
    if not (data / "saudinewsnet_dev.jsonl.gz").is_file():
        pytest.skip(f"real data not found: {data / 'saudinewsnet_dev.jsonl.gz'} is absent")
    read = ReadConfig(source_field="source", date_field="date")
    report = scan([str(data / "saudinewsnet_dev.jsonl.gz")], ScanConfig(read=read))
    pairs = [
        orjson.loads(line)
        for line in (data / "saudinewsnet_dev_pairs.jsonl").read_bytes().splitlines()
    ]
    return report, pairs


def _clustered(report: Report) -> set[frozenset[str]]:
    return {frozenset((a, b)) for c in report.clusters for a in c.members for b in c.members}


def test_unrelated_stories_share_no_cluster(saudi: tuple[Report, list[dict[str, str]]]) -> None:
    # Most are formulas around other names: 18 congratulation cables to eight heads of state
    # formed one cluster, and two execution notices from other towns another, before
    # near-duplicates sharing only a formula were told apart.
    report, pairs = saudi
    unrelated = [frozenset((p["a"], p["b"])) for p in pairs if p["label"] == "unrelated"]
    assert (len(unrelated), len(set(unrelated) & _clustered(report))) == (28, 0)


def test_labelled_copies_stay_clustered(saudi: tuple[Report, list[dict[str, str]]]) -> None:
    # 43 until a member one step beyond its representative could move to the later
    # representative it copies: two notices of one execution now share a cluster.
    report, pairs = saudi
    copies = [frozenset((p["a"], p["b"])) for p in pairs if p["label"] == "copy"]
    assert (len(copies), len(set(copies) & _clustered(report))) == (49, 44)
