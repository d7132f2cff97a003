"""What Datasette shows about a corpus: titles, a description made from the corpus's own
numbers, Chinese and English table and column descriptions, facets, hidden internal tables and
the saved reports with their parameters; read once per change of the file."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import weakref
from pathlib import Path

import sqlite_utils
from markupsafe import escape

from ..schema import CHAR_FTS_TABLE, HIDDEN_TABLES
from ..store import corpus_info
from .queries import QUERIES, file_state

CORPUS_TABLES = {"articles", "lexicon", "meta", CHAR_FTS_TABLE}


def is_corpus(conn) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return CORPUS_TABLES <= names


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
    "script": "字体 / script: simplified 简体, traditional 繁体, mixed 混合",
    "near_duplicate_of": "转载稿：所匹配的较早刊登 / a reprint: the earlier printing it matches (link: its cluster)",
    "similarity": "与该较早刊登的相似度（较短文本的三字组在另一篇中的比例）/ share of the shorter text's 3-character"
                  " shingles found in the other",
}
SEARCH_NOTE = ("搜索框按字面查找引题、标题、副题、署名、电头与正文中的任意字串（如“锂电”、记者名），与 zzcorpus search 相同；"
               "勾选“整词”只找分词后的整词。列表中隐藏分词列，请在文章页或 JSON/CSV 中查看。"
               " The search box finds any string in any printed field - kicker, title, subtitle, byline, dateline,"
               " body (e.g. 锂电, a reporter's name) - exactly as `zzcorpus search`; tick 整词 for whole words."
               " The segmented columns (*_seg) are hidden in this list: see them on each article's page or in JSON/CSV.")
# No fts_table: the search box is routed to the CLI's search (hooks.filters_from_request), which
# Datasette's FTS SQL could only approximate.
ARTICLE_VIEWS = ("articles", "report_articles")  # the article lists: search box, facets, reprint links
ARTICLE_TABLE = {
    "label_column": "title", "sort_desc": "date",
    "facets": [{"values": c} for c in ("source", "kind", "page", "date", "script")] + [{"names": "bylines"}], "columns": ARTICLE_COLUMNS,
}
TABLE_METADATA = {
    "articles": {**ARTICLE_TABLE, "description": "文章：从版面切分出的全部文章。All articles cut from the pages. " + SEARCH_NOTE},
    "report_articles": {
        **ARTICLE_TABLE,
        "description": "报表所用文章：去除版面杂项、重复稿与转载稿。Articles every report reads: no page furniture, "
                       "each duplicated or reprinted article once. " + SEARCH_NOTE,
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
    "lexicon": {
        "description": "词表：每个词（及标点、数字）一行，freq 与 docs 计报表所用文章。"
                       " Lexicon: one row per token type; freq and docs over the articles reports count.",
        "columns": {
            "id": "词号 / word id", "word": "词 / word", "pos": "词性（jieba 词典）/ its part-of-speech tag (jieba's)",
            "is_word": "1 = 词，0 = 标点或数字 / 1 = word, 0 = punctuation or number",
            "freq": "出现次数 / occurrences", "docs": "含该词的文章数 / articles holding it",
            "dp": "Gries 离散度（0 = 均匀分布）/ Gries' DP over those articles (0 = evenly spread)",
        },
        "sort_desc": "freq",
        "facets": ["pos", "is_word"],
    },
    "vocab": {
        "description": "词（不含标点与数字）及其词性。Words (no punctuation or numbers) with their tags.",
        "facets": ["pos"],
    },
    "word_periods": {
        "description": "每词每报每月的次数与文章数（报表所用文章）。Per word, paper and month: occurrences and"
                       " articles, over the articles reports count.",
        "facets": ["source", "month"],
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


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def corpus(datasette, name: str) -> dict | None:
    """{"info", "metadata"} for a corpus database, None for any other; read once per change."""
    db = datasette.databases.get(name)
    if db is None or db.is_memory or not db.path:
        return None
    state = file_state(db.path)
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
    shadow = [t for t in tables if t.startswith(CHAR_FTS_TABLE + "_")]
    return {"info": info, "metadata": _metadata(datasette, name, info, reports, HIDDEN_TABLES + shadow),
            "reports": {r["name"]: r for r in reports}}


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
    base = datasette.urls.database(name)
    links = [(datasette.urls.table(name, "articles"), "文章 Articles"),
             (f"{base}/-/search", "全文检索 Full-text search"), (f"{base}/-/kwic", "关键词语境 KWIC"),
             (datasette.urls.query(name, "freq"), QUERIES["freq"]["title"]), (f"{base}/-/cooc", "共现 Collocates"),
             (datasette.urls.query(name, "trend"), QUERIES["trend"]["title"]),
             (f"{base}/-/dispersion", "分布 Dispersion"), (charts_url(datasette, name), "图表 Charts")]
    docs, arts, rep = n(info["documents"]), n(info["articles"]), n(info["report_articles"])
    tokens, chars = n(info["report_tokens"]), n(info["characters"])
    chinese = (f"<p>{docs} 个版面文件，{arts} 篇文章（报表用 {rep} 篇，不含版面杂项与重复稿），{tokens} 词，{chars} 字；"
               f"日期 {escape(dates)}。来源：{sources or '—'}。分词：{segmenter}。</p>")
    english = (f"<p>{docs} page files, {arts} articles ({rep} in reports: no page furniture, no duplicates), "
               f"{tokens} word tokens, {chars} characters, dated {escape(dates)}. Segmenter: {segmenter}.</p>")
    link_list = " · ".join(f'<a href="{escape(url)}">{escape(label)}</a>' for url, label in links)
    return f"{chinese}\n{english}\n<p>{link_list}</p>"


def charts_url(datasette, name: str) -> str:
    return f"{datasette.urls.database(name)}/-/charts"


def all_metadata(datasette) -> dict:
    """Metadata for every corpus database served."""
    # Called many times a request: each corpus is read once per change, then copied (Datasette
    # merges metadata into what it is given, so the cached dicts must not be handed out).
    found = {name: c["metadata"] for name in list(datasette.databases) if (c := corpus(datasette, name))}
    return {"databases": copy.deepcopy(found)} if found else {}
