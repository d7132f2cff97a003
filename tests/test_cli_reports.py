"""The report commands (freq, keyness, cooc, network, trend, ngrams, idf) on the seed corpus,
checked against counts made here from the stored tokens (title_seg + body_seg of
report_articles, words by segment.is_word): independent of article_words and of selection.py."""

import csv
import json
import math
import sqlite3
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from zzcorpus import reports
from zzcorpus.cli import cli
from zzcorpus.measures import association, keyness
from zzcorpus.segment import DEFAULT_USERDICT, Segmenter, is_word

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PAGES = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))
# Sources and dates for the seed pages (their file names give neither): two papers, three months.
META = [("枣庄日报", "2024-03-19", PAGES[:2]), ("枣庄日报", "2024-05-02", PAGES[2:3]), ("大众日报", "2024-06-10", PAGES[3:])]
NODE = "人大"
ALL = ["--top", "100000", "--no-stopwords"]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "corpus.db"
    for source, date, pages in META:
        result = CliRunner().invoke(cli, ["ingest", *map(str, pages), "--source", source, "--date", date,
                                          "--db", str(path)])
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def corpus(db_path):
    """The selection as stored tokens: article id -> {source, date, paragraphs (token lists)}."""
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT id, source, date, title_seg, body_seg, tokens FROM report_articles").fetchall()
    conn.close()
    arts = {}
    for art_id, source, date, title_seg, body_seg, tokens in rows:
        text = "\n".join(s for s in (title_seg, body_seg) if s)
        paragraphs = [p.split(" ") for p in text.split("\n") if p]
        words = [w for p in paragraphs for w in p if is_word(w)]
        assert len(words) == tokens  # the stored size is the number of words
        arts[art_id] = {"source": source, "date": date, "paragraphs": paragraphs, "words": words}
    return arts


def run(db_path, *args):
    return CliRunner().invoke(cli, [*map(str, args), "--db", str(db_path)])


