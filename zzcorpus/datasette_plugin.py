"""The Datasette plugin: `datasette corpus.db` opens a corpus browser without any SQL.

- metadata (get_metadata): title, a description of the corpus from its own numbers, Chinese and
  English table/column descriptions, facets, hidden internal tables, saved reports with their
  parameters, and the canned queries search 全文检索, kwic 关键词语境, freq 词频, cooc 共现 and
  trend 趋势 (ASCII names, as the CLI commands: Datasette 0.65 redirects /db/全文检索.json to a 404);
- substring search: the table search box on articles and report_articles runs on the character
  index (escape_fts is replaced by search.fts_query for corpus databases only);
- SQL functions for the canned queries (zz_match, zz_snippet, zz_stopwords, log2 when missing);
- /DB/-/charts: top words and term trends drawn server-side as SVG (charts.py), no JavaScript.

Everything here only reads; it works the same on `datasette -i corpus.db`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import sqlite3
import weakref
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import sqlite_utils
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from . import charts
from .schema import CHAR_FTS_TABLE, HIDDEN_TABLES, TABLES
from .search import TITLE_WEIGHT, fts_query, parse_query, snippet, term_regex
from .selection import continuous_periods, read_stopwords
from .store import corpus_info

HERE = Path(__file__).parent
CORPUS_TABLES = {"articles", "vocab", "article_words", "meta", CHAR_FTS_TABLE}
# char_tokens() never writes U+E001, so this phrase matches no article: what a query that
# means nothing (empty, only operators or punctuation) searches for, instead of an error.
NO_MATCH = '"\ue001"'
MARKS = ("【", "】")
MARKED_RE = re.compile("【([^【】]+)】")
TEXT_COLUMNS = {"body", "raw", "title_seg", "body_seg"}
ARTICLE_VIEWS = ("articles", "report_articles")
PERIODS = ("month", "year")
CHARTS_LABEL = "图表：高频词与词语趋势 Charts"

# --- SQL functions ---------------------------------------------------------------------------


def match_expression(query) -> str:
    """The FTS5 MATCH expression for a user's query on the character index; never raises."""
    try:
        return fts_query(str(query or ""))
    except ValueError:
        return NO_MATCH


def snippet_text(text, query) -> str:
    return snippet(text or "", str(query or ""), width=40, mark=MARKS)


@lru_cache(maxsize=64)
def term_finder(query: str):
    """The regex finding any term of a query, as `zzcorpus kwic` finds them; None if it means nothing."""
    try:
        return term_regex(parse_query(query))
    except ValueError:
        return None


def _next_hit(text, query, start):
    finder = term_finder(str(query or ""))
    return finder.search(text, start) if finder and text else None


def hit_start(text, query, start):
    hit = _next_hit(text, query, start)
    return hit.start() if hit else None


def hit_end(text, query, start):
    hit = _next_hit(text, query, start)
    return hit.end() if hit else None


def stopword_list(text) -> str:
    """The stopword list stored in meta (as the reports read it) as a JSON array."""
    return json.dumps(sorted(read_stopwords(text or "")), ensure_ascii=False)


def log2(x):
    return math.log2(x) if x and x > 0 else None


def is_corpus(conn) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return CORPUS_TABLES <= names


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so ours wins on corpus databases
def prepare_connection(conn, database, datasette):
    if not is_corpus(conn):
        return
    conn.create_function("escape_fts", 1, match_expression, deterministic=True)
    conn.create_function("zz_match", 1, match_expression, deterministic=True)
    conn.create_function("zz_snippet", 2, snippet_text, deterministic=True)
    conn.create_function("zz_stopwords", 1, stopword_list, deterministic=True)
    conn.create_function("zz_hit_start", 3, hit_start, deterministic=True)
    conn.create_function("zz_hit_end", 3, hit_end, deterministic=True)
    try:
        conn.execute("SELECT log2(2)")
    except sqlite3.OperationalError:  # SQLite built without its math functions
        conn.create_function("log2", 1, log2, deterministic=True)


