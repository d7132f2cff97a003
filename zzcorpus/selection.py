"""Which articles and words a report reads, and the counts and token streams it needs, read
from corpus.db and handed to the pure functions of reports.py and measures.py.

- Articles: the view report_articles (no furniture, no marked duplicates), narrowed by
  `Filters` (source, date range, a read-only SQL condition). Corpus size N is the number of
  word tokens of the selected articles (articles.tokens), never of the rows a report shows.
- Words: `WordFilter` (POS prefixes, minimum length, stopwords) only removes rows from
  finished counts, so it never changes a number shown for a word that remains.
- Counts come from article_words (made at ingest) with SQL aggregates; token streams
  (title_seg + body_seg) are read only where positions, paragraphs or sentences matter.
  Streams keep the tokens article_words counts (segment.is_word), so both agree.

Every function takes the sqlite-utils Database first and never opens a connection.
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
import json
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from . import network as net
from . import reports
from .measures import MEASURES, check_choice
from .measures import keyness as keyness_measures
from .schema import CHAR_FTS_TABLE, TABLES, VIEWS, WORD_FTS, transaction
from .segment import is_word  # the test ingest used for article_words
from .store import get_meta, now

DATE_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")
PERIODS = {"year": 4, "month": 7, "day": 10}
GROUPS = ("source", "year", "month")
UNIT_WINDOWS = ("article", "paragraph", "sentence")
KEYNESS_SORTS = ("ll", "log_ratio", "chi2", "pct_diff")
NGRAM_SIZES = range(2, 5)
# What a --where condition may do: read, call functions. Everything else (writes, ATTACH,
# PRAGMA, temp tables) is denied by the sqlite3 authorizer while it runs.
READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --- articles -------------------------------------------------------------------------------

def date_bound(value: str, *, end: bool) -> str:
    """'2024-03' -> '2024-03-01' (start) or '2024-03-31' (end): --to includes the whole period."""
    m = DATE_RE.match(value or "")
    if not m:
        raise ValueError(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    if day:
        if int(day) > calendar.monthrange(int(year), int(month))[1]:
            raise ValueError(f"{value!r} is not a date: {year}-{month} has no day {day}")
        return value
    if month:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-{last:02d}" if end else f"{year}-{month}-01"
    return f"{year}-12-31" if end else f"{year}-01-01"


@dataclass(frozen=True)
class Filters:
    """The article filters every report takes: --source, --from, --to, --where."""

    sources: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    where: str | None = None

    def sql(self) -> tuple[str, list]:
        """A condition on report_articles and its parameters."""
        clauses, params = [], []
        if self.sources:
            clauses.append(f"source IN ({', '.join('?' * len(self.sources))})")
            params += list(self.sources)
        if self.date_from:
            clauses.append("date >= ?")
            params.append(date_bound(self.date_from, end=False))
        if self.date_to:
            clauses.append("date <= ?")
            params.append(date_bound(self.date_to, end=True))
        if self.where:
            if ";" in self.where:
                raise ValueError("--where takes one SQL condition: ';' is not allowed")
            clauses.append(f"({self.where})")
        return " AND ".join(clauses) or "1", params

    def params(self) -> dict:
        return {"source": list(self.sources), "from": self.date_from, "to": self.date_to, "where": self.where}

    @property
    def empty(self) -> bool:
        return not (self.sources or self.date_from or self.date_to or self.where)


def _read_only(db, sql: str, params, *, where: str | None):
    """Run a query that holds a user's --where condition: reads only, one-line errors."""

    def authorizer(action, *args):
        return sqlite3.SQLITE_OK if action in READ_ACTIONS else sqlite3.SQLITE_DENY

    db.conn.set_authorizer(authorizer)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        raise ValueError(f"bad --where condition {where!r}: {e}" if where else str(e)) from None
    finally:
        try:
            db.conn.set_authorizer(None)
        except TypeError:  # Python 3.10 cannot remove one: allow everything again (checked at prepare only)
            db.conn.set_authorizer(lambda *args: sqlite3.SQLITE_OK)


