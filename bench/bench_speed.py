"""End-to-end speed of ``dedup scan`` next to the MinHash-LSH peers, measured in one run.

Usage (from the repository root)::

    python bench/bench_speed.py --corpus /root/bench/corpus_en_10000.jsonl --repeats 3
    python bench/bench_speed.py --generate 10000 --lang ar --repeats 1 --no-peers

What it does:

1. Takes a corpus written by ``make_corpus.py`` (JSONL plus ``CORPUS.labels``) with
   ``--corpus``, or writes one with ``--generate N --lang en|ar`` (``make_corpus.py`` from
   ``--shared``/bench, into ``--workdir``; an existing file with the same name is reused).
2. Runs ``python -m dedup scan CORPUS --report OUT.jsonl -q`` ``--repeats`` times, each in a
   fresh process, with the default settings (repeats and near-duplicates on). The wall time is
   the whole process, interpreter start-up and imports included (the peers' clock starts after
   their imports; ``startup_s`` in the results says how much that is). Peak RSS is the sum of
   VmRSS over the process tree, polled every 20 ms; ``ru_maxrss`` from ``os.wait4`` is
   recorded too. dedup's ``cluster`` findings are scored against the labels with the
   definitions of ``bench_peers.score``: P (generator-family pairs among found pairs), R80
   (share of within-family pairs with word-5-gram Jaccard >= 0.8 put in one cluster) and Rfam
   (share of all within-family pairs found).
3. Runs the peers through ``bench_peers.py``'s orchestrator (``--variants``, same
   ``--repeats``) when ``--peers-python`` and ``bench_peers.py`` exist.
4. Prints one Markdown table on stdout and appends one JSON line per row to ``--results``,
   with the machine's nproc and the date. Progress and warnings go to stderr.

Figures are only comparable within one run on one machine: read the ratio column. A
warning is printed when the machine is busy (1-minute load average > 0.5) before starting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_HOME = Path(os.environ.get("BENCH_HOME", "/root/bench"))
DEFAULT_VARIANTS = "rensa_obj,mp2_rensa_bulk,ds_batch,datatrove_2w,floor_split,floor_tokhash"
THRESHOLD = 0.8  # same as bench_peers.THRESHOLD
NGRAM = 5  # same as bench_peers.NGRAM
POLL_S = 0.02
CLK = os.sysconf("SC_CLK_TCK")
BUSY_LOAD = 0.5

Truth = dict[str, Any]
Row = dict[str, Any]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpus and truth


def generate_corpus(shared: Path, workdir: Path, n: int, lang: str, seed: int) -> Path:
    """Write ``corpus_{lang}_{n}.jsonl`` (+ .labels) into workdir with make_corpus.py."""
    out = workdir / f"corpus_{lang}_{n}_s{seed}.jsonl"
    if out.exists() and Path(f"{out}.labels").exists():
        log(f"reusing {out}")
        return out
    script = shared / "bench" / "make_corpus.py"
    if not script.exists():
        sys.exit(f"error: {script} not found (set --shared)")
    cmd = [sys.executable, str(script), "--n", str(n), "--seed", str(seed), "--lang", lang]
    log(f"generating {out}")
    subprocess.run([*cmd, "--out", str(out)], check=True, stdout=sys.stderr)
    return out


def iter_texts(path: Path) -> Iterator[str]:
    with path.open("rb") as f:
        for line in f:
            yield json.loads(line)["text"]


def shingles(text: str) -> list[str]:
    """Word 5-grams after lower() + whitespace split, exactly as bench_peers.shingles."""
    t = text.lower().split()
    if len(t) < NGRAM:
        return [" ".join(t)] if t else []
    return [" ".join(g) for g in zip(t, t[1:], t[2:], t[3:], t[4:], strict=False)]


def load_truth(corpus: Path) -> Truth:
    """Families from CORPUS.labels and the within-family pairs with Jaccard >= 0.8.

    Reads (and, when it can, writes) the cache bench_peers uses, CORPUS.truth.json, in the
    same format, so either tool reuses the other's work.
    """
    cache = Path(f"{corpus}.truth.json")
    if cache.exists() and cache.stat().st_mtime > corpus.stat().st_mtime:
        with cache.open() as f:
            truth: Truth = json.load(f)
        return truth
    log(f"computing ground truth for {corpus} ...")
    with open(f"{corpus}.labels") as f:
        fam = [json.loads(line)["cluster"] for line in f]
    sizes = Counter(fam)
    members: defaultdict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(fam):
        if sizes[c] > 1:
            members[c].append(i)
    need = {i for m in members.values() for i in m}
    sets: dict[int, set[str]] = {}
    text_bytes = 0
    for i, t in enumerate(iter_texts(corpus)):
        text_bytes += len(t.encode("utf8"))
        if i in need:
            sets[i] = set(shingles(t))
    j80: list[list[int]] = []
    jall: list[float] = []
    for m in members.values():
        for x in range(len(m)):
            for y in range(x + 1, len(m)):
                a, b = sets[m[x]], sets[m[y]]
                j = len(a & b) / len(a | b) if (a or b) else 1.0
                jall.append(j)
                if j >= THRESHOLD:
                    j80.append([m[x], m[y]])
    hist = [sum(1 for j in jall if k / 10 <= j < k / 10 + 0.1) for k in range(10)]
    truth = {
        "n": len(fam),
        "family": fam,
        "gen_pairs": sum(s * (s - 1) // 2 for s in sizes.values()),
        "j80_pairs": j80,
        "text_bytes": text_bytes,
        "jsonl_bytes": corpus.stat().st_size,
        "family_pairs_jaccard_hist": [*hist, sum(1 for j in jall if j >= 1.0)],
    }
    try:
        with cache.open("w") as f:
            json.dump(truth, f)
    except OSError:
        pass  # read-only corpus folder: recompute next time
    return truth


def score(clusters: list[list[int]], truth: Truth) -> dict[str, float]:
    """Same definitions as bench_peers.score."""
    fam = truth["family"]
    found_id: dict[int, int] = {}
    pairs = tp_gen = 0
    for ci, c in enumerate(clusters):
        pairs += len(c) * (len(c) - 1) // 2
        for d in c:
            found_id[d] = ci
        for k in Counter(fam[d] for d in c).values():
            tp_gen += k * (k - 1) // 2
    j80 = truth["j80_pairs"]
    tp80 = sum(1 for i, j in j80 if i in found_id and found_id.get(j) == found_id[i])
    return {
        "pairs": pairs,
        "clusters": len(clusters),
        "dup_docs": sum(len(c) - 1 for c in clusters),
        "precision": tp_gen / pairs if pairs else 1.0,
        "recall_j80": tp80 / len(j80) if j80 else 1.0,
        "recall_family": tp_gen / truth["gen_pairs"] if truth["gen_pairs"] else 1.0,
    }


def read_dedup_clusters(report: Path) -> list[list[int]]:
    clusters: list[list[int]] = []
    with report.open("rb") as f:
        for line in f:
            finding = json.loads(line)
            if finding.get("type") == "cluster":
                try:
                    clusters.append([int(m) for m in finding["members"]])
                except ValueError:
                    sys.exit(f"error: non-integer member ids in {report}: {finding['members']}")
    return clusters


# --------------------------------------------------------------------------- process measurement


def tree_rss(root: int, cpu_seen: dict[int, float]) -> tuple[int, int]:
    """(sum of VmRSS over root and its descendants, VmHWM of root) in kB.

    Also stores each process's utime+stime (s) in cpu_seen[pid]."""
    todo, seen = [root], set()
    total = root_hwm = 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                    elif pid == root and line.startswith("VmHWM:"):
                        root_hwm = int(line.split()[1])
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            cpu_seen[pid] = (int(st[11]) + int(st[12])) / CLK
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        todo.extend(int(x) for x in f.read().split())
                except OSError:
                    pass
        except (OSError, ValueError, IndexError):
            pass  # process gone between listing and reading
    return total, root_hwm


