"""The CI gate at scale: ``dedup check`` of a new batch against a large archive index.

Usage (from the repository root; the archive is a corpus written by ``make_corpus.py``)::

    python bench/bench_index.py --archive /root/bench/corpus_en_1000000.jsonl \\
        --index /root/bench/idx/archive.db --index redis://localhost:6390/0 --build --repeats 3

What it does:

1. Writes the batch (into ``--workdir``, reused when it exists): ``--new`` documents in all, of
   which ``--copies`` are edited copies of archived documents picked at random (a new headline
   paragraph, the last paragraph dropped, id ``copy-<archived id>``) and the rest fresh ones from
   ``make_corpus.py`` with another seed (ids ``new-<n>``; they carry their own within-batch
   near-duplicates, as a real scrape does).
2. With ``--build``, adds the archive to each ``--index`` (``dedup index add``), timed.
3. Runs ``dedup check --index INDEX BATCH --report OUT.jsonl -q`` ``--repeats`` times per index,
   each in a fresh process, measuring wall time and peak RSS of the process tree (as
   ``bench_speed.py`` does). Redis's own memory is reported beside it.
4. Scores the archive matches: recall of the planted copies (``copy-X`` matched to ``X``) and
   the fresh documents wrongly matched to the archive (should be none).

Prints a Markdown table on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import BENCH_HOME, generate_corpus, log, run_measured

REPO = Path(__file__).resolve().parents[1]


def write_batch(args: argparse.Namespace, workdir: Path) -> Path:
    out = workdir / f"batch_{args.new}_{args.copies}_s{args.seed}.jsonl"
    if out.exists():
        log(f"reusing {out}")
        return out
    fresh_corpus = generate_corpus(args.shared, workdir, args.new - args.copies, "en", args.seed)
    picked = set(random.Random(args.seed).sample(range(count_lines(args.archive)), args.copies))
    lines: list[bytes] = []
    with args.archive.open("rb") as archive:
        for number, line in enumerate(archive):
            if number in picked:
                record = orjson.loads(line)
                paragraphs = record["text"].split("\n\n")
                if len(paragraphs) > 3:
                    paragraphs = paragraphs[:-1]
                text = "\n\n".join(["An update on the story, from our correspondents", *paragraphs])
                lines.append(orjson.dumps({"id": f"copy-{record['id']}", "text": text}))
    with fresh_corpus.open("rb") as fresh:
        for line in fresh:
            record = orjson.loads(line)
            lines.append(orjson.dumps({"id": f"new-{record['id']}", "text": record["text"]}))
    random.Random(args.seed + 1).shuffle(lines)
    out.write_bytes(b"\n".join(lines) + b"\n")
    return out


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


def dedup_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "dedup", *args]


def redis_memory_mb(url: str) -> float | None:
    if not url.startswith("redis"):
        return None
    import redis

    info = redis.Redis.from_url(url).info("memory")
    return float(info["used_memory"]) / 2**20


def score(report: Path) -> dict[str, int]:
    copies_found: set[str] = set()
    fresh_matched: set[str] = set()
    for line in report.read_bytes().splitlines():
        finding = orjson.loads(line)
        if finding.get("type") != "archive_match":
            continue
        doc, archived = str(finding["doc"]), str(finding["archived"])
        if doc == f"copy-{archived}":
            copies_found.add(doc)
        elif doc.startswith("new-"):
            fresh_matched.add(doc)
    return {"copies_found": len(copies_found), "fresh_matched": len(fresh_matched)}


def bench_index(args: argparse.Namespace, url: str, batch: Path, workdir: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"index": url}
    if args.build:
        measured = run_measured(
            dedup_command("index", "add", url, str(args.archive)), REPO, workdir / "add.log"
        )
        if measured["rc"] != 0:
            sys.exit(f"error: index add failed, see {workdir / 'add.log'}")
        row["add_s"], row["add_rss_mb"] = measured["wall"], measured["peak_rss_mb"]
    stats = subprocess.run(
        dedup_command("index", "stats", url, "--json"), capture_output=True, check=True
    )
    row["archive_documents"] = orjson.loads(stats.stdout)["documents"]
    runs = []
    report = workdir / "check.jsonl"
    for run in range(args.repeats):
        log(f"check {url}: run {run + 1}/{args.repeats}")
        command = dedup_command("check", "--index", url, str(batch), "--report", str(report), "-q")
        measured = run_measured(command, REPO, workdir / "check.log")
        if measured["rc"] not in (0, 1):
            sys.exit(f"error: check failed, see {workdir / 'check.log'}")
        runs.append(measured)
    row["check_s"] = statistics.median(r["wall"] for r in runs)
    row["check_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in runs)
    row["redis_mb"] = redis_memory_mb(url)
    row.update(score(report))
    return row


def table(rows: list[dict[str, Any]], batch_documents: int, copies: int) -> str:
    lines = [
        "| index | archive docs | add s | check s (median) | docs/s | peak RSS MB | server MB "
        "| planted copies found | fresh docs matched |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        add = f"{row['add_s']:.0f}" if "add_s" in row else ""
        server = f"{row['redis_mb']:.0f}" if row["redis_mb"] is not None else ""
        lines.append(
            f"| {row['index']} | {row['archive_documents']:,} | {add} | {row['check_s']:.1f} "
            f"| {batch_documents / row['check_s']:,.0f} | {row['check_rss_mb']:.0f} | {server} "
            f"| {row['copies_found']}/{copies} | {row['fresh_matched']} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="JSONL corpus to archive")
    parser.add_argument("--index", action="append", required=True, help="index URL (repeat)")
    parser.add_argument("--build", action="store_true", help="add the archive to each index first")
    parser.add_argument("--new", type=int, default=10000, help="documents in the batch")
    parser.add_argument("--copies", type=int, default=1000, help="of them, copies of archived")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4321)
    parser.add_argument("--workdir", type=Path, default=BENCH_HOME / "work")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    batch = write_batch(args, args.workdir)
    rows = [bench_index(args, url, batch, args.workdir) for url in args.index]
    print(table(rows, args.new, args.copies))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
