"""Score cross-document matching on the labelled pairs in ../shared/data/dev (not a unit test).

    python bench/copies_quality.py [--data ../shared/data/dev] [--near-weighted-small X] ...

Each corpus is scanned whole with dedup's library (as ``dedup scan`` would), then scored:

* copy F1: a ``copy`` pair counts as found when both documents share a cluster; any other
  label in one cluster is a false positive;
* reuse F1: ``copy`` or ``partial`` pairs count as found when the documents are linked at all
  (same cluster, or a verified match); ``related``/``unrelated`` links are false positives;
* the word 5-gram Jaccard >= 0.8 and >= 0.7 baselines (exact Jaccard, the best MinHash tools
  at those thresholds could do), computed in the same run;
* Mawdoo3 (short Arabic paraphrases): how many label-0 pairs get merged (identical texts apart);
* Clough-Stevenson: how many ``cut`` answers link to their source, how many ``non`` answers do;
* SaudiNewsNet exact clusters: how many are found whole.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from dedup.config import MatchConfig, ReadConfig, ScanConfig
from dedup.corpus import scan
from dedup.model import Report
from dedup.text.normalize import normalize


def _records(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _links(report: Report) -> tuple[dict[str, int], set[frozenset[str]]]:
    cluster_of = {member: c.id for c in report.clusters for member in c.members}
    linked = {frozenset((m.a, m.b)) for m in report.matches}
    return cluster_of, linked


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = normalize(text).split()
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _score_pairs(name: str, docs: Path, pairs: Path, config: ScanConfig) -> None:
    started = time.perf_counter()
    report = scan([str(docs)], config)
    seconds = time.perf_counter() - started
    cluster_of, linked = _links(report)
    texts = {r["id"]: r.get("text") or "" for r in _records(docs)}
    labelled = list(_records(pairs))
    copy = {"tp": 0, "fp": 0, "fn": 0}
    reuse = {"tp": 0, "fp": 0, "fn": 0}
    baselines = {0.8: {"tp": 0, "fp": 0, "fn": 0}, 0.7: {"tp": 0, "fp": 0, "fn": 0}}
    errors: list[str] = []
    for pair in labelled:
        a, b, label = pair["a"], pair["b"], pair["label"]
        same_cluster = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        any_link = same_cluster or frozenset((a, b)) in linked
        is_copy, is_reuse = label == "copy", label in ("copy", "partial")
        _count(copy, same_cluster, is_copy)
        _count(reuse, any_link, is_reuse)
        if same_cluster != is_copy or any_link != is_reuse:
            errors.append(f"  {label:9s} cluster={same_cluster!s:5s} link={any_link!s:5s} {a} {b}")
        sa, sb = _shingles(texts[a]), _shingles(texts[b])
        jaccard = len(sa & sb) / len(sa | sb) if sa | sb else 1.0
        for threshold, counts in baselines.items():
            _count(counts, jaccard >= threshold, is_copy)
    print(
        f"{name}: {report.documents} documents scanned in {seconds:.1f} s; "
        f"{len(report.clusters)} clusters, {len(report.matches)} matches"
    )
    print(
        f"  dedup          copy F1 {_f1(**copy):.3f} {copy}   reuse F1 {_f1(**reuse):.3f} {reuse}"
    )
    for threshold, counts in baselines.items():
        print(f"  5-gram J>={threshold}  copy F1 {_f1(**counts):.3f} {counts}")
    if config.matches and errors and _VERBOSE:
        print("\n".join(errors))


def _count(counts: dict[str, int], predicted: bool, actual: bool) -> None:
    if predicted and actual:
        counts["tp"] += 1
    elif predicted:
        counts["fp"] += 1
    elif actual:
        counts["fn"] += 1


def _mawdoo3(data: Path, config: ScanConfig) -> None:
    report = scan([str(data / "mawdoo3_q2q_arabic_docs.jsonl")], config)
    cluster_of, _ = _links(report)
    texts = {r["id"]: r["text"] for r in _records(data / "mawdoo3_q2q_arabic_docs.jsonl")}
    merged = identical = total = itself = 0
    for pair in _records(data / "mawdoo3_q2q_arabic_pairs.jsonl"):
        if pair["label"] != 0:
            continue
        total += 1
        a, b = pair["a"], pair["b"]
        if a == b:
            itself += 1  # a question paired with itself: no pair to merge
            continue
        if a in cluster_of and cluster_of.get(a) == cluster_of.get(b):
            if normalize(texts[a]) == normalize(texts[b]):
                identical += 1
            else:
                merged += 1
    print(
        f"mawdoo3: {total} label-0 pairs: {merged} merged with different text, "
        f"{identical} merged as identical texts (label noise); {itself} pair a question "
        "with itself"
    )


def _clough(data: Path, config: ScanConfig) -> None:
    report = scan([str(data / "clough_stevenson_plagiarism_docs.jsonl")], config)
    cluster_of, linked = _links(report)
    found: dict[str, list[int]] = {}
    for pair in _records(data / "clough_stevenson_plagiarism_pairs.jsonl"):
        a, b = pair["a"], pair["b"]
        link = frozenset((a, b)) in linked or (
            a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        )
        counts = found.setdefault(pair["label"], [0, 0])
        counts[0] += link
        counts[1] += 1
    print(
        "clough-stevenson linked to their source: "
        + ", ".join(f"{label} {hit}/{total}" for label, (hit, total) in sorted(found.items()))
    )


def _exact(data: Path, report_config: ScanConfig) -> None:
    report = scan([str(data / "saudinewsnet_dev.jsonl.gz")], report_config)
    cluster_of, _ = _links(report)
    whole = total = 0
    for row in _records(data / "saudinewsnet_dev_exact_clusters.jsonl"):
        total += 1
        ids = row["cluster"]
        whole += len({cluster_of.get(i, -1) for i in ids}) == 1 and ids[0] in cluster_of
    print(f"saudinewsnet exact clusters found whole: {whole}/{total}")


_VERBOSE = False


def main() -> None:
    global _VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/dev")
    )
    parser.add_argument("--verbose", action="store_true", help="list every misjudged pair")
    parser.add_argument("--only", choices=["saudi", "bbc", "mawdoo3", "clough", "exact"])
    defaults = MatchConfig()
    for name in (
        "obvious_jaccard",
        "obvious_weighted",
        "near_weighted_small",
        "near_sentences_small",
        "near_sentences_large",
        "partial_containment",
        "partial_weighted",
        "partial_sentences",
        "template_df",
        "template_ratio",
        "template_weighted",
        "min_figures_shared",
    ):
        parser.add_argument(
            "--" + name.replace("_", "-"), type=float, default=getattr(defaults, name)
        )
    for name in (
        "bands",
        "rows",
        "min_tokens",
        "passage_bands",
        "passage_rows",
        "passage_block",
        "max_passage_bucket",
    ):
        parser.add_argument(
            "--" + name.replace("_", "-"), type=int, default=getattr(defaults, name)
        )
    args = parser.parse_args()
    _VERBOSE = args.verbose
    data = Path(args.data)
    matches = replace(
        defaults,
        obvious_jaccard=args.obvious_jaccard,
        obvious_weighted=args.obvious_weighted,
        near_weighted_small=args.near_weighted_small,
        near_sentences_small=args.near_sentences_small,
        near_sentences_large=args.near_sentences_large,
        partial_containment=args.partial_containment,
        partial_weighted=args.partial_weighted,
        partial_sentences=args.partial_sentences,
        template_df=args.template_df,
        template_ratio=args.template_ratio,
        template_weighted=args.template_weighted,
        min_figures_shared=args.min_figures_shared,
        bands=args.bands,
        rows=args.rows,
        min_tokens=args.min_tokens,
        passage_bands=args.passage_bands,
        passage_rows=args.passage_rows,
        passage_block=args.passage_block,
        max_passage_bucket=args.max_passage_bucket,
    )
    config = ScanConfig(
        read=ReadConfig(source_field="source", date_field="date"),
        matches=matches,
        find_repeats=False,
    )
    if args.only in (None, "saudi"):
        _score_pairs(
            "saudinewsnet",
            data / "saudinewsnet_dev.jsonl.gz",
            data / "saudinewsnet_dev_pairs.jsonl",
            config,
        )
    if args.only in (None, "bbc"):
        _score_pairs("bbc", data / "bbc.jsonl.gz", data / "bbc_pairs.jsonl", config)
    if args.only in (None, "mawdoo3"):
        _mawdoo3(data, config)
    if args.only in (None, "clough"):
        _clough(data, config)
    if args.only in (None, "exact"):
        _exact(data, config)


if __name__ == "__main__":
    main()
