"""Bad input: one line on stderr naming file (and line), exit 2, no traceback, no output left.

With ``--skip-bad`` every bad record is skipped and counted, and the run exits 0.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import os
import resource
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import Invoke
from texts import EN_LEAD, EN_OTHER, doc

from dedup.config import ReadConfig
from dedup.errors import ConfigError
from dedup.io.atomic import FOLDER_MARK, AtomicOutputs, atomic_directory, atomic_file
from dedup.io.readers import DocumentReader

GOOD_LINE = b'{"id": "good", "text": "a good record"}\n'
GOOD_LINE_2 = b'{"id": "good2", "text": "another good record"}\n'
MANY_LINES = b"".join(b'{"id": "%d", "text": "record number %d"}\n' % (i, i) for i in range(400))
CUT_GZIP = gzip.compress(MANY_LINES)[:300]
CUT_CSV = gzip.compress(
    b"id,text\n" + b"".join(b"%d,row number %d\n" % (i, i) for i in range(400))
)[:300]
HUGE = 50_000_000  # bytes; the default --max-doc-bytes is 10,000,000
TOO_LARGE = "document is larger than 10,000,000 bytes (raise --max-doc-bytes)"


def huge_text(path: Path) -> None:
    with open(path, "wb") as handle:
        for _ in range(HUGE // 1_000_000):
            handle.write(b"word " * 200_000)


def _huge(path: Path, head: bytes, filler: bytes, tail: bytes) -> None:
    """``head``, then ``filler`` over and over (about HUGE bytes, written a piece at a time),
    then ``tail``."""
    with open(path, "wb") as handle:
        handle.write(head)
        for _ in range(HUGE // 1_000_000):
            handle.write(filler * (1_000_000 // len(filler)))
        handle.write(tail)


def huge_jsonl(path: Path) -> None:
    _huge(path, GOOD_LINE + b'{"id": "huge", "text": "', b"word ", b'"}\n' + GOOD_LINE_2)


def huge_csv_field(path: Path) -> None:
    head = b'id,text\na,good\nb,"a ""quoted"" start\n'
    _huge(path, head, b"word, word\n", b'end"\nc,"fine, and ""quoted"""\n')


def huge_tsv_line(path: Path) -> None:
    _huge(path, b"id\ttext\nb\t", b"word ", b"\nc\tfine\nd\talso fine\n")


def empty_parquet(path: Path) -> None:
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), path
    )


@dataclass(frozen=True)
class Bad:
    """A bad input file: its content, the error it must give, and what survives --skip-bad."""

    name: str
    content: bytes | Callable[[Path], None]
    message: str
    good_records: int  # records of this file still read with --skip-bad

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        if callable(self.content):
            self.content(path)
        else:
            path.write_bytes(self.content)
        return path


