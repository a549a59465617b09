"""Measure repeat detection on the labelled data in ../shared/data/dev (not a unit test).

    python bench/repeats_quality.py [--data ../shared/data/dev] [--min-tokens N] ...

Prints, for planted_repeats_*: the share of #planted documents whose planted repeat is found
(by kind) and the share of #clean documents with any repeat; for repeats_*: which defect and legit
documents are flagged.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from dedup.config import RepeatConfig
from dedup.model import Document
from dedup.repeats import find_repeats_in


def _load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/dev")
    )
    parser.add_argument("--min-tokens", type=int, default=RepeatConfig().min_tokens)
    parser.add_argument("--min-containment", type=float, default=RepeatConfig().min_containment)
    parser.add_argument("--min-similarity", type=float, default=RepeatConfig().min_similarity)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    config = RepeatConfig(
        min_tokens=args.min_tokens,
        min_containment=args.min_containment,
        min_similarity=args.min_similarity,
    )
    data = Path(args.data)

    docs = {d["id"]: d for d in _load(data / "planted_repeats_docs.jsonl")}
    found_by_kind: collections.Counter[str] = collections.Counter()
    total_by_kind: collections.Counter[str] = collections.Counter()
    clean_flagged = clean_total = 0
    for gold in _load(data / "planted_repeats_gold.jsonl"):
        doc = docs[gold["id"]]
        repeats = find_repeats_in(Document(str(doc["id"]), str(doc["text"])), config)
        pairs = {(r.first.index, r.repeat.index) for r in repeats}
        if gold["kind"] == "none":
            clean_total += 1
            clean_flagged += bool(repeats)
            if repeats and args.verbose:
                print(
                    "clean flagged:",
                    gold["id"],
                    [(r.first.index, r.repeat.index, r.kind, r.scores) for r in repeats],
                )
            continue
        kind = str(gold["kind"])
        total_by_kind[kind] += 1
        wanted = {(g["first"], g["repeat"]) for g in gold["repeats"]}  # type: ignore[union-attr]
        repeated = {r for _, r in pairs}
        hit = all(r in repeated for _, r in wanted)
        found_by_kind[kind] += hit
        if not hit and args.verbose:
            print("missed:", gold["id"], kind, sorted(wanted), sorted(pairs))
    planted = sum(total_by_kind.values())
    print(
        f"planted found: {sum(found_by_kind.values())}/{planted} "
        f"({100 * sum(found_by_kind.values()) / planted:.1f}%)"
    )
    for kind in sorted(total_by_kind):
        print(f"  {kind:14s} {found_by_kind[kind]}/{total_by_kind[kind]}")
    print(
        f"clean flagged: {clean_flagged}/{clean_total} ({100 * clean_flagged / clean_total:.1f}%)"
    )

    docs = {d["id"]: d for d in _load(data / "repeats_docs.jsonl")}
    flagged: collections.Counter[str] = collections.Counter()
    totals: collections.Counter[str] = collections.Counter()
    for gold in _load(data / "repeats_gold.jsonl"):
        doc = docs[gold["id"]]
        repeats = find_repeats_in(Document(str(doc["id"]), str(doc["text"])), config)
        judgement = str(gold["judgement"])
        totals[judgement] += 1
        flagged[judgement] += bool(repeats)
        if args.verbose and (bool(repeats) != (judgement == "defect")):
            print(
                judgement,
                gold["id"],
                gold.get("note"),
                [(r.first.index, r.repeat.index, r.kind, r.scores) for r in repeats],
            )
    for judgement in sorted(totals):
        print(f"real {judgement:7s} flagged: {flagged[judgement]}/{totals[judgement]}")


if __name__ == "__main__":
    main()
