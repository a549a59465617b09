"""The archive index and the CI gate: one suite, run against SQLite and a real Redis server."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from click.testing import CliRunner
from conftest import Invoke
from hypothesis import given
from hypothesis import strategies as st
from texts import formula_corpus

from dedup.check import CheckConfig, add, add_documents, check_documents
from dedup.cli import cli
from dedup.config import MatchConfig, ScanConfig
from dedup.errors import BackendError, ConfigError
from dedup.index import open_index
from dedup.index.postings import Segment
from dedup.model import Document

REDIS_SERVER = shutil.which("redis-server")
ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _words(rng: random.Random, count: int) -> str:
    return " ".join(
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(2, 9))) for _ in range(count)
    )


def article(seed: int, paragraphs: int = 4, words: int = 40) -> str:
    """A made-up article: ``paragraphs`` paragraphs of random words, the same for one seed."""
    rng = random.Random(seed)
    return "\n\n".join(_words(rng, words) + "." for _ in range(paragraphs))


def retitled(text: str) -> str:
    """A syndicated copy: a new headline and credit line, the body unchanged."""
    return "Breaking: a new headline for the story\n\n" + text + "\n\n(Agency)"


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


ARCHIVE = [{"id": f"a-{k}", "text": article(k)} for k in range(6)]
BATCH = [
    {"id": "copy-of-a-2", "text": retitled(article(2))},
    {"id": "fresh-1", "text": article(101)},
    {"id": "fresh-2", "text": article(102)},
    {"id": "copy-of-fresh-1", "text": retitled(article(101))},
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free port with a scratch folder, stopped after the session."""
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing in CI: .ci/run should have installed it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="dedup-redis-")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--save", "", "--dir", folder, "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "redis"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty index of each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    url: str = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


def _documents(records: list[dict[str, str]], path: str = "batch.jsonl") -> list[Document]:
    return [
        Document(r["id"], r["text"], path=path, line=n + 1, ordinal=n)
        for n, r in enumerate(records)
    ]


def _archive(url: str) -> None:
    with open_index(url) as index:
        add_documents(index, _documents(ARCHIVE, "archive.jsonl"), workers=1)


def test_archived_texts_are_read_back_only_when_asked_for(tmp_path: Path) -> None:
    # The HTML report shows them beside the batch's; a gate that prints annotations needs none.
    url = str(tmp_path / "archive.db")
    _archive(url)
    with open_index(url) as index:
        shown = check_documents(index, _documents(BATCH), CheckConfig(workers=1))
        quiet = check_documents(
            index, _documents(BATCH), CheckConfig(workers=1, archived_texts=False)
        )
    assert shown.archived_texts == {"a-2": ARCHIVE[2]["text"]}
    assert quiet.archived_texts == {}
    assert [m.archived for m in quiet.archive_matches] == ["a-2"]


def test_add_stats_check_remove(index_url: str) -> None:
    _archive(index_url)
    with open_index(index_url) as index:
        assert index.stats().documents == len(ARCHIVE)
        report = check_documents(index, _documents(BATCH), CheckConfig(workers=1))
        assert [(m.doc, m.archived, m.kind) for m in report.archive_matches] == [
            ("copy-of-a-2", "a-2", "near_duplicate")
        ]
        scores = report.archive_matches[0].scores
        # an obvious copy: decided on shared 3-grams and words, without sentence alignment
        assert scores["jaccard"] >= 0.5 and "sentences_b" not in scores
        # the in-batch copy is a cluster; its later member is a duplicate too
        assert [c.members for c in report.clusters] == [("fresh-1", "copy-of-fresh-1")]
        assert report.duplicates == [0, 3]
        assert index.remove(["a-2", "never-added"]) == 1
        assert index.stats().documents == len(ARCHIVE) - 1
        report = check_documents(index, _documents(BATCH), CheckConfig(workers=1))
        assert report.archive_matches == []
        assert report.duplicates == [3]


def test_readding_an_id_is_idempotent(index_url: str) -> None:
    _archive(index_url)
    with open_index(index_url) as index:
        before = index.fetch(["a-1"])
        again = add_documents(index, _documents(ARCHIVE), workers=1)
        assert (again.written, again.unchanged) == (0, len(ARCHIVE))
        assert index.stats().documents == len(ARCHIVE)
        assert index.fetch(["a-1"]) == before
        # a changed text under the same id replaces the stored one: the old text stops matching
        changed = add_documents(index, _documents([{"id": "a-2", "text": article(202)}]))
        assert (changed.written, changed.unchanged) == (1, 0)
        assert index.stats().documents == len(ARCHIVE)
        assert index.fetch(["a-2"])["a-2"].text == article(202)
        report = check_documents(index, _documents(BATCH), CheckConfig(workers=1))
        assert report.archive_matches == []


def test_frequencies_follow_adds_and_removes(index_url: str, tmp_path: Path) -> None:
    """Removing what was added leaves every per-bin count where it was."""
    _archive(index_url)
    with open_index(index_url) as index:
        bins = __import__("numpy").arange(1 << 22, dtype="int64")[::97]
        counts_before, documents_before = index.frequencies(bins)
        add_documents(index, _documents(BATCH), workers=1)
        assert index.frequencies(bins)[1] == documents_before + len(BATCH)
        index.remove([r["id"] for r in BATCH])
        counts_after, documents_after = index.frequencies(bins)
        assert documents_after == documents_before
        assert counts_after.tolist() == counts_before.tolist()


def test_check_add_adds_only_the_accepted(index_url: str, workdir: Path, invoke: Invoke) -> None:
    _archive(index_url)
    write_jsonl(workdir / "batch.jsonl", BATCH)
    result = invoke("check", "--index", index_url, "batch.jsonl", "--add", "-q")
    assert result.exit_code == 0, result.output
    with open_index(index_url) as index:
        assert index.stats().documents == len(ARCHIVE) + 2
        assert sorted(index.fetch([r["id"] for r in BATCH])) == ["fresh-1", "fresh-2"]