def rows_of(db_path, *args):
    result = run(db_path, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stopwords(db_path) -> set:
    """The list ingest stored in meta (the reports' default)."""
    text = sqlite3.connect(db_path).execute("SELECT value FROM meta WHERE key = 'stopwords'").fetchone()[0]
    return {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}


def word_counts(arts):
    counts, docs = Counter(), Counter()
    for art in arts.values():
        counts.update(art["words"])
        docs.update(set(art["words"]))
    return counts, docs


# --- freq -------------------------------------------------------------------------------------

def test_freq_counts_per_million_range_and_dp_match_a_recount(db_path, corpus):
    rows = rows_of(db_path, "freq", *ALL)
    counts, docs = word_counts(corpus)
    n = sum(counts.values())
    sizes = {i: len(a["words"]) for i, a in corpus.items()}
    assert {r["word"] for r in rows} == set(counts)
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
    for r in rows:
        assert r["count"] == counts[r["word"]]
        assert r["doc_count"] == docs[r["word"]]
        assert r["per_million"] == pytest.approx(counts[r["word"]] * 1e6 / n)
        assert r["range"] == pytest.approx(docs[r["word"]] / len(corpus))
    for r in rows[:40]:  # DP over every article, as reports.dispersion defines it
        per_article = {i: a["words"].count(r["word"]) for i, a in corpus.items()}
        assert r["dp"] == pytest.approx(reports.dispersion(per_article, sizes), abs=1e-12)


def test_freq_pos_is_the_tag_the_engine_gives_the_word(db_path):
    """One tag per word: the engine tags a word the same in every context, so vocab.pos is it."""
    conn = sqlite3.connect(db_path)
    segmenter = Segmenter(engine="rjieba", userdicts=(str(DEFAULT_USERDICT),))
    tags = {}
    for title, body in conn.execute("SELECT title, body FROM articles"):
        for paragraph in f"{title}\n{body}".split("\n"):
            for w, p in segmenter.tag(paragraph) if paragraph.strip() else ():
                tags.setdefault(w, set()).add(p)
    conn.close()
    assert all(len(t) == 1 for t in tags.values())
    for r in rows_of(db_path, "freq", "--top", "200", "--no-stopwords"):
        assert {r["pos"]} == tags[r["word"]]


@pytest.mark.parametrize("options", [["--pos", "n"], ["--pos", "v,a"], ["--min-len", "2"], ["--pos", "nr"]])
def test_word_filters_only_remove_rows(db_path, options):
    everything = {r["word"]: r for r in rows_of(db_path, "freq", *ALL)}
    filtered = rows_of(db_path, "freq", *ALL, *options)
    assert filtered and len(filtered) < len(everything)
    for r in filtered:
        assert r == everything[r["word"]]  # same count, per_million, range, dp for a word that stays
    kept = {r["word"] for r in filtered}
    if options[0] == "--pos":
        prefixes = tuple(options[1].split(","))
        assert kept == {w for w, r in everything.items() if r["pos"].startswith(prefixes)}
    else:
        assert kept == {w for w in everything if len(w) >= 2}


def test_stopwords_stored_at_ingest_by_default_or_from_a_file(db_path, tmp_path):
    everything = {r["word"]: r for r in rows_of(db_path, "freq", *ALL)}
    stored = stopwords(db_path)
    default = rows_of(db_path, "freq", "--top", "100000")
    assert stored & set(everything) and not stored & {r["word"] for r in default}
    assert {r["word"] for r in default} == set(everything) - stored
    mine = tmp_path / "stop.txt"
    mine.write_text("发展\n项目\n", encoding="utf-8")
    custom = rows_of(db_path, "freq", "--top", "100000", "--stopwords", mine)
    assert {r["word"] for r in custom} == set(everything) - {"发展", "项目"}
    assert all(r == everything[r["word"]] for r in default + custom)


def test_freq_by_source_and_by_month_are_relative_to_the_group(db_path, corpus):
    rows = rows_of(db_path, "freq", "--by", "source", "--top", "5")
    for source in ("枣庄日报", "大众日报"):
        group = {i: a for i, a in corpus.items() if a["source"] == source}
        counts, docs = word_counts(group)
        n = sum(counts.values())
        mine = [r for r in rows if r["source"] == source]
        assert len(mine) == 5
        top = sorted((w for w in counts if w not in stopwords(db_path)), key=lambda w: -counts[w])[:5]
        assert [counts[r["word"]] for r in mine] == [counts[w] for w in top]
        for r in mine:
            assert r["count"] == counts[r["word"]] and r["doc_count"] == docs[r["word"]]
            assert r["per_million"] == pytest.approx(counts[r["word"]] * 1e6 / n)
            assert r["range"] == pytest.approx(docs[r["word"]] / len(group))
    months = {r["period"] for r in rows_of(db_path, "freq", "--by", "month", "--top", "3")}
    assert months == {"2024-03", "2024-05", "2024-06"}


def test_article_filters_source_dates_and_where(db_path, corpus):
    def total(*args):
        rows = rows_of(db_path, "freq", *ALL, *args)
        return sum(r["count"] for r in rows)

    size = lambda keep: sum(len(a["words"]) for a in corpus.values() if keep(a))  # noqa: E731
    assert total("--source", "大众日报") == size(lambda a: a["source"] == "大众日报")
    assert total("--to", "2024-03") == size(lambda a: a["date"] <= "2024-03-31")  # the whole month
    assert total("--from", "2024-05", "--to", "2024-05-02") == size(lambda a: a["date"] == "2024-05-02")
    assert total("--where", "date = '2024-06-10'") == size(lambda a: a["date"] == "2024-06-10")
    ids = sorted(corpus)[:5]
    assert total("--where", f"id IN ({', '.join(map(str, ids))})") == size(lambda a: a in [corpus[i] for i in ids])
    # A condition may read other tables (a subquery); it only ever reads.
    assert total("--where", "document_id IN (SELECT id FROM documents WHERE date = '2024-05-02')") == size(
        lambda a: a["date"] == "2024-05-02")


# --- cooc -------------------------------------------------------------------------------------

def units_of(corpus, window):
    for art in corpus.values():
        if window == "article":
            yield [w for p in art["paragraphs"] for w in p]
        elif window == "paragraph":
            yield from art["paragraphs"]
        else:
            for p in art["paragraphs"]:
                yield from reports.sentences(p)


@pytest.mark.parametrize("window", ["article", "paragraph", "sentence"])
def test_cooc_unit_windows_match_a_recount(db_path, corpus, window):
    rows = rows_of(db_path, "cooc", NODE, "--window", window, "--min-count", "1", *ALL)
    o11, f_node, f_word, n = reports.unit_counts(units_of(corpus, window), NODE)
    assert {r["word"] for r in rows} == set(o11)
    for r in rows:
        assert (r["o11"], r["f_node"], r["f_word"], r["n"]) == (o11[r["word"]], f_node, f_word[r["word"]], n)
        expected = association(r["o11"], f_node, f_word[r["word"]], n, unit=True)
        assert r["ll"] == pytest.approx(expected["ll"]) and r["jaccard"] == pytest.approx(expected["jaccard"])
    assert [r["logdice"] for r in rows] == sorted((r["logdice"] for r in rows), reverse=True)


def test_cooc_article_window_of_a_word_in_most_articles(db_path, corpus):
    """A node held by most articles is counted from the articles without it (its words' articles
    less theirs): the numbers must be the same as counting the articles with it."""
    node = "的"
    assert sum(node in art["words"] for art in corpus.values()) > len(corpus) / 2
    rows = rows_of(db_path, "cooc", node, "--window", "article", "--min-count", "1", *ALL)
    o11, f_node, f_word, n = reports.unit_counts(units_of(corpus, "article"), node)
    assert {r["word"]: (r["o11"], r["f_node"], r["f_word"], r["n"]) for r in rows} == \
        {w: (k, f_node, f_word[w], n) for w, k in o11.items()}
    few = rows_of(db_path, "cooc", node, "--window", "article", "--min-count", "3", *ALL)
    assert {r["word"] for r in few} == {w for w, k in o11.items() if k >= 3}


def test_cooc_token_window_matches_span_counts(db_path, corpus):
    rows = rows_of(db_path, "cooc", NODE, "--window", "2", "--min-count", "1", *ALL)
    o11, f_node, f_word, n = reports.span_counts([a["words"] for a in corpus.values()], NODE, 2)
    assert {r["word"] for r in rows} == set(o11) - {NODE}
    for r in rows:
        assert (r["o11"], r["f_node"], r["f_word"], r["n"]) == (o11[r["word"]], f_node, f_word[r["word"]], n)
        assert r["e11"] == pytest.approx(f_node * 4 * f_word[r["word"]] / n)
    assert "jaccard" not in rows[0]


def test_cooc_by_min_count_and_top(db_path):
    rows = rows_of(db_path, "cooc", NODE, "--window", "sentence", "--by", "count", "--min-count", "2", "--top", "5")
    assert len(rows) == 5 and all(r["o11"] >= 2 for r in rows)
    assert [r["o11"] for r in rows] == sorted((r["o11"] for r in rows), reverse=True)


def test_a_selection_counts_a_node_once_for_its_collocates_and_network(db_path, monkeypatch):
    """The 共现 page lists a word's collocates and draws its network from one selection: the
    counting runs once per (node, window), and what the second report gets is what a fresh
    selection counts."""
    import sqlite_utils

    from zzcorpus.filters import Filters, word_filter
    from zzcorpus.selection import Selection

    db = sqlite_utils.Database(db_path)
    fresh = reports.cooc(db, Selection(db, Filters()), word_filter(db), NODE, window="sentence", min_count=1, top=None)
    calls = []
    counted = reports._node_counts
    monkeypatch.setattr(reports, "_node_counts", lambda *a: calls.append(a[2:]) or counted(*a))
    sel, wf = Selection(db, Filters()), word_filter(db)
    reports.cooc(db, sel, wf, NODE, window="sentence", min_count=3, top=20)
    again = reports.cooc(db, sel, wf, NODE, window="sentence", min_count=1, top=None)
    graph = reports.network(db, sel, wf, [NODE], top=10, window="sentence", min_count=2)
    reports.cooc(db, sel, wf, NODE, window="article", min_count=1)
    assert again == fresh and len(graph.edges) > 0
    assert [(node, window) for node, window in calls] == [(calls[0][0], "sentence"), (calls[0][0], "article")]


# --- keyness ----------------------------------------------------------------------------------

def test_keyness_counts_and_sizes_match_a_recount(db_path, corpus):
    target = {i: a for i, a in corpus.items() if a["source"] == "枣庄日报"}
    rest = {i: a for i, a in corpus.items() if a["source"] != "枣庄日报"}
    a_counts, _ = word_counts(target)
    b_counts, _ = word_counts(rest)
    c, d = sum(a_counts.values()), sum(b_counts.values())
    rows = rows_of(db_path, "keyness", "--source", "枣庄日报", "--min-count", "1", *ALL)
    assert {r["word"] for r in rows} == {w for w in a_counts if a_counts[w] * d > b_counts[w] * c}
    for r in rows:
        assert (r["a"], r["b"], r["c"], r["d"]) == (a_counts[r["word"]], b_counts[r["word"]], c, d)
        assert r["ll"] == pytest.approx(keyness(r["a"], r["b"], c, d)["ll"])
    assert [r["ll"] for r in rows] == sorted((r["ll"] for r in rows), reverse=True)
    negative = rows_of(db_path, "keyness", "--source", "枣庄日报", "--negative", "--min-count", "1", *ALL)
    assert negative and all(r["a"] * d < r["b"] * c and r["ll"] < 0 for r in negative)
    assert [r["ll"] for r in negative] == sorted(r["ll"] for r in negative)  # most negative first


def test_keyness_against_ref_filters_and_another_database(db_path, corpus, tmp_path):
    by_filter = rows_of(db_path, "keyness", "--to", "2024-03", "--ref-from", "2024-06", "--min-count", "2")
    other = tmp_path / "other.db"
    other.write_bytes(Path(db_path).read_bytes())
    by_db = rows_of(db_path, "keyness", "--to", "2024-03", "--reference-db", other, "--ref-from", "2024-06",
                    "--min-count", "2")
    assert by_filter == by_db and by_filter
    d = sum(len(a["words"]) for a in corpus.values() if a["date"] >= "2024-06")
    assert all(r["d"] == d for r in by_filter)


# --- --save -----------------------------------------------------------------------------------

def test_save_writes_the_rows_and_a_saved_reports_row(db_path, tmp_path):
    path = tmp_path / "corpus.db"
    path.write_bytes(Path(db_path).read_bytes())
    rows = rows_of(path, "freq", "--top", "7", "--pos", "n", "--save", "top_nouns")
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    assert [dict(r) for r in conn.execute("SELECT * FROM top_nouns")] == rows
    saved = dict(conn.execute("SELECT * FROM saved_reports WHERE name = 'top_nouns'").fetchone())
    params = json.loads(saved["params"])
    assert saved["command"] == "freq" and saved["rows"] == 7 and saved["created_at"]
    assert params["pos"] == ["n"] and params["top"] == 7 and params["segmenter"] == "rjieba"
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert params["stopwords_sha256"] == meta["stopwords_sha256"]
    assert params["corpus_tokens"] == conn.execute("SELECT SUM(tokens) FROM report_articles").fetchone()[0]
    rows_of(path, "freq", "--top", "3", "--save", "top_nouns")  # the same name replaces the report
    assert conn.execute("SELECT COUNT(*) FROM top_nouns").fetchone()[0] == 3
    assert conn.execute("SELECT rows FROM saved_reports WHERE name = 'top_nouns'").fetchone()[0] == 3
    for name in ("articles", "report_articles", "articles_fts", "bad-name", "1st"):
        result = run(path, "freq", "--save", name)
        assert result.exit_code == 1 and "--save" in result.output
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] > 0


