"""The corpus.db schema as data: tables, indexes, full-text indexes and views in one place,
applied by numbered migrations recorded in `PRAGMA user_version`.

Reading guide:
- documents: one row per input file or jsonl/csv record, `raw` is the text exactly as decoded.
- articles: what the splitter made of a document; `*_seg` are jieba tokens joined by single
  spaces (paragraphs by newlines, punctuation kept so sentences can be found); `tokens` counts
  words (no punctuation, no numbers); `duplicate_of` points to the first article with the same body.
- vocab / article_words: each word's POS tag (both engines tag a word the same wherever it
  stands), and per-article word counts made at ingest, so reports need not re-read the text.
  Words are keyed by their text; article_words is a plain append-only table whose covering
  index (ARTICLE_WORDS_INDEX) ingest builds once at the end, far faster than keeping a b-tree
  ordered row by row.
- articles_fts: FTS5 over the jieba words (ranking, word search); articles_chars_fts: FTS5 over
  single characters, which gives substring search for Chinese (see search.py).
"""

from __future__ import annotations

from contextlib import contextmanager

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
        },
        "pk": "id",
        "foreign_keys": [("document_id", "documents", "id")],
    },
    "vocab": {"columns": {"word": str, "pos": str, "is_word": int}, "pk": ("word",)},
    "article_words": {"columns": {"word": str, "article_id": int, "count": int}, "pk": None},
    "meta": {"columns": {"key": str, "value": str}, "pk": "key"},
    "saved_reports": {
        "columns": {"name": str, "command": str, "params": str, "rows": int, "created_at": str},
        "pk": "name",
    },
}

WITHOUT_ROWID = {"vocab"}
ARTICLE_WORDS_INDEX = ("idx_article_words_word", "article_words", ["word", "article_id", "count"])

INDEXES = [
    ("documents", ["sha256"], False),
    ("documents", ["path"], True),
    ("articles", ["document_id", "seq"], False),
    ("articles", ["body_sha256"], False),
    ("articles", ["date"], False),
    ("articles", ["source"], False),
]

# The word index is the one sqlite-utils / Datasette know (content=articles); the character
# index is contentless because its text (one token per character) is derived, never shown.
WORD_FTS = {"table": "articles", "columns": ["title_seg", "body_seg"]}
CHAR_FTS_TABLE = "articles_chars_fts"
CHAR_FTS_SQL = f"CREATE VIRTUAL TABLE [{CHAR_FTS_TABLE}] USING fts5(title, body, content='')"

VIEWS = {
    # What every report reads: no page furniture, each duplicated article once.
    "report_articles": "SELECT * FROM articles WHERE kind != 'furniture' AND duplicate_of IS NULL",
}

HIDDEN_TABLES = ["article_words", "meta", CHAR_FTS_TABLE]


def _create_table(db, name: str, spec: dict) -> None:
    if name in WITHOUT_ROWID:  # sqlite-utils cannot say WITHOUT ROWID; these are looked up by key only
        cols = ", ".join(f"[{c}] {'TEXT' if t is str else 'INTEGER'}" for c, t in spec["columns"].items())
        db.execute(f"CREATE TABLE IF NOT EXISTS [{name}] ({cols}, PRIMARY KEY ({', '.join(spec['pk'])})) WITHOUT ROWID")
    else:
        db[name].create(
            spec["columns"], pk=spec["pk"], not_null=spec.get("not_null"),
            foreign_keys=spec.get("foreign_keys"), if_not_exists=True,
        )


def _create(db) -> None:
    """v1, for a new database: the whole schema as described here (later steps find nothing to do)."""
    for name, spec in TABLES.items():
        _create_table(db, name, spec)
    for table, columns, unique in INDEXES:
        db[table].create_index(columns, unique=unique, if_not_exists=True)
    create_article_words_index(db)
    db[WORD_FTS["table"]].enable_fts(WORD_FTS["columns"], fts_version="FTS5", create_triggers=False)
    db.execute(CHAR_FTS_SQL)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


def create_article_words_index(db) -> None:
    name, table, columns = ARTICLE_WORDS_INDEX
    db[table].create_index(columns, index_name=name, if_not_exists=True)


def _one_tag_per_word(db) -> None:
    """v2: per-token tag columns and (word, tag) tallies go; vocab.pos holds each word's tag."""
    if "title_pos" in db["articles"].columns_dict:  # a database made by v1
        db.execute("UPDATE vocab SET pos = (SELECT pos FROM vocab_pos p WHERE p.word = vocab.word "
                   "ORDER BY count DESC, pos LIMIT 1)")
        db.execute("DELETE FROM vocab WHERE word NOT IN (SELECT word FROM vocab_pos WHERE count > 0)")
        db.execute("DROP TABLE vocab_pos")
        db.execute("ALTER TABLE articles DROP COLUMN title_pos")
        db.execute("ALTER TABLE articles DROP COLUMN body_pos")


def _document_reading_options(db) -> None:
    """v3: documents.layout, so a file read with another layout is read again."""
    if "layout" not in db["documents"].columns_dict:  # a database made by v1 or v2
        db.execute("ALTER TABLE documents ADD COLUMN layout TEXT")


MIGRATIONS = [_create, _one_tag_per_word, _document_reading_options]


@contextmanager
def transaction(db):
    """One commit for everything inside, or none: sqlite-utils commits each write statement by
    itself unless a transaction is already open, so open one explicitly."""
    with db.conn:
        db.conn.execute("BEGIN")
        yield


def migrate(db) -> int:
    """Bring the database up to the newest schema; return the schema version."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(MIGRATIONS, 1):
        if number > current:
            with transaction(db):
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
