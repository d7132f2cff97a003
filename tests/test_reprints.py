"""Reprints: wire copy marked near_duplicate_of its first printing, left out of reports (kept
with --keep-duplicates), listed by `zzcorpus reprints`; MinHash as datasketch computes it."""

import json
import random
from datetime import date, timedelta

import numpy as np
import sqlite_utils
from click.testing import CliRunner
from conftest import check_index

from zzcorpus import index, ingest, reprints
from zzcorpus.cli import cli
from zzcorpus.filters import Filters
from zzcorpus.selection import Selection

PAPERS = ("枣庄日报", "大众日报", "齐鲁晚报")
EDITS = ("headline", "paragraph", "dateline", "characters", "all")


def seed_stories(seed_db, min_chars=150):
    """The seed news articles long enough to be told apart (bodies of 150+ characters)."""
    db = sqlite_utils.Database(seed_db)
    return [dict(r) for r in db.query(
        "SELECT id, title, body FROM articles WHERE kind = 'news' AND duplicate_of IS NULL "
        "AND length(body) >= ? ORDER BY id", [min_chars])]


def reprint(story, edit, rnd):
    """The story as another paper prints it: a new headline always, and one kind of change."""
    title = "（转载）" + story["title"][::-1]
    paras = story["body"].split("\n")
    if edit in ("paragraph", "all") and len(paras) > 1:
        del paras[rnd.randrange(1, len(paras))]
    if edit in ("dateline", "all"):
        paras[0] = "新华社济南电　" + paras[0][6:]
    text = list("\n".join(paras))
    if edit in ("characters", "all"):
        han = [i for i, c in enumerate(text) if "\u4e00" <= c <= "\u9fff"]
        for i in rnd.sample(han, len(text) // 20):  # 5% of the characters
            text[i] = chr(0x4E00 + rnd.randrange(0x5000))
    return title, "".join(text)


def wire_corpus(seed_db, tmp_path):
    """Every seed story printed first by one paper, then reprinted by the two others a few days
    later, each reprint with its own edits. Returns (records path, originals, reprints)."""
    rnd = random.Random(15)
    stories = seed_stories(seed_db)
    records, originals, copies = [], [], []
    for k, story in enumerate(stories):
        first = date(2024, 3, 1) + timedelta(days=k % 5)
        records.append({"title": story["title"], "text": story["body"], "source": PAPERS[k % 3],
                        "date": first.isoformat(), "story": k})
        originals.append(k)
        for j in (1, 2):
            title, text = reprint(story, EDITS[(k + j) % len(EDITS)], rnd)
            records.append({"title": title, "text": text, "source": PAPERS[(k + j) % 3],
                            "date": (first + timedelta(days=j + k % 2)).isoformat(), "story": k})
            copies.append(k)
    path = tmp_path / "wire.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return path, records


def ingest_records(path, db, *extra):
    result = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db), "--layout", "plain", *extra])
    assert result.exit_code == 0, result.output + result.stderr
    return sqlite_utils.Database(db)


def story_of(db, records):
    """article id -> the story it prints (records are stored in order, one article each)."""
    ids = [r[0] for r in db.execute("SELECT a.id FROM articles a JOIN documents d ON d.id = a.document_id "
                                     "ORDER BY d.id, a.seq")]
    assert len(ids) == len(records)
    return {i: r["story"] for i, r in zip(ids, records)}


def root(db, art):
    """The first printing an article is marked as a copy of (an identical body is a duplicate)."""
    parent = dict(db.execute("SELECT id, COALESCE(duplicate_of, near_duplicate_of) FROM articles "
                             "WHERE duplicate_of IS NOT NULL OR near_duplicate_of IS NOT NULL"))
    while art in parent:
        art = parent[art]
    return art


