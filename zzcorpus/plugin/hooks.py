"""The Datasette hooks of zzcorpus (the plugin's entry point): corpus databases get their
SQL functions, metadata, cell rendering, stylesheet, chart page and links; other databases are
left as Datasette makes them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

from .. import search
from ..charts import format_number
from . import links
from .facets import NamesFacet, ValuesFacet
from .metadata import ARTICLE_VIEWS, all_metadata, charts_url, corpus, is_corpus
from .pages import charts_page, cooc_page, dispersion_page, kwic_page, search_page, stylesheet
from .queries import register, search_hits

HERE = Path(__file__).resolve().parent.parent
MARKED_RE = re.compile("【([^【】]+)】")
TEXT_COLUMNS = {"body", "raw", "title_seg", "body_seg"}
HIGHLIGHTED = ("kicker", "title", "subtitle", "byline", "dateline", "body")  # marked on an article's page
WORD_COLUMNS = {"word"}  # report columns holding one word: linked to its concordance and articles
EDGE_COLUMNS = {"source", "target"}  # a saved network's edge ends
CHARTS_LABEL = "图表：高频词与词语趋势 Charts"


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so ours wins on corpus databases
def prepare_connection(conn, database, datasette):
    if is_corpus(conn):
        # Read through memory-mapped pages (SQLite caps it at 2 GB): the pages a search or
        # facet looks up by id are read without a system call and a copy each.
        conn.execute("PRAGMA mmap_size = 2147418112")
        register(conn)


@hookimpl
def get_metadata(datasette, key, database, table):
    return all_metadata(datasette)


@hookimpl
def register_facet_classes():
    return [ValuesFacet, NamesFacet]


# --- the search box of article lists ----------------------------------------------------------

WORDS_ARG = "_words"  # ?_words=1: whole words only (zzcorpus search --words)
SCAN_SHARE = 5  # hits above a fifth of the articles: scan the indexes rather than look up each hit


@hookimpl(trylast=True)  # called after Datasette's own search filter, so this page state wins
def filters_from_request(request, database, table, datasette):
    """?_search= on an article list runs the CLI's search (search.article_ids through the SQL
    function zz_search_ids): the same hits as `zzcorpus search` for every query, punctuation and
    Latin letters included, in every printed field."""
    if table not in ARTICLE_VIEWS or corpus(datasette, database) is None:
        return None
    if "_search" not in request.args:
        return FilterArguments([], extra_context={"supports_search": True})
    query = request.args.get("_search") or ""  # an empty search finds nothing, as Datasette's own
    words = bool(request.args.get(WORDS_ARG))

    async def arguments():
        # Few hits: the rows are looked up by id. Many: Datasette's sorting, counting and facets
        # go faster through the small indexes (date, source ...) than through thousands of rows,
        # and `+id` keeps SQLite from looking them up one by one.
        hits = (await datasette.get_database(database).execute_fn(
            lambda conn: search_hits(conn, query, words)))[1]
        many = hits * SCAN_SHARE > corpus(datasette, database)["info"]["articles"]
        return FilterArguments(
            [f"{'+id' if many else 'id'} IN (SELECT value FROM json_each(zz_search_ids(:zz_search, :zz_words)))"],
            {"zz_search": query, "zz_words": int(words)},
            [f'{"whole words" if words else "text"} matches "{query}"'],
            {"supports_search": True, "search": query},
        )

    return arguments


WORDS_BOX = """
document.querySelectorAll('form input[name="_search"]').forEach(function (box) {
  var label = document.createElement('label');
  label.className = 'zz-words';
  label.title = 'zzcorpus search --words';
  var tick = document.createElement('input');
  tick.type = 'checkbox'; tick.name = '%s'; tick.value = '1'; tick.checked = %s;
  label.appendChild(tick);
  label.appendChild(document.createTextNode(' 整词 whole words'));
  box.parentNode.appendChild(label);
});
// After a search, an article's page opens with the hits marked (?_hl=).
var zzSearch = new URLSearchParams(location.search).get('_search');
if (zzSearch) {
  document.querySelectorAll('table.rows-and-columns td.col-id a, table.rows-and-columns td.type-pk a').forEach(function (a) {
    a.href += (a.href.indexOf('?') < 0 ? '?' : '&') + '_hl=' + encodeURIComponent(zzSearch);
  });
}
"""


@hookimpl
def extra_body_script(template, database, table, columns, view_name, request, datasette):
    """The whole-words option next to the search box of article lists."""
    if view_name == "table" and table in ARTICLE_VIEWS and corpus(datasette, database) is not None:
        return WORDS_BOX % (WORDS_ARG, "true" if request and request.args.get(WORDS_ARG) else "false")
    return None


# --- display ----------------------------------------------------------------------------------


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if not isinstance(value, (str, int, float)):
        return None
    info = corpus(datasette, database)  # once a cell: it checks the file's state each time
    if info is None:
        return None
    args = links.REQUEST_ARGS.get()
    if table is None and column == "snippet" and isinstance(value, str):
        return Markup(MARKED_RE.sub(r"<mark>\1</mark>", str(escape(value))))
    if table is None and column == "keyword":
        return Markup(f"<mark>{escape(value)}</mark>")
    if table in ARTICLE_VIEWS and column == "near_duplicate_of" and isinstance(value, int):
        # A reprint: its first printing, and the whole cluster (the reprints canned query).
        article = datasette.urls.row(database, "articles", value)
        cluster = f"{datasette.urls.query(database, 'reprints')}?article_id={value}"
        return Markup(f'<a href="{escape(article)}">{value}</a> · <a href="{escape(cluster)}">转载 reprints</a>')
    if table is None and column in ("article_id", "cluster") and isinstance(value, int):
        url = links.article_url(datasette, database, value, args.get("q") or "")
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    if table is None and isinstance(value, float):  # report pages: read rounded, JSON and CSV keep every digit
        return format_number(value)
    if table is None and column in WORD_COLUMNS and isinstance(value, str) and value:
        return Markup(links.word_links_html(datasette, database, value, links.page_filters(args)))
    saved = (info.get("reports") or {}).get(table) if table else None
    if saved is not None:
        return _saved_cell(datasette, database, saved, column, value)
    if table == "saved_reports" and column in ("name", "rows") and isinstance(row["name"], str):
        # the name is the row's key (Datasette links it to this row): the rows link to the table itself
        label = f"{value:,} 行 rows" if column == "rows" and isinstance(value, int) else str(value)
        return Markup(f'<a href="{escape(datasette.urls.table(database, row["name"]))}">{escape(label)}</a>')
    if table in ARTICLE_VIEWS and column == "bylines" and isinstance(value, str):
        return _byline_links(datasette, database, table, value)
    if table in ARTICLE_VIEWS and column in HIGHLIGHTED and isinstance(value, str):
        highlight = args.get(links.HIGHLIGHT_ARG) or args.get("_search")
        if highlight and links.HIGHLIGHT_ARG in args:  # an article's page: every hit marked, paragraphs kept
            return Markup(f'<div class="zz-text">{search.mark_all(value, highlight)}</div>')
        if highlight and column == "body":  # a list after a search: the body around the first hit
            mark = ("<mark>", "</mark>")
            return Markup(f'<div class="zz-snippet">{search.snippet(value, highlight, width=90, mark=mark)}</div>')
        if highlight and column == "title":
            return Markup(search.mark_all(value, highlight))
    if table in ARTICLE_VIEWS + ("documents",) and column in TEXT_COLUMNS and isinstance(value, str):
        # clamped to a few lines in lists, whole paragraphs on the article's page (see zzcorpus.css)
        return Markup(f'<div class="zz-text">{escape(value)}</div>')
    return None


def _saved_cell(datasette, database, saved: dict, column: str, value):
    """A saved report's cell: numbers rounded for reading (the table keeps every digit), words
    linked to their concordance and articles under the filters the report was made with."""
    if isinstance(value, float):
        return format_number(value)
    if not isinstance(value, str) or not value:
        return None
    if column in WORD_COLUMNS or (column in EDGE_COLUMNS and saved.get("command") == "network"):
        try:
            params = json.loads(saved.get("params") or "{}")
        except ValueError:
            params = {}
        one = lambda v: v[0] if isinstance(v, list) and len(v) == 1 else v if isinstance(v, str) else ""  # noqa: E731
        f = links.page_filters({"source": one(params.get("source")), "from": params.get("from") or "",
                                "to": params.get("to") or "", "byline": one(params.get("byline"))})
        return Markup(links.word_links_html(datasette, database, value, f))
    return None


def _byline_links(datasette, database, table, value):
    """Each reporter's name, linked to the list of their articles."""
    try:
        names = [n for n in json.loads(value) if isinstance(n, str)]
    except ValueError:
        return None
    base = datasette.urls.table(database, table)
    return Markup("、".join(
        f'<a href="{escape(base)}?{escape(urlencode({"bylines__arraycontains": n}))}">{escape(n)}</a>' for n in names))


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    """An article's page: its headline, paper, date, page and reporters above the fields, links
    to the page dump it was cut from and to the articles before and after it on that page."""
    if view_name != "row" or table != "articles" or not database or corpus(datasette, database) is None:
        return {}

    async def article():
        try:
            art_id = int(tilde_decode(request.url_vars["pks"]))
        except (KeyError, ValueError):
            return {}
        db = datasette.get_database(database)
        found = (await db.execute(
            "SELECT id, document_id, seq, kicker, title, subtitle, byline, bylines, source, date, page, kind "
            "FROM articles WHERE id = ?", [art_id])).first()
        if found is None:
            return {}
        art = dict(found)
        highlight = request.args.get(links.HIGHLIGHT_ARG) or ""

        async def neighbour(op, order):
            got = (await db.execute(f"SELECT id, title FROM articles WHERE document_id = ? AND seq {op} ? "
                                    f"ORDER BY seq {order} LIMIT 1", [art["document_id"], art["seq"]])).first()
            return {"url": links.article_url(datasette, database, got["id"], highlight), "title": got["title"]} if got else None

        try:
            names = [n for n in json.loads(art["bylines"] or "[]") if isinstance(n, str)]
        except ValueError:
            names = []
        base = datasette.urls.table(database, "articles")
        return {"zz_article": {
            **art, "highlight": highlight,
            "title_html": Markup(search.mark_all(art["title"] or "", highlight)) if highlight else art["title"],
            "document_url": datasette.urls.row(database, "documents", str(art["document_id"])),
            "previous": await neighbour("<", "DESC"), "next": await neighbour(">", "ASC"),
            "reporters": [(n, f"{base}?{urlencode({'bylines__arraycontains': n})}") for n in names],
            "plain_url": datasette.urls.row(database, "articles", str(art_id)) if highlight else None,
        }}

    return article


