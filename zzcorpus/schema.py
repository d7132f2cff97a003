"""The corpus.db schema as data: tables, indexes, full-text indexes and views in one place,
applied by numbered migrations recorded in `PRAGMA user_version`.

Reading guide:
- documents: one row per input file or jsonl/csv record, `raw` is the text exactly as decoded.
- articles: what the splitter made of a document; `*_seg` are jieba tokens joined by single
  spaces (paragraphs by newlines, punctuation kept so sentences can be found); `tokens` counts
  words (no punctuation, no numbers); `duplicate_of` points to the first article with the same body.
- lexicon, article_index, postings (and postings_pending), groups, period_counts: the word
  index every report counts from (see index.py); vocab and word_periods are views of it for SQL.
- articles_chars_fts: FTS5 over single characters, which gives substring search for Chinese
  (see search.py).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import numpy as np

TABLES = {
    "documents": {
        "columns": {
            "id": int, "path": str, "sha256": str, "source": str, "date": str, "page": str,
            "encoding": str, "bytes": int, "raw": str, "extra": str, "ingested_at": str,
            "layout": str,  # how the text was read: page (reflowed, split) or plain (kept as written)
        },
        "pk": "id",
        "not_null": {"path", "sha256"},
    },
    "articles": {
        "columns": {
            "id": int, "document_id": int, "seq": int, "kind": str,
            "title": str, "subtitle": str, "kicker": str, "byline": str, "bylines": str, "dateline": str,
            "body": str, "title_seg": str, "body_seg": str,
            "source": str, "date": str, "date_in_text": str, "page": str,
            "chars": int, "tokens": int, "body_sha256": str, "duplicate_of": int,
            "script": str,  # simplified, traditional or mixed (scripts.script_of); NULL without Han characters
            "near_duplicate_of": int, "similarity": float,  # a reprint: the earlier printing it is like, and how much
        },
        "pk": "id",
        "foreign_keys": [("document_id", "documents", "id")],
    },
    "lexicon": {
        "columns": {"id": int, "word": str, "pos": str, "is_word": int, "freq": int, "docs": int, "dp": float},
        "pk": "id",
        "not_null": {"word"},
    },
    "article_index": {
        "columns": {"article_id": int, "grp": int, "counted": int, "tokens": int, "para_units": int,
                    "sent_units": int, "width": int, "stream": bytes},
        "pk": "article_id",
    },
    "postings": {"columns": {"word_id": int, "first": int, "n": int, "block": bytes}, "pk": ("word_id", "first")},
    # A writing command's postings blocks until its end (index.move_pending_postings), a batch
    # (its first article id) after another; blocks of up to index.PENDING_RAW postings raw.
    "postings_pending": {"columns": {"batch": int, "word_id": int, "n": int, "block": bytes},
                         "pk": ("batch", "word_id")},
    "groups": {
        "columns": {"id": int, "source": str, "month": str, "articles": int, "tokens": int, "word_articles": int,
                    "para_units": int, "sent_units": int, "n_words": int, "vector": bytes, "dirty": int},
        "pk": "id",
    },
    "period_counts": {"columns": {"group_id": int, "word_id": int, "count": int, "docs": int},
                      "pk": ("group_id", "word_id")},
    # The sum of every group (one row, id 1): a report on the whole corpus reads one vector, not
    # one per paper and month; `groups` is how many were summed (index.corpus_counts).
    "corpus_counts": {
        "columns": {"id": int, "groups": int, "articles": int, "tokens": int, "word_articles": int,
                    "para_units": int, "sent_units": int, "n_words": int, "vector": bytes},
        "pk": "id",
    },
    "meta": {"columns": {"key": str, "value": str}, "pk": "key"},
    # Near-duplicate detection (reprints.py): each first printing's MinHash signature (the low 16
    # bits of each of its 90 values) and its 30 LSH band keys (32 bits), so a later ingest
    # compares new articles with the corpus without reading it again.
    "reprint_signatures": {"columns": {"article_id": int, "shingles": int, "signature": bytes}, "pk": "article_id"},
    "reprint_bands": {"columns": {"key": int, "article_id": int}, "pk": ("key", "article_id")},
    # The band keys (30 int32, one blob) of first printings stored by a writing command that kept
    # every band row in memory: it moves them into reprint_bands at its end, in key order, one
    # pass instead of one a batch over the whole table. Rows left by a killed command are looked
    # up as reprint_bands' are, and moved by the next command (reprints.move_pending_bands).
    "reprint_pending_bands": {"columns": {"article_id": int, "keys": bytes}, "pk": "article_id"},
    "saved_reports": {
        "columns": {"name": str, "command": str, "params": str, "rows": int, "created_at": str},
        "pk": "name",
    },
}

WITHOUT_ROWID = {"postings", "postings_pending", "period_counts", "reprint_bands"}
SQL_TYPES = {str: "TEXT", int: "INTEGER", bytes: "BLOB", float: "REAL"}

INDEXES = [
    ("documents", ["sha256"], False),
    ("documents", ["path"], True),
    ("articles", ["document_id", "seq"], False),
    ("articles", ["date"], False),
    ("articles", ["source"], False),
    # Covering indexes for the corpus description (info, the Datasette front page), so it never
    # reads the text-heavy rows.
    ("articles", ["kind", "duplicate_of", "chars"], False),
    ("documents", ["bytes"], False),
    ("lexicon", ["word"], True),
    # Covering: a selection's articles and sizes are read from the index alone, never from the
    # rows that hold the token arrays.
    ("article_index", ["grp", "counted", "article_id", "tokens"], False),
    ("groups", ["source", "month"], False),
    ("articles", ["near_duplicate_of"], False),
    # Covering the default facets that have no index of their own, so Datasette counts a search
    # with thousands of hits from the index, never from the text-heavy rows.
    ("articles", ["script", "page", "bylines"], False),
]

# Duplicate bodies are looked up by the first 16 hex digits of their hash (an index a third the
# size of one on the whole hash), then compared whole.
BODY_HASH_PREFIX = "substr(body_sha256, 1, 16)"
EXPRESSION_INDEXES = {
    "idx_articles_body_hash_prefix": f"CREATE INDEX IF NOT EXISTS [idx_articles_body_hash_prefix] ON [articles] "
                                     f"({BODY_HASH_PREFIX})",
}

# The character index is contentless because its text (one token per character) is derived,
# never shown. It holds every printed field of an article, in printed order, so search finds a
# reporter's name or a kicker as surely as a word of the body.
CHAR_FTS_TABLE = "articles_chars_fts"
PRINTED_FIELDS = ("kicker", "title", "subtitle", "byline", "dateline", "body")
# Tokenized by FTS5's ascii tokenizer: store.char_tokens has already split the text into one
# token per character and lowered what is past ASCII, so unicode61's work per character (its
# classes, case and accent folding) would be done twice (a quarter of the index's CPU time).
CHAR_FTS_SQL = (f"CREATE VIRTUAL TABLE [{CHAR_FTS_TABLE}] USING fts5({', '.join(PRINTED_FIELDS)}, content='', "
                "tokenize='ascii')")
# A row of it: the article id, then each field's char_tokens, as str or as UTF-8 bytes (which bind
# as a blob; the cast makes it the same text).
CHAR_FTS_INSERT = (f"INSERT INTO [{CHAR_FTS_TABLE}] (rowid, {', '.join(PRINTED_FIELDS)}) "
                   f"VALUES (?{', CAST(? AS TEXT)' * len(PRINTED_FIELDS)})")
# The fields whose words reports count: the headline (kicker, title, subtitle, tokenised as
# title_seg, one paragraph each) and the body. Bylines and datelines are searched, not counted.
HEADLINE_FIELDS = ("kicker", "title", "subtitle")

# What every report reads: no page furniture, each duplicated or reprinted article once (the
# word index counts exactly these articles: index.recount). The `+` keeps SQLite from reading
# report_articles through the near_duplicate_of index, which holds two thirds of the articles
# under NULL: a page of them in date order read and sorted every one (0.8 s at 200 MB, against
# 2 ms through the date index).
REPORT_CONDITION = "kind != 'furniture' AND duplicate_of IS NULL AND +near_duplicate_of IS NULL"

VIEWS = {
    "report_articles": f"SELECT * FROM articles WHERE {REPORT_CONDITION}",
    # The lexicon's words (not punctuation or numbers) with their tags.
    "vocab": "SELECT word, pos, is_word FROM lexicon WHERE is_word = 1",
    # Per word, paper and month: occurrences and articles, over the articles reports count.
    "word_periods": "SELECT l.word, g.source, g.month, p.count, p.docs FROM period_counts p "
                    "JOIN lexicon l ON l.id = p.word_id JOIN groups g ON g.id = p.group_id",
}

HIDDEN_TABLES = ["meta", "article_index", "postings", "postings_pending", "groups", "corpus_counts", "period_counts",
                 CHAR_FTS_TABLE, "reprint_signatures", "reprint_bands", "reprint_pending_bands"]


def _create_table(db, name: str, spec: dict) -> None:
    if name in WITHOUT_ROWID:  # sqlite-utils cannot say WITHOUT ROWID; these are looked up by key only
        cols = ", ".join(f"[{c}] {SQL_TYPES[t]}" for c, t in spec["columns"].items())
        db.execute(f"CREATE TABLE IF NOT EXISTS [{name}] ({cols}, PRIMARY KEY ({', '.join(spec['pk'])})) WITHOUT ROWID")
    else:
        db[name].create(
            spec["columns"], pk=spec["pk"], not_null=spec.get("not_null"),
            foreign_keys=spec.get("foreign_keys"), if_not_exists=True,
        )


# The character index's own settings for a writer (FTS5's configuration options), a writer's
# tuning rather than a schema change, so set by ingest whatever the schema:
# - hashsize: gather 8 MB of new entries in memory before writing them out as a segment (1 MB
#   by default): fewer segments to merge, a quarter less of the index's CPU time while ingesting.
# - automerge: merge segments 8 at a time, not 4: each entry is rewritten on fewer levels
#   (the index of 200 MB of pages: 7.1-7.9 CPU-s against 8.7-9.2), the same file size and
#   query times.
CHAR_FTS_TUNING = {"hashsize": 8 << 20, "automerge": 8}


def tune_char_index(db) -> None:
    """Give the character index CHAR_FTS_TUNING (stored with its settings)."""
    stored = dict(db.execute(f"SELECT k, v FROM [{CHAR_FTS_TABLE}_config]").fetchall())
    for key, value in CHAR_FTS_TUNING.items():
        if stored.get(key) != value:
            db.execute(f"INSERT INTO [{CHAR_FTS_TABLE}] ([{CHAR_FTS_TABLE}], rank) VALUES (?, ?)", [key, value])


def _create(db) -> None:
    """v1, for a new database: the whole schema as described here (later steps find nothing to do)."""
    for name, spec in TABLES.items():
        _create_table(db, name, spec)
    for table, columns, unique in INDEXES:
        db[table].create_index(columns, unique=unique, if_not_exists=True)
    for sql in EXPRESSION_INDEXES.values():
        db.execute(sql)
    db.execute(CHAR_FTS_SQL)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


def _one_tag_per_word(db) -> None:
    """v2: per-token tag columns and (word, tag) tallies go; vocab.pos holds each word's tag."""
    if "title_pos" in db["articles"].columns_dict:  # a database made by v1
        db.execute("UPDATE vocab SET pos = (SELECT pos FROM vocab_pos p WHERE p.word = vocab.word "
                   "ORDER BY count DESC, pos LIMIT 1)")
        db.execute("DELETE FROM vocab WHERE word NOT IN (SELECT word FROM vocab_pos WHERE count > 0)")
        db.execute("DROP TABLE vocab_pos")
        db.execute("ALTER TABLE articles DROP COLUMN title_pos")
        db.execute("ALTER TABLE articles DROP COLUMN body_pos")


