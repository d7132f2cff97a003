"""The plugin's own pages, drawn on the server from the CLI's functions (no JavaScript from the
internet, no SQL of their own):

- /DB/-/kwic: the concordance (search.kwic): total, paging, sorting by neighbour words, every
  line as CSV or JSON (/DB/-/kwic.csv, .json);
- /DB/-/search: full-text search (search.search, search.count): total, paging, filters;
- /DB/-/cooc: collocates (reports.cooc) and their network (reports.network, network.network_svg);
- /DB/-/dispersion: where words occur over time, per paper (reports.dispersion_rows, charts.dispersion_svg);
- /DB/-/charts: top words (reports.freq) and word trends (reports.trend), each panel on its own;
- the stylesheet.

Every picture is also served as .svg and .png (charts.svg_to_png) at the page's address with that
suffix. A page that finds nothing says why (page_notice).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import sqlite_utils
from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from .. import charts, index, reports, search
from .. import network as net
from ..filters import Filters, word_filter
from ..measures import MEASURES as ASSOCIATION_MEASURES
from ..schema import TABLES
from ..segment import is_word
from ..selection import Selection
from . import links
from .metadata import corpus

HERE = Path(__file__).resolve().parent.parent
TERM_SPLIT_RE = re.compile(r"[,，、;；\s]+")
MAX_TERMS = 8
PERIODS = ("month", "year")
MEASURES = {"per_million": "每百万词 per million tokens", "share": "文章占比 share of articles",
            "count": "出现次数 occurrences"}
KWIC_SORTS = ["", "L1", "R1", "L1,R1", "R1,R2", "L2,L1", "L1,L2", "R1,L1"]
WINDOWS = ("article", "paragraph", "sentence")
PICTURE_TYPES = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png"}


def _qs(**params) -> str:
    return links.qs(**params)


def _int(value, *, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def _terms(value) -> list[str]:
    return [t for t in TERM_SPLIT_RE.split(value or "") if t][:MAX_TERMS]


def selection_filters(f: dict) -> Filters:
    return Filters(sources=(f["source"],) if f.get("source") else (), date_from=f.get("from"),
                   date_to=f.get("to"), bylines=(f["byline"],) if f.get("byline") else ())


NOT_FOUND = "所选文章中没有出现 It does not occur in the selected articles"


def page_notice(db, f: dict, words=()) -> str:
    """Why a page found nothing: the filters select no article, a term is no word of the corpus,
    or the words do not occur in the selected articles."""
    try:
        sel = Selection(db, selection_filters(f))
    except ValueError as e:
        return str(e)
    if not sel.n_articles:
        named = "，".join(f"{k}={v}" for k, v in f.items())
        return f"筛选条件下没有文章 No article matches the filters ({named})"
    known = index.word_ids(db, words)
    missing = [w for w in words if w not in known or not is_word(w)]
    if missing:
        return "不是语料中的词 Not a word of this corpus: " + "，".join(missing)
    return NOT_FOUND


async def _open(datasette, request):
    name = tilde_decode(request.url_vars["database"])
    found = corpus(datasette, name)
    if found is None:
        raise NotFound(f"{name} is not a zzcorpus database")
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    return name, found


def _run(datasette, name, fn):
    return datasette.get_database(name).execute_fn(lambda conn: fn(sqlite_utils.Database(conn)))


async def _html(datasette, request, template, context):
    return Response.html(await datasette.render_template(template, context, request=request))


def _picture(svg: str | None, fmt: str, what: str) -> Response:
    if not svg:
        return Response.text(f"no picture: {what}", status=404)
    if fmt == "svg":
        return Response(svg, content_type=PICTURE_TYPES["svg"])
    try:
        return Response(charts.svg_to_png(svg), content_type=PICTURE_TYPES["png"])
    except ValueError as e:  # no CJK font or no resvg here: say what to install
        return Response.text(str(e), status=500)


def _pages(total: int, page: int, size: int) -> dict:
    last = max((total + size - 1) // size, 1)
    page = min(page, last)
    return {"page": page, "last": last, "size": size, "offset": (page - 1) * size}


# --- the concordance ----------------------------------------------------------------------------

KWIC_COLUMNS = ["article_id", "date", "source", "title", "field", "left", "match", "right", "offset", "word",
                *search.KWIC_NEIGHBOURS]


def _word_parts(row) -> tuple[str, str, str, str]:
    """(left, the word's part before the match, the part after, right): the whole word visible."""
    word, match, left, right = row["word"], row["match"], row["left"], row["right"]
    for at in range(len(word) - len(match) + 1):
        pre, post = word[:at], word[at + len(match):]
        if word[at:at + len(match)] == match and left.endswith(pre) and right.startswith(post):
            return left[:len(left) - len(pre)], pre, post, right[len(post):]
    return left, "", "", right


async def kwic_page(datasette, request):
    name, found = await _open(datasette, request)
    args = request.args
    fmt = request.url_vars.get("format")
    q = (args.get("q") or "").strip()
    sort = args.get("sort") or ""
    width = _int(args.get("width"), default=20, low=1, high=200)
    words = bool(args.get("words"))
    f = links.page_filters(args)
    context = {"database": name, "info": found["info"], "q": q, "sort": sort, "width": width, "words": words,
               "f": f, "rows": [], "total": 0, "error": None, "notice": None, "sorts": KWIC_SORTS}
    if not q:
        context["notice"] = "输入要查找的字词 Type a word or phrase to see its contexts, e.g. 锂电"
        return await _html(datasette, request, "zzcorpus_kwic.html", context)

    def compute(db):
        rows = search.kwic(db, q, width=width, sort=sort, words=words, source=f.get("source"),
                           date_from=f.get("from"), date_to=f.get("to"), byline=f.get("byline"))
        return rows, (None if rows else page_notice(db, f, [q] if words else ()))

    try:
        rows, notice = await _run(datasette, name, compute)
    except ValueError as e:
        if fmt:
            return Response.text(str(e), status=400)
        context["error"] = str(e)
        return await _html(datasette, request, "zzcorpus_kwic.html", context)
    if fmt == "json":
        return Response.json(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=KWIC_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="kwic.csv"'})
    paging = _pages(len(rows), _int(args.get("page"), default=1, low=1, high=10**9),
                    _int(args.get("size"), default=100, low=10, high=1000))
    shown = rows[paging["offset"]:paging["offset"] + paging["size"]]
    keys = list(search.parse_sort(sort))
    base = {"q": q, "sort": sort, "width": width if width != 20 else "", "words": "1" if words else "", **f}
    context.update(
        total=len(rows), notice=notice, keys=keys, paging=paging,
        rows=[{**r, "parts": _word_parts(r), "url": links.article_url(datasette, name, r["article_id"], r["match"])}
              for r in shown],
        start=paging["offset"],
        page_url=lambda page: "?" + _qs(**base, page=page),
        sort_url=lambda key: "?" + _qs(**{**base, "sort": key}),
        csv_url=f"{datasette.urls.database(name)}/-/kwic.csv?" + _qs(**base),
        json_url=f"{datasette.urls.database(name)}/-/kwic.json?" + _qs(**base),
        articles_url=links.articles_url(datasette, name, q, f, words=words),
    )
    return await _html(datasette, request, "zzcorpus_kwic.html", context)


# --- full-text search ---------------------------------------------------------------------------

SNIPPET_MARKS = ("\ue010", "\ue011")  # never in stored text: made <mark> after escaping


def marked(text: str) -> Markup:
    return Markup(str(escape(text)).replace(SNIPPET_MARKS[0], "<mark>").replace(SNIPPET_MARKS[1], "</mark>"))


async def search_page(datasette, request):
    name, found = await _open(datasette, request)
    args = request.args
    q = (args.get("q") or "").strip()
    words = bool(args.get("words"))
    f = links.page_filters(args)
    size = _int(args.get("size"), default=50, low=10, high=500)
    page = _int(args.get("page"), default=1, low=1, high=10**9)
    context = {"database": name, "info": found["info"], "q": q, "words": words, "f": f, "rows": [], "total": 0,
               "error": None, "notice": None}
    if not q and not f.get("byline"):
        context["notice"] = "输入要查找的字词 Type a word or phrase (or a byline name), e.g. 新质生产力"
        return await _html(datasette, request, "zzcorpus_search.html", context)
    kw = {"source": f.get("source"), "date_from": f.get("from"), "date_to": f.get("to"), "byline": f.get("byline"),
          "words": words}

    def compute(db):
        total = search.count(db, q, **kw)
        paging = _pages(total, page, size)
        rows = search.search(db, q, limit=paging["offset"] + size, width=60, mark=SNIPPET_MARKS, **kw)
        return total, paging, rows[paging["offset"]:], (None if total else page_notice(db, f))

    try:
        total, paging, rows, notice = await _run(datasette, name, compute)
    except ValueError as e:
        context["error"] = str(e)
        return await _html(datasette, request, "zzcorpus_search.html", context)
    if notice == NOT_FOUND:
        notice = f"没有文章含有 No article contains {q!r}" + ("（整词 as a whole word）" if words else "")
    base = {"q": q, "words": "1" if words else "", **f}
    context.update(
        total=total, paging=paging, notice=notice, start=paging["offset"],
        rows=[{**r, "snippet": marked(r["snippet"]), "url": links.article_url(datasette, name, r["article_id"], q)}
              for r in rows],
        page_url=lambda p: "?" + _qs(**base, page=p),
        kwic_url=f"{datasette.urls.database(name)}/-/kwic?" + _qs(**base) if q else None,
    )
    return await _html(datasette, request, "zzcorpus_search.html", context)


# --- collocates and their network -----------------------------------------------------------------

async def cooc_page(datasette, request):
    name, found = await _open(datasette, request)
    args = request.args
    fmt = request.url_vars.get("format")
    word = (args.get("word") or "").strip()
    window = (args.get("window") or "article").strip()
    measure = args.get("measure") if args.get("measure") in ASSOCIATION_MEASURES else "logdice"
    min_count = _int(args.get("min_count"), default=3, low=1, high=1000)
    top = _int(args.get("top"), default=20, low=2, high=60)
    f = links.page_filters(args)
    context = {"database": name, "info": found["info"], "word": word, "window": window, "windows": WINDOWS,
               "measure": measure, "measures": ASSOCIATION_MEASURES, "min_count": min_count, "top": top, "f": f,
               "rows": [], "error": None, "notice": None, "network_svg": None}
    if not word:
        context["notice"] = "输入一个词 Type a word to see its collocates, e.g. 锂电"
        return await _html(datasette, request, "zzcorpus_cooc.html", context)
    kwic_of = lambda w: links.kwic_url(datasette, name, w, f)  # noqa: E731
    title = f"{word}：{measure}，窗口 window {window}"

    def compute(db):
        sel = Selection(db, selection_filters(f))
        wf = word_filter(db)
        try:
            rows = reports.cooc(db, sel, wf, word, window=window, by=measure, min_count=min_count, top=100)
        except ValueError as e:
            return [], None, str(e) if "window" in str(e) or "measure" in str(e) else page_notice(db, f, [word])
        graph = reports.network(db, sel, wf, [word], top=top, window=window, measure=measure, min_count=min_count)
        svg = net.network_svg(graph, net.layout(graph), title=title, links=kwic_of) if graph.edges else None
        return rows, svg, None if rows else "没有达到最少共现次数的词 No collocate reaches the least count (min_count)"

    try:
        rows, svg, notice = await _run(datasette, name, compute)
    except ValueError as e:
        rows, svg, notice = [], None, None
        context["error"] = str(e)
    if fmt:
        return _picture(svg, fmt, context["error"] or notice or "no network")
    base = {"word": word, "window": window, "measure": measure, "min_count": min_count, "top": top, **f}
    context.update(
        rows=[{**r, "links": Markup(links.word_links_html(datasette, name, r["word"], f))} for r in rows],
        notice=notice, network_svg=Markup(svg) if svg else None,
        svg_url=f"{datasette.urls.database(name)}/-/cooc.svg?" + _qs(**base),
        png_url=f"{datasette.urls.database(name)}/-/cooc.png?" + _qs(**base),
        node_links=Markup(links.word_links_html(datasette, name, word, f)),
    )
    return await _html(datasette, request, "zzcorpus_cooc.html", context)


# --- dispersion ------------------------------------------------------------------------------------

def dispersion_data(db, terms: list[str], f: dict, article_link) -> dict:
    """The rows of `zzcorpus dispersion` and their plot: one strip per word and paper."""
    sel = Selection(db, selection_filters(f))
    try:
        rows = reports.dispersion_rows(db, sel, terms)
    except ValueError:
        return {"rows": [], "svg": None, "notice": page_notice(db, f, terms)}
    span = reports.date_span(sel)
    if span is None:
        return {"rows": rows, "svg": None, "notice": "所选文章没有日期 The selected articles carry no dates: "
                                                     "give dates at ingest (--date, or 枣庄日报_2024-03-19_02.txt)"}
    sources = sorted(sel.counts("source"), key=lambda k: (k is None, k or ""))
    strips = [(w, s) for w in terms for s in sources]
    title = f"{' / '.join(terms)}：分布 dispersion，{span[0]} – {span[1]}"
    svg = charts.dispersion_svg(rows, strips, *span, title=title, links=article_link)
    return {"rows": rows, "svg": svg, "notice": None if rows else page_notice(db, f, terms)}


async def dispersion_page(datasette, request):
    name, found = await _open(datasette, request)
    args = request.args
    fmt = request.url_vars.get("format")
    terms = list(dict.fromkeys(_terms(args.get("q"))))
    f = links.page_filters(args)
    context = {"database": name, "info": found["info"], "q": "，".join(terms), "f": f, "rows": [], "svg": None,
               "error": None, "notice": None}
    if not terms:
        context["notice"] = "输入一个或几个词 Type one or more words (comma-separated), e.g. 锂电，新能源"
        return await _html(datasette, request, "zzcorpus_dispersion.html", context)
    article_link = lambda r: links.article_url(datasette, name, r["article_id"], r["word"])  # noqa: E731
    try:
        data = await _run(datasette, name, lambda db: dispersion_data(db, terms, f, article_link))
    except ValueError as e:
        data = {"rows": [], "svg": None, "notice": None}
        context["error"] = str(e)
    if fmt:
        return _picture(data["svg"], fmt, context["error"] or data["notice"] or "no plot")
    base = {"q": ",".join(terms), **f}
    context.update(
        rows=[{**r, "url": article_link(r)} for r in data["rows"]], notice=data["notice"],
        svg=Markup(data["svg"]) if data["svg"] else None,
        svg_url=f"{datasette.urls.database(name)}/-/dispersion.svg?" + _qs(**base),
        png_url=f"{datasette.urls.database(name)}/-/dispersion.png?" + _qs(**base),
        word_links=[Markup(links.word_links_html(datasette, name, t, f)) for t in terms],
    )
    return await _html(datasette, request, "zzcorpus_dispersion.html", context)


# --- the chart page ------------------------------------------------------------------------------

def chart_data(db, *, source: str, date: str, top: int, terms: list[str], period: str) -> dict:
    """The top words of the paper and date, and each term's trend over the paper's articles:
    the rows `zzcorpus freq` and `zzcorpus trend` give. Unknown terms are named in `missing`.
    Each panel stands alone: a failing one has its message in `errors` and no rows."""
    errors, words = {}, []
    try:
        words = reports.freq(db, Selection(db, Filters(sources=(source,) if source else (), date_from=date or None,
                                                       date_to=date or None)), word_filter(db), top=top)
    except ValueError as e:
        errors["words"] = str(e)
    terms = terms or [r["word"] for r in words[:3]]
    trend, missing = {}, []
    try:
        sel = Selection(db, Filters(sources=(source,) if source else ()))
        for term in terms:
            try:
                trend[term] = reports.trend(db, sel, [term], by=period)
            except ValueError as e:
                if "no dates" in str(e):
                    raise
                missing.append(term)
    except ValueError as e:
        errors["trend"] = str(e)
    return {"words": words, "terms": terms, "trend": trend, "missing": missing, "errors": errors}


async def charts_page(datasette, request):
    name, found = await _open(datasette, request)
    args = request.args
    fmt = request.url_vars.get("format")
    period = args.get("period") if args.get("period") in PERIODS else "month"
    measure = args.get("measure") if args.get("measure") in MEASURES else "per_million"
    top = _int(args.get("top"), default=20, low=1, high=100)
    source, date = args.get("source") or "", (args.get("date") or "").strip()
    terms = _terms(args.get("q"))
    base = {"q": ",".join(terms), "period": period, "measure": measure, "top": top, "source": source, "date": date}
    context = {
        "database": name, "info": found["info"], "period": period, "measure": measure, "measures": MEASURES,
        "top": top, "source": source, "date": date, "q": "，".join(terms), "default_terms": not terms,
        "error": None, "words_error": None, "trend_error": None, "words_svg": None, "trend_svg": None,
        "trend_rows": [], "trend_urls": [],
        "freq_url": datasette.urls.query(name, "freq") + "?" + _qs(source=source, date=date),
        "picture_url": lambda panel, kind: f"{datasette.urls.database(name)}/-/charts.{kind}?"
                                           + _qs(**base, panel=panel),
    }
    data = await _run(datasette, name, lambda db: chart_data(db, source=source, date=date, top=top, terms=terms,
                                                             period=period))
    f = links.page_filters({"source": source, "date": date})
    scope = "，".join(x for x in (source, date) if x) or "全部 all"
    words_svg = trend_svg = None
    if "words" not in data["errors"]:
        words_svg = charts.bar_chart_svg(
            [r["word"] for r in data["words"]], [r["count"] for r in data["words"]],
            title=f"高频词 Top {top} words（{scope}）", value_label="出现次数（不含停用词）occurrences, stopwords left out",
            links=lambda w: links.kwic_url(datasette, name, w, f))
    if data["trend"]:
        periods = [r["period"] for r in next(iter(data["trend"].values()))]
        series = {t: [r[measure] for r in rows] for t, rows in data["trend"].items()}
        unit = "每月 per month" if period == "month" else "每年 per year"
        trend_svg = charts.line_chart_svg(
            periods, series, title=f"词语趋势 Trend, {unit}：{MEASURES[measure]}（{source or '全部 all'}）",
            y_label=MEASURES[measure])
        context["trend_rows"] = [r for rows in data["trend"].values() for r in rows]
    if fmt:
        panel = args.get("panel") or "trend"
        return _picture(words_svg if panel == "words" else trend_svg, fmt, data["errors"].get(panel, panel))
    context["words_svg"] = Markup(words_svg) if words_svg else None
    context["trend_svg"] = Markup(trend_svg) if trend_svg else None
    context["words_error"] = data["errors"].get("words")
    context["trend_error"] = data["errors"].get("trend")
    if data["missing"]:
        context["error"] = "不是语料中的词 Not a word of this corpus: " + "，".join(data["missing"])
    context["q"] = "，".join(data["terms"])
    context["trend_urls"] = [(t, datasette.urls.query(name, "trend") + "?" + _qs(q=t, period=period, source=source),
                              Markup(links.word_links_html(datasette, name, t, {"source": source} if source else {})))
                             for t in data["trend"]]
    dispersion = f"{datasette.urls.database(name)}/-/dispersion?" + _qs(q=",".join(data["trend"]), source=source)
    context["dispersion_url"] = dispersion if data["trend"] else None
    return await _html(datasette, request, "zzcorpus_charts.html", context)


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
