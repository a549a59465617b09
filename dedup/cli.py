"""The ``dedup`` command: a thin layer that turns options into configs and calls the library."""

from __future__ import annotations

import gc
import math
import os
import signal
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
import orjson

from dedup.check import CheckConfig
from dedup.check import add as add_to_index
from dedup.check import check as check_batch
from dedup.clean import clean as clean_corpus
from dedup.config import MatchConfig, ReadConfig, RepeatConfig, ScanConfig
from dedup.corpus import Progress
from dedup.corpus import scan as scan_corpus
from dedup.errors import BackendError, DedupError
from dedup.explain import compare_files, compare_in_corpus
from dedup.index import FORMAT_VERSION, ArchiveIndex, open_index, redacted, sqlite_path
from dedup.io.atomic import check_not_an_input, check_outputs
from dedup.model import CheckReport, Report
from dedup.rebuild import rebuild as rebuild_index
from dedup.report import (
    REPORT_FORMATS,
    check_report_path,
    render_check,
    render_comparison,
    render_github,
    render_summary,
    write_reports,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_BUG = 3  # never 1: a CI job must not read a crash as findings over its limit


class _Number(click.FloatRange):
    """A float (in a range, if given) that is a number: NaN passes every comparison, so a
    limit of NaN would never be exceeded."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number

    def _describe_range(self) -> str:
        return "" if self.min is None and self.max is None else super()._describe_range()


def read_options(command: F) -> F:
    """Options that say how to read the inputs (shared by every command that reads)."""
    options = [
        click.option(
            "--text-field",
            default="text",
            show_default=True,
            help="Field (JSON) or column (CSV/Parquet) holding the text.",
        ),
        click.option(
            "--id-field",
            default="id",
            show_default=True,
            help="Field holding the document id; FILE:LINE where it is missing.",
        ),
        click.option("--source-field", default=None, help="Field naming the outlet (source)."),
        click.option("--date-field", default=None, help="Field holding the publication date."),
        click.option("--title-field", default=None, help="Field holding the title."),
        click.option("--url-field", default=None, help="Field holding the URL."),
        click.option(
            "--glob",
            default="*.txt",
            show_default=True,
            help="Files to read inside folder inputs (searched recursively).",
        ),
        click.option(
            "--skip-bad",
            is_flag=True,
            help="Skip and count bad records instead of stopping at the first.",
        ),
        click.option(
            "--max-doc-bytes",
            type=int,
            default=10_000_000,
            show_default=True,
            help="Largest document accepted.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def repeat_options(command: F) -> F:
    """Options of the repeated-paragraph finder."""
    defaults = RepeatConfig()
    options = [
        click.option(
            "--min-tokens",
            type=int,
            default=defaults.min_tokens,
            show_default=True,
            help="Shortest paragraph (in words) compared on its own.",
        ),
        click.option(
            "--min-similarity",
            type=_Number(),
            default=defaults.min_similarity,
            show_default=True,
            help="Similarity (0-100) of a lightly edited repeat.",
        ),
        click.option(
            "--min-containment",
            type=_Number(),
            default=defaults.min_containment,
            show_default=True,
            help="Share of a paragraph found inside another.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def match_options(command: F) -> F:
    """Options of the cross-document copy finder."""
    options = [
        click.option(
            "--copies/--no-copies",
            "find_copies",
            default=True,
            show_default=True,
            help="Look for near-duplicate and partial copies across documents.",
        ),
        click.option(
            "--repeats/--no-repeats",
            "find_repeats",
            default=True,
            show_default=True,
            help="Look for repeated paragraphs inside documents.",
        ),
        click.option(
            "--keep",
            type=click.Choice(["first", "longest", "earliest", "source"]),
            default="first",
            show_default=True,
            help="Which document of a cluster a clean corpus keeps: the first read, "
            "the longest (once its repeats are removed), the earliest (--date-field), or by "
            "--source-priority.",
        ),
        click.option(
            "--source-priority",
            default=None,
            metavar="A,B,...",
            help="Outlets in order of preference for --keep source.",
        ),
        click.option(
            "--window",
            "window_days",
            type=_Number(),
            default=None,
            metavar="DAYS",
            help="Only compare documents whose dates (--date-field) are this close.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _scan_config(options: dict[str, Any]) -> ScanConfig:
    read = ReadConfig(
        text_field=options["text_field"],
        id_field=options["id_field"],
        source_field=options["source_field"],
        date_field=options["date_field"],
        title_field=options["title_field"],
        url_field=options["url_field"],
        glob=options["glob"],
        skip_bad=options["skip_bad"],
        max_doc_bytes=options["max_doc_bytes"],
    )
    repeats = RepeatConfig(
        min_tokens=options["min_tokens"],
        min_similarity=options["min_similarity"],
        min_containment=options["min_containment"],
    )
    if "find_copies" not in options:
        return ScanConfig(read=read, repeats=repeats)
    priority = tuple(
        name.strip() for name in (options["source_priority"] or "").split(",") if name.strip()
    )
    keep = options["keep"]
    if priority and keep == "first" and not _given("keep"):
        keep = "source"
    matches = MatchConfig(keep=keep, source_priority=priority, window_days=options["window_days"])
    return ScanConfig(
        read=read,
        repeats=repeats,
        matches=matches,
        find_repeats=options["find_repeats"],
        find_matches=options["find_copies"],
    )


def _given(name: str) -> bool:
    """Whether the user set option ``name`` on the command line (not its default)."""
    context = click.get_current_context()
    return context.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE


class _Group(click.Group):
    """Turns library errors and usage errors into one line on stderr and exit code 2, never a
    traceback (nor click's four lines of usage: a CI log shows the one that matters)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            _usage_error(error)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            _usage_error(error)
        except DedupError as error:
            click.echo(f"dedup: error: {error}", err=True)
            ctx.exit(EXIT_ERROR)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(EXIT_ERROR)
        except OSError as error:  # an output that cannot be written; readers raise InputError
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"dedup: error: {where}{error.strerror or error}", err=True)
            ctx.exit(EXIT_ERROR)
        except _Terminated:
            click.echo("dedup: terminated", err=True)
            ctx.exit(143)
        except KeyboardInterrupt:
            click.echo("dedup: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise  # how click ends after --help, and on its own aborts
        except Exception:
            traceback.print_exc()
            click.echo(
                "dedup: internal error: this is a bug in dedup; please report it with the "
                "traceback above",
                err=True,
            )
            ctx.exit(EXIT_BUG)


# click 8.2+ raises this for "dedup" alone, to show the help; 8.1 shows it without raising.
_SHOW_HELP: type[Exception] | None = getattr(click.exceptions, "NoArgsIsHelpError", None)


def _usage_error(error: click.UsageError) -> NoReturn:
    if _SHOW_HELP is not None and isinstance(error, _SHOW_HELP):
        raise error  # "dedup" alone shows the help
    where = error.ctx.command_path if error.ctx else "dedup"
    click.echo(f"dedup: error: {error.format_message()} (see '{where} --help')", err=True)
    raise click.exceptions.Exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dedup")
def cli() -> None:
    """Find and remove duplicate text: repeated paragraphs inside documents and copies across
    documents.

    Exit codes: 0 ok, 1 findings above a limit (--fail-on-*, --max-*), 2 usage, input,
    configuration or index error, 3 internal error (a bug: the traceback is shown).
    """


@cli.command(short_help="Find repeats inside documents and copies across them.")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@read_options
@repeat_options
@match_options
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="PATH",
    help=f"Write the findings to PATH; format by extension ({', '.join(REPORT_FORMATS)}). "
    "Repeatable.",
)
@click.option(
    "--fail-on-repeats",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Exit 1 when more than N repeated paragraphs are found.",
)
@click.option(
    "--fail-on-duplicates",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Exit 1 when more than N documents are near-duplicates of a kept one.",
)
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="How many findings the summary shows.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Print nothing; rely on the exit code and reports."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Also list every bad record skipped, and the timings."
)
def scan(
    inputs: tuple[str, ...],
    reports: tuple[str, ...],
    fail_on_repeats: int | None,
    fail_on_duplicates: int | None,
    examples: int,
    quiet: bool,
    verbose: bool,
    **options: Any,
) -> None:
    """Find repeated paragraphs inside documents and copies across them in INPUT... (files,
    folders, or - for JSONL on stdin).

    \b
    Examples:
      dedup scan articles.jsonl.gz --report findings.jsonl --fail-on-repeats 0
      dedup scan news.jsonl --source-field source --date-field date --keep earliest
    """
    for path in reports:
        check_report_path(path)
    check_outputs(inputs, files=reports, glob=options["glob"])
    started = time.perf_counter()
    with _progress(enabled=not quiet) as progress:
        report = scan_corpus(inputs, _scan_config(options), progress)
    if verbose:
        for message in report.errors:
            click.echo(f"dedup: skipped: {message}", err=True)
        seconds = time.perf_counter() - started
        click.echo(
            f"dedup: scanned {report.documents:,} documents in {seconds:.1f} s "
            f"({report.documents / max(seconds, 1e-9):,.0f} documents/s)",
            err=True,
        )
    write_reports(report, reports)
    if not quiet:
        click.echo(_styled(render_summary(report, examples)), nl=False)
    _exit_for_limits(report, fail_on_repeats, fail_on_duplicates)


