"""Nothing lost, nothing hung, nothing mislabelled: two writers, a killed first ingest, a reader
at the end of ingest, hostile archives and files, bad records, runaway queries, --save under a
lock, files that are not ours to write."""

import gzip
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner
from conftest import SEED_PAGES, check_index, ingest

from zzcorpus.cli import cli
from zzcorpus.counting import is_word
from zzcorpus.filters import read_stopwords

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNAWAY = "(WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r) > 0"


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def zzcorpus_process(*args, **kw):
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.Popen([sys.executable, "-m", "zzcorpus", *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def many_pages(folder, n, *, tag=""):
    """n page files made from the seed pages, each with its own first line (none unchanged)."""
    folder.mkdir()
    for i in range(n):
        page = SEED_PAGES[i % len(SEED_PAGES)].read_text(encoding="utf-8")
        (folder / f"p{tag}{i:03}.txt").write_text(f"第{i}期{tag}\n\n{page}", encoding="utf-8")
    return folder


def rows_of(db_path, sql, params=()):
    return sqlite_utils.Database(db_path).execute(sql, params).fetchall()


def wait_for_documents(db_path, at_least, *, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if db_path.exists():
            try:
                if rows_of(db_path, "select count(*) from documents")[0][0] >= at_least:
                    return
            except sqlite3.Error:  # the schema may not exist yet
                pass
        time.sleep(0.02)
    raise AssertionError("the other process never stored anything")


# --- two writers ------------------------------------------------------------------------------

def test_resegment_during_an_ingest_ends_in_one_consistent_corpus(tmp_path):
    db_path = tmp_path / "corpus.db"
    word = "集中开工"
    userdict = tmp_path / "new.txt"
    userdict.write_text(f"{word} 100 v\n", encoding="utf-8")
    src = many_pages(tmp_path / "pages", 150)
    ingesting = zzcorpus_process("ingest", src, "--db", db_path, "--batch-mb", "0.02", "--jobs", "1")
    wait_for_documents(db_path, 5)
    resegmenting = zzcorpus_process("resegment", "--userdict", userdict, "--db", db_path)
    _, reseg_err = resegmenting.communicate(timeout=120)
    _, ingest_err = ingesting.communicate(timeout=120)
    assert resegmenting.returncode == 0, reseg_err
    # The ingest either fitted in before the resegment, or stopped with one line when it met it.
    if ingesting.returncode:
        assert "another user dictionary" in ingest_err and len(ingest_err.strip().splitlines()) == 1
    db = sqlite_utils.Database(db_path)
    meta = dict(db.execute("select key, value from meta"))
    assert word in meta["userdict_text"]
    # Every article holding the word was cut with the dictionary meta names: the word is one token.
    cut = [body_seg for body, body_seg in db.execute("select body, body_seg from articles") if word in body]
    assert cut and all(f" {word} " in f" {s.replace(chr(10), ' ')} " for s in cut)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    check_index(db)


def test_two_ingests_with_different_engines_never_mix_them(tmp_path):
    db_path = tmp_path / "corpus.db"
    first = many_pages(tmp_path / "a", 60, tag="a")
    second = many_pages(tmp_path / "b", 60, tag="b")
    procs = {engine: zzcorpus_process("ingest", folder, "--db", db_path, "--engine", engine, "--batch-mb", "0.02",
                                      "--jobs", "1")
             for engine, folder in (("jieba", first), ("rjieba", second))}
    done = {engine: (p.communicate(timeout=180), p.returncode) for engine, p in procs.items()}
    winners = [engine for engine, (_, code) in done.items() if code == 0]
    assert len(winners) == 1, done  # the other met the first one's articles and said so
    loser = ({"jieba", "rjieba"} - set(winners)).pop()
    (_, err), _ = done[loser]
    assert f"segmented with {winners[0]}" in err and len(err.strip().splitlines()) == 1
    meta = dict(rows_of(db_path, "select key, value from meta"))
    assert meta["segmenter"] == winners[0]
    folder = "a" if winners[0] == "jieba" else "b"
    paths = [p for (p,) in rows_of(db_path, "select path from documents")]
    assert len(paths) == 60 and all(f"/{folder}/" in p for p in paths)  # nothing of the refused run
    check_index(sqlite_utils.Database(db_path))


def test_a_second_writer_waits_then_says_who_holds_the_file(seed_copy):
    holder = sqlite3.connect(seed_copy, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        result = run("ingest", SEED_PAGES[0], "--force", "--db", seed_copy, "--wait", "0.3")
        assert result.exit_code == 1 and time.monotonic() - started < 10
        assert f"another zzcorpus process is writing to {seed_copy}" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        holder.rollback()
        holder.close()
    assert run("ingest", SEED_PAGES[0], "--force", "--db", seed_copy).exit_code == 0


# --- a killed first ingest --------------------------------------------------------------------

def freq_rows(db_path, *args):
    result = run("freq", "--db", db_path, "--top", "40", "--json", *args)
    assert result.exit_code == 0, result.output + result.stderr
    return [{k: r[k] for k in ("word", "count", "doc_count")} for r in json.loads(result.stdout)]


def test_a_killed_first_ingest_leaves_meta_and_fast_right_reports(tmp_path):
    src = many_pages(tmp_path / "pages", 150)
    db_path = tmp_path / "corpus.db"
    proc = zzcorpus_process("ingest", src, "--db", db_path, "--batch-mb", "0.02", "--jobs", "1")
    wait_for_documents(db_path, 10)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = sqlite_utils.Database(db_path)
    stored = db.execute("select count(*) from documents").fetchone()[0]
    assert 10 <= stored < 150, "the run should have been killed midway"
    meta = dict(db.execute("select key, value from meta"))
    assert meta["segmenter"] == "rjieba" and meta["stopwords"] and meta["userdict_sha256"]
    info = json.loads(run("info", "--db", db_path, "--json").stdout)[0]
    assert info["segmenter"] == "rjieba" and info["articles"] > 0
    # freq right after the kill: stopwords left out (from meta) and the counts of what is stored.
    started = time.monotonic()
    rows = freq_rows(db_path)
    assert time.monotonic() - started < 10
    stop = read_stopwords(meta["stopwords"])
    counts, docs = Counter(), Counter()
    for title_seg, body_seg in db.execute("select title_seg, body_seg from report_articles"):
        words = [w for w in f"{title_seg or ''} {body_seg or ''}".split() if is_word(w)]
        counts.update(words)
        docs.update(set(words))
    assert rows and not {r["word"] for r in rows} & stop
    assert all(r["count"] == counts[r["word"]] and r["doc_count"] == docs[r["word"]] for r in rows)
    # Another engine may no longer join the articles already stored; the next ingest completes.
    other = ingest(src, "--engine", "jieba", db=db_path)
    assert other.exit_code == 1 and "segmented with rjieba" in other.stderr
    assert ingest(src, db=db_path).exit_code == 0
    assert db.execute("select count(*) from documents").fetchone()[0] == 150
    check_index(db)


# --- the end of ingest: corpus.db complete on its own ------------------------------------------

def test_a_reader_at_the_end_of_ingest_is_named_and_checkpoint_finishes(seed_copy, tmp_path):
    before = rows_of(seed_copy, "select count(*) from articles")[0][0]
    reader = sqlite3.connect(seed_copy, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("select count(*) from articles").fetchone()  # a page being served: a read snapshot
    more = many_pages(tmp_path / "more", 3)
    result = ingest(more, "--wait", "0.3", db=seed_copy)
    assert result.exit_code == 1, result.output + result.stderr
    assert f"zzcorpus checkpoint --db {seed_copy}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    after = rows_of(seed_copy, "select count(*) from articles")[0][0]
    assert after > before
    alone = tmp_path / "alone.db"
    shutil.copy(seed_copy, alone)  # what a person copying the one file gets now: not the new articles
    assert rows_of(alone, "select count(*) from articles")[0][0] == before
    reader.rollback()
    reader.close()
    done = run("checkpoint", "--db", seed_copy)
    assert done.exit_code == 0, done.output + done.stderr
    alone.unlink()
    shutil.copy(seed_copy, alone)
    assert rows_of(alone, "select count(*) from articles")[0][0] == after


def test_each_command_closes_its_database_so_the_file_stands_alone(seed_copy):
    """A command's connection closes when it ends (the last one to close folds the log into
    corpus.db and removes corpus.db-wal and -shm), also when it stops with a message; a process
    leaves no connection to its exit."""
    sidecars = [Path(f"{seed_copy}-wal"), Path(f"{seed_copy}-shm")]
    for args in (["freq", "--top", "5"], ["search", "锂电"], ["freq", "--from", "2024-02-30"], ["info"]):
        result = run(*args, "--db", seed_copy)
        assert result.exit_code == (2 if "--from" in args else 0), result.output + result.stderr
        assert not any(p.exists() for p in sidecars), args
    assert ingest(SEED_PAGES[0], "--force", db=seed_copy).exit_code == 0
    assert not any(p.exists() for p in sidecars)


# --- hostile archives and files ----------------------------------------------------------------

def peak_rss_mb(*args) -> tuple[int, float, str]:
    """Run zzcorpus in a child process: (exit status, its peak resident memory in MB, stderr)."""
    proc = zzcorpus_process(*args)
    err = proc.stderr.read()
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, err


def test_zip_and_gzip_bombs_are_skipped_within_bounded_memory(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEED_PAGES[0], src / SEED_PAGES[0].name)
    zeros = bytes(1 << 20)
    with gzip.open(src / "bomb.txt.gz", "wb", compresslevel=9) as f:
        for _ in range(400):  # 400 MB of zeros in about 400 KB
            f.write(zeros)
    with zipfile.ZipFile(src / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("page.txt", "w", force_zip64=True) as f:
            for _ in range(400):
                f.write(zeros)
        z.writestr("good.txt", SEED_PAGES[1].read_text(encoding="utf-8"))
    assert (src / "bomb.zip").stat().st_size < 2 << 20
    db_path = tmp_path / "corpus.db"
    code, peak, err = peak_rss_mb("ingest", src, "--db", db_path)
    baseline_code, baseline, _ = peak_rss_mb("ingest", SEED_PAGES[0], "--db", tmp_path / "baseline.db")
    assert code == 1 and baseline_code == 0
    assert "bomb.txt.gz: expands to more than 3" in err  # 100 times the 390 KB it is
    assert "MB, over the limit on the archive's expansion ratio" in err and "bomb.zip/page.txt: expands to 400 MB, over the limit on the archive's expansion ratio" in err
    assert peak < baseline + 150, (peak, baseline)  # 400 MB never expanded
    paths = {os.path.basename(p) for (p,) in rows_of(db_path, "select path from documents")}
    assert paths == {SEED_PAGES[0].name, "good.txt"}


def test_member_size_limit_and_nesting_depth(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    page = SEED_PAGES[2].read_bytes()
    with zipfile.ZipFile(src / "one.zip", "w") as z:
        z.writestr("big.txt", page)
    data = page
    name = "deep.txt"
    for level in range(60):  # an archive nested 60 deep (1,500 would do the same: it is never walked)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(name, data)
        data, name = buffer.getvalue(), f"level{level}.zip"
    (src / "deep.zip").write_bytes(data)
    shutil.copy(SEED_PAGES[0], src / SEED_PAGES[0].name)
    db_path = tmp_path / "corpus.db"
    result = ingest(src, db=db_path)
    assert result.exit_code == 1
    assert "deep.zip/level58.zip/level57.zip/level56.zip/level55.zip: archive nested more than 4 deep" in result.stderr
    assert {os.path.basename(p) for (p,) in rows_of(db_path, "select path from documents")} == {
        SEED_PAGES[0].name, "big.txt"}
    small_db = tmp_path / "small.db"
    small = ingest(src / "one.zip", "--max-member-mb", str(len(page) / 2**20 / 2), db=small_db)
    assert small.exit_code == 1
    assert f"one.zip/big.txt: expands to {len(page) / 2**20:.3g} MB, over the limit on member size" in small.stderr
    assert rows_of(small_db, "select count(*) from documents")[0][0] == 0
    assert ingest(src / "one.zip", "--max-member-mb", "1", db=small_db).exit_code == 0  # a raised limit reads it
    assert rows_of(small_db, "select count(*) from documents")[0][0] == 1

def test_links_fifos_odd_names_and_bad_records_are_skipped_and_the_rest_stored(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEED_PAGES[0], src / SEED_PAGES[0].name)
    os.symlink(src / "gone.txt", src / "dangling.txt")
    os.symlink(src / "loop_b.txt", src / "loop_a.txt")
    os.symlink(src / "loop_a.txt", src / "loop_b.txt")
    os.mkfifo(src / "pipe.txt")
    with open(os.path.join(os.fsencode(src), b"\xff\xfebad.txt"), "wb") as f:
        f.write(SEED_PAGES[1].read_bytes())
    good = SEED_PAGES[2].read_text(encoding="utf-8")
    lines = [json.dumps({"title": "第一条", "text": good}, ensure_ascii=False),
             '{"title": "坏", "text": "\\ud800 孤立代理"}',
             '{"title": "断', json.dumps({"title": "没有正文"}, ensure_ascii=False),
             json.dumps({"title": "第五条", "text": "第五条的正文。" * 20}, ensure_ascii=False)]
    (src / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db_path = tmp_path / "corpus.db"
    result = CliRunner().invoke(cli, ["ingest", str(src), "--db", str(db_path), "--json"])
    assert result.exit_code == 1
    err = result.stderr
    assert f"{src}/dangling.txt: broken symbolic link" in err
    assert f"{src}/loop_a.txt: symbolic link loop" in err and f"{src}/loop_b.txt: symbolic link loop" in err
    assert f"{src}/\\xff\\xfebad.txt: file name is not UTF-8" in err
    assert "records.jsonl#2: field 'text' holds a lone surrogate (\\ud800)" in err
    assert "records.jsonl#3: invalid JSON" in err and "records.jsonl#4: no text field 'text'" in err
    assert json.loads(result.stdout)[0]["passed_over"] == "1 (fifo)"
    paths = sorted(os.path.basename(p) for (p,) in rows_of(db_path, "select path from documents"))
    assert paths == sorted([SEED_PAGES[0].name, "records.jsonl#1", "records.jsonl#5"])
    check_index(sqlite_utils.Database(db_path))


def test_a_changed_jsonl_replaces_all_its_records(tmp_path):
    records = [{"title": f"第{i}条", "text": f"独有词{'甲乙丙丁戊'[i]}语料在此。" + "测试正文。" * 30} for i in range(5)]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    db_path = tmp_path / "corpus.db"
    assert ingest(path, db=db_path).exit_code == 0
    assert len(rows_of(db_path, "select id from documents")) == 5
    kept = [records[0], records[2], records[4]]  # lost two records, the rest unchanged
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in kept) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    row = json.loads(result.stdout)[0]
    # Records are named by line: lines 2 and 3 now hold other records, lines 4 and 5 are gone.
    assert row["removed"] == 2 and row["unchanged"] == 1 and row["replaced"] == 2 and row["new"] == 0
    paths = sorted(p.split("#")[1] for (p,) in rows_of(db_path, "select path from documents"))
    assert paths == ["1", "2", "3"]
    titles = sorted(t for (t,) in rows_of(db_path, "select title from articles"))
    assert titles == ["第0条", "第2条", "第4条"]
    hits = run("search", "独有词乙", "--db", db_path, "--count")
    assert hits.exit_code == 0 and hits.stdout.strip() == "0"
    check_index(sqlite_utils.Database(db_path))


# --- runaway queries ---------------------------------------------------------------------------

def test_a_runaway_where_stops_at_its_time_limit(seed_db):
    started = time.monotonic()
    result = run("freq", "--db", seed_db, "--where", RUNAWAY, "--timeout", "1")
    assert time.monotonic() - started < 10
    assert result.exit_code == 1 and "stopped after 1 s" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ctrl_c_stops_a_runaway_query_within_a_second(seed_db):
    proc = zzcorpus_process("freq", "--db", seed_db, "--where", RUNAWAY, "--timeout", "600")
    time.sleep(3)  # well into the query (start-up takes about a second)
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 1.5
    assert proc.returncode == 130 and err.strip() == "Error: interrupted (Ctrl-C)"


def test_a_where_that_closes_its_own_parenthesis_is_refused(seed_db):
    result = run("freq", "--db", seed_db, "--source", "枣庄日报", "--where", "1) OR (1")
    assert result.exit_code == 1 and "closes a parenthesis it did not open" in result.stderr
    quoted = run("freq", "--db", seed_db, "--where", "title NOT LIKE '%)%'", "--json")
    assert quoted.exit_code == 0, quoted.stderr


# --- --save under a lock; files that are not ours to write --------------------------------------

def test_save_that_meets_a_lock_still_prints_its_rows(seed_copy):
    holder = sqlite3.connect(seed_copy, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run("freq", "--db", seed_copy, "--top", "5", "--save", "top5", "--wait", "0.2", "--json")
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)) == 5
    assert "table top5 was not saved: another zzcorpus process is writing" in result.stderr
    assert "top5" not in sqlite_utils.Database(seed_copy).table_names()
    assert run("freq", "--db", seed_copy, "--top", "5", "--save", "top5").exit_code == 0
    assert sqlite_utils.Database(seed_copy)["top5"].count == 5


def test_a_newer_schema_is_refused_by_writing_commands(seed_copy):
    with sqlite3.connect(seed_copy) as conn:
        conn.execute("PRAGMA user_version = 99")
    tables = sqlite_utils.Database(seed_copy).table_names()
    for command in (["ingest", SEED_PAGES[0], "--force"], ["resegment"], ["index"]):
        result = run(*command, "--db", seed_copy)
        assert result.exit_code == 1 and "made by a newer zzcorpus (schema 99" in result.stderr, command
        assert len(result.stderr.strip().splitlines()) == 1
    assert sqlite_utils.Database(seed_copy).table_names() == tables



def test_a_huge_file_is_read_in_parts_and_replaced_whole(tmp_path, monkeypatch):
    from zzcorpus import readers

    monkeypatch.setattr(readers, "HUGE_CHARS", 20_000)  # the same code path as a 200 MB file, smaller
    monkeypatch.setattr(readers, "PART_CHARS", 8_000)
    text = "".join(p.read_text(encoding="utf-8").replace("\n", "") for p in SEED_PAGES)  # one line
    path = tmp_path / "oneline.txt"
    path.write_text(text, encoding="utf-8")
    db_path = tmp_path / "corpus.db"
    assert ingest(path, db=db_path).exit_code == 0
    parts = rows_of(db_path, "select path, raw from documents order by id")
    assert len(text) / 8_000 <= len(parts) <= 2 * len(text) / 8_000 + 1  # each cut past half a part
    assert [p for p, _ in parts] == [f"{path}#{i}" for i in range(1, len(parts) + 1)]
    assert "".join(raw for _, raw in parts) == text  # nothing lost, nothing doubled at the cuts
    assert all(len(raw) <= 8_000 for _, raw in parts)
    assert all(raw[-1] in readers.SENTENCE_ENDS for _, raw in parts[:-1])  # cut at sentence ends
    check_index(sqlite_utils.Database(db_path))
    # Shrunk below the threshold: one document again, the parts gone.
    path.write_text(text[:15_000], encoding="utf-8")
    assert ingest(path, db=db_path).exit_code == 0
    assert [p for p, _ in rows_of(db_path, "select path, raw from documents")] == [str(path)]
    check_index(sqlite_utils.Database(db_path))