CASES = [
    Bad(
        "broken.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "x",}\n' + GOOD_LINE_2,
        "broken.jsonl:2: invalid JSON "
        "(Expecting property name enclosed in double quotes at column 25)",
        2,
    ),
    Bad(
        "nan.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "x", "score": NaN}\n',
        "nan.jsonl:2: invalid JSON (NaN, which JSON does not allow)",
        1,
    ),
    Bad(
        "infinity.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "x", "score": -Infinity}\n' + GOOD_LINE_2,
        "infinity.jsonl:2: invalid JSON (-Infinity, which JSON does not allow)",
        2,
    ),
    Bad(
        "big_number.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "x", "score": 1e400}\n' + GOOD_LINE_2,
        "big_number.jsonl:2: invalid JSON (the number 1e400, too large for a float)",
        2,
    ),
    Bad(
        "surrogate.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "broken \\ud83d emoji"}\n' + GOOD_LINE_2,
        "surrogate.jsonl:2: invalid JSON (a lone surrogate escape such as \\ud800, half of a "
        "character; the program that wrote the file split a character)",
        2,
    ),
    Bad(
        "unterminated.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "no end\n',
        "unterminated.jsonl:2: invalid JSON (Invalid control character at column 28)",
        1,
    ),
    Bad(
        "latin1.txt",
        b"first paragraph\n\ncaf\xe9 au lait\n",
        "latin1.txt:3: invalid UTF-8 (byte 0xe9 at offset 3); convert the file to UTF-8",
        0,
    ),
    Bad(
        "latin1.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "caf\xe9"}\n' + GOOD_LINE_2,
        "latin1.jsonl:2: invalid UTF-8 (byte 0xe9 at offset 24); convert the file to UTF-8",
        2,
    ),
    Bad(
        "latin1.csv",
        b"id,text\na,good\nb,caf\xe9\nc,fine\n",
        "latin1.csv:3: invalid UTF-8 (byte 0xe9 at offset 5); convert the file to UTF-8",
        2,
    ),
    Bad(
        "open_quote.csv",
        b'id,text\na,good\nb,"never closed\nc,fine\n',
        "open_quote.csv:3: invalid CSV (a quote opened in this row is never closed: "
        "the rest of the file is inside it)",
        1,
    ),
    Bad(
        "header_only.csv",
        b"id,text\n",
        "header_only.csv: empty file: no rows below the header",
        0,
    ),
    # A field too large, quoted over many lines or on one: its row is passed over, not the file.
    Bad("huge_field.csv", huge_csv_field, f"huge_field.csv:3: {TOO_LARGE}", 2),
    Bad("huge_line.tsv", huge_tsv_line, f"huge_line.tsv:2: {TOO_LARGE}", 2),
    Bad(
        "no_text.jsonl",
        GOOD_LINE + b'{"id": "b", "body": "the text is under another name"}\n' + GOOD_LINE_2,
        "no_text.jsonl:2: no 'text' field (use --text-field)",
        2,
    ),
    Bad(
        "text_not_string.jsonl",
        GOOD_LINE + b'{"id": "b", "text": ["a", "list"]}\n',
        "text_not_string.jsonl:2: field 'text' is list, not text",
        1,
    ),
    Bad(
        "no_text.csv",
        b"id,body\na,hello\n",
        "no_text.csv:1: no 'text' column (columns: id, body; use --text-field)",
        0,
    ),
    Bad("empty.txt", b"", "empty.txt: empty file", 0),
    Bad("empty.jsonl", b"\n  \n", "empty.jsonl: empty file: no JSON records", 0),
    Bad("empty.csv", b"", "empty.csv: empty file: no header row", 0),
    Bad(
        "twice.csv",
        b"id,text,note,note\na,one,x,y\n",
        "twice.csv:1: column 'note' appears twice in the header",
        0,
    ),
    Bad("empty.parquet", empty_parquet, "empty.parquet: empty file: no rows", 0),
    Bad(
        "names.csv",
        b'id,"te\nxt"\n1,good\n',
        "names.csv:1: no 'text' column (columns: id, te\\nxt; use --text-field)",
        0,
    ),
    Bad("empty.json", b"[]", "empty.json: empty file: the JSON array has no records", 0),
    Bad(
        "latin1.json",
        b"[" + GOOD_LINE + b',\n{"id": "b", "text": "caf\xe9"}]',
        "latin1.json:3: invalid UTF-8 (byte 0xe9 at offset 24); convert the file to UTF-8",
        1,  # the records before the bad byte
    ),
    Bad(
        "after.json",
        b"[" + GOOD_LINE + b"]\n" + GOOD_LINE_2,
        "after.json:3: invalid JSON (text after the array's closing ']')",
        1,
    ),
    Bad(
        "unterminated.json",
        b"[" + GOOD_LINE + b',\n{"id": "b", "text": "never closed}]',
        "unterminated.json:3: invalid JSON (Unterminated string starting at column 21)",
        1,
    ),
    Bad(
        "nan.json",
        b"[" + GOOD_LINE + b',\n{"id": "b", "text": "x", "score": NaN}]',
        "nan.json:3: invalid JSON (NaN, which JSON does not allow)",
        1,
    ),
    Bad(
        "infinity.json",
        b"[" + GOOD_LINE + b',\n{"id": "b", "text": "x", "score": Infinity}]',
        "infinity.json:3: invalid JSON (Infinity, which JSON does not allow)",
        1,
    ),
    Bad(
        "big_number.json",
        b"[" + GOOD_LINE + b',\n{"id": "b", "text": "x", "score": -1e400}]',
        "big_number.json:3: invalid JSON (the number -1e400, too large for a float)",
        1,
    ),
    Bad(
        "deep.json",
        b"["
        + GOOD_LINE
        + b',\n{"id": "b", "text": "x", "tree": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}]",
        "deep.json:3: invalid JSON (arrays or objects nested too deeply)",
        1,
    ),
    Bad(
        "surrogate.json",
        b"[" + GOOD_LINE + b',\n{"id": "b", "text": "broken \\ud83d emoji"}]',
        "surrogate.json:3: invalid JSON (a lone surrogate escape such as \\ud800, half of a "
        "character; the program that wrote the file split a character)",
        1,
    ),
    Bad(
        "image.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        "image.txt: binary data (NUL byte), not text",
        0,
    ),
    Bad(
        "nul.jsonl",
        GOOD_LINE + b'{"id": "b", "text": "a\x00b"}\n',
        "nul.jsonl:2: binary data (NUL byte), not text",
        1,
    ),
    Bad(
        "escaped_nul.jsonl",
        b'{"id": "b", "text": "a\\u0000b"}\n' + GOOD_LINE,
        "escaped_nul.jsonl:1: binary data (NUL character) in the text",
        1,
    ),
    Bad("huge.txt", huge_text, f"huge.txt: {TOO_LARGE}", 0),
    Bad("huge.jsonl", huge_jsonl, f"huge.jsonl:2: {TOO_LARGE}", 2),
    Bad(
        "cut.csv.gz",
        CUT_CSV,
        "cut.csv.gz: compressed data is truncated (the file ends early)",
        # The rows complete before the cut, less the header (zlib says how many lines).
        zlib.decompressobj(wbits=31).decompress(CUT_CSV).count(b"\n") - 1,
    ),
    Bad(
        "junk.jsonl.gz",
        gzip.compress(GOOD_LINE + GOOD_LINE_2) + b"JUNK",
        "junk.jsonl.gz: compressed data is corrupt (Not a gzipped file (b'JU'))",
        2,
    ),
    Bad(
        "cut.jsonl.gz",
        CUT_GZIP,
        "cut.jsonl.gz: compressed data is truncated (the file ends early)",
        # Every record complete before the cut is read (zlib says how many there are).
        zlib.decompressobj(wbits=31).decompress(CUT_GZIP).count(b"\n"),
    ),
    Bad(
        "cut.txt.bz2",
        bz2.compress(doc(EN_LEAD, EN_OTHER).encode())[:100],
        "cut.txt.bz2: compressed data is truncated (the file ends early)",
        0,
    ),
    Bad(
        "cut.jsonl.zst",
        zstandard.ZstdCompressor().compress(MANY_LINES)[:300],
        "cut.jsonl.zst: compressed data is truncated (the file ends early)",
        0,
    ),
    Bad(
        "corrupt.jsonl.gz",
        b"\x1f\x8bnot really gzip",
        "corrupt.jsonl.gz: compressed data is corrupt (Unknown compression method)",
        0,
    ),
    Bad(
        "corrupt.txt",
        b"\x28\xb5\x2f\xfd" + b"not really zstd" * 10,
        "corrupt.txt: compressed data is corrupt "
        "(zstd decompressor error: Unsupported frame parameter)",
        0,
    ),
]


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def bad(request: pytest.FixtureRequest, workdir: Path) -> Bad:
    case: Bad = request.param
    case.write(workdir)
    Path("good.txt").write_text(doc(EN_LEAD, EN_OTHER), encoding="utf-8")
    return case