# --- canned queries (also used by the chart page) ----------------------------------------------

MATCHING_IDS = f"SELECT rowid FROM {CHAR_FTS_TABLE} WHERE {CHAR_FTS_TABLE} MATCH zz_match(:q)"
NOT_STOPWORD = "v.word NOT IN (SELECT value FROM json_each(zz_stopwords((SELECT value FROM meta WHERE key = 'stopwords'))))"
FILTERS = "(:source = '' OR {a}source = :source) AND (:date = '' OR substr({a}date, 1, length(:date)) = :date)"

# search and kwic find what `zzcorpus search` / `kwic` find: every article but marked
# duplicates, page furniture ranked last, bm25 with the title weighted as search.py weighs it.
SEARCH_SQL = f"""SELECT a.id AS article_id, a.title, a.date, a.source, a.page, a.kind,
  zz_snippet(a.body, :q) AS snippet
FROM {CHAR_FTS_TABLE} JOIN articles a ON a.id = {CHAR_FTS_TABLE}.rowid
WHERE {CHAR_FTS_TABLE} MATCH zz_match(:q) AND a.duplicate_of IS NULL
ORDER BY a.kind = 'furniture', bm25({CHAR_FTS_TABLE}, {TITLE_WEIGHT}, 1.0), a.date DESC, a.id
LIMIT 200"""

# One row per occurrence: zz_hit_start/zz_hit_end give the next hit (0-based, as in Python) of
# any query term at or after an offset, case-insensitively, NULL when there is none.
KWIC_SQL = f"""WITH RECURSIVE
hits AS (
  SELECT a.id, a.title, a.date, a.source, coalesce(a.title, '') || char(10) || coalesce(a.body, '') AS text
  FROM {CHAR_FTS_TABLE} JOIN articles a ON a.id = {CHAR_FTS_TABLE}.rowid
  WHERE {CHAR_FTS_TABLE} MATCH zz_match(:q) AND a.duplicate_of IS NULL
),
occ(id, title, date, source, text, s, e) AS (
  SELECT id, title, date, source, text, zz_hit_start(text, :q, 0), zz_hit_end(text, :q, 0) FROM hits
  UNION ALL
  SELECT id, title, date, source, text, zz_hit_start(text, :q, e), zz_hit_end(text, :q, e)
  FROM occ WHERE s IS NOT NULL
)
SELECT id AS article_id, title, date, source,
  replace(substr(text, max(0, s - 20) + 1, s - max(0, s - 20)), char(10), ' ¶ ') AS left_context,
  substr(text, s + 1, e - s) AS keyword,
  replace(substr(text, e + 1, 20), char(10), ' ¶ ') AS right_context
FROM occ WHERE s IS NOT NULL
ORDER BY date, id, s"""

FREQ_SQL = f"""SELECT aw.word, v.pos, sum(aw.count) AS count, count(*) AS articles,
  round(sum(aw.count) * 1000000.0 / (SELECT sum(tokens) FROM report_articles WHERE {FILTERS.format(a="")}), 2)
    AS per_million
FROM article_words aw
JOIN report_articles a ON a.id = aw.article_id
JOIN vocab v ON v.word = aw.word
WHERE v.is_word = 1 AND {FILTERS.format(a="a.")} AND {NOT_STOPWORD}
GROUP BY aw.word
ORDER BY count DESC, aw.word
LIMIT {{limit}}"""

