"""Documents' dates: parsed as instants for --keep earliest, a cluster's earliest and --window."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from conftest import Invoke
from texts import EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD, doc

from dedup.dates import parse_date, within_window

STORY = doc(EN_HEAD, EN_LEAD, EN_OTHER, EN_THIRD)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2024-03-05", 1709596800.0),
        ("2024-3-5", 1709596800.0),
        ("2024/03/05", 1709596800.0),
        ("2024-03-05 10:00", 1709632800.0),
        ("2024-03-05T10:00:00Z", 1709632800.0),
        ("2024-03-05T13:00:00+03:00", 1709632800.0),
        ("2024-3-5 13:00 +0300", 1709632800.0),
        (" 2015-07-21 02:47:48 ", 1437446868.0),
    ],
)
def test_dates_are_read_as_instants(value: str, seconds: float) -> None:
    assert parse_date(value) == seconds


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-13-01",
        "05/03/2024",
        "2024-03",
        "",
        "2024-03-05T10:00+24:00",  # no clock is 24 hours off
        "2024-3-5 10:00 +2500",
    ],
)
def test_what_is_no_date(value: str) -> None:
    assert parse_date(value) is None


def test_within_window_counts_time_and_lets_unknown_dates_in() -> None:
    day = 86400.0
    assert within_window(0.0, 3 * day, 3)
    assert not within_window(0.0, 3.5 * day, 3)
    assert within_window(0.0, float("nan"), 3)
    assert within_window(0.0, 100 * day, None)


def _write(rows: list[dict[str, str]]) -> None:
    Path("news.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def _clusters(invoke: Invoke, *options: str) -> list[tuple[str, list[str], str | None]]:
    result = invoke("scan", "news.jsonl", "-q", "--report", "r.jsonl", *options)
    assert result.exit_code == 0, result.stderr
    findings = [orjson.loads(line) for line in Path("r.jsonl").read_bytes().splitlines()]
    return [(f["keep"], f["members"], f["earliest"]) for f in findings if f["type"] == "cluster"]


def test_earliest_compares_dates_not_strings(workdir: Path, invoke: Invoke) -> None:
    _write(
        [
            {"id": "a", "text": STORY, "date": "2024-03-10"},
            {"id": "b", "text": STORY + " ", "date": "2024-3-9"},
            {"id": "c", "text": STORY + "  ", "date": "2024-03-09T23:30:00-02:00"},
        ]
    )
    # c is 2024-03-10 01:30 UTC: after b (the 9th), after a (the 10th at midnight) too.
    assert _clusters(invoke, "--date-field", "date", "--keep", "earliest") == [
        ("b", ["a", "b", "c"], "b")
    ]


def test_the_window_applies_to_exact_duplicates(workdir: Path, invoke: Invoke) -> None:
    _write(
        [
            {"id": "a", "text": STORY, "date": "2024-03-05"},
            {"id": "b", "text": STORY, "date": "2024-03-01"},
            {"id": "c", "text": STORY, "date": "2024-03-07"},
            {"id": "d", "text": STORY, "date": "2024-03-20"},
        ]
    )
    assert _clusters(invoke, "--date-field", "date") == [("a", ["a", "b", "c", "d"], "b")]
    # b (1st) to a (5th) is 4 days, a to c (7th) 2 days, c to d (20th) 13 days.
    assert _clusters(invoke, "--date-field", "date", "--window", "3") == [("a", ["a", "c"], "a")]


def test_a_date_that_is_no_date_is_bad_input(workdir: Path, invoke: Invoke) -> None:
    _write(
        [
            {"id": "a", "text": STORY, "date": "2024-03-05"},
            {"id": "b", "text": STORY, "date": "soon"},
        ]
    )
    result = invoke("scan", "news.jsonl", "--date-field", "date")
    assert (result.exit_code, result.stderr) == (
        2,
        "dedup: error: news.jsonl:2: field 'date' holds 'soon', not a date (ISO 8601: "
        "2024-03-05, 2024-03-05 10:00, 2024-03-05T10:00:00+03:00)\n",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--keep", "earliest"],
            "keep policy 'earliest' needs the documents' dates (--date-field)",
        ),
        (["--window", "3"], "a window needs the documents' dates (--date-field)"),
        (
            ["--source-priority", "spa"],
            "a source priority needs the documents' sources (--source-field)",
        ),
    ],
)
def test_options_that_need_a_field_say_so(
    workdir: Path, invoke: Invoke, options: list[str], message: str
) -> None:
    _write([{"id": "a", "text": STORY}])
    for command in (["scan"], ["clean", "-o", "out.jsonl"], ["check", "--index", "x.db"]):
        result = invoke(*command[:1], "news.jsonl", *command[1:], *options)
        assert (result.exit_code, result.stderr) == (2, f"dedup: error: {message}\n")
    assert sorted(p.name for p in workdir.iterdir()) == ["news.jsonl"]