def test_scan_stops_with_one_line_and_exit_2(bad: Bad, invoke: Invoke) -> None:
    result = invoke("scan", "good.txt", bad.name)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"dedup: error: {bad.message}\n",
    )


def test_scan_skip_bad_skips_and_counts(bad: Bad, invoke: Invoke) -> None:
    result = invoke("scan", "good.txt", bad.name, "--skip-bad")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        f"documents read: {1 + bad.good_records} (skipped 1 bad records)"
    )


def test_clean_leaves_no_output_and_no_temporary_file(
    bad: Bad, invoke: Invoke, workdir: Path
) -> None:
    out = workdir / "out"
    out.mkdir()
    result = invoke("clean", bad.name, "-o", f"out/{bad.name}", "--removed", "out/removed.jsonl")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"dedup: error: {bad.message}\n",
    )
    assert sorted(p.name for p in out.iterdir()) == []


def test_clean_skip_bad_writes_the_good_records(bad: Bad, invoke: Invoke, workdir: Path) -> None:
    result = invoke("clean", bad.name, "--skip-bad", "-o", f"out/{bad.name}")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"wrote {bad.good_records} documents to out/{bad.name}: "
        "removed 0 repeated paragraphs and 0 duplicate documents (0 bytes); skipped 1 bad records\n"
    )
    assert sorted(p.name for p in (workdir / "out").iterdir()) == [bad.name]