COOC_SQL = f"""WITH node_articles AS (
  SELECT aw.article_id FROM article_words aw JOIN report_articles a ON a.id = aw.article_id
  WHERE aw.word = trim(:word)
),
together AS (
  SELECT word, count(*) AS o11 FROM article_words
  WHERE article_id IN (SELECT article_id FROM node_articles) AND word != trim(:word)
  GROUP BY word
),
spread AS (
  SELECT aw.word, count(*) AS f FROM article_words aw JOIN report_articles a ON a.id = aw.article_id
  WHERE aw.word IN (SELECT word FROM together) GROUP BY aw.word
)
SELECT t.word, v.pos, t.o11, (SELECT count(*) FROM node_articles) AS f_node, s.f AS f_word,
  round(14 + log2(2.0 * t.o11 / ((SELECT count(*) FROM node_articles) + s.f)), 3) AS logdice
FROM together t JOIN spread s ON s.word = t.word JOIN vocab v ON v.word = t.word
WHERE v.is_word = 1 AND {NOT_STOPWORD}
ORDER BY logdice DESC, t.o11 DESC, t.word
LIMIT 100"""

TREND_SQL = f"""WITH width(n) AS (SELECT CASE WHEN :period = 'year' THEN 4 ELSE 7 END),
totals AS (
  SELECT substr(date, 1, (SELECT n FROM width)) AS period, count(*) AS all_articles, sum(tokens) AS tokens
  FROM report_articles WHERE coalesce(date, '') != '' GROUP BY 1
),
hits AS (
  SELECT substr(date, 1, (SELECT n FROM width)) AS period, count(*) AS articles
  FROM report_articles WHERE coalesce(date, '') != '' AND id IN ({MATCHING_IDS}) GROUP BY 1
)
SELECT t.period, coalesce(h.articles, 0) AS articles, t.all_articles, t.tokens,
  round(coalesce(h.articles, 0) * 1000000.0 / nullif(t.tokens, 0), 2) AS per_million_tokens
FROM totals t LEFT JOIN hits h ON h.period = t.period
ORDER BY t.period"""

QUERIES = {
    "search": {
        "title": "全文检索 Full-text search",
        "description": "按字面查找标题与正文（任意字串，如“新质生产力”），按相关度排列前 200 篇，【】标出命中处；"
                       "与 zzcorpus search 相同：重复稿只出现一次，版面杂项排在最后。"
                       " Substring search in headlines and bodies, as `zzcorpus search`: the best 200 articles,"
                       " hits marked 【】, each duplicate once, page furniture last.",
        "sql": SEARCH_SQL,
        "params": ["q"],
    },
    "kwic": {
        "title": "关键词语境 KWIC (keyword in context)",
        "description": "每处出现一行：前文 20 字、关键词、后文 20 字（¶ 为换段），与 zzcorpus kwic 相同。"
                       " One row per occurrence, as `zzcorpus kwic`: 20 characters either side, ¶ = new paragraph.",
        "sql": KWIC_SQL,
        "params": ["q"],
    },
    "freq": {
        "title": "词频 Word frequency",
        "description": "最常见的 100 个词（不含标点、数字与停用词）。可选：source 报纸名称，date 日期前缀"
                       "（2024、2024-03 或 2024-03-19），留空表示全部。per_million = 每百万词出现次数。"
                       " Top 100 words (no punctuation, numbers or stopwords); optional source and date prefix,"
                       " empty = all. articles = articles using the word.",
        "sql": FREQ_SQL.format(limit=100),
        "params": ["source", "date"],
    },
    "cooc": {
        "title": "共现 Collocates",
        "description": "与 word 出现在同一篇文章中的词，按 logDice 排列。o11 = 同时含两词的文章数，"
                       "f_node / f_word = 含各词的文章数，logDice = 14 + log2(2·o11 / (f_node + f_word))。"
                       " Words sharing articles with `word`, ranked by logDice.",
        "sql": COOC_SQL,
        "params": ["word"],
    },
    "trend": {
        "title": "趋势 Trend",
        "description": "每月（period=year 为每年）含 q 的文章数，以及每百万词的文章数；无日期的文章不计。"
                       " Articles containing q per month (period=year: per year), and per million word tokens"
                       " of that period; undated articles are left out.",
        "sql": TREND_SQL,
        "params": ["q", "period"],
    },
}
for _query in QUERIES.values():
    _query["hide_sql"] = True