# --- network ----------------------------------------------------------------------------------

GEXF = "{http://gexf.net/1.3}"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def test_network_exports_parse_with_the_nodes_and_edges(db_path, corpus, tmp_path):
    files = {ext: tmp_path / f"net.{ext}" for ext in ("gexf", "graphml", "csv", "svg")}
    edges = rows_of(db_path, "network", "--top", "15", "--window", "sentence", "--min-count", "2",
                    "--gexf", files["gexf"], "--graphml", files["graphml"], "--edges", files["csv"],
                    "--out", files["svg"])
    assert edges
    gexf = ET.parse(files["gexf"]).getroot()
    assert gexf.get("version") == "1.3"
    nodes = gexf.findall(f".//{GEXF}node")
    assert len(nodes) == 15 and len(gexf.findall(f".//{GEXF}edge")) == len(edges)
    labels = {n.get("label") for n in nodes}
    assert {e["source"] for e in edges} | {e["target"] for e in edges} <= labels
    declared = {a.get("id") for a in gexf.findall(f".//{GEXF}attribute")}
    assert {"count", "pos", "o11", "logdice"} <= declared
    graphml = ET.parse(files["graphml"]).getroot()
    keys = {k.get("id") for k in graphml.findall(f"{GRAPHML}key")}
    assert {d.get("key") for d in graphml.iter(f"{GRAPHML}data")} <= keys
    assert len(graphml.findall(f".//{GRAPHML}node")) == 15 and len(graphml.findall(f".//{GRAPHML}edge")) == len(edges)
    with open(files["csv"], encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [(r["source"], r["target"], int(r["o11"])) for r in table] == [
        (e["source"], e["target"], e["o11"]) for e in edges]
    svg = ET.parse(files["svg"]).getroot()
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}circle")) == 15
    # An edge's o11 is the number of sentences holding both words, as cooc counts them.
    stop = stopwords(db_path)
    top = [w for w, _ in sorted(word_counts(corpus)[0].items(), key=lambda kv: (-kv[1], kv[0])) if w not in stop][:15]
    assert labels == set(top)
    sentences = [set(s) for s in units_of(corpus, "sentence")]
    for e in edges:
        assert e["o11"] == sum(1 for s in sentences if e["source"] in s and e["target"] in s)