def test_reprints_found_and_no_distinct_story_marked(seed_db, tmp_path):
    path, records = wire_corpus(seed_db, tmp_path)
    db = ingest_records(path, tmp_path / "wire.db")
    story = story_of(db, records)
    firsts = {}
    for art, date_, marked in db.execute("SELECT id, date, near_duplicate_of FROM articles ORDER BY date, id"):
        firsts.setdefault(story[art], art)
    reprinted = [a for a in story if a not in firsts.values()]
    found = [a for a in reprinted if story[root(db, a)] == story[a] and root(db, a) != a]
    recall = len(found) / len(reprinted)
    assert len(reprinted) >= 40 and recall >= 0.95, recall
    # No first printing is marked, and nothing is ever pointed at another story.
    assert not db.execute(f"SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL AND id IN "
                          f"({','.join(map(str, firsts.values()))})").fetchone()[0]
    for art, other, sim in db.execute("SELECT id, near_duplicate_of, similarity FROM articles "
                                      "WHERE near_duplicate_of IS NOT NULL"):
        assert story[art] == story[other] and reprints.DEFAULT_SIMILARITY <= sim <= 1
    # Reports count each story once.
    assert db.execute("SELECT COUNT(*) FROM report_articles").fetchone()[0] == len(firsts) + len(reprinted) - len(found)
    near = db.execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL").fetchone()[0]
    assert near >= 0.5 * len(reprinted)  # most reprints changed their text: found by similarity, not identity
    check_index(db)


def test_distinct_seed_articles_are_never_alike(seed_db):
    stories = [reprints.shingles(s["body"]) for s in seed_stories(seed_db, min_chars=0)]
    stories = [s for s in stories if s.size >= reprints.MIN_SHINGLES]
    worst = max(reprints.containment(a, b) for i, a in enumerate(stories) for b in stories[i + 1:])
    assert worst < 0.3 < reprints.DEFAULT_SIMILARITY


def test_an_earlier_printing_ingested_later_becomes_the_first(seed_db, tmp_path):
    path, records = wire_corpus(seed_db, tmp_path)
    later = [r for r in records if r["title"].startswith("（转载）")]
    firsts = [r for r in records if not r["title"].startswith("（转载）")]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in later), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in firsts), encoding="utf-8")
    db = ingest_records(tmp_path / "a.jsonl", tmp_path / "two.db")
    before = db.execute("SELECT COUNT(*) FROM report_articles").fetchone()[0]
    db = ingest_records(tmp_path / "b.jsonl", tmp_path / "two.db")
    story = story_of(db, later + firsts)
    first_ids = [a for a, r in zip(sorted(story), later + firsts) if not r["title"].startswith("（转载）")]
    # The first printings are counted; their reprints, read before them, now point at them.
    assert not db.execute(f"SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL AND id IN "
                          f"({','.join(map(str, first_ids))})").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM report_articles").fetchone()[0] <= before
    first_of = {story[a]: a for a in first_ids}
    # (An identical body points at the lowest id, as exact duplicates always have.)
    joined = [a for a in story if a not in first_ids and root(db, a) == root(db, first_of[story[a]])]
    assert len(joined) >= 0.95 * (len(story) - len(first_ids))
    check_index(db)


def test_keep_duplicates_counts_every_printing(seed_db, tmp_path):
    path, records = wire_corpus(seed_db, tmp_path)
    db = ingest_records(path, tmp_path / "wire.db")
    kept = Selection(db, Filters(keep_duplicates=True))
    every = [r[0] for r in db.execute("SELECT id FROM articles WHERE kind != 'furniture' ORDER BY id")]
    ids, st = index.stats_of(db, every)
    expected = index.counts_of_stats(st, np.ones(ids.size, dtype=bool))
    got = kept.total()
    assert got.tokens == expected.tokens and got.articles == len(every) > Selection(db).n_articles
    assert np.array_equal(got.word, expected.word) and np.array_equal(got.stats["count"], expected.stats["count"])
    assert kept.articles()[0].tolist() == every
    # A filter cutting through the groups, too.
    one = Selection(db, Filters(sources=(PAPERS[1],), date_to="2024-03-03", keep_duplicates=True))
    picked = [r[0] for r in db.execute("SELECT id FROM articles WHERE kind != 'furniture' AND source = ? "
                                       "AND date <= '2024-03-03' ORDER BY id", [PAPERS[1]])]
    assert one.articles()[0].tolist() == picked
    assert one.total().tokens == int(st.tokens[np.isin(ids, picked)].sum())