class Selection:
    """The selected articles of report_articles: their ids, sizes, sources and dates, also held
    in a temporary table (`self.table`: id, tokens, grp) that the count queries join."""

    _made = itertools.count(1)

    def __init__(self, db, filters: Filters = Filters(), *, exclude: "Selection | None" = None):
        if not db["articles"].exists():
            raise ValueError("the database holds no corpus: run `zzcorpus ingest PATH...` first")
        self.db, self.filters = db, filters
        condition, params = filters.sql()
        rows = _read_only(
            db, f"SELECT id, tokens, source, date FROM report_articles WHERE {condition}", params,
            where=filters.where,
        )
        if exclude is not None:  # the default keyness reference: the rest of report_articles
            rows = [r for r in rows if r[0] not in exclude.tokens]
        self.tokens = {r[0]: r[1] or 0 for r in rows}
        self.source = {r[0]: r[2] for r in rows}
        self.date = {r[0]: r[3] for r in rows}
        self.n_articles = len(rows)
        self.n_tokens = sum(self.tokens.values())
        self.table = f"zz_selection_{next(self._made)}"
        with db.conn:  # temp tables only; committed so no transaction stays open on the file
            db.execute(f"CREATE TEMP TABLE [{self.table}] (id INTEGER PRIMARY KEY, tokens INTEGER, grp TEXT)")
            db.conn.executemany(f"INSERT INTO temp.[{self.table}] (id, tokens) VALUES (?, ?)",
                                [(r[0], r[1] or 0) for r in rows])

    def group(self, by: str) -> dict[int, str | None]:
        """article id -> its group: source, or the date cut to a year / month / day."""
        if by == "source":
            return dict(self.source)
        size = PERIODS[check_choice(by, tuple(PERIODS), name="period")]
        return {i: d[:size] if d and len(d) >= size else None for i, d in self.date.items()}

    def set_groups(self, groups: dict) -> None:
        """Fill the grp column that grouped queries (word_counts(grouped=True)...) split by;
        articles missing from `groups` get NULL."""
        with self.db.conn:
            self.db.execute(f"UPDATE temp.[{self.table}] SET grp = NULL")
            self.db.conn.executemany(f"UPDATE temp.[{self.table}] SET grp = ? WHERE id = ?",
                                     [(g, i) for i, g in groups.items()])


def corpus_tokens(db) -> int:
    return db.execute("SELECT COALESCE(SUM(tokens), 0) FROM report_articles").fetchone()[0]


# --- words ----------------------------------------------------------------------------------

