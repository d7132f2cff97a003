"""The Datasette plugin through datasette.client: metadata, the substring search box, canned
queries, the chart page, other database names, immutable mode. Truth is computed in Python
from the database file itself."""

import asyncio
import json
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from urllib.parse import quote

import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import SEED_PAGES, ingest
from datasette.app import Datasette

from zzcorpus import search
from zzcorpus.charts import format_number
from zzcorpus.cli import cli
from zzcorpus.plugin.queries import NO_MATCH, match_expression
from zzcorpus.schema import PRINTED_FIELDS, TABLES
from zzcorpus.segment import is_word

# The seed pages carry no dates or paper names: give them some, so facets and trends have data.
PAGE_META = [("2023-11-20", "枣庄日报"), ("2024-01-15", "枣庄日报"), ("2024-03-19", "大众日报"),
             ("2024-03-20", "枣庄日报"), ("2024-06-02", "滕州日报")]
HOSTILE = ['"新质', "NEAR(", "NEAR(锂电", "*", "()", "AND", "OR", "NOT", '"', "'", '""', "", " ", "-", "-锂电",
           "锂电 OR", "^", "\\", "title:锂电", "'; DROP TABLE articles; --", '锂电" OR "1"="1', "%", "_", "¶",
           "\ue000", "\ue001", "a" * 300]
SVG_RE = re.compile(r"<svg .*?</svg>", re.DOTALL)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("datasette") / "corpus.db"
    for page, (date, source) in zip(SEED_PAGES, PAGE_META):
        result = ingest(page, "--date", date, "--source", source, db=path)
        assert result.exit_code == 0, result.output + result.stderr
    return path


@pytest.fixture(scope="module")
def ds(corpus_db):
    return Datasette([str(corpus_db)])


def get(ds, path, **params):
    async def fetch():
        return await ds.client.get(path, params=params or None)

    return asyncio.run(fetch())


