"""Every input format dedup reads, compression by extension and by magic bytes, ids and metadata."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import os
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import Invoke
from hypothesis import given, settings
from hypothesis import strategies as st
from texts import AR_LEAD, EN_LEAD, EN_OTHER, doc

from dedup import Document, InputError, ReadConfig, read_documents
from dedup.io import readers
from dedup.io.compression import compression_of
from dedup.io.readers import DocumentReader


def read(*inputs: str | Path, **settings: object) -> list[Document]:
    return list(read_documents([str(i) for i in inputs], ReadConfig(**settings)))  # type: ignore[arg-type]


def summary(docs: list[Document]) -> list[tuple[str, str, int | None]]:
    return [(d.id, d.text, d.line) for d in docs]


JSONL = (
    b'{"id": "a", "text": "first document"}\n'
    b"\n"
    b'{"id": "b", "text": "second document"}\n'
    b'{"text": "third, without an id"}\n'
)
JSONL_DOCS = [
    ("a", "first document", 1),
    ("b", "second document", 3),
    ("docs.jsonl:4", "third, without an id", 4),
]


# --- plain formats ------------------------------------------------------------------------------


def test_text_file_is_one_document_named_by_its_path(workdir: Path) -> None:
    text = doc(EN_LEAD, AR_LEAD)
    Path("story.txt").write_text(text, encoding="utf-8")
    [document] = read("story.txt")
    assert (document.id, document.text, document.path, document.line) == (
        "story.txt",
        text,
        "story.txt",
        None,
    )


def test_text_file_byte_order_mark_is_dropped(workdir: Path) -> None:
    Path("bom.txt").write_bytes(b"\xef\xbb\xbfhello\n")
    assert summary(read("bom.txt")) == [("bom.txt", "hello\n", None)]


def test_folder_is_searched_recursively_for_the_glob(workdir: Path) -> None:
    Path("corpus/sub").mkdir(parents=True)
    Path("corpus/b.txt").write_text("bee", encoding="utf-8")
    Path("corpus/sub/a.txt").write_text("ay", encoding="utf-8")
    Path("corpus/notes.md").write_text("markdown", encoding="utf-8")
    assert summary(read("corpus")) == [
        ("corpus/b.txt", "bee", None),
        ("corpus/sub/a.txt", "ay", None),
    ]
    assert summary(read("corpus", glob="*.md")) == [("corpus/notes.md", "markdown", None)]
    # The search is recursive already: "**/" in front adds nothing and takes nothing away.
    assert [d.id for d in read("corpus", glob="**/*.txt")] == ["corpus/b.txt", "corpus/sub/a.txt"]


def test_the_mark_of_an_output_folder_is_no_document(workdir: Path, invoke: Invoke) -> None:
    Path("corpus").mkdir()
    Path("corpus/a.txt").write_text(EN_LEAD, encoding="utf-8")
    assert invoke("clean", "corpus", "-o", "clean").exit_code == 0
    assert [d.id for d in read("clean", glob="*")] == ["clean/a.txt"]


def test_a_folder_that_cannot_be_read_is_an_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Tests run as root, who reads any folder: the refusal is played by os.scandir.)
    Path("corpus/locked").mkdir(parents=True)
    Path("corpus/a.txt").write_text("ay", encoding="utf-8")
    scandir = os.scandir

    def refuse_locked(path: Any = ".") -> Any:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_locked)
    with pytest.raises(InputError) as caught:
        read("corpus")
    assert str(caught.value) == "corpus/locked: cannot read this folder (Permission denied)"


def test_folder_glob_through_the_cli(workdir: Path, invoke: Invoke) -> None:
    Path("corpus").mkdir()
    Path("corpus/a.md").write_text(EN_LEAD, encoding="utf-8")
    Path("corpus/b.md").write_text(EN_OTHER, encoding="utf-8")
    Path("corpus/c.txt").write_text(AR_LEAD, encoding="utf-8")
    result = invoke("scan", "corpus", "--glob", "*.md")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "documents read: 2"


def test_folder_without_matching_files_is_an_error(workdir: Path) -> None:
    Path("empty_corpus").mkdir()
    Path("empty_corpus/a.md").write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read("empty_corpus")
    assert str(caught.value) == "empty_corpus: no files matching '*.txt' in this folder (--glob)"


def test_jsonl_records_with_line_numbers_and_id_fallback(workdir: Path) -> None:
    Path("docs.jsonl").write_bytes(JSONL)
    assert summary(read("docs.jsonl")) == JSONL_DOCS


def test_ndjson_extension_and_byte_order_mark(workdir: Path) -> None:
    Path("docs.ndjson").write_bytes(b"\xef\xbb\xbf" + b'{"id": "a", "text": "x"}\n')
    assert summary(read("docs.ndjson")) == [("a", "x", 1)]


def test_id_fallback_for_empty_and_non_string_ids(workdir: Path) -> None:
    Path("ids.jsonl").write_text(
        '{"id": "", "text": "empty id"}\n'
        '{"id": null, "text": "null id"}\n'
        '{"id": 7, "text": "numeric id"}\n'
        '{"id": 0, "text": "zero id"}\n',
        encoding="utf-8",
    )
    assert [d.id for d in read("ids.jsonl")] == ["ids.jsonl:1", "ids.jsonl:2", "7", "0"]


def test_custom_text_and_id_fields(workdir: Path) -> None:
    Path("custom.jsonl").write_text(
        '{"key": "k1", "body": "the body", "text": "not this"}\n', encoding="utf-8"
    )
    assert summary(read("custom.jsonl", text_field="body", id_field="key")) == [
        ("k1", "the body", 1)
    ]


def test_json_array_records_are_numbered_and_found_by_line(workdir: Path) -> None:
    # An element without an id is named by its number (compact arrays put all on one line);
    # its line is where it begins.
    records = [{"id": "a", "text": "one"}, {"text": "two"}, {"text": "three"}]
    Path("docs.json").write_text(json.dumps(records, indent=2), encoding="utf-8")
    assert summary(read("docs.json")) == [
        ("a", "one", 2),
        ("docs.json:2", "two", 6),
        ("docs.json:3", "three", 9),
    ]
    Path("compact.json").write_text(json.dumps(records), encoding="utf-8")
    assert summary(read("compact.json")) == [
        ("a", "one", 1),
        ("compact.json:2", "two", 1),
        ("compact.json:3", "three", 1),
    ]


def test_jsonl_files_joined_with_their_byte_order_marks(workdir: Path) -> None:
    bom = b"\xef\xbb\xbf"
    Path("joined.jsonl").write_bytes(
        bom + b'{"id": "a", "text": "one"}\n' + bom + b'{"id": "b", "text": "two"}\n'
    )
    assert summary(read("joined.jsonl")) == [("a", "one", 1), ("b", "two", 2)]


def test_json_file_holding_jsonl_is_read_as_jsonl(workdir: Path) -> None:
    Path("lines.json").write_bytes(JSONL)
    assert summary(read("lines.json")) == [
        ("a", "first document", 1),
        ("b", "second document", 3),
        ("lines.json:4", "third, without an id", 4),
    ]


def _array_outcome(data: bytes, monkeypatch: pytest.MonkeyPatch, chunk: int) -> object:
    """What the JSON array reader makes of ``data`` read ``chunk`` bytes at a time: each
    record's line, fields and error, then the error that stopped it, if any."""
    monkeypatch.setattr(readers, "_JSON_CHUNK", chunk)
    outcome: list[object] = []
    try:
        for record in readers._json_records("a.json", io.BytesIO(data), ReadConfig()):
            outcome.append((record.line, record.fields, str(record.error)))
    except InputError as error:
        outcome.append(str(error))
    return outcome