# --- metadata ---------------------------------------------------------------------------------

ARTICLE_COLUMNS = {
    "id": "文章编号 / article id",
    "document_id": "所在版面文件 / the page dump it comes from (documents.id)",
    "seq": "在版面中的顺序 / order on the page",
    "kind": "类型 / kind: news 新闻, photo 图片说明, notice 公告, continuation 转版续文, furniture 版面杂项",
    "title": "标题 / headline",
    "subtitle": "副题 / subtitle",
    "kicker": "引题 / kicker above the headline",
    "byline": "署名 / byline as printed",
    "bylines": "署名人（JSON 列表）/ byline names (JSON list)",
    "dateline": "电头 / dateline",
    "body": "正文，段落以换行分隔 / body text, one paragraph a line",
    "title_seg": "标题分词（空格分隔，保留标点）/ headline words, space-separated, punctuation kept",
    "body_seg": "正文分词（空格分隔，保留标点）/ body words, space-separated, punctuation kept",
    "source": "报纸 / newspaper",
    "date": "出版日期 / publication date (YYYY-MM-DD)",
    "date_in_text": "版面文字中的日期 / the date as printed on the page",
    "page": "版次 / page",
    "chars": "字数（标题＋正文）/ characters in headline and body",
    "tokens": "词数（不含标点与数字）/ word tokens in headline and body (no punctuation, no numbers)",
    "body_sha256": "正文指纹，用于查重 / SHA-256 of the body, for finding duplicates",
    "duplicate_of": "重复稿：最早的同文文章 / first article with the same body",
}
SEARCH_NOTE = ("搜索框按字面查找标题与正文中的任意字串（如“锂电”）。列表中隐藏分词列，请在文章页或 JSON/CSV 中查看。"
               " The search box finds any string in headline or body (e.g. 锂电); the segmented columns (*_seg)"
               " are hidden in this list: see them on each article's page or in JSON/CSV.")
ARTICLE_TABLE = {
    "label_column": "title", "fts_table": CHAR_FTS_TABLE, "fts_pk": "id",
    "sort_desc": "date", "facets": ["source", "kind", "page", "date"], "columns": ARTICLE_COLUMNS,
}
TABLE_METADATA = {
    "articles": {**ARTICLE_TABLE, "description": "文章：从版面切分出的全部文章。All articles cut from the pages. " + SEARCH_NOTE},
    "report_articles": {
        **ARTICLE_TABLE,
        "description": "报表所用文章：去除版面杂项与重复稿。Articles every report reads: no page furniture, "
                       "each duplicated article once. " + SEARCH_NOTE,
    },
    "documents": {
        "description": "版面文件：每个输入文件（或记录）一行，raw 为解码后的原文。"
                       " Page dumps: one row per input file or record; raw is the text as decoded.",
        "columns": {
            "path": "文件路径 / input path", "sha256": "文件指纹 / SHA-256 of the file",
            "source": "报纸 / newspaper", "date": "日期 / date", "page": "版次 / page",
            "encoding": "编码 / encoding", "bytes": "字节数 / size in bytes", "raw": "原文 / the text as decoded",
            "extra": "其他字段（JSON）/ other record fields (JSON)", "ingested_at": "导入时间 / ingested at (UTC)",
        },
        "facets": ["source", "encoding"],
    },
    "vocab": {
        "description": "词表：每个词一行。Vocabulary: one row per word.",
        "columns": {
            "word": "词 / word", "pos": "词性（jieba 词典）/ its part-of-speech tag (jieba's)",
            "is_word": "1 = 词，0 = 标点或数字 / 1 = word, 0 = punctuation or number",
        },
        "facets": ["pos", "is_word"],
    },
    "saved_reports": {
        "description": "用 zzcorpus … --save NAME 保存的报表，每个是一张同名的表。"
                       " Reports saved with `zzcorpus … --save NAME`; each is a table of that name.",
        "columns": {
            "name": "表名 / table name", "command": "命令 / command", "params": "参数（JSON）/ parameters (JSON)",
            "rows": "行数 / rows", "created_at": "保存时间 / saved at (UTC)",
        },
    },
}