def test_check_add_refuses_ids_made_of_file_and_line(
    index_url: str, workdir: Path, invoke: Invoke
) -> None:
    # CI checks each scrape as data/batch.jsonl: "data/batch.jsonl:1" would be another story in
    # every batch, and each add would replace the last one's, unchecked against it.
    _archive(index_url)
    write_jsonl(workdir / "batch.jsonl", [{"text": r["text"]} for r in BATCH])
    result = invoke("check", "--index", index_url, "batch.jsonl", "--add")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "dedup: error: batch.jsonl:1: no 'id' field: --add stores documents by id, and an id "
        "made of the file and line (batch.jsonl:1) names another document in the next batch "
        "(give each record an id, see --id-field, or check without --add)\n"
    )
    with open_index(index_url) as index:
        assert index.stats().documents == len(ARCHIVE)
    assert invoke("check", "--index", index_url, "batch.jsonl", "-q").exit_code == 0


def test_a_check_without_add_leaves_the_index_file_as_it_is(workdir: Path, invoke: Invoke) -> None:
    # As `index rebuild` leaves it: out of WAL mode, so that a read-only disk can serve it.
    _archive("archive.db")
    with sqlite3.connect("archive.db") as db:
        db.execute("PRAGMA journal_mode=DELETE")
    before = Path("archive.db").read_bytes()
    write_jsonl(workdir / "batch.jsonl", BATCH)
    assert invoke("check", "--index", "archive.db", "batch.jsonl", "-q").exit_code == 0
    assert Path("archive.db").read_bytes() == before
    assert sorted(p.name for p in workdir.iterdir()) == ["archive.db", "batch.jsonl"]


# A copy of a checkpointed document and one of a document committed only to the WAL.
WAL_BATCH = [
    {"id": "copy-of-a-1", "text": retitled(article(1))},
    {"id": "copy-of-a-4", "text": retitled(article(4))},
]


def _killed_writer(folder: Path, checkpointed: int, scratch: Path) -> Path:
    """Leave in ``folder`` what a writer killed after its commits leaves: ``archive.db`` holding
    the first ``checkpointed`` ARCHIVE documents, the others committed only to its -wal file.
    The writer works in ``scratch``; returns its index, closed (and so whole in one file)."""
    scratch.mkdir()
    path = scratch / "archive.db"
    if checkpointed:
        with open_index(str(path)) as index:  # closed: checkpointed into the file, WAL removed
            add_documents(index, _documents(ARCHIVE[:checkpointed], "archive.jsonl"), workers=1)
    with open_index(str(path)) as index:
        add_documents(index, _documents(ARCHIVE[checkpointed:], "archive.jsonl"), workers=1)
        for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
            shutil.copy(scratch / name, folder / name)  # the files as the kill leaves them
    assert (folder / "archive.db-wal").stat().st_size > 0
    return path


def _archived(github_output: str) -> list[str]:
    """The archived documents that ``check --format github`` names."""
    return sorted(line.split(" of archived ")[1].split()[0] for line in github_output.splitlines())