def _word_index(db) -> None:
    """v3: the word index (index.py) replaces article_words, the vocab table and the word FTS
    index, built from the stored tokens; nothing is segmented again."""
    if not db["article_words"].exists():  # a database made by v3 or later
        return
    from . import index  # the index module reads the schema; import it only when converting

    tags = dict(db.execute("SELECT word, pos FROM vocab"))
    for name in ("article_words", "vocab"):
        db.execute(f"DROP TABLE [{name}]")
    for name in ("articles_fts",):
        if db[name].exists():
            db.execute(f"DROP TABLE [{name}]")
    for name, spec in TABLES.items():
        _create_table(db, name, spec)
    for table, columns, unique in INDEXES:
        db[table].create_index(columns, unique=unique, if_not_exists=True)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)
    index.build(db, tags=tags)


def _document_reading_options(db) -> None:
    """v4: documents.layout, so a file read with another layout is read again."""
    if "layout" not in db["documents"].columns_dict:  # a database made by v3 or earlier
        db.execute("ALTER TABLE documents ADD COLUMN layout TEXT")


def _every_printed_field(db) -> None:
    """v5: the character index covers kicker, subtitle, byline and dateline too (rebuilt from the
    stored text). Kicker and subtitle words join title_seg only when the text is segmented
    again: such a database records it (meta headline_tokens = title) until `zzcorpus resegment`."""
    columns = [r[1] for r in db.execute(f"PRAGMA table_info([{CHAR_FTS_TABLE}])")]
    if columns == list(PRINTED_FIELDS):  # a database made by v5 or later
        return
    _rebuild_char_index(db)
    if db.execute("SELECT 1 FROM articles WHERE COALESCE(kicker, '') != '' OR COALESCE(subtitle, '') != '' "
                  "LIMIT 1").fetchone():
        db["meta"].upsert({"key": "headline_tokens", "value": "title"}, pk="key")




