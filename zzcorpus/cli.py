"""The `zzcorpus` command line: click wiring only (parse options, open the database, call a
function, print). The work lives in ingest.py, store.py, search.py, reports and charts."""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import sqlite3
import sys
import time
import types
from pathlib import Path

# Before numpy loads (sqlite_utils imports it): a command does no dense linear algebra, and
# numpy's OpenBLAS would start a thread per core that spins after the import, 0.1 CPU-s of
# every command (in an ingest, taken from the workers).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click
import sqlite_utils

from . import __version__, charts, store
from . import network as net
from . import export, reports
from .filters import Filters, date_bound, word_filter
from .saved import save_report
from .schema import WriterBusy, checkpoint, migrate, unfinished_checkpoint
from .selection import Selection
from .measures import check_choice
from .output import FORMATS, format_rows, pad
from .output import width as display_width
from .querylimits import DEFAULT_TIMEOUT, Stopped, catching_ctrl_c, raise_if_stopped, set_time_limit
from .readers import LAYOUT_CHOICES, Limits, input_size
from .reprints import DEFAULT_SIMILARITY
from .segment import ENGINES
from .store import corpus_info

DATE_HELP = "YYYY, YYYY-MM or YYYY-MM-DD"
DEFAULT_WAIT = 30.0  # seconds a writing command waits for another writer before giving up
WAIT_KEY, TIMEOUT_KEY = "zzcorpus.wait", "zzcorpus.timeout"  # click context meta, read by open_db


def check_date(value, *, name):
    """A date option: YYYY, YYYY-MM or YYYY-MM-DD, and a real day (the reports' own check)."""
    if value:
        try:
            date_bound(value, end=False)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint=name) from None
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
    """Bad values become one-line messages, never tracebacks; so do a query's time limit and
    Ctrl-C (exit status 130)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with catching_ctrl_c():
                try:
                    return fn(*args, **kwargs)
                except sqlite3.OperationalError as e:
                    raise_if_stopped(e)
                    raise
        except Stopped as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("Error: interrupted (Ctrl-C)", err=True)
            sys.exit(130)
        except (ValueError, sqlite_utils.db.NotFoundError) as e:
            raise click.ClickException(str(e)) from None
        except sqlite3.DatabaseError as e:  # not an SQLite file, locked, disk full...
            raise click.ClickException(f"{kwargs.get('db_path', 'database')}: {e}") from None

    return wrapper


def _to_meta(key):
    def store(ctx, param, value):
        ctx.meta[key] = value

    return store


def wait_option(fn):
    """--wait SECONDS: how long a writing command waits for another writer (SQLite's busy timeout)."""
    return click.option("--wait", type=click.FloatRange(0, None), default=DEFAULT_WAIT, show_default=True,
                        expose_value=False, callback=_to_meta(WAIT_KEY), metavar="SECONDS",
                        help="Wait this long for another process writing to the database, then give up.")(fn)


def timeout_option(fn):
    """--timeout SECONDS: the time limit of a reading command's queries."""
    return click.option("--timeout", type=click.FloatRange(0, None, min_open=True), default=DEFAULT_TIMEOUT,
                        show_default=True, expose_value=False, callback=_to_meta(TIMEOUT_KEY), metavar="SECONDS",
                        help="Stop a query that runs longer than this (a runaway --where).")(fn)


def open_db(path: str, *, must_exist: bool = True) -> sqlite_utils.Database:
    """The corpus database; a missing file or one that holds no corpus is a one-line message.
    The command's --wait becomes the busy timeout, its --timeout the queries' time limit."""
    if must_exist and not Path(path).exists():
        raise click.ClickException(f"{path}: no such database (run `zzcorpus ingest PATH...` first)")
    # execute_plugins=False: sqlite-utils would otherwise scan every installed package's entry
    # points for its own plugins (a twentieth of a second per command), none of which we use.
    db = sqlite_utils.Database(path, execute_plugins=False)
    ctx = click.get_current_context(silent=True)
    if ctx:
        ctx.call_on_close(db.close)  # with the command, not at the process's exit (cli)
    meta = ctx.meta if ctx else {}
    db.conn.execute(f"PRAGMA busy_timeout = {int(meta.get(WAIT_KEY, DEFAULT_WAIT) * 1000)}")
    if meta.get(TIMEOUT_KEY):
        set_time_limit(db, meta[TIMEOUT_KEY])
    if must_exist and not db["articles"].exists():
        raise click.ClickException(f"{path}: not a zzcorpus database (run `zzcorpus ingest PATH... --db {path}`)")
    return db


def finish_writing(db) -> None:
    """corpus.db alone holds everything, or one line says what is missing and exits 1."""
    pages = checkpoint(db)
    if pages:
        click.echo(f"Error: {unfinished_checkpoint(db, pages)}", err=True)
        sys.exit(1)


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
    # The process ends with the command: what it made goes with the process, not through the
    # collector's last pass over every object at exit (25-50 ms, a tenth of a report's time).
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--engine", type=click.Choice(ENGINES), default="rjieba", show_default=True,
              help="Segmenter: rjieba (jieba-rs, fast) or jieba (jieba.lcut's own tokens).")
@click.option("--userdict", type=click.Path(exists=True, dir_okay=False),
              help="A jieba user dictionary loaded after seeds/userdict.txt.")
@click.option("--encoding", help="Force an input encoding (default: detected among UTF-8, UTF-16/32, GB18030, Big5).")
@click.option("--layout", type=click.Choice(LAYOUT_CHOICES), default="auto", show_default=True,
              help="page: reflow column-wrapped newspaper pages; plain: keep the text's own lines; auto: per file.")
@click.option("--force", is_flag=True, help="Read every file again, even those stored unchanged.")
@click.option("--text-field", default="text", show_default=True, help="The text field of .jsonl/.csv records.")
@click.option("--source", help="Paper name for files whose name or fields do not give it.")
@click.option("--date", callback=lambda ctx, param, value: check_date(value, name="--date"),
              help="Date (YYYY-MM-DD) for files whose name or fields do not give it.")