def busy_seconds() -> float:
    """CPU seconds spent busy, summed over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / CLK


def run_measured(cmd: list[str], cwd: Path, log_path: Path) -> dict[str, Any]:
    """Run cmd, polling its process tree; return wall, CPU, RSS figures and the exit code."""
    cpu_seen: dict[int, float] = {}
    peak_kb = hwm_kb = 0
    load = os.getloadavg()[0]
    busy0 = busy_seconds()
    with log_path.open("w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, hwm = tree_rss(proc.pid, cpu_seen)
            peak_kb, hwm_kb = max(peak_kb, rss), max(hwm_kb, hwm)
            time.sleep(POLL_S)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = max(ru.ru_utime + ru.ru_stime, sum(cpu_seen.values()))
    return {
        "rc": proc.returncode,
        "wall": wall,
        "cpu_s": cpu,
        # CPU used by other processes on the machine during the run, in cores
        "foreign_cores": max(0.0, busy_seconds() - busy0 - cpu) / wall,
        "loadavg_before": load,
        "tree_peak_rss_mb": peak_kb / 1024,
        "vmhwm_mb": hwm_kb / 1024,
        "peak_rss_mb": max(peak_kb, hwm_kb) / 1024,
        # includes the parent's RSS at fork (Linux carries it over exec): an upper bound
        "ru_maxrss_mb": ru.ru_maxrss / 1024,
    }


def startup_seconds(python: str, cwd: Path) -> float:
    """Interpreter start + import of the dedup CLI: part of dedup's wall, not of the peers'."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([python, "-c", "import dedup.cli, dedup.corpus"], cwd=cwd, check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_dedup(args: argparse.Namespace, corpus: Path, truth: Truth, workdir: Path) -> Row:
    runs: list[dict[str, Any]] = []
    sc: dict[str, float] = {}
    cmd: list[str] = []
    for k in range(args.repeats):
        out = workdir / f"dedup_report_{k}.jsonl"
        cmd = [args.dedup_python, "-m", "dedup", "scan", str(corpus), "--report", str(out), "-q"]
        log(f"dedup rep {k}: {' '.join(cmd)}")
        res = run_measured(cmd, workdir, workdir / f"dedup_stderr_{k}.log")
        if res["rc"] != 0:
            tail = (workdir / f"dedup_stderr_{k}.log").read_text()[-3000:]
            sys.exit(f"error: dedup exited with {res['rc']}\n{tail}")
        sc = score(read_dedup_clusters(out), truth)
        if k:
            (workdir / f"dedup_report_{k - 1}.jsonl").unlink(missing_ok=True)
        log(
            f"  {res['wall']:.2f}s cpu {res['cpu_s']:.2f}s rss {res['peak_rss_mb']:.0f} MB "
            f"(ru_maxrss {res['ru_maxrss_mb']:.0f}) foreign {res['foreign_cores']:.2f} cores "
            f"pairs {sc['pairs']} P {sc['precision']:.4f} R80 {sc['recall_j80']:.4f} "
            f"Rfam {sc['recall_family']:.4f}"
        )
        runs.append(res)
    med = statistics.median(r["wall"] for r in runs)
    row: Row = {
        "variant": "dedup",
        "repeats": len(runs),
        "wall_median": med,
        "walls": [r["wall"] for r in runs],
        "cpu_median": statistics.median(r["cpu_s"] for r in runs),
        "foreign_cores": [round(r["foreign_cores"], 3) for r in runs],
        "loadavg_before": [round(r["loadavg_before"], 2) for r in runs],
        "docs_per_s": truth["n"] / med,
        "text_mb_per_s": truth["text_bytes"] / 1e6 / med,
        "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in runs),
        "tree_peak_rss_mb_median": statistics.median(r["tree_peak_rss_mb"] for r in runs),
        "ru_maxrss_mb_median": statistics.median(r["ru_maxrss_mb"] for r in runs),
        "startup_s": startup_seconds(args.dedup_python, workdir),
        "cmd": " ".join(cmd),
    }
    row.update(sc)
    return row