def _scripts_and_reprints(db) -> None:
    """v6: articles.script, near_duplicate_of and similarity, and the reprint tables (the
    character index of v5 is already folded to simplified: store.char_tokens). The words of
    traditional articles are folded by the next `zzcorpus resegment`; reprints are looked for
    among articles ingested from now on (and their earlier printings)."""
    if "script" in db["articles"].columns_dict:  # a database made by v6 or later
        return
    from . import scripts

    for column, kind in (("script", "TEXT"), ("near_duplicate_of", "INTEGER"), ("similarity", "REAL")):
        db.execute(f"ALTER TABLE articles ADD COLUMN [{column}] {kind}")
    for name in ("reprint_signatures", "reprint_bands"):
        _create_table(db, name, TABLES[name])
    for table, columns, unique in INDEXES:
        db[table].create_index(columns, unique=unique, if_not_exists=True)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)
    for art_id, title, body in db.execute("SELECT id, title, body FROM articles").fetchall():
        db.execute("UPDATE articles SET script = ? WHERE id = ?", [scripts.script_of(f"{title or ''}\n{body or ''}"), art_id])

def _compact_reprints_and_body_hashes(db) -> None:
    """v7: reprint band keys of 32 bits (the top half of the 64-bit ones) and signatures of 16
    bits a value (the low half of each): a third less for the two tables, the same candidates;
    the body hash index on the hash's first 16 hex digits. Nothing to do on a new database (its
    reprint tables are empty, its index made)."""
    import numpy as np

    db.execute("DROP INDEX IF EXISTS idx_articles_body_sha256")
    for sql in EXPRESSION_INDEXES.values():
        db.execute(sql)

    # Through a temporary table, so the table keeps the definition a new database has.
    db.execute("CREATE TEMP TABLE bands_v7 AS SELECT DISTINCT key >> 32 AS key, article_id FROM reprint_bands")
    db.execute("DELETE FROM reprint_bands")
    db.execute("INSERT OR IGNORE INTO reprint_bands (key, article_id) SELECT key, article_id FROM temp.bands_v7 "
               "ORDER BY 1, 2")
    db.execute("DROP TABLE temp.bands_v7")
    rows = db.execute("SELECT article_id, signature FROM reprint_signatures").fetchall()
    db.conn.executemany("UPDATE reprint_signatures SET signature = ? WHERE article_id = ?",
                        [((np.frombuffer(sig, dtype="<u4") & np.uint32(0xFFFF)).astype("<u2").tobytes(), art_id)
                         for art_id, sig in rows if len(sig) == 4 * 90])


