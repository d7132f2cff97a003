"""Search and concordance against the reader's bar: the hits are exactly the articles whose
printed text (kicker, title, subtitle, byline, dateline, body) contains the query text (checked
with Python's `in` over the seed corpus)."""

import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from zzcorpus.cli import cli
from zzcorpus.schema import PRINTED_FIELDS
from zzcorpus.search import count, fts_query, kwic, parse_query, search, snippet

SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "corpus.db"
    result = CliRunner().invoke(cli, ["ingest", str(SEEDS), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def db(db_path):
    return sqlite_utils.Database(db_path)


def printed(db, where="duplicate_of IS NULL"):
    """article id -> {field: text} of every printed field."""
    rows = db.execute(f"SELECT id, {', '.join(PRINTED_FIELDS)} FROM articles WHERE {where}").fetchall()
    return {i: {f: v or "" for f, v in zip(PRINTED_FIELDS, values)} for i, *values in rows}


@pytest.fixture(scope="module")
def texts(db):
    """article id -> its printed fields, one a line, over the articles search reads (duplicates left out)."""
    return {i: "\n".join(fields.values()) for i, fields in printed(db).items()}


def truth(texts, term):
    return {i for i, text in texts.items() if term.lower() in text.lower()}


def run(db_path, *args):
    return CliRunner().invoke(cli, [*args, "--db", str(db_path)])


def cli_ids(db_path, *args):
    result = run(db_path, "search", *args, "--limit", "0", "--json")
    assert result.exit_code == 0, result.output
    return {r["article_id"] for r in json.loads(result.stdout)}


QUERIES = [
    "锂电", "生产", "重大工", "项目管",  # fragments of words
    "发展新质", "项目集中开工", "锂电产业",  # phrases across word boundaries
    "新质生产力", "枣庄", "储能", "项目管家",  # whole words
    "锂", "氢", "钠",  # single characters
    "张环泽", "记者", "孟令洋",  # bylines
    "黄金季拼成丰收季", "提前介入", "评局长",  # kickers
    "融e通", "社会联动治理体系",  # a subtitle
    "本报讯", "山亭讯",  # datelines
]


@pytest.mark.parametrize("query", QUERIES)
def test_hits_are_the_articles_containing_the_query(db, db_path, texts, query):
    expected = truth(texts, query)
    assert expected, f"{query} should occur in the seeds"
    found = {r["article_id"] for r in search(db, query, limit=None)}
    assert len(found & expected) / len(expected) == 1.0
    assert len(found & expected) / len(found) >= 0.98
    assert found == expected  # the text check makes it exact
    assert count(db, query) == len(expected)
    assert cli_ids(db_path, query) == expected


def index_hits(db, texts, query):
    return {r[0] for r in db.execute(
        "SELECT rowid FROM articles_chars_fts WHERE articles_chars_fts MATCH ?", [fts_query(query)])} & set(texts)


@pytest.mark.parametrize("query", QUERIES + ["GMP", "gmp"])
def test_the_index_expression_alone_misses_nothing(db, texts, query):
    """What the Datasette plugin runs: fts_query's MATCH without the text check."""
    expected = truth(texts, query)
    assert expected
    found = index_hits(db, texts, query)
    assert expected <= found
    assert len(expected) / len(found) >= 0.98


@pytest.mark.parametrize("query", ["“锂", "新能源、", "锂电 -储能、"])
def test_punctuation_widens_the_index_but_search_is_exact(db, texts, query):
    # Any run of punctuation is one break token, so the index finds a superset; the text decides.
    terms = parse_query(query)
    expected = {i for i in texts if all(any(t in texts[i] for t in g) for g in terms.groups)
                and not any(t in texts[i] for t in terms.excluded)}
    assert expected
    assert expected <= index_hits(db, texts, query)
    assert {r["article_id"] for r in search(db, query, limit=None)} == expected


def test_latin_is_case_insensitive(db, texts):
    expected = truth(texts, "GMP")
    assert expected
    assert {r["article_id"] for r in search(db, "gmp", limit=None)} == expected
    assert {r["article_id"] for r in search(db, "GmP", limit=None)} == expected


def test_a_word_broken_across_a_column_line_is_found(db):
    hits = search(db, "全市重大工程指挥部", limit=None)
    paths = [db.execute("SELECT d.path FROM articles a JOIN documents d ON d.id = a.document_id WHERE a.id = ?",
                        [h["article_id"]]).fetchone()[0] for h in hits]
    assert any(Path(p).name.startswith("000_") for p in paths)
    assert all("[全市重大工程指挥部]" in h["snippet"] for h in hits)


@pytest.mark.parametrize("query, seed", [
    ("人大责任担当", "000_"),  # 人大责 / 任担当: a column line break mid-word
    ("全市重大工程指挥部", "000_"),  # 全市重大工 / blank line / 程指挥部
    ("电力等领域", "002_"),  # a paragraph-per-line page cut by a blank line: 电 / blank / 力等领域
    ("总投资756亿元", "002_"),  # 总投资 / blank / 756亿元
])
def test_words_broken_across_lines_and_blank_lines_are_found(db_path, query, seed):
    result = run(db_path, "search", query, "--json", "--limit", "0")
    hits = json.loads(result.stdout)
    assert hits, query
    db = sqlite_utils.Database(db_path)
    paths = {db.execute("SELECT d.path FROM articles a JOIN documents d ON d.id = a.document_id WHERE a.id = ?",
                        [h["article_id"]]).fetchone()[0] for h in hits}
    assert any(Path(p).name.startswith(seed) for p in paths)


def test_and_or_exclude_and_phrase(db, db_path, texts):
    lithium, storage, tengzhou = truth(texts, "锂电"), truth(texts, "储能"), truth(texts, "滕州")
    # Guard against vacuous checks: each combination differs from its parts.
    assert lithium & storage and lithium & storage != lithium and tengzhou - lithium
    assert cli_ids(db_path, "锂电 储能") == lithium & storage
    assert cli_ids(db_path, "锂电", "储能") == lithium & storage  # unquoted words are joined
    assert cli_ids(db_path, "锂电 AND 储能") == lithium & storage
    assert cli_ids(db_path, "锂电 OR 滕州") == lithium | tengzhou
    assert cli_ids(db_path, "锂电 -储能") == lithium - storage
    assert cli_ids(db_path, "锂电", "-储能") == lithium - storage  # -term is not an option
    assert cli_ids(db_path, "锂电 NOT 储能") == lithium - storage
    assert cli_ids(db_path, "储能 锂电 OR 滕州") == storage & (lithium | tengzhou)
    assert cli_ids(db_path, "锂电 OR 滕州 -储能") == (lithium | tengzhou) - storage
    assert cli_ids(db_path, '"锂电产业"') == truth(texts, "锂电产业")
    # A phrase is literal text: its space must be in the article, and OR inside it is a word.
    assert cli_ids(db_path, '"锂电 OR 氢"') == truth(texts, "锂电OR氢") == set()
    # ...cleaned as ingest cleans a printed line: the space between Chinese and Latin goes
    assert parse_query('"锂电 OR 氢"').groups == (("锂电OR氢",),)


DATED = {"000": "枣庄日报_2023-12-31_01", "001": "枣庄日报_2024-03-01_01", "002": "大众日报_2024-03-31_02",
         "003": "枣庄日报_2024-04-01_03", "004": "大众日报_2024-06-07_01"}
DATED_DATES = {name.split("_")[1] for name in DATED.values()}


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """The seeds under dated file names, so dates and papers come from the names."""
    folder = tmp_path_factory.mktemp("dated")
    for seed in SEEDS.glob("0*.txt"):
        (folder / f"{DATED[seed.name[:3]]}.txt").write_bytes(seed.read_bytes())
    path = folder / "corpus.db"
    assert CliRunner().invoke(cli, ["ingest", str(folder), "--db", str(path)]).exit_code == 0
    return path


@pytest.mark.parametrize("args, dates", [
    (["--to", "2024-03"], {"2023-12-31", "2024-03-01", "2024-03-31"}),  # the whole of March
    (["--from", "2024-03-31", "--to", "2024-04"], {"2024-03-31", "2024-04-01"}),
    (["--from", "2024"], {"2024-03-01", "2024-03-31", "2024-04-01", "2024-06-07"}),
    (["--to", "2023"], {"2023-12-31"}),
    (["--from", "2024-03-02", "--to", "2024-03-31"], {"2024-03-31"}),
    (["--source", "大众日报"], {"2024-03-31", "2024-06-07"}),
    (["--source", "大众日报", "--to", "2024-05"], {"2024-03-31"}),
])
def test_date_and_source_filters(dated, args, dates):
    db = sqlite_utils.Database(dated)
    rows = db.execute("SELECT id, date, title, body FROM articles WHERE duplicate_of IS NULL").fetchall()
    assert {d for _, d, _, _ in rows} == set(DATED_DATES)
    expected = {i for i, d, t, b in rows if d in dates and "发展" in f"{t}\n{b}"}
    assert expected
    assert cli_ids(dated, "发展", *args) == expected
    kw = {"--from": "date_from", "--to": "date_to", "--source": "source"}
    params = {kw[k]: v for k, v in zip(args[::2], args[1::2])}
    assert {r["article_id"] for r in search(db, "发展", limit=None, **params)} == expected
    assert {r["article_id"] for r in kwic(db, "发展", **params)} == expected


def test_duplicates_are_found_once(tmp_path):
    seed = next(SEEDS.glob("003_*.txt"))
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_bytes(seed.read_bytes())
    path = tmp_path / "corpus.db"
    assert CliRunner().invoke(cli, ["ingest", str(tmp_path), "--db", str(path)]).exit_code == 0
    db = sqlite_utils.Database(path)
    copies = {i for (i,) in db.execute("SELECT id FROM articles WHERE duplicate_of IS NOT NULL")}
    with_lithium = {i for i, t, b in db.execute("SELECT id, title, body FROM articles") if "锂电" in f"{t}\n{b}"}
    assert copies & with_lithium
    assert {r["article_id"] for r in search(db, "锂电", limit=None)} == with_lithium - copies
    assert {r["article_id"] for r in kwic(db, "锂电")} == with_lithium - copies


def test_bad_dates(db, db_path):
    with pytest.raises(ValueError, match="not a date"):
        search(db, "枣庄", date_from="2024-13")
    result = run(db_path, "search", "枣庄", "--to", "2024-3")
    assert result.exit_code == 2 and "not a date" in result.stderr and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_a_mistyped_option_is_an_error_not_query_text(db_path):
    for command in ("search", "kwic"):
        result = run(db_path, command, "锂电", "--limt", "3")
        assert result.exit_code == 2 and "--limt" in result.output
    excluded = run(db_path, "search", "锂电", "-储能", "--count")
    assert excluded.exit_code == 0 and int(excluded.output) < int(run(db_path, "search", "锂电", "--count").output)


def test_rows_limit_and_order(db, db_path):
    rows = search(db, "枣庄", limit=3)
    assert len(rows) == 3
    assert set(rows[0]) == {"article_id", "title", "date", "source", "page", "kind", "field", "snippet"}
    assert all("[枣庄]" in r["snippet"] for r in rows)
    everything = search(db, "枣庄", limit=None)
    kinds = [r["kind"] == "furniture" for r in everything]
    assert True in kinds and False in kinds
    assert kinds == sorted(kinds)  # page furniture after real articles
    assert [r["article_id"] for r in everything[:3]] == [r["article_id"] for r in rows]
    result = run(db_path, "search", "枣庄", "--count")
    assert int(result.stdout) == len(everything)
    result = run(db_path, "search", "枣庄", "--limit", "2", "--json")
    assert len(json.loads(result.stdout)) == 2
    assert f"{len(everything)} articles" in result.stderr


HOSTILE = ['"新质', "NEAR(", "*", "()", "AND", "OR", "NOT", '"', '""', "'; DROP TABLE articles; --", "",
           "-", "-锂电", "锂电 OR", "^锂", "锂*", "articles_chars_fts:锂", "NEAR(锂 电, 2)", "{title}: 锂"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_give_results_or_one_line(db, db_path, query):
    before = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    result = CliRunner().invoke(cli, ["search", "--db", str(db_path), "--json", "--", query])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 1)
    if result.exit_code:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    else:
        json.loads(result.stdout)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == before


def test_operators_as_literal_text(db, texts):
    # Hostile text that is not an operator is searched for literally.
    assert {r["article_id"] for r in search(db, "NEAR(", limit=None)} == truth(texts, "NEAR(")
    assert {r["article_id"] for r in search(db, "锂电*", limit=None)} == truth(texts, "锂电*")
    assert {r["article_id"] for r in search(db, '"新质', limit=None)} == truth(texts, "新质")


def test_kwic_rows_are_slices_of_the_text(db, db_path, texts):
    rows = kwic(db, "锂电", width=8)
    assert len(rows) == sum(texts[i].count("锂电") for i in truth(texts, "锂电"))
    fields = printed(db)
    assert {r["field"] for r in rows} >= {"body", "title", "kicker"}  # 锂电 is in headlines too
    for r in rows:
        text = fields[r["article_id"]][r["field"]]
        assert r["match"] == "锂电"
        assert r["left"] + r["match"] + r["right"] in text
        assert text[r["offset"]:r["offset"] + 2] == "锂电"
        assert text[:r["offset"]].endswith(r["left"]) and len(r["left"]) <= 8 and len(r["right"]) <= 8
    assert [(r["date"] or "", r["article_id"]) for r in rows] == sorted((r["date"] or "", r["article_id"]) for r in rows)
    result = run(db_path, "kwic", "锂电", "--width", "8", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data[0]) == {"article_id", "date", "source", "title", "field", "left", "match", "right", "offset",
                            "word", "L1", "L2", "L3", "R1", "R2", "R3"}
    assert [(d["article_id"], d["offset"]) for d in data] == [(r["article_id"], r["offset"]) for r in rows]
    assert len(kwic(db, "锂电", limit=5)) == 5
    table = run(db_path, "kwic", "锂电", "--width", "8")
    assert len(table.stdout.splitlines()) == len(rows)


def body_neighbours(body: str, body_seg: str, offset: int, length: int) -> dict:
    """The whole word and neighbour words of a body match, recomputed here from the paragraph's
    own line of body_seg (tokens concatenate to the paragraph with its spaces left out)."""
    k = body[:offset].count("\n")
    paragraph = body.split("\n")[k]
    start = offset - sum(len(p) + 1 for p in body.split("\n")[:k])
    solid = [i for i, ch in enumerate(paragraph) if not ch.isspace()]  # paragraph index of each non-space char
    spans, at = [], 0
    for token in body_seg.split("\n")[k].split():
        spans.append((solid[at], solid[at + len(token) - 1] + 1, token))
        at += len(token)
    end = start + length
    inside = [(a, b) for a, b, _ in spans if a < end and b > start]
    ws, we = min([start] + [a for a, _ in inside]), max([end] + [b for _, b in inside])
    content = lambda t: any(ch.isalnum() for ch in t)  # noqa: E731
    left = [t for a, b, t in spans if b <= ws and content(t)][::-1][:3]
    right = [t for a, b, t in spans if a >= we and content(t)][:3]
    out = {"word": paragraph[ws:we]}
    out.update({f"L{i}": (left + ["", "", ""])[i - 1] for i in (1, 2, 3)})
    out.update({f"R{i}": (right + ["", "", ""])[i - 1] for i in (1, 2, 3)})
    return out


@pytest.mark.parametrize("query", ["锂电", "新质生产力", "项目", "电池"])
def test_kwic_neighbours_are_the_segmentation_words(db, query):
    segs = {i: (b or "", s or "") for i, b, s in db.execute("SELECT id, body, body_seg FROM articles")}
    rows = kwic(db, query)
    body_rows = [r for r in rows if r["field"] == "body"]
    assert body_rows
    for r in body_rows:
        body, body_seg = segs[r["article_id"]]
        expected = body_neighbours(body, body_seg, r["offset"], len(r["match"]))
        assert {k: r[k] for k in expected} == expected, r
        assert query in r["word"]
    assert any(r["L1"] for r in body_rows) and any(r["R1"] for r in body_rows)
    for r in rows:
        if r["field"] in ("byline", "dateline"):  # not segmented: no neighbour words
            assert not any(r[k] for k in ("L1", "L2", "L3", "R1", "R2", "R3"))
    if query == "电池":  # inside 锂电池: the whole word is shown
        assert any(r["word"] != r["match"] for r in body_rows)


@pytest.mark.parametrize("keys", ["L1", "R1", "L1,R1", "R2,L3"])
def test_kwic_sorted_by_neighbour_words(db, db_path, keys):
    lines = kwic(db, "项目")
    order = keys.split(",")
    expected = sorted(range(len(lines)), key=lambda i: [(lines[i][k] == "", lines[i][k]) for k in order] + [i])
    got = kwic(db, "项目", sort=keys)
    assert [(r["article_id"], r["field"], r["offset"]) for r in got] == [
        (lines[i]["article_id"], lines[i]["field"], lines[i]["offset"]) for i in expected]
    assert kwic(db, "项目", sort=keys, offset=7, limit=5) == got[7:12]
    result = run(db_path, "kwic", "项目", "--sort", keys.lower(), "--json")
    assert result.exit_code == 0, result.output
    assert [(r["article_id"], r["offset"]) for r in json.loads(result.stdout)] == [(r["article_id"], r["offset"]) for r in got]
    assert kwic(db, "项目", offset=3, limit=4) == lines[3:7]


def test_kwic_bad_sort_is_one_line(db, db_path):
    with pytest.raises(ValueError, match="L1, L2, L3, R1, R2, R3"):
        kwic(db, "项目", sort="L4")
    result = run(db_path, "kwic", "项目", "--sort", "left")
    assert result.exit_code == 1 and "cannot sort by 'LEFT'" in result.output and "Traceback" not in result.output


def test_kwic_aligns_the_match_by_display_width(db_path):
    from zzcorpus.output import width

    lines = run(db_path, "kwic", "锂", "--width", "6").stdout.splitlines()
    assert len(lines) > 1
    assert len({width(line[:line.index("[锂]")]) for line in lines}) == 1


def test_fts_query():
    assert fts_query("锂") == '"锂"'
    assert fts_query("锂电") == '"锂 电"'
    assert fts_query("锂电 枣庄") == '"锂 电" AND "枣 庄"'
    assert fts_query("锂 OR 氢 新质") == '("锂" OR "氢") AND "新 质"'
    assert fts_query("锂电 -钠电") == '("锂 电") NOT "钠 电"'
    assert fts_query("iPhone") == '"i P h o n e"'  # the tokenizer folds ASCII case
    assert fts_query('"新质') == '"新 质"'  # an unclosed quote runs to the end
    assert fts_query("NEAR(") == '"N E A R \ue000"'  # punctuation is one break token
    assert fts_query('"锂 AND 氢"') == '"锂 A N D 氢"'  # cleaned: 锂AND氢, as ingest would store it
    assert fts_query('"锂 , 氢"') == '"锂 \ue000 氢"'
    # SQL and FTS5 syntax become quoted letters: nothing is left to interpret.
    assert fts_query("'; DROP TABLE articles; --") == '"D R O P" AND "T A B L E" AND "a r t i c l e s \ue000"'
    # Inexact exclusions stay out of the index expression (-e would also drop é); search() checks them.
    assert fts_query("锂 -e") == '"锂"'
    for bad, message in [("", "nothing to search for"), ("   ", "nothing to search for"),
                         ("AND OR NOT", "nothing to search for"), ("-锂", "only exclusions"),
                         ("*", "letters or digits"), ("()", "letters or digits")]:
        with pytest.raises(ValueError, match=message):
            fts_query(bad)
    with pytest.raises(ValueError):
        fts_query(None)


def test_snippet():
    text = "前文很长很长。锂电池产业，锂电<材料>发展。后文很长很长很长很长"
    # width 14 around the first match: 6 characters before it, the rest after.
    assert snippet(text, "锂电", width=14) == "…文很长很长。[锂电]池产业，[锂电]…"
    html = snippet(text, "锂电", width=16, mark=("<mark>", "</mark>"))
    assert html == "前文很长很长。<mark>锂电</mark>池产业，<mark>锂电</mark>&lt;…"  # starts at the text's start
    assert snippet("没有匹配的文字", "锂", width=4) == "没有匹配…"
    assert snippet("短文", "", width=10) == "短文"  # an unusable query never raises
    assert snippet("第一段\n锂电", "锂电", width=10) == "第一段 [锂电]"


# --- every printed field, bylines, cleaned queries, whole words ---------------------------------

def test_a_reporter_and_a_kicker_are_found_and_their_field_named(db, db_path):
    his = {i for (i,) in db.execute(
        "SELECT a.id FROM articles a, json_each(a.bylines) j WHERE j.value = '张环泽' AND a.duplicate_of IS NULL")}
    assert len(his) == 12  # □记者 张环泽 报道 on the seed pages
    assert cli_ids(db_path, "张环泽") == his
    rows = search(db, "张环泽", limit=None)
    fields = printed(db)
    for r in rows:  # the snippet shows the body when the name is there, else the byline
        assert r["field"] == ("body" if "张环泽" in fields[r["article_id"]]["body"] else "byline")
        assert "[张环泽]" in r["snippet"]
    [kicker] = search(db, "黄金季拼成丰收季", limit=None)
    assert kicker["article_id"] == 21 and kicker["field"] == "kicker"
    assert kicker["snippet"] == "争取将秋季项目施工[黄金季拼成丰收季]"
    lines = kwic(db, "山亭讯")
    assert lines and {r["field"] for r in lines} == {"dateline"}


def test_byline_filter_selects_his_articles(db, db_path):
    his = {i for (i,) in db.execute("SELECT a.id FROM articles a, json_each(a.bylines) j WHERE j.value = '张环泽'")}
    assert cli_ids(db_path, "--byline", "张环泽") == his  # no query: all his articles
    project = truth({i: "\n".join(f.values()) for i, f in printed(db).items()}, "项目")
    assert cli_ids(db_path, "项目", "--byline", "张环泽") == his & project != his
    assert {r["article_id"] for r in kwic(db, "项目", byline="张环泽")} == his & project


def test_no_hits_and_impossible_filters(db_path):
    none = run(db_path, "search", "不存在的词语")
    assert none.exit_code == 0 and none.stdout.count("\n") <= 2
    assert none.stderr.startswith("0 articles match") and none.stderr.count("\n") == 1
    for args, message in [(["锂电", "--source", "人民日报"], "no articles from source"),
                          (["锂电", "--byline", "张三"], "no article has '张三' in its byline"),
                          (["锂电", "--from", "2024"], "stores no dates")]:
        result = run(db_path, "search", *args)
        assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1, args
    assert run(db_path, "search").exit_code == 1  # neither a query nor a byline
    result = run(db_path, "trend", "锂电")
    assert result.exit_code == 1 and "stores no dates" in result.stderr and result.stderr.count("\n") == 1


def test_a_query_is_cleaned_as_page_text_is(tmp_path):
    # Justification spaces and the space between Chinese and Latin text are gone from stored text.
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"title": "内核 新版", "text": "团队研究 Linux 内核调度，开会 7 次。"},
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    path = tmp_path / "corpus.db"
    assert CliRunner().invoke(cli, ["ingest", str(records), "--db", str(path)]).exit_code == 0
    db = sqlite_utils.Database(path)
    assert "Linux内核" in db.execute("SELECT body FROM articles").fetchone()[0]
    for query in ('"Linux 内核"', "Linux内核", "linux内核", '"开会 7 次"', "LINUX 调度"):
        assert count(db, query) == 1, query
    assert count(db, '"内核 新版"') == 1  # the space between two words is printed, and kept


def token_paragraphs(db, art_id):
    title_seg, body_seg = db.execute("SELECT title_seg, body_seg FROM articles WHERE id = ?", [art_id]).fetchone()
    return [p.split(" ") for seg in (title_seg, body_seg) for p in (seg or "").split("\n") if p]


def word_truth(db, texts, term):
    """Articles where the term is one token, or (for a term that is no token of the corpus) a run
    of whole tokens, recounted from the stored tokens."""
    single = db.execute("SELECT 1 FROM lexicon WHERE word = ?", [term]).fetchone() is not None
    found = set()
    for art_id in texts:
        for tokens in token_paragraphs(db, art_id):
            if single and term in tokens:
                found.add(art_id)
            elif not single and any("".join(tokens[i:j]) == term for i in range(len(tokens))
                                    for j in range(i + 2, min(len(tokens), i + 12) + 1)):
                found.add(art_id)
    return found


@pytest.mark.parametrize("term", ["电力", "发展", "生产", "产业", "重点项目集中开工", "新能源汽车"])
def test_whole_words(db, db_path, texts, term):
    expected = word_truth(db, texts, term)
    assert expected, term
    found = {r["article_id"] for r in search(db, term, limit=None, words=True)}
    assert found == expected and found <= truth(texts, term)
    assert cli_ids(db_path, "--words", term) == expected
    assert count(db, term, words=True) == len(expected)
    lines = kwic(db, term, words=True)
    assert {r["article_id"] for r in lines} == expected
    assert all(r["field"] in ("kicker", "title", "subtitle", "body") for r in lines)


def test_whole_words_are_fewer_than_substrings(db, texts):
    # 生产 inside 生产力 and 产业 inside 产业链 are substrings, not words
    for term in ("生产", "产业"):
        words = {r["article_id"] for r in search(db, term, limit=None, words=True)}
        occurrences = sum(1 for _ in kwic(db, term, words=True))
        assert words <= truth(texts, term) and occurrences < len(kwic(db, term)), term
    # 项目集中开工 starts inside the word 重点项目 (重点项目 集中 开工): text, not words
    assert truth(texts, "项目集中开工") and not search(db, "项目集中开工", limit=None, words=True)
    # an exclusion takes out only the articles where the word is a word
    both = {r["article_id"] for r in search(db, "发展 -生产", limit=None, words=True)}
    assert both == word_truth(db, texts, "发展") - word_truth(db, texts, "生产")


def test_long_texts_are_spaced_for_the_character_index_as_short_ones_are():
    """char_tokens spaces a long text as one array: the same tokens as the regex and the join,
    for every character below 65,536, runs of non-letters, surrogates and characters above;
    letters past ASCII lowered in both. With the folded letters for fingerprints, not lowered."""
    import random

    from zzcorpus import store
    from zzcorpus.reprints import letters
    from zzcorpus.scripts import fold

    def lowered(c):  # past ASCII (the tokenizer folds it) and below 65,536, when str.lower makes it one character
        return c.lower() if 0x80 <= ord(c) < 0x10000 and len(c.lower()) == 1 else c

    def one_by_one(text):
        return " ".join(store.NON_TEXT_RE.sub(store.BREAK, "".join(map(lowered, fold(text)))))

    bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    rng = random.Random(7)
    texts = [bmp, "\ud800" + "锂电池" * 30, "𠀀锂，" * 30, "_—— 2024年，锂电池！\n\n項目" * 5, "ÉCOLE Ａ１ Ⓐ ΣΑΣ İ 锂" * 9]
    texts += ["".join(rng.choice(bmp) if rng.random() < 0.2 else rng.choice("锂电池項目，。 \n2024ab_-")
                      for _ in range(rng.randint(store.SPACED_AS_ARRAY, 300))) for _ in range(300)]
    for text in texts:
        assert store.char_tokens(text) == one_by_one(text)
        assert store.char_tokens_and_letters(text) == (one_by_one(text), letters(text))  # as fingerprints cut them


def test_tokens_are_placed_in_their_text_past_any_whitespace_and_neighbours_stay_in_the_line():
    """A field's tokens at their offsets, whatever whitespace (a full-width space, a no-break
    space, a line break) the printed text has between them; None when the tokens are not the
    text's; the neighbours of a match within its own paragraph, punctuation skipped."""
    from zzcorpus.search import _token_list, neighbours

    text = "锂电池\u3000项目，\xa0开工\n新质 生产力。"
    assert _token_list(text, "锂电池 项目 ， 开工\n新质 生产 力 ！") is None  # another character
    tokens = _token_list(text, "锂电池 项目 ， 开工\n新质 生产力 。")
    assert tokens == [(0, 3, "锂电池"), (4, 6, "项目"), (6, 7, "，"), (8, 10, "开工"),
                      (11, 13, "新质"), (14, 17, "生产力"), (17, 18, "。")]
    assert _token_list(text + "多", "锂电池 项目 ， 开工\n新质 生产力 。") is None
    assert _token_list(" \n", "") == []
    got = neighbours(text, tokens, 4, 5)  # 项 of 项目
    assert (got["word"], got["L1"], got["L2"], got["R1"], got["R2"]) == ("项目", "锂电池", "", "开工", "")
    got = neighbours(text, tokens, 12, 15)  # 质 生 across the space: both words
    assert (got["word"], got["L1"], got["R1"]) == ("新质 生产力", "", "")


def test_letters_past_ascii_are_found_in_either_case(tmp_path):
    """The index lowers letters past ASCII itself (its tokenizer folds only ASCII): `école`
    finds ÉCOLE, `ａｂｃ` finds ＡＢＣ and `σοφία` finds ΣΟΦΊΑ, as the text check would; `ecole`
    finds neither (accents are kept)."""
    page = tmp_path / "page.txt"
    page.write_text("测试页面\n\n本报讯 巴黎ÉCOLE学院与枣庄ＡＢＣ公司签约。\n\n希腊ΣΟΦΊΑ论坛昨日开幕。", encoding="utf-8")
    db_path = tmp_path / "corpus.db"
    assert run(db_path, "ingest", str(page)).exit_code == 0
    texts = {i: "\n".join(f.values()) for i, f in printed(sqlite_utils.Database(db_path)).items()}
    for query in ("école", "ÉCOLE", "ａｂｃ", "σοφία", "ecole"):
        assert cli_ids(db_path, query) == truth(texts, query), query
    assert cli_ids(db_path, "école") and not cli_ids(db_path, "ecole")