# --------------------------------------------------------------------------- peers


def bench_peers(args: argparse.Namespace, corpus: Path, workdir: Path) -> list[Row]:
    script = args.shared / "bench" / "bench_peers.py"
    python = Path(args.peers_python)
    if args.no_peers:
        return []
    if not script.exists() or not python.exists():
        log(f"warning: peers skipped ({script} or {python} missing)")
        return []
    results = workdir / "peers_results.jsonl"
    results.unlink(missing_ok=True)
    cmd = [
        str(python),
        str(script),
        "--corpus",
        str(corpus),
        "--variants",
        args.variants,
        "--repeats",
        str(args.repeats),
        "--lang",
        args.lang,
        "--results",
        str(results),
    ]
    log(f"peers: {' '.join(cmd)}")
    env = dict(os.environ, BENCH_HOME=str(args.bench_home))
    proc = subprocess.run(cmd, cwd=args.bench_home, env=env, stdout=sys.stderr)
    if proc.returncode != 0:
        log(f"warning: bench_peers.py exited with {proc.returncode}")
    if not results.exists():
        return []
    with results.open() as f:
        return [json.loads(line) for line in f if line.strip()]


# --------------------------------------------------------------------------- report


def is_floor(row: Row) -> bool:
    return str(row["variant"]).startswith("floor_")


def ratio_cell(dedup: Row, row: Row) -> str:
    if row is dedup:
        return "1.00"
    if "error" in row:
        return "-"
    if is_floor(row):  # how many times the floor's time dedup takes
        return f"{dedup['wall_median'] / row['wall_median']:.1f}x floor time"
    return f"{dedup['docs_per_s'] / row['docs_per_s']:.2f}"