def _facet_index(db) -> None:
    """v8: an index covering the article facets that had none (script, page, bylines)."""
    for table, columns, unique in INDEXES:
        db[table].create_index(columns, unique=unique, if_not_exists=True)


def _lexicon_dispersion(db) -> None:
    """v9: lexicon.dp, each word's dispersion over the whole corpus (index.update_dispersion)."""
    if "dp" in db["lexicon"].columns_dict:  # a database made by v9 or later
        return
    from . import index

    db.execute("ALTER TABLE lexicon ADD COLUMN [dp] REAL")
    index.update_dispersion(db)


def _corpus_counts(db) -> None:
    """v10: corpus_counts, the sum of every group's counts (index.finish keeps it)."""
    if db["corpus_counts"].exists():  # a database made by v10 or later
        return
    from . import index

    _create_table(db, "corpus_counts", TABLES["corpus_counts"])
    if db["groups"].exists():
        index.store_corpus_counts(db)


def _pending_bands(db) -> None:
    """v11: reprint_pending_bands (reprints._store_all)."""
    if not db["reprint_pending_bands"].exists():  # made by v11 or later otherwise
        _create_table(db, "reprint_pending_bands", TABLES["reprint_pending_bands"])


def _views(db) -> None:
    """v12: report_articles read in date order through the date index (REPORT_CONDITION)."""
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


