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
from markupsafe import Markup, escape

from .metadata import all_metadata, charts_url, corpus, is_corpus
from .pages import charts_page, stylesheet
from .queries import register

HERE = Path(__file__).resolve().parent.parent
MARKED_RE = re.compile("【([^【】]+)】")
TEXT_COLUMNS = {"body", "raw", "title_seg", "body_seg"}
ARTICLE_VIEWS = ("articles", "report_articles")
CHARTS_LABEL = "图表：高频词与词语趋势 Charts"


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so ours wins on corpus databases
def prepare_connection(conn, database, datasette):
    if is_corpus(conn):
        register(conn)


@hookimpl
def get_metadata(datasette, key, database, table):
    return all_metadata(datasette)


# --- the search box of article lists ----------------------------------------------------------

WORDS_ARG = "_words"  # ?_words=1: whole words only (zzcorpus search --words)


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
    return FilterArguments(
        ["id IN (SELECT value FROM json_each(zz_search_ids(:zz_search, :zz_words)))"],
        {"zz_search": query, "zz_words": int(words)},
        [f'{"whole words" if words else "text"} matches "{query}"'],
        {"supports_search": True, "search": query},
    )


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
    if not isinstance(value, (str, int)) or corpus(datasette, database) is None:
        return None
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
        return Markup(f'<a href="{escape(datasette.urls.row(database, "articles", value))}">{value}</a>')
    if table in ARTICLE_VIEWS and column == "bylines" and isinstance(value, str):
        return _byline_links(datasette, database, table, value)
    if table in ARTICLE_VIEWS + ("documents",) and column in TEXT_COLUMNS and isinstance(value, str):
        # clamped to a few lines in lists, whole paragraphs on the article's page (see zzcorpus.css)
        return Markup(f'<div class="zz-text">{escape(value)}</div>')
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