def test_clean_skip_bad_keeps_good_jsonl_lines_unchanged(workdir: Path, invoke: Invoke) -> None:
    Path("broken.jsonl").write_bytes(GOOD_LINE + b"{not json\n" + GOOD_LINE_2)
    result = invoke("clean", "broken.jsonl", "--skip-bad", "-o", "clean.jsonl")
    assert result.exit_code == 0
    assert Path("clean.jsonl").read_bytes() == GOOD_LINE + GOOD_LINE_2


def test_several_bad_records_are_all_counted(workdir: Path, invoke: Invoke) -> None:
    Path("mixed.jsonl").write_bytes(
        GOOD_LINE + b"{oops\n" + b"[1, 2]\n" + b'{"id": "x"}\n' + GOOD_LINE_2 + b'"a string"\n'
    )
    result = invoke("scan", "mixed.jsonl", "--skip-bad")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "documents read: 2 (skipped 4 bad records)"
    strict = invoke("scan", "mixed.jsonl")
    assert strict.stderr.startswith("dedup: error: mixed.jsonl:2: invalid JSON (")


def test_max_doc_bytes_can_be_raised_and_lowered(workdir: Path, invoke: Invoke) -> None:
    Path("small.txt").write_text("0123456789", encoding="utf-8")
    lowered = invoke("scan", "small.txt", "--max-doc-bytes", "9")
    assert (lowered.exit_code, lowered.stderr) == (
        2,
        "dedup: error: small.txt: document is larger than 9 bytes (raise --max-doc-bytes)\n",
    )
    exact = invoke("scan", "small.txt", "--max-doc-bytes", "10")
    assert (exact.exit_code, exact.stdout.splitlines()[0]) == (0, "documents read: 1")


def test_invalid_max_doc_bytes_is_a_config_error(workdir: Path, invoke: Invoke) -> None:
    Path("small.txt").write_text("x", encoding="utf-8")
    result = invoke("scan", "small.txt", "--max-doc-bytes", "0")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: max_doc_bytes must be between 1 and 1,099,511,627,776, got 0 "
        "(--max-doc-bytes)\n",
    )


def test_missing_input(workdir: Path, invoke: Invoke) -> None:
    result = invoke("scan", "nowhere.jsonl")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "dedup: error: nowhere.jsonl: no such file or folder\n",
    )


def test_text_starting_like_bzip2_is_text(workdir: Path, invoke: Invoke) -> None:
    # "BZh" starts a bzip2 stream only with a block size digit and a block's magic after it.
    Path("bz.txt").write_text("BZh what a start for a document", encoding="utf-8")
    result = invoke("scan", "bz.txt")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "documents read: 1"


