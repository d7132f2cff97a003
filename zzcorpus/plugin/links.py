"""The links between the plugin's pages: a word to its concordance and to its articles, an
article to its page with the hits of the query it came from highlighted, keeping the filters
(paper, dates, byline) of the page the link is on.

The filters of a page travel as the CLI's options: source, from, to (YYYY, YYYY-MM or
YYYY-MM-DD, --to including the whole period), byline; the canned queries' `date` (a prefix)
is read as from = to = date.
"""

from __future__ import annotations

from contextvars import ContextVar
from urllib.parse import parse_qsl, urlencode

from ..filters import date_bound

# The query string of the request being answered, set by hooks.asgi_wrapper: Datasette 0.65 gives
# render_cell no request, and a word's links keep the filters of the page it is shown on.
REQUEST_ARGS: ContextVar[dict] = ContextVar("zzcorpus_request_args", default={})
HIGHLIGHT_ARG = "_hl"  # ?_hl=锂电 on an article's page: its hits marked


def args_of(query_string: bytes | str) -> dict:
    if isinstance(query_string, bytes):
        query_string = query_string.decode("utf-8", "replace")
    return dict(parse_qsl(query_string, keep_blank_values=True))


def page_filters(args: dict) -> dict:
    """{source, from, to, byline} of a page's query arguments (empty ones left out)."""
    date = (args.get("date") or "").strip()
    found = {"source": args.get("source") or "", "from": args.get("from") or date, "to": args.get("to") or date,
             "byline": args.get("byline") or ""}
    return {k: v.strip() for k, v in found.items() if v and v.strip()}


def qs(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


def kwic_url(datasette, database: str, word: str, filters: dict, *, words: bool = True, **extra) -> str:
    """The concordance of a word (whole words: the lines the word lists count)."""
    return f"{datasette.urls.database(database)}/-/kwic?" + qs(q=word, words="1" if words else "", **filters, **extra)


def articles_url(datasette, database: str, word: str, filters: dict, *, words: bool = True) -> str:
    """The articles reports count (report_articles) holding the word, through the search box."""
    params = {"_search": word, "_words": "1" if words else "", "source": filters.get("source"),
              "bylines__arraycontains": filters.get("byline")}
    try:  # a malformed date in a page's filters: the link drops it rather than fail
        if filters.get("from"):
            params["date__gte"] = date_bound(filters["from"], end=False)
        if filters.get("to"):
            params["date__lte"] = date_bound(filters["to"], end=True)
    except ValueError:
        pass
    return f"{datasette.urls.table(database, 'report_articles')}?" + qs(**params)


def article_url(datasette, database: str, article_id: int, highlight: str = "") -> str:
    url = datasette.urls.row(database, "articles", str(article_id))
    return url + ("?" + qs(**{HIGHLIGHT_ARG: highlight}) if highlight else "")


def word_links_html(datasette, database: str, word: str, filters: dict) -> str:
    """The word as a link to its concordance, and a small link to its articles (HTML)."""
    from markupsafe import escape

    return (f'<a class="zz-word" href="{escape(kwic_url(datasette, database, word, filters))}" '
            f'title="语境 concordance">{escape(word)}</a> <a class="zz-arts" '
            f'href="{escape(articles_url(datasette, database, word, filters))}" title="文章 articles">篇</a>')
