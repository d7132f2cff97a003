"""Which articles and which words a report reads: the article filters every report and search
take (--source, --from, --to, --byline, --where) and the word filters (--pos, --min-len,
stopwords).

A word filter only removes rows from finished counts, so it never changes a number shown for a
word that remains.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .scripts import SCRIPTS, fold
from .querylimits import raise_if_stopped
from .dates import date_bound
from .store import get_meta

# What a --where condition may do: read, call functions. Everything else (writes, ATTACH,
# PRAGMA, temp tables) is denied by the sqlite3 authorizer while it runs.
READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


@dataclass(frozen=True)
class Filters:
    """The article filters every report takes: --source, --from, --to, --byline, --where, --script,
    and --keep-duplicates (count every printing: exact duplicates and reprints too)."""

    sources: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    where: str | None = None
    bylines: tuple[str, ...] = ()  # names in an article's bylines (any of them)
    scripts: tuple[str, ...] = ()
    keep_duplicates: bool = False

    def __post_init__(self):
        for script in self.scripts:
            if script not in SCRIPTS:
                raise ValueError(f"unknown script {script!r}: choose from {', '.join(SCRIPTS)}")
        if self.where:  # refused where it is given, whether or not a query then needs it
            check_where(self.where)

    @property
    def table(self) -> str:
        """What the selection starts from: report_articles, or every article but page furniture."""
        return "(SELECT * FROM articles WHERE kind != 'furniture')" if self.keep_duplicates else "report_articles"

    @property
    def bounds(self) -> tuple[str | None, str | None]:
        """The first and last day selected (YYYY-MM-DD), None where open."""
        return (date_bound(self.date_from, end=False) if self.date_from else None,
                date_bound(self.date_to, end=True) if self.date_to else None)

    def sql(self) -> tuple[str, list]:
        """A condition on report_articles and its parameters."""
        clauses, params = [], []
        if self.sources:
            clauses.append(f"source IN ({', '.join('?' * len(self.sources))})")
            params += list(self.sources)
        low, high = self.bounds
        if low:
            clauses.append("date >= ?")
            params.append(low)
        if high:
            clauses.append("date <= ?")
            params.append(high)
        if self.bylines:
            # bylines is a JSON list of names (pages.py); a hand-edited bad value matches nothing
            clauses.append(f"CASE WHEN json_valid(bylines) THEN EXISTS (SELECT 1 FROM json_each(bylines) "
                           f"WHERE value IN ({', '.join('?' * len(self.bylines))})) END")
            params += list(self.bylines)
        if self.scripts:
            clauses.append(f"script IN ({', '.join('?' * len(self.scripts))})")
            params += list(self.scripts)
        if self.where:
            check_where(self.where)
            clauses.append(f"({self.where})")
        return " AND ".join(clauses) or "1", params

    def params(self) -> dict:
        return {"source": list(self.sources), "from": self.date_from, "to": self.date_to, "where": self.where,
                "byline": list(self.bylines), "script": list(self.scripts), "keep_duplicates": self.keep_duplicates}

    @property
    def empty(self) -> bool:
        return not (self.sources or self.date_from or self.date_to or self.where or self.bylines or self.scripts
                    or self.keep_duplicates)

    def check(self, db) -> None:
        """ValueError (one line) when a filter cannot match any article of this corpus: a source
        or byline name it does not hold, a date range over a corpus without dates. A filter that
        could match but happens to select nothing is not an error."""
        low, high = self.bounds  # a malformed date is reported as such first
        for source in self.sources:
            if not db.execute("SELECT 1 FROM articles WHERE source = ? LIMIT 1", [source]).fetchone():
                known = [r[0] for r in db.execute(
                    "SELECT source FROM articles WHERE source IS NOT NULL GROUP BY source ORDER BY COUNT(*) DESC LIMIT 10")]
                raise ValueError(f"no articles from source {source!r}: "
                                 + (f"sources are {', '.join(known)}" if known else "this corpus stores no source names"))
        for name in self.bylines:
            if not db.execute("SELECT 1 FROM articles WHERE instr(bylines, ?) > 0 AND json_valid(bylines) AND EXISTS "
                              "(SELECT 1 FROM json_each(bylines) WHERE value = ?) LIMIT 1", [name, name]).fetchone():
                raise ValueError(f"no article has {name!r} in its byline (bylines lists each reporter's name, e.g. 张环泽)")
        if (low or high) and not has_dates(db):
            raise ValueError("this corpus stores no dates, so --from/--to match nothing: give dates at ingest "
                             "(file names like 枣庄日报_2024-03-19_02.txt, or --date)")


def has_dates(db) -> bool:
    return db.execute("SELECT 1 FROM articles WHERE COALESCE(date, '') != '' LIMIT 1").fetchone() is not None


def check_where(where: str) -> None:
    """ValueError unless `where` is one SQL expression on its own: every parenthesis closed
    inside it and none closing the one it is put in (`1) OR (1` would drop the other filters),
    no statement break, no comment that could hide the rest of the query."""
    bad = "--where takes one SQL condition"
    depth, i, n = 0, 0, len(where)
    while i < n:
        c = where[i]
        if c in "'\"`[":  # a string or quoted name: skip to its end ('' and "" escape themselves)
            close = "]" if c == "[" else c
            end = where.find(close, i + 1)
            while end != -1 and close != "]" and where[end + 1 : end + 2] == close:
                end = where.find(close, end + 2)
            if end == -1:
                raise ValueError(f"{bad}: {c} at character {i + 1} is never closed")
            i = end + 1
            continue
        if where.startswith(("--", "/*"), i):
            raise ValueError(f"{bad}: comments ({where[i:i + 2]}) are not allowed")
        if c == ";":
            raise ValueError(f"{bad}: ';' is not allowed")
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"{bad}: ')' at character {i + 1} closes a parenthesis it did not open")
        i += 1
    if depth:
        raise ValueError(f"{bad}: {depth} '(' never closed")


def read_only(db, sql: str, params, *, where: str | None):
    """Run a query that holds a user's --where condition: reads only, one-line errors."""

    def authorizer(action, *args):
        return sqlite3.SQLITE_OK if action in READ_ACTIONS else sqlite3.SQLITE_DENY

    db.conn.set_authorizer(authorizer)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        raise_if_stopped(e)  # a time limit or Ctrl-C, not a bad condition
        raise ValueError(f"bad --where condition {where!r}: {e}" if where else str(e)) from None
    finally:
        try:
            db.conn.set_authorizer(None)
        except TypeError:  # Python 3.10 cannot remove one: allow everything again (checked at prepare only)
            db.conn.set_authorizer(lambda *args: sqlite3.SQLITE_OK)