def test_reprints_command_lists_clusters_with_lag(seed_db, tmp_path):
    path, records = wire_corpus(seed_db, tmp_path)
    db_path = tmp_path / "wire.db"
    db = ingest_records(path, db_path)
    result = CliRunner().invoke(cli, ["reprints", "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    clusters = {}
    for r in rows:
        clusters.setdefault(r["cluster"], []).append(r)
    marked = db.execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL").fetchone()[0]
    assert len(rows) == marked + len(clusters)
    for first, printings in clusters.items():
        assert printings[0]["article_id"] == first and printings[0]["lag_days"] == 0
        assert printings[0]["similarity"] == 1.0 and len(printings) == printings[0]["printings"]
        assert [p["lag_days"] for p in printings] == sorted(p["lag_days"] for p in printings)
        assert all(p["lag_days"] in (0, 1, 2, 3) for p in printings)
        assert len({p["source"] for p in printings}) == len(printings)  # one printing per paper here
    one = CliRunner().invoke(cli, ["reprints", "--db", str(db_path), "--source", PAPERS[0], "--json"])
    assert all(any(p["source"] == PAPERS[0] for p in clusters[r["cluster"]]) for r in json.loads(one.output))


def test_no_reprints_and_bad_similarity(seed_db, tmp_path):
    path, records = wire_corpus(seed_db, tmp_path)
    db = ingest_records(path, tmp_path / "none.db", "--no-reprints")
    assert not db.execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL").fetchone()[0]
    result = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(tmp_path / "bad.db"), "--similarity", "1.5"])
    assert result.exit_code == 1 and "--similarity" in result.output and "Traceback" not in result.output


def test_signature_is_datasketchs_minhash():
    import datasketch  # the test extra: the implementation reprints.signature follows

    sh = reprints.shingles("新华社北京3月1日电　国务院常务会议研究部署经济工作，要求稳中求进、以进促稳。" * 2)
    expected = datasketch.MinHash(num_perm=reprints.NUM_PERM, seed=reprints.SEED, hashfunc=lambda h: h)
    expected.update_batch(sh.tolist())
    assert np.array_equal(expected.hashvalues, reprints.signature(sh))
    # Folded: the same story in traditional characters has the same shingles.
    assert np.array_equal(sh, reprints.shingles("新華社北京3月1日電　國務院常務會議研究部署經濟工作，要求穩中求進、以進促穩。" * 2))


def test_a_v6_database_gets_the_compact_reprint_tables(seed_db, tmp_path):
    """v6 stored 64-bit band keys and 32-bit signature values; the upgrade keeps half of each
    (what a new database stores), and the later ingest marks what a new one marks."""
    from zzcorpus.schema import MIGRATIONS

    path, records = wire_corpus(seed_db, tmp_path)
    half = len(records) // 2
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[:half]), encoding="utf-8")
    rest = tmp_path / "rest.jsonl"
    rest.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[half:]), encoding="utf-8")
    fresh = ingest_records(first, tmp_path / "fresh.db")
    old = ingest_records(first, tmp_path / "old.db")
    with old.conn:  # v6's shape, by hand: full band keys and signatures, from the bodies
        firsts = [r[0] for r in old.execute("SELECT article_id FROM reprint_signatures")]
        old.execute("DELETE FROM reprint_bands")
        for art_id in firsts:
            body = old.execute("SELECT body FROM articles WHERE id = ?", [art_id]).fetchone()[0]
            sig = reprints.signature(reprints.shingles(body))
            rows = np.asarray(sig, dtype=np.uint64).reshape(reprints.BANDS, reprints.ROWS)
            with np.errstate(over="ignore"):
                mixed = ((rows * reprints._BAND_MIX[:reprints.ROWS]).sum(axis=1)
                         + np.arange(reprints.BANDS, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93))
            old.conn.executemany("INSERT INTO reprint_bands (key, article_id) VALUES (?, ?)",
                                 [(k, art_id) for k in reprints._hash64(mixed).view(np.int64).tolist()])
            old.execute("UPDATE reprint_signatures SET signature = ? WHERE article_id = ?",
                        [sig.astype("<u4").tobytes(), art_id])
        old.execute("PRAGMA user_version = 6")
    assert old.execute("SELECT MAX(ABS(key)) FROM reprint_bands").fetchone()[0] > 1 << 32
    for db_path in (tmp_path / "old.db", tmp_path / "fresh.db"):
        ingest_records(rest, db_path)
    old, fresh = sqlite_utils.Database(tmp_path / "old.db"), sqlite_utils.Database(tmp_path / "fresh.db")
    assert old.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    for sql in ("SELECT key, article_id FROM reprint_bands ORDER BY 1, 2",
                "SELECT article_id, shingles, signature FROM reprint_signatures ORDER BY 1",
                "SELECT id, duplicate_of, near_duplicate_of, similarity FROM articles ORDER BY id",
                "SELECT type, name, sql FROM sqlite_master ORDER BY name"):
        assert old.execute(sql).fetchall() == fresh.execute(sql).fetchall(), sql
    assert old.execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL").fetchone()[0] > 10
    check_index(old)