def read_stopwords(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@dataclass(frozen=True)
class WordFilter:
    """Which words a report shows. POS tags match by prefix against the word's dominant tag
    (vocab.pos): `n` keeps n, nr, ns, nt, nz, ng...; `nr` keeps only nr, nrfg, nrt."""

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
        known = sorted(r[0] for r in db.execute("SELECT DISTINCT pos FROM vocab WHERE pos IS NOT NULL"))
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
    return WordFilter(pos=tags, min_len=min_len, stopwords=words, stopwords_sha256=sha)


def word_pos(db, words) -> dict[str, str | None]:
    """word -> its dominant POS tag, for the words the corpus knows."""
    out, words = {}, list(dict.fromkeys(words))
    for i in range(0, len(words), 500):
        chunk = words[i:i + 500]
        out.update(db.execute(f"SELECT word, pos FROM vocab WHERE word IN ({', '.join('?' * len(chunk))})", chunk))
    return out


def _words_table(db, rows) -> str:
    """A temporary table of (word, grp, n, size) rows that queries walk first (CROSS JOIN fixes
    that order), reading article_words by its index prefix for each word."""
    with db.conn:
        db.execute("DROP TABLE IF EXISTS temp.zz_words")
        db.execute("CREATE TEMP TABLE zz_words (word TEXT, grp TEXT, n INTEGER, size INTEGER)")
        db.conn.executemany("INSERT INTO temp.zz_words VALUES (?, ?, ?, ?)", rows)
    return "temp.zz_words"


def _word_list(db, words) -> str:
    return _words_table(db, [(w, None, None, None) for w in dict.fromkeys(words)])


def word_counts(db, sel: Selection, *, grouped: bool = False):
    """(grp, word, pos, count, doc_count) of every word in the selection, most frequent first
    (a cursor: a top-N report reads only the rows it needs). grouped=True splits by the
    selection's grp column (see Selection.set_groups)."""
    grp = "s.grp" if grouped else "NULL"
    # One scan of article_words' covering index (in word order: no sort) probing the selection.
    return db.execute(
        f"SELECT c.grp, c.word, v.pos, c.n, c.docs FROM ("
        f"  SELECT {grp} AS grp, aw.word, SUM(aw.count) AS n, COUNT(*) AS docs"
        f"  FROM article_words aw CROSS JOIN temp.[{sel.table}] s ON s.id = aw.article_id"
        f"  GROUP BY {'s.grp, ' if grouped else ''}aw.word"
        f") c LEFT JOIN vocab v ON v.word = c.word ORDER BY c.n DESC, c.word"
    )


def selected_counts(db, sel: Selection, words) -> dict[str, tuple[int, int]]:
    """word -> (count, doc_count) in the selection, for the given words only."""
    table = _word_list(db, words)
    return {w: (n, d) for w, n, d in db.execute(
        f"SELECT w.word, SUM(aw.count), COUNT(*) FROM {table} w "
        f"CROSS JOIN article_words aw ON aw.word = w.word CROSS JOIN temp.[{sel.table}] s ON s.id = aw.article_id "
        "GROUP BY w.rowid")}


def article_counts(db, sel: Selection, words) -> dict[str, dict[int, int]]:
    """word -> {article id: count} over the selected articles holding it."""
    table = _word_list(db, words)
    out = defaultdict(dict)
    for w, a, n in db.execute(
        f"SELECT w.word, aw.article_id, aw.count FROM {table} w "
        f"CROSS JOIN article_words aw ON aw.word = w.word CROSS JOIN temp.[{sel.table}] s ON s.id = aw.article_id"
    ):
        out[w][a] = n
    return out


def dispersions(db, sel: Selection, rows) -> dict[tuple, float | None]:
    """(grp, word) -> Gries' DP over the articles of its group, for rows (grp, word, count,
    group size in tokens): reports.dispersion over merged parts, which gives the exact DP.

    DP = 0.5 * sum |v_i - s_i| and |x| + |y| = |x + y| when x and y have the same sign, so the
    articles where the word is over-represented (v_i >= s_i, i.e. count_i * size >= tokens_i * f)
    merge into one part and all the others, those without the word included, into another.
    """
    table = _words_table(db, [(w, g, f, size) for g, w, f, size in rows])
    over = {(g, w): (c, t) for g, w, c, t in db.execute(
        "SELECT w.grp, w.word, "
        "  SUM(CASE WHEN aw.count * w.size >= s.tokens * w.n THEN aw.count ELSE 0 END), "
        "  SUM(CASE WHEN aw.count * w.size >= s.tokens * w.n THEN s.tokens ELSE 0 END) "
        f"FROM {table} w CROSS JOIN article_words aw ON aw.word = w.word "
        f"CROSS JOIN temp.[{sel.table}] s ON s.id = aw.article_id AND s.grp IS w.grp GROUP BY w.rowid")}
    out = {}
    for g, w, f, size in rows:
        c, t = over.get((g, w), (0, 0))
        out[g, w] = reports.dispersion({"over": c, "rest": f - c}, {"over": t, "rest": size - t})
    return out


def streams(db, article_ids):
    """(article id, paragraphs) for the given articles, each paragraph a list of tokens
    (punctuation and numbers included), the title first: title_seg + body_seg."""
    ids = list(article_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for art_id, title_seg, body_seg in db.execute(
            f"SELECT id, title_seg, body_seg FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk
        ):
            text = "\n".join(s for s in (title_seg, body_seg) if s)
            yield art_id, [p.split(" ") for p in text.split("\n") if p]


def word_streams(db, article_ids):
    """One list of words per article (title then body, punctuation and numbers dropped)."""
    for _, paragraphs in streams(db, article_ids):
        yield [w for p in paragraphs for w in p if is_word(w)]


def node_spans(docs, node: str, window: int):
    """The stretches of each word list that lie within `window` words of a node occurrence,
    overlapping stretches joined: span_counts gives the same counts on these as on the whole
    lists (every node's window lies inside its stretch), and reads far fewer tokens."""
    for words in docs:
        start = end = None
        for i, w in enumerate(words):
            if w != node:
                continue
            lo, hi = max(0, i - window), i + window + 1
            if end is not None and lo > end:
                yield words[start:end]
                start = None
            start = lo if start is None else start
            end = hi
        if start is not None:
            yield words[start:end]


def units(db, article_ids, window: str):
    """The word sets of the units (article, paragraph or sentence) of the given articles,
    units without a word left out: the units reports.unit_counts counts."""
    check_choice(window, UNIT_WINDOWS, name="window")
    for _, paragraphs in streams(db, article_ids):
        if window == "article":
            parts = [[w for p in paragraphs for w in p]]
        elif window == "paragraph":
            parts = paragraphs
        else:
            parts = [s for p in paragraphs for s in reports.sentences(p)]
        for part in parts:
            words = {w for w in part if is_word(w)}
            if words:
                yield words


def parse_window(window) -> str | int:
    """'article' / 'paragraph' / 'sentence', or a number of words either side (>= 1)."""
    text = str(window).strip()
    if text in UNIT_WINDOWS:
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"unknown window {window!r}: choose from {', '.join(UNIT_WINDOWS)} or a number of words >= 1")


def _check_top(top):
    if top is not None and top < 0:
        raise ValueError(f"--top must be >= 0, got {top}")


# --- reports --------------------------------------------------------------------------------

def freq(db, sel: Selection, wf: WordFilter, *, top: int | None = 100, by: str | None = None) -> list[dict]:
    """Word frequencies: count, per_million, doc_count, range, dp (Gries' DP over articles), pos;
    with by = source / year / month, the top words of each group relative to that group."""
    _check_top(top)
    if by is not None:
        check_choice(by, GROUPS, name="group")
        groups = sel.group(by)
        sel.set_groups(groups)
    else:
        groups = dict.fromkeys(sel.tokens)
    sizes, docs = Counter(), Counter()
    for art, g in groups.items():
        sizes[g] += sel.tokens[art]
        docs[g] += 1
    picked, per_group = [], Counter()
    counted = word_counts(db, sel, grouped=by is not None)
    for g, word, pos, count, doc_count in counted:
        if (top is None or per_group[g] < top) and wf.keep(word, pos):
            per_group[g] += 1
            picked.append((g, word, pos, count, doc_count))
            if by is None and len(picked) == top:
                break
    counted.close()
    dp = dispersions(db, sel, [(g, w, count, sizes[g]) for g, w, _, count, _ in picked])
    rows = []
    for g, word, pos, count, doc_count in picked:
        row = {} if by is None else {"source" if by == "source" else "period": g}
        row.update({
            "word": word, "count": count, "per_million": reports.per_million(count, sizes[g]),
            "doc_count": doc_count, "range": doc_count / docs[g], "dp": dp[g, word], "pos": pos,
        })
        rows.append(row)
    if by is not None:  # groups in order (no source / no date last); stable: count order within
        key = "source" if by == "source" else "period"
        rows.sort(key=lambda r: (r[key] is None, r[key] or ""))
    return rows


def keyness(db, target: Selection, wf: WordFilter, *, ref_db=None, reference: Selection,
            by: str = "ll", min_count: int = 1, top: int | None = 100, negative: bool = False) -> list[dict]:
    """Keywords of the target against the reference: a, b (counts), c, d (sizes in tokens) and
    measures.keyness. Positive keywords (a/c > b/d) by default; negative=True lists the words the
    target underuses instead (a/c < b/d, most negative first). min_count applies to a (b with
    negative=True)."""
    check_choice(by, KEYNESS_SORTS, name="measure")
    _check_top(top)
    ref_db = ref_db or db
    c, d = target.n_tokens, reference.n_tokens
    if c == 0 or d == 0:
        raise ValueError(f"keyness needs words on both sides: target {c} tokens, reference {d} tokens")
    a_counts = {w: (n, p) for _, w, p, n, _ in word_counts(db, target)}
    b_counts = {w: (n, p) for _, w, p, n, _ in word_counts(ref_db, reference)}
    rows = []
    for word in a_counts.keys() | b_counts.keys():
        a, pos = a_counts.get(word, (0, None))
        b, ref_pos = b_counts.get(word, (0, None))
        if a * d == b * c or (a * d < b * c) != negative or (b if negative else a) < min_count:
            continue
        if not wf.keep(word, pos or ref_pos):
            continue
        m = keyness_measures(a, b, c, d)
        rows.append({"word": word, "a": a, "b": b, "c": c, "d": d, "ll": m["ll"],
                     "log_ratio": m["log_ratio"], "chi2": m["chi2"], "pct_diff": m["pct_diff"]})
    # Strongest first: largest values, or most negative ones for negative keywords (chi2 is
    # unsigned). pct_diff is None when b = 0, an infinitely greater share: it sorts first.
    descending = by == "chi2" or not negative
    rows.sort(key=lambda r: r["word"])
    rows.sort(key=lambda r: float("inf") if r[by] is None else r[by], reverse=descending)
    return rows if top is None else rows[:top]


def check_node(db, sel: Selection, word: str) -> None:
    """ValueError unless the word is a word of the corpus that occurs in the selection."""
    if not is_word(word) or not db.execute("SELECT 1 FROM vocab WHERE word = ?", [word]).fetchone():
        raise ValueError(f"{word!r} is not a word of this corpus")
    if not db.execute(
        f"SELECT 1 FROM article_words aw JOIN temp.[{sel.table}] s ON s.id = aw.article_id "
        "WHERE aw.word = ? LIMIT 1", [word]
    ).fetchone():
        raise ValueError(f"{word!r} does not occur in the selected articles")


def node_articles(db, sel: Selection, word: str) -> list[int]:
    return [r[0] for r in db.execute(
        f"SELECT aw.article_id FROM article_words aw JOIN temp.[{sel.table}] s ON s.id = aw.article_id "
        "WHERE aw.word = ? ORDER BY aw.article_id", [word])]


def cooc_counts(db, sel: Selection, word: str, window, *, min_count: int = 1):
    """(o11, f_node, f_word, n, span, unit) for the node word over the selection, the numbers
    reports.unit_counts / span_counts give on its streams. o11 holds the collocates seen at
    least min_count times; f_word covers at least those."""
    window = parse_window(window)
    check_node(db, sel, word)
    if window == "article":
        # One scan of article_words: the articles holding each word, and how many of them hold
        # the node too (marked in the selection's grp column: one lookup per row).
        sel.set_groups({a: "node" for a in node_articles(db, sel, word)})
        rows = db.execute(
            "SELECT aw.word, COUNT(*), COUNT(s.grp) FROM article_words aw "
            f"CROSS JOIN temp.[{sel.table}] s ON s.id = aw.article_id GROUP BY aw.word").fetchall()
        f_word = {w: f for w, f, _ in rows}
        o11 = Counter({w: k for w, _, k in rows if k >= min_count and w != word})
        n = sum(1 for t in sel.tokens.values() if t > 0)
        return o11, f_word[word], f_word, n, 1, True
    if isinstance(window, int):
        docs = node_spans(word_streams(db, node_articles(db, sel, word)), word, window)
        o11, f_node, _, _ = reports.span_counts(docs, word, window)
        o11 = Counter({w: k for w, k in o11.items() if k >= min_count and w != word})
        f_word = {w: c for w, (c, _) in selected_counts(db, sel, o11).items()}
        return o11, f_node, f_word, sel.n_tokens, 2 * window, False
    # Paragraphs and sentences: f_word and n need every unit of the selection.
    o11, f_node, f_word, n = reports.unit_counts(units(db, sorted(sel.tokens), window), word)
    return o11, f_node, f_word, n, 1, True


def cooc(db, sel: Selection, wf: WordFilter, word: str, *, window="5", by: str = "logdice",
         min_count: int = 3, top: int | None = 50) -> list[dict]:
    """Collocates of `word`: reports.collocates rows (o11, f_node, f_word, n, e11, measures)."""
    check_choice(by, MEASURES, name="measure")
    _check_top(top)
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"--min-count must be >= 1, got {min_count!r}")
    if by == "jaccard" and not isinstance(parse_window(window), str):
        raise ValueError("measure 'jaccard' needs a unit window (article, paragraph or sentence)")
    o11, f_node, f_word, n, span, unit = cooc_counts(db, sel, word, window, min_count=min_count)
    pos = word_pos(db, [w for w, k in o11.items() if k >= min_count])
    return reports.collocates(o11, f_node, f_word, n, span=span, unit=unit, min_count=min_count, by=by,
                              top=top, keep=lambda w: wf.keep(w, pos.get(w)), node=word)


