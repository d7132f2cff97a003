"""SQL functions and canned queries for Datasette, over the CLI's own functions.

Each report page is a canned query that expands the JSON rows of one SQL function,
`zz_report(name, parameters)`, which runs the function `zzcorpus NAME` runs (search.search,
search.kwic, reports.freq, reports.cooc, reports.trend) on the page's own connection: the page
and the command give the same rows, and Datasette's time limit and .json/.csv links still apply.
Parameters a report cannot use (an unknown word, a malformed date) give no rows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading

import sqlite_utils

from .. import reports, search
from ..filters import Filters, word_filter
from ..selection import Selection

# char_tokens() never writes U+E001, so this phrase matches no article: what a query that
# means nothing (empty, only operators or punctuation) searches for, instead of an error.
NO_MATCH = '"\ue001"'
MARKS = ("【", "】")  # hits in snippets, made <mark> when shown (hooks.render_cell)
SEARCH_LIMIT = 200
KWIC_LIMIT = 1000


KEPT = 40  # reads remembered while their file is unchanged: searches, facets' columns
_kept: dict = {}  # (file and its state, what was read ...) -> what it gave, for every connection
_kept_lock = threading.Lock()  # Datasette reads on several threads


def file_state(path: str) -> tuple:
    """Changes whenever the database (or its WAL) is written."""
    state = [path]
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
            state.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            state.append(None)
    return tuple(state)


def kept(conn, key: tuple, read):
    """read(), remembered while the connection's database file is unchanged (key: what it
    reads). Two threads asking at once may both read; neither waits for the other's read."""
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return read()
    key = (file_state(path), *key)
    with _kept_lock:
        if key in _kept:
            return _kept[key]
    found = read()
    with _kept_lock:
        _kept[key] = found
        while len(_kept) > KEPT:
            _kept.pop(next(iter(_kept)))
    return found


def search_hits(conn, query, words) -> tuple[str, int]:
    """(ids as a JSON list, how many) of the articles a query hits, duplicates included, for a
    table's search box: search.article_ids, the CLI's own search, answered once per query while
    the file is unchanged (a page asks it for its rows, its count and its facets' rows); never
    raises."""
    def read():
        try:
            ids = search.article_ids(sqlite_utils.Database(conn), str(query or ""), words=bool(words))
        except ValueError:  # a query that means nothing, an old index: nothing to show
            ids = []
        return json.dumps(ids), len(ids)

    try:
        return kept(conn, ("search", str(query or ""), bool(words)), read)
    except sqlite3.OperationalError as e:  # Datasette's time limit stopped the search inside a query:
        if "interrupt" not in str(e):  # stop that query too, so it ends as timed out, not as an error
            raise
        conn.interrupt()
        return "[]", 0


def match_expression(query) -> str:
    """The FTS5 MATCH expression for a user's query on the character index; never raises."""
    try:
        return search.fts_query(str(query or ""))
    except ValueError:
        return NO_MATCH


# --- the reports, as the CLI runs them -----------------------------------------------------------

def _filters(p: dict) -> Filters:
    """source = one paper, date = a date prefix (2024, 2024-03 or 2024-03-19) as --from and --to."""
    date = (p.get("date") or "").strip() or None
    return Filters(sources=(p["source"],) if p.get("source") else (), date_from=date, date_to=date)


def _search(db, p):
    kw = _search_filters(p)
    return search.search(db, p.get("q") or "", limit=SEARCH_LIMIT, mark=MARKS, **kw)


def _search_filters(p) -> dict:
    """source, date (a prefix, as _filters), byline (a name), words (non-empty: whole words)."""
    date = (p.get("date") or "").strip() or None
    return {"source": p.get("source") or None, "date_from": date, "date_to": date,
            "byline": (p.get("byline") or "").strip() or None, "words": bool((p.get("words") or "").strip())}


def _kwic(db, p):
    rows = search.kwic(db, p.get("q") or "", width=20, limit=KWIC_LIMIT, **_search_filters(p))
    paragraph = lambda s: s.replace("\n", " ¶ ")  # noqa: E731
    return [{"article_id": r["article_id"], "title": r["title"], "date": r["date"], "source": r["source"],
             "field": r["field"], "left_context": paragraph(r["left"]), "keyword": r["match"],
             "right_context": paragraph(r["right"])}
            for r in rows]


def _freq(db, p):
    return reports.freq(db, Selection(db, _filters(p)), word_filter(db), top=int(p.get("top") or 100))


def _cooc(db, p):
    word = (p.get("word") or "").strip()
    return reports.cooc(db, Selection(db, _filters(p)), word_filter(db), word, window=p.get("window") or "article",
                        by=p.get("measure") or "logdice", min_count=int(p.get("min_count") or 3), top=100)


def _trend(db, p):
    word = (p.get("q") or "").strip()
    return reports.trend(db, Selection(db, _filters(p)), [word], by=p.get("period") or "month")


def _reprints(db, p):
    article = str(p.get("article_id") or "").strip()
    return reports.reprints(db, _filters(p), article_id=int(article) if article.isdigit() else None)


REPORTS = {"search": _search, "kwic": _kwic, "freq": _freq, "cooc": _cooc, "trend": _trend, "reprints": _reprints}


def report_rows(conn, name: str, params) -> str:
    """The rows of a report as JSON, for zz_report(name, json_object(...))."""
    p = json.loads(params or "{}")
    try:
        rows = REPORTS[name](sqlite_utils.Database(conn), p)
    except ValueError:  # a word the corpus lacks, a malformed date: nothing to show
        rows = []
    return json.dumps(rows, ensure_ascii=False)


