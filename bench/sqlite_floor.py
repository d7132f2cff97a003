"""How much CPU SQLite alone needs to store a corpus: the floor under `zzcorpus ingest`'s speed.

    python bench/sqlite_floor.py [--mb 20]

Prepares every article first (split, segmented, counted: not timed), then writes them the way
ingest does, in one process with nothing else running, and prints the CPU seconds of each kind of
write. On two cores, ingest at 7x plain jieba (~1 MB/s here) leaves 20 MB / 7 MB/s x 2 cores =
5.7 CPU-seconds for everything, this included.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import sqlite_utils
from benchmark import make_corpus

from zzcorpus import ingest, schema, store
from zzcorpus.readers import read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20)
    args = parser.parse_args()
    gc.disable()
    with tempfile.TemporaryDirectory(prefix="zzfloor-") as work:
        corpus = Path(work) / "pages"
        make_corpus(corpus, args.mb)
        ingest._new_segmenter("rjieba", (str(ingest.DEFAULT_USERDICT),))
        records = [(r, ingest.record_meta(r)) for r in read_records([corpus])]
        batches = [records[i : i + 250] for i in range(0, len(records), 250)]  # ~4 MB, as ingest
        prepared = [(batch, ingest._prepare_chunk(batch)) for batch in batches]

        db = sqlite_utils.Database(Path(work) / "floor.db")
        schema.migrate(db)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -32768"):
            db.execute(f"PRAGMA {pragma}")
        db.execute(f"DROP INDEX [{schema.ARTICLE_WORDS_INDEX[0]}]")
        conn, spent = db.conn, {}

        def timed(label, fn, *args):
            started = time.process_time()
            result = fn(*args)
            spent[label] = spent.get(label, 0) + time.process_time() - started
            return result

        for batch, (found, words) in prepared:
            conn.execute("BEGIN")
            articles = []
            for (record, meta), arts in zip(batch, found):
                doc_id = timed("documents (raw text)", store.write_document, db, record, meta)
                articles += [{**a, "document_id": doc_id} for a in arts]
            first = (db.execute("SELECT MAX(id) FROM articles").fetchone()[0] or 0) + 1
            ids = range(first, first + len(articles))
            rows = [[i] + [a.get(c) for c in store.ARTICLE_COLUMNS[1:]] for i, a in zip(ids, articles)]
            timed("articles", conn.executemany, store.INSERT_ARTICLE, rows)
            timed("per-article counts", store.write_counts, db, [(i, a["word_counts"]) for i, a in zip(ids, articles)])
            timed("word index (articles_fts)", conn.executemany,
                  "INSERT INTO articles_fts (rowid, title_seg, body_seg) VALUES (?, ?, ?)",
                  [(i, a["title_seg"], a["body_seg"]) for i, a in zip(ids, articles)])
            timed("character index", conn.executemany,
                  f"INSERT INTO {schema.CHAR_FTS_TABLE} (rowid, title, body) VALUES (?, ?, ?)",
                  [(i, a["chars_title"], a["chars_body"]) for i, a in zip(ids, articles)])
            timed("vocab", store.add_vocab, db, words)
            timed("duplicate marks", store.mark_duplicates, db, [a["body_sha256"] for a in articles if a["body_sha256"]])
            timed("commits", conn.commit)
        conn.execute("BEGIN")
        timed("counts index (one thread)", schema.create_article_words_index, db)
        timed("commits", conn.commit)
        size = sum(p.stat().st_size for p in corpus.iterdir()) / 1e6
        print(f"SQLite CPU-seconds to store {size:.1f} MB ({sum(len(f) for _, (f, _) in prepared)} pages):")
        for label, seconds in spent.items():
            print(f"  {label:28} {seconds:5.2f}")
        print(f"  {'total':28} {sum(spent.values()):5.2f}")


if __name__ == "__main__":
    main()