@pytest.mark.parametrize(
    ("name", "message"),
    [("empty.jsonl.gz", "empty file: no JSON records"), ("empty.txt.bz2", "empty file")],
)
def test_an_empty_file_named_compressed_is_empty(
    workdir: Path, invoke: Invoke, name: str, message: str
) -> None:
    Path(name).write_bytes(b"")
    result = invoke("scan", name)
    assert (result.exit_code, result.stderr) == (2, f"dedup: error: {name}: {message}\n")


def test_clean_cannot_read_stdin_twice(workdir: Path, invoke: Invoke) -> None:
    result = invoke("clean", "-", "-o", "out.jsonl", input=GOOD_LINE)
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: clean reads its inputs twice and cannot take '-': save stdin to a file\n",
    )
    assert not Path("out.jsonl").exists()


def test_a_file_name_that_is_not_utf8_is_written_escaped(workdir: Path, invoke: Invoke) -> None:
    Path("in").mkdir()
    latin1 = os.fsdecode(b"in/caf\xe9.txt")  # a name in Latin-1 bytes
    Path(latin1).write_text(EN_LEAD, encoding="utf-8")
    Path("in/b.txt").write_text(EN_LEAD, encoding="utf-8")
    result = invoke("scan", "in", "-q", "--report", "r.jsonl")
    assert result.exit_code == 0
    [cluster] = [
        f
        for f in map(orjson.loads, Path("r.jsonl").read_bytes().splitlines())
        if f["type"] == "cluster"
    ]
    assert cluster["members"] == ["in/b.txt", "in/caf\\xe9.txt"]
    result = invoke("clean", "in", "-o", "out", "--keep", "longest")
    assert result.exit_code == 0
    Path("empty").mkdir()
    Path(os.fsdecode(b"empty/caf\xe9.txt")).write_bytes(b"")
    result = invoke("scan", "empty")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: empty/caf\\xe9.txt: empty file\n",
    )


# --- atomic outputs -----------------------------------------------------------------------------


def test_atomic_file_leaves_nothing_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError, match="mid-write"), atomic_file(target) as handle:
        handle.write(b"partial")
        raise RuntimeError("mid-write")
    assert list(tmp_path.iterdir()) == []


def test_atomic_file_keeps_the_old_content_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"new\n")
        raise RuntimeError("mid-write")
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    assert target.read_bytes() == b"old\n"


def test_atomic_directory_leaves_nothing_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_directory(tmp_path / "out") as staging:
        (staging / "a.txt").write_text("partial", encoding="utf-8")
        raise RuntimeError("mid-write")
    assert list(tmp_path.iterdir()) == []


def test_atomic_directory_replaces_a_folder_it_wrote(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_directory(target) as staging:
        (staging / "stale.txt").write_text("old", encoding="utf-8")
    with atomic_directory(target) as staging:
        (staging / "fresh.txt").write_text("new", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert sorted(p.name for p in target.iterdir()) == [FOLDER_MARK, "fresh.txt"]


def test_atomic_directory_never_replaces_a_folder_of_the_users(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "thesis.doc").write_text("years of work", encoding="utf-8")
    with (
        pytest.raises(ConfigError, match="out is a folder that dedup did not write, and not empty"),
        atomic_directory(target) as staging,
    ):
        (staging / "fresh.txt").write_text("new", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in target.iterdir()] == ["thesis.doc"]


def test_atomic_outputs_are_renamed_all_or_none(tmp_path: Path) -> None:
    (tmp_path / "report.jsonl").write_bytes(b"old\n")
    with pytest.raises(RuntimeError), AtomicOutputs() as outputs:
        outputs.file(tmp_path / "report.jsonl").write(b"new\n")
        outputs.folder(tmp_path / "clean").joinpath("a.txt").write_text("x", encoding="utf-8")
        raise RuntimeError("the second output failed")
    assert [p.name for p in tmp_path.iterdir()] == ["report.jsonl"]
    assert (tmp_path / "report.jsonl").read_bytes() == b"old\n"


def test_a_full_disk_leaves_no_temporary_file_and_names_the_output(tmp_path: Path) -> None:
    # On a full disk, closing the temporary file fails too (it flushes what is buffered): the
    # file must be deleted all the same, and the error name the output, not the temporary.
    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as raised, AtomicOutputs() as outputs:
        handle = outputs.file(tmp_path / "clean.jsonl")
        handle.write(b"buffered, never written")
        handle.close = full  # type: ignore[method-assign]
        full()
    assert list(tmp_path.iterdir()) == []
    assert (raised.value.errno, raised.value.filename) == (
        errno.ENOSPC,
        str(tmp_path / "clean.jsonl"),
    )


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "file.jsonl") as handle:
            handle.write(b"x\n")
        with atomic_directory(tmp_path / "folder"):
            pass
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "file.jsonl").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755