def test_band_rows_left_pending_by_a_killed_ingest_are_found_and_moved(seed_db, tmp_path):
    """A command that kept every band row in memory leaves its first printings' keys in
    reprint_pending_bands until its end; killed before it, they are still looked up by the next
    ingest (which finds the same reprints as after a whole run) and moved into reprint_bands."""
    path, records = wire_corpus(seed_db, tmp_path)
    records.sort(key=lambda r: r["date"])
    half = len(records) // 2
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[:half]), encoding="utf-8")
    rest.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[half:]), encoding="utf-8")
    whole = ingest_records(first, tmp_path / "whole.db")
    killed = ingest_records(first, tmp_path / "killed.db")
    assert whole.execute("SELECT COUNT(*) FROM reprint_pending_bands").fetchone()[0] == 0
    with killed.conn:  # as a killed run leaves them: keys pending, none in reprint_bands
        killed.execute("DELETE FROM reprint_bands")
        killed.conn.executemany(
            "INSERT INTO reprint_pending_bands (article_id, keys) VALUES (?, ?)",
            [(art_id, reprints.fingerprint(body)[2].astype("<i4").tobytes()) for art_id, body in killed.execute(
                "SELECT a.id, a.body FROM articles a JOIN reprint_signatures s ON s.article_id = a.id").fetchall()])
    assert not reprints.none_stored(killed)
    last = killed.execute("SELECT MAX(id) FROM articles").fetchone()[0]
    for db_path in (tmp_path / "whole.db", tmp_path / "killed.db"):
        ingest_records(rest, db_path)
    whole, killed = sqlite_utils.Database(tmp_path / "whole.db"), sqlite_utils.Database(tmp_path / "killed.db")
    assert marks_of(killed) == marks_of(whole)
    assert killed.execute("SELECT COUNT(*) FROM reprint_pending_bands").fetchone()[0] == 0
    # Reprints in the second half of first printings in the first: found through the pending keys.
    assert killed.execute("SELECT COUNT(*) FROM articles WHERE id > ? AND near_duplicate_of <= ?",
                          [last, last]).fetchone()[0] >= 10


def test_fingerprints_of_a_chunk_are_each_bodys_fingerprint(seed_db, monkeypatch):
    """The workers fingerprint a chunk at once, from the folded letters of the character index."""
    from zzcorpus import store

    monkeypatch.setattr(reprints, "SIGNED_TOGETHER", 8)  # the seeds make a few groups, not part of one

    stories = [s["body"] for s in seed_stories(seed_db, min_chars=0)]
    # Short bodies (not compared) among the others of a group signed together, and at the end.
    bodies = stories[:5] + ["短", "太短的正文"] + stories[5:] + ["短", "", "「新華社」電：" * 20]
    folded = [store.char_tokens(b).replace(" ", "").replace(store.BREAK, "") for b in bodies]
    assert folded == [reprints.letters(b) for b in bodies]
    many = reprints.fingerprints(bodies, folded)
    assert sum(fp is None for fp in many) >= 4 and sum(fp is not None for fp in many) > reprints.SIGNED_TOGETHER
    for body, got in zip(bodies, many):
        one = reprints.fingerprint(body)
        assert (one is None) == (got is None)
        if one is not None:
            assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(one, got))
    assert reprints.fingerprints([]) == [] and reprints.fingerprints(["", "短"]) == [None, None]
    memory = reprints.Memory()  # keeps a copy: a view would keep the whole chunk's shingles alive
    memory.keep(1, sh=many[0][0])
    assert memory.shingles[1].base is None and np.array_equal(memory.shingles[1], many[0][0])


