"""Ingest: formats, encodings, idempotence, duplicates, bad input, killed runs, resegment."""

import gzip
import json
import os
import platform
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import SEED_PAGES, SEEDS, check_index, ingest, make_v2

from zzcorpus.cli import cli
from zzcorpus.schema import MIGRATIONS
from zzcorpus.segment import Segmenter, is_word

PAGE = SEED_PAGES[2].read_text(encoding="utf-8")  # 002: paragraph-per-line page


def articles(db_path, where="1=1"):
    return list(sqlite_utils.Database(db_path).query(f"select * from articles where {where} order by id"))


def content(db_path):
    """What a run produced, independent of row ids."""
    return sorted(
        (r["path"], r["seq"], r["title"], r["body"], r["body_seg"])
        for r in sqlite_utils.Database(db_path).query(
            "select d.path, a.seq, a.title, a.body, a.body_seg from articles a join documents d on d.id = a.document_id"
        )
    )


def test_seed_ingest_stores_documents_articles_and_indexes(seed_db):
    db = sqlite_utils.Database(seed_db)
    docs = list(db["documents"].rows)
    assert sorted(os.path.basename(d["path"]) for d in docs) == [p.name for p in SEED_PAGES]
    for d in docs:  # raw is the text exactly as read
        assert d["raw"] == open(d["path"], encoding="utf-8").read()
        assert d["encoding"] == "utf-8" and len(d["sha256"]) == 64
    n = db.execute("select count(*) from articles").fetchone()[0]
    assert n > 20
    assert db.execute("select count(*) from article_index").fetchone()[0] == n
    # The texts sent from the worker as bytes are stored as text, and found by text.
    assert db.execute("select count(*) from articles where typeof(body) = 'text' and typeof(body_seg) = 'text' "
                      "and body_seg like '%锂电池%'").fetchone()[0] >= 1
    assert db.execute("select count(*) from articles where typeof(body) != 'text' or typeof(body_seg) != 'text'"
                      ).fetchone()[0] == 0
    config = dict(db.execute("select k, v from articles_chars_fts_config").fetchall())
    assert config["hashsize"] == 8 << 20 and config["automerge"] == 8  # the writer's tuning (schema.CHAR_FTS_TUNING)
    # The word index answers jieba words; the char index answers the same rows.
    word_id = db.execute("select id from lexicon where word = '锂电池'").fetchone()[0]
    word_hits = {a for (a,) in db.execute("select article_id from article_index") if a in
                 {r[0] for r in db.execute("select id from articles where ' ' || title_seg || ' ' || body_seg || ' ' "
                                           "like '% 锂电池 %'")}}
    assert db.execute("select count(*) from postings where word_id = ?", [word_id]).fetchone()[0] >= 1
    char_hits = {r[0] for r in db.execute("""select rowid from articles_chars_fts where articles_chars_fts match '"锂 电 池"'""")}
    assert word_hits and word_hits <= char_hits
    meta = dict(db.execute("select key, value from meta").fetchall())
    assert meta["segmenter"] == "rjieba" and meta["segmenter_version"]
    assert len(meta["stopwords_sha256"]) == 64 and "的" in meta["stopwords"].split()
    assert meta["userdict_sha256"]


def test_counts_are_consistent_with_stored_tokens(seed_db):
    db = sqlite_utils.Database(seed_db)
    for a in db.query("select id, title_seg, body_seg, tokens from articles"):
        words = [w for w in f"{a['title_seg']} {a['body_seg']}".split() if is_word(w)]
        assert a["tokens"] == len(words)
    check_index(db)
    assert all(pos for (pos,) in db.execute("select pos from vocab"))


def test_info_reports_the_corpus(seed_db):
    result = CliRunner().invoke(cli, ["info", "--db", str(seed_db), "--json"])
    info = json.loads(result.output)[0]
    assert info["documents"] == 5 and info["articles"] > 20
    assert info["tokens"] == sqlite_utils.Database(seed_db).execute("select sum(tokens) from articles").fetchone()[0]
    assert info["segmenter"] == "rjieba"


def test_reingest_is_idempotent(seed_db, seed_copy):
    before = content(seed_db)
    result = ingest(SEEDS, db=seed_copy)
    assert result.exit_code == 0
    assert content(seed_copy) == before
    db = sqlite_utils.Database(seed_copy)
    assert db.execute("select count(*) from article_index").fetchone()[0] == len(before)
    check_index(db)


