"""The Datasette hooks of zzcorpus (the plugin's entry point): corpus databases get their
SQL functions, metadata, cell rendering, stylesheet, chart page and links; other databases are
left as Datasette makes them."""

from __future__ import annotations

import re
from pathlib import Path

from datasette import hookimpl
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