def _file_state(path: str) -> tuple:
    """Changes whenever the database (or its WAL) is written."""
    state = [path]
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
            state.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            state.append(None)
    return tuple(state)


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def corpus(datasette, name: str) -> dict | None:
    """{"info", "metadata"} for a corpus database, None for any other; read once per change."""
    db = datasette.databases.get(name)
    if db is None or db.is_memory or not db.path:
        return None
    state = _file_state(db.path)
    per_instance = _cache.setdefault(datasette, {})
    if name not in per_instance or per_instance[name][0] != state:
        per_instance[name] = (state, _read_corpus(datasette, name, db))
    return per_instance[name][1]


def _read_corpus(datasette, name, db) -> dict | None:
    mode = "mode=ro" if db.is_mutable else "immutable=1"
    conn = sqlite3.connect(f"{Path(db.path).resolve().as_uri()}?{mode}", uri=True)
    try:
        if not is_corpus(conn):
            return None
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        info = corpus_info(sqlite_utils.Database(conn))
        reports = []
        if "saved_reports" in tables:
            conn.row_factory = sqlite3.Row
            reports = [dict(r) for r in conn.execute("SELECT * FROM saved_reports ORDER BY name")]
    finally:
        conn.close()
    shadow = [t for t in tables if t.startswith(("articles_fts_", CHAR_FTS_TABLE + "_"))]
    return {"info": info, "metadata": _metadata(datasette, name, info, reports, HIDDEN_TABLES + shadow)}


def _report_description(report: dict) -> str:
    try:
        params = json.loads(report.get("params") or "{}")
    except ValueError:
        params = report.get("params")
    if isinstance(params, dict):
        params = ", ".join(f"{k}={v}" for k, v in params.items() if v not in (None, "", False, []))
    return (f"保存的报表 Saved report: zzcorpus {report.get('command') or ''}"
            f"{f' ({params})' if params else ''}; {report.get('rows')} 行 rows; {report.get('created_at') or ''}")


def _metadata(datasette, name, info, reports, hidden) -> dict:
    tables = copy.deepcopy(TABLE_METADATA)
    for table in hidden:
        tables[table] = {"hidden": True}
    for report in reports:
        tables.setdefault(report["name"], {})["description"] = _report_description(report)
    return {
        "title": f"{name}：报纸语料库 newspaper corpus",
        "description_html": description_html(datasette, name, info),
        "tables": tables,
        "queries": QUERIES,
    }


def description_html(datasette, name, info) -> str:
    n = lambda v: f"{v or 0:,}"  # noqa: E731
    dates = f"{info['date_from']} – {info['date_to']}" if info["date_from"] else "无日期 undated"
    sources = "，".join(f"{escape(s or '(未知 unknown)')}（{n(c)}）" for s, c in info["sources"].items())
    segmenter = escape(f"{info['segmenter'] or '?'} {info['segmenter_version'] or ''}".strip())
    links = [(datasette.urls.table(name, "articles"), "文章 Articles")]
    links += [(datasette.urls.query(name, q), spec["title"]) for q, spec in QUERIES.items()]
    links.append((charts_url(datasette, name), "图表 Charts"))
    docs, arts, rep = n(info["documents"]), n(info["articles"]), n(info["report_articles"])
    tokens, chars = n(info["report_tokens"]), n(info["characters"])
    chinese = (f"<p>{docs} 个版面文件，{arts} 篇文章（报表用 {rep} 篇，不含版面杂项与重复稿），{tokens} 词，{chars} 字；"
               f"日期 {escape(dates)}。来源：{sources or '—'}。分词：{segmenter}。</p>")
    english = (f"<p>{docs} page files, {arts} articles ({rep} in reports: no page furniture, no duplicates), "
               f"{tokens} word tokens, {chars} characters, dated {escape(dates)}. Segmenter: {segmenter}.</p>")
    link_list = " · ".join(f'<a href="{escape(url)}">{escape(label)}</a>' for url, label in links)
    return f"{chinese}\n{english}\n<p>{link_list}</p>"


