"""Layouts: newspaper pages are reflowed and split; other text keeps its own lines, and nothing
Latin or numeric is joined across a line break. auto tells them apart per file and records it."""

import json

import sqlite_utils
from click.testing import CliRunner
from conftest import SEED_PAGES, ingest
from helpers_io import articles_of, documents, search_ids

from zzcorpus import pages
from zzcorpus.cli import cli

NOTES = """服务器配置记录

查看文件列表时运行
ls
-l
得到结果后再检查网卡。网卡地址是
192.168.11.100
netmask
255.255.255.0
电流读数如下
I:2

9937
"""
POEM = "春眠不觉晓\n处处闻啼鸟\n夜来风雨声\n花落知多少\n"


def test_seed_pages_are_pages_under_auto_and_split_as_before(seed_db):
    db = sqlite_utils.Database(seed_db)
    assert {d["layout"] for d in db["documents"].rows} == {"page"}
    for path in SEED_PAGES:
        text = path.read_text(encoding="utf-8")
        assert pages.choose_layout(text) == "page"
        stored = [a["body"] for a in db.query(
            "select a.body from articles a join documents d on d.id = a.document_id where d.path = ? order by seq",
            [str(path)])]
        assert stored == [a["body"] for a in pages.split_page(text)]


def test_notes_keep_their_lines_under_auto_and_plain(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(NOTES, encoding="utf-8")
    for layout in ("auto", "plain"):
        db_path = tmp_path / f"{layout}.db"
        assert ingest(path, "--layout", layout, db=db_path).exit_code == 0
        assert documents(db_path)["notes.txt"]["layout"] == "plain"
        (art,) = articles_of(db_path, "notes.txt")
        lines = art["body"].split("\n")
        for a, b in (("ls", "-l"), ("192.168.11.100", "netmask"), ("I:2", "9937")):
            assert lines[lines.index(a) + 1] == b  # next to each other, never joined
        assert art["kind"] == "news" and art["title"] == ""
        assert art["id"] in search_ids(db_path, "192.168.11.100") and art["id"] in search_ids(db_path, "netmask")
        assert not search_ids(db_path, "I:29937") and not search_ids(db_path, "ls-l")


def test_short_lines_are_plain_text_not_a_headline_without_body(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text(POEM, encoding="utf-8")
    db_path = tmp_path / "p.db"
    assert ingest(path, db=db_path).exit_code == 0
    (art,) = articles_of(db_path, "poem.txt")
    assert art["kind"] == "news" and art["body"] == POEM.strip()
    assert art["id"] in search_ids(db_path, "夜来风雨声")
    assert sqlite_utils.Database(db_path).execute("select count(*) from report_articles").fetchone()[0] == 1


def test_layout_option_reads_a_stored_file_again_and_replaces_it(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(NOTES, encoding="utf-8")
    db_path = tmp_path / "r.db"

    def run(*args):
        result = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db_path), "--json", *args])
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)[0]

    assert run()["new"] == 1
    assert run()["unchanged"] == 1
    assert run("--layout", "page")["replaced"] == 1
    assert documents(db_path)["notes.txt"]["layout"] == "page"
    assert run("--layout", "page")["unchanged"] == 1
    assert run("--layout", "plain")["replaced"] == 1
    assert documents(db_path)["notes.txt"]["layout"] == "plain"
    assert len(articles_of(db_path, "notes.txt")) == 1  # replaced, never doubled
    db = sqlite_utils.Database(db_path)
    assert db.execute("select count(*) from article_index").fetchone()[0] == 1


def test_a_bad_layout_is_one_line(tmp_path):
    result = ingest(SEED_PAGES[0], "--layout", "columns", db=tmp_path / "x.db")
    assert result.exit_code == 2 and "columns" in result.stderr and "Traceback" not in result.output


def test_a_v2_database_gets_the_layout_column(tmp_path):
    db_path = tmp_path / "v2.db"
    assert ingest(SEED_PAGES[3], db=db_path).exit_code == 0
    db = sqlite_utils.Database(db_path)
    with db.conn:
        db.execute("alter table documents drop column layout")
        db.execute("pragma user_version = 2")
    assert ingest(SEED_PAGES[3], db=db_path).exit_code == 0
    assert "layout" in db["documents"].columns_dict
    # a document stored before layouts existed was read as a page: nothing to read again
    assert db.execute("select count(*) from documents where layout is null").fetchone()[0] == 1


def test_layout_choices_are_the_layouts_and_auto():
    # readers spells them out so that reading commands need not load the page splitter.
    from zzcorpus import pages, readers

    assert readers.LAYOUT_CHOICES == ("auto", *pages.LAYOUTS)
