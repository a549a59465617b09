"""Regenerate docs/report.png: the HTML report on the Kurdistan24 seed article and three planted
syndicated copies of it (retitled, behind another outlet's dateline, trimmed), screenshotted
by headless Chromium.

    python scripts/make_report_screenshot.py [--seed ../shared/data/seed/kurdistan24.txt]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dedup.config import ScanConfig
from dedup.corpus import scan_documents
from dedup.model import Document
from dedup.report.html import HEADLESS_CHROMIUM_FLAGS, write_html

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / ".." / "shared" / "data" / "seed" / "kurdistan24.txt"


def syndicated_copies(text: str) -> list[Document]:
    """The article and three copies as other outlets would run it."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    title, body = blocks[0], blocks[1:]
    retitled = ["قسد: الاتفاق مع الجيش العراقي جاء بطلب من بغداد", *body]
    dateline = [
        title,
        *("القامشلي (وكالات) - " + body[1].split("- ", 1)[-1], *body[2:-2]),
        "المصدر: وكالات",
    ]
    trimmed = [title, *body[1:8]]
    return [
        Document("kurdistan24", text, source="kurdistan24", ordinal=0),
        Document("outlet-b/retitled", "\n\n".join(retitled) + "\n", source="outlet-b", ordinal=1),
        Document("outlet-c/dateline", "\n\n".join(dateline) + "\n", source="outlet-c", ordinal=2),
        Document("outlet-d/trimmed", "\n\n".join(trimmed) + "\n", source="outlet-d", ordinal=3),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    parser.add_argument("--window", default="1280,2000", help="Window size WIDTH,HEIGHT.")
    options = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    documents = syndicated_copies(options.seed.read_text("utf-8"))
    report = scan_documents(documents, ScanConfig(), workers=1)
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "report.html"
        write_html(report, page)
        subprocess.run(
            [
                chromium,
                *HEADLESS_CHROMIUM_FLAGS,
                f"--user-data-dir={Path(scratch) / 'profile'}",
                f"--window-size={options.window}",
                f"--screenshot={options.out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {options.out} ({options.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
