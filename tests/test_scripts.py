"""Traditional and simplified as one: traditional articles (made from the seeds with OpenCC here)
found by simplified queries, counted with their simplified words, shown in their own characters."""

import json
from collections import Counter

import opencc
import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import check_index

from zzcorpus import scripts, search
from zzcorpus.cli import cli
from zzcorpus.filters import Filters
from zzcorpus.segment import is_word
from zzcorpus.selection import Selection

TO_TRADITIONAL = opencc.OpenCC("s2t.json")


def test_fold_and_script_of():
    assert scripts.fold("軟件開發，乾燥") == "软件开发，干燥"
    assert scripts.fold("软件开发") == "软件开发"
    assert scripts.fold("") == "" and scripts.fold(None) == ""
    assert scripts.script_of("軟件開發") == "traditional"
    assert scripts.script_of("软件开发") == "simplified"
    assert scripts.script_of("中国人民") == "simplified"  # the same in both scripts
    assert scripts.script_of("軟件開發，软件开发") == "mixed"
    assert scripts.script_of("abc 123") is None
    text = TO_TRADITIONAL.convert("国务院总理主持召开常务会议，研究部署经济工作。" * 50)
    assert len(scripts.fold(text)) == len(text)  # offsets stay valid


@pytest.fixture(scope="module")
def two_scripts(seed_db, tmp_path_factory):
    """Seed news articles as records: the even ones as printed, the odd ones in traditional
    characters (another paper), so that no two are reprints of each other."""
    tmp = tmp_path_factory.mktemp("scripts")
    rows = list(sqlite_utils.Database(seed_db).query(
        "SELECT title, body FROM articles WHERE kind = 'news' AND duplicate_of IS NULL ORDER BY id"))
    records = []
    for k, r in enumerate(rows):
        trad = k % 2 == 1
        convert = TO_TRADITIONAL.convert if trad else str
        records.append({"title": convert(r["title"]), "text": convert(r["body"]), "date": "2024-03-01",
                        "source": "明報" if trad else "枣庄日报"})
    path = tmp / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    out = {}
    for name, extra in (("folded", []), ("unfolded", ["--no-fold"])):
        db = tmp / f"{name}.db"
        result = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db), "--layout", "plain", *extra])
        assert result.exit_code == 0, result.output + result.stderr
        out[name] = sqlite_utils.Database(db)
    return out, records