_FIELD_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(st.fixed_dictionaries({"id": _FIELD_TEXT, "text": _FIELD_TEXT}), max_size=6),
    indent=st.sampled_from([None, 0, 2]),
    ensure_ascii=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    chunk=st.integers(min_value=1, max_value=40),
)
def test_a_json_array_read_in_pieces_reads_as_if_whole(
    records: list[dict[str, str]],
    indent: int | None,
    ensure_ascii: bool,
    cut: int | None,
    chunk: int,
) -> None:
    data = json.dumps(records, indent=indent, ensure_ascii=ensure_ascii).encode()
    if cut is not None:  # a byte gone: broken JSON, or bad UTF-8, somewhere
        data = data[: cut % (len(data) + 1)] + data[cut % (len(data) + 1) + 1 :]
    with pytest.MonkeyPatch.context() as monkeypatch:
        whole = _array_outcome(data, monkeypatch, 1 << 20)
        pieces = _array_outcome(data, monkeypatch, chunk)
    if whole and "invalid UTF-8" in str(whole[-1]):
        # Decoded whole, the bad byte is found first; in pieces, when its piece is read.
        assert pieces[-1] == whole[-1] and pieces[: len(whole) - 1] == whole[:-1]
    else:
        assert pieces == whole
    if cut is None and records:
        assert [fields for _, fields, _ in whole] == records  # type: ignore[misc]


