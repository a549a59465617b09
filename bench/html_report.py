"""Time and size of the HTML report for large synthetic reports.

    python bench/html_report.py --findings 10000 100000 [--texts all|2000] [--open]

A third of the findings each are repeats, partial copies and clusters (2 to ~20 members). With
``--texts 2000`` the report keeps 2,000 texts, as a scan does by default (``report_texts``);
``--texts all`` keeps every document's text, the worst case. ``--open`` also times how long
headless Chromium takes to load the page (needs ``chromium``).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from dedup.model import Cluster, Match, Repeat, Report
from dedup.report.html import HEADLESS_CHROMIUM_FLAGS, write_html
from dedup.text.segment import paragraphs

WORDS = ["river", "valley", "council", "budget", "flood", "rescue", "خبر", "وزارة", "اليوم"]


def synthetic(findings: int, texts: int | None, seed: int = 1) -> Report:
    rng = random.Random(seed)

    def text(count: int) -> list[str]:
        return [" ".join(rng.choices(WORDS, k=40)) for _ in range(count)]

    third = findings // 3
    report = Report(documents=2 * findings)
    kept: dict[str, str] = {}
    for n in range(third):
        body = text(5)
        whole = "\n\n".join([*body, body[1]])
        spans = paragraphs(whole)
        report.repeats.append(
            Repeat(f"r{n}", spans[1], spans[5], "exact", {"similarity": 100.0}, ordinal=n)
        )
        scores = {k: rng.random() for k in ("jaccard", "weighted_a", "weighted_b", "sentences_a")}
        report.matches.append(
            Match(f"p{n}", f"q{n}", "partial", "a_in_b", scores, ((1, 1, 0.9), (2, 3, 0.8)))
        )
        members = tuple(f"c{n}-{k}" for k in range(2 + int(rng.expovariate(0.5))))
        report.clusters.append(Cluster(n, members, members[0]))
        kept[f"r{n}"] = whole
        shared = "\n\n".join(body)
        kept.update({f"p{n}": shared, f"q{n}": "\n\n".join(body[::-1])})
        kept.update(dict.fromkeys(members, shared))
    report.texts = dict(list(kept.items())[:texts]) if texts is not None else kept
    return report


def open_time_s(page: Path) -> float:
    """Seconds headless Chromium takes to load ``page`` and screenshot its first screen, less
    its start-up time (measured on an empty page)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found")

    def run(url: str) -> float:
        with tempfile.TemporaryDirectory() as profile:
            start = time.perf_counter()
            subprocess.run(
                [
                    chromium,
                    *HEADLESS_CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    f"--screenshot={Path(profile) / 'shot.png'}",
                    "--window-size=1280,1000",
                    url,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
            return time.perf_counter() - start

    return run(page.as_uri()) - min(run("about:blank") for _ in range(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--texts", default="2000", help="Texts kept: a number, or all.")
    parser.add_argument("--open", action="store_true", help="Also time loading in Chromium.")
    options = parser.parse_args()
    texts = None if options.texts == "all" else int(options.texts)
    with tempfile.TemporaryDirectory() as scratch:
        for findings in options.findings:
            report = synthetic(findings, texts)
            page = Path(scratch) / f"report-{findings}.html"
            start = time.perf_counter()
            write_html(report, page)
            elapsed = time.perf_counter() - start
            line = (
                f"{findings:>7,} findings, {len(report.texts):>6,} texts: "
                f"written in {elapsed:.2f} s, {page.stat().st_size / 1e6:.2f} MB"
            )
            if options.open:
                line += f", loaded by Chromium in {open_time_s(page):.2f} s"
            print(line)


if __name__ == "__main__":
    main()