def test_script_stored_and_text_kept(two_scripts):
    dbs, records = two_scripts
    db = dbs["folded"]
    got = dict(Counter(r[0] for r in db.execute("SELECT script FROM articles")))
    assert got == {"simplified": len(records) - len(records) // 2, "traditional": len(records) // 2}
    for source, script in db.execute("SELECT source, script FROM articles"):
        assert script == ("traditional" if source == "明報" else "simplified")
    # The stored text is what was printed.
    bodies = {r[0] for r in db.execute("SELECT body FROM articles WHERE source = '明報'")}
    assert bodies == {r["text"] for r in records if r["source"] == "明報"}
    check_index(db)


def test_simplified_query_finds_traditional_articles(two_scripts):
    db = two_scripts[0]["folded"]
    trad_ids = {r[0] for r in db.execute("SELECT id FROM articles WHERE source = '明報'")}
    hits = {r["article_id"] for r in search.search(db, "发展", limit=None)}
    assert hits & trad_ids and hits - trad_ids
    # Either script finds the same articles.
    assert hits == {r["article_id"] for r in search.search(db, "發展", limit=None)}
    # Exactly the articles whose folded text holds it.
    expected = {i for i, t, b in db.execute("SELECT id, title, body FROM articles")
                if "发展" in scripts.fold(f"{t}\n{b}")}
    assert hits == expected
    # Snippets and concordances show each article's own characters.
    for row in search.search(db, "发展", limit=None):
        if row["article_id"] in trad_ids:
            assert "[發展]" in row["snippet"]
    lines = search.kwic(db, "发展", width=5)
    assert {r["match"] for r in lines} == {"发展", "發展"}
    for r in lines:  # offset: within the field the line is in
        text = db.execute(f"SELECT {r['field']} FROM articles WHERE id = ?", [r["article_id"]]).fetchone()[0]
        assert text[r["offset"]:r["offset"] + 2] == r["match"]
    # An inexact query (letters) goes through the folded text check too.
    assert search.count(db, "發展 OR e") >= search.count(db, "发展")


def test_reports_count_folded_words(two_scripts):
    dbs, records = two_scripts
    db = dbs["folded"]
    words = [w for (w,) in db.execute("SELECT word FROM lexicon WHERE is_word = 1")]
    assert all(scripts.fold(w) == w for w in words)  # no traditional-only word left
    trad = Selection(db, Filters(scripts=("traditional",)))
    simp = Selection(db, Filters(scripts=("simplified",)))
    assert trad.n_articles == len(records) // 2 and trad.n_tokens + simp.n_tokens == Selection(db).n_tokens
    word_id = db.execute("SELECT id FROM lexicon WHERE word = '发展'").fetchone()[0]
    in_trad = int(trad.total().get("count", [word_id])[0])
    expected = sum(seg.split().count("发展") for (seg,) in db.execute(
        "SELECT title_seg || ' ' || body_seg FROM articles WHERE script = 'traditional'"))
    assert in_trad == expected > 0
    result = CliRunner().invoke(cli, ["freq", "--db", str(db.conn.execute("PRAGMA database_list").fetchone()[2]),
                                      "--script", "traditional", "--json", "--top", "5"])
    assert result.exit_code == 0 and all(scripts.fold(r["word"]) == r["word"] for r in json.loads(result.output))


def test_a_word_typed_in_traditional_is_its_folded_word_in_reports(two_scripts):
    dbs, _ = two_scripts
    path = dbs["folded"].conn.execute("PRAGMA database_list").fetchone()[2]

    def rows(*args):
        result = CliRunner().invoke(cli, [*args, "--db", path, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    for command in (["cooc", "{}", "--window", "sentence"], ["trend", "{}", "--by", "year"],
                    ["network", "{}", "--top", "5"], ["dispersion", "{}"]):
        typed = rows(*(a.format("發展") for a in command))
        simplified = rows(*(a.format("发展") for a in command))
        assert typed and [{k: "发展" if v == "發展" else v for k, v in r.items()} for r in typed] == simplified, \
            command[0]
    # Without folding, each script's word is its own.
    unfolded = dbs["unfolded"].conn.execute("PRAGMA database_list").fetchone()[2]
    counts = {w: CliRunner().invoke(cli, ["trend", w, "--by", "year", "--db", unfolded, "--json"]) for w in ("發展", "发展")}
    assert json.loads(counts["發展"].stdout)[0]["count"] != json.loads(counts["发展"].stdout)[0]["count"]


def test_no_fold_keeps_scripts_apart_but_search_finds_both(two_scripts):
    dbs, _ = two_scripts
    db = dbs["unfolded"]
    words = {w for (w,) in db.execute("SELECT word FROM lexicon WHERE is_word = 1")}
    assert "發展" in words and "发展" in words
    assert {r["article_id"] for r in search.search(db, "发展", limit=None)} == \
        {r["article_id"] for r in search.search(dbs["folded"], "发展", limit=None)}
    assert db.execute("SELECT value FROM meta WHERE key = 'fold'").fetchone()[0] == "none"
    check_index(db)
    # The choice is the corpus's: another ingest must make the same one.
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["ingest", str(path), "--db", path])
    assert result.exit_code == 1 and "--no-fold" in result.output


def test_bad_script_filter_is_one_line(seed_db):
    result = CliRunner().invoke(cli, ["freq", "--db", str(seed_db), "--script", "kana"])
    assert result.exit_code == 1 and "unknown script 'kana'" in result.output and "Traceback" not in result.output


def test_word_index_is_folded_on_seed_corpus(seed_db):
    db = sqlite_utils.Database(seed_db)
    assert all(scripts.fold(w) == w for (w,) in db.execute("SELECT word FROM lexicon") if is_word(w))


def test_shipped_character_tables_are_opencc_s(tmp_path):
    """zzcorpus/data/script_chars.tsv is what OpenCC's t2s and s2t give character by character
    (scripts.write_char_tables makes it; rerun it after an OpenCC upgrade)."""
    path = tmp_path / "tables.tsv"
    scripts.write_char_tables(path)
    assert scripts.read_char_tables(path) == scripts.read_char_tables()
    assert scripts.read_char_tables()["t2s"]["軟"] == "软"