@pytest.mark.parametrize("window", ["article", "paragraph", "sentence"])
@pytest.mark.parametrize("args", [["--top", "12"], [NODE, "--top", "4"]])
def test_network_unit_windows_match_a_recount(db_path, corpus, window, args):
    """Among the nodes, every pair in more units than chance expects is an edge, with the units
    holding both."""
    edges = rows_of(db_path, "network", *args, "--window", window, "--min-count", "1", "--max-edges", "0",
                    "--measure", "dice")
    units = [set(u) for u in units_of(corpus, window)]
    n = reports.unit_counts(units_of(corpus, window), NODE)[3]
    f = Counter(w for u in units for w in u)
    assert edges
    for e in edges:
        assert e["o11"] == sum(1 for u in units if e["source"] in u and e["target"] in u)
        assert e["weight"] == pytest.approx(2 * e["o11"] / (f[e["source"]] + f[e["target"]]))
    nodes = {e["source"] for e in edges} | {e["target"] for e in edges}
    linked = set()
    for a in nodes:
        for b in nodes:
            both = sum(1 for u in units if a in u and b in u)
            if a < b and both and both > association(both, f[a], f[b], n, unit=True)["e11"]:
                linked.add((a, b))
    if NODE in args:  # around a word: only its edges
        linked = {p for p in linked if NODE in p}
    assert {tuple(sorted((e["source"], e["target"]))) for e in edges} == linked