def _pending_postings(db) -> None:
    """v13: postings_pending (index.add_articles)."""
    if not db["postings_pending"].exists():  # made by v13 or later otherwise
        _create_table(db, "postings_pending", TABLES["postings_pending"])


def _ascii_char_index(db) -> None:
    """v14: the character index tokenized by FTS5's ascii tokenizer (CHAR_FTS_SQL), rebuilt from
    the stored text."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [CHAR_FTS_TABLE]).fetchone()[0]
    if sql != CHAR_FTS_SQL:  # made by v13 or earlier (v5 rebuilds it as v14 makes it)
        _rebuild_char_index(db)


def _rebuild_char_index(db) -> None:
    """The character index made anew (CHAR_FTS_SQL) from every article's printed fields."""
    from .store import char_tokens  # store imports this module: import it only when converting

    db.execute(f"DROP TABLE [{CHAR_FTS_TABLE}]")
    db.execute(CHAR_FTS_SQL)
    tune_char_index(db)
    rows = db.execute(f"SELECT id, {', '.join(PRINTED_FIELDS)} FROM articles")
    db.conn.executemany(CHAR_FTS_INSERT, ((art_id, *map(char_tokens, fields)) for art_id, *fields in rows))


MIGRATIONS = [_create, _one_tag_per_word, _word_index, _document_reading_options, _every_printed_field,
              _scripts_and_reprints, _compact_reprints_and_body_hashes, _facet_index, _lexicon_dispersion,
              _corpus_counts, _pending_bands, _views, _pending_postings, _ascii_char_index]


class WriterBusy(ValueError):
    """Another process held the write lock for longer than this one would wait."""


ROWS_PER_STATEMENT = 400
ROWS_AS_OBJECTS = 100_000  # rows made Python ints at a time: memory stays flat however many