def continuous_periods(first: str, last: str, by: str) -> list[str]:
    """Every year / month / day from first to last, both included."""
    if by == "year":
        return [str(y) for y in range(int(first), int(last) + 1)]
    if by == "month":
        y, m = map(int, first.split("-"))
        out = []
        while f"{y:04d}-{m:02d}" <= last:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(day + timedelta(days=i)).isoformat() for i in range((end - day).days + 1)]


def trend(db, sel: Selection, words: list[str], *, by: str = "month") -> list[dict]:
    """Per-period counts of each word (zero periods included, between the selection's first and
    last dated period): word, period, count, per_million, tokens (the period's size)."""
    check_choice(by, tuple(PERIODS), name="period")
    words = list(dict.fromkeys(words))
    if not words:
        raise ValueError("give at least one word")
    known = word_pos(db, words)
    for w in words:
        if w not in known or not is_word(w):
            raise ValueError(f"{w!r} is not a word of this corpus")
    groups = {a: g for a, g in sel.group(by).items() if g and len(g) == PERIODS[by]}
    sizes = Counter()
    for a, g in groups.items():
        sizes[g] += sel.tokens[a]
    if not sizes:
        return []
    sel.set_groups(groups)
    table = _word_list(db, words)
    counts = {(w, g): n for w, g, n in db.execute(
        f"SELECT w.word, s.grp, SUM(aw.count) FROM {table} w CROSS JOIN article_words aw ON aw.word = w.word "
        f"CROSS JOIN temp.[{sel.table}] s ON s.id = aw.article_id WHERE s.grp IS NOT NULL GROUP BY w.word, s.grp")}
    periods = continuous_periods(min(sizes), max(sizes), by)
    return [{"word": w, "period": p, "count": counts.get((w, p), 0),
             "per_million": reports.per_million(counts.get((w, p), 0), sizes[p]), "tokens": sizes[p]}
            for w in words for p in periods]


