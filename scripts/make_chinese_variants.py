"""Regenerate dedup/text/data/chinese_variants.txt: each traditional Chinese character (and
Taiwan and Hong Kong variant) that OpenCC converts to another single simplified one, with that
one. Normalization folds them, so the same story in both scripts matches.

    python -m venv /tmp/opencc && /tmp/opencc/bin/pip install opencc==1.4.2
    /tmp/opencc/bin/python scripts/make_chinese_variants.py

Normalization changes with the table: bump ``FORMAT_VERSION`` in dedup/index/base.py (an
index's signatures were made with the old one). The compiled table's cache is keyed by the
file's hash, so it is rebuilt. Characters are converted one at a time, so one whose simplified
form depends on the word (乾 in 乾隆 and 乾燥) takes OpenCC's first choice: matching only needs
both copies to agree.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import opencc  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parents[1] / "dedup" / "text" / "data" / "chinese_variants.txt"
RANGES = [(0x2E80, 0x2FDF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
          (0x20000, 0x3134F)]  # fmt: skip


def main() -> None:
    converters = [opencc.OpenCC(name) for name in ("t2s", "tw2s", "hk2s")]
    folded: dict[str, str] = {}
    for lo, hi in RANGES:
        for cp in range(lo, hi + 1):
            char = chr(cp)
            if unicodedata.normalize("NFKC", char) != char:
                continue  # a compatibility ideograph or radical: NFKC folds it first
            for converter in converters:
                result = converter.convert(char)
                # A target beyond the normalization table (CJK extension G) would take another
                # path than its source: left as written.
                if len(result) == 1 and result != char and ord(result) < 0x30000:
                    folded[char] = result
                    break
    # A target folds no further: each chain ends where matching reads it.
    for char, target in list(folded.items()):
        seen = {char}
        while target in folded and target not in seen:
            seen.add(target)
            target = folded[target]
        folded[char] = target
    folded = {char: target for char, target in folded.items() if char != target}
    lines = [f"{char}\t{target}" for char, target in sorted(folded.items())]
    header = (
        f"# traditional\tsimplified: {len(lines)} characters, from OpenCC {opencc.__version__}"
        " (t2s, tw2s, hk2s; Apache License 2.0,"
        " https://github.com/BYVoid/OpenCC), by scripts/make_chinese_variants.py\n"
    )
    OUT.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} characters to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