@cli.command(short_help="Write the corpus without repeats and copies.")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="OUTPUT",
    help="Cleaned corpus: a file for one input file, else a folder mirroring the inputs.",
)
@click.option(
    "--removed",
    default=None,
    metavar="PATH",
    help="Write a JSONL audit of every removal, its reason and what it duplicated.",
)
@read_options
@repeat_options
@match_options
@click.option(
    "--drop-partial",
    is_flag=True,
    help="Also drop a document found inside another (a partial copy).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
def clean(
    inputs: tuple[str, ...],
    output: str,
    removed: str | None,
    drop_partial: bool,
    quiet: bool,
    **options: Any,
) -> None:
    """Write INPUT... to OUTPUT without repeated paragraphs and without near-duplicate
    documents (one of each cluster is kept), in the input's own format.

    \b
    Example:
      dedup clean articles.jsonl -o clean.jsonl --removed removed.jsonl \\
        --date-field date --keep earliest
    """
    result = clean_corpus(inputs, output, _scan_config(options), removed, drop_partial)
    if not quiet:
        click.echo(
            f"wrote {result.documents_written} documents to {output}: "
            f"removed {result.paragraphs_removed} repeated paragraphs and "
            f"{result.documents_dropped} duplicate documents ({result.bytes_removed:,} bytes)"
            + (f"; skipped {result.report.skipped} bad records" if result.report.skipped else "")
        )


@cli.command(short_help="Explain why two documents match, or do not.")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option(
    "--in",
    "corpus",
    default=None,
    metavar="INPUT",
    help="Read A and B as document ids in INPUT; its word frequencies weigh the words.",
)
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option(
    "--passages",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many aligned passages to show (--json lists them all).",
)
def compare(
    a: str, b: str, corpus: str | None, as_json: bool, passages: int, **options: Any
) -> None:
    """Explain how similar A and B are: every score, the verdict, the shared passages.

    A and B are files holding one document each, or with --in, two ids of one input.

    \b
    Examples:
      dedup compare story-a.txt story-b.txt
      dedup compare --in news.jsonl.gz snn-0001 snn-0420
    """
    read = _scan_config({**options, **_REPEAT_DEFAULTS}).read
    if a == b or (not corpus and _same_file(a, b)):
        raise click.UsageError(f"A and B are both {a}: give two documents to compare")
    comparison = compare_in_corpus(corpus, a, b, read) if corpus else compare_files(a, b, read)
    if as_json:
        click.echo(orjson.dumps(comparison.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(_styled(render_comparison(comparison, passages)), nl=False)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


_REPEAT_DEFAULTS = {
    "min_tokens": RepeatConfig().min_tokens,
    "min_similarity": RepeatConfig().min_similarity,
    "min_containment": RepeatConfig().min_containment,
}


_batch_size_option = click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Documents per transaction: a crash loses at most the batch being written.",
)


@cli.group(short_help="Build and inspect an archive index (SQLite or Redis).")
def index() -> None:
    """Build and inspect an archive index: a SQLite file (a path, or sqlite:///path) or a Redis
    database (redis://host:port/db) that `dedup check` compares new batches against."""


@index.command("add", short_help="Add documents to an index.")
@click.argument("index_url", metavar="INDEX")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@read_options
@_batch_size_option
def index_add(index_url: str, inputs: tuple[str, ...], batch_size: int, **options: Any) -> None:
    """Add the documents of INPUT... to INDEX (created if absent). An id already there is
    replaced; an unchanged document is left alone, so re-running an add is safe.

    \b
    Examples:
      dedup index add archive.db articles.jsonl.gz
      dedup index add redis://localhost:6379/0 batch-*.jsonl --source-field source
    """
    check_outputs(inputs, files=_index_file(index_url), glob=options["glob"])
    config = _scan_config({**options, **_REPEAT_DEFAULTS})
    with (
        _sqlite_errors(index_url),
        open_index(index_url, config.matches) as archive,
        _dropped_if_failing(archive),
    ):
        result = add_to_index(archive, inputs, config, batch_size)
    if result.positional:
        click.echo(
            f"dedup: warning: {result.positional} records had no {config.read.id_field!r} field "
            f"and are stored by file and line ({result.first_positional}, …): a later add of "
            "another file of that name replaces them, and `dedup check --add` refuses such "
            "records (see --id-field)",
            err=True,
        )
    click.echo(
        f"added {result.written} documents to {redacted(index_url)} ({result.unchanged} unchanged"
        + (f", {result.skipped} bad records skipped" if result.skipped else "")
        + f"); {result.index_documents} documents in the index"
    )


@index.command("remove", short_help="Remove documents from an index by id.")
@click.argument("index_url", metavar="INDEX")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
def index_remove(index_url: str, ids: tuple[str, ...]) -> None:
    """Remove documents from INDEX by id; `dedup check` stops matching them.

    \b
    Example:
      dedup index remove archive.db story-17 story-342
    """
    with _sqlite_errors(index_url), open_index(index_url, create=False) as archive:
        removed = archive.remove(ids)
        total = archive.stats().documents
    click.echo(
        f"removed {removed} documents ({len(set(ids)) - removed} not found); "
        f"{total} documents in the index"
    )


@index.command("recount", short_help="Count the archive's 3-grams again from its stored texts.")
@click.argument("index_url", metavar="INDEX")
def index_recount(index_url: str) -> None:
    """Count again, from the stored texts, how many archived documents hold each 3-gram (what
    tells a shared formula from a copy): repairs damaged counts. Writers wait (SQLite) or make
    it start over (Redis) while it reads.

    \b
    Example:
      dedup index recount archive.db
    """
    with _sqlite_errors(index_url), open_index(index_url, create=False) as archive:
        documents = archive.recount()
    click.echo(f"counted the 3-grams of {documents} documents in {redacted(index_url)}")


@index.command("rebuild", short_help="Build a new index from the documents stored in another.")
@click.argument("old_url", metavar="OLD")
@click.argument("new_url", metavar="NEW")
@_batch_size_option
def index_rebuild(old_url: str, new_url: str, batch_size: int) -> None:
    """Build the index NEW from the documents stored in OLD, with OLD's settings: brings an
    index of an older format version to this one (OLD is only read), or moves an index to the
    other backend. NEW must not exist; a rebuild that fails leaves none. Documents added to
    OLD while it runs may be missed: run it when no writer is busy.

    \b
    Examples:
      dedup index rebuild archive.db archive-v5.db && mv archive-v5.db archive.db
      dedup index rebuild archive.db redis://localhost:6379/0
    """
    with _sqlite_errors(old_url):
        result = rebuild_index(old_url, new_url, batch_size)
    click.echo(
        f"rebuilt {result.index_documents} documents from {redacted(old_url)} into "
        f"{redacted(new_url)} "
        f"(format version {FORMAT_VERSION})"
    )


@index.command("stats", short_help="Print an index's size, format version and settings.")
@click.argument("index_url", metavar="INDEX")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def index_stats(index_url: str, as_json: bool) -> None:
    """Print the size, format version and settings of INDEX.

    \b
    Example:
      dedup index stats archive.db
    """
    # An index of an older version shows its version: the reason it needs a rebuild.
    with (
        _sqlite_errors(index_url),
        open_index(index_url, create=False, to_rebuild=True) as archive,
    ):
        stats = archive.stats().to_dict()
    if as_json:
        click.echo(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo("".join(f"{key}: {value}\n" for key, value in stats.items()), nl=False)


@cli.command(short_help="Check a new batch against an archive index and itself.")
@click.option(
    "--index",
    "index_url",
    required=True,
    metavar="INDEX",
    help="The archive: a SQLite file (path or sqlite:///path) or redis://host:port/db.",
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@read_options
@repeat_options
@match_options
@click.option(
    "--add",
    "add",
    is_flag=True,
    help="Add the accepted documents to the index (by id: each record needs one, see --id-field).",
)
@click.option(
    "--max-duplicates",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Exit 1 when more than N documents are near-duplicates (of the archive or the batch).",
)
@click.option(
    "--max-rate",
    type=_Number(0.0, 1.0),
    default=None,
    metavar="R",
    help="Exit 1 when the share of near-duplicate documents exceeds R (0-1).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="text: a summary; github: one ::warning annotation per finding.",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="PATH",
    help=f"Write the findings to PATH; format by extension ({', '.join(REPORT_FORMATS)}).",
)
@click.option(
    "--examples", type=click.IntRange(min=0), default=5, show_default=True, help="Findings shown."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; rely on the exit code.")
def check(
    index_url: str,
    inputs: tuple[str, ...],
    add: bool,
    max_duplicates: int | None,
    max_rate: float | None,
    output_format: str,
    reports: tuple[str, ...],
    examples: int,
    quiet: bool,
    **options: Any,
) -> None:
    """Check a new batch INPUT... against the archive INDEX and against itself: repeats,
    near-duplicates and partial copies, each archive match naming the archived document.

    \b
    Examples:
      dedup check --index archive.db batch.jsonl --max-duplicates 0 --add
      dedup check --index redis://ci-redis:6379/0 batch.jsonl --format github --max-rate 0.05
    """
    for path in reports:
        check_report_path(path)
    # Without --add the index is only read: it may lie where nothing can be written.
    check_outputs(
        inputs, files=[*reports, *(_index_file(index_url) if add else [])], glob=options["glob"]
    )
    if not add:
        check_not_an_input(inputs, _index_file(index_url), outputs=reports)
    config = _scan_config(options)
    # Without --add, an index that does not exist yet is an empty archive, left uncreated.
    with (
        _sqlite_errors(index_url),
        open_index(
            index_url, config.matches, create=add, empty_if_absent=not add, read_only=not add
        ) as archive,
        _dropped_if_failing(archive),
    ):
        shown_beside = any(str(path).lower().endswith(".html") for path in reports)
        report = check_batch(
            archive, inputs, CheckConfig(scan=config, add=add, archived_texts=shown_beside)
        )
    # The reports say whether the gate failed: its HTML is what a reader of a red run opens.
    report.over_limits = _over_check_limits(report, max_duplicates, max_rate)
    write_reports(report, reports)
    if not quiet:
        rendered = (
            render_github(report) if output_format == "github" else render_check(report, examples)
        )
        click.echo(rendered, nl=False)
    if report.over_limits:
        click.echo(f"dedup: {'; '.join(report.over_limits)}", err=True)
        sys.exit(EXIT_FINDINGS)


def _index_file(index_url: str) -> list[str]:
    """The file of a SQLite index (an output too: it must not be an input)."""
    path = sqlite_path(index_url)
    return [] if path is None else [path]


@contextmanager
def _sqlite_errors(index_url: str) -> Iterator[None]:
    """An error SQLite raises on an index file (damaged pages, a full disk, a lock held too
    long) is one line naming the index, not a traceback."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        raise BackendError(f"{index_url}: SQLite error: {error}") from None


@contextmanager
def _dropped_if_failing(archive: ArchiveIndex) -> Iterator[None]:
    """An index this command created is dropped again if the command fails before a batch
    was committed: an error leaves no new, empty index behind, and a failure later (Ctrl-C
    in a long first add) keeps the batches committed."""
    try:
        yield
    except BaseException:
        if archive.created:
            archive.drop_if_empty()
        raise


def _over_check_limits(
    report: CheckReport, max_duplicates: int | None, max_rate: float | None
) -> list[str]:
    """What of ``report`` is over the limits a check was given, one message each."""
    over: list[str] = []
    duplicates = len(report.duplicates)
    if max_duplicates is not None and duplicates > max_duplicates:
        over.append(
            f"{duplicates} duplicate documents, over the limit of {max_duplicates} "
            "(--max-duplicates)"
        )
    if max_rate is not None and report.duplicate_rate > max_rate:
        over.append(
            f"duplicate rate {_rate_above(report.duplicate_rate, max_rate)} "
            f"({duplicates} of {report.documents} documents), over the limit of "
            f"{max_rate:g} (--max-rate)"
        )
    return over


def _rate_above(rate: float, limit: float) -> str:
    """``rate`` with the digits that show it above ``limit`` (0.30303 over 0.303, not 0.303)."""
    for digits in range(4, 18):
        shown = f"{rate:.{digits}g}"
        if float(shown) > limit:
            return shown
    return repr(rate)


def _exit_for_limits(
    report: Report, fail_on_repeats: int | None, fail_on_duplicates: int | None
) -> None:
    over: list[str] = []
    if fail_on_repeats is not None and len(report.repeats) > fail_on_repeats:
        over.append(
            f"{len(report.repeats)} repeated paragraphs, over the limit of "
            f"{fail_on_repeats} (--fail-on-repeats)"
        )
    duplicates = report.summary()["duplicate_documents"]
    if fail_on_duplicates is not None and duplicates > fail_on_duplicates:
        over.append(
            f"{duplicates} duplicate documents, over the limit of "
            f"{fail_on_duplicates} (--fail-on-duplicates)"
        )
    if over:
        click.echo(f"dedup: {'; '.join(over)}", err=True)
        sys.exit(EXIT_FINDINGS)


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A one-line progress display on stderr, only when stderr is a terminal."""
    stream = sys.stderr  # what click.echo(err=True) writes to (CliRunner swaps it too)
    if not enabled or not stream.isatty():
        yield None
        return
    started = time.perf_counter()
    last = [0.0]

    def show(stage: str, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.2:
            return
        last[0] = now
        rate = done / max(now - started, 1e-9)
        text = f"{done:,}/{total:,} pairs" if total else f"{done:,} documents ({rate:,.0f}/s)"
        click.echo(f"\r\x1b[2K{stage}: {text}", nl=False, err=True)

    try:
        yield show
    finally:
        click.echo("\r\x1b[2K", nl=False, err=True)


def _styled(summary: str) -> str:
    """Headings bold, counts of findings coloured; click drops the codes off a terminal."""
    lines = []
    for line in summary.splitlines():
        if line and not line.startswith(" "):
            head, _, rest = line.partition(":")
            lines.append(click.style(head + ":", bold=True) + click.style(rest, fg="cyan"))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a CI runner stopping a job), raised where the run is, as Ctrl-C is: outputs
    not yet renamed into place are removed and queued work is cancelled on the way out."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main() -> None:
    """Entry point of the ``dedup`` console script and ``python -m dedup``."""
    signal.signal(signal.SIGTERM, _terminate)
    _load_numba_without_blas()
    try:
        cli(prog_name="dedup")
    finally:
        # Outputs are written and closed by now. Without this, the collector's passes at
        # interpreter exit take 0.45 s after any scan, a fifth of a 10k-document one.
        gc.freeze()


def _load_numba_without_blas() -> None:
    """Load numba's array functions as if scipy had no BLAS.

    Loading the first compiled kernel, numba imports scipy.linalg only to look for BLAS, which
    dedup's kernels never call: 0.15 s of every run. An empty module entry makes that import
    fail at once while numba looks; then it goes, and scipy.linalg imports as usual. Only in
    the command: a library user's numba may need BLAS.
    """
    blas = "scipy.linalg.cython_blas"
    if blas in sys.modules:
        return
    sys.modules[blas] = None  # type: ignore[assignment]
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        sys.modules.pop(blas, None)