def _qs(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v})


def charts_url(datasette, name: str) -> str:
    return f"{datasette.urls.database(name)}/-/charts"


@hookimpl
def get_metadata(datasette, key, database, table):
    # Called many times a request: each corpus is read once per change, then copied (Datasette
    # merges metadata into what it is given, so the cached dicts must not be handed out).
    found = {name: c["metadata"] for name in list(datasette.databases) if (c := corpus(datasette, name))}
    return {"databases": copy.deepcopy(found)} if found else {}


# --- display ----------------------------------------------------------------------------------


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if not isinstance(value, (str, int)) or corpus(datasette, database) is None:
        return None
    if table is None and column == "snippet" and isinstance(value, str):
        return Markup(MARKED_RE.sub(r"<mark>\1</mark>", str(escape(value))))
    if table is None and column == "keyword":
        return Markup(f"<mark>{escape(value)}</mark>")
    if table is None and column == "article_id" and isinstance(value, int):
        return Markup(f'<a href="{escape(datasette.urls.row(database, "articles", value))}">{value}</a>')
    if table in ARTICLE_VIEWS + ("documents",) and column in TEXT_COLUMNS and isinstance(value, str):
        # clamped to a few lines in lists, whole paragraphs on the article's page (see zzcorpus.css)
        return Markup(f'<div class="zz-text">{escape(value)}</div>')
    return None


@hookimpl
def extra_css_urls(template, database, table, columns, view_name, request, datasette):
    if database and corpus(datasette, database) is not None:
        return ["/-/zzcorpus/zzcorpus.css"]
    return []


@hookimpl
def prepare_jinja2_environment(env, datasette):
    from jinja2 import ChoiceLoader, FileSystemLoader

    # Datasette only finds templates of plugin packages; ours is a module of the zzcorpus package.
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(HERE / "templates"))])


@hookimpl
def database_actions(datasette, actor, database, request):
    if corpus(datasette, database) is not None:
        return [{"href": charts_url(datasette, database), "label": CHARTS_LABEL}]


@hookimpl
def table_actions(datasette, actor, database, table, request):
    if table in ARTICLE_VIEWS and corpus(datasette, database) is not None:
        return [{"href": charts_url(datasette, database), "label": CHARTS_LABEL}]


# --- the chart page ---------------------------------------------------------------------------

TERM_SPLIT_RE = re.compile(r"[,，、;；\s]+")
MAX_TERMS = 8