def rows(ds, path, **params):
    response = get(ds, path, _shape="array", **params)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def articles(path, where="1"):
    """id -> article row (every printed field, one a line, as `text`) of the database file."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    found = {r["id"]: dict(r, text="\n".join(r[f] or "" for f in PRINTED_FIELDS))
             for r in conn.execute(f"SELECT * FROM articles WHERE {where}")}
    conn.close()
    return found


REPORT = "kind != 'furniture' AND duplicate_of IS NULL"


def stopwords(path):
    value = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'stopwords'").fetchone()[0]
    return {w.strip() for w in value.splitlines() if w.strip()}


def word_sets(path, where=REPORT):
    """word -> {article id: count} over the words of title_seg + body_seg, as ingest counts them."""
    found = defaultdict(dict)
    for art_id, art in articles(path, where).items():
        for word, n in Counter(w for seg in (art["title_seg"], art["body_seg"]) for w in (seg or "").split()
                               if is_word(w)).items():
            found[word][art_id] = n
    return found


def svgs(html):
    return [ET.fromstring(svg) for svg in SVG_RE.findall(html)]


def texts(svg):
    return [t.text for t in svg.iter(f"{SVG}text")]


# --- plugin, metadata ------------------------------------------------------------------------

def test_plugin_is_loaded_from_its_entry_point(ds):
    plugins = {p["name"]: p for p in rows(ds, "/-/plugins.json")}
    assert {"get_metadata", "prepare_connection", "render_cell", "register_routes",
            "database_actions"} <= set(plugins["zzcorpus"]["hooks"])


def test_metadata_describes_the_corpus(ds, corpus_db):
    meta = get(ds, "/-/metadata.json").json()["databases"]["corpus"]
    n_articles = len(articles(corpus_db))
    n_report = len(articles(corpus_db, REPORT))
    assert "corpus" in meta["title"]
    html = meta["description_html"]
    assert f"{n_articles:,} 篇文章" in html and f"{n_report:,} in reports" in html
    assert "2023-11-20 – 2024-06-02" in html
    assert all(source in html for _, source in PAGE_META)
    assert "rjieba" in html
    for table in ("articles", "report_articles"):
        spec = meta["tables"][table]
        assert "fts_table" not in spec  # the search box runs zzcorpus search (hooks.filters_from_request)
        assert spec["label_column"] == "title"
        assert [{"values": c} for c in ("source", "kind", "page", "date")] == spec["facets"][:4]
        assert {"names": "bylines"} in spec["facets"]
        assert spec["sort_desc"] == "date"
    columns = meta["tables"]["articles"]["columns"]
    assert set(columns) == set(TABLES["articles"]["columns"])
    assert "正文" in columns["body"] and "body text" in columns["body"]
    assert set(meta["queries"]) == {"search", "kwic", "freq", "cooc", "trend", "reprints"}
    assert all(re.search(r"[\u4e00-\u9fff]", q["title"]) for q in meta["queries"].values())


def test_internal_tables_are_hidden(ds):
    hidden = {t["name"]: t["hidden"] for t in get(ds, "/corpus.json").json()["tables"]}
    for name in ("meta", "article_index", "postings", "groups", "period_counts", "articles_chars_fts",
                 "articles_chars_fts_data"):
        assert hidden[name], name
    for name in ("articles", "documents", "lexicon", "saved_reports"):
        assert not hidden[name], name


def test_database_and_table_pages_link_to_charts(ds):
    for path in ("/corpus", "/corpus/articles"):
        page = get(ds, path)
        assert page.status_code == 200
        assert 'href="/corpus/-/charts"' in page.text, path
    assert "/-/zzcorpus/zzcorpus.css" in get(ds, "/corpus").text


# --- the search box --------------------------------------------------------------------------

@pytest.mark.parametrize("term", ["锂电", "新质生产力", "枣庄", "2024", "cb", "的"])
def test_search_box_finds_every_article_containing_the_text(ds, corpus_db, term):
    found = rows(ds, "/corpus/articles.json", _search=term, _size="max", _col="title")
    truth = {i for i, a in articles(corpus_db).items() if term in a["text"].lower()}
    assert truth, term  # the seed pages hold every term
    assert {r["id"] for r in found} == truth
    in_view = rows(ds, "/corpus/report_articles.json", _search=term, _size="max", _col="id")
    assert {r["id"] for r in in_view} == truth & set(articles(corpus_db, REPORT))


def test_article_lists_skip_suggested_facets_but_keep_configured_ones(ds):
    data = get(ds, "/corpus/articles.json", _search="锂电", _extra="suggested_facets,facet_results").json()
    assert data["suggested_facets"] == []
    assert {"source", "kind", "page", "date"} <= set(data["facet_results"])
    other = get(ds, "/corpus/documents.json", _extra="suggested_facets").json()
    assert other["suggested_facets"]  # other tables are left as Datasette makes them


def test_hostile_queries_never_fail(ds, corpus_db):
    before = len(articles(corpus_db))
    for q in HOSTILE:
        for path, params in [("/corpus/articles.json", {"_search": q}), ("/corpus/report_articles.json", {"_search": q}),
                             ("/corpus/search.json", {"q": q}), ("/corpus/kwic.json", {"q": q}),
                             ("/corpus/trend.json", {"q": q}), ("/corpus/cooc.json", {"word": q}),
                             ("/corpus/freq.json", {"source": q, "date": q}), ("/corpus/-/charts", {"q": q}),
                             ("/corpus/-/kwic", {"q": q, "sort": q, "width": q, "page": q}),
                             ("/corpus/-/kwic.csv", {"q": q, "source": q}), ("/corpus/-/search", {"q": q, "from": q}),
                             ("/corpus/-/cooc", {"word": q, "window": q, "measure": q}),
                             ("/corpus/-/dispersion", {"q": q, "to": q}), ("/corpus/articles/1", {"_hl": q})]:
            response = get(ds, path, **params)
            # a CSV of lines answers a query that means nothing with a one-line 400, never a 500
            assert response.status_code == 200 or (path.endswith(".csv") and response.status_code == 400), (
                path, q, response.text[:300])
    assert len(articles(corpus_db)) == before
    # an unclosed quote searches the text after it; a query of operators only finds nothing
    found = rows(ds, "/corpus/articles.json", _search='"新质', _size="max", _col="title")
    assert {r["id"] for r in found} == {i for i, a in articles(corpus_db).items() if "新质" in a["text"]}
    for q in ("*", "()", "AND", "NEAR(", '"', ""):
        assert rows(ds, "/corpus/articles.json", _search=q, _col="title") == [], q


def test_sql_functions():
    assert match_expression("") == match_expression("AND") == match_expression("*") == NO_MATCH
    assert match_expression("锂电") == search.fts_query("锂电")


# Queries drawn from every printed field: a reporter, a kicker, a subtitle, a dateline, body
# phrases with and without punctuation, Latin letters in any case, a phrase as printed on the page.
EVERY_FIELD = ["张环泽", "孟令洋", "黄金季拼成丰收季", "提前介入", "社会联动治理体系", "融e通", "本报讯", "山亭讯",
               "锂电", "新质生产力", "“锂", "新能源、", "锂电 -储能、", "gmp", "CB", '"枣庄 50个"', "枣庄 OR 滕州"]


def cli_search_ids(corpus_db, *args):
    result = CliRunner().invoke(cli, ["search", *args, "--db", str(corpus_db), "--json", "--limit", "0"])
    assert result.exit_code == 0, result.output
    return {r["article_id"] for r in json.loads(result.stdout)}


@pytest.mark.parametrize("q", EVERY_FIELD)
def test_search_box_and_full_text_search_give_the_cli_hits(ds, corpus_db, q):
    parsed = search.parse_query(q)
    corpus = articles(corpus_db)
    truth = {i for i, a in corpus.items() if all(any(t.lower() in a["text"].lower() for t in g) for g in parsed.groups)
             and not any(t.lower() in a["text"].lower() for t in parsed.excluded)}
    assert truth, q
    kept = set(articles(corpus_db, "duplicate_of IS NULL"))
    assert cli_search_ids(corpus_db, q) == truth & kept
    box = rows(ds, "/corpus/articles.json", _search=q, _size="max", _col="title")
    assert {r["id"] for r in box} == truth
    view = rows(ds, "/corpus/report_articles.json", _search=q, _size="max", _col="id")
    assert {r["id"] for r in view} == truth & set(articles(corpus_db, REPORT))
    canned = rows(ds, "/corpus/search.json", q=q)
    assert {r["article_id"] for r in canned} == truth & kept


@pytest.mark.parametrize("q, many", [("的", True), ("锂电", False)])
def test_search_box_rows_count_and_facets_with_many_hits_and_few(ds, corpus_db, q, many):
    """Many hits are read through the indexes, few by id: the same rows, count and facets."""
    corpus = articles(corpus_db)
    truth = {i: a for i, a in corpus.items() if q in a["text"]}
    assert (len(truth) * 5 > len(corpus)) == many  # which way the page reads them
    data = get(ds, "/corpus/articles.json", _search=q, _size="max", _shape="objects").json()
    assert {r["id"] for r in data["rows"]} == set(truth) and data["filtered_table_rows_count"] == len(truth)
    dates = [r["date"] for r in data["rows"]]
    assert dates == sorted(dates, reverse=True)  # the table's own order: newest first
    facets = data["facet_results"]
    for column in ("source", "kind", "page", "date", "script"):
        assert {v["value"]: v["count"] for v in facets[column]["results"]} == \
            Counter(a[column] for a in truth.values() if a[column] is not None), column
    names = Counter(n for a in truth.values() for n in set(json.loads(a["bylines"] or "[]")))
    reporters = facets["bylines"]["results"]
    assert len(reporters) == min(30, len(names)) and all(names[v["value"]] == v["count"] for v in reporters)


@pytest.mark.parametrize("table, params", [("articles", {"_search": "的", "kind": "news"}),
                                           ("report_articles", {"source": "枣庄日报"}), ("articles", {})])
def test_facets_show_what_datasettes_column_facet_shows(ds, table, params):
    """The facets counted in memory give what Datasette's own column facet (?_facet=) gives: the
    same values, labels, counts, order, links and selection, under a search and a chosen value."""
    for column in ("source", "kind", "page", "date", "script"):
        facets = get(ds, f"/corpus/{table}.json", _facet=column, _facet_size="max", _extra="facet_results",
                     **params).json()["facet_results"]
        ours, datasettes = sorted((f for f in facets.values() if f["name"] == column), key=lambda f: f["hideable"])
        assert not ours["hideable"] and datasettes["hideable"]  # from the metadata, and from the request
        assert ours["results"] == datasettes["results"] and ours["truncated"] == datasettes["truncated"], column
        assert bool(ours["results"]) == (column != "page") and ours["type"] == "column"  # seeds: no page numbers
        assert any(v["selected"] for v in ours["results"]) == (column in params)


def test_facets_that_run_out_of_time_are_named_and_the_page_still_shows(corpus_db):
    """Reading the listed rows' ids under the facet time limit: a filter slower than the limit
    (a subquery counting to 300,000) times every facet out, and the rows still come."""
    slow = Datasette([str(corpus_db)], settings={"facet_time_limit_ms": 1, "sql_time_limit_ms": 20000})
    where = ("id > (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
             "SELECT count(*) - 299999 FROM c)")  # id > 1: not every row, so the ids are read
    data = get(slow, "/corpus/articles.json", _where=where, _extra="facet_results").json()
    assert len(data["rows"]) > 0 and data["facet_results"] == {}
    page = get(slow, "/corpus/articles", _where=where)  # the timed-out facets are named on the page only
    named = re.search(r"These facets timed out: ([^<]*)</p>", page.text).group(1)
    assert page.status_code == 200 and set(named.split(", ")) == {"source", "kind", "page", "date", "script", "bylines"}


def test_search_box_sees_new_articles(tmp_path):
    """The search box remembers a search only while the file is unchanged."""
    path = tmp_path / "corpus.db"
    assert ingest(SEED_PAGES[0], db=path).exit_code == 0
    ds = Datasette([str(path)])
    before = rows(ds, "/corpus/articles.json", _search="锂电", _size="max", _col="id")
    kinds = lambda: get(ds, "/corpus/articles.json", _search="锂电", _extra="facet_results").json()["facet_results"]["kind"]  # noqa: E731
    assert sum(v["count"] for v in kinds()["results"]) == len(before)
    assert ingest(*SEED_PAGES[1:], db=path).exit_code == 0
    after = rows(ds, "/corpus/articles.json", _search="锂电", _size="max", _col="id")
    truth = {i for i, a in articles(path).items() if "锂电" in a["text"]}
    assert {r["id"] for r in after} == truth and len(after) > len(before)
    assert sum(v["count"] for v in kinds()["results"]) == len(truth)  # the facets too


@pytest.mark.parametrize("q", ["电力", "生产", "重点项目集中开工"])
def test_whole_words_in_the_browser_as_in_the_cli(ds, corpus_db, q):
    expected = cli_search_ids(corpus_db, "--words", q)
    assert expected, q
    assert q != "生产" or expected != cli_search_ids(corpus_db, q)  # 生产 inside 生产力 is no word
    assert {r["id"] for r in rows(ds, "/corpus/articles.json", _search=q, _words="1", _size="max", _col="id")} == expected
    assert {r["article_id"] for r in rows(ds, "/corpus/search.json", q=q, words="1")} == expected
    page = get(ds, "/corpus/articles", _search=q, _words="1")
    assert page.status_code == 200 and "whole words" in page.text and "checked = true" in page.text


def test_bylines_facet_filter_and_article_page(ds, corpus_db):
    his = {i for i, a in articles(corpus_db).items() if "张环泽" in json.loads(a["bylines"])}
    assert len(his) == 12
    data = get(ds, "/corpus/articles.json", _extra="facet_results").json()
    facet = {v["value"]: v["count"] for v in data["facet_results"]["bylines"]["results"]}
    assert facet["张环泽"] == 12
    found = rows(ds, "/corpus/articles.json", bylines__arraycontains="张环泽", _size="max", _col="title")
    assert {r["id"] for r in found} == his == {r["article_id"] for r in rows(ds, "/corpus/search.json", byline="张环泽")}
    chosen = get(ds, "/corpus/articles.json", bylines__arraycontains="张环泽", _extra="facet_results").json()
    values = chosen["facet_results"]["bylines"]["results"]
    assert [(v["value"], v["count"]) for v in values if v["selected"]] == [("张环泽", 12)]
    assert all(v["count"] <= 12 for v in values)  # the others: his co-authors, within his articles
    assert "arraycontains" not in [v for v in values if v["selected"]][0]["toggle_url"]  # the link drops the filter
    page = get(ds, f"/corpus/articles/{min(his)}")
    assert '?bylines__arraycontains=%E5%BC%A0%E7%8E%AF%E6%B3%BD">张环泽</a>' in page.text


def test_names_facet_passes_over_a_bad_value_and_other_tables_get_datasettes_facets(corpus_db, tmp_path):
    """A hand-edited bylines value that is not JSON leaves the other articles' names counted
    (Datasette's array facet SQL stops the page at it); another table (here with text ids)
    gets Datasette's own array and column facet SQL."""
    path = tmp_path / "edited.db"
    shutil.copy(corpus_db, path)
    conn = sqlite3.connect(path)
    his = [i for (i,) in conn.execute("SELECT id FROM articles WHERE bylines LIKE '%张环泽%' ORDER BY id")]
    conn.execute("UPDATE articles SET bylines = '张环泽' WHERE id = ?", [his[0]])
    conn.execute("CREATE TABLE tagged (id TEXT, name TEXT, tags TEXT)")  # an id that is no integer key
    conn.executemany("INSERT INTO tagged VALUES (?, ?, ?)",
                     [("t1", "a", '["x", "y"]'), ("t2", "b", '["x"]'), ("t3", "c", '[]')])
    conn.commit()
    conn.close()
    edited = Datasette([str(path)])
    facet = get(edited, "/edited/articles.json", _extra="facet_results").json()["facet_results"]["bylines"]
    assert {v["value"]: v["count"] for v in facet["results"]}["张环泽"] == len(his) - 1
    other = get(edited, "/edited/tagged.json", _facet_names="tags", _extra="facet_results").json()
    assert [(v["value"], v["count"]) for v in other["facet_results"]["tags"]["results"]] == [("x", 2), ("y", 1)]
    names = get(edited, "/edited/tagged.json", _facet_values="name", _extra="facet_results").json()
    assert [(v["value"], v["count"]) for v in names["facet_results"]["name"]["results"]] == [("a", 1), ("b", 1), ("c", 1)]


# --- canned queries --------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["新质生产力", "锂电", "枣庄 项目"])
def test_search_query_ranks_as_the_cli_does(ds, corpus_db, q):
    found = rows(ds, "/corpus/search.json", q=q)
    expected = search.search(sqlite_utils.Database(corpus_db), q, limit=200)
    assert [r["article_id"] for r in found] == [r["article_id"] for r in expected]
    assert found, q
    corpus = articles(corpus_db)
    for row in found:
        body = corpus[row["article_id"]]["body"] or ""
        assert row["title"] == corpus[row["article_id"]]["title"]
        marked = re.findall(r"【([^【】]+)】", row["snippet"])
        if any(term in body for term in q.split()):  # the snippet shows the body around a hit
            assert marked and set(marked) <= set(q.split()), row["snippet"]


def test_search_query_page_highlights_hits_and_links_articles(ds, corpus_db):
    page = get(ds, "/corpus/search", q="新质生产力")
    assert page.status_code == 200
    assert "<mark>新质生产力</mark>" in page.text
    first = rows(ds, "/corpus/search.json", q="新质生产力")[0]["article_id"]
    # the article opens with the hits of this search marked
    assert f'href="/corpus/articles/{first}?_hl=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B"' in page.text


@pytest.mark.parametrize("q", ["锂电", "新质生产力", "CB"])
def test_kwic_query_has_one_row_per_occurrence(ds, corpus_db, q):
    found = rows(ds, "/corpus/kwic.json", q=q)
    cli_rows = search.kwic(sqlite_utils.Database(corpus_db), q, width=20)
    paragraph = lambda s: s.replace("\n", " ¶ ")  # noqa: E731
    assert [(r["article_id"], r["left_context"], r["keyword"], r["right_context"]) for r in found] == [
        (r["article_id"], paragraph(r["left"]), r["match"], paragraph(r["right"])) for r in cli_rows]
    kept = articles(corpus_db, "duplicate_of IS NULL").values()
    assert len(found) == sum(a["text"].lower().count(q.lower()) for a in kept) > 0  # in every printed field
    assert all(r["keyword"].lower() == q.lower() for r in found)


def test_kwic_page_marks_the_keyword(ds):
    page = get(ds, "/corpus/kwic", q="锂电")
    assert page.status_code == 200 and "<mark>锂电</mark>" in page.text


def cli_rows(corpus_db, *args):
    result = CliRunner().invoke(cli, [*args, "--db", str(corpus_db), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def same_rows(page, cli):
    """Page rows (through SQLite's JSON) equal the CLI's, floats to the last digits."""
    assert len(page) == len(cli)
    for p, c in zip(page, cli):
        assert p == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in c.items()}


@pytest.mark.parametrize("source,date", [("", ""), ("枣庄日报", ""), ("", "2024-03"), ("枣庄日报", "2024")])
def test_freq_query_gives_the_rows_of_zzcorpus_freq(ds, corpus_db, source, date):
    found = rows(ds, "/corpus/freq.json", source=source, date=date)
    options = (["--source", source] if source else []) + (["--from", date, "--to", date] if date else [])
    same_rows(found, cli_rows(corpus_db, "freq", "--top", "100", *options))
    # and those are the most frequent words of those articles, stopwords left out
    where = REPORT + (f" AND source = '{source}'" if source else "") + (f" AND date LIKE '{date}%'" if date else "")
    words = {w: arts for w, arts in word_sets(corpus_db, where).items() if w not in stopwords(corpus_db)}
    counts = {w: sum(arts.values()) for w, arts in words.items()}
    assert len(found) == min(100, len(counts))
    for r in found:
        assert r["count"] == counts[r["word"]] and r["doc_count"] == len(words[r["word"]])


@pytest.mark.parametrize("word,window", [("锂电", ""), ("发展", ""), ("项目", "sentence"), ("项目", "3")])
def test_cooc_query_gives_the_rows_of_zzcorpus_cooc(ds, corpus_db, word, window):
    found = rows(ds, "/corpus/cooc.json", word=word, window=window)
    expected = cli_rows(corpus_db, "cooc", word, "--window", window or "article", "--top", "100")
    same_rows(found, [{**r, "jaccard": r.get("jaccard")} for r in expected])
    assert found


@pytest.mark.parametrize("period", ["", "year"])
def test_trend_query_gives_the_rows_of_zzcorpus_trend(ds, corpus_db, period):
    found = rows(ds, "/corpus/trend.json", q="锂电", period=period)
    same_rows(found, cli_rows(corpus_db, "trend", "锂电", "--by", period or "month"))
    assert sum(r["count"] for r in found) > 0
    assert rows(ds, "/corpus/trend.json", q="锂电", source="大众日报") == cli_rows(
        corpus_db, "trend", "锂电", "--source", "大众日报")


# --- the chart page --------------------------------------------------------------------------

def test_chart_page_draws_top_words_and_trends(ds, corpus_db):
    page = get(ds, "/corpus/-/charts", q="锂电，新能源")
    assert page.status_code == 200
    trend_svg, words_svg = svgs(page.text)
    # trend: one line per term, every month from the first to the last dated one on the x axis
    assert len(trend_svg.findall(f".//{SVG}path[@class='series']")) == 2
    labels = texts(trend_svg)
    assert {"锂电", "新能源", "2023-11", "2024-06"} <= set(labels)
    trend = {r["period"]: r for r in rows(ds, "/corpus/trend.json", q="锂电") if r["per_million"] is not None}
    tips = [c.find(f"{SVG}title").text for c in trend_svg.findall(f".//{SVG}circle")]
    points = sum(r["per_million"] is not None for t in ("锂电", "新能源") for r in rows(ds, "/corpus/trend.json", q=t))
    assert len(tips) == points  # months without articles have no point
    for period, r in trend.items():
        assert f"锂电 {period}: {format_number(r['per_million'])}" in tips
    assert "per million" in trend_svg.find(f"{SVG}title").text
    # top words: the freq query's first 20
    top = rows(ds, "/corpus/freq.json", source="", date="")[:20]
    assert len(words_svg.findall(f".//{SVG}rect[@class='bar']")) == 20
    assert [t for t in texts(words_svg) if t in {r["word"] for r in top}] == [r["word"] for r in top]


def test_chart_page_options(ds):
    page = get(ds, "/corpus/-/charts", q="锂电", period="year", measure="count", top="5",
               source="枣庄日报", date="2024")
    trend_svg, words_svg = svgs(page.text)
    counts = {r["period"]: r["count"] for r in rows(ds, "/corpus/trend.json", q="锂电", period="year",
                                                     source="枣庄日报")}
    assert set(counts) == {"2023", "2024"}
    tips = {c.find(f"{SVG}title").text for c in trend_svg.findall(f".//{SVG}circle")}
    assert tips == {f"锂电 {p}: {n}" for p, n in counts.items()}
    top = rows(ds, "/corpus/freq.json", source="枣庄日报", date="2024")[:5]
    bars = words_svg.findall(f".//{SVG}rect[@class='bar']")
    assert [b.find(f"{SVG}title").text for b in bars] == [f"{r['word']}: {r['count']}" for r in top]
    # no terms: the three top words; nonsense options fall back to the defaults
    page = get(ds, "/corpus/-/charts", top="many", period="decade", measure="?")
    trend_svg, words_svg = svgs(page.text)
    top = [r["word"] for r in rows(ds, "/corpus/freq.json", source="", date="")]
    assert set(top[:3]) <= set(texts(trend_svg)) and "2023-11" in texts(trend_svg)
    assert len(words_svg.findall(f".//{SVG}rect[@class='bar']")) == 20


# --- pages of single articles ------------------------------------------------------------------

def test_article_page_keeps_paragraphs_and_labels_fields(ds, corpus_db):
    art_id = next(i for i, a in articles(corpus_db).items() if "\n" in (a["body"] or ""))
    page = get(ds, f"/corpus/articles/{art_id}")
    assert page.status_code == 200 and '<div class="zz-text">' in page.text
    css = get(ds, "/-/zzcorpus/zzcorpus.css")
    assert css.headers["content-type"].startswith("text/css")
    # the card labels follow the real column order of the table
    columns = [r[1] for r in sqlite3.connect(corpus_db).execute("PRAGMA table_info(articles)")]
    for i, column in enumerate(columns, 1):
        assert f'table-articles .rows-and-columns td:nth-of-type({i}):before {{ content: "{column}"; }}' in css.text


# --- other databases, names and modes -----------------------------------------------------------

def test_other_databases_keep_datasette_search(corpus_db, tmp_path):
    other = sqlite_utils.Database(tmp_path / "other.db")
    other["docs"].insert_all([{"id": 1, "text": "hello world"}, {"id": 2, "text": "hello"}], pk="id")
    other["docs"].enable_fts(["text"])
    ds = Datasette([str(corpus_db), str(tmp_path / "other.db")])
    assert [r["id"] for r in rows(ds, "/other/docs.json", _search="hello world")] == [1]
    assert "other" not in get(ds, "/-/metadata.json").json()["databases"]
    assert get(ds, "/other/-/charts").status_code == 404
    assert rows(ds, "/corpus/articles.json", _search="锂电", _col="title")


def test_metadata_follows_the_database_name(corpus_db, tmp_path):
    path = tmp_path / "mycorpus.db"
    path.write_bytes(corpus_db.read_bytes())
    ds = Datasette([str(path)])
    meta = get(ds, "/-/metadata.json").json()["databases"]
    assert set(meta) == {"mycorpus"} and meta["mycorpus"]["tables"]["articles"]["label_column"] == "title"
    found = rows(ds, "/mycorpus/articles.json", _search="锂电", _size="max", _col="title")
    assert {r["id"] for r in found} == {i for i, a in articles(path).items() if "锂电" in a["text"]}
    assert rows(ds, "/mycorpus/search.json", q="锂电")
    page = get(ds, "/mycorpus")
    assert 'href="/mycorpus/-/charts"' in page.text and 'href="/mycorpus/search"' in page.text
    assert len(svgs(get(ds, "/mycorpus/-/charts", q="锂电").text)) == 2


def test_immutable_database(corpus_db):
    ds = Datasette(files=[], immutables=[str(corpus_db)])
    assert get(ds, "/-/metadata.json").json()["databases"]["corpus"]["tables"]["articles"]["label_column"] == "title"
    found = rows(ds, "/corpus/articles.json", _search="新质生产力", _size="max", _col="title")
    assert {r["id"] for r in found} == {i for i, a in articles(corpus_db).items() if "新质生产力" in a["text"]}
    assert [r["article_id"] for r in rows(ds, "/corpus/search.json", q="新质生产力")] == [
        r["article_id"] for r in search.search(sqlite_utils.Database(corpus_db), "新质生产力", limit=200)]
    for path, params in [("/corpus/kwic.json", {"q": "锂电"}), ("/corpus/freq.json", {"source": "", "date": ""}),
                         ("/corpus/cooc.json", {"word": "锂电"}), ("/corpus/trend.json", {"q": "锂电"})]:
        assert rows(ds, path, **params), path
    assert len(svgs(get(ds, "/corpus/-/charts", q="锂电").text)) == 2


def test_saved_reports_appear_with_their_parameters(corpus_db, tmp_path):
    path = tmp_path / "corpus.db"
    path.write_bytes(corpus_db.read_bytes())
    ds = Datasette([str(path)])
    assert "top_words" not in get(ds, "/-/metadata.json").json()["databases"]["corpus"]["tables"]
    result = CliRunner().invoke(cli, ["freq", "--top", "5", "--save", "top_words", "--db", str(path)])
    assert result.exit_code == 0, result.output
    # the running Datasette sees the change: metadata is read again when the file changes
    tables = get(ds, "/-/metadata.json").json()["databases"]["corpus"]["tables"]
    description = tables["top_words"]["description"]
    saved = sqlite_utils.Database(path)["saved_reports"].get("top_words")
    assert "zzcorpus freq" in description and f"{saved['rows']} 行 rows" in description
    assert "top=5" in description
    assert len(rows(ds, "/corpus/top_words.json")) == 5
    assert "top=5" in get(ds, "/corpus/top_words").text


# --- the workbench: from a word to its contexts ---------------------------------------------------

HREF_RE = re.compile(r'href="([^"]+)"')


def hrefs(html, pattern):
    from html import unescape

    return [unescape(h) for h in HREF_RE.findall(html) if re.search(pattern, unescape(h))]


def cli_json(corpus_db, *args):
    result = CliRunner().invoke(cli, [*args, "--db", str(corpus_db), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_root_page_opens_the_one_corpus(corpus_db, tmp_path):
    ds = Datasette([str(corpus_db)])
    response = get(ds, "/")
    assert response.status_code == 302 and response.headers["location"] == "/corpus"
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["t"].insert({"a": 1})
    assert get(Datasette([str(corpus_db), str(other)]), "/").status_code == 200  # two databases: Datasette's list


def test_freq_words_link_to_their_concordance_and_articles(ds, corpus_db):
    from urllib.parse import parse_qs, urlsplit

    page = get(ds, "/corpus/freq", source="枣庄日报", date="2024")
    assert page.status_code == 200
    kwic_links = hrefs(page.text, r"^/corpus/-/kwic\?")
    top = rows(ds, "/corpus/freq.json", source="枣庄日报", date="2024")
    assert len(kwic_links) == len(top)
    for link, row in list(zip(kwic_links, top))[:5]:
        params = parse_qs(urlsplit(link).query)
        assert params == {"q": [row["word"]], "words": ["1"], "source": ["枣庄日报"], "from": ["2024"], "to": ["2024"]}
        # the concordance behind the link has one line per occurrence the list counts
        lines = get(ds, link.replace("/-/kwic?", "/-/kwic.json?")).json()
        expected = search.kwic(sqlite_utils.Database(corpus_db), row["word"], words=True, source="枣庄日报",
                               date_from="2024", date_to="2024")
        assert [(r["article_id"], r["offset"]) for r in lines] == [(r["article_id"], r["offset"]) for r in expected]
        assert len(lines) >= row["count"]  # furniture is searched too, reports leave it out
    article_links = hrefs(page.text, r"^/corpus/report_articles\?")
    assert len(article_links) == len(top)
    params = parse_qs(urlsplit(article_links[0]).query)
    assert params == {"_search": [top[0]["word"]], "_words": ["1"], "source": ["枣庄日报"],
                      "date__gte": ["2024-01-01"], "date__lte": ["2024-12-31"]}
    listed = rows(ds, "/corpus/report_articles.json", **{k: v[0] for k, v in params.items()}, _size="max", _col="id")
    truth = {a for a in word_sets(corpus_db, REPORT + " AND source = '枣庄日报' AND date LIKE '2024%'")[top[0]["word"]]}
    assert {r["id"] for r in listed} == truth and len(truth) == top[0]["doc_count"]
    # cooc and trend words link too
    assert hrefs(get(ds, "/corpus/cooc", word="锂电").text, r"^/corpus/-/kwic\?q=")
    assert hrefs(get(ds, "/corpus/trend", q="锂电").text, r"^/corpus/-/kwic\?q=%E9%94%82%E7%94%B5&words=1")


def kwic_page_rows(html):
    """(article id, match) of each line of the concordance page, in order."""
    return [(int(a), m) for a, m in re.findall(r'<a class="zz-line" href="/corpus/articles/(\d+)\?_hl=[^"]*"[^>]*>\d+</a>'
                                               r'.*?<mark>([^<]+)</mark>', html, re.DOTALL)]


@pytest.mark.parametrize("sort", ["", "L1", "R1", "L1,R1"])
def test_kwic_page_sorts_pages_and_downloads_every_line(ds, corpus_db, sort):
    db = sqlite_utils.Database(corpus_db)
    plain = search.kwic(db, "项目")
    order = [k for k in sort.split(",") if k]
    expected = [plain[i] for i in sorted(range(len(plain)), key=lambda i: [(plain[i][k] == "", plain[i][k])
                                                                        for k in order] + [i])]
    assert len(expected) > 100
    page = get(ds, "/corpus/-/kwic", q="项目", sort=sort)
    assert page.status_code == 200
    assert f"共 <strong>{len(expected):,}</strong> 行" in page.text
    assert kwic_page_rows(page.text) == [(r["article_id"], r["match"]) for r in expected[:100]]
    second = get(ds, "/corpus/-/kwic", q="项目", sort=sort, page="2")
    assert kwic_page_rows(second.text) == [(r["article_id"], r["match"]) for r in expected[100:200]]
    if order:  # the sort keys' words are shown as columns
        assert f"<th>{order[0]}</th>" in page.text
    import csv as csv_module
    import io

    got = list(csv_module.DictReader(io.StringIO(get(ds, "/corpus/-/kwic.csv", q="项目", sort=sort).text)))
    assert len(got) == len(expected)
    assert [(int(r["article_id"]), int(r["offset"]), r["L1"], r["R1"]) for r in got] == [
        (r["article_id"], r["offset"], r["L1"], r["R1"]) for r in expected]
    assert get(ds, "/corpus/-/kwic.json", q="项目", sort=sort).json() == json.loads(json.dumps(expected))


def test_kwic_page_filters_width_and_whole_word(ds, corpus_db):
    db = sqlite_utils.Database(corpus_db)
    expected = search.kwic(db, "发展", width=8, source="枣庄日报", date_from="2024-01", date_to="2024-03",
                           byline="张环泽")
    assert len(expected) < len(search.kwic(db, "发展", source="枣庄日报"))
    found = get(ds, "/corpus/-/kwic.json", q="发展", width="8", source="枣庄日报", **{"from": "2024-01", "to": "2024-03"},
                byline="张环泽").json()
    assert found == json.loads(json.dumps(expected)) and found
    page = get(ds, "/corpus/-/kwic", q="电池")
    assert '<span class="zz-wordpart">锂</span>' in page.text  # 电池 inside 锂电池: the whole word shows
    nothing = get(ds, "/corpus/-/kwic", q="锂电", **{"from": "2030"})
    assert "No article matches the filters" in nothing.text
    unknown = get(ds, "/corpus/-/kwic", q="锂电", source="人民日报")
    assert "message-error" in unknown.text and "人民日报" in unknown.text
    assert "zz-notice" in get(ds, "/corpus/-/kwic").text
    assert get(ds, "/corpus/-/kwic.csv", q="锂电", sort="X9").status_code == 400


def test_search_page_counts_pages_and_filters(ds, corpus_db):
    db = sqlite_utils.Database(corpus_db)
    total = search.count(db, "项目")
    ranked = search.search(db, "项目", limit=None)
    assert total == len(ranked) > 10
    page = get(ds, "/corpus/-/search", q="项目", size="10")
    assert f"共 <strong>{total:,}</strong> 篇文章" in page.text
    shown = [int(i) for i in re.findall(r'<td class="col-title"><a href="/corpus/articles/(\d+)\?_hl=', page.text)]
    assert shown == [r["article_id"] for r in ranked[:10]]
    second = get(ds, "/corpus/-/search", q="项目", size="10", page="2")
    assert [int(i) for i in re.findall(r'<td class="col-title"><a href="/corpus/articles/(\d+)\?_hl=', second.text)] == [
        r["article_id"] for r in ranked[10:20]]
    assert "<mark>项目</mark>" in page.text
    filtered = get(ds, "/corpus/-/search", q="锂电", source="枣庄日报", **{"from": "2024"})
    expected = search.search(db, "锂电", limit=None, source="枣庄日报", date_from="2024")
    assert f"共 <strong>{len(expected):,}</strong>" in filtered.text
    assert "No article contains" in get(ds, "/corpus/-/search", q="量子纠缠").text
    assert "No article matches the filters" in get(ds, "/corpus/-/search", q="锂电", **{"from": "2030"}).text


def test_articles_search_box_shows_a_highlighted_snippet(ds):
    page = get(ds, "/corpus/articles", _search="新质生产力")
    assert page.status_code == 200
    assert '<div class="zz-snippet">' in page.text and "<mark>新质生产力</mark>" in page.text
    assert "_hl=" in page.text  # the rows' links carry the search to the article's page


def test_article_page_has_its_headline_place_neighbours_and_highlights(ds, corpus_db):
    corpus = articles(corpus_db)
    art_id = next(i for i, a in sorted(corpus.items()) if "锂电" in (a["body"] or "") and a["seq"] > 1
                  and json.loads(a["bylines"] or "[]"))
    art = corpus[art_id]
    page = get(ds, f"/corpus/articles/{art_id}", _hl="锂电")
    assert page.status_code == 200
    assert f"<title>{art['title']}" in page.text
    assert art["source"] in page.text and art["date"] in page.text
    for name in json.loads(art["bylines"]):
        assert f">{name}</a>" in page.text
    assert page.text.count("<mark>锂电</mark>") >= (art["body"] or "").count("锂电")
    assert f'href="/corpus/documents/{art["document_id"]}"' in page.text
    same_page = sorted((a["seq"], i) for i, a in corpus.items() if a["document_id"] == art["document_id"])
    at = [i for _, i in same_page].index(art_id)
    assert f'rel="prev" href="/corpus/articles/{same_page[at - 1][1]}?_hl=' in page.text
    if at + 1 < len(same_page):
        assert f'rel="next" href="/corpus/articles/{same_page[at + 1][1]}?_hl=' in page.text
    plain = get(ds, f"/corpus/articles/{art_id}")
    assert "<mark>" not in plain.text and f"<title>{art['title']}" in plain.text
    assert get(ds, "/corpus/documents/1").status_code == 200  # other row pages stay Datasette's


@pytest.mark.parametrize("word,window,measure", [("锂电", "article", "logdice"), ("项目", "sentence", "mi"),
                                                 ("项目", "3", "ll")])
def test_cooc_page_rows_and_network(ds, corpus_db, word, window, measure):
    page = get(ds, "/corpus/-/cooc", word=word, window=window, measure=measure)
    assert page.status_code == 200
    expected = cli_json(corpus_db, "cooc", word, "--window", window, "--by", measure, "--top", "100")
    shown = re.findall(r'<td class="col-word"><a class="zz-word" href="[^"]*"[^>]*>([^<]+)</a>.*?</td><td>(\d+)</td>',
                       page.text)
    assert shown == [(r["word"], str(r["o11"])) for r in expected]
    (network,) = svgs(page.text)
    graph_words = {t for t in texts(network) if t}
    assert word in graph_words
    node_links = [a.get("href") for a in network.iter(f"{SVG}a")]
    assert node_links and all(link.startswith("/corpus/-/kwic?q=") for link in node_links)
    svg = get(ds, "/corpus/-/cooc.svg", word=word, window=window, measure=measure)
    assert svg.headers["content-type"].startswith("image/svg+xml") and ET.fromstring(svg.text) is not None
    png = get(ds, "/corpus/-/cooc.png", word=word, window=window, measure=measure)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_cooc_page_says_why_it_is_empty(ds):
    assert "Not a word of this corpus" in get(ds, "/corpus/-/cooc", word="量子纠缠").text
    assert "unknown window" in get(ds, "/corpus/-/cooc", word="锂电", window="chapter").text


def test_dispersion_page_and_command(ds, corpus_db, tmp_path):
    expected = cli_json(corpus_db, "dispersion", "锂电", "新能源")
    truth = word_sets(corpus_db)
    for w in ("锂电", "新能源"):
        assert {(r["article_id"], r["count"]) for r in expected if r["word"] == w} == set(truth[w].items())
    page = get(ds, "/corpus/-/dispersion", q="锂电，新能源")
    (plot,) = svgs(page.text)
    ticks = list(plot.iter(f"{SVG}line"))
    tips = [t.find(f"{SVG}title").text for t in ticks if t.get("class") == "tick"]
    assert len(tips) == len(expected)
    strips = [r for r in plot.iter(f"{SVG}rect") if r.get("class") == "strip"]
    assert len(strips) == 2 * len({s for _, s in PAGE_META})  # a strip per word and paper
    assert {a.get("href") for a in plot.iter(f"{SVG}a")} == {
        f"/corpus/articles/{r['article_id']}?_hl={quote(r['word'])}" for r in expected}
    assert get(ds, "/corpus/-/dispersion.png", q="锂电").content[:4] == b"\x89PNG"
    assert "Not a word of this corpus" in get(ds, "/corpus/-/dispersion", q="量子纠缠").text
    one = cli_json(corpus_db, "dispersion", "锂电", "--source", "大众日报")
    assert {r["source"] for r in one} == {"大众日报"}
    out = tmp_path / "plot.svg"
    result = CliRunner().invoke(cli, ["dispersion", "锂电", "--db", str(corpus_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len([t for t in ET.parse(out).getroot().iter(f"{SVG}line") if t.get("class") == "tick"]) == len(
        [r for r in expected if r["word"] == "锂电"])
    bad = CliRunner().invoke(cli, ["dispersion", "量子纠缠", "--db", str(corpus_db)])
    assert bad.exit_code == 1 and "not a word of this corpus" in bad.output


def test_trend_has_share_of_articles(ds, corpus_db):
    found = rows(ds, "/corpus/trend.json", q="锂电", source="枣庄日报")
    arts = articles(corpus_db, REPORT + " AND source = '枣庄日报'")
    holding = word_sets(corpus_db, REPORT + " AND source = '枣庄日报'")["锂电"]
    for r in found:
        month = [i for i, a in arts.items() if (a["date"] or "").startswith(r["period"])]
        assert r["articles"] == len(month)
        assert r["doc_count"] == len([i for i in month if i in holding])
        assert r["share"] == (pytest.approx(r["doc_count"] / r["articles"]) if r["articles"] else None)
    page = get(ds, "/corpus/-/charts", q="锂电", measure="share")
    trend_svg = svgs(page.text)[0]
    assert "share of articles" in trend_svg.find(f"{SVG}title").text


def test_chart_panels_stand_alone_and_download(ds, seed_db):
    undated = Datasette([str(seed_db)])
    name = seed_db.stem
    page = get(undated, f"/{name}/-/charts")
    assert page.status_code == 200
    assert "stores no dates" in page.text  # the trend panel says why it is empty
    (words_svg,) = svgs(page.text)  # the top words are still drawn
    assert words_svg.findall(f".//{SVG}rect[@class='bar']")
    assert {a.get("href").split("?")[0] for a in words_svg.iter(f"{SVG}a")} == {f"/{name}/-/kwic"}
    assert get(ds, "/corpus/-/charts.svg", q="锂电", panel="trend").headers["content-type"].startswith("image/svg")
    assert get(ds, "/corpus/-/charts.png", q="锂电", panel="words").content[:4] == b"\x89PNG"
    assert get(undated, f"/{name}/-/charts.svg", panel="trend").status_code == 404
    assert "no dates" in get(undated, f"/{name}/-/dispersion", q="锂电").text


def test_saved_reports_are_rounded_and_linked(corpus_db, tmp_path):
    path = tmp_path / "corpus.db"
    path.write_bytes(corpus_db.read_bytes())
    result = CliRunner().invoke(cli, ["freq", "--top", "5", "--source", "枣庄日报", "--save", "top_words",
                                      "--db", str(path)])
    assert result.exit_code == 0, result.output
    ds = Datasette([str(path)])
    saved = rows(ds, "/corpus/top_words.json")
    page = get(ds, "/corpus/top_words")
    for r in saved:
        assert format_number(r["per_million"]) in page.text and str(r["per_million"]) not in page.text
    links = hrefs(page.text, r"^/corpus/-/kwic\?")
    assert len(links) == 5 and all("source=%E6%9E%A3%E5%BA%84%E6%97%A5%E6%8A%A5" in link for link in links)
    assert 'href="/corpus/top_words"' in get(ds, "/corpus/saved_reports").text