# --- words ----------------------------------------------------------------------------------

def read_stopwords(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@dataclass(frozen=True)
class WordFilter:
    """Which words a report shows. POS tags match by prefix against the word's tag
    (lexicon.pos): `n` keeps n, nr, ns, nt, nz, ng...; `nr` keeps only nr, nrfg, nrt."""

    pos: tuple[str, ...] = ()
    min_len: int = 1
    stopwords: frozenset[str] = frozenset()
    stopwords_sha256: str | None = None

    def keep(self, word: str, pos: str | None) -> bool:
        if len(word) < self.min_len or word in self.stopwords:
            return False
        return not self.pos or (pos is not None and pos.startswith(self.pos))

    def params(self) -> dict:
        return {"pos": list(self.pos), "min_len": self.min_len, "stopwords_sha256": self.stopwords_sha256}


def word_filter(db, *, pos: str | None = None, min_len: int = 1, stopwords: bool = True,
                stopwords_file=None) -> WordFilter:
    """Build the word filter: pos 'n,nr,v' (checked against the tags in the corpus), min_len in
    characters, stopwords from stopwords_file or else the list stored in meta at ingest (so a
    shared database gives the same answers); stopwords=False keeps them."""
    if not isinstance(min_len, int) or min_len < 1:
        raise ValueError(f"--min-len must be a whole number >= 1, got {min_len!r}")
    tags = tuple(t.strip() for t in (pos or "").split(",") if t.strip())
    if tags:
        known = sorted(r[0] for r in db.execute("SELECT DISTINCT pos FROM lexicon WHERE is_word = 1 AND pos IS NOT NULL"))
        for tag in tags:
            if not any(k.startswith(tag) for k in known):
                raise ValueError(f"unknown POS tag {tag!r}: tags in this corpus: {', '.join(known)}")
    if not stopwords:
        words, sha = frozenset(), None
    elif stopwords_file:
        data = Path(stopwords_file).read_bytes()
        words, sha = read_stopwords(data.decode("utf-8-sig")), hashlib.sha256(data).hexdigest()
    else:
        meta = get_meta(db)
        words, sha = read_stopwords(meta.get("stopwords") or ""), meta.get("stopwords_sha256")
    # The word index holds folded (simplified) words: a traditional stopword stops its folded form too.
    words = words | {fold(w) for w in words}
    return WordFilter(pos=tags, min_len=min_len, stopwords=words, stopwords_sha256=sha)