def ngrams(db, sel: Selection, wf: WordFilter, *, n: int = 2, top: int | None = 100, min_count: int = 2) -> list[dict]:
    """Recurring word sequences (reports.ngrams per article): ngram (words joined by a space),
    count, doc_count. A row is kept when every word of it passes the word filter."""
    if n not in NGRAM_SIZES:
        raise ValueError(f"--n must be one of {', '.join(map(str, NGRAM_SIZES))}, got {n}")
    _check_top(top)
    counts, docs = Counter(), Counter()
    for _, paragraphs in streams(db, sorted(sel.tokens)):
        found = reports.ngrams(paragraphs, n)
        counts.update(found)
        docs.update(found.keys())
    pos, rows = {}, []
    for gram, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if count < min_count or (top is not None and len(rows) >= top):
            break
        pos.update(word_pos(db, [w for w in gram if w not in pos]))
        if all(wf.keep(w, pos.get(w)) for w in gram):
            rows.append({"ngram": " ".join(gram), "count": count, "doc_count": docs[gram]})
    return rows


def idf(db, sel: Selection) -> tuple[list[dict], list[str]]:
    """Document-frequency IDF of every word (rows word, doc_count, idf) and the lines of an IDF
    file for jieba.analyse. No word filter: jieba.analyse applies its own stopwords."""
    docs = sum(1 for t in sel.tokens.values() if t > 0)
    if docs == 0:
        raise ValueError("no articles with words in the selection")
    df = {w: d for _, w, _, _, d in word_counts(db, sel)}
    lines = reports.idf_lines(df, docs)
    rows = []
    for line in lines:
        word, value = line.rsplit(" ", 1)
        rows.append({"word": word, "doc_count": df[word], "idf": float(value)})
    return rows, lines