def _canned(name: str, params: list[str], columns: list[str]) -> str:
    args = ", ".join(f"'{p}', :{p}" for p in params)
    select = ", ".join(f"value ->> '{c}' AS [{c}]" for c in columns)
    return f"SELECT {select} FROM json_each(zz_report('{name}', json_object({args})))"


QUERIES = {
    "search": {
        "title": "全文检索 Full-text search",
        "description": "按字面查找引题、标题、副题、署名、电头与正文（任意字串，如“新质生产力”），按相关度排列前 200 篇，"
                       "【】标出命中处，field 为命中所在字段；与 zzcorpus search 相同：重复稿只出现一次，版面杂项排在最后。"
                       "byline 只看该署名人的文章；words 填任意字（如 1）只找整词。"
                       " Substring search in every printed field (kicker, title, subtitle, byline, dateline, body),"
                       " as `zzcorpus search`: the best 200 articles, hits marked 【】, `field` = where; byline = a"
                       " reporter's name; words = anything for whole words only.",
        "sql": _canned("search", ["q", "source", "date", "byline", "words"],
                       ["article_id", "title", "date", "source", "page", "kind", "field", "snippet"]),
        "params": ["q", "source", "date", "byline", "words"],
    },
    "kwic": {
        "title": "关键词语境 KWIC (keyword in context)",
        "description": "每处出现一行：前文 20 字、关键词、后文 20 字（¶ 为换段），field 为所在字段（标题、署名…），"
                       "与 zzcorpus kwic 相同。 One row per occurrence in every printed field, as `zzcorpus kwic`:"
                       " 20 characters either side, ¶ = new paragraph, `field` = where.",
        "sql": _canned("kwic", ["q", "source", "date", "byline", "words"],
                       ["article_id", "title", "date", "source", "field", "left_context", "keyword", "right_context"]),
        "params": ["q", "source", "date", "byline", "words"],
    },
    "freq": {
        "title": "词频 Word frequency",
        "description": "最常见的 100 个词（不含标点、数字与停用词），与 zzcorpus freq 相同。可选：source 报纸名称，"
                       "date 日期（2024、2024-03 或 2024-03-19），留空表示全部。per_million = 每百万词出现次数，"
                       "doc_count = 含该词的文章数，range = 其比例，dp = Gries 离散度。"
                       " Top 100 words as `zzcorpus freq` (no punctuation, numbers or stopwords); optional source"
                       " and date (a year, month or day), empty = all.",
        "sql": _canned("freq", ["source", "date"], ["word", "count", "per_million", "doc_count", "range", "dp", "pos"]),
        "params": ["source", "date"],
    },
    "cooc": {
        "title": "共现 Collocates",
        "description": "与 word 共现的词，与 zzcorpus cooc 相同。window：article（同一篇文章，默认）、paragraph、"
                       "sentence 或 N（前后 N 个词）；measure：logdice（默认）、mi、mi3、t、z、ll、dice、jaccard；"
                       "o11 = 共现次数，f_node / f_word = 各词的次数。"
                       " Collocates of `word` as `zzcorpus cooc --window article` (at least 3 co-occurrences).",
        "sql": _canned("cooc", ["word", "window", "measure", "source", "date"],
                       ["word", "o11", "f_node", "f_word", "n", "e11", "mi", "mi3", "t", "z", "ll", "dice", "logdice",
                        "jaccard"]),
        "params": ["word", "window", "measure", "source", "date"],
    },
    "trend": {
        "title": "趋势 Trend",
        "description": "词 q 每月（period=year 为每年）出现的次数、每百万词的次数（per_million）与含该词文章的占比"
                       "（share = doc_count / articles），与 zzcorpus trend 相同；无日期的文章不计。"
                       " Occurrences of the word q per month (period=year: per year), per million word tokens of"
                       " that period, and the share of its articles holding it, as `zzcorpus trend`; undated"
                       " articles are left out.",
        "sql": _canned("trend", ["q", "period", "source"], ["word", "period", "count", "per_million", "tokens",
                                                            "doc_count", "articles", "share"]),
        "params": ["q", "period", "source"],
    },
    "reprints": {
        "title": "转载 Reprints",
        "description": "同一稿件的各次刊登（通稿、转载）：cluster = 首发文章，similarity = 与所匹配刊登的相似度，"
                       "lag_days = 距首发的天数；article_id 只看含该文章的一组，与 zzcorpus reprints 相同。"
                       " Every printing of each reprinted story, as `zzcorpus reprints`: cluster = the first"
                       " printing, lag_days from it; article_id = only that article's cluster.",
        "sql": _canned("reprints", ["article_id", "source", "date"],
                       ["cluster", "article_id", "source", "date", "title", "similarity", "lag_days", "printings"]),
        "params": ["article_id", "source", "date"],
    },
}
for _query in QUERIES.values():
    _query["hide_sql"] = True


def register(conn) -> None:
    """The SQL functions of a corpus connection."""
    # The table search box runs zz_search_ids (hooks.filters_from_request); escape_fts keeps a
    # hand-written ?_fts_table= search a substring search on the character index.
    conn.create_function("escape_fts", 1, match_expression, deterministic=True)
    conn.create_function("zz_search_ids", 2, lambda q, words: search_hits(conn, q, words)[0])
    conn.create_function("zz_report", 2, lambda name, params: report_rows(conn, name, params))
    search.register_functions(conn)