def test_changed_file_replaces_its_own_articles(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in SEED_PAGES[2:]:
        (pages / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    db_path = tmp_path / "c.db"
    ingest(pages, db=db_path)
    others = [r for r in content(db_path) if SEED_PAGES[2].name not in r[0]]
    changed = pages / SEED_PAGES[2].name
    changed.write_text(PAGE.replace("锂电池", "钠电池"), encoding="utf-8")
    result = ingest(pages, db=db_path)
    assert result.exit_code == 0
    db = sqlite_utils.Database(db_path)
    assert db.execute("select count(*) from documents").fetchone()[0] == 3
    mine = articles(db_path, f"document_id = (select id from documents where path like '%{changed.name}')")
    text = "".join(a["body"] for a in mine)
    assert "钠电池" in text and "锂电池" not in text
    assert [r for r in content(db_path) if changed.name not in r[0]] == others
    # Indexes and counts follow the replacement: no stale rows.
    check_index(db)  # 锂电池's words that went with the old text went from the lexicon
    hits = db.execute("""select count(*) from articles_chars_fts where articles_chars_fts match '"钠 电 池"'""").fetchone()[0]
    assert hits == sum("钠电池" in a["title"] + a["body"] for a in mine)
    stale = db.execute("select count(*) from article_index where article_id not in (select id from articles)").fetchone()[0]
    assert stale == 0


def test_a_small_change_to_a_large_corpus_updates_the_word_index(seed_copy, tmp_path):
    """A small addition or change updates the word index in place."""
    small = tmp_path / "small.txt"
    small.write_text("短讯标题\n\n本报讯 鸭嘴兽锂电池项目开工。", encoding="utf-8")
    assert ingest(small, db=seed_copy).exit_code == 0
    db = sqlite_utils.Database(seed_copy)
    assert db.execute("select pos from vocab where word = '鸭嘴兽'").fetchone()
    small.write_text("短讯标题\n\n本报讯 钠电池项目开工建设。", encoding="utf-8")
    result = ingest(small, "--json", db=seed_copy)
    assert json.loads(result.stdout)[0]["replaced"] == 1
    assert not db.execute("select pos from vocab where word = '鸭嘴兽'").fetchone()  # no article holds it now
    check_index(db)


def test_identical_article_from_another_file_is_marked_duplicate(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(PAGE, encoding="utf-8")
    (src / "b.txt").write_text("增刊转载\n\n" + PAGE, encoding="utf-8")  # different file, same articles
    db_path = tmp_path / "d.db"
    assert ingest(src, db=db_path).exit_code == 0
    db = sqlite_utils.Database(db_path)
    first = {r["body_sha256"]: r["id"] for r in db.query(
        "select body_sha256, min(id) id from articles where body_sha256 is not null group by 1")}
    dups = list(db.query("select id, body_sha256, duplicate_of from articles where duplicate_of is not null"))
    assert dups and all(d["duplicate_of"] == first[d["body_sha256"]] for d in dups)
    # Reports count each body once.
    distinct = db.execute("select count(distinct body_sha256) from articles where kind != 'furniture'").fetchone()[0]
    assert db.execute("select count(*) from report_articles where body_sha256 is not null").fetchone()[0] == distinct
    check_index(db)  # the word index counts each body once too
    # The first copy changes: the second file's articles are no longer duplicates, and count.
    (src / "a.txt").write_text(PAGE.replace("锂电池", "钠电池"), encoding="utf-8")
    assert ingest(src, db=db_path).exit_code == 0
    freed = db.execute("select count(*) from articles a join documents d on d.id = a.document_id "
                       "where d.path like '%b.txt' and a.duplicate_of is null and a.body like '%锂电池%'").fetchone()[0]
    assert freed > 0
    check_index(db)


def test_files_are_read_in_the_order_of_the_dates_in_their_names(tmp_path):
    """One folder per paper: the earlier printing, in the folder walked second, is read first, so
    it is the one its copy points at; undated files come after the dated ones."""
    for folder, name, text in [("a_大众日报", "大众日报_2024-03-19_01.txt", PAGE),
                               ("a_大众日报", "大众日报_2024-03-17_01.txt", SEED_PAGES[0].read_text(encoding="utf-8")),
                               ("b_枣庄日报", "枣庄日报_2024-03-18_01.txt", PAGE),
                               ("a_大众日报", "增刊.txt", SEED_PAGES[1].read_text(encoding="utf-8"))]:
        (tmp_path / "in" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / folder / name).write_text(text, encoding="utf-8")
    db_path = tmp_path / "d.db"
    assert ingest(tmp_path / "in", db=db_path).exit_code == 0
    db = sqlite_utils.Database(db_path)
    read = [r[0].split("/")[-1] for r in db.execute("select path from documents order by id")]
    assert read == ["大众日报_2024-03-17_01.txt", "枣庄日报_2024-03-18_01.txt", "大众日报_2024-03-19_01.txt", "增刊.txt"]
    copies = db.execute("select a.date, f.date from articles a join articles f on f.id = a.duplicate_of "
                        "join documents d on d.id = a.document_id where d.path like '%大众日报_2024-03-19%'").fetchall()
    assert copies and set(copies) == {("2024-03-19", "2024-03-18")}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(tmp_path, encoding):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.replace("\n", "\r\n").encode(encoding))
    db_path = tmp_path / "e.db"
    assert ingest(path, db=db_path).exit_code == 0
    doc = sqlite_utils.Database(db_path)["documents"].get(1)
    assert doc["encoding"] == encoding
    bodies = "".join(a["body"] for a in articles(db_path))
    assert "锂电池新能源是枣庄首位发展的产业" in bodies and "\r" not in bodies


def test_encoding_option_overrides_detection(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.encode("gb18030"))
    db_path = tmp_path / "e.db"
    result = ingest(path, "--encoding", "big5", db=db_path)
    assert result.exit_code == 1 and "page.txt" in result.stderr


def test_jsonl_csv_and_archives(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    records = [
        {"title": "锂电产业浓墨重彩", "text": "枣庄各区(市)政府工作报告提到锂电产业。", "date": "2024-02-10", "source": "枣庄日报", "page": 3},
        {"title": "两会获碳中和认证", "text": "山亭区两会实现碳中和。", "date": "2024-02-11", "source": "枣庄日报"},
    ]
    (src / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    (src / "b.csv").write_text("title,content,date\n新质生产力,培育新质生产力。,2024-03-18\n", encoding="utf-8")
    with gzip.open(src / "c.txt.gz", "wt", encoding="utf-8") as f:
        f.write(PAGE)
    with zipfile.ZipFile(src / "d.zip", "w") as z:
        z.writestr("大众日报_2023-10-10_01.txt", PAGE.encode("gb18030"))
    db_path = tmp_path / "f.db"
    # The csv's text field is 'content': name it; the jsonl has none -> its records are skipped, named.
    result = ingest(src, "--text-field", "content", db=db_path)
    assert result.exit_code == 1 and "a.jsonl#1" in result.stderr
    result = ingest(src / "a.jsonl", db=db_path)
    assert result.exit_code == 0
    db = sqlite_utils.Database(db_path)
    docs = {d["path"].replace(str(src) + "/", ""): d for d in db["documents"].rows}
    assert set(docs) == {"a.jsonl#1", "a.jsonl#2", "b.csv#1", "c.txt", "d.zip/大众日报_2023-10-10_01.txt"}
    zipped = docs["d.zip/大众日报_2023-10-10_01.txt"]
    assert (zipped["source"], zipped["date"], zipped["page"], zipped["encoding"]) == ("大众日报", "2023-10-10", "1", "gb18030")
    rec = list(db.query("select a.* from articles a join documents d on d.id = a.document_id where d.path like '%a.jsonl#1'"))
    assert len(rec) == 1 and rec[0]["title"] == "锂电产业浓墨重彩"
    assert (rec[0]["date"], rec[0]["source"], rec[0]["page"]) == ("2024-02-10", "枣庄日报", "3")
    csv_art = list(db.query("select a.* from articles a join documents d on d.id = a.document_id where d.path like '%b.csv#1'"))
    assert csv_art[0]["title"] == "新质生产力" and "培育新质生产力" in csv_art[0]["body"]


def test_metadata_precedence(tmp_path):
    path = tmp_path / "枣庄日报_2024-03-19_02.txt"
    path.write_text(PAGE, encoding="utf-8")
    db_path = tmp_path / "m.db"
    ingest(path, db=db_path)
    a = articles(db_path)[0]
    assert (a["source"], a["date"], a["page"]) == ("枣庄日报", "2024-03-19", "2")
    other = tmp_path / "x.txt"
    other.write_text(PAGE, encoding="utf-8")
    ingest(other, "--source", "大众日报", "--date", "2023-10-10", db=db_path)
    b = articles(db_path, "document_id = 2")[0]
    assert (b["source"], b["date"]) == ("大众日报", "2023-10-10")
    result = ingest(other, "--date", "10/10/2023", db=db_path)
    assert result.exit_code == 2 and "10/10/2023" in result.stderr


def test_bad_files_are_skipped_named_and_the_rest_ingested(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(PAGE, encoding="utf-8")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (src / "latin1.txt").write_bytes("caf\xe9 \xe0 la cr\xe8me, na\xefve \xff\xfe".encode("latin-1") * 3 + b"\x81\x20")
    (src / "broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    (src / "empty.txt").write_bytes(b"")
    (src / "oneline.txt").write_text(PAGE.replace("\n", "") * 170, encoding="utf-8")  # ~3 MB, no line breaks
    (src / "truncated.txt").write_bytes(PAGE.encode("utf-8")[:-1])
    (src / "ansi.txt").write_text("\x1b[31m红色标题\x1b[0m\n\n" + PAGE + "\x07\x1b]0;title\x07", encoding="utf-8")
    db_path = tmp_path / "b.db"
    result = ingest(src, db=db_path)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 3
    assert {s.split(":")[0].split("/")[-1] for s in skipped} == {"binary.txt", "latin1.txt", "broken.zip"}
    db = sqlite_utils.Database(db_path)
    paths = {os.path.basename(d["path"]) for d in db["documents"].rows}
    assert paths == {"good.txt", "empty.txt", "oneline.txt", "truncated.txt", "ansi.txt"}
    ansi = list(db.query("select a.title, a.body from articles a join documents d on d.id = a.document_id where d.path like '%ansi.txt'"))
    text = "".join(a["title"] + a["body"] for a in ansi)
    assert "红色标题" in text and "\x1b" not in text and "[31m" not in text
    big = db.execute("select sum(chars) from articles a join documents d on d.id = a.document_id where d.path like '%oneline.txt'").fetchone()[0]
    assert big > 1_000_000  # the 3 MB line is all there
    # Running again: the skipped files are named again, nothing stored is doubled.
    n = db.execute("select count(*) from articles").fetchone()[0]
    assert ingest(src, db=db_path).exit_code == 1
    assert db.execute("select count(*) from articles").fetchone()[0] == n


@pytest.mark.parametrize("command", [["info"], ["search", "锂电"], ["freq"], ["ingest", str(SEED_PAGES[0])]])
def test_a_database_that_is_not_a_corpus_gets_one_line(tmp_path, command):
    garbage = tmp_path / "garbage.db"
    garbage.write_text("not an SQLite file")
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["x"].insert({"a": 1})
    for path in (garbage, other):
        result = CliRunner().invoke(cli, [*command, "--db", str(path)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        assert str(path) in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_killed_run_recovers_to_the_same_articles(tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(120):
        page = SEED_PAGES[i % len(SEED_PAGES)]
        (src / f"p{i:03}.txt").write_text(f"第{i}期\n\n" + page.read_text(encoding="utf-8"), encoding="utf-8")
    clean = tmp_path / "clean.db"
    assert ingest(src, "--batch-mb", "0.05", db=clean).exit_code == 0
    killed = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "zzcorpus", "ingest", str(src), "--db", str(killed), "--batch-mb", "0.05", "--jobs", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until some batches are committed, then kill mid-run
        if killed.exists():
            try:
                done = sqlite_utils.Database(killed).execute("select count(*) from documents").fetchone()[0]
            except Exception:  # the schema may not exist yet
                done = 0
            if done >= 10:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = sqlite_utils.Database(killed)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    partial = db.execute("select count(*) from documents").fetchone()[0]
    assert 10 <= partial < 120, "the run should have been killed midway"
    # Every stored document is whole: its articles are all there.
    counts = dict(db.execute("select d.path, count(a.id) from documents d left join articles a on a.document_id = d.id group by 1").fetchall())
    clean_counts = dict(sqlite_utils.Database(clean).execute("select d.path, count(a.id) from documents d join articles a on a.document_id = d.id group by 1").fetchall())
    assert all(counts[p] == clean_counts[p] for p in counts)
    assert ingest(src, "--batch-mb", "0.05", db=killed).exit_code == 0
    assert content(killed) == content(clean)
    check_index(db)


def test_postings_left_pending_by_a_killed_ingest_are_read_and_then_moved(tmp_path, monkeypatch):
    """Each batch's postings wait in postings_pending until the end of the command; killed
    before it, they are read all the same, and the next command moves them into postings (here
    one that first takes a changed file's old articles out of the index)."""
    from zzcorpus import index

    src = tmp_path / "pages"
    src.mkdir()
    for page in SEED_PAGES:
        (src / page.name).write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
    assert ingest(src, "--batch-mb", "0.01", db=clean).exit_code == 0
    with monkeypatch.context() as m:  # as a run killed before its last transaction leaves it
        m.setattr(index, "finish", lambda db, **options: None)
        assert ingest(src, "--batch-mb", "0.01", db=killed).exit_code == 0
    k, c = sqlite_utils.Database(killed), sqlite_utils.Database(clean)
    assert k.execute("SELECT COUNT(*) FROM postings").fetchone()[0] == 0
    assert k.execute("SELECT COUNT(DISTINCT batch) FROM postings_pending").fetchone()[0] >= 3

    def postings_by_word(db):
        return {w: [a.tolist() for a in index.postings(db, i)]
                for i, w in db.execute("SELECT id, word FROM lexicon WHERE is_word = 1")}

    def reports(db_path):
        return [json.loads(CliRunner().invoke(cli, [*command, "--json", "--db", str(db_path)]).output)
                for command in (["freq", "--top", "50"], ["cooc", "项目", "--window", "article", "--min-count", "1"])]

    assert postings_by_word(k) == postings_by_word(c)
    page = src / SEED_PAGES[0].name
    page.write_text(page.read_text(encoding="utf-8") + "\n\n枣庄市新能源项目签约仪式昨日举行，锂电项目总投资十亿元。\n",
                    encoding="utf-8")
    monkeypatch.setattr(index, "MOVED_AT_ONCE", 50)  # moved a few words at a time
    for db_path in (clean, killed):
        assert ingest(src, "--batch-mb", "0.01", db=db_path).exit_code == 0
    assert k.execute("SELECT COUNT(*) FROM postings_pending").fetchone()[0] == 0
    check_index(k)
    assert postings_by_word(k) == postings_by_word(c)
    assert reports(killed) == reports(clean)
    assert reports(killed)[1]  # 项目 has collocates


def test_resegment_after_dictionary_change(seed_copy, tmp_path):
    db = sqlite_utils.Database(seed_copy)
    word = "集中开工"
    assert not db.execute("select 1 from vocab where word = ?", [word]).fetchone()
    userdict = tmp_path / "mine.txt"
    userdict.write_text(f"{word} 100 v\n", encoding="utf-8")
    # Ingesting more text with another dictionary would mix segmentations: refused.
    extra = tmp_path / "x.txt"
    extra.write_text("测试页面\n\n本报讯 新的项目集中开工。", encoding="utf-8")
    result = ingest(extra, "--userdict", userdict, db=seed_copy)
    assert result.exit_code == 1 and "resegment" in result.stderr
    before = db.execute("select sum(tokens) from articles").fetchone()[0]
    result = CliRunner().invoke(cli, ["resegment", "--db", str(seed_copy), "--userdict", str(userdict)])
    assert result.exit_code == 0, result.output
    n = db.execute("select freq from lexicon where word = ?", [word]).fetchone()[0]
    assert n == sum(a["body_seg"].split().count(word) + a["title_seg"].split().count(word)
                    for a in db.query("select * from report_articles")) > 0
    check_index(db)
    assert db.execute("select pos from vocab where word = ?", [word]).fetchone()[0] == "v"
    assert db.execute("select sum(tokens) from articles").fetchone()[0] < before  # two words became one
    assert ingest(extra, "--userdict", userdict, db=seed_copy).exit_code == 0


def test_rjieba_agrees_with_jieba_on_the_seeds(seed_db):
    """The default engine against jieba itself, paragraph by paragraph (measured, not assumed)."""
    db = sqlite_utils.Database(seed_db)
    fast, slow = Segmenter(engine="rjieba"), Segmenter(engine="jieba")
    paragraphs = [p for (body,) in db.execute("select body from articles") for p in body.split("\n") if p.strip()]
    same = sum([w for w, _ in fast.tag(p)] == [w for w, _ in slow.tag(p)] for p in paragraphs)
    agreement = same / len(paragraphs)
    print(f"rjieba = jieba on {same}/{len(paragraphs)} seed paragraphs ({agreement:.1%})")
    assert agreement >= 0.95


def test_rjieba_segmenter_loads_one_dictionary_and_cuts_as_the_package_does(monkeypatch):
    """The Segmenter takes rjieba's class from its compiled module, without the package's own
    Jieba (a second dictionary loaded for nothing), and cuts as a Jieba of the package does;
    where the module is not found, it imports the package."""
    code = (
        "import sys, json\n"
        "from zzcorpus.segment import DEFAULT_USERDICT, Segmenter\n"
        "seg = Segmenter(userdicts=[str(DEFAULT_USERDICT)])\n"
        "before = 'rjieba' in sys.modules\n"
        "text = sys.stdin.read()\n"
        "words = [seg.tag(p) for p in text.split('\\n')]\n"
        "import rjieba\n"
        "print(json.dumps([before, rjieba.Jieba is type(seg._jieba), words]))\n"
    )
    text = SEED_PAGES[2].read_text(encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True)
    package_imported, same_class, words = json.loads(out.stdout)
    assert not package_imported and same_class
    import rjieba

    from zzcorpus import segment
    from zzcorpus.segment import DEFAULT_USERDICT
    reference = Segmenter(userdicts=[str(DEFAULT_USERDICT)])
    assert words == [[list(t) for t in reference.tag(p)] for p in text.split("\n")]
    assert sum(map(len, words)) > 1000

    monkeypatch.delitem(sys.modules, segment.RJIEBA_MODULE)
    monkeypatch.setattr(segment.importlib.util, "find_spec", lambda name: None)  # no module found: the package
    assert segment._rjieba_class() is rjieba.Jieba


def test_the_ingest_command_keeps_freed_memory_for_its_next_arrays(monkeypatch, tmp_path):
    # Measured in fresh processes: page faults of a 48 MB array made and freed three times.
    code = ("import resource, sys, numpy as np\n"
            "from zzcorpus.ingest import keep_freed_memory\n"
            "kept = sys.argv[1] == 'kept' and keep_freed_memory()\n"
            "faults = []\n"
            "for _ in range(3):\n"
            "    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "    a = np.ones(48 << 20, dtype=np.uint8); del a\n"
            "    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
            "print(kept, *faults)")
    runs = {how: subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True)
            .stdout.split() for how in ("kept", "default")}
    kept, *faults = runs["kept"]
    faults = [int(f) for f in faults]
    if platform.libc_ver()[0] != "glibc":  # another C library keeps its own ways
        assert kept == "False"
    else:
        assert kept == "True"
        assert faults[0] > 100 and all(f < faults[0] // 10 for f in faults[1:])  # its pages are reused
        faults = [int(f) for f in runs["default"][1:]]
        assert all(f > faults[0] // 2 for f in faults[1:])  # faulted in again each time
    calls = []
    monkeypatch.setattr("zzcorpus.ingest.keep_freed_memory", lambda: calls.append(1))
    assert ingest(SEED_PAGES[3], db=tmp_path / "c.db").exit_code == 0
    assert calls == [1]


def test_a_command_starts_no_linear_algebra_threads():
    # numpy's OpenBLAS starts a thread per core when it loads, which spins after the import; a
    # command does no dense linear algebra. Counted in a fresh process, without the caller's setting.
    code = ("import os\n"
            "import zzcorpus.cli, numpy\n"
            "tasks = '/proc/self/task'\n"
            "print(len(os.listdir(tasks)) if os.path.isdir(tasks) else -1, os.environ.get('OPENBLAS_NUM_THREADS'))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    threads, setting = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      env=env).stdout.split()
    assert setting == "1"
    if threads != "-1":  # a system that lists a process's threads
        assert threads == "1"


def test_jieba_engine_is_one_flag_away(tmp_path):
    db_path = tmp_path / "j.db"
    assert ingest(SEED_PAGES[3], "--engine", "jieba", db=db_path).exit_code == 0
    db = sqlite_utils.Database(db_path)
    assert dict(db.execute("select key, value from meta").fetchall())["segmenter"] == "jieba"
    result = ingest(SEED_PAGES[4], "--engine", "rjieba", db=db_path)
    assert result.exit_code == 1 and "--engine jieba" in result.stderr


def test_a_v1_database_is_migrated_to_one_tag_per_word(tmp_path):
    """v1 kept a tag per token (title_pos/body_pos) and (word, tag) tallies in vocab_pos."""
    db_path = tmp_path / "v1.db"
    assert ingest(SEED_PAGES[3], db=db_path).exit_code == 0
    db = make_v2(db_path)
    words = [r[0] for r in db.execute("select word from vocab order by word limit 2")]
    with db.conn:  # rebuild v1's shape by hand
        db.execute("alter table articles add column title_pos text")
        db.execute("alter table articles add column body_pos text")
        db.execute("create table vocab_pos (word text, pos text, count integer, primary key (word, pos)) without rowid")
        db.execute("insert into vocab_pos select word, 'x', 1 from vocab")
        db.execute("insert into vocab_pos values (?, 'n', 5), (?, 'v', 0)", words)
        db.execute("insert into vocab (word, pos, is_word) values ('旧词', 'n', 1)")
        db.execute("insert into vocab_pos values ('旧词', 'n', 0)")  # its articles were replaced
        db.execute("pragma user_version = 1")
    assert ingest(SEED_PAGES[3], db=db_path).exit_code == 0  # nothing new to read; migrates
    assert db.execute("pragma user_version").fetchone()[0] == len(MIGRATIONS)
    assert "title_pos" not in db["articles"].columns_dict and not db["vocab_pos"].exists()
    pos = dict(db.execute("select word, pos from vocab").fetchall())
    assert pos[words[0]] == "n" and pos[words[1]] == "x" and "旧词" not in pos
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def schema(db_path):
    return sorted(sqlite_utils.Database(db_path).execute(
        "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%'").fetchall())


def test_a_v2_database_gets_the_word_index_and_gives_the_same_reports(tmp_path):
    """A corpus made before the word index: reading commands name the upgrade; `zzcorpus index`
    builds the index from the stored tokens; schema and reports are then those of a new file."""
    fresh = tmp_path / "fresh.db"
    assert ingest(*SEED_PAGES[:3], "--source", "枣庄日报", "--date", "2024-03-19", db=fresh).exit_code == 0
    assert ingest(*SEED_PAGES[3:], "--source", "大众日报", "--date", "2024-06-10", db=fresh).exit_code == 0
    old = tmp_path / "old.db"
    old.write_bytes(fresh.read_bytes())
    make_v2(old)
    result = CliRunner().invoke(cli, ["freq", "--db", str(old)])
    assert result.exit_code == 1 and "zzcorpus index" in result.stderr and "Traceback" not in result.output
    assert CliRunner().invoke(cli, ["index", "--db", str(old)]).exit_code == 0
    assert schema(old) == schema(fresh)
    check_index(sqlite_utils.Database(old))
    for args in (["freq", "--top", "50"], ["freq", "--by", "source"], ["cooc", "项目", "--window", "sentence"],
                 ["keyness", "--source", "枣庄日报"], ["trend", "项目"], ["ngrams", "--n", "3"],
                 ["search", "项目 OR 枣庄", "--limit", "0"]):
        got = [CliRunner().invoke(cli, [*args, "--db", str(db), "--json"]) for db in (old, fresh)]
        assert got[0].exit_code == 0 and got[0].stdout == got[1].stdout


def test_a_segmenter_that_forgets_gives_the_same_counts_and_vocab(seed_db, tmp_path, monkeypatch):
    """The segmenter's token memory is bounded; starting afresh mid-run changes nothing stored."""
    from zzcorpus import segment

    monkeypatch.setattr(segment, "TOKEN_MEMORY", 50)
    db_path = tmp_path / "forgetful.db"
    assert ingest(SEEDS, "--batch-mb", "0.01", db=db_path).exit_code == 0
    query = ["select word, pos, is_word, freq, docs from lexicon order by word", "select * from word_periods order by 1, 2, 3"]
    for sql in query:
        assert sqlite_utils.Database(db_path).execute(sql).fetchall() == sqlite_utils.Database(seed_db).execute(sql).fetchall()


def test_a_chunk_learns_the_tags_that_paragraphs_cut_one_by_one_learn():
    """segment_articles tags, once per chunk, each new token (on its own, or in the first
    paragraph holding it when the engine cuts it otherwise alone): the same tags as cutting
    paragraph by paragraph, and as the engine gives each token tagging whole paragraphs."""
    from zzcorpus.segment import segment_articles

    texts = [(page.read_text(encoding="utf-8")[:400], page.read_text(encoding="utf-8")) for page in SEED_PAGES]
    one_by_one, chunk = Segmenter(), Segmenter()
    expected = [(title, body) for title, body in (
        ("\n".join(" ".join(one_by_one.cut(p)) for p in t.split("\n") if p.strip()),
         "\n".join(" ".join(one_by_one.cut(p)) for p in b.split("\n") if p.strip())) for t, b in texts)]
    segs, paragraphs, vocab = segment_articles(chunk, texts)
    assert segs == expected
    assert chunk.tags == one_by_one.tags and len(chunk.tags) > 1000
    engine = Segmenter()
    in_paragraphs = {}
    for title, body in texts:
        for p in (title + "\n" + body).split("\n"):
            for w, pos in engine.tag(p):
                in_paragraphs.setdefault(w, pos)
    tokens = {w for article in paragraphs for words in article for w in words}
    assert vocab == list(dict.fromkeys(w for article in paragraphs for words in article for w in words))
    assert {w: chunk.tags[w] for w in tokens} == {w: in_paragraphs[w] for w in tokens}
    alone_otherwise = [w for w in tokens if engine._tag_word(w) is None]  # tagged in their paragraph
    assert "两国" in alone_otherwise and chunk.tags["两国"] == "ns"
    assert [w for article in paragraphs for words in article for w in words] == \
        [w for title, body in segs for part in (title, body) for line in part.split("\n") if line for w in line.split(" ")]


def test_a_token_the_tagger_does_not_return_still_gets_a_tag():
    segmenter = Segmenter()
    segmenter._tag = lambda text: []  # as if tag and cut ever cut differently
    segmenter._tag_word = lambda word: None  # and every word were cut otherwise on its own
    assert segmenter.cut("锂电池项目，开工") == ["锂电池", "项目", "，", "开工"]
    assert segmenter.tags == {"锂电池": "x", "项目": "x", "，": "x", "开工": "x"}


def test_pending_postings_the_pool_cannot_see_are_never_deleted(seed_copy):
    """At the end of an ingest the pool's processes read the pending blocks by connections of
    their own, which see committed rows only: a block pending in the caller's open transaction
    (which ingest never leaves) stops the move before anything is deleted."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    from zzcorpus import index

    db = sqlite_utils.Database(seed_copy)
    before = db.execute("SELECT COUNT(*), SUM(n) FROM postings").fetchone()
    word, article = db.execute("SELECT word_id, first FROM postings LIMIT 1").fetchone()
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO postings_pending (batch, word_id, n, block) VALUES (?, ?, 1, ?)",
                   [10**9, word, np.array([article, 1], dtype="<u4").tobytes()])
        with pytest.raises(RuntimeError, match="0 pending postings read, 1 pending"):
            index.move_pending_postings(db, pool=pool)
        assert db.execute("SELECT COUNT(*) FROM postings_pending").fetchone()[0] == 1
        db.conn.rollback()
        db.conn.execute("BEGIN IMMEDIATE")  # committed, the same block is moved
        db.execute("INSERT INTO postings_pending (batch, word_id, n, block) VALUES (?, ?, 1, ?)",
                   [10**9, word, np.array([article + 10**6, 1], dtype="<u4").tobytes()])
        db.conn.commit()
        db.conn.execute("BEGIN IMMEDIATE")
        index.move_pending_postings(db, pool=pool)
        db.conn.commit()
    finally:
        pool.shutdown()
    assert db.execute("SELECT COUNT(*) FROM postings_pending").fetchone()[0] == 0
    assert db.execute("SELECT SUM(n) FROM postings").fetchone()[0] == before[1] + 1
    assert index.postings(db, word)[0][-1] == article + 10**6


def test_worker_processes_store_what_one_process_stores(seed_db, tmp_path, monkeypatch):
    """Workers prepare the batches, and at the end decode, count and encode the pending postings
    (here a few words at a time)."""
    from zzcorpus import index

    monkeypatch.setattr(index, "MOVED_AT_ONCE", 50)
    db_path = tmp_path / "parallel.db"
    assert ingest(SEEDS, "--jobs", "2", "--batch-mb", "0.05", db=db_path).exit_code == 0
    assert content(db_path) == content(seed_db)
    check_index(sqlite_utils.Database(db_path))
    for sql in ["select word, pos, is_word, freq, docs from lexicon order by word", "select * from word_periods order by 1, 2, 3"]:
        assert sqlite_utils.Database(db_path).execute(sql).fetchall() == sqlite_utils.Database(seed_db).execute(sql).fetchall()


def test_a_worker_that_dies_stops_the_ingest_which_a_second_run_completes(seed_db, tmp_path, monkeypatch):
    """A worker killed (for lack of memory, say) ends the command with one line instead of a wait
    for ever; the batches before it stay stored, and the same command again completes the corpus."""
    from zzcorpus import ingest as ingesting

    writer, prepare = os.getpid(), ingesting.prepare_record

    def dying(record, meta):  # runs in the worker: a forked copy of this module
        if os.getpid() != writer and Path(record.path).name.startswith("003"):
            os._exit(9)
        return prepare(record, meta)

    monkeypatch.setattr(ingesting, "prepare_record", dying)
    db_path = tmp_path / "c.db"

    def waited_for_ever(*_):
        raise TimeoutError("still waiting for the dead worker's chunk")

    before = signal.signal(signal.SIGALRM, waited_for_ever)
    signal.alarm(60)
    try:
        result = ingest(SEEDS, "--jobs", "2", "--batch-mb", "0.05", db=db_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
    assert result.exit_code == 1 and "worker process ended" in result.stderr
    stored = [Path(p).name[:3] for (p,) in sqlite_utils.Database(db_path).execute("select path from documents")]
    assert "000" in stored and "003" not in stored
    monkeypatch.undo()
    assert ingest(SEEDS, "--jobs", "2", "--batch-mb", "0.05", db=db_path).exit_code == 0
    assert content(db_path) == content(seed_db)
    check_index(sqlite_utils.Database(db_path))


def test_a_worker_copies_the_log_into_the_file_while_the_writer_works(seed_copy, tmp_path):
    """ingest._copy_log, which a worker runs as the end's work begins: the committed pages reach
    the database file itself, with the writer's next transaction open all the while."""
    import shutil
    import sqlite3

    from zzcorpus.ingest import _copy_log

    db = sqlite_utils.Database(seed_copy)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    with db.conn:
        db.execute("INSERT INTO meta (key, value) VALUES ('copied', 'yes')")

    def in_the_file_alone():
        alone = tmp_path / "alone.db"
        shutil.copy(seed_copy, alone)  # without its -wal
        return sqlite3.connect(alone).execute("SELECT value FROM meta WHERE key = 'copied'").fetchall()

    assert in_the_file_alone() == []
    db.conn.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO meta (key, value) VALUES ('later', 'x')")
    _copy_log(str(seed_copy))
    assert in_the_file_alone() == [("yes",)]
    db.conn.rollback()


def test_workers_prepare_at_a_lower_priority_than_the_writer(tmp_path, monkeypatch):
    """The writer's time is the ingest's when the processes share too few cores: the workers
    yield to it."""
    from zzcorpus import ingest as ingesting

    seen = tmp_path / "priorities"
    prepare = ingesting.prepare_record

    def noting(record, meta):  # runs in the worker: a forked copy of this module
        with open(seen, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {os.nice(0)}\n")
        return prepare(record, meta)

    monkeypatch.setattr(ingesting, "prepare_record", noting)
    assert ingest(SEEDS, "--jobs", "2", "--batch-mb", "0.05", db=tmp_path / "c.db").exit_code == 0
    workers = {tuple(map(int, line.split())) for line in seen.read_text(encoding="utf-8").splitlines()}
    assert workers and os.getpid() not in {pid for pid, _ in workers}
    assert {nice for _, nice in workers} == {min(19, os.nice(0) + ingesting.WORKER_NICENESS)} != {os.nice(0)}


def test_a_worker_chunk_of_files_without_articles_moves_no_other_article(seed_db, tmp_path, monkeypatch):
    """Two workers, a chunk each: a chunk of files without articles (here two empty pages)
    before the others' once made the batch's articles one more than its index rows."""
    from zzcorpus import ingest as ingesting

    src = tmp_path / "in"
    src.mkdir()
    for name in ("0000_empty_a.txt", "0000_empty_b.txt"):
        (src / name).write_bytes(b"")
    for seed in SEED_PAGES:
        (src / seed.name).write_bytes(seed.read_bytes())
    chunks = tmp_path / "chunks"
    segment = ingesting.segment

    def noting(articles):  # once a chunk, in the worker: a forked copy of this module
        with open(chunks, "a", encoding="utf-8") as f:
            f.write(f"{len(articles)}\n")
        return segment(articles)

    monkeypatch.setattr(ingesting, "segment", noting)
    db_path = tmp_path / "parallel.db"
    result = ingest(src, "--jobs", "2", "--batch-mb", "0.02", db=db_path)
    assert result.exit_code == 0, result.output
    assert "0" in chunks.read_text(encoding="utf-8").split()  # the case: a chunk of no articles
    assert [(Path(p).name, *rest) for p, *rest in content(db_path)] == [(Path(p).name, *rest) for p, *rest in content(seed_db)]
    check_index(sqlite_utils.Database(db_path))


def test_older_corpus_gets_every_printed_field_indexed_and_its_headlines_counted_on_resegment(seed_copy):
    """A v4 corpus indexed title and body only, and counted only the title's words."""
    db = sqlite_utils.Database(seed_copy)
    his = {i for (i,) in db.execute("SELECT a.id FROM articles a, json_each(a.bylines) j WHERE j.value = '张环泽'")}
    with db.conn:  # v4's character index
        db.execute("DROP TABLE articles_chars_fts")
        db.execute("CREATE VIRTUAL TABLE articles_chars_fts USING fts5(title, body, content='')")
        db.execute("PRAGMA user_version = 4")
    runner = CliRunner()
    old = runner.invoke(cli, ["search", "张环泽", "--db", str(seed_copy)])
    assert old.exit_code == 1 and "zzcorpus index" in old.stderr and old.stderr.count("\n") == 1
    assert runner.invoke(cli, ["index", "--db", str(seed_copy)]).exit_code == 0
    assert db.execute("pragma user_version").fetchone()[0] == len(MIGRATIONS)
    found = runner.invoke(cli, ["search", "张环泽", "--db", str(seed_copy), "--json", "--limit", "0"])
    assert {r["article_id"] for r in json.loads(found.stdout)} == his
    # kickers and subtitles join the counts when the text is segmented again; until then, a note
    assert db.execute("SELECT value FROM meta WHERE key = 'headline_tokens'").fetchone() == ("title",)
    assert "resegment" in runner.invoke(cli, ["freq", "--db", str(seed_copy)]).stderr
    assert runner.invoke(cli, ["resegment", "--db", str(seed_copy)]).exit_code == 0
    assert "resegment" not in runner.invoke(cli, ["freq", "--db", str(seed_copy)]).stderr
    check_index(db)
    # articles replaced later leave the index as they entered it (all six fields)
    assert ingest(SEED_PAGES[3], "--force", db=seed_copy).exit_code == 0
    assert db.execute("SELECT COUNT(*) FROM articles_chars_fts WHERE articles_chars_fts MATCH '\"张 环 泽\"'"
                      ).fetchone()[0] == len(his)
    check_index(db)


def test_pages_freed_by_a_replacing_ingest_leave_the_file(tmp_path):
    """A new file is made with auto_vacuum = incremental; an ingest that replaces a file's
    articles gives the pages it freed back, and the corpus stays whole."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in SEED_PAGES[:3]:
        (pages / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    db_path = tmp_path / "c.db"
    assert ingest(pages, db=db_path).exit_code == 0
    changed = pages / SEED_PAGES[0].name
    changed.write_text(changed.read_text(encoding="utf-8")[: len(changed.read_text(encoding="utf-8")) // 3],
                       encoding="utf-8")
    assert ingest(pages, db=db_path).exit_code == 0
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    assert db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check_index(db)


def test_whole_corpus_reports_read_the_stored_sum_of_the_groups(seed_db, tmp_path, monkeypatch):
    """corpus_counts holds what the groups add up to; reports on the whole corpus read it while
    no writer is unfinished, the groups otherwise, with the same numbers; a v9 database reads the
    groups until a writing command adds the table."""
    import numpy as np

    from zzcorpus import index

    path = tmp_path / "two.db"
    assert ingest(*SEED_PAGES[:3], "--source", "枣庄日报", "--date", "2024-03-19", db=path).exit_code == 0
    assert ingest(*SEED_PAGES[3:], "--source", "大众日报", "--date", "2024-06-10", db=path).exit_code == 0
    db = sqlite_utils.Database(path)
    groups = [g for (g,) in db.execute("SELECT id FROM groups")]
    summed = index.Counts.merge([index.group_counts(db, g) for g in groups])

    def same(a, b):
        return (np.array_equal(a.word, b.word) and all(np.array_equal(a.stats[k], b.stats[k]) for k in a.stats)
                and all(getattr(a, k) == getattr(b, k) for k in index.Counts.SIZES))

    read = []
    real = index.corpus_counts
    monkeypatch.setattr(index, "corpus_counts", lambda db: read.append(real(db)) or read[-1])

    def reports():
        out = []
        for args in (["cooc", "发展", "--window", "sentence"], ["keyness", "--source", "枣庄日报"], ["freq", "--top", "30"]):
            result = CliRunner().invoke(cli, [*args, "--json", "--db", str(path)])
            assert result.exit_code == 0, result.output
            out.append(json.loads(result.stdout))
        return out

    assert len(groups) > 1 and same(real(db), summed)
    stored = reports()
    assert read and all(r is not None for r in read)
    with db.conn:  # a writer between two batches: its groups are dirty until it finishes
        db.execute("UPDATE groups SET dirty = 1 WHERE id = ?", [groups[0]])
    read.clear()
    assert reports() == stored and read and all(r is None for r in read)
    with db.conn:  # sizes the groups no longer add up to (a writer that never finished)
        db.execute("UPDATE groups SET dirty = 0")
        db.execute("UPDATE corpus_counts SET tokens = tokens + 1")
    assert real(db) is None and reports() == stored
    with db.conn:  # a v9 database
        db.execute("DROP TABLE corpus_counts")
        db.execute("PRAGMA user_version = 9")
    assert real(db) is None and reports() == stored
    assert ingest(SEED_PAGES[0], db=path).exit_code == 0  # nothing new to read; migrates
    assert db.execute("pragma user_version").fetchone()[0] == len(MIGRATIONS)
    assert same(real(db), summed) and schema(path) == schema(seed_db)
    check_index(db)