# --- saved reports ----------------------------------------------------------------------------

def reserved_names(db) -> set[str]:
    """Names --save must not take: the core tables and views, the full-text index tables."""
    fts = [f"{WORD_FTS['table']}_fts", CHAR_FTS_TABLE]
    names = set(TABLES) | set(VIEWS) | set(fts)
    names |= {n for n in db.table_names() + db.view_names() if any(n.startswith(f) for f in fts)}
    return {n.lower() for n in names}


def save_report(db, name: str, rows: list[dict], *, command: str, params: dict) -> None:
    """Write rows as table `name` (replacing an earlier saved report of that name) and record it
    in saved_reports with the parameters, corpus size, segmenter and stopwords that made it."""
    if not NAME_RE.match(name or "") or name.lower().startswith("sqlite_"):
        raise ValueError(f"--save {name!r}: use a plain name (letters, digits, _; not starting with a digit)")
    if name.lower() in reserved_names(db):
        raise ValueError(f"--save {name!r}: that is one of the corpus's own tables")
    saved = {r[0].lower() for r in db.execute("SELECT name FROM saved_reports")}
    existing = {n.lower() for n in db.table_names() + db.view_names()}
    if name.lower() in existing and name.lower() not in saved:
        raise ValueError(f"--save {name!r}: a table of that name exists and is not a saved report")
    meta = get_meta(db)
    params = {**params, "segmenter": meta.get("segmenter"), "segmenter_version": meta.get("segmenter_version"),
              "corpus_tokens": corpus_tokens(db)}
    columns = {}
    for row in rows:  # a column's type from its values: a leading None must not make floats TEXT
        for key, value in row.items():
            if value is not None and columns.get(key) is not float:
                columns[key] = type(value)
            columns.setdefault(key, None)
    with transaction(db):  # raw statements: sqlite-utils' insert_all would commit halfway
        db.execute(f"DROP TABLE IF EXISTS [{name}]")
        db[name].create({k: v or str for k, v in columns.items()} or {"empty": str})
        if rows:
            names = list(columns)
            db.conn.executemany(
                f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in names)}) VALUES ({', '.join('?' * len(names))})",
                [[row.get(c) for c in names] for row in rows],
            )
        db.execute(
            "INSERT OR REPLACE INTO saved_reports (name, command, params, rows, created_at) VALUES (?, ?, ?, ?, ?)",
            [name, command, json.dumps(params, ensure_ascii=False), len(rows), now()],
        )