@hookimpl
def extra_css_urls(template, database, table, columns, view_name, request, datasette):
    if database and corpus(datasette, database) is not None:
        return ["/-/zzcorpus/zzcorpus.css"]
    return []


@hookimpl
def prepare_jinja2_environment(env, datasette):
    from jinja2 import ChoiceLoader, FileSystemLoader

    # Datasette only finds templates of plugin packages; ours is a module of the zzcorpus package.
    # Our row.html (extending Datasette's) must come before Datasette's own templates but after
    # a user's --template-dir and other plugins: into the search path, just before the defaults.
    ours = str(HERE / "templates")
    first = env.loader.loaders[0] if isinstance(env.loader, ChoiceLoader) and env.loader.loaders else None
    if isinstance(first, FileSystemLoader) and first.searchpath:
        first.searchpath.insert(len(first.searchpath) - 1, ours)
    else:
        env.loader = ChoiceLoader([env.loader, FileSystemLoader(ours)])


@hookimpl
def database_actions(datasette, actor, database, request):
    if corpus(datasette, database) is not None:
        return [{"href": charts_url(datasette, database), "label": CHARTS_LABEL}]


@hookimpl
def table_actions(datasette, actor, database, table, request):
    if table in ARTICLE_VIEWS and corpus(datasette, database) is not None:
        return [{"href": charts_url(datasette, database), "label": CHARTS_LABEL}]