def test_network_token_window_matches_a_recount(db_path, corpus):
    from zzcorpus.network import span_pair_counts

    edges = rows_of(db_path, "network", "--top", "12", "--window", "3", "--min-count", "1", "--max-edges", "0",
                    "--measure", "count")
    nodes = {e["source"] for e in edges} | {e["target"] for e in edges}
    o11 = span_pair_counts([a["words"] for a in corpus.values()], nodes, 3)
    assert edges and all(e["o11"] == o11[e["source"], e["target"]] for e in edges)


def test_network_around_words_keeps_edges_touching_them(db_path, tmp_path):
    edges = rows_of(db_path, "network", NODE, "--top", "8", "--window", "3", "--min-count", "2", "--measure", "mi")
    collocates = rows_of(db_path, "cooc", NODE, "--window", "3", "--min-count", "2", "--by", "mi", "--top", "8")
    assert edges and all(NODE in (e["source"], e["target"]) for e in edges)
    by_word = {e["target"] if e["source"] == NODE else e["source"]: e for e in edges}
    for c in collocates:
        if c["word"] in by_word:
            assert by_word[c["word"]]["o11"] == c["o11"] and by_word[c["word"]]["weight"] == pytest.approx(c["mi"])
    assert set(by_word) <= {c["word"] for c in collocates}


# --- trend, ngrams, idf -----------------------------------------------------------------------