# --- networks ---------------------------------------------------------------------------------

def network(db, sel: Selection, wf: WordFilter, words=(), *, top: int = 50, window="sentence",
            measure: str = "logdice", min_count: int = 3, min_value: float | None = None,
            max_edges: int | None = 200):
    """A co-occurrence network (network.Graph): among the top words of the selection, or around
    `words` (each with its `top` collocates by the measure; edges touching them only)."""
    window = parse_window(window)
    check_choice(measure, MEASURES, name="measure")
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"--top must be >= 1, got {top!r}")
    words = list(dict.fromkeys(words))
    nodes = dict.fromkeys(words)
    for word in words:
        for row in cooc(db, sel, wf, word, window=window, by=measure, min_count=min_count, top=top):
            nodes.setdefault(row["word"])
    if not words:
        counted = word_counts(db, sel)
        for _, word, pos, _, _ in counted:
            if len(nodes) >= top:
                break
            if wf.keep(word, pos):
                nodes[word] = None
        counted.close()
    pos = word_pos(db, nodes)
    counts = selected_counts(db, sel, nodes)
    attrs = {w: {"count": counts[w][0], "pos": pos.get(w)} for w in nodes}
    if window == "article":  # every article with words is a unit, whether or not it holds a node
        holding = defaultdict(set)
        for word, articles in article_counts(db, sel, nodes).items():
            for a in articles:
                holding[a].add(word)
        found = (holding.get(a, ()) for a, t in sel.tokens.items() if t > 0)
        o11, f, n = net.unit_pair_counts(found, nodes)
        span, unit = 1, True
    elif isinstance(window, str):
        o11, f, n = net.unit_pair_counts(units(db, sorted(sel.tokens), window), nodes)
        span, unit = 1, True
    else:
        holding = {a for articles in article_counts(db, sel, nodes).values() for a in articles}
        o11 = net.span_pair_counts(word_streams(db, sorted(holding)), nodes, window)
        f, n, span, unit = {w: a["count"] for w, a in attrs.items()}, sel.n_tokens, 2 * window, False
    return net.build_graph(attrs, o11, f, n, measure=measure, span=span, unit=unit, min_count=min_count,
                           min_value=min_value, max_edges=max_edges, centers=words)