@hookimpl
def register_routes(datasette):
    return [
        (r"^/(?P<database>[^/]+)/-/charts(\.(?P<format>svg|png))?$", charts_page),
        (r"^/(?P<database>[^/]+)/-/kwic(\.(?P<format>csv|json))?$", kwic_page),
        (r"^/(?P<database>[^/]+)/-/search$", search_page),
        (r"^/(?P<database>[^/]+)/-/cooc(\.(?P<format>svg|png))?$", cooc_page),
        (r"^/(?P<database>[^/]+)/-/dispersion(\.(?P<format>svg|png))?$", dispersion_page),
        (r"^/-/zzcorpus/zzcorpus\.css$", stylesheet),
    ]


@hookimpl
def asgi_wrapper(datasette):
    """Article lists skip Datasette's suggested facets: probing every column of ~20 text columns
    costs dozens of queries per page (about 80% of a search page on a 20 MB corpus), and the
    facets that matter (source, kind, page, date) are configured anyway. The root page with one
    corpus open goes to that corpus. And each request's arguments are kept for render_cell
    (links.REQUEST_ARGS), which Datasette 0.65 calls without the request."""

    def wrap(app):
        async def add_nosuggest(scope, receive, send):
            if scope.get("type") == "http":
                if scope.get("path") == "/" and (only := _only_corpus(datasette)):
                    return await _redirect(send, datasette.urls.database(only))
                links.REQUEST_ARGS.set(links.args_of(scope.get("query_string", b"")))
            if scope.get("type") == "http" and b"_nosuggest" not in scope.get("query_string", b""):
                parts = scope.get("path", "").strip("/").split("/")
                if len(parts) == 2 and parts[1].split(".")[0] in ARTICLE_VIEWS and corpus(datasette, parts[0]):
                    query = scope.get("query_string", b"")
                    scope = {**scope, "query_string": query + (b"&" if query else b"") + b"_nosuggest=1"}
            await app(scope, receive, send)

        return add_nosuggest

    return wrap


def _only_corpus(datasette) -> str | None:
    """The name of the one database served when it is a corpus (Datasette's own _internal and
    in-memory databases do not count)."""
    names = [n for n, db in datasette.databases.items() if not db.is_memory and n != "_internal"]
    return names[0] if len(names) == 1 and corpus(datasette, names[0]) is not None else None


async def _redirect(send, location: str) -> None:
    await send({"type": "http.response.start", "status": 302,
                "headers": [(b"location", location.encode("utf-8")), (b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b""})