@click.option("--page", help="Page for files whose name or fields do not give it.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes, run at a lower priority than the writer (default: 2 for inputs over 2 MB).")
@click.option("--batch-mb", type=click.FloatRange(0, None), default=4, show_default=True,
              help="Commit after about this much input (a killed run loses at most one batch).")
@click.option("--no-userdict", is_flag=True, help="Leave out the built-in user dictionary: the engine's own alone.")
@click.option("--no-fold", is_flag=True,
              help="Keep traditional and simplified words apart in the word index (search still finds both).")
@click.option("--similarity", type=float, default=DEFAULT_SIMILARITY, show_default=True,
              help="Mark a new article at least this like an earlier one as its reprint (near_duplicate_of).")
@click.option("--no-reprints", is_flag=True, help="Do not look for reprints.")
@click.option("--max-member-mb", type=click.FloatRange(0, None, min_open=True), default=Limits.member_bytes / 2**20,
              show_default=True, help="Skip an archive member (.zip, .gz) that expands to more than this.")
@click.option("--max-ratio", type=click.FloatRange(1, None), default=Limits.ratio, show_default=True,
              help="Skip what an archive expands to beyond this many times its own size (past 32 MB).")
@click.option("--max-depth", type=click.IntRange(0, None), default=Limits.depth, show_default=True,
              help="Skip archives nested deeper than this inside archives.")
@wait_option
@output_options
@friendly_errors
def ingest(paths, db_path, engine, userdict, encoding, layout, force, text_field, source, date, page, jobs, batch_mb,
           no_userdict, no_fold, similarity, no_reprints, max_member_mb, max_ratio, max_depth, fmt):
    """Read page dumps into the corpus database.

    PATHS are files, folders (read recursively) and .gz/.zip archives of .txt page dumps, page
    .pdf files, .html pages, .docx documents and .jsonl/.csv/.tsv/.xlsx records (one article or
    page each: a text field plus optional title, date, source, page). Files already stored
    unchanged are skipped; changed files, and files that now decode or lay out otherwise
    (--encoding, --layout), replace their own articles; --force reads everything again. Metadata comes from record fields, then these options, then the file name
    (枣庄日报_2024-03-19_02.txt).

    Traditional characters are folded to simplified for words and search (the stored text keeps
    its own); an article whose body is at least --similarity like an earlier one (a reprint
    with another headline, a cut, a few changes) is marked and left out of reports.

    Exits with status 1 when any file was skipped (each named on stderr with the reason), or
    when a reader (e.g. Datasette) kept the new data from reaching corpus.db itself (then run
    `zzcorpus checkpoint`). One process writes at a time: another waits --wait seconds, then
    stops with one line. Archives expand only within --max-member-mb, --max-ratio, --max-depth.

    \b
    Example:
        zzcorpus ingest seeds/ --db corpus.db
        zzcorpus ingest notes/ --layout plain --force
        zzcorpus ingest hk-papers/ --no-userdict --similarity 0.8
    """
    db = open_db(db_path, must_exist=False)
    from .ingest import ingest as run_ingest, keep_freed_memory  # loaded by the commands that write

    keep_freed_memory()  # this process ends with the ingest

    with _progressbar(paths) as bar:
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
            layout=layout, force=force, on_progress=progress, no_userdict=no_userdict, fold=not no_fold,
            similarity=None if no_reprints else similarity,
            limits=Limits(member_bytes=int(max_member_mb * 2**20), ratio=max_ratio, depth=max_depth),
            on_skip=lambda path, why: click.echo(f"skipped {path}: {why}", err=True),
            on_warn=lambda path, why: click.echo(f"warning {path}: {why}", err=True),
        )
    passed = ", ".join(f"{n} {suffix}" for suffix, n in sorted(summary.passed_over.items(), key=lambda kv: (-kv[1], kv[0])))
    row = {
        "files": summary.files, "new": summary.new, "replaced": summary.replaced,
        "unchanged": summary.unchanged, "removed": summary.removed, "skipped": len(summary.skipped),
        "articles": summary.articles,
        "mb": round(summary.bytes / 1e6, 3), "seconds": round(summary.seconds, 2),
        "mb_per_s": round(summary.mb_per_s, 2), "db": db_path,
        "warnings": len(summary.warnings), "passed_over": passed,
    }
    if fmt:
        emit([row], fmt)
    else:
        click.echo(
            f"{row['files']} files ({row['new']} new, {row['replaced']} replaced, {row['unchanged']} unchanged, "
            f"{row['skipped']} skipped" + (f", {row['removed']} records gone" if row["removed"] else "")
            + f"): {row['articles']} articles, {row['mb']} MB in {row['seconds']} s "
            f"({row['mb_per_s']} MB/s) -> {db_path}" + (f"; passed over: {passed}" if passed else "")
        )
    if summary.wal_pages:
        click.echo(f"Error: {unfinished_checkpoint(db, summary.wal_pages)}", err=True)
    if summary.skipped or summary.wal_pages:
        sys.exit(1)