def _int(value, *, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def trend_series(trend: dict, *, period: str, column: str) -> tuple[list[str], dict]:
    """Every period from the first to the last dated one, and each term's values: None where a
    period has no dated articles at all (a gap in the line, not a zero)."""
    dated = sorted({r["period"] for rows in trend.values() for r in rows})
    try:
        periods = continuous_periods(dated[0], dated[-1], period) if dated else []
    except ValueError:  # a malformed date in the data: plot the periods there are
        periods = dated
    values = {t: {r["period"]: r[column] for r in rows} for t, rows in trend.items()}
    return periods, {t: [v.get(p) for p in periods] for t, v in values.items()}


async def charts_page(datasette, request):
    name = tilde_decode(request.url_vars["database"])
    found = corpus(datasette, name)
    if found is None:
        raise NotFound(f"{name} is not a zzcorpus database")
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    db = datasette.get_database(name)
    args = request.args
    period = args.get("period") if args.get("period") in PERIODS else "month"
    per_million = args.get("measure") != "articles"
    top = _int(args.get("top"), default=20, low=1, high=100)
    source, date = args.get("source") or "", (args.get("date") or "").strip()
    terms = [t for t in TERM_SPLIT_RE.split(args.get("q") or "") if t][:MAX_TERMS]
    context = {
        "database": name, "info": found["info"], "period": period, "measure": "per_million" if per_million else "articles",
        "top": top, "source": source, "date": date, "q": "，".join(terms), "default_terms": not terms,
        "error": None, "words_svg": None, "trend_svg": None, "trend_rows": [], "trend_urls": [],
        "freq_url": datasette.urls.query(name, "freq") + "?" + _qs(source=source, date=date),
    }
    try:
        words = (await db.execute(FREQ_SQL.format(limit=":top"), {"source": source, "date": date, "top": top})).rows
        scope = "，".join(x for x in (source, date) if x) or "全部 all"
        context["words_svg"] = Markup(charts.bar_chart_svg(
            [r["word"] for r in words], [r["count"] for r in words],
            title=f"高频词 Top {top} words（{scope}）",
            value_label="出现次数（不含停用词）occurrences, stopwords left out"))
        terms = terms or [r["word"] for r in words[:3]]
        trend = {t: (await db.execute(TREND_SQL, {"q": t, "period": period})).rows for t in terms}
        periods, series = trend_series(trend, period=period, column="per_million_tokens" if per_million else "articles")
        context["trend_rows"] = [{"term": t, **dict(r)} for t, rows in trend.items() for r in rows]
        unit = "每月 per month" if period == "month" else "每年 per year"
        what = ("含该词的文章数 / 该期每百万词  articles containing the term per million word tokens" if per_million
                else "含该词的文章数  articles containing the term")
        context["trend_svg"] = Markup(charts.line_chart_svg(
            periods, series, title=f"词语趋势 Trend, {unit}：{what}",
            y_label="每百万词 per million tokens" if per_million else "文章数 articles"))
        context["q"] = "，".join(terms)
        context["trend_urls"] = [(t, datasette.urls.query(name, "trend") + "?" + _qs(q=t, period=period)) for t in terms]
    except QueryInterrupted:
        context["error"] = ("查询超时。Query took too long: start Datasette with a higher limit, e.g. "
                            "datasette corpus.db --setting sql_time_limit_ms 20000")
    return Response.html(await datasette.render_template("zzcorpus_charts.html", context, request=request))


def row_labels_css() -> str:
    """Labels for the one-field-a-line article and document pages: Datasette names a cell's
    column only in its class, so each position gets its column name (schema order)."""
    return "\n".join(
        f'body.row.table-{table} .rows-and-columns td:nth-of-type({i}):before {{ content: "{column}"; }}'
        for table in ("articles", "documents") for i, column in enumerate(TABLES[table]["columns"], 1)
    )


async def stylesheet():
    css = (HERE / "static" / "zzcorpus.css").read_text(encoding="utf-8")
    return Response(css + "\n" + row_labels_css() + "\n", content_type="text/css")


@hookimpl
def register_routes(datasette):
    return [
        (r"^/(?P<database>[^/]+)/-/charts$", charts_page),
        (r"^/-/zzcorpus/zzcorpus\.css$", stylesheet),
    ]


@hookimpl
def asgi_wrapper(datasette):
    """Article lists skip Datasette's suggested facets: probing every column of ~20 text columns
    costs dozens of queries per page (about 80% of a search page on a 20 MB corpus), and the
    facets that matter (source, kind, page, date) are configured anyway."""

    def wrap(app):
        async def add_nosuggest(scope, receive, send):
            if scope.get("type") == "http" and b"_nosuggest" not in scope.get("query_string", b""):
                parts = scope.get("path", "").strip("/").split("/")
                if len(parts) == 2 and parts[1].split(".")[0] in ARTICLE_VIEWS and corpus(datasette, parts[0]):
                    query = scope.get("query_string", b"")
                    scope = {**scope, "query_string": query + (b"&" if query else b"") + b"_nosuggest=1"}
            await app(scope, receive, send)

        return add_nosuggest

    return wrap