def test_a_check_reads_a_killed_writers_wal_and_leaves_it(
    workdir: Path, invoke: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _killed_writer(workdir, 3, tmp_path_factory.mktemp("writer") / "index")
    files = {name: Path(name).read_bytes() for name in ("archive.db", "archive.db-wal")}
    write_jsonl(workdir / "batch.jsonl", WAL_BATCH)
    stats = invoke("index", "stats", "archive.db")
    assert f"documents: {len(ARCHIVE)}" in stats.stdout.splitlines()
    checked = invoke("check", "--index", "archive.db", "batch.jsonl", "--format", "github")
    assert (checked.exit_code, _archived(checked.stdout)) == (0, ["a-1", "a-4"])
    # Not checkpointed into the file, the WAL not removed: that is a writer's to do.
    assert sorted(p.name for p in workdir.iterdir()) == [
        "archive.db",
        "archive.db-shm",
        "archive.db-wal",
        "batch.jsonl",
    ]
    assert {name: Path(name).read_bytes() for name in files} == files


@pytest.fixture
def read_only_folder() -> Iterator[Path]:
    """An empty folder that every user may enter (SQLite opens files by their absolute path,
    and the pytest folders are the owner's only); _without_write_access takes write away."""
    folder = Path(tempfile.mkdtemp(prefix="dedup-read-only-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _without_write_access(folder: Path, *commands: tuple[str, ...]) -> list[list[object]]:
    """Exit code, stdout and stderr of each ``dedup`` command run in ``folder`` by a process
    that cannot write there (the folder 0555, its files 0444; as root, whom modes do not stop,
    the process also turns into nobody). It is a fork of this one: run the commands here once
    first, so that nothing is left to import from where nobody may not read."""
    for file in folder.iterdir():
        file.chmod(0o444)
    folder.chmod(0o555)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            os.chdir(folder)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
            results = []
            for command in commands:
                result = CliRunner().invoke(cli, list(command), prog_name="dedup")
                results.append([result.exit_code, result.stdout, result.stderr])
            os.write(write, orjson.dumps(results))
            os._exit(0)
        except BaseException:
            os.write(write, orjson.dumps(traceback.format_exc()))
            os._exit(1)
    try:
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            answer = orjson.loads(pipe.read())
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, answer
        assert isinstance(answer, list)
        return answer
    finally:
        folder.chmod(0o755)


def _load_commands(invoke: Invoke, index: Path, batch: Path) -> None:
    """Run `index stats` and `check` once in this process (on another index), so that
    _without_write_access forks a process with their modules and kernels loaded."""
    assert invoke("index", "stats", str(index)).exit_code == 0
    assert invoke("check", "--index", str(index), str(batch), "-q").exit_code == 0


@pytest.mark.parametrize("checkpointed", [0, 3])
def test_a_killed_writers_wal_is_read_where_nothing_can_be_written(
    read_only_folder: Path, tmp_path: Path, invoke: Invoke, checkpointed: int
) -> None:
    writer = _killed_writer(read_only_folder, checkpointed, tmp_path / "writer")
    batch = write_jsonl(read_only_folder / "batch.jsonl", WAL_BATCH)
    _load_commands(invoke, writer, batch)
    files = {file.name: file.read_bytes() for file in read_only_folder.iterdir()}
    [(stats_code, stats_out, _), (check_code, check_out, check_err)] = _without_write_access(
        read_only_folder,
        ("index", "stats", "archive.db"),
        ("check", "--index", "archive.db", "batch.jsonl", "--format", "github"),
    )
    assert stats_code == 0 and f"documents: {len(ARCHIVE)}" in str(stats_out).splitlines()
    assert (check_code, _archived(str(check_out)), check_err) == (0, ["a-1", "a-4"], "")
    assert {file.name: file.read_bytes() for file in read_only_folder.iterdir()} == files


def test_a_wal_that_cannot_be_read_where_nothing_can_be_written_is_refused(
    read_only_folder: Path, tmp_path: Path, invoke: Invoke
) -> None:
    writer = _killed_writer(read_only_folder, 3, tmp_path / "writer")
    (read_only_folder / "archive.db-shm").unlink()  # SQLite reads the WAL through it
    _load_commands(invoke, writer, write_jsonl(read_only_folder / "batch.jsonl", WAL_BATCH))
    message = (
        "dedup: error: archive.db: batches committed to archive.db-wal are not in archive.db "
        "yet, and without archive.db-shm they cannot be read where nothing can be written: "
        "copy archive.db and archive.db-wal to a folder that can be written and read them "
        "there\n"
    )
    assert _without_write_access(
        read_only_folder,
        ("index", "stats", "archive.db"),
        ("check", "--index", "archive.db", "batch.jsonl", "-q"),
    ) == [[2, "", message], [2, "", message]]


def test_a_batch_of_only_bad_records_checks_as_empty(
    index_url: str, workdir: Path, invoke: Invoke
) -> None:
    _archive(index_url)
    Path("batch.jsonl").write_text('{"id": "q", "text":\n', encoding="utf-8")
    result = invoke("check", "--index", index_url, "batch.jsonl", "--skip-bad", "--add")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "documents read: 0 (skipped 1 bad records)"
    assert result.stdout.splitlines()[-1] == "duplicates: 0 of 0 documents (0.0%)"


def test_reports_are_byte_identical(index_url: str, workdir: Path, invoke: Invoke) -> None:
    _archive(index_url)
    write_jsonl(workdir / "batch.jsonl", BATCH)
    outputs = []
    for run in range(2):
        reports = [f"run{run}.jsonl", f"run{run}.json", f"run{run}.csv"]
        args = ["check", "--index", index_url, "batch.jsonl", "--format", "github"]
        result = invoke(*args, *[a for r in reports for a in ("--report", r)])
        assert result.exit_code == 0
        outputs.append([result.output.encode()] + [(workdir / r).read_bytes() for r in reports])
    assert outputs[0] == outputs[1]
    lines = [orjson.loads(line) for line in outputs[0][1].splitlines()]
    archived = [line for line in lines if line["type"] == "archive_match"]
    assert archived == [
        {
            "type": "archive_match",
            "doc": "copy-of-a-2",
            "archived": "a-2",
            "kind": "near_duplicate",
            "direction": None,
            "scores": archived[0]["scores"],
            "aligned": [
                {"doc": 1, "archived": 0, "score": 1.0},
                {"doc": 2, "archived": 1, "score": 1.0},
                {"doc": 3, "archived": 2, "score": 1.0},
                {"doc": 4, "archived": 3, "score": 1.0},
            ],
            "file": "batch.jsonl",
            "line": 1,
        }
    ]
    assert lines[-1]["archive_matches"] == 1 and lines[-1]["duplicates"] == 2


def test_exit_codes(index_url: str, workdir: Path, invoke: Invoke) -> None:
    _archive(index_url)
    write_jsonl(workdir / "batch.jsonl", BATCH)
    base = ["check", "--index", index_url, "batch.jsonl", "-q"]
    assert invoke(*base, "--max-duplicates", "2").exit_code == 0
    over = invoke(*base, "--max-duplicates", "1")
    assert over.exit_code == 1
    assert over.stderr == "dedup: 2 duplicate documents, over the limit of 1 (--max-duplicates)\n"
    assert invoke(*base, "--max-rate", "0.5").exit_code == 0
    rate = invoke(*base, "--max-rate", "0.25")
    assert rate.exit_code == 1
    assert rate.stderr == (
        "dedup: duplicate rate 0.5 (2 of 4 documents), over the limit of 0.25 (--max-rate)\n"
    )
    missing = invoke("check", "--index", index_url, "absent.jsonl")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("dedup: error: absent.jsonl")
    assert len(missing.stderr.splitlines()) == 1


def test_an_unknown_format_version_is_refused(
    index_url: str, workdir: Path, invoke: Invoke
) -> None:
    import redis

    _archive(index_url)
    if index_url.startswith("redis://"):
        redis.Redis.from_url(index_url).hset("dedup:meta", "format_version", "99")
    else:
        with sqlite3.connect(index_url) as db:
            db.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(BackendError, match="format version 99"):
        open_index(index_url)
    result = invoke("index", "stats", index_url)
    assert result.exit_code == 2
    assert result.stderr == (
        f"dedup: error: {index_url}: index format version 99, this dedup reads version 7: "
        "a newer dedup wrote it: upgrade dedup to read it\n"
    )
    # Versions 1 and 2 stored no texts: nothing to rebuild from.
    if index_url.startswith("redis://"):
        redis.Redis.from_url(index_url).hset("dedup:meta", "format_version", "2")
    else:
        with sqlite3.connect(index_url) as db:
            db.execute("UPDATE meta SET value = '2' WHERE key = 'format_version'")
    assert invoke("index", "stats", index_url).stderr == (
        f"dedup: error: {index_url}: index format version 2, this dedup reads version 7: "
        "add its documents to a new index with `dedup index add`\n"
    )


def test_an_add_of_records_without_ids_warns_that_they_are_stored_by_line(
    workdir: Path, invoke: Invoke
) -> None:
    write_jsonl(workdir / "batch.jsonl", [{"text": r["text"]} for r in ARCHIVE[:3]])
    added = invoke("index", "add", "archive.db", "batch.jsonl")
    assert (added.exit_code, added.stdout) == (
        0,
        "added 3 documents to archive.db (0 unchanged); 3 documents in the index\n",
    )
    assert added.stderr == (
        "dedup: warning: 3 records had no 'id' field and are stored by file and line "
        "(batch.jsonl:1, …): a later add of another file of that name replaces them, and "
        "`dedup check --add` refuses such records (see --id-field)\n"
    )
    write_jsonl(workdir / "ided.jsonl", ARCHIVE[3:])
    assert invoke("index", "add", "archive.db", "ided.jsonl").stderr == ""


def test_a_full_redis_is_one_line_without_the_command(
    redis_url: str, workdir: Path, invoke: Invoke
) -> None:
    # Redis quotes the pipelined command that failed: compressed text, ids. Only its error shows.
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", str(used + 200_000))
    try:
        records = [{"id": f"big-{k}", "text": article(1000 + k, 8, 80)} for k in range(300)]
        write_jsonl(workdir / "big.jsonl", records)
        full = invoke("index", "add", redis_url, "big.jsonl")
        assert full.exit_code == 2
        assert full.stderr == (
            f"dedup: error: {redis_url}: command not allowed when used memory > 'maxmemory'.\n"
        )
        assert len(full.stderr.splitlines()) == 1 and "pipeline" not in full.stderr
        # Where a pipelined command fails, redis-py quotes it, bytes and all.
        from dedup.index.redis import _one_line

        pipe = client.pipeline(transaction=False)
        for _ in range(50):
            pipe.rpush(b"dedup:cl", b"\x28\xb5\x2f\xfd\n" * 20_000)
        with pytest.raises(redis.RedisError) as raised:
            pipe.execute()
        assert "of pipeline caused error" in str(raised.value)
        assert _one_line(raised.value) == "command not allowed when used memory > 'maxmemory'."
    finally:
        client.config_set("maxmemory", "0")
        client.flushdb()


def test_a_redis_password_is_never_shown(redis_url: str, workdir: Path, invoke: Invoke) -> None:
    # CI logs keep what a job prints: the password in an index URL is shown as ***.
    import redis

    client = redis.Redis.from_url(redis_url)
    client.acl_setuser("ci", enabled=True, passwords=["+sekret"], keys=["*"], commands=["+@all"])
    try:
        host = redis_url.removeprefix("redis://")
        url, shown = f"redis://ci:sekret@{host}?prefix=pw:", f"redis://ci:***@{host}?prefix=pw:"
        write_jsonl(workdir / "archive.jsonl", ARCHIVE)
        added = invoke("index", "add", url, "archive.jsonl")
        assert (
            added.stdout
            == f"added 6 documents to {shown} (0 unchanged); 6 documents in the index\n"
        )
        stats = invoke("index", "stats", url, "--json")
        assert orjson.loads(stats.stdout)["url"] == shown
        wrong = invoke("index", "stats", url.replace("sekret", "wrong"))
        assert wrong.exit_code == 2
        assert wrong.stderr.startswith(f"dedup: error: {shown}: ")
        everything = added.output + stats.output + wrong.output
        assert "sekret" not in everything and "wrong" not in everything
        # redis-py reads a password from the query too, as a socket's URL must give it
        in_query = f"redis://{host}?username=ci&password=sekret&prefix=pw:"
        stats = invoke("index", "stats", in_query, "--json")
        assert orjson.loads(stats.stdout)["url"] == (
            f"redis://{host}?username=ci&password=***&prefix=pw:"
        )
    finally:
        client.acl_deluser("ci")
        client.flushdb()


def test_index_commands(index_url: str, workdir: Path, invoke: Invoke) -> None:
    write_jsonl(workdir / "archive.jsonl", ARCHIVE)
    added = invoke("index", "add", index_url, "archive.jsonl")
    assert added.exit_code == 0
    assert (
        added.stdout
        == f"added 6 documents to {index_url} (0 unchanged); 6 documents in the index\n"
    )
    again = invoke("index", "add", index_url, "archive.jsonl")
    assert (
        again.stdout
        == f"added 0 documents to {index_url} (6 unchanged); 6 documents in the index\n"
    )
    removed = invoke("index", "remove", index_url, "a-1", "a-9")
    assert removed.stdout == "removed 1 documents (1 not found); 5 documents in the index\n"
    stats = orjson.loads(invoke("index", "stats", index_url, "--json").stdout)
    assert stats["documents"] == 5 and stats["format_version"] == 7


def test_github_format_exact_output(index_url: str, workdir: Path, invoke: Invoke) -> None:
    _archive(index_url)
    lead = article(300, paragraphs=1)
    records = [
        {"id": "same", "text": article(3)},
        {"id": "echo", "text": f"{lead}\n\n{article(301, paragraphs=1)}\n\n{lead}"},
        # Plainly a copy by its 3-grams: sentences were not aligned, and are not quoted.
        {"id": "retitled", "text": retitled(article(4))},
    ]
    write_jsonl(workdir / "new, batch.jsonl", records)
    result = invoke("check", "--index", index_url, "new, batch.jsonl", "--format", "github")
    assert result.exit_code == 0
    assert result.stdout == (
        "::warning file=new%2C batch.jsonl,line=2,title=repeated paragraph::"
        "echo: paragraph 2 repeats paragraph 0 (exact)\n"
        "::warning file=new%2C batch.jsonl,line=1,title=archive near-duplicate::"
        "same is a near-duplicate of archived a-3 (rare words 1.00, sentences 1.00)\n"
        "::warning file=new%2C batch.jsonl,line=3,title=archive near-duplicate::"
        "retitled is a near-duplicate of archived a-4 (rare words 1.00)\n"
    )


def test_an_unknown_scheme_is_a_usage_error(workdir: Path, invoke: Invoke) -> None:
    result = invoke("index", "stats", "ftp://host/archive")
    assert result.exit_code == 2
    assert result.stderr == (
        "dedup: error: ftp://host/archive: unknown index URL scheme 'ftp': "
        "use a path, sqlite:/// or redis://\n"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "sqlite://archive.db",
            "sqlite://archive.db: a SQLite URL names its file after three slashes: "
            "sqlite:///archive.db, or sqlite:////absolute/path.db",
        ),
        (
            "redis://localhost:abc/0",
            "redis://localhost:abc/0: not a Redis URL (Port could not be cast to integer "
            "value as 'abc')",
        ),
        (
            "redis://localhost:6379/abc",
            "redis://localhost:6379/abc: the database is a number, as in redis://host:6379/0",
        ),
    ],
)
def test_a_malformed_index_url_is_one_line(
    workdir: Path, invoke: Invoke, url: str, message: str
) -> None:
    result = invoke("index", "add", url, "nothing.jsonl")
    assert (result.exit_code, result.stderr) == (2, f"dedup: error: {message}\n")
    assert list(workdir.iterdir()) == []


def test_commands_that_only_read_write_nothing(
    index_url: str, workdir: Path, invoke: Invoke
) -> None:
    write_jsonl(workdir / "batch.jsonl", [{"id": "b-1", "text": article(1)}])
    empty = workdir / "empty.db"
    empty.write_bytes(b"")
    stats = invoke("index", "stats", str(empty))
    assert (stats.exit_code, stats.stderr) == (
        2,
        f"dedup: error: {empty}: no index there (create one with `dedup index add`)\n",
    )
    assert empty.read_bytes() == b""
    checked = invoke("check", "--index", index_url, "batch.jsonl", "-q")
    assert checked.exit_code == 0
    assert not _index_exists(index_url)


def _index_exists(url: str) -> bool:
    if url.startswith("redis://"):
        import redis

        return bool(redis.Redis.from_url(url).dbsize())
    return Path(url).exists()


def test_a_failed_first_add_leaves_an_empty_file_of_the_users_empty(
    workdir: Path, invoke: Invoke
) -> None:
    Path("archive.db").write_bytes(b"")
    Path("bad.jsonl").write_bytes(b'{"id": "2", "text": broken}\n')
    assert invoke("index", "add", "archive.db", "bad.jsonl").exit_code == 2
    assert sorted(p.name for p in workdir.iterdir()) == ["archive.db", "bad.jsonl"]
    assert Path("archive.db").read_bytes() == b""


def test_a_new_index_is_dropped_only_while_it_holds_no_document(index_url: str) -> None:
    with open_index(index_url) as index:
        assert index.created
        assert index.drop_if_empty()
    assert not _index_exists(index_url)
    with open_index(index_url) as index:  # a first add that committed a batch, then failed
        add_documents(index, _documents(ARCHIVE[:2]), workers=1)
        assert not index.drop_if_empty()
    with open_index(index_url, create=False) as index:
        assert (index.created, index.stats().documents) == (False, 2)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("text", "a stored text is damaged (error determining content size from frame header)"),
        ("signature", "a stored signature is damaged"),
    ],
)
def test_a_damaged_index_is_one_line(
    workdir: Path, invoke: Invoke, column: str, message: str
) -> None:
    _archive("archive.db")
    with sqlite3.connect("archive.db") as db:
        db.execute(f"UPDATE documents SET {column} = x'00112233'")
    write_jsonl(workdir / "batch.jsonl", BATCH)
    result = invoke("check", "--index", "archive.db", "batch.jsonl")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"dedup: error: archive.db: {message}\n",
    )