def table(rows: list[Row], dedup: Row) -> str:
    head = [
        "variant",
        "median wall s",
        "docs/s",
        "MB/s",
        "peak RSS MB",
        "P",
        "R80",
        "Rfam",
        "dedup speed ratio",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        if "error" in r:
            cells = [r["variant"], "failed: " + str(r["error"]), *["-"] * (len(head) - 2)]
        else:
            quality = (
                ["-", "-", "-"]
                if is_floor(r)
                else [f"{r[k]:.4f}" for k in ("precision", "recall_j80", "recall_family")]
            )
            cells = [
                r["variant"],
                f"{r['wall_median']:.2f}",
                f"{r['docs_per_s']:,.0f}",
                f"{r['text_mb_per_s']:.2f}",
                f"{r['peak_rss_mb_median']:.0f}",
                *quality,
                ratio_cell(dedup, r),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus", type=Path, help="make_corpus JSONL (with CORPUS.labels)")
    src.add_argument("--generate", type=int, metavar="N", help="generate an N-doc corpus")
    ap.add_argument("--lang", choices=["en", "ar"], default="en", help="language (default en)")
    ap.add_argument("--seed", type=int, default=1234, help="make_corpus seed (default 1234)")
    ap.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="folder holding bench/make_corpus.py and bench/bench_peers.py (default %(default)s)",
    )
    ap.add_argument(
        "--workdir", type=Path, help="generated corpora, reports, logs (default: new dir in /tmp)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="fresh-process runs each (default 3)")
    ap.add_argument(
        "--dedup-python",
        default=sys.executable,
        help="interpreter with dedup installed (default: this one)",
    )
    ap.add_argument(
        "--bench-home",
        type=Path,
        default=BENCH_HOME,
        help="BENCH_HOME for bench_peers.py: its venvs and work folder (default %(default)s)",
    )
    ap.add_argument(
        "--peers-python",
        help="interpreter for bench_peers.py (default BENCH_HOME/venv/bin/python)",
    )
    ap.add_argument(
        "--variants", default=DEFAULT_VARIANTS, help="peer variants (default %(default)s)"
    )
    ap.add_argument("--no-peers", action="store_true", help="benchmark dedup only")
    ap.add_argument(
        "--results", type=Path, help="JSONL to append rows to (default WORKDIR/bench/results.jsonl)"
    )
    ap.add_argument("--tag", default="", help="free text stored with every result row")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    if args.peers_python is None:
        args.peers_python = str(args.bench_home / "venv" / "bin" / "python")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.shared = args.shared.resolve()
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        log(
            f"warning: machine is busy (load average {load:.2f} > {BUSY_LOAD}); "
            "timings will be unreliable, compare ratios at most"
        )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_speed_", dir="/tmp"))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"workdir {workdir}")
    if args.generate is not None:
        corpus = generate_corpus(args.shared, workdir, args.generate, args.lang, args.seed)
    else:
        corpus = args.corpus.resolve()
        if not corpus.exists() or not Path(f"{corpus}.labels").exists():
            sys.exit(f"error: {corpus} or its .labels file is missing")
    truth = load_truth(corpus)
    log(
        f"corpus {corpus}: {truth['n']} docs, {truth['text_bytes'] / 1e6:.1f} MB text, "
        f"family pairs {truth['gen_pairs']}, pairs with J>=0.8 {len(truth['j80_pairs'])}"
    )

    dedup = bench_dedup(args, corpus, truth, workdir)
    peers = bench_peers(args, corpus, workdir)
    rows = [dedup, *peers]

    mb = truth["text_bytes"] / 1e6
    print(
        f"\n{truth['n']:,} docs, {mb:.1f} MB text ({corpus.name}), {args.repeats} repeat(s), "
        f"nproc {os.cpu_count()}, load before {load:.2f}\n"
    )
    print(table(rows, dedup))
    print(
        "\nratio: dedup docs/s / row docs/s (> 1: dedup faster); floor rows: dedup wall / "
        f"floor wall. dedup's wall includes ~{dedup['startup_s']:.2f}s interpreter start-up "
        "and imports; the peers' clock starts after imports."
    )
    busy = [
        r["variant"]
        for r in rows
        if any(f > 0.25 for f in r.get("foreign_cores", []) if isinstance(f, float | int))
    ]
    if busy:
        log(f"warning: other processes used > 0.25 core during: {', '.join(busy)}")

    results = (args.results or workdir / "bench" / "results.jsonl").resolve()
    results.parent.mkdir(parents=True, exist_ok=True)
    common = {
        "bench": "bench_speed",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "host": platform.node(),
        "loadavg_start": round(load, 2),
        "corpus": str(corpus),
        "n": truth["n"],
        "text_bytes": truth["text_bytes"],
        "tag": args.tag,
    }
    with results.open("a") as f:
        for r in rows:
            f.write(json.dumps({**common, **r}) + "\n")
    log(f"appended {len(rows)} rows to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