def insert_rows(db, head: str, rows) -> None:
    """Run `head VALUES (...), (...)` over rows (a 2-D integer numpy array),
    ROWS_PER_STATEMENT rows a statement: for rows of a few numbers, stepping one statement a row
    costs more than the insert (2M band rows: 4.4 CPU-s one a statement, 1.7 s 400 a statement;
    rows with a blob were slower this way)."""
    width = rows.shape[1]
    row = f"({', '.join('?' * width)})"
    step = ROWS_PER_STATEMENT * width
    for start in range(0, len(rows), ROWS_AS_OBJECTS):
        values = rows[start:start + ROWS_AS_OBJECTS].ravel().tolist()
        whole = len(values) - len(values) % step
        if whole:
            db.conn.executemany(f"{head} VALUES {', '.join([row] * ROWS_PER_STATEMENT)}",
                                (values[i:i + step] for i in range(0, whole, step)))
        if whole < len(values):
            db.conn.execute(f"{head} VALUES {', '.join([row] * ((len(values) - whole) // width))}",
                            values[whole:])


def select_ints(db, columns: list[str], rest: str, params=()) -> np.ndarray:
    """`SELECT columns rest` as a 2-D int64 array, a row per result row (the columns must never be
    NULL). Each column comes back as one string parsed in C: a Python tuple per row took twice
    as long (66 k article rows: 119 -> 40 ms)."""
    texts = db.execute(f"SELECT {', '.join(f'group_concat({c})' for c in columns)} {rest}", params).fetchone()
    return np.array([int_list(t) for t in texts]).reshape(len(columns), -1).T


def int_list(text: str | None) -> np.ndarray:
    """The integers of a `group_concat` (None: no rows) as an int64 array, parsed in C."""
    return np.fromstring(text or "", dtype=np.int64, sep=",")


def db_file(db) -> str:
    return db.conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"


@contextmanager
def transaction(db):
    """One commit for everything inside, or none, under the write lock: sqlite-utils commits each
    write statement by itself unless a transaction is already open, so open one explicitly, and
    IMMEDIATE, so whatever is checked inside holds until the commit (one writer at a time; a
    second waits the connection's busy timeout, then gets one line)."""
    with db.conn:
        try:
            db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            wait = db.conn.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
            raise WriterBusy(f"another zzcorpus process is writing to {db_file(db)} (waited {wait:g} s): "
                             "try again when it has finished, or wait longer with --wait SECONDS") from None
        yield


def checkpoint(db) -> int:
    """Copy the write-ahead log into corpus.db, so the file alone holds everything (people copy
    and share that one file); return the pages that stay only in corpus.db-wal (0 when done).

    TRUNCATE waits (the busy timeout) for readers to leave the log; a reader that started
    before the last commits keeps those pages out of the file until it ends, so whatever it
    left is reported for `zzcorpus checkpoint` to finish."""
    busy, log, done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if not busy:
        return 0
    busy, log, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return max(0, log - done)


def unfinished_checkpoint(db, pages: int) -> str:
    """The one line saying corpus.db alone is not complete, and the command that completes it."""
    path = db_file(db)
    return (f"{path}: {pages} pages of the new data are still only in {Path(path).name}-wal (another program, "
            f"e.g. Datasette, was reading it): run `zzcorpus checkpoint --db {path}` when it has finished; "
            f"until then copy {Path(path).name}-wal along with it")


def check_corpus(db) -> int:
    """The schema version of a file this zzcorpus may write to; ValueError for a file made by a
    newer zzcorpus or an SQLite file that holds something else (writing would mix the two)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise ValueError(f"{db_file(db)} was made by a newer zzcorpus (schema {version}; this one knows up to "
                         f"{len(MIGRATIONS)}): upgrade zzcorpus to write to it")
    if version == 0:
        tables = [t for t in db.table_names() if not t.startswith("sqlite_")]
        if tables and not {"documents", "articles"} & set(tables):
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise ValueError(f"{db_file(db)} is an SQLite database but not a zzcorpus corpus (tables: {shown}): "
                             "choose another --db")
    return version


def migrate(db) -> int:
    """Bring the database up to the newest schema; return the schema version. Each step runs
    under the write lock and checks the version again there: two processes never both run it."""
    if check_corpus(db) < len(MIGRATIONS):
        for number, step in enumerate(MIGRATIONS, 1):
            with transaction(db):
                if number > check_corpus(db):
                    step(db)
                    db.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