def _big_corpus(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(60):
            text = f"story {number} " + " ".join(f"w{number}x{k}" for k in range(10_000))
            handle.write(f'{{"id": "{number}", "text": "{text}"}}\n')
    assert path.stat().st_size > 4 * 2**20


def _run_with_files_under_2mb(arguments: list[str], cwd: Path, tmpdir: Path) -> Any:
    """Run dedup with files that may not grow past 2 MB: a write beyond fails as on a full disk."""

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2**20, 2 * 2**20))

    return subprocess.run(
        [sys.executable, "-m", "dedup", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={**os.environ, "TMPDIR": str(tmpdir)},
        preexec_fn=limit_file_size,
    )


def test_temporary_files_that_cannot_be_written_are_one_line(tmp_path: Path) -> None:
    # The spill of the texts needs more than the limit: the error says where, and how to move it.
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    _big_corpus(tmp_path / "corpus.jsonl")
    completed = _run_with_files_under_2mb(
        ["scan", "corpus.jsonl", "--report", "out.jsonl"], tmp_path, spill_dir
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        2,
        "",
        f"dedup: error: cannot write temporary files in {spill_dir}: File too large "
        "(set TMPDIR to a folder on a disk with more room)\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl", "spill"]
    assert list(spill_dir.iterdir()) == []


def test_output_that_fills_the_disk_is_one_line_naming_it(tmp_path: Path) -> None:
    _big_corpus(tmp_path / "corpus.jsonl")
    completed = _run_with_files_under_2mb(
        ["clean", "corpus.jsonl", "-o", "clean.jsonl", "--removed", "audit.jsonl", "--no-copies"],
        tmp_path,
        tmp_path,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        2,
        "",
        "dedup: error: clean.jsonl: File too large\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]  # nor the audit


def test_folder_output_that_fills_the_disk_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("word " * 700_000, encoding="utf-8")  # 3.5 MB
    completed = _run_with_files_under_2mb(
        ["clean", "in", "-o", "out", "--no-copies", "--removed", "removed.jsonl"],
        tmp_path,
        tmp_path,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        2,
        "",
        "dedup: error: out: File too large\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_file_gone_before_reading_is_left_out_of_the_size(tmp_path: Path) -> None:
    plain, packed = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    plain.write_bytes(GOOD_LINE * 10)
    packed.write_bytes(gzip.compress(GOOD_LINE * 10))
    reader = DocumentReader([str(plain), str(packed)], ReadConfig())
    assert reader.expected_bytes() == plain.stat().st_size + 4 * packed.stat().st_size
    plain.unlink()  # reading will say so (or skip it with --skip-bad); sizing leaves it out
    assert reader.expected_bytes() == 4 * packed.stat().st_size


def test_an_escaped_backslash_before_u_d800_is_no_surrogate(workdir: Path, invoke: Invoke) -> None:
    # "C:\\ud800" in JSON is the text C:\ud800, a backslash and five letters.
    record = b'{"id": "path", "text": "the file C:\\\\ud800 was read twice"}'
    (workdir / "escaped.jsonl").write_bytes(record + b"\n")
    (workdir / "escaped.json").write_bytes(b"[" + record + b"]")
    for name in ("escaped.jsonl", "escaped.json"):
        result = invoke("scan", name, "--report", f"{name}.report.jsonl")
        assert (result.exit_code, result.stderr) == (0, ""), name
        assert result.stdout.startswith("documents read: 1\n")
