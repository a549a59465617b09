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
    read = ReadConfig(source_field="source", date_field="date")
    report = scan([str(data / "saudinewsnet_dev.jsonl.gz")], ScanConfig(read=read))
    pairs = [
        orjson.loads(line)
        for line in (data / "saudinewsnet_dev_pairs.jsonl").read_bytes().splitlines()
    ]
    return report, pairs


def _clustered(report: Report) -> set[frozenset[str]]:
    return {frozenset((a, b)) for c in report.clusters for a in c.members for b in c.members}


def test_congratulation_cables_to_other_presidents_share_no_cluster(
    saudi: tuple[Report, list[dict[str, str]]],
) -> None:
    # Each cable is the same formula around another head of state's name: 18 cables to eight of
    # them formed one cluster before near-duplicates sharing only a formula were told apart.
    report, pairs = saudi
    cables = [p for p in pairs if p["label"] == "unrelated" and "cable" in p["note"]]
    clustered = _clustered(report)
    assert len(cables) == 8
    assert [p for p in cables if frozenset((p["a"], p["b"])) in clustered] == []


def test_labelled_copies_stay_clustered(saudi: tuple[Report, list[dict[str, str]]]) -> None:
    report, pairs = saudi
    copies = [frozenset((p["a"], p["b"])) for p in pairs if p["label"] == "copy"]
    assert (len(copies), len(set(copies) & _clustered(report))) == (49, 44)
