"""The `zzcorpus` command line: click wiring only (parse options, open the database, call a
function, print). The work lives in ingest.py, store.py, search.py, reports and charts."""

from __future__ import annotations

import functools
import contextlib
import re
import sys
import time
import types
from pathlib import Path

import click
import sqlite_utils

from . import __version__
from .ingest import ingest as run_ingest
from .ingest import resegment as run_resegment
from .output import FORMATS, format_rows
from .segment import ENGINES
from .store import corpus_info

DATE_HELP = "YYYY, YYYY-MM or YYYY-MM-DD"


DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def check_date(value, *, name):
    if value and not DATE_RE.match(value):
        raise click.BadParameter(f"{value!r} is not a date: use {DATE_HELP}", param_hint=name)
    return value


def db_option(fn):
    return click.option(
        "--db", "db_path", default="corpus.db", show_default=True,
        type=click.Path(dir_okay=False), help="The corpus database.",
    )(fn)


def output_options(fn):
    """--json / --csv / --tsv, as sqlite-utils does; a readable table by default."""
    for fmt in reversed(FORMATS[1:]):
        fn = click.option(f"--{fmt}", "fmt", flag_value=fmt, help=f"Output {fmt.upper()}.")(fn)
    return fn


def friendly_errors(fn):
    """Bad values become one-line messages, never tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, sqlite_utils.db.NotFoundError) as e:
            raise click.ClickException(str(e)) from None

    return wrapper


def open_db(path: str, *, must_exist: bool = True) -> sqlite_utils.Database:
    if must_exist and not Path(path).exists():
        raise click.ClickException(f"{path}: no such database (run `zzcorpus ingest PATH...` first)")
    return sqlite_utils.Database(path)


def emit(rows: list[dict], fmt: str | None, columns=None) -> None:
    click.echo(format_rows(rows, fmt=fmt or "table", columns=columns))


@click.group()
@click.version_option(__version__, prog_name="zzcorpus")
def cli():
    """Turn Chinese newspaper page dumps into one searchable, countable SQLite corpus.

    \b
    Example:
        zzcorpus ingest seeds/ && zzcorpus freq --top 20
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--engine", type=click.Choice(ENGINES), default="rjieba", show_default=True,
              help="Segmenter: rjieba (jieba-rs, fast) or jieba (jieba.posseg itself).")
@click.option("--userdict", type=click.Path(exists=True, dir_okay=False),
              help="A jieba user dictionary loaded after seeds/userdict.txt.")
@click.option("--encoding", help="Force an input encoding (default: UTF-8, else GB18030).")
@click.option("--text-field", default="text", show_default=True, help="The text field of .jsonl/.csv records.")
@click.option("--source", help="Paper name for files whose name or fields do not give it.")
@click.option("--date", callback=lambda ctx, param, value: check_date(value, name="--date"),
              help="Date (YYYY-MM-DD) for files whose name or fields do not give it.")
@click.option("--page", help="Page for files whose name or fields do not give it.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes (default: 2 for inputs over 2 MB).")
@click.option("--batch-mb", type=click.FloatRange(0, None), default=4, show_default=True,
              help="Commit after about this much input (a killed run loses at most one batch).")
@output_options
@friendly_errors
def ingest(paths, db_path, engine, userdict, encoding, text_field, source, date, page, jobs, batch_mb, fmt):
    """Read page dumps into the corpus database.

    PATHS are files, folders (read recursively) and .gz/.zip archives of .txt page dumps and
    .jsonl/.csv records (one article or page each: a text field plus optional title, date,
    source, page). Files already stored unchanged are skipped; changed files replace their own
    articles. Metadata comes from record fields, then these options, then the file name
    (枣庄日报_2024-03-19_02.txt).

    Exits with status 1 when any file was skipped (each named on stderr with the reason).

    \b
    Example:
        zzcorpus ingest seeds/ --db corpus.db
    """
    db = open_db(db_path, must_exist=False)
    with _progressbar(_input_size(paths)) as bar:
        state = {"files": 0, "done": 0, "start": time.perf_counter()}

        def progress(n):
            state["files"] += 1
            state["done"] += n
            mb, seconds = state["done"] / 1e6, time.perf_counter() - state["start"]
            bar.label = f"{state['files']} files, {mb:.1f} MB, {mb / max(seconds, 1e-9):.1f} MB/s"
            bar.update(n)

        summary = run_ingest(
            db, paths, engine=engine, userdict=userdict, encoding=encoding, text_field=text_field,
            source=source, date=date, page=page, jobs=jobs, batch_bytes=int(batch_mb * 1e6),
            on_progress=progress,
            on_skip=lambda path, why: click.echo(f"skipped {path}: {why}", err=True),
        )
    row = {
        "files": summary.files, "new": summary.new, "replaced": summary.replaced,
        "unchanged": summary.unchanged, "skipped": len(summary.skipped), "articles": summary.articles,
        "mb": round(summary.bytes / 1e6, 3), "seconds": round(summary.seconds, 2),
        "mb_per_s": round(summary.mb_per_s, 2), "db": db_path,
    }
    if fmt:
        emit([row], fmt)
    else:
        click.echo(
            f"{row['files']} files ({row['new']} new, {row['replaced']} replaced, {row['unchanged']} unchanged, "
            f"{row['skipped']} skipped): {row['articles']} articles, {row['mb']} MB in {row['seconds']} s "
            f"({row['mb_per_s']} MB/s) -> {db_path}"
        )
    if summary.skipped:
        sys.exit(1)


def _progressbar(total: int):
    """Files, MB and MB/s on stderr, only for a person watching (never in a pipe or a log)."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext(types.SimpleNamespace(update=lambda n: None, label=""))
    return click.progressbar(length=total, file=sys.stderr, show_eta=True, width=30)


def _input_size(paths) -> int:
    from .readers import Skipped, iter_paths

    return sum(p.stat().st_size for p in iter_paths(paths) if not isinstance(p, Skipped)) or 1


@cli.command()
@db_option
@output_options
@friendly_errors
def info(db_path, fmt):
    """What is in the database: documents, articles, characters, tokens, dates, sources, segmenter.

    \b
    Example:
        zzcorpus info --json
    """
    data = corpus_info(open_db(db_path))
    if fmt:
        emit([data], fmt)
        return
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k or '(none)'}: {v}" for k, v in value.items())
        click.echo(f"{key:18} {value}")


@cli.command()
@db_option
@click.option("--engine", type=click.Choice(ENGINES), help="Switch segmenter (default: the one in use).")
@click.option("--userdict", type=click.Path(exists=True, dir_okay=False),
              help="A jieba user dictionary loaded after seeds/userdict.txt.")
@friendly_errors
def resegment(db_path, engine, userdict):
    """Segment the stored text again, after the user dictionary or engine changed.

    Rewrites title_seg/body_seg, the word counts and the word index from the stored clean text,
    without reading any file again.

    \b
    Example:
        zzcorpus resegment --userdict mywords.txt
    """
    n = run_resegment(open_db(db_path), engine=engine, userdict=userdict)
    click.echo(f"resegmented {n} articles")


# --- search commands (search, kwic): see search.py ---

# --- report commands (freq, keyness, cooc, network, trend, ngrams, idf): see reports.py ---