def test_dropping_a_new_redis_index_leaves_other_prefixes_alone(
    redis_url: str, workdir: Path, invoke: Invoke
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    staging = f"{redis_url}?prefix=ci:staging:"
    _archive(staging)
    keys = sorted(client.keys())
    Path("bad.jsonl").write_bytes(b'{"id": "2", "text": broken}\n')
    failed = invoke("index", "add", f"{redis_url}?prefix=ci:", "bad.jsonl")
    assert failed.exit_code == 2
    assert sorted(client.keys()) == keys
    with open_index(staging, create=False) as index:
        assert index.stats().documents == len(ARCHIVE)


def test_a_malformed_sqlite_file_is_one_line(workdir: Path, invoke: Invoke) -> None:
    records = [{"id": str(k), "text": article(500 + k, paragraphs=3)} for k in range(200)]
    write_jsonl(workdir / "archive.jsonl", records)
    assert invoke("index", "add", "archive.db", "archive.jsonl").exit_code == 0
    with open("archive.db", "r+b") as handle:  # pages past the schema overwritten
        handle.seek(8192)
        handle.write(b"\xff" * 200_000)
    for command in (
        ["index", "stats", "archive.db"],
        ["check", "--index", "archive.db", "archive.jsonl"],
    ):
        result = invoke(*command)
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            "dedup: error: archive.db: SQLite error: database disk image is malformed\n",
        )


