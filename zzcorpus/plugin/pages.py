"""The plugin's own pages: /DB/-/charts (top words and word trends drawn as SVG on the server,
no JavaScript, from the same report functions as `zzcorpus freq` and `zzcorpus trend`) and the
stylesheet."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import sqlite_utils
from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from .. import charts, reports
from ..filters import Filters, word_filter
from ..schema import TABLES
from ..selection import Selection
from .metadata import corpus

HERE = Path(__file__).resolve().parent.parent
TERM_SPLIT_RE = re.compile(r"[,，、;；\s]+")
MAX_TERMS = 8
PERIODS = ("month", "year")
MEASURES = {"per_million": "每百万词 per million tokens", "count": "出现次数 occurrences"}


def _qs(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v})


def _int(value, *, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def chart_data(db, *, source: str, date: str, top: int, terms: list[str], period: str) -> dict:
    """The top words of the paper and date, and each term's trend over the paper's articles:
    the rows `zzcorpus freq` and `zzcorpus trend` give. Unknown terms are named in `missing`."""
    words = reports.freq(db, Selection(db, Filters(sources=(source,) if source else (), date_from=date or None,
                                                   date_to=date or None)), word_filter(db), top=top)
    terms = terms or [r["word"] for r in words[:3]]
    trend, missing = {}, []
    sel = Selection(db, Filters(sources=(source,) if source else ()))
    for term in terms:
        try:
            trend[term] = reports.trend(db, sel, [term], by=period)
        except ValueError:
            missing.append(term)
    return {"words": words, "terms": terms, "trend": trend, "missing": missing}


async def charts_page(datasette, request):
    name = tilde_decode(request.url_vars["database"])
    found = corpus(datasette, name)
    if found is None:
        raise NotFound(f"{name} is not a zzcorpus database")
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    args = request.args
    period = args.get("period") if args.get("period") in PERIODS else "month"
    measure = args.get("measure") if args.get("measure") in MEASURES else "per_million"
    top = _int(args.get("top"), default=20, low=1, high=100)
    source, date = args.get("source") or "", (args.get("date") or "").strip()
    terms = [t for t in TERM_SPLIT_RE.split(args.get("q") or "") if t][:MAX_TERMS]
    context = {
        "database": name, "info": found["info"], "period": period, "measure": measure, "measures": MEASURES,
        "top": top, "source": source, "date": date, "q": "，".join(terms), "default_terms": not terms,
        "error": None, "words_svg": None, "trend_svg": None, "trend_rows": [], "trend_urls": [],
        "freq_url": datasette.urls.query(name, "freq") + "?" + _qs(source=source, date=date),
    }
    try:
        data = await datasette.get_database(name).execute_fn(
            lambda conn: chart_data(sqlite_utils.Database(conn), source=source, date=date, top=top, terms=terms,
                                    period=period))
    except ValueError as e:
        context["error"] = str(e)
        return Response.html(await datasette.render_template("zzcorpus_charts.html", context, request=request))
    scope = "，".join(x for x in (source, date) if x) or "全部 all"
    context["words_svg"] = Markup(charts.bar_chart_svg(
        [r["word"] for r in data["words"]], [r["count"] for r in data["words"]],
        title=f"高频词 Top {top} words（{scope}）", value_label="出现次数（不含停用词）occurrences, stopwords left out"))
    if data["trend"]:
        periods = next(iter(data["trend"].values()))
        periods = [r["period"] for r in periods]
        series = {t: [r[measure] for r in rows] for t, rows in data["trend"].items()}
        unit = "每月 per month" if period == "month" else "每年 per year"
        context["trend_svg"] = Markup(charts.line_chart_svg(
            periods, series, title=f"词语趋势 Trend, {unit}：{MEASURES[measure]}（{source or '全部 all'}）",
            y_label=MEASURES[measure]))
        context["trend_rows"] = [r for rows in data["trend"].values() for r in rows]
    if data["missing"]:
        context["error"] = "不是语料中的词 Not a word of this corpus: " + "，".join(data["missing"])
    context["q"] = "，".join(data["terms"])
    context["trend_urls"] = [(t, datasette.urls.query(name, "trend") + "?" + _qs(q=t, period=period, source=source))
                             for t in data["trend"]]
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