def _progressbar(paths):
    """Files, MB and MB/s on stderr, only for a person watching (never in a pipe or a log; only
    then are the input files' sizes added up for it)."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext(types.SimpleNamespace(update=lambda n: None, label=""))
    return click.progressbar(length=input_size(paths) or 1, file=sys.stderr, show_eta=True, width=30)


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
@click.option("--no-userdict", is_flag=True, help="Leave out the built-in user dictionary: the engine's own alone.")
@click.option("--fold/--no-fold", default=None,
              help="Fold traditional words to simplified, or keep them apart (default: as the corpus was made).")
@wait_option
@friendly_errors
def resegment(db_path, engine, userdict, no_userdict, fold):
    """Segment the stored text again, after the user dictionary or engine changed.

    Rewrites title_seg/body_seg, the word counts and the word index from the stored clean text,
    without reading any file again.

    \b
    Example:
        zzcorpus resegment --userdict mywords.txt
        zzcorpus resegment --no-userdict --userdict newwords.txt
    """
    db = open_db(db_path)
    from .ingest import resegment as run_resegment

    n = run_resegment(db, engine=engine, userdict=userdict, no_userdict=no_userdict, fold=fold)
    click.echo(f"resegmented {n} articles")
    finish_writing(db)


@cli.command("index")
@db_option
@wait_option
@friendly_errors
def index_command(db_path):
    """Upgrade a corpus made by an older zzcorpus: build the word index the reports count from
    (from the stored tokens; nothing is read or segmented again). ingest and resegment do the
    same the first time they run on such a file.

    \b
    Example:
        zzcorpus index --db old-corpus.db
    """
    db = open_db(db_path)
    before = db.execute("PRAGMA user_version").fetchone()[0]
    after = migrate(db)
    click.echo(f"schema {before} -> {after}" if after != before else f"already at schema {after}", err=True)
    finish_writing(db)


@cli.command("checkpoint")
@db_option
@wait_option
@friendly_errors
def checkpoint_command(db_path):
    """Copy what corpus.db-wal still holds into corpus.db, so the file alone holds everything
    (ingest does this at its end; a reader such as Datasette can keep it from finishing).
    Exits with status 1 while a reader still holds some of it.

    \b
    Example:
        zzcorpus checkpoint --db corpus.db
    """
    db = open_db(db_path)
    finish_writing(db)
    click.echo(f"{db_path} holds everything", err=True)


# --- search commands (search, kwic): see search.py ---


# `-term` excludes, so words starting with "-" are part of the query, not options.
QUERY_SETTINGS = {"ignore_unknown_options": True}


def query_text(words) -> str:
    """The query words as one string; a mistyped `--option` is an error, not query text."""
    for word in words:
        if word.startswith("--") and len(word) > 2:
            raise click.UsageError(f"no such option: {word.split('=')[0]} (quote it to search for it)")
    return " ".join(words)


def filter_options(fn):
    """--source, --from, --to, --byline: the article filters shared by search, kwic and the reports."""
    date = lambda ctx, param, value: check_date(value, name=f"--{param.name.split('_')[1]}")  # noqa: E731
    fn = click.option("--byline", metavar="NAME", help="Only articles with NAME in their byline (a reporter, e.g. 张环泽).")(fn)
    fn = click.option("--to", "date_to", callback=date, help=f"Last date, inclusive: {DATE_HELP}.")(fn)
    fn = click.option("--from", "date_from", callback=date, help=f"First date: {DATE_HELP}.")(fn)
    return click.option("--source", help="Only articles from this paper.")(fn)


WORDS_HELP = "Whole words only: 电力 where the segmentation made it a word (not in 供电力量)."


@cli.command(context_settings=QUERY_SETTINGS)
@click.argument("query", nargs=-1)
@db_option
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, help="Articles to show (0: all).")
@filter_options
@click.option("--words", is_flag=True, help=WORDS_HELP)
@click.option("--count", "count_only", is_flag=True, help="Print only the number of matching articles.")
@timeout_option
@output_options
@friendly_errors
def search(query, db_path, limit, source, date_from, date_to, byline, words, count_only, fmt):
    """Articles whose printed text (kicker, title, subtitle, byline, dateline or body) contains
    the query, best first, the match [marked]; `field` says where the snippet's hit is.

    Any text matches as a substring (锂电 finds 锂电池; one character works); Latin letters
    match case-insensitively (gmp finds GMP). Several terms must all occur; "..." is one
    literal phrase; a OR b; -term excludes. The query is cleaned as page text is at ingest, so
    a phrase copied from the page matches ("Linux 内核" finds Linux内核). --words matches whole
    words instead. Duplicates are listed once; page furniture comes last. The number of hits
    goes to stderr (exit status 0, also for none; 1 for a filter no article can match).

    \b
    Example:
        zzcorpus search 锂电 --from 2024-03 --limit 5
        zzcorpus search '"新质生产力" 枣庄 -山东' --json
        zzcorpus search --byline 张环泽
        zzcorpus search --words 电力
    """
    query = query_text(query)
    if not query.strip() and not byline:
        raise click.ClickException("nothing to search for: give a QUERY (or --byline NAME for a reporter's articles)")
    from . import search as search_api  # (and the page cleaner it uses): loaded where searched

    db = open_db(db_path)
    filters = {"source": source, "date_from": date_from, "date_to": date_to, "byline": byline, "words": words}
    total = search_api.count(db, query, **filters)
    if count_only:
        if fmt:
            emit([{"query": query, "count": total}], fmt)
        else:
            click.echo(total)
        return
    rows = search_api.search(db, query, limit=limit or None, **filters) if total else []
    click.echo(f"{total} articles match {query or f'byline {byline}'!r}" + (f", showing {len(rows)}" if len(rows) < total else "")
               + ("" if total else ": no article's printed text holds it" + (" as a word" if words else "")), err=True)
    emit(rows, fmt, columns=["article_id", "date", "source", "page", "kind", "title", "field", "snippet"])


@cli.command(context_settings=QUERY_SETTINGS)
@click.argument("query", nargs=-1, required=True)
@db_option
@click.option("--width", type=click.IntRange(1, 500), default=20, show_default=True,
              help="Characters of context either side.")
@click.option("--limit", type=click.IntRange(0), default=0, show_default=True, help="Lines to show (0: all).")
@click.option("--sort", metavar="KEYS", help="Sort by the neighbour words L1, L2, L3 (left, nearest first), "
              "R1, R2, R3 (right), or several, comma-separated (L1,R1); then by date.")
@filter_options
@click.option("--words", is_flag=True, help=WORDS_HELP)
@timeout_option
@output_options
@friendly_errors
def kwic(query, db_path, width, limit, sort, source, date_from, date_to, byline, words, fmt):
    """Concordance: one line per occurrence, left context, match, right context, in date order,
    in every printed field (a line outside the body names its field: title, byline...).

    Same query syntax as `search` (Latin letters case-insensitive; --words for whole words);
    contexts are aligned by display width, so Chinese lines up. --sort L1,R1 orders the lines by
    the words left and right of the match (the segmentation's words; --json gives them as L1..L3,
    R1..R3, and `word`, the whole word the match is part of).

    \b
    Example:
        zzcorpus kwic 新质生产力 --width 15
        zzcorpus kwic 锂电 --sort L1,R1
        zzcorpus kwic 锂电 --json
        zzcorpus kwic --words 电力
    """
    from . import search as search_api

    query = query_text(query)
    rows = search_api.kwic(open_db(db_path), query, width=width, limit=limit or None, sort=sort,
                           source=source, date_from=date_from, date_to=date_to, byline=byline, words=words)
    if fmt:
        emit(rows, fmt, columns=["article_id", "date", "source", "title", "field", "left", "match", "right", "offset",
                                 "word", *search_api.KWIC_NEIGHBOURS])
        return
    if not rows:
        click.echo(f"no occurrences of {query!r}", err=True)
        return
    flat = lambda text: text.replace("\n", " ")  # noqa: E731
    left_width = max((display_width(flat(r["left"])) for r in rows), default=0)
    click.echo("\n".join(f"{r['article_id']:>6}  {r['date'] or '':10}  "
                         f"{pad(flat(r['left']), left_width, right=True)} [{r['match']}] {flat(r['right'])}"
                         + ("" if r["field"] == "body" else f"  ({r['field']})")
                         for r in rows))

# --- report commands (freq, keyness, cooc, network, trend, ngrams, idf): selection.py reads, reports.py counts ---


POS_HELP = ("Only words whose main tag starts with one of these (comma-separated): n keeps n, nr, ns, nz...; "
            "nr only names.")


def report_filters(fn):
    """filter_options (--source, --from, --to, --byline) and --where: which articles a report reads."""
    fn = click.option("--where", help="An SQL condition on report_articles, e.g. \"page = '01'\".")(fn)
    return filter_options(fn)


def word_options(fn):
    """--pos, --min-len, --stopwords / --no-stopwords: which words a report shows (rows only)."""
    fn = click.option("--no-stopwords", is_flag=True, help="Keep stopwords.")(fn)
    fn = click.option("--stopwords", "stopwords_file", type=click.Path(exists=True, dir_okay=False),
                      help="Stopword list, one word a line (default: the list stored at ingest).")(fn)
    fn = click.option("--min-len", type=int, default=1, show_default=True, help="Shortest word, in characters.")(fn)
    return click.option("--pos", help=POS_HELP)(fn)


def _remember(ctx, param, value):
    """Keep an option for _selection, which every report calls, in the click context."""
    ctx.meta[f"zz_{param.name}"] = value
    return value


def report_options(*, words: bool = True):
    """What every report takes: the article filters (--script and --keep-duplicates included),
    the word filters (words=True), --save NAME and the output format."""

    def decorate(fn):
        fn = output_options(fn)
        fn = wait_option(timeout_option(fn))
        fn = click.option("--save", "save_name", metavar="NAME",
                          help="Also store the rows as table NAME in the database (listed in saved_reports).")(fn)
        fn = click.option("--keep-duplicates", is_flag=True, expose_value=False, callback=_remember,
                          help="Count every printing: exact duplicates and reprints too.")(fn)
        fn = click.option("--script", expose_value=False, callback=_remember,
                          help="Only articles in these scripts: simplified, traditional, mixed (comma-separated).")(fn)
        return report_filters(word_options(fn) if words else fn)

    return decorate


def _selection_filters(source, date_from, date_to, where, byline=None) -> Filters:
    meta = click.get_current_context().meta
    scripts = tuple(s.strip() for s in (meta.get("zz_script") or "").split(",") if s.strip())
    return Filters(sources=(source,) if source else (), date_from=date_from, date_to=date_to, where=where,
                   bylines=(byline,) if byline else (), scripts=scripts,
                   keep_duplicates=bool(meta.get("zz_keep_duplicates")))


def _selection(db, source, date_from, date_to, where, byline):
    sel = Selection(db, _selection_filters(source, date_from, date_to, where, byline))
    if store.get_meta(db).get("headline_tokens") == "title":
        path = db.conn.execute("PRAGMA database_list").fetchone()[2]
        click.echo("note: the kickers and subtitles of this corpus are not counted yet: "
                   f"run `zzcorpus resegment --db {path}` once to count them with the titles", err=True)
    return sel


def _words(db, pos, min_len, stopwords_file, no_stopwords):
    return word_filter(db, pos=pos, min_len=min_len, stopwords=not no_stopwords,
                               stopwords_file=stopwords_file)


def _report(db, rows, fmt, *, save_name, command, params, columns=None):
    """Save the rows when asked (with everything that made them), then print them."""
    not_saved = _save(db, save_name, lambda: save_report(db, save_name, rows, command=command, params=params))
    emit(rows, fmt, columns=columns)
    _said_not_saved(not_saved)


def _save(db, name, write) -> str | None:
    """Write a computed report (--save) under the write lock; when another writer or the file
    keeps it from being written, say so instead of losing the rows: the caller prints them."""
    if not name:
        return None
    db.conn.set_progress_handler(None, 0)  # the time limit is for reading; the rows are computed
    try:
        write()
    except (WriterBusy, sqlite3.OperationalError) as e:
        return f"table {name} was not saved: {e}"
    return None


def _said_not_saved(message) -> None:
    if message:
        click.echo(f"Error: {message}", err=True)
        sys.exit(1)


@cli.command()
@db_option
@click.option("--top", type=int, default=50, show_default=True, help="Words to show (per group with --by).")
@click.option("--by", help="Top words per source, year or month.")
@report_options()
@friendly_errors
def freq(db_path, top, by, source, date_from, date_to, where, byline, pos, min_len, stopwords_file, no_stopwords,
         save_name, fmt):
    """Word frequencies: count, per_million, doc_count, range (share of articles), dp (Gries' DP:
    0 = spread evenly over the articles, towards 1 = in a few) and the word's main POS tag.

    \b
    Example:
        zzcorpus freq --top 20 --pos n --min-len 2
        zzcorpus freq --by year --top 10 --json
    """
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    rows = reports.freq(db, sel, wf, top=top, by=by)
    params = {**sel.filters.params(), **wf.params(), "top": top, "by": by, "tokens": sel.n_tokens}
    _report(db, rows, fmt, save_name=save_name, command="freq", params=params)


@cli.command()
@db_option
@click.option("--ref-source", help="Reference: articles from this paper.")
@click.option("--ref-from", callback=lambda ctx, param, value: check_date(value, name="--ref-from"),
              help=f"Reference: first date ({DATE_HELP}).")
@click.option("--ref-to", callback=lambda ctx, param, value: check_date(value, name="--ref-to"),
              help=f"Reference: last date, inclusive ({DATE_HELP}).")
@click.option("--ref-where", help="Reference: an SQL condition on report_articles.")
@click.option("--reference-db", type=click.Path(exists=True, dir_okay=False),
              help="Reference: another corpus database (its report_articles, with the --ref-* filters).")
@click.option("--by", default="ll", show_default=True, help="Sort by ll, log_ratio, chi2 or pct_diff.")
@click.option("--min-count", type=int, default=3, show_default=True,
              help="Least count in the target (in the reference with --negative).")
@click.option("--top", type=int, default=50, show_default=True, help="Keywords to show.")
@click.option("--negative", is_flag=True, help="Words the target uses less than the reference, most negative first.")
@report_options()
@friendly_errors
def keyness(db_path, source, date_from, date_to, where, byline, ref_source, ref_from, ref_to, ref_where, reference_db,
            by, min_count, top, negative, pos, min_len, stopwords_file, no_stopwords, save_name, fmt):
    """Keywords: words the target uses more than the reference. a, b = counts in target and
    reference, c, d = their sizes in tokens; ll = signed log-likelihood (G2), log_ratio
    (binary log of the ratio of relative frequencies), chi2, pct_diff.

    The target is chosen with --source/--from/--to/--where; the reference with the --ref-*
    options, or another database (--reference-db), else it is the rest of the corpus.

    \b
    Example:
        zzcorpus keyness --source 枣庄日报 --top 20
        zzcorpus keyness --from 2024-03 --ref-to 2024-02 --by log_ratio
    """
    db = open_db(db_path)
    target = _selection(db, source, date_from, date_to, where, byline)
    ref_db = open_db(reference_db) if reference_db else db
    ref_filters = Filters(sources=(ref_source,) if ref_source else (), date_from=ref_from,
                                  date_to=ref_to, where=ref_where)
    if ref_filters.empty and not reference_db:
        if target.filters.empty:
            raise click.ClickException("choose a target (--source, --from, --to, --byline, --where) or a reference "
                                       "(--ref-*, --reference-db)")
        reference = Selection(db, ref_filters, exclude=target)
    else:
        reference = Selection(ref_db, ref_filters)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    rows = reports.keyness(db, target, wf, ref_db=ref_db, reference=reference, by=by, min_count=min_count,
                           top=top, negative=negative)
    params = {**target.filters.params(), "reference": {**ref_filters.params(), "db": reference_db},
              **wf.params(), "by": by, "min_count": min_count, "top": top, "negative": negative,
              "c": target.n_tokens, "d": reference.n_tokens}
    _report(db, rows, fmt, save_name=save_name, command="keyness", params=params)


WINDOW_HELP = "article, paragraph, sentence, or N words either side."


@cli.command()
@click.argument("word")
@db_option
@click.option("--window", default="5", show_default=True, help=WINDOW_HELP)
@click.option("--by", default="logdice", show_default=True,
              help="Sort by count, mi, mi3, t, z, ll, dice, logdice or jaccard (unit windows).")
@click.option("--min-count", type=int, default=3, show_default=True, help="Least co-occurrences (o11).")
@click.option("--top", type=int, default=50, show_default=True, help="Collocates to show.")
@report_options()
@friendly_errors
def cooc(word, db_path, window, by, min_count, top, source, date_from, date_to, where, byline, pos, min_len,
         stopwords_file, no_stopwords, save_name, fmt):
    """Collocates of WORD: o11 (co-occurrences), f_node, f_word, n, e11 and the association
    measures. Unit windows (article, paragraph, sentence) count units; a window of N words
    counts collocate tokens within N words either side of each WORD (CQPweb: span 2N).

    \b
    Example:
        zzcorpus cooc 人大 --window 5 --by logdice --top 20
        zzcorpus cooc 锂电 --window sentence --by mi --min-count 5
    """
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    rows = reports.cooc(db, sel, wf, word, window=window, by=by, min_count=min_count, top=top)
    params = {"word": word, **sel.filters.params(), **wf.params(), "window": window, "by": by,
              "min_count": min_count, "top": top}
    _report(db, rows, fmt, save_name=save_name, command="cooc", params=params)


@cli.command()
@click.argument("words", nargs=-1)
@db_option
@click.option("--top", type=int, default=50, show_default=True,
              help="Nodes: the top words (or each WORD's top collocates).")
@click.option("--window", default="sentence", show_default=True, help=WINDOW_HELP)
@click.option("--measure", default="logdice", show_default=True,
              help="Edge weight: count, mi, mi3, t, z, ll, dice, logdice or jaccard (unit windows).")
@click.option("--min-count", type=int, default=3, show_default=True, help="Least co-occurrences for an edge.")
@click.option("--min", "min_value", type=float, help="Least measure value for an edge.")
@click.option("--max-edges", type=int, default=200, show_default=True, help="Strongest edges kept (0: all).")
@click.option("--gexf", type=click.Path(dir_okay=False), help="Write the network as GEXF 1.3 (Gephi).")
@click.option("--graphml", type=click.Path(dir_okay=False), help="Write the network as GraphML (Gephi, Cytoscape).")
@click.option("--edges", "edges_file", type=click.Path(dir_okay=False), help="Write the edges as CSV.")
@click.option("--out", type=click.Path(dir_okay=False), help="Draw the network: .svg, .png or .html.")
@report_options()
@friendly_errors
def network(words, db_path, top, window, measure, min_count, min_value, max_edges, gexf, graphml, edges_file,
            out, source, date_from, date_to, where, byline, pos, min_len, stopwords_file, no_stopwords, save_name, fmt):
    """Co-occurrence network among the top words, or around WORDS (their collocates): edges
    weighted by an association measure, only pairs seen together more than chance expects.
    Prints the edges; writes the network for Gephi/Cytoscape and draws it (node size by
    frequency, the layout the same on every run).

    \b
    Example:
        zzcorpus network --top 60 --out network.svg --gexf network.gexf
        zzcorpus network 人大 代表 --window sentence --out network.png
    """
    if out:  # a wrong file type fails before the counting, not after
        check_choice(Path(out).suffix.lower(), charts.PICTURES, name="picture type")
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    graph = reports.network(db, sel, wf, words, top=top, window=window, measure=measure, min_count=min_count,
                            min_value=min_value, max_edges=max_edges or None)
    positions = net.layout(graph) if (out or gexf or graphml) else None
    title = f"{' '.join(words) or f'top {top}'}: {measure}, window {window}"
    if gexf:
        net.write_gexf(graph, gexf, positions=positions, description=title)
    if graphml:
        net.write_graphml(graph, graphml, positions=positions)
    if edges_file:
        net.write_edges_csv(graph, edges_file)
    if out:
        charts.save_picture(net.network_svg(graph, positions, title=title), out, title=title)
    click.echo(f"{len(graph.nodes)} nodes, {len(graph.edges)} edges", err=True)
    params = {"words": list(words), **sel.filters.params(), **wf.params(), "top": top, "window": window,
              "measure": measure, "min_count": min_count, "min": min_value, "max_edges": max_edges}
    rows = [{c: e.get(c) for c in graph.edge_columns} for e in graph.edges]
    _report(db, rows, fmt, save_name=save_name, command="network", params=params, columns=graph.edge_columns)


@cli.command()
@click.argument("words", nargs=-1, required=True)
@db_option
@click.option("--by", default="month", show_default=True, help="Period: year, month or day.")
@click.option("--out", type=click.Path(dir_okay=False), help="Draw a line chart: .svg, .png or .html.")
@report_options(words=False)
@friendly_errors
def trend(words, db_path, by, out, source, date_from, date_to, where, byline, save_name, fmt):
    """How often each WORD occurs per period: count, per_million and the period's size in tokens,
    every period from the first to the last of the selection (zero counts included).

    \b
    Example:
        zzcorpus trend 锂电 新质生产力 --by month --out trend.svg
    """
    if out:
        check_choice(Path(out).suffix.lower(), charts.PICTURES, name="picture type")
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    rows = reports.trend(db, sel, list(words), by=by)
    if out:
        periods = list(dict.fromkeys(r["period"] for r in rows))
        series = {w: [r["per_million"] or 0.0 for r in rows if r["word"] == w] for w in dict.fromkeys(words)}
        title = f"{' / '.join(series)}: per million tokens, by {by}"
        svg = charts.line_chart_svg(periods, series, title=title, y_label="per million tokens")
        charts.save_picture(svg, out, title=title)
    params = {"words": list(words), **sel.filters.params(), "by": by}
    _report(db, rows, fmt, save_name=save_name, command="trend", params=params)


@cli.command()
@click.argument("words", nargs=-1, required=True)
@db_option
@click.option("--out", type=click.Path(dir_okay=False), help="Draw the dispersion plot: .svg, .png or .html.")
@report_options(words=False)
@friendly_errors
def dispersion(words, db_path, out, source, date_from, date_to, where, byline, save_name, fmt):
    """Where each WORD occurs across the corpus: one row per article holding it (word,
    article_id, source, date, page, count), in date order. --out draws AntConc's Plot over time:
    one strip per word and paper, a tick at each article's date.

    \b
    Example:
        zzcorpus dispersion 锂电 新能源 --out plot.svg
        zzcorpus dispersion 锂电 --source 枣庄日报 --out plot.png
    """
    if out:
        check_choice(Path(out).suffix.lower(), charts.PICTURES, name="picture type")
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    rows = reports.dispersion_rows(db, sel, list(words))
    if out:
        span = reports.date_span(sel)
        if span is None:
            raise click.ClickException("no dated articles in the selection: a dispersion plot needs dates "
                                       "(give them at ingest: --date, or names like 枣庄日报_2024-03-19_02.txt)")
        sources = sorted(sel.counts("source"), key=lambda k: (k is None, k or ""))
        strips = [(w, s) for w in dict.fromkeys(words) for s in sources]
        title = f"{' / '.join(dict.fromkeys(words))}: 分布 dispersion, {span[0]} – {span[1]}"
        charts.save_picture(charts.dispersion_svg(rows, strips, *span, title=title), out, title=title)
    params = {"words": list(words), **sel.filters.params()}
    _report(db, rows, fmt, save_name=save_name, command="dispersion", params=params)


@cli.command()
@db_option
@click.option("--n", "size", type=int, default=2, show_default=True, help="Words in a sequence: 2, 3 or 4.")
@click.option("--top", type=int, default=50, show_default=True, help="Sequences to show.")
@click.option("--min-count", type=int, default=2, show_default=True, help="Least occurrences.")
@report_options()
@friendly_errors
def ngrams(db_path, size, top, min_count, source, date_from, date_to, where, byline, pos, min_len, stopwords_file,
           no_stopwords, save_name, fmt):
    """Recurring word sequences (never across punctuation, numbers or paragraphs): count and
    doc_count. A sequence is shown when every word of it passes the word filters.

    \b
    Example:
        zzcorpus ngrams --n 3 --top 20
    """
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    rows = reports.top_ngrams(db, sel, wf, n=size, top=top, min_count=min_count)
    params = {**sel.filters.params(), **wf.params(), "n": size, "top": top, "min_count": min_count}
    _report(db, rows, fmt, save_name=save_name, command="ngrams", params=params)


@cli.command()
@db_option
@click.option("--out", type=click.Path(dir_okay=False), help="Write the IDF file for jieba.analyse here.")
@report_options(words=False)
@friendly_errors
def idf(db_path, out, source, date_from, date_to, where, byline, save_name, fmt):
    """Inverse document frequency of every word, ln(articles / articles holding it): with --out,
    a file jieba.analyse reads (jieba.analyse.set_idf_path); else the rows word, doc_count, idf.

    \b
    Example:
        zzcorpus idf --out idf.txt
    """
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    rows, lines = reports.idf(db, sel)
    not_saved = _save(db, save_name, lambda: save_report(db, save_name, rows, command="idf",
                                                         params=sel.filters.params()))
    if out:
        Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
        click.echo(f"{len(lines)} words -> {out}", err=True)
    if fmt or not out or not_saved:
        emit(rows, fmt)
    _said_not_saved(not_saved)


@cli.command()
@db_option
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="NAME.mtx (Matrix Market, with NAME.rows.tsv and NAME.cols.tsv) or NAME.csv (long).")
@report_filters
@word_options
@friendly_errors
def dfm(db_path, out, source, date_from, date_to, byline, where, pos, min_len, stopwords_file, no_stopwords):
    """The document-feature matrix: word counts per article, for R and Python. Rows are the
    selected articles (their id, source, date and title in NAME.rows.tsv), columns the words that
    pass the word filters (NAME.cols.tsv); or one line per article and word in a CSV.

    \b
    Example:
        zzcorpus dfm --out corpus.mtx --no-stopwords
        (R: m <- Matrix::readMM("corpus.mtx"); quanteda::as.dfm(m))
    """
    export.dfm_format(out)  # a wrong file type fails before the counting
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    ids, features, matrix = reports.document_features(db, sel, wf)
    written = export.write_dfm(out, ids, features, matrix, meta=export.article_meta(db, ids))
    click.echo(f"{matrix.shape[0]} articles x {matrix.shape[1]} words, {matrix.nnz} counts -> "
               f"{', '.join(map(str, written))}", err=True)


@cli.command()
@db_option
@click.option("--min-count", type=int, default=3, show_default=True, help="Least occurrences of a candidate.")
@click.option("--top", type=int, default=50, show_default=True, help="Candidates to show.")
@click.option("--max-chars", type=click.IntRange(2, 20), default=8, show_default=True,
              help="Longest candidate, in characters.")
@click.option("--add", "add_file", type=click.Path(dir_okay=False),
              help="Append the candidates shown to this user dictionary (then: resegment --userdict FILE).")
@report_options()
@friendly_errors
def newwords(db_path, min_count, top, max_chars, add_file, source, date_from, date_to, byline, where, pos, min_len,
             stopwords_file, no_stopwords, save_name, fmt):
    """Words the segmenter misses: strings it cuts into 2-4 tokens that behave as one word here,
    best first: count, pmi (cohesion of the weakest join), left_entropy and right_entropy
    (freedom of the neighbours, bits), unknown_parts (parts the dictionary lacks), score, cut
    (today's tokens) and an example line.

    \b
    Example:
        zzcorpus newwords --top 30
        zzcorpus newwords --min-count 10 --top 20 --add mywords.txt && zzcorpus resegment --userdict mywords.txt
    """
    db = open_db(db_path)
    sel = _selection(db, source, date_from, date_to, where, byline)
    wf = _words(db, pos, min_len, stopwords_file, no_stopwords)
    rows = reports.newwords(db, sel, wf, min_count=min_count, top=top, max_chars=max_chars)
    if add_file:
        added = reports.write_userdict(add_file, [r["word"] for r in rows])
        click.echo(f"{added} new words -> {add_file} (apply: zzcorpus resegment --userdict {add_file})", err=True)
    params = {**sel.filters.params(), **wf.params(), "min_count": min_count, "top": top, "max_chars": max_chars}
    _report(db, rows, fmt, save_name=save_name, command="newwords", params=params,
            columns=["word", "count", "pmi", "left_entropy", "right_entropy", "unknown_parts", "score", "cut", "example"])


@cli.command()
@db_option
@report_options(words=False)
@friendly_errors
def reprints(db_path, source, date_from, date_to, byline, where, save_name, fmt):
    """Reprinted stories (wire copy): one row per printing, clusters in order of first printing:
    cluster (the first printing's article id), article_id, source, date, title, similarity (to
    the printing it was matched with) and lag_days from the first printing. A cluster is listed
    when any of its printings passes the filters.

    \b
    Example:
        zzcorpus reprints --from 2024-03 --csv > reprints.csv
    """
    db = open_db(db_path)
    filters = _selection_filters(source, date_from, date_to, where, byline)
    rows = reports.reprints(db, filters)
    _report(db, rows, fmt, save_name=save_name, command="reprints", params=filters.params(),
            columns=["cluster", "article_id", "source", "date", "title", "similarity", "lag_days", "printings"])


# --- content analysis (code): coding.py reads the dictionary and codes the articles ---

CODE_PICTURES = charts.PICTURES + (".gexf",)


def _draw_trend(codes, rows, by, out, *, title) -> None:
    from . import coding

    periods, series = coding.trend_series(codes, rows, by)
    charts.save_picture(charts.line_chart_svg(periods, series, title=title, y_label="% of articles"), out, title=title)


@cli.command("code")
@click.argument("dictionary", type=click.Path(dir_okay=False), required=False)
@db_option
@click.option("--by", help="One row per code and source, year, month or day, with chi2, p and residuals.")
@click.option("--nested", is_flag=True, help="Also count matches lying inside longer matches (工业 in 工业母机).")
@click.option("--kwic", "kwic_code", metavar="CODE", help="Instead of counts, list CODE's matches in context.")
@click.option("--width", type=click.IntRange(1, 500), default=20, show_default=True,
              help="Characters of context either side (--kwic).")
@click.option("--trend", "draw_trend", is_flag=True,
              help="Draw each code's share of articles per period (--by year/month/day) to --out.")
@click.option("--network", "draw_network", is_flag=True,
              help="Draw the codes as a network (Jaccard over articles) to --out.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="The picture: .svg, .png or .html (--trend, --network), or .gexf (--network).")
@click.option("--save", "save_name", metavar="NAME",
              help="Store the article x code matrix (article_id, source, date, one column per code) as table NAME.")
@click.option("--saved", "saved_name", metavar="NAME",
              help="Instead of DICTIONARY: the counts (--by: the crosstab, --trend) from the matrix saved as NAME.")
@report_filters
@wait_option
@timeout_option
@output_options
@friendly_errors
def code_command(dictionary, db_path, by, nested, kwic_code, width, draw_trend, draw_network, out, save_name,
                 saved_name, source, date_from, date_to, where, byline, fmt):
    """Content analysis: count a dictionary's codes in the articles: code, articles (holding it),
    share (of the selected articles), matches, per_million (tokens).

    DICTIONARY by suffix: quanteda YAML (.yml/.yaml), LIWC (.dic), WordStat (.cat) or KH Coder
    coding rules (.txt). Entries are words, globs (经济*), phrases cut by the corpus's segmenter
    and 'quoted' substrings; a match inside a longer match of any entry is not counted
    (--nested counts it). --by adds the group, each group's adjusted residual and the code's
    chi2 and p over articles with / without it. --saved NAME gives the same counts, crosstab
    or trend from a matrix stored by --save NAME, without coding again.

    \b
    Example:
        zzcorpus code seeds/dictionary.yml --by month --save codes
        zzcorpus code seeds/coding_rules.txt --kwic 工业
        zzcorpus code seeds/dictionary.yml --trend --by month --out trend.svg
        zzcorpus code seeds/dictionary.yml --network --out codes.gexf
        zzcorpus code --saved codes --by source
    """
    import hashlib

    from . import coding

    if draw_trend and draw_network:
        raise click.ClickException("--trend and --network each need their own --out: run them one at a time")
    if (draw_trend or draw_network) and not out:
        raise click.ClickException(f"{'--trend' if draw_trend else '--network'} needs --out FILE")
    if out and not (draw_trend or draw_network):
        raise click.ClickException("--out draws a picture: add --trend or --network")
    if out:
        check_choice(Path(out).suffix.lower(), CODE_PICTURES if draw_network else charts.PICTURES,
                     name="picture type")
    if by:
        coding.check_group(by)
    if draw_trend and by not in coding.PERIODS:
        raise click.ClickException(f"--trend needs --by {', '.join(coding.PERIODS)}")
    if saved_name is not None:
        if dictionary is not None:
            raise click.ClickException("give a DICTIONARY to code, or --saved NAME to read saved codes, not both")
        given = [name for name, value in (("--nested", nested), ("--kwic", kwic_code is not None),
                                          ("--network", draw_network), ("--save", save_name),
                                          ("--source", source), ("--from", date_from), ("--to", date_to),
                                          ("--where", where), ("--byline", byline)) if value]
        if given:
            raise click.ClickException(f"--saved reads the codes as they were saved: {', '.join(given)} "
                                       "go(es) with a DICTIONARY, which codes the articles again")
        db = open_db(db_path)
        codes, rows = coding.saved_rows(db, saved_name, by=by)
        if draw_trend:
            _draw_trend(codes, rows, by, out, title=f"{saved_name}: share of articles (%), by {by}")
        emit(rows, fmt)
        return
    if dictionary is None:
        raise click.ClickException("give a DICTIONARY to code (or --saved NAME: codes saved before)")
    db = open_db(db_path)
    codebook = coding.load_codebook(db, dictionary, nested=nested)
    coded, sel = coding.code_corpus(db, codebook, source=source, date_from=date_from, date_to=date_to, where=where,
                                    byline=byline)
    not_saved = None
    if save_name:
        params = {"dictionary": str(dictionary), "dictionary_sha256": hashlib.sha256(
            Path(dictionary).read_bytes()).hexdigest(), **sel.filters.params(), "nested": nested,
            "codes": codebook.names, "articles": sel.n_articles, "tokens": sel.n_tokens}
        not_saved = _save(db, save_name, lambda: coding.save_matrix(db, save_name, coded, params=params))
    if kwic_code is not None:
        rows = coding.code_kwic(db, codebook, kwic_code, coded, width=width)
        if fmt:
            emit(rows, fmt, columns=["article_id", "date", "source", "code", "left", "match", "right"])
        elif rows:
            left_width = max(display_width(r["left"]) for r in rows)
            click.echo("\n".join(f"{r['article_id']:>6}  {r['date'] or '':10}  "
                                 f"{pad(r['left'], left_width, right=True)} [{r['match']}] {r['right']}" for r in rows))
        click.echo(f"{len(rows)} matches of {kwic_code}", err=True)
        _said_not_saved(not_saved)
        return
    rows = coding.group_rows(coded, by) if by else coding.summary_rows(coded)
    if draw_trend:
        _draw_trend(codebook.names, rows, by, out, title=f"{Path(dictionary).name}: share of articles (%), by {by}")
    if draw_network:
        graph = coding.code_graph(coded)
        title = f"{Path(dictionary).name}: codes joined by Jaccard over articles"
        positions = net.layout(graph)
        if Path(out).suffix.lower() == ".gexf":
            net.write_gexf(graph, out, positions=positions, description=title)
        else:
            charts.save_picture(net.network_svg(graph, positions, title=title), out, title=title)
        click.echo(f"{len(graph.nodes)} codes, {len(graph.edges)} edges -> {out}", err=True)
    emit(rows, fmt)
    _said_not_saved(not_saved)