def _big_corpus(path: Path, count: int, start: int = 0) -> list[dict[str, str]]:
    records = [
        {"id": f"d{k:05d}", "text": article(10_000 + k, paragraphs=2, words=25)}
        for k in range(start, start + count)
    ]
    write_jsonl(path, records)
    return records


def _dedup(*args: str) -> list[str]:
    return [sys.executable, "-m", "dedup", *args]


def test_concurrent_adders_lose_nothing(index_url: str, tmp_path: Path) -> None:
    first = _big_corpus(tmp_path / "first.jsonl", 300)
    second = _big_corpus(tmp_path / "second.jsonl", 300, start=300)
    with open_index(index_url):  # create it first, as a CI job would
        pass
    writers = [
        subprocess.Popen(
            _dedup("index", "add", index_url, str(path), "--batch-size", "5"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for path in (tmp_path / "first.jsonl", tmp_path / "second.jsonl")
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=300)
        assert writer.returncode == 0, stderr.decode()
    ids = [r["id"] for r in first + second]
    with open_index(index_url) as index:
        assert index.stats().documents == len(ids)
        assert sorted(index.fetch(ids)) == ids


def test_a_killed_add_leaves_whole_batches_and_resumes(tmp_path: Path) -> None:
    records = _big_corpus(tmp_path / "big.jsonl", 4000)
    path = tmp_path / "archive.db"
    writer = subprocess.Popen(
        _dedup("index", "add", str(path), str(tmp_path / "big.jsonl"), "--batch-size", "3"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its digest workers die with it
    )
    committed = 0
    deadline = time.monotonic() + 120
    while committed < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            with sqlite3.connect(path, timeout=5) as db:
                committed = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        except sqlite3.OperationalError:
            continue
    os.killpg(writer.pid, signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL, "the add finished before it could be killed"
    with open_index(str(path)) as index:
        count = index.stats().documents
        assert 30 <= count < len(records)
        # batches commit in input order: what is there is a prefix of the input, texts intact
        ids = [r["id"] for r in records]
        present = index.fetch(ids)
        assert sorted(present) == ids[:count]
        assert all(present[r["id"]].text == r["text"] for r in records[:count])
        result = add(index, [str(tmp_path / "big.jsonl")], batch_size=50)
        assert (result.written, result.unchanged) == (len(records) - count, count)
        assert index.stats().documents == len(records)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(DISTINCT id) FROM documents").fetchone()[0] == len(records)
        stored = [
            Segment.decode(blob, "test") for (blob,) in db.execute("SELECT postings FROM segments")
        ]
        numbers = np.concatenate([segment.numbers for segment in stored])
        # every document's band keys exactly once: no postings left behind by the killed add
        assert sorted(numbers.tolist()) == sorted(
            n for (n,) in db.execute("SELECT number FROM documents")
        )
        assert sum(segment.keys.shape[0] * segment.keys.shape[1] for segment in stored) == 64 * len(
            records
        )
        resumed = db.execute("SELECT bin, count FROM frequencies WHERE count != 0").fetchall()
    clean = tmp_path / "clean.db"
    with open_index(str(clean)) as index:
        add(index, [str(tmp_path / "big.jsonl")])
    with sqlite3.connect(clean) as db:
        assert (
            resumed == db.execute("SELECT bin, count FROM frequencies WHERE count != 0").fetchall()
        )


def test_entries_take_their_bins_from_the_digest_as_a_fresh_analysis_would() -> None:
    from dedup.config import ScanConfig
    from dedup.digest import digest_batch
    from dedup.index.base import bins_of, entries_of

    batch = _documents(ARCHIVE)
    entries = entries_of(batch, digest_batch(batch, ScanConfig(shingle_bins=True)))
    for document, entry in zip(batch, entries, strict=True):
        word_bins, shingle_bins = bins_of(document.text)
        assert np.array_equal(entry.word_bins, word_bins)
        assert np.array_equal(entry.shingle_bins, shingle_bins)
        assert len(shingle_bins) > 0
    with pytest.raises(ValueError, match="holds no 3-gram bins"):
        entries_of(batch, digest_batch(batch, ScanConfig()))


def test_verification_on_several_workers_gives_the_same_matches(
    index_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked verifiers open their own connections and find exactly what one process finds."""
    import dedup.check

    _archive(index_url)
    batch = _documents([*BATCH, *({"id": f"again-{r['id']}", "text": r["text"]} for r in ARCHIVE)])
    with open_index(index_url) as index:
        alone = check_documents(index, batch, CheckConfig(workers=1)).archive_matches
        monkeypatch.setattr(dedup.check, "_PAIRS_PER_TASK", 1)
        shared = check_documents(index, batch, CheckConfig(workers=2)).archive_matches
    assert len(alone) == 1 + len(ARCHIVE)  # the retitled copy and every exact copy
    assert shared == alone


def test_one_shared_document_band_needs_agreeing_signatures(index_url: str) -> None:
    """As in scan: two signatures sharing one band of two rows and little else are no pair."""
    from dedup.index.base import ArchiveEntry
    from dedup.lsh import band_key_matrix

    rng = np.random.default_rng(5)
    query = rng.integers(0, 2**32 - 1, size=(1, 128), dtype=np.uint32)
    weak = rng.integers(0, 2**32 - 1, size=128, dtype=np.uint32)
    weak[:2] = query[0, :2]  # the first band only
    strong = weak.copy()
    strong[2:20] = query[0, 2:20]  # the first band and 18 more values: 20 of 128 agree
    entries = [
        ArchiveEntry(
            name,
            "text",
            None,
            None,
            0,
            50,
            signature,
            np.empty((0, 16), np.uint64),
            np.empty(0, np.int32),
            np.empty(0, np.int32),
        )
        for name, signature in (("weak", weak), ("strong", strong))
    ]
    keys = band_key_matrix(query, 64, 2)
    no_paragraphs = (np.empty((0, 16), np.uint64), np.empty(0, np.int64))
    with open_index(index_url) as index:
        index.add(entries)
        assert index.candidates(keys, *no_paragraphs) == [(0, "strong"), (0, "weak")]
        assert index.candidates(keys, *no_paragraphs, None, query, 0.1) == [(0, "strong")]


def _expected_counts(texts: list[str]) -> np.ndarray:
    from dedup.commonness import ARCHIVE_BITS
    from dedup.index.base import bins_of

    table = np.zeros(1 << ARCHIVE_BITS, dtype=np.int64)
    for text in texts:
        table[bins_of(text)[1]] += 1
    return np.minimum(table, 255).astype(np.uint8)


@pytest.mark.parametrize("fold_after", [None, 1000])
def test_the_3gram_counts_follow_adds_replacements_and_removals(
    index_url: str, fold_after: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fold_after is not None:  # fold the log into the base table on nearly every write
        monkeypatch.setattr("dedup.index.sqlite.FOLD_CHANGES", fold_after)
        monkeypatch.setattr("dedup.index.redis.FOLD_CHANGES", fold_after)
    texts = {r["id"]: r["text"] for r in ARCHIVE}
    with open_index(index_url) as index:
        assert not index.shingle_counts().any()
        for start in (0, 3):  # two batches: two log entries, or a fold
            add_documents(index, _documents(ARCHIVE[start : start + 3]), workers=1)
        assert np.array_equal(index.shingle_counts(), _expected_counts(list(texts.values())))
        edited = {"id": "a-1", "text": retitled(article(77))}
        add_documents(index, _documents([edited]), workers=1)
        texts["a-1"] = edited["text"]
        assert np.array_equal(index.shingle_counts(), _expected_counts(list(texts.values())))
        index.remove(["a-0", "a-4"])
        del texts["a-0"], texts["a-4"]
        assert np.array_equal(index.shingle_counts(), _expected_counts(list(texts.values())))
        index.remove(list(texts))
        assert not index.shingle_counts().any()
    if fold_after is not None and not index_url.startswith("redis://"):
        with sqlite3.connect(index_url) as db:
            assert db.execute("SELECT part FROM shingle_counts").fetchall() == [(0,)]


def test_a_check_tells_a_formula_from_a_copy_as_a_scan_does(index_url: str) -> None:
    """The archive's 3-gram counts keep a new formula cable from matching the archived cables,
    as they keep cables apart in a scan; a new copy of a widely carried story still matches."""
    documents = formula_corpus(cables=40, outlets=30)
    batch = [d for d in documents if d.id in ("cable-39", "story-29")]
    with open_index(index_url) as index:
        add_documents(index, [d for d in documents if d not in batch], workers=1)
        report = check_documents(index, batch, CheckConfig(workers=1))
        linked = {(m.doc, m.archived.split("-")[0]) for m in report.archive_matches}
        assert linked == {("story-29", "story")}
        assert len(report.archive_matches) == 29
        # Without the formula check the cable matches archived cables: the counts decide.
        unchecked = ScanConfig(matches=MatchConfig(template_df=1000))
        report = check_documents(index, batch, CheckConfig(scan=unchecked, workers=1))
        assert ("cable-39", "cable") in {
            (m.doc, m.archived.split("-")[0]) for m in report.archive_matches
        }


@given(
    st.lists(st.sets(st.integers(0, 60), max_size=8), max_size=6),
    st.lists(st.sets(st.integers(0, 60), max_size=8), max_size=3),
)
def test_bin_deltas_are_the_net_count_per_bin(
    added: list[set[int]], removed: list[set[int]]
) -> None:
    from dedup.index.base import bin_deltas

    bins, deltas = bin_deltas(
        [np.array(sorted(b), np.int32) for b in added],
        [np.array(sorted(b), np.int32) for b in removed],
    )
    expected = Counter(v for b in added for v in b)
    expected.subtract(v for b in removed for v in b)
    assert bins.tolist() == sorted(bins.tolist())
    assert dict(zip(bins.tolist(), deltas.tolist(), strict=True)) == {
        v: n for v, n in expected.items() if n
    }


def test_damaged_3gram_counts_are_an_index_error(tmp_path: Path, invoke: Invoke) -> None:
    url = str(tmp_path / "archive.db")
    _archive(url)
    with sqlite3.connect(url) as db:
        db.execute("UPDATE shingle_counts SET data = x'00ff' WHERE part = 1")
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in BATCH))
    result = invoke("check", "--index", url, str(batch))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"dedup: error: {url}: the 3-gram count log is damaged (")
    assert result.stderr.count("\n") == 1


def test_a_redis_add_is_not_failed_by_a_fold_of_a_damaged_log(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    with open_index(redis_url) as index:
        add_documents(index, _documents(ARCHIVE[:4]), workers=1)
        assert client.llen("dedup:cl") == 1
        client.lset("dedup:cl", 0, b"junk")
        monkeypatch.setattr("dedup.index.redis.FOLD_CHANGES", 10)  # the next add folds
        # The batch is stored: the fold that fails on the damaged entry leaves it for later.
        assert add_documents(index, _documents(ARCHIVE[4:]), workers=1).written == 2
        assert index.stats().documents == len(ARCHIVE)
        assert client.llen("dedup:cl") == 2
        with pytest.raises(BackendError, match="3-gram count log is damaged"):
            index.shingle_counts()


def test_a_redis_fold_keeps_what_another_writer_logs_meanwhile(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    import dedup.index.redis as backend
    from dedup.index.counts import encode_changes

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    late = np.array([5, 6], np.int64)
    fold = backend.folded

    def folded_while_another_writer_logs(*args: object) -> tuple[np.ndarray, int]:
        client.rpush("dedup:cl", encode_changes(late, np.ones(2, np.int64)))
        client.incrby("dedup:cn", 2)
        return fold(*args)  # type: ignore[arg-type]

    with open_index(redis_url) as index:
        add_documents(index, _documents(ARCHIVE[:3]), workers=1)
        monkeypatch.setattr(backend, "FOLD_CHANGES", 10)
        monkeypatch.setattr(backend, "folded", folded_while_another_writer_logs)
        add_documents(index, _documents(ARCHIVE[3:]), workers=1)
        monkeypatch.setattr(backend, "folded", fold)
        assert client.llen("dedup:cl") == 1  # the entry logged during the fold stays
        assert int(client.get("dedup:cn")) == 2
        expected = _expected_counts([r["text"] for r in ARCHIVE])
        expected[late] += 1
        assert np.array_equal(index.shingle_counts(), expected)


def _as_older_version(url: str, version: str) -> None:
    """Make ``url`` look as dedup's format ``version`` left it (version 3: no 3-gram counts)."""
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        if version == "3":
            client.delete("dedup:cb", "dedup:cl", "dedup:cn")
        client.hset("dedup:meta", "format_version", version)
    else:
        with sqlite3.connect(url) as db:
            if version == "3":
                db.execute("DROP TABLE shingle_counts")
            db.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (version,))


def _stored(url: str) -> list[tuple[str, str, str | None, str | None, int, int]]:
    with open_index(url, create=False, to_rebuild=True) as index:
        return [
            (d.id, d.text, d.source, d.date, d.exact_key, d.tokens)
            for batch in index.stored_documents(4)
            for d in batch
        ]


def _flush_unless_in_use(index_url: str, redis_url: str) -> None:
    """Empty the Redis database when ``index_url`` is not in it (its fixture emptied it)."""
    import redis

    if not index_url.startswith("redis://"):
        redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.parametrize("version", ["3", "4", "5", "6"])
def test_an_older_index_is_rebuilt_to_what_a_fresh_add_gives(
    index_url: str, version: str, workdir: Path, invoke: Invoke, redis_url: str
) -> None:
    _flush_unless_in_use(index_url, redis_url)
    _archive(index_url)
    _as_older_version(index_url, version)
    refused = invoke("index", "recount", index_url)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"dedup: error: {index_url}: index format version {version}, this dedup reads "
        "version 7: rebuild it into a new index with `dedup index rebuild OLD NEW`\n"
    )
    stats = invoke("index", "stats", index_url, "--json")
    assert stats.exit_code == 0, stats.stderr
    assert orjson.loads(stats.stdout)["format_version"] == int(version)
    fresh = str(workdir / "fresh.db")
    _archive(fresh)
    for new in (str(workdir / "rebuilt.db"), f"{redis_url}?prefix=rebuilt:"):
        result = invoke("index", "rebuild", index_url, new, "--batch-size", "4")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == (
            f"rebuilt {len(ARCHIVE)} documents from {index_url} into {new} (format version 7)\n"
        )
        assert _stored(new) == _stored(fresh)
        with open_index(new, create=False) as rebuilt, open_index(fresh) as added:
            assert rebuilt.stats().format_version == 7
            assert np.array_equal(rebuilt.shingle_counts(), added.shingle_counts())
            bins = np.arange(1 << 12, dtype=np.int64)
            assert np.array_equal(rebuilt.frequencies(bins)[0], added.frequencies(bins)[0])
            report = check_documents(rebuilt, _documents(BATCH), CheckConfig(workers=1))
            assert [(m.doc, m.archived, m.kind) for m in report.archive_matches] == [
                ("copy-of-a-2", "a-2", "near_duplicate")
            ]
    with open_index(index_url, create=False, to_rebuild=True) as old:  # only read
        assert old.stats().format_version == int(version)


def test_a_rebuild_into_an_existing_index_is_refused(
    index_url: str, workdir: Path, invoke: Invoke
) -> None:
    _archive(index_url)
    taken = str(workdir / "taken.db")
    _archive(taken)
    result = invoke("index", "rebuild", index_url, taken)
    assert result.exit_code == 2
    assert result.stderr == f"dedup: error: {taken}: already exists; rebuild into a new file\n"
    result = invoke("index", "rebuild", taken, index_url)
    assert result.exit_code == 2
    assert result.stderr == (
        f"dedup: error: {index_url}: already holds an index; rebuild into a new one\n"
        if index_url.startswith("redis://")
        else f"dedup: error: {index_url}: already exists; rebuild into a new file\n"
    )
    nowhere = invoke("index", "rebuild", index_url, "no/such/folder/n.db")
    assert nowhere.exit_code == 2
    assert nowhere.stderr == (
        "dedup: error: no/such/folder/n.db: the folder to write it in does not exist\n"
    )
    missing = invoke("index", "rebuild", str(workdir / "missing.db"), str(workdir / "n.db"))
    assert missing.exit_code == 2
    assert "no index there" in missing.stderr
    assert not (workdir / "n.db").exists()


def test_a_failed_rebuild_leaves_no_new_index(
    index_url: str, workdir: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    import redis

    from dedup import rebuild as rebuild_module
    from dedup.rebuild import rebuild

    _flush_unless_in_use(index_url, redis_url)
    _archive(index_url)
    client = redis.Redis.from_url(redis_url)
    before = sorted(client.keys())
    files = sorted(p.name for p in workdir.iterdir())
    stored = _stored(index_url)
    assert [d[:2] for d in stored] == [(r["id"], r["text"]) for r in ARCHIVE]
    original = rebuild_module.add_documents

    def fails_after_a_batch(index, documents, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(index, list(documents)[:4], *args, **kwargs)
        assert index.stats().documents == 4  # something was written before the failure
        raise KeyboardInterrupt

    monkeypatch.setattr(rebuild_module, "add_documents", fails_after_a_batch)
    for new in (str(workdir / "rebuilt.db"), f"{redis_url}?prefix=rebuilt:"):
        with pytest.raises(KeyboardInterrupt):
            rebuild(index_url, new, batch_size=2, workers=1)
        assert sorted(p.name for p in workdir.iterdir()) == files
        assert sorted(client.keys()) == before
    assert _stored(index_url) == stored  # the old index is only read


def test_recount_repairs_damaged_counts(tmp_path: Path, invoke: Invoke) -> None:
    url = str(tmp_path / "archive.db")
    _archive(url)
    with sqlite3.connect(url) as db:
        db.execute("UPDATE shingle_counts SET data = x'00ff'")
    with open_index(url) as index, pytest.raises(BackendError, match="damaged"):
        index.shingle_counts()
    assert invoke("index", "recount", url).exit_code == 0
    with open_index(url) as index:
        assert np.array_equal(
            index.shingle_counts(), _expected_counts([r["text"] for r in ARCHIVE])
        )


def test_a_check_within_small_profile_budgets_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = formula_corpus(cables=20, outlets=30)
    batch = [d for d in documents if d.id in ("cable-19", "story-29", "story-28")]
    with open_index(str(tmp_path / "archive.db")) as index:
        add_documents(index, [d for d in documents if d not in batch], workers=1)
        default = check_documents(index, batch, CheckConfig(workers=1))
        # A profile or two in each cache, verified a pair or two at a time.
        monkeypatch.setattr("dedup.profile_cache.PROFILE_CHARS", 4000)
        small = check_documents(index, batch, CheckConfig(workers=1))
    assert len(default.archive_matches) > 30
    assert [m.to_dict() for m in small.archive_matches] == [
        m.to_dict() for m in default.archive_matches
    ]


def test_a_rebuild_never_replaces_a_file_that_appears_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dedup import rebuild as rebuild_module

    old, new = str(tmp_path / "old.db"), tmp_path / "new.db"
    _archive(old)
    copy = rebuild_module._copy

    def another_writer_comes_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = copy(*args, **kwargs)
        new.write_bytes(b"someone else's")
        return result

    monkeypatch.setattr(rebuild_module, "_copy", another_writer_comes_first)
    with pytest.raises(ConfigError, match="appeared while the index was rebuilt"):
        rebuild_module.rebuild(old, str(new), workers=1)
    assert new.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db", "old.db"]


def test_redis_keys_of_an_index_without_its_metadata_are_refused(
    redis_url: str, workdir: Path, invoke: Invoke
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.set("left:next", 5)  # what an interrupted drop can leave
    write_jsonl(workdir / "batch.jsonl", BATCH)
    result = invoke("index", "add", f"{redis_url}?prefix=left:", "batch.jsonl")
    assert result.exit_code == 2
    assert result.stderr == (
        f"dedup: error: {redis_url}?prefix=left:: holds keys of an index without its metadata "
        "(an interrupted rebuild?): delete the keys under 'left:' first\n"
    )
    assert client.keys() == [b"left:next"]


def test_stored_documents_include_those_replaced_while_they_are_read(index_url: str) -> None:
    _archive(index_url)
    with open_index(index_url) as index:
        batches = index.stored_documents(2)
        first = next(batches)
        add_documents(index, [Document("a-0", "a new text for a-0", ordinal=0)], workers=1)
        read = [d.id for d in first] + [d.id for batch in batches for d in batch]
    assert read[:2] == ["a-0", "a-1"]
    assert sorted(set(read)) == sorted(r["id"] for r in ARCHIVE)
    assert read[-1] == "a-0"  # the replacement, read at its new number


def test_a_rebuilt_file_has_the_mode_of_any_new_file(tmp_path: Path, invoke: Invoke) -> None:
    old, new, plain = tmp_path / "old.db", tmp_path / "new.db", tmp_path / "plain"
    _archive(str(old))
    plain.write_bytes(b"")
    assert invoke("index", "rebuild", str(old), str(new)).exit_code == 0
    assert new.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
