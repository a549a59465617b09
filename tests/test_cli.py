"""The ``dedup`` command: exact output, report files, exit codes, and ``clean`` in every format."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import Invoke
from texts import (
    AR_DATELINE,
    AR_HEAD,
    AR_LEAD,
    AR_OTHER,
    EN_HEAD,
    EN_LEAD,
    EN_OTHER,
    EN_THIRD,
    ZH_HEAD,
    ZH_LEAD,
    ZH_OTHER,
    doc,
)

from dedup.io.atomic import FOLDER_MARK

EN_TEXT = doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD)
AR_TEXT = doc(AR_HEAD, AR_LEAD, AR_OTHER, AR_DATELINE + AR_LEAD)
ZH_TEXT = doc(ZH_HEAD, ZH_LEAD, ZH_OTHER)
EN_CLEAN = doc(EN_HEAD, EN_LEAD, EN_OTHER)
AR_CLEAN = doc(AR_HEAD, AR_LEAD, AR_OTHER)

# A record nobody touches, written with spacing and escapes that a re-serializer would change.
ZH_LINE = (
    '{"id": "zh-1",   "text": '
    + orjson.dumps(ZH_TEXT).decode().replace("城", "\\u57ce")
    + ', "source": "\\u65b0\\u534e"}\n'
).encode()

CORPUS = (
    orjson.dumps({"id": "en-1", "text": EN_TEXT, "source": "Wire"})
    + b"\n"
    + orjson.dumps({"id": "ar-1", "text": AR_TEXT})
    + b"\n"
    + ZH_LINE
)

SUMMARY = {
    "documents": 3,
    "skipped": 0,
    "repeats": 2,
    "documents_with_repeats": 2,
    "matches": 0,
    "near_duplicates": 0,
    "partial_copies": 0,
    "clusters": 0,
    "duplicate_documents": 0,
}


def span(start: int, length: int, index: int) -> dict[str, int]:
    return {"index": index, "start": start, "end": start + length}


EN_FIRST = span(EN_TEXT.index(EN_LEAD), len(EN_LEAD), 1)
EN_REPEAT = span(EN_TEXT.rindex(EN_LEAD), len(EN_LEAD), 3)
AR_FIRST = span(AR_TEXT.index(AR_LEAD), len(AR_LEAD), 1)
AR_REPEAT = span(AR_TEXT.index(AR_DATELINE), len(AR_DATELINE + AR_LEAD), 3)

REPEATS = [
    {
        "type": "repeat",
        "doc": "en-1",
        "first": EN_FIRST,
        "repeat": EN_REPEAT,
        "kind": "exact",
        "scores": {"similarity": 100.0, "containment": 1.0},
        "excerpt": EN_LEAD,
    },
    {
        "type": "repeat",
        "doc": "ar-1",
        "first": AR_FIRST,
        "repeat": AR_REPEAT,
        "kind": "prefixed",
        "scores": {"similarity": 94.7, "containment": 1.0},
        "excerpt": (AR_DATELINE + AR_LEAD)[:160],
    },
]

SCAN_STDOUT = (
    "documents read: 3\n"
    "repeated paragraphs: 2 in 2 documents\n"
    "  en-1: paragraph 3 repeats 1 (exact): "
    "The city council voted on Tuesday to approve a new budget that increa…\n"
    "  ar-1: paragraph 3 repeats 1 (prefixed): "
    "اربيل (كوردستان24)- قال مسؤول كبير في حكومة إقليم كوردستان اليوم الثل…\n"
    "near-duplicate clusters: 0 (0 documents beyond the one kept)\n"
    "partial copies: 0\n"
)


@pytest.fixture
def corpus(workdir: Path) -> Path:
    path = workdir / "corpus.jsonl"
    path.write_bytes(CORPUS)
    return path


# --- scan ---------------------------------------------------------------------------------------


def test_scan_prints_the_summary(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl")
    assert (result.exit_code, result.stdout, result.stderr) == (0, SCAN_STDOUT, "")


def test_scan_examples_limit(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--examples", "1")
    assert result.stdout.splitlines()[2:4] == [
        "  en-1: paragraph 3 repeats 1 (exact): "
        "The city council voted on Tuesday to approve a new budget that increa…",
        "  … and 1 more (see --report)",
    ]


def test_scan_quiet_prints_nothing(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_report_jsonl(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--report", "findings.jsonl", "-q")
    assert result.exit_code == 0
    lines = [orjson.loads(line) for line in Path("findings.jsonl").read_bytes().splitlines()]
    assert lines == [*REPEATS, {"type": "summary", **SUMMARY}]


def test_report_json(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--report", "findings.json", "-q")
    assert result.exit_code == 0
    assert orjson.loads(Path("findings.json").read_bytes()) == {
        "summary": SUMMARY,
        "repeats": REPEATS,
        "matches": [],
        "clusters": [],
    }


def test_report_csv(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--report", "findings.csv", "-q")
    assert result.exit_code == 0
    text = Path("findings.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    empty = dict.fromkeys(("a", "b", "direction", "cluster", "members", "keep", "syndicated"), "")
    assert rows == [
        {
            "type": "repeat",
            "doc": "en-1",
            "first_index": "1",
            "first_start": str(EN_FIRST["start"]),
            "first_end": str(EN_FIRST["end"]),
            "repeat_index": "3",
            "repeat_start": str(EN_REPEAT["start"]),
            "repeat_end": str(EN_REPEAT["end"]),
            "kind": "exact",
            "scores": '{"similarity":100.0,"containment":1.0}',
            **empty,
        },
        {
            "type": "repeat",
            "doc": "ar-1",
            "first_index": "1",
            "first_start": str(AR_FIRST["start"]),
            "first_end": str(AR_FIRST["end"]),
            "repeat_index": "3",
            "repeat_start": str(AR_REPEAT["start"]),
            "repeat_end": str(AR_REPEAT["end"]),
            "kind": "prefixed",
            "scores": '{"similarity":94.7,"containment":1.0}',
            **empty,
        },
    ]
    assert text.splitlines()[0] == (
        "type,doc,first_index,first_start,first_end,repeat_index,repeat_start,repeat_end,"
        "a,b,kind,direction,cluster,members,keep,syndicated,scores"
    )


def test_several_reports_at_once(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--report", "a.jsonl", "--report", "b.json", "-q")
    assert result.exit_code == 0
    assert orjson.loads(Path("b.json").read_bytes())["repeats"] == REPEATS
    assert len(Path("a.jsonl").read_bytes().splitlines()) == 3


def test_report_without_findings(workdir: Path, invoke: Invoke) -> None:
    Path("plain.jsonl").write_bytes(ZH_LINE)
    result = invoke("scan", "plain.jsonl", "--report", "r.jsonl")
    assert result.stdout == "documents read: 1\nrepeated paragraphs: 0 in 0 documents\n"
    assert [orjson.loads(line) for line in Path("r.jsonl").read_bytes().splitlines()] == [
        {
            "type": "summary",
            **SUMMARY,
            "documents": 1,
            "repeats": 0,
            "documents_with_repeats": 0,
        }
    ]


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("findings.txt", "unknown report format '.txt'"),
        ("findings", "no report format (extension)"),
    ],
)
def test_unknown_report_extension(corpus: Path, invoke: Invoke, name: str, what: str) -> None:
    result = invoke("scan", "corpus.jsonl", "--report", name)
    assert (result.exit_code, result.stderr) == (
        2,
        f"dedup: error: {what} for {name}: use one of .jsonl, .json, .csv, .html\n",
    )
    assert not Path(name).exists()


def test_fail_on_repeats(corpus: Path, invoke: Invoke) -> None:
    over = invoke("scan", "corpus.jsonl", "--fail-on-repeats", "0")
    assert (over.exit_code, over.stdout, over.stderr) == (
        1,
        SCAN_STDOUT,
        "dedup: 2 repeated paragraphs, over the limit of 0 (--fail-on-repeats)\n",
    )
    at_limit = invoke("scan", "corpus.jsonl", "--fail-on-repeats", "2", "-q")
    assert (at_limit.exit_code, at_limit.stderr) == (0, "")


def test_fail_on_repeats_still_writes_the_report(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--fail-on-repeats", "1", "--report", "r.jsonl", "-q")
    assert result.exit_code == 1
    assert len(Path("r.jsonl").read_bytes().splitlines()) == 3


def test_repeat_options_reach_the_finder(corpus: Path, invoke: Invoke) -> None:
    # a prefixed copy scores 94.7: still found by its suffix whatever the similarity threshold
    strict = invoke("scan", "corpus.jsonl", "--min-similarity", "100", "-q", "--report", "r.json")
    assert strict.exit_code == 0
    assert orjson.loads(Path("r.json").read_bytes())["summary"]["repeats"] == 2
    long_only = invoke("scan", "corpus.jsonl", "--min-tokens", "30", "--report", "r.json")
    assert long_only.stdout.splitlines()[1] == "repeated paragraphs: 0 in 0 documents"


def test_invalid_repeat_option_is_one_line(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--min-containment", "1.5")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: min_containment must be in (0, 1], got 1.5 (--min-containment)\n",
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["scan"], "Missing argument 'INPUT...'. (see 'dedup scan --help')"),
        (["scna", "x"], "No such command 'scna'. Did you mean 'scan'? (see 'dedup --help')"),
        (["--bogus"], "No such option '--bogus'. (see 'dedup --help')"),
        (
            ["scan", "corpus.jsonl", "--examples", "-1"],
            "Invalid value for '--examples': -1 is not in the range x>=0. "
            "(see 'dedup scan --help')",
        ),
        (
            ["compare", "a.txt", "b.txt", "--passages", "-2"],
            "Invalid value for '--passages': -2 is not in the range x>=0. "
            "(see 'dedup compare --help')",
        ),
        (
            ["check", "--index", "ix.db", "corpus.jsonl", "--max-rate", "nan"],
            "Invalid value for '--max-rate': 'nan' is not a number. (see 'dedup check --help')",
        ),
        (
            ["scan", "corpus.jsonl", "--fail-on-duplicates", "-1"],
            "Invalid value for '--fail-on-duplicates': -1 is not in the range x>=0. "
            "(see 'dedup scan --help')",
        ),
    ],
)
def test_a_usage_error_is_one_line(arguments: list[str], message: str, invoke: Invoke) -> None:
    result = invoke(*arguments)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"dedup: error: {message}\n",
    )


def test_examples_bounds_every_list_of_the_summary(invoke: Invoke) -> None:
    sample = str(Path(__file__).parents[1] / "examples" / "news.jsonl")
    result = invoke("scan", sample, "--examples", "0")
    assert (result.exit_code, result.stdout) == (
        0,
        "documents read: 6\n"
        "repeated paragraphs: 1 in 1 documents\n"
        "  … and 1 more (see --report)\n"
        "near-duplicate clusters: 2 (2 documents beyond the one kept)\n"
        "  … and 2 more (see --report)\n"
        "partial copies: 2\n"
        "  … and 2 more (see --report)\n",
    )


def test_the_summary_prints_hostile_ids_on_one_line(workdir: Path, invoke: Invoke) -> None:
    # An id, a source or a text may hold line breaks, terminal escapes and bidi overrides: each
    # is shown as its escape, so no id forges a summary line or recolours the terminal.
    records = [
        {"id": "story\nFAKE LINE: cluster 99", "text": EN_TEXT, "source": "wire\x1b[31m"},
        {"id": "copy\u202e1", "text": EN_TEXT, "source": "paper\u2028two"},
    ]
    Path("h.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = invoke("scan", "h.jsonl", "--source-field", "source", "--no-repeats")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-2:] == [
        "  cluster 0: 2 documents, keep story\\nFAKE LINE: cluster 99; copies: copy\\u202e1 "
        "[paper\\u2028two, wire\\x1b[31m]",
        "partial copies: 0",
    ]


def test_dedup_alone_shows_the_help(invoke: Invoke) -> None:
    result = invoke()
    assert result.stderr.startswith("Usage: dedup [OPTIONS] COMMAND [ARGS]...\n")


@pytest.mark.parametrize(
    "command",
    [
        ["scan"],
        ["clean"],
        ["compare"],
        ["check"],
        ["index"],
        ["index", "add"],
        ["index", "rebuild"],
    ],
)
def test_every_command_shows_its_help_and_exits_0(invoke: Invoke, command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Usage: dedup {' '.join(command)} [OPTIONS]")


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, "dedup, version 0.1.0\n")


def test_python_m_dedup_help() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "dedup", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    lines = completed.stdout.splitlines()
    assert lines[0] == "Usage: dedup [OPTIONS] COMMAND [ARGS]..."
    commands = lines[lines.index("Commands:") + 1 :]
    assert {line.split()[0] for line in commands} >= {"clean", "scan"}


def test_progress_is_shown_on_a_terminal_and_cleared(corpus: Path) -> None:
    # stderr is a real terminal (a pty); the summary on stdout stays as without one.
    leader, follower = os.openpty()
    with os.fdopen(leader, "rb", buffering=0) as terminal:
        process = subprocess.Popen(
            [sys.executable, "-m", "dedup", "scan", str(corpus)],
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = terminal.read(4096)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            shown += chunk
        stdout, _ = process.communicate(timeout=60)
    assert (process.returncode, stdout.decode()) == (0, SCAN_STDOUT)
    text = shown.decode()
    assert "\r\x1b[2Kreading: 3 documents (" in text
    assert text.endswith("\r\x1b[2K")  # the line is wiped before the summary


# --- clean --------------------------------------------------------------------------------------


def removed_bytes(*pieces: str) -> int:
    return sum(len(("\n\n" + piece).encode()) for piece in pieces)


CLEAN_STDOUT = (
    "wrote 3 documents to {out}: removed 2 repeated paragraphs and 0 duplicate documents "
    f"({removed_bytes(EN_LEAD, AR_DATELINE + AR_LEAD):,} bytes)\n"
)

CLEAN_JSONL = (
    orjson.dumps({"id": "en-1", "text": EN_CLEAN, "source": "Wire"})
    + b"\n"
    + orjson.dumps({"id": "ar-1", "text": AR_CLEAN})
    + b"\n"
    + ZH_LINE
)

AUDIT = [
    {
        "doc": "en-1",
        "action": "remove_paragraph",
        "reason": "repeat",
        "paragraph": EN_REPEAT,
        "text": EN_LEAD,
        "duplicates": EN_FIRST,
        "duplicates_text": EN_LEAD,
    },
    {
        "doc": "ar-1",
        "action": "remove_paragraph",
        "reason": "repeat",
        "paragraph": AR_REPEAT,
        "text": AR_DATELINE + AR_LEAD,
        "duplicates": AR_FIRST,
        "duplicates_text": AR_LEAD,
    },
]


def test_clean_jsonl_changes_only_the_repeated_paragraphs(corpus: Path, invoke: Invoke) -> None:
    result = invoke("clean", "corpus.jsonl", "-o", "clean.jsonl", "--removed", "removed.jsonl")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        CLEAN_STDOUT.format(out="clean.jsonl"),
        "",
    )
    assert Path("clean.jsonl").read_bytes() == CLEAN_JSONL
    audit = [orjson.loads(line) for line in Path("removed.jsonl").read_bytes().splitlines()]
    assert audit == AUDIT


def test_clean_output_has_no_repeats_left(corpus: Path, invoke: Invoke) -> None:
    invoke("clean", "corpus.jsonl", "-o", "clean.jsonl", "-q")
    rescan = invoke("scan", "clean.jsonl")
    assert rescan.stdout.splitlines()[:2] == [
        "documents read: 3",
        "repeated paragraphs: 0 in 0 documents",
    ]


def test_clean_gzip_jsonl_writes_gzip(corpus: Path, invoke: Invoke) -> None:
    Path("corpus.jsonl.gz").write_bytes(gzip.compress(CORPUS))
    result = invoke("clean", "corpus.jsonl.gz", "-o", "clean.jsonl.gz")
    assert (result.exit_code, result.stdout) == (0, CLEAN_STDOUT.format(out="clean.jsonl.gz"))
    written = Path("clean.jsonl.gz").read_bytes()
    assert written[:2] == b"\x1f\x8b"
    assert written[3] & 0x08 == 0  # no file name in the header (it would be the temporary one)
    assert gzip.decompress(written) == CLEAN_JSONL


def test_clean_text_file_removes_the_paragraph_and_its_separator(
    workdir: Path, invoke: Invoke
) -> None:
    Path("story.txt").write_text(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD, EN_THIRD), "utf-8")
    result = invoke("clean", "story.txt", "-o", "clean.txt", "--removed", "removed.jsonl")
    assert (result.exit_code, result.stdout) == (
        0,
        f"wrote 1 documents to clean.txt: removed 1 repeated paragraphs and 0 duplicate documents "
        f"({len(EN_LEAD) + 2} bytes)\n",
    )
    assert Path("clean.txt").read_text("utf-8") == doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD)
    [entry] = [orjson.loads(line) for line in Path("removed.jsonl").read_bytes().splitlines()]
    assert (entry["doc"], entry["paragraph"]["index"], entry["duplicates"]["index"]) == (
        "story.txt",
        3,
        1,
    )


def test_clean_keeps_the_later_paragraph_that_contains_the_earlier_and_more(
    workdir: Path, invoke: Invoke
) -> None:
    longer = EN_LEAD + " The vote was carried by a wide margin after a long debate."
    Path("story.txt").write_text(doc(EN_HEAD, EN_LEAD, EN_OTHER, longer), "utf-8")
    result = invoke("clean", "story.txt", "-o", "clean.txt", "--removed", "removed.jsonl")
    assert result.exit_code == 0
    assert Path("clean.txt").read_text("utf-8") == doc(EN_HEAD, EN_OTHER, longer)
    [entry] = [orjson.loads(line) for line in Path("removed.jsonl").read_bytes().splitlines()]
    assert (entry["paragraph"]["index"], entry["duplicates"]["index"]) == (1, 3)


def test_clean_keeps_the_paragraph_with_more_text_not_more_characters(
    workdir: Path, invoke: Invoke
) -> None:
    # The later copy carries a fatha on every letter: more characters, less text. Which side
    # holds the other is measured on the normalized text, as the finder measured it.
    longer = AR_LEAD + " وأضاف أن الاتفاق سيعلن قريبا في العاصمة"
    vocalized = re.sub("([\u0621-\u064a])", "\\1\u064e", AR_LEAD)
    assert len(vocalized) > len(longer)
    Path("story.txt").write_text(doc(AR_HEAD, longer, AR_OTHER, vocalized), "utf-8")
    result = invoke("clean", "story.txt", "-o", "clean.txt")
    assert result.exit_code == 0
    assert Path("clean.txt").read_text("utf-8") == doc(AR_HEAD, longer, AR_OTHER)


def test_clean_audit_names_a_copy_that_stays(workdir: Path, invoke: Invoke) -> None:
    # The third copy matches only the second (four words apart from the first): both go, and
    # the audit names the first, which stays, for each.
    second = EN_LEAD.replace("Tuesday", "Friday").replace("public", "civic")
    third = second.replace("repairs", "works").replace("spending", "funding")
    Path("story.txt").write_text(doc(EN_HEAD, EN_LEAD, EN_OTHER, second, third), "utf-8")
    result = invoke("clean", "story.txt", "-o", "clean.txt", "--removed", "removed.jsonl")
    assert result.exit_code == 0
    assert Path("clean.txt").read_text("utf-8") == doc(EN_HEAD, EN_LEAD, EN_OTHER)
    audit = [orjson.loads(line) for line in Path("removed.jsonl").read_bytes().splitlines()]
    assert [(e["paragraph"]["index"], e["duplicates"]["index"]) for e in audit] == [(3, 1), (4, 1)]


def test_clean_text_file_without_repeats_is_copied_byte_for_byte(
    workdir: Path, invoke: Invoke
) -> None:
    original = ("\ufeff" + doc(EN_HEAD, EN_LEAD, EN_OTHER)).replace("\n", "\r\n").encode()
    Path("story.txt").write_bytes(original)
    result = invoke("clean", "story.txt", "-o", "clean.txt", "--removed", "removed.jsonl")
    assert (
        result.stdout == "wrote 1 documents to clean.txt: removed 0 repeated paragraphs "
        "and 0 duplicate documents (0 bytes)\n"
    )
    assert Path("clean.txt").read_bytes() == original
    assert Path("removed.jsonl").read_bytes() == b""


def test_clean_csv_keeps_other_rows_byte_identical(workdir: Path, invoke: Invoke) -> None:
    header = b"id,text,note\n"
    untouched = [
        b'"2","Quoted ""as exported"", with a comma",y\n',
        b"3,plain row,z\n",
    ]
    repeated = b'1,"' + EN_TEXT.encode() + b'",x\n'
    Path("docs.csv").write_bytes(header + repeated + b"".join(untouched))
    result = invoke("clean", "docs.csv", "-o", "clean.csv")
    assert result.exit_code == 0
    assert Path("clean.csv").read_bytes() == (
        header + b'1,"' + EN_CLEAN.encode() + b'",x\n' + b"".join(untouched)
    )


def test_clean_tsv_with_windows_line_endings(workdir: Path, invoke: Invoke) -> None:
    text = "\n\n".join([EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD])
    header = b"id\ttext\r\n"
    untouched = b"b\tnothing repeated here\r\n"
    Path("docs.tsv").write_bytes(header + b'a\t"' + text.encode() + b'"\r\n' + untouched)
    result = invoke("clean", "docs.tsv", "-o", "clean.tsv")
    assert result.exit_code == 0
    cleaned = "\n\n".join([EN_HEAD, EN_LEAD, EN_OTHER])
    assert Path("clean.tsv").read_bytes() == (
        header + b'a\t"' + cleaned.encode() + b'"\r\n' + untouched
    )


def test_clean_csv_row_longer_than_its_header(workdir: Path, invoke: Invoke) -> None:
    Path("ragged.csv").write_bytes(
        b'id,text\n1,"' + EN_TEXT.encode() + b'",extra cell\n2,short,more,cells\n'
    )
    result = invoke("clean", "ragged.csv", "-o", "clean.csv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert Path("clean.csv").read_bytes() == (
        b'id,text\n1,"' + EN_CLEAN.encode() + b'",extra cell\n2,short,more,cells\n'
    )


def test_clean_csv_skips_a_bad_row_and_keeps_the_rows_after(workdir: Path, invoke: Invoke) -> None:
    header = b"id,text\r\n"
    before = b"1,first row\r\n\r\n"  # a blank line stays with the row after it
    multiline = b'2,"a row\r\nover two lines"\r\n'
    bad = b'3,"caf\xe9\r\n4,still inside the quoted field"\r\n'  # its quote opens two lines
    after = b"5,last row\r\n"
    Path("docs.csv").write_bytes(header + before + multiline + bad + after)
    result = invoke("clean", "docs.csv", "-o", "clean.csv", "--skip-bad")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith("skipped 1 bad records\n")
    assert Path("clean.csv").read_bytes() == header + before + multiline + after


def test_clean_parquet(workdir: Path, invoke: Invoke) -> None:
    pq.write_table(pa.table({"id": ["en-1", "zh-1"], "text": [EN_TEXT, ZH_TEXT]}), "docs.parquet")
    result = invoke("clean", "docs.parquet", "-o", "clean.parquet")
    assert result.exit_code == 0
    assert pq.read_table("clean.parquet").to_pylist() == [
        {"id": "en-1", "text": EN_CLEAN},
        {"id": "zh-1", "text": ZH_TEXT},
    ]


def test_clean_parquet_keeps_the_input_schema(workdir: Path, invoke: Invoke) -> None:
    schema = pa.schema([("n", pa.int32()), ("text", pa.string()), ("source", pa.string())])
    rows = [{"n": 1, "text": EN_TEXT, "source": None}, {"n": 2, "text": EN_TEXT, "source": "x"}]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), "docs.parquet")
    assert invoke("clean", "docs.parquet", "-o", "clean.parquet").exit_code == 0
    cleaned = pq.read_table("clean.parquet")
    assert (cleaned.schema, cleaned.to_pylist()) == (
        schema,
        [{"n": 1, "text": EN_CLEAN, "source": None}],
    )


def test_clean_parquet_keeps_nanosecond_timestamps(workdir: Path, invoke: Invoke) -> None:
    # pandas writes timestamp[ns]: a value with nanoseconds has no Python datetime.
    schema = pa.schema(
        [("text", pa.string()), ("at", pa.timestamp("ns")), ("took", pa.duration("ns"))]
    )
    nanoseconds = [1_700_000_000_123_456_789, 1_700_000_000_000_000_001]
    columns = [
        pa.array([EN_TEXT, ZH_TEXT]),
        pa.array(nanoseconds, pa.timestamp("ns")),
        pa.array([123_456_789, 5], pa.duration("ns")),
    ]
    pq.write_table(pa.Table.from_arrays(columns, schema=schema), "docs.parquet")
    result = invoke("clean", "docs.parquet", "-o", "clean.parquet")
    assert (result.exit_code, result.stderr) == (0, "")
    cleaned = pq.read_table("clean.parquet")
    assert cleaned.schema == schema
    assert cleaned.column("text").to_pylist() == [EN_CLEAN, ZH_TEXT]
    assert cleaned.column("at").cast(pa.int64()).to_pylist() == nanoseconds
    assert cleaned.column("took").cast(pa.int64()).to_pylist() == [123_456_789, 5]


def test_clean_json_array_streams_its_elements_back(workdir: Path, invoke: Invoke) -> None:
    # An integer wider than 64 bits stays exact, in the element rewritten too.
    wide = 123456789012345678901234567890
    records = [{"id": "a", "text": EN_TEXT, "n": wide}, {"id": "b", "text": ZH_TEXT, "n": 1.5}]
    Path("docs.json").write_text(json.dumps(records, indent=2), "utf-8")
    assert invoke("clean", "docs.json", "-o", "clean.json").exit_code == 0
    assert json.loads(Path("clean.json").read_text("utf-8")) == [
        {"id": "a", "text": EN_CLEAN, "n": wide},
        {"id": "b", "text": ZH_TEXT, "n": 1.5},
    ]
    Path("bad.json").write_text('[{"id": "a"}]', "utf-8")  # no text: skipped, none left
    result = invoke("clean", "bad.json", "-o", "none.json", "--skip-bad")
    assert result.exit_code == 0
    assert json.loads(Path("none.json").read_text("utf-8")) == []


def test_clean_changes_only_the_text_of_a_jsonl_record(workdir: Path, invoke: Invoke) -> None:
    # Parsed and written anew, the other fields would change: digits lost, "1E2" as 100.0,
    # escapes decoded, spacing and one of two equal keys dropped.
    before = b'{"id": "a", "prec": 12345678.123456789012345, "big": 1E2, "name": "caf\\u00e9 \\/", '
    after = b', "meta": {"a": [1.50, 2]}, "dup": 1, "dup": 2}\r\n'
    Path("docs.jsonl").write_bytes(before + b'"text": ' + json.dumps(EN_TEXT).encode() + after)
    result = invoke("clean", "docs.jsonl", "-o", "clean.jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    cleaned = Path("clean.jsonl").read_bytes()
    assert cleaned == before + b'"text": ' + orjson.dumps(EN_CLEAN) + after


def test_wide_integers_in_jsonl_stay_exact(workdir: Path, invoke: Invoke) -> None:
    Path("docs.jsonl").write_bytes(
        b'{"id": 123456789012345678901234567890, "text": "%s", "n": [18446744073709551616]}\n'
        b'{"id": 123456789012345678901234567891, "text": "%s"}\n'
        % (json.dumps(EN_TEXT)[1:-1].encode(), json.dumps(ZH_TEXT)[1:-1].encode())
    )
    result = invoke("clean", "docs.jsonl", "-o", "clean.jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [json.loads(line) for line in Path("clean.jsonl").read_text("utf-8").splitlines()] == [
        {"id": 123456789012345678901234567890, "text": EN_CLEAN, "n": [18446744073709551616]},
        {"id": 123456789012345678901234567891, "text": ZH_TEXT},
    ]


def test_clean_folder_mirrors_it(workdir: Path, invoke: Invoke) -> None:
    Path("corpus/sub").mkdir(parents=True)
    Path("corpus/en.txt").write_text(EN_TEXT, "utf-8")
    Path("corpus/sub/ar.txt").write_text(AR_TEXT, "utf-8")
    Path("corpus/sub/zh.txt").write_text(ZH_TEXT, "utf-8")
    result = invoke("clean", "corpus", "-o", "clean")
    assert result.stdout == CLEAN_STDOUT.format(out="clean")
    written = sorted(str(p.relative_to("clean")) for p in Path("clean").rglob("*") if p.is_file())
    assert written == [FOLDER_MARK, "en.txt", "sub/ar.txt", "sub/zh.txt"]
    assert Path("clean/en.txt").read_text("utf-8") == EN_CLEAN
    assert Path("clean/sub/ar.txt").read_text("utf-8") == AR_CLEAN
    assert Path("clean/sub/zh.txt").read_text("utf-8") == ZH_TEXT


def test_a_clean_folder_can_be_scanned_again(workdir: Path, invoke: Invoke) -> None:
    # Every record of b.jsonl copies one of a.jsonl: b is left out, not written empty, which
    # no reader would take.
    Path("corpus").mkdir()
    write = [{"id": "a1", "text": EN_TEXT}, {"id": "a2", "text": ZH_TEXT}]
    Path("corpus/a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in write))
    Path("corpus/b.jsonl").write_bytes(orjson.dumps({"id": "b1", "text": EN_TEXT}) + b"\n")
    result = invoke("clean", "corpus", "--glob", "*.jsonl", "-o", "clean")
    assert result.exit_code == 0
    assert sorted(p.name for p in Path("clean").iterdir()) == [FOLDER_MARK, "a.jsonl"]
    again = invoke("scan", "clean", "--glob", "*.jsonl")
    assert (again.exit_code, again.stdout.splitlines()[0]) == (0, "documents read: 2")


def test_clean_csv_without_a_row_left_keeps_its_header(workdir: Path, invoke: Invoke) -> None:
    Path("bad.csv").write_bytes(b"id,text\r\na,caf\xe9\r\n")
    result = invoke("clean", "bad.csv", "-o", "clean.csv", "--skip-bad")
    assert result.exit_code == 0
    assert Path("clean.csv").read_bytes() == b"id,text\r\n"


def test_clean_two_inputs_with_one_name_is_refused(workdir: Path, invoke: Invoke) -> None:
    Path("a").mkdir()
    Path("b").mkdir()
    Path("a/x.txt").write_text(EN_TEXT, "utf-8")
    Path("b/x.txt").write_text(ZH_TEXT, "utf-8")
    result = invoke("clean", "a/x.txt", "b/x.txt", "-o", "out")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: two inputs would both be written to x.txt in the output\n",
    )
    assert not Path("out").exists()


def test_report_that_cannot_be_written_is_one_line(corpus: Path, invoke: Invoke) -> None:
    result = invoke("scan", "corpus.jsonl", "--report", "corpus.jsonl/r.jsonl")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: cannot write corpus.jsonl/r.jsonl: corpus.jsonl is a file, not a folder\n",
    )


def test_a_report_in_an_input_folder_that_no_run_reads_is_fine(
    workdir: Path, invoke: Invoke
) -> None:
    Path("corpus").mkdir()
    Path("corpus/en.txt").write_text(EN_TEXT, "utf-8")
    for _ in range(2):  # the second run does not read the first one's report
        result = invoke("scan", "corpus", "--report", "corpus/report.jsonl")
        assert (result.exit_code, result.stdout.splitlines()[0]) == (0, "documents read: 1")


def test_clean_never_replaces_a_folder_it_did_not_write(workdir: Path, invoke: Invoke) -> None:
    Path("corpus").mkdir()
    Path("corpus/en.txt").write_text(EN_TEXT, "utf-8")
    Path("out").mkdir()
    Path("out/thesis.doc").write_text("years of work", "utf-8")
    result = invoke("clean", "corpus", "-o", "out")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: out is a folder that dedup did not write, and not empty: give a new or "
        "empty folder, so that nothing in it is deleted\n",
    )
    assert [p.name for p in Path("out").iterdir()] == ["thesis.doc"]
    # A folder dedup wrote is replaced by the next run.
    assert invoke("clean", "corpus", "-o", "clean").exit_code == 0
    Path("corpus/ar.txt").write_text(AR_TEXT, "utf-8")
    assert invoke("clean", "corpus", "-o", "clean").exit_code == 0
    assert sorted(p.name for p in Path("clean").iterdir()) == [FOLDER_MARK, "ar.txt", "en.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["clean", "corpus/sub", "-o", "corpus"],
            "input corpus/sub is inside the output folder corpus: write the output elsewhere",
        ),
        (
            ["clean", "corpus", "-o", "corpus/clean"],
            "the output folder corpus/clean is inside the input folder corpus: a later run "
            "would read it; write the output elsewhere",
        ),
        (
            ["clean", "corpus", "-o", "."],
            "input corpus is inside the output folder .: write the output elsewhere",
        ),
        (
            ["scan", "c.jsonl", "-q", "--report", "c.jsonl"],
            "c.jsonl is also an input: write the output elsewhere",
        ),
        (
            ["clean", "c.jsonl", "-o", "x.jsonl", "--removed", "./x.jsonl"],
            "x.jsonl and ./x.jsonl are the same path: give each output its own",
        ),
        (
            ["clean", "c.jsonl", "-o", "x.jsonl", "--removed", "c.jsonl"],
            "c.jsonl is also an input: write the output elsewhere",
        ),
        (
            ["scan", "c.jsonl", "--report", "r.jsonl", "--report", "folder.jsonl"],
            "folder.jsonl is a folder: give a file name",
        ),
        (
            ["index", "add", "c.jsonl", "c.jsonl"],
            "c.jsonl is also an input: write the output elsewhere",
        ),
        (
            ["check", "--index", "c.jsonl", "c.jsonl"],
            "c.jsonl is also an input: give the index another file",
        ),
        (
            ["check", "--index", "sqlite:///ix.json", "c.jsonl", "--report", "./ix.json"],
            "./ix.json is the index: write the report elsewhere",
        ),
        (
            ["clean", "corpus", "-o", "out", "--removed", "out/removed.jsonl"],
            "out/removed.jsonl is inside the output folder out, which is written whole: "
            "write it elsewhere",
        ),
        (
            ["scan", "corpus", "--glob", "*.jsonl", "--report", "corpus/sub/r.jsonl"],
            "corpus/sub/r.jsonl is inside the input folder corpus and matches --glob '*.jsonl': "
            "a later run would read it as a document; write it elsewhere",
        ),
        (
            ["scan", "corpus", "--glob", "**/*.jsonl", "--report", "corpus/r.jsonl"],
            "corpus/r.jsonl is inside the input folder corpus and matches --glob '**/*.jsonl': "
            "a later run would read it as a document; write it elsewhere",
        ),
        (
            ["index", "add", "corpus/ix.db", "corpus", "--glob", "*"],
            "corpus/ix.db is inside the input folder corpus and matches --glob '*': "
            "a later run would read it as a document; write it elsewhere",
        ),
        (
            ["scan", "corpus", "--glob", "../*.jsonl"],
            "glob must match files inside the folder, got '../*.jsonl': no absolute path, "
            "no '..' (--glob)",
        ),
        (
            ["scan", "corpus", "--glob", "/etc/*"],
            "glob must match files inside the folder, got '/etc/*': no absolute path, "
            "no '..' (--glob)",
        ),
    ],
)
def test_outputs_that_would_overwrite_inputs_or_each_other_are_refused_first(
    workdir: Path, invoke: Invoke, args: list[str], message: str
) -> None:
    Path("corpus/sub").mkdir(parents=True)
    Path("corpus/sub/en.txt").write_text(EN_TEXT, "utf-8")
    Path("c.jsonl").write_bytes(CORPUS)
    Path("folder.jsonl").mkdir()
    before = sorted(str(p) for p in workdir.rglob("*"))
    result = invoke(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"dedup: error: {message}\n")
    assert sorted(str(p) for p in workdir.rglob("*")) == before  # nothing written or removed
    assert Path("c.jsonl").read_bytes() == CORPUS


def test_check_without_add_leaves_a_missing_index_uncreated(corpus: Path, invoke: Invoke) -> None:
    result = invoke("check", "--index", "archive.db", "corpus.jsonl", "-q")
    assert result.exit_code == 0
    assert not Path("archive.db").exists()


def test_a_failed_first_add_leaves_no_index_behind(workdir: Path, invoke: Invoke) -> None:
    Path("broken.jsonl").write_bytes(CORPUS + b"{not json\n")
    result = invoke("index", "add", "archive.db", "broken.jsonl", "--batch-size", "1")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: broken.jsonl:4: invalid JSON (Expecting property name enclosed in double "
        "quotes at column 2)\n",
    )
    assert sorted(p.name for p in workdir.iterdir()) == ["broken.jsonl"]


def test_clean_output_that_cannot_be_written_is_one_line(
    corpus: Path, invoke: Invoke, workdir: Path
) -> None:
    result = invoke(
        "clean", "corpus.jsonl", "-o", "corpus.jsonl/clean.jsonl", "--removed", "removed.jsonl"
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: cannot write corpus.jsonl/clean.jsonl: corpus.jsonl is a file, "
        "not a folder\n",
    )
    assert Path("corpus.jsonl").read_bytes() == CORPUS
    assert sorted(p.name for p in workdir.iterdir()) == ["corpus.jsonl"]  # no audit, no temp


def test_clean_audit_that_cannot_be_written_stops_before_any_output(
    corpus: Path, invoke: Invoke
) -> None:
    result = invoke(
        "clean", "corpus.jsonl", "-o", "out/clean.jsonl", "--removed", "corpus.jsonl/r.jsonl"
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: cannot write corpus.jsonl/r.jsonl: corpus.jsonl is a file, not a folder\n",
    )
    assert not Path("out").exists()


def test_clean_text_keeps_byte_order_mark_and_windows_line_endings(
    workdir: Path, invoke: Invoke
) -> None:
    def crlf(text: str) -> bytes:
        return ("\ufeff" + text).replace("\n", "\r\n").encode()

    Path("story.txt").write_bytes(crlf(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_LEAD, EN_THIRD)))
    result = invoke("clean", "story.txt", "-o", "clean.txt")
    assert result.exit_code == 0
    assert Path("clean.txt").read_bytes() == crlf(doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD))


def test_clean_several_inputs_into_an_existing_file_is_refused(
    workdir: Path, invoke: Invoke
) -> None:
    Path("a.txt").write_text(EN_TEXT, "utf-8")
    Path("b.txt").write_text(ZH_TEXT, "utf-8")
    Path("existing.txt").write_text("keep me", "utf-8")
    result = invoke("clean", "a.txt", "b.txt", "-o", "existing.txt")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: existing.txt is a file: several inputs or a folder are cleaned into a "
        "folder (-o FOLDER)\n",
    )
    assert Path("existing.txt").read_text("utf-8") == "keep me"
    assert sorted(p.name for p in workdir.iterdir()) == ["a.txt", "b.txt", "existing.txt"]


def test_clean_one_input_into_an_existing_folder_is_refused(workdir: Path, invoke: Invoke) -> None:
    Path("a.txt").write_text(EN_TEXT, "utf-8")
    Path("out").mkdir()
    result = invoke("clean", "a.txt", "-o", "out")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: out is a folder: one input file is cleaned into one file (-o FILE)\n",
    )
    assert list(Path("out").iterdir()) == []


def test_verbose_lists_skipped_records_and_timing(workdir: Path, invoke: Invoke) -> None:
    Path("mixed.jsonl").write_text('{"id": "a", "text": "fine"}\n{"id": "b", "text": 3}\n')
    result = invoke("scan", "mixed.jsonl", "--skip-bad", "-v")
    lines = result.stderr.splitlines()
    assert result.exit_code == 0
    assert lines[0] == "dedup: skipped: mixed.jsonl:2: field 'text' is int, not text"
    assert lines[1].startswith("dedup: scanned 1 documents in ")


def test_the_command_loads_numba_without_scipy_linalg_which_still_imports() -> None:
    # The command spares numba's BLAS probe (an import of scipy.linalg); scipy.linalg must still
    # import afterwards, for anything in the process that wants it (datasketch does).
    code = (
        "import sys\n"
        "from dedup.cli import _load_numba_without_blas\n"
        "_load_numba_without_blas()\n"
        "print('scipy.linalg' in sys.modules)\n"
        "import scipy.linalg\n"
        "from datasketch import LeanMinHash\n"
        "print(scipy.linalg.norm([3.0, 4.0]))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "5.0"]


@pytest.mark.parametrize(
    ("signal_name", "code", "said"),
    [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")],
)
def test_a_signal_to_the_process_group_stops_a_scan_in_one_line(
    tmp_path: Path, signal_name: str, code: int, said: str
) -> None:
    # A terminal's Ctrl-C, or a CI runner stopping a job, reaches every process of the group:
    # the main process cancels the queued work, removes what it had not finished writing, and
    # says so once. The scan reads stdin, fed enough for its workers to start and then held, so
    # the signal finds it mid-run.
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    rng = random.Random(3)
    words = ["".join(rng.choices("abcdefghij", k=rng.randint(3, 8))) for _ in range(5000)]
    lines = [
        json.dumps({"id": str(k), "text": " ".join(rng.choices(words, k=300))}) + "\n"
        for k in range(6000)
    ]
    report = tmp_path / "report.jsonl"
    scan = subprocess.Popen(
        [sys.executable, "-m", "dedup", "scan", "-", "--report", str(report), "-q"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert scan.stdin is not None
    scan.stdin.write("".join(lines))
    scan.stdin.flush()
    time.sleep(3)  # the workers digest what came; the reader waits for more
    os.killpg(scan.pid, getattr(signal, signal_name))
    started = time.monotonic()
    _, stderr = scan.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert scan.returncode == code
    assert stderr == f"dedup: {said}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_internal_error_exits_3_with_its_traceback(
    workdir: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Never exit 1: a CI job reads that as findings over its limit.
    import dedup.cli

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(dedup.cli, "scan_corpus", broken)
    Path("docs.jsonl").write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    result = invoke("scan", "docs.jsonl")
    assert result.exit_code == 3
    assert "RuntimeError: a bug" in result.stderr
    assert result.stderr.endswith(
        "dedup: internal error: this is a bug in dedup; please report it with the traceback above\n"
    )


def test_clean_audits_every_bad_record_it_skips(workdir: Path, invoke: Invoke) -> None:
    good = json.dumps({"id": "a", "text": EN_TEXT})
    Path("docs.jsonl").write_text(
        f'{good}\n{{"id": "b", "text": \n{{"id": "c", "text": 42}}\n', encoding="utf-8"
    )
    result = invoke(
        "clean", "docs.jsonl", "-o", "clean.jsonl", "--removed", "removed.jsonl", "--skip-bad"
    )
    assert (result.exit_code, result.stderr) == (0, "")
    audit = [json.loads(line) for line in Path("removed.jsonl").read_text("utf-8").splitlines()]
    skips = [entry for entry in audit if entry["action"] == "skip_record"]
    assert skips == [
        {
            "doc": None,
            "action": "skip_record",
            "reason": "bad_record",
            "file": "docs.jsonl",
            "line": 2,
            "error": "docs.jsonl:2: invalid JSON (Expecting value at column 1)",
        },
        {
            "doc": None,
            "action": "skip_record",
            "reason": "bad_record",
            "file": "docs.jsonl",
            "line": 3,
            "error": "docs.jsonl:3: field 'text' is int, not text",
        },
    ]


def test_a_rate_over_its_limit_shows_the_digits_that_put_it_over() -> None:
    from dedup.cli import _rate_above

    assert _rate_above(10 / 33, 0.303) == "0.30303"  # not "0.303, over the limit of 0.303"
    assert _rate_above(0.5, 0.25) == "0.5"


def test_summary_excerpts_fit_their_columns_in_any_script() -> None:
    from dedup.report.text import _excerpt

    # A Chinese or Japanese character takes two columns of a terminal.
    assert _excerpt("国" * 100) == "国" * 34 + "…"
    assert _excerpt("a" * 100) == "a" * 69 + "…"
    assert _excerpt("国" * 35) == "国" * 35


def test_a_rate_that_is_not_zero_never_shows_as_zero() -> None:
    from dedup.report.text import percent

    assert [percent(r) for r in (0, 1 / 3000, 0.0004, 0.5, 0.123456)] == [
        "0.0%",
        "0.033%",
        "0.04%",
        "50.0%",
        "12.3%",
    ]