def test_containments_of_many_candidates_are_each_pairs_containment(seed_db):
    """The exact checks of an article's candidates at once give each pair's containment."""
    stories = [reprints.shingles(s["body"]) for s in seed_stories(seed_db, min_chars=0)]
    rnd = random.Random(3)
    halves = [np.sort(rnd.sample(list(s), s.size // 2)).astype(np.uint32) for s in stories[:5]]
    for a in stories[:8] + [np.zeros(0, dtype=np.uint32)]:
        others = stories[:12] + halves + [a, np.zeros(0, dtype=np.uint32)]
        got = reprints.containments(a, others)
        assert got == [reprints.containment(a, b) for b in others]
        assert reprints.containments(a, others[:1]) == got[:1] and reprints.containments(a, []) == []
    assert reprints.containments(stories[0], halves[:1] + stories[:1]) == [1.0, 1.0]


def test_containments_under_a_floor_are_exact_where_they_reach_it(seed_db):
    """The upper bound that spares most exact checks never drops a pair that reaches the floor."""
    stories = [reprints.shingles(s["body"]) for s in seed_stories(seed_db, min_chars=0)]
    rnd = random.Random(5)
    parts = [np.sort(rnd.sample(list(s), int(s.size * f))).astype(np.uint32)
             for s in stories[:12] for f in (0.5, 0.69, 0.7, 0.71, 0.9)]
    for a in stories[:12]:
        others = parts + stories[:6]
        exact = reprints.containments(a, others)
        for floor in (0.3, 0.7):
            got = reprints.containments(a, others, floor=floor)
            assert [g for g, e in zip(got, exact) if e >= floor] == [e for e in exact if e >= floor]
            assert all(g < floor for g, e in zip(got, exact) if e < floor)
    assert sum(e >= 0.7 for e in exact) >= 5 and sum(e < 0.7 for e in exact) >= 20  # both kinds met


def test_band_rows_kept_in_memory_are_the_stored_rows():
    """A command that met no stored band rows keeps each one it stores, in merged sorted runs:
    a lookup gives the rows reprint_bands would; once given up, lookups go to SQL (None)."""
    rnd = np.random.default_rng(4)
    memory, stored = reprints.Memory(all_bands=True), []
    for batch in range(9):
        keys = np.sort(rnd.integers(-2000, 2000, size=rnd.integers(1, 400)))
        ids = rnd.integers(batch * 1000, batch * 1000 + 900, size=keys.size)
        memory.add_bands(keys, ids)
        stored += zip(keys.tolist(), ids.tolist())
        wanted = np.unique(rnd.integers(-2100, 2100, size=300))
        got = sorted(map(tuple, memory.band_rows(wanted).tolist()))
        assert got == sorted((k, a) for k, a in stored if k in set(wanted.tolist()))
        assert len(memory.runs) <= 4
    assert reprints.Memory().band_rows(wanted) is None
    memory.lose_bands()
    assert memory.band_rows(wanted) is None


def test_marks_are_the_same_with_band_rows_in_memory_or_read_from_sql(seed_db, tmp_path, monkeypatch):
    """Reprints ingested before their first printings (first printings unstored mid-run), in
    small batches, then changed files: the same marks with band rows kept in memory as read
    from SQL."""
    path, records = wire_corpus(seed_db, tmp_path)
    random.Random(7).shuffle(records)
    folder = tmp_path / "wire"
    folder.mkdir()
    for k, r in enumerate(records):
        (folder / f"p{k:04}.jsonl").write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    files = sorted(folder.iterdir())
    dbs = {kept: sqlite_utils.Database(tmp_path / f"kept{kept}.db") for kept in (True, False)}
    none_stored = reprints.none_stored

    def run(paths):
        for kept, db in dbs.items():
            monkeypatch.setattr(reprints, "none_stored", lambda db, kept=kept: kept and none_stored(db))
            ingest.ingest(db, paths, batch_bytes=6000, layout="plain", jobs=1)
        return marks_of(dbs[True]) == marks_of(dbs[False])

    assert run(files[::2])
    for f in files[:-20:14]:
        f.write_text(f.read_text(encoding="utf-8").replace("。", "！", 3), encoding="utf-8")
    assert run([folder])
    assert dbs[True].execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL").fetchone()[0] >= 40
    for db in dbs.values():
        check_index(db)


def marks_of(db):
    """Every article's marks and the stored first printings' rows."""
    return (db.execute("SELECT id, duplicate_of, near_duplicate_of, similarity FROM articles ORDER BY id").fetchall(),
            db.execute("SELECT * FROM reprint_signatures ORDER BY article_id").fetchall(),
            db.execute("SELECT * FROM reprint_bands ORDER BY key, article_id").fetchall())


def test_marks_are_the_same_met_in_one_batch_or_one_by_one(seed_db, tmp_path):
    """Printings compared with the others of their batch (one batch) or with the stored first
    printings (a batch each), in order of printing: the same marks."""
    path, records = wire_corpus(seed_db, tmp_path)
    records.sort(key=lambda r: r["date"])
    folder = tmp_path / "wire"
    folder.mkdir()
    for k, r in enumerate(records):
        (folder / f"p{k:04}.jsonl").write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    marks = []
    for batch_bytes in (1, 1 << 30):
        db = sqlite_utils.Database(tmp_path / f"b{batch_bytes}.db")
        ingest.ingest(db, [folder], batch_bytes=batch_bytes, layout="plain", jobs=1)
        marks.append(marks_of(db))
    assert marks[0] == marks[1]
    assert sum(1 for row in marks[0][0] if row[2] is not None) >= 40


def test_mark_runs_the_callers_work_once_in_its_own_thread_while_estimating(seed_db, tmp_path):
    """`meanwhile` (ingest's character index inserts) runs once, in the calling thread (it uses
    the connection), and the marks are the ones found without it."""
    import threading

    path, _ = wire_corpus(seed_db, tmp_path)
    found = []
    for k, meanwhile in enumerate((None, lambda: calls.append(threading.current_thread()))):
        calls = []
        db_path = tmp_path / f"m{k}.db"
        db = sqlite_utils.Database(db_path)
        ingest.ingest(db, [path], layout="plain", jobs=1, similarity=None)
        bodies = dict(db.execute("SELECT id, body FROM articles"))
        fps = dict(zip(bodies, reprints.fingerprints(list(bodies.values()))))
        with db.conn:
            reprints.mark(db, fps, **({"meanwhile": meanwhile} if meanwhile else {}))
        found.append(marks_of(db))
        if meanwhile:
            assert calls == [threading.main_thread()]
            assert reprints.mark(db, {}, meanwhile=meanwhile) == [] and len(calls) == 2
    assert found[0] == found[1] and sum(1 for row in found[0][0] if row[2] is not None) >= 40


def test_waiting_band_keys_come_out_in_key_then_article_order(tmp_path):
    """reprints._pending_rows: every first printing's keys (signed, some shared) as (key,
    article) rows in the order the move inserts them, the order of a sort by both."""
    db = sqlite_utils.Database(tmp_path / "c.db")
    db.execute("CREATE TABLE reprint_pending_bands (article_id INTEGER PRIMARY KEY, keys BLOB)")
    rng = np.random.default_rng(5)
    ids = rng.choice(10**6, 300, replace=False)
    keys = rng.integers(-2**31, 2**31, (300, reprints.BANDS)).astype("<i4")
    keys[10], keys[20, :5], keys[30, 0] = keys[20], -1, 2**31 - 1  # shared keys and the extremes
    db.conn.executemany("INSERT INTO reprint_pending_bands VALUES (?, ?)", zip(ids.tolist(), map(bytes, keys)))
    got_keys, got_ids = reprints._pending_rows(db)
    rows = sorted(zip(keys.ravel().tolist(), np.repeat(ids, reprints.BANDS).tolist()))
    assert list(zip(got_keys.tolist(), got_ids.tolist())) == rows