def test_trend_periods_are_continuous_with_zero_counts(db_path, corpus, tmp_path):
    rows = rows_of(db_path, "trend", NODE, "发展", "--by", "month", "--out", tmp_path / "trend.png")
    assert [r["period"] for r in rows if r["word"] == NODE] == ["2024-03", "2024-04", "2024-05", "2024-06"]
    for r in rows:
        month = {i: a for i, a in corpus.items() if a["date"].startswith(r["period"])}
        size = sum(len(a["words"]) for a in month.values())
        assert r["tokens"] == size
        assert r["count"] == sum(a["words"].count(r["word"]) for a in month.values())
        assert r["per_million"] == (pytest.approx(r["count"] * 1e6 / size) if size else None)
    assert (tmp_path / "trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    days = rows_of(db_path, "trend", NODE, "--by", "day", "--from", "2024-05")
    assert len(days) == 40 and days[0]["period"] == "2024-05-02" and days[-1]["period"] == "2024-06-10"


def test_ngrams_count_sequences_within_runs_of_words(db_path, corpus):
    rows = rows_of(db_path, "ngrams", "--n", "3", "--top", "20", "--no-stopwords")
    counts, docs = Counter(), Counter()
    for art in corpus.values():
        found = reports.ngrams(art["paragraphs"], 3)
        counts.update(found)
        docs.update(found.keys())
    expected = sorted(((g, k) for g, k in counts.items() if k >= 2), key=lambda gk: (-gk[1], gk[0]))[:20]
    assert [(r["ngram"], r["count"], r["doc_count"]) for r in rows] == [(" ".join(g), k, docs[g]) for g, k in expected]


def test_idf_file_and_rows(db_path, corpus, tmp_path):
    out = tmp_path / "idf.txt"
    result = run(db_path, "idf", "--out", out)
    assert result.exit_code == 0, result.output
    _, docs = word_counts(corpus)
    n = sum(1 for a in corpus.values() if a["words"])
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(docs)
    for line in lines:
        word, value = line.split(" ")
        assert float(value) == pytest.approx(math.log(n / docs[word]))
    rows = rows_of(db_path, "idf")
    assert [f"{r['word']} {r['idf']!r}" for r in rows] == lines


# --- bad values -------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["freq", "--by", "foo"], "choose from source, year, month"),
    (["cooc", NODE, "--window", "0"], "unknown window '0'"),
    (["cooc", NODE, "--by", "foo"], "unknown measure 'foo'"),
    (["cooc", "没有这个词语"], "not a word of this corpus"),
    (["cooc", NODE, "--source", "大众日报", "--to", "2024-03"], "does not occur in the selected articles"),
    (["freq", "--pos", "zz"], "unknown POS tag 'zz'"),
    (["freq", "--where", "nosuch = 1"], "no such column: nosuch"),
    (["freq", "--where", "1; DELETE FROM articles"], "';' is not allowed"),
    (["freq", "--where", "(SELECT COUNT(*) FROM pragma_table_info('articles'))"], "not authorized"),
    (["keyness"], "choose a target"),
    (["keyness", "--source", "枣庄日报", "--by", "foo"], "unknown measure 'foo'"),
    (["network", "--out", "net.jpg"], "unknown picture type '.jpg'"),
    (["network", "--window", "article", "--measure", "foo"], "unknown measure 'foo'"),
    (["trend", NODE, "--by", "week"], "unknown period 'week'"),
    (["trend", "没有这个词语"], "not a word of this corpus"),
    (["ngrams", "--n", "9"], "--n must be one of 2, 3, 4"),
    (["freq", "--top", "-1"], "--top must be >= 0"),
])
def test_bad_values_exit_1_with_one_line(db_path, args, message):
    result = run(db_path, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


# --- dfm --------------------------------------------------------------------------------------

def test_dfm_matrix_market_and_csv_are_the_stored_counts(db_path, corpus, tmp_path):
    from scipy import io

    stop = stopwords(db_path)
    result = run(db_path, "dfm", "--out", tmp_path / "m.mtx", "--source", "枣庄日报")
    assert result.exit_code == 0, result.output
    matrix = io.mmread(str(tmp_path / "m.mtx")).tocsr()
    rows = list(csv.DictReader((tmp_path / "m.rows.tsv").open(encoding="utf-8"), delimiter="\t"))
    cols = list(csv.DictReader((tmp_path / "m.cols.tsv").open(encoding="utf-8"), delimiter="\t"))
    mine = {i: a for i, a in corpus.items() if a["source"] == "枣庄日报"}
    assert [int(r["article_id"]) for r in rows] == sorted(mine)
    assert all(r["source"] == "枣庄日报" for r in rows)
    words = [c["word"] for c in cols]
    assert set(words) == {w for a in mine.values() for w in a["words"]} - stop
    for k, r in enumerate(rows):
        counts = Counter(w for w in mine[int(r["article_id"])]["words"] if w not in stop)
        got = {words[j]: int(v) for j, v in zip(matrix[k].indices, matrix[k].data)}
        assert got == dict(counts)
    result = run(db_path, "dfm", "--out", tmp_path / "long.csv", "--no-stopwords")
    assert result.exit_code == 0, result.output
    long = list(csv.DictReader((tmp_path / "long.csv").open(encoding="utf-8")))
    recount = Counter()
    for i, a in corpus.items():
        recount.update((i, w) for w in a["words"])
    assert {(int(r["article_id"]), r["word"]): int(r["count"]) for r in long} == dict(recount)
    bad = run(db_path, "dfm", "--out", tmp_path / "m.xlsx")
    assert bad.exit_code == 1 and "m.xlsx" in bad.stderr


# --- the headline (kicker, title, subtitle) counted, bylines as a filter ------------------------

def test_kicker_and_subtitle_words_are_counted_with_the_title(db_path, corpus):
    conn = sqlite3.connect(db_path)
    heads = conn.execute("SELECT id, kicker, title, subtitle, title_seg FROM report_articles "
                         "WHERE kicker != '' OR subtitle != ''").fetchall()
    assert len(heads) >= 5
    for art_id, *fields, title_seg in heads:  # one paragraph per field, in printed order
        printed = [f.replace(" ", "") for f in fields if f]
        assert [p.replace(" ", "") for p in title_seg.split("\n")] == printed, art_id
    # 秋季 is printed in the kicker of 争取将秋季项目施工黄金季拼成丰收季 / 枣庄50个重点项目集中开工
    [(kicker_id,)] = conn.execute("SELECT id FROM report_articles WHERE kicker LIKE '%黄金季拼成丰收季%'").fetchall()
    in_kicker = corpus[kicker_id]["paragraphs"][0]
    assert "秋季" in in_kicker
    row = next(r for r in rows_of(db_path, "freq", *ALL) if r["word"] == "秋季")
    counts, _ = word_counts(corpus)
    assert row["count"] == counts["秋季"] >= 1
    not_kicker = sum(" ".join(p for p in (t, b) if p).count("秋季") for t, b in conn.execute(
        "SELECT title, body FROM report_articles"))
    assert row["count"] == not_kicker + in_kicker.count("秋季") > not_kicker


def test_byline_filter_counts_exactly_his_articles(db_path, corpus):
    conn = sqlite3.connect(db_path)
    his = {i for (i,) in conn.execute(
        "SELECT a.id FROM report_articles a, json_each(a.bylines) j WHERE j.value = '张环泽'")}
    assert len(his) == 12
    counts, docs = word_counts({i: a for i, a in corpus.items() if i in his})
    rows = rows_of(db_path, "freq", *ALL, "--byline", "张环泽")
    assert {r["word"]: (r["count"], r["doc_count"]) for r in rows} == {w: (c, docs[w]) for w, c in counts.items()}
    n = sum(counts.values())
    assert all(math.isclose(r["per_million"], r["count"] / n * 1e6, rel_tol=1e-9) for r in rows)
    # with a date filter too (his articles sit on pages of two months)
    may = {i for i in his if corpus[i]["date"] == "2024-05-02"}
    assert may and may != his
    counts, _ = word_counts({i: a for i, a in corpus.items() if i in may})
    rows = rows_of(db_path, "freq", *ALL, "--byline", "张环泽", "--from", "2024-05", "--to", "2024-05")
    assert {r["word"]: r["count"] for r in rows} == dict(counts)
    # every report takes it; a name nobody carries cannot match: one line, exit 1
    assert rows_of(db_path, "trend", "项目", "--byline", "张环泽")
    result = run(db_path, "freq", "--byline", "无名氏")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "无名氏" in result.stderr