def test_a_json_number_cut_by_a_read_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'[{"text": "a"}, 12345678, true, {"text": "b"}]'
    whole = _array_outcome(data, monkeypatch, 1 << 20)
    assert whole == [
        (1, {"text": "a"}, "None"),
        (1, {}, "a.json:1: expected a JSON object, got int"),
        (1, {}, "a.json:1: expected a JSON object, got bool"),
        (1, {"text": "b"}, "None"),
    ]
    for chunk in range(1, len(data)):
        assert _array_outcome(data, monkeypatch, chunk) == whole, chunk


def test_a_json_array_with_a_bad_byte_keeps_the_records_before_it(workdir: Path) -> None:
    records = [{"id": f"d{i}", "text": f"record number {i}"} for i in range(5000)]
    data = ("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]").encode()
    cut = data.index(b"record number 4000")
    Path("bad.json").write_bytes(data[:cut] + b"\xff" + data[cut + 1 :])
    reader = DocumentReader(["bad.json"], ReadConfig(skip_bad=True))
    assert [d.id for d in reader] == [f"d{i}" for i in range(4000)]
    assert reader.errors == [
        "bad.json:4002: invalid UTF-8 (byte 0xff at offset 25); convert the file to UTF-8"
    ]


def test_a_truncated_compressed_json_array_keeps_every_whole_element(workdir: Path) -> None:
    records = [{"id": f"d{i}", "text": f"record {i} " + "word " * 50} for i in range(20_000)]
    data = gzip.compress(json.dumps(records).encode())
    Path("cut.json.gz").write_bytes(data[: len(data) * 9 // 10])
    text = zlib.decompressobj(wbits=31).decompress(data[: len(data) * 9 // 10]).decode()
    decoder, pos, whole = json.JSONDecoder(), 1, 0
    while True:  # the elements complete before the cut
        try:
            pos = decoder.raw_decode(text, pos)[1] + 2  # past ", "
        except json.JSONDecodeError:
            break
        whole += 1
    reader = DocumentReader(["cut.json.gz"], ReadConfig(skip_bad=True))
    assert sum(1 for _ in reader) == whole > 15_000
    assert reader.errors == ["cut.json.gz: compressed data is truncated (the file ends early)"]


def test_a_json_element_too_large_is_passed_over(workdir: Path) -> None:
    big = {"id": "big", "text": "x" * 20_000, "extra": ["[", "{", '"', "\\"]}
    records = [{"id": "a", "text": "first"}, big, {"id": "c", "text": "last"}]
    Path("big.json").write_text(json.dumps(records), "utf-8")
    reader = DocumentReader(["big.json"], ReadConfig(skip_bad=True, max_doc_bytes=1000))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(readers, "_JSON_CHUNK", 64)  # the element spans many reads
        monkeypatch.setattr(readers, "_most_record_chars", lambda config: 5000)
        assert [d.id for d in reader] == ["a", "c"]
    assert reader.errors == [
        "big.json:1: document is larger than 1,000 bytes (raise --max-doc-bytes)"
    ]


def test_skipping_a_large_element_across_reads_keeps_in_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Escapes fall on every read boundary: the elements after the large one are all read.
    big = json.dumps({"id": "big", "text": "\\n" * 3000 + 'x"y' * 300})
    small = [json.dumps({"id": f"s{i}", "text": "ok"}) for i in range(50)]
    data = ("[" + ",".join([big, *small]) + "]").encode()
    monkeypatch.setattr(readers, "_most_record_chars", lambda config: 500)
    for chunk in (97, 98, 99, 100, 101):
        monkeypatch.setattr(readers, "_JSON_CHUNK", chunk)
        records = list(readers._json_records("a.json", io.BytesIO(data), ReadConfig()))
        assert [r.fields.get("id") for r in records] == [None] + [f"s{i}" for i in range(50)]


def test_a_small_truncated_compressed_json_array_keeps_its_whole_elements(
    workdir: Path,
) -> None:
    data = gzip.compress(
        json.dumps([{"id": f"d{i}", "text": "word " * 20} for i in range(100)]).encode()
    )
    Path("cut.json.gz").write_bytes(data[: len(data) // 2])
    reader = DocumentReader(["cut.json.gz"], ReadConfig(skip_bad=True))
    assert sum(1 for _ in reader) > 10


def test_the_element_before_a_nul_is_kept(workdir: Path) -> None:
    Path("nul.json").write_bytes(
        b'[{"id": "a", "text": "one"},\n{"id": "b", "text": "two"}\x00\x00'
    )
    reader = DocumentReader(["nul.json"], ReadConfig(skip_bad=True))
    assert [d.id for d in reader] == ["a", "b"]


def test_an_integer_wider_than_any_float_is_read_in_jsonl(workdir: Path) -> None:
    Path("wide.jsonl").write_text('{"id": "a", "text": "one", "n": ' + "9" * 400 + "}\n")
    assert [d.id for d in read("wide.jsonl")] == ["a"]


def test_glob_patterns_match_as_rglob_does(workdir: Path) -> None:
    for name in ("top.txt", "sub/b.txt", "sub/deep/c.txt", "other/d.txt"):
        Path("in", name).parent.mkdir(parents=True, exist_ok=True)
        Path("in", name).write_text(name, "utf-8")
    for glob in ("*.txt", "**/*.txt", "sub/**/*.txt", "sub/*.txt", "deep/*.txt"):
        expected = sorted(str(p) for p in Path("in").rglob(glob) if p.is_file())
        assert readers._files_in("in", glob) == expected, glob


def test_deeply_nested_fields_are_read(workdir: Path) -> None:
    deep = "[" * 400 + "]" * 400
    Path("deep.jsonl").write_text('{"id": "a", "text": "hi", "m": ' + deep + "}\n", "utf-8")
    assert [d.id for d in read("deep.jsonl")] == ["a"]


def test_a_json_array_streams(workdir: Path) -> None:
    element = orjson.dumps({"text": "word " * 200}) + b",\n"
    with open("big.json", "wb") as handle:
        handle.write(b"[\n")
        for _ in range(40_000):  # 40 MB
            handle.write(element)
        handle.write(b'{"text": "last"}\n]\n')
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_documents(["big.json"]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 40_001
    assert peak < 16 * 2**20  # a few chunks, not the file


def test_a_json_array_element_past_any_document_size_stops_the_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read 100 bytes at a time, an element is given up on past 6 x 1,000 characters and a
    # megabyte (a text may be written six characters a letter), not read on to its end.
    monkeypatch.setattr(readers, "_JSON_CHUNK", 100)
    Path("big.json").write_text('[{"text": "short"},\n{"text": "' + "x" * 1_100_000, "utf-8")
    with pytest.raises(InputError) as caught:
        read("big.json", max_doc_bytes=1000)
    assert str(caught.value) == (
        "big.json:2: document is larger than 1,000 bytes (raise --max-doc-bytes)"
    )


def test_the_size_limit_is_the_texts_not_its_escaped_record(workdir: Path) -> None:
    # 300 letters: 600 bytes of UTF-8, 1,800 characters written as \u00e9 escapes.
    fits, too_large = {"text": "é" * 300}, {"text": "é" * 600}
    Path("escaped.jsonl").write_text(json.dumps(fits) + "\n" + json.dumps(too_large) + "\n")
    reader = DocumentReader(["escaped.jsonl"], ReadConfig(max_doc_bytes=1000, skip_bad=True))
    assert [d.text for d in reader] == ["é" * 300]
    assert reader.errors == [
        "escaped.jsonl:2: document is larger than 1,000 bytes (raise --max-doc-bytes)"
    ]


def test_json_array_error_names_the_line_of_the_bad_element(workdir: Path) -> None:
    Path("bad.json").write_text('[\n  {"text": "ok"},\n  {"text": "x"} {"text": "y"}\n]\n')
    with pytest.raises(InputError) as caught:
        read("bad.json")
    assert str(caught.value) == "bad.json:3: invalid JSON array (expected ',' or ']')"


def test_json_array_error_deep_in_a_large_array(workdir: Path) -> None:
    elements = [orjson.dumps({"id": str(i), "text": "word " * 40}).decode() for i in range(20_000)]
    elements[-1] = "7"
    Path("large.json").write_text("[\n" + ",\n".join(elements) + "\n]\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read("large.json")
    # Counting lines from the start of the text for every element made this quadratic: about
    # a minute for these 20,000 elements. Linear, it takes a fraction of a second.
    assert time.perf_counter() - started < 5
    assert str(caught.value) == "large.json:20001: expected a JSON object, got int"


def test_csv_with_quoted_multiline_field(workdir: Path) -> None:
    Path("docs.csv").write_text(
        'id,text,source\na,"line one\n\nline ""two""",paper\n,plain,radio\n', encoding="utf-8"
    )
    assert summary(read("docs.csv")) == [
        ("a", 'line one\n\nline "two"', 2),  # the line where the row begins
        ("docs.csv:5", "plain", 5),
    ]


def test_a_bad_csv_row_with_a_quote_inside_a_field_loses_only_itself(workdir: Path) -> None:
    Path("e.csv").write_bytes(b'id,text\n1,good one\n2,a 5" screen \xff\n3,good three\n4,four\n')
    reader = DocumentReader(["e.csv"], ReadConfig(skip_bad=True))
    assert [d.id for d in reader] == ["1", "3", "4"]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.text(alphabet='ab ,"\n\r5', max_size=8), min_size=1, max_size=3),
        min_size=1,
        max_size=4,
    ),
    cut=st.integers(min_value=0),
    piece=st.integers(min_value=1, max_value=7),
)
def test_csv_quoting_follows_the_csv_module(rows: list[list[str]], cut: int, piece: int) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()[: cut % (len(buffer.getvalue()) + 1)]
    quoting = readers._CsvQuoting(",")
    for start in range(0, len(text), piece):  # fed in pieces, as lines and parts of lines
        quoting.feed(text[start : start + piece])
    try:  # the strict parser says whether the text ends inside a quoted field
        list(csv.reader(io.StringIO(text, newline=""), strict=True))
        inside = False
    except csv.Error as error:
        inside = "unexpected end of data" in str(error)
    assert (quoting.inside and not quoting._quote_pending) == inside


def test_a_csv_row_may_be_longer_than_its_text(workdir: Path) -> None:
    Path("m.csv").write_text(f"id,text,html\n1,{'a' * 900},{'b' * 500}\n2,short,x\n", "utf-8")
    assert [d.id for d in read("m.csv", max_doc_bytes=1000)] == ["1", "2"]


def test_a_crlf_cut_by_a_read_stays_one_line_ending(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "_most_record_chars", lambda config: 20)
    rows = [b"id,text\r\n", b"0,same words\r\n", b"1,xxxxxxxxxxxxxxxxxx\r\n", b"3,end\r\n"]
    Path("crlf.csv").write_bytes(b"".join(rows))
    records = list(readers.iter_records("crlf.csv", ReadConfig()))
    assert [(r.line, r.raw) for r in records] == [(2, rows[1]), (3, rows[2]), (4, rows[3])]


def test_tsv_and_tab_extensions(workdir: Path) -> None:
    content = "id\ttext\na\tfirst, with a comma\nb\tsecond\n"
    Path("docs.tsv").write_text(content, encoding="utf-8")
    Path("docs.tab").write_text(content, encoding="utf-8")
    expected = [("a", "first, with a comma", 2), ("b", "second", 3)]
    assert summary(read("docs.tsv")) == expected
    assert summary(read("docs.tab")) == expected


def test_csv_byte_order_mark_is_not_part_of_the_first_column(workdir: Path) -> None:
    Path("bom.csv").write_bytes(b"\xef\xbb\xbfid,text\r\na,hello\r\n")
    assert summary(read("bom.csv")) == [("a", "hello", 2)]


def test_parquet(workdir: Path) -> None:
    table = pa.table(
        {
            "id": ["p1", None, "p3"],
            "text": [EN_LEAD, AR_LEAD, "third"],
            "outlet": ["Reuters", "Kurdistan24", None],
        }
    )
    pq.write_table(table, "docs.parquet", row_group_size=2)
    docs = read("docs.parquet", source_field="outlet")
    assert summary(docs) == [
        ("p1", EN_LEAD, 1),
        ("docs.parquet:2", AR_LEAD, 2),
        ("p3", "third", 3),
    ]
    assert [d.source for d in docs] == ["Reuters", "Kurdistan24", None]


def test_parquet_without_the_text_column(workdir: Path) -> None:
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), "docs.pq")
    with pytest.raises(InputError) as caught:
        read("docs.pq")
    assert str(caught.value) == "docs.pq: no 'text' column (columns: id, body; use --text-field)"


# --- compression --------------------------------------------------------------------------------

COMPRESSORS = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.mark.parametrize(
    ("name", "compression"),
    [("docs.jsonl.gz", "gzip"), ("docs.jsonl.bz2", "bz2"), ("docs.jsonl.zst", "zstd")],
)
def test_compressed_by_extension(workdir: Path, name: str, compression: str) -> None:
    Path(name).write_bytes(COMPRESSORS[compression](JSONL))
    assert compression_of(name) == compression
    docs = read(name)
    assert summary(docs) == [
        ("a", "first document", 1),
        ("b", "second document", 3),
        (f"{name}:4", "third, without an id", 4),
    ]


@pytest.mark.parametrize(
    ("name", "compression"),
    [
        ("gzip_inside.jsonl.bz2", "gzip"),
        ("bz2_inside.jsonl.zst", "bz2"),
        ("zstd_inside.jsonl", "zstd"),
        ("gzip_inside.txt", "gzip"),
    ],
)
def test_compressed_by_magic_bytes_despite_the_name(
    workdir: Path, name: str, compression: str
) -> None:
    content = JSONL if ".jsonl" in name else doc(EN_LEAD, EN_OTHER).encode()
    Path(name).write_bytes(COMPRESSORS[compression](content))
    assert compression_of(name) == compression
    docs = read(name)
    if ".jsonl" in name:
        assert [d.text for d in docs] == [
            "first document",
            "second document",
            "third, without an id",
        ]
    else:
        assert summary(docs) == [(name, doc(EN_LEAD, EN_OTHER), None)]


def test_zstd_of_several_frames_is_read_whole(workdir: Path) -> None:
    compress = zstandard.ZstdCompressor().compress
    Path("frames.jsonl.zst").write_bytes(
        compress(b'{"id": "a", "text": "one"}\n') + compress(b'{"id": "b", "text": "two"}\n')
    )
    assert summary(read("frames.jsonl.zst")) == [("a", "one", 1), ("b", "two", 2)]


def test_compressed_csv(workdir: Path) -> None:
    Path("docs.csv.gz").write_bytes(gzip.compress(b"id,text\na,hello\n"))
    assert summary(read("docs.csv.gz")) == [("a", "hello", 2)]


def test_uncompressed_file_with_compressed_extension_is_read_plain(workdir: Path) -> None:
    Path("plain.jsonl.gz").write_bytes(b'{"id": "a", "text": "not compressed"}\n')
    assert compression_of("plain.jsonl.gz") is None
    assert summary(read("plain.jsonl.gz")) == [("a", "not compressed", 1)]


# --- stdin --------------------------------------------------------------------------------------


def test_stdin_is_jsonl(workdir: Path, invoke: Invoke) -> None:
    lines = [
        {"id": "s1", "text": doc("Headline", EN_LEAD, EN_OTHER, EN_LEAD)},
        {"text": "no id here"},
    ]
    stdin = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    result = invoke("scan", "-", "--report", "r.jsonl", input=stdin)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        "documents read: 2",
        "repeated paragraphs: 1 in 1 documents",
    ]
    findings = [orjson.loads(line) for line in Path("r.jsonl").read_bytes().splitlines()]
    assert [(f["doc"], f["first"]["index"], f["repeat"]["index"]) for f in findings[:-1]] == [
        ("s1", 1, 3)
    ]


@pytest.mark.parametrize(
    "compress", [gzip.compress, bz2.compress, zstandard.ZstdCompressor().compress]
)
def test_compressed_stdin_is_decompressed(invoke: Invoke, compress: Any) -> None:
    stdin = compress(JSONL)
    result = invoke("scan", "-", input=stdin)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "documents read: 3"


def test_stdin_id_fallback_names_dash_and_line(invoke: Invoke) -> None:
    text = doc("Headline", EN_LEAD, EN_OTHER, EN_LEAD)
    stdin = orjson.dumps({"text": "first"}) + b"\n" + orjson.dumps({"text": text}) + b"\n"
    result = invoke("scan", "-", input=stdin)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2].startswith("  -:2: paragraph 3 repeats 1 (exact): ")


# --- metadata -----------------------------------------------------------------------------------


def test_meta_fields_from_jsonl(workdir: Path) -> None:
    Path("meta.jsonl").write_text(
        '{"id": "a", "text": "x", "outlet": "SPA", "day": "2015-07-21", "headline": "Title A",'
        ' "link": "https://example.com/a"}\n'
        '{"id": "b", "text": "y", "outlet": "", "day": 20150722, "headline": null}\n',
        encoding="utf-8",
    )
    docs = read(
        "meta.jsonl",
        source_field="outlet",
        date_field="day",
        title_field="headline",
        url_field="link",
    )
    assert [(d.source, d.date, d.title, d.url) for d in docs] == [
        ("SPA", "2015-07-21", "Title A", "https://example.com/a"),
        (None, "20150722", None, None),
    ]


def test_meta_fields_are_none_unless_asked_for(workdir: Path) -> None:
    Path("meta.jsonl").write_text(
        '{"id": "a", "text": "x", "source": "SPA", "date": "2015", "title": "T", "url": "u"}\n',
        encoding="utf-8",
    )
    [document] = read("meta.jsonl")
    assert (document.source, document.date, document.title, document.url) == (
        None,
        None,
        None,
        None,
    )


def test_meta_fields_from_csv(workdir: Path) -> None:
    Path("meta.csv").write_text(
        "id,text,source,date,title,url\na,x,SPA,2015-07-21,T,https://e.com\n", encoding="utf-8"
    )
    [document] = read(
        "meta.csv", source_field="source", date_field="date", title_field="title", url_field="url"
    )
    assert (document.source, document.date, document.title, document.url) == (
        "SPA",
        "2015-07-21",
        "T",
        "https://e.com",
    )


def test_documents_are_numbered_across_inputs(workdir: Path) -> None:
    Path("one.jsonl").write_text('{"id": "x", "text": "a"}\n{"id": "y", "text": "b"}\n')
    Path("two.txt").write_text("c", encoding="utf-8")
    docs = read("one.jsonl", "two.txt")
    assert [(d.id, d.ordinal, d.path) for d in docs] == [
        ("x", 0, "one.jsonl"),
        ("y", 1, "one.jsonl"),
        ("two.txt", 2, "two.txt"),
    ]


def test_a_repeated_id_is_bad_input(workdir: Path) -> None:
    # A report, an audit and a clean corpus name documents by id: one id, two documents would
    # make them ambiguous. With --skip-bad the later record is skipped and counted.
    Path("one.jsonl").write_text('{"id": 1, "text": "a"}\n{"id": "2", "text": "b"}\n')
    Path("two.jsonl").write_text('{"id": "1", "text": "c"}\n{"text": "d"}\n')
    with pytest.raises(InputError) as raised:
        read("one.jsonl", "two.jsonl")
    assert str(raised.value) == (
        "two.jsonl:1: duplicate id '1': ids must be unique (--id-field names them; without the "
        "field, a record's id is FILE:LINE)"
    )
    reader = DocumentReader(["one.jsonl", "two.jsonl"], ReadConfig(skip_bad=True))
    assert [(d.id, d.ordinal) for d in reader] == [("1", 0), ("2", 1), ("two.jsonl:2", 2)]
    assert reader.skipped == 1


@pytest.mark.parametrize(
    ("value", "kind"), [("true", "a boolean"), ('{"k": 1}', "an object"), ("[1]", "an array")]
)
def test_an_id_that_is_no_string_or_number_is_bad_input(
    workdir: Path, value: str, kind: str
) -> None:
    Path("one.jsonl").write_text(f'{{"id": {value}, "text": "a"}}\n')
    with pytest.raises(InputError, match=f"^one.jsonl:1: field 'id' is {kind}, not a string or"):
        read("one.jsonl")
