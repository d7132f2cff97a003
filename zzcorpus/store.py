"""Write to corpus.db: documents, articles, per-article word counts, both full-text indexes,
duplicate marks and the metadata that makes every number reproducible.

Every function takes the sqlite-utils Database first; none opens a connection or commits: the
caller owns the transaction (ingest commits once per batch of files, never half a file).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone

from .schema import ARTICLE_WORDS_INDEX, CHAR_FTS_TABLE
from .segment import is_word

# One FTS token per letter or digit; every run of anything else becomes a private-use
# character, which unicode61 indexes as a token, so a phrase never matches across
# punctuation, spaces or paragraph breaks.
BREAK = "\ue000"
NON_TEXT_RE = re.compile(r"[\W_]+")


def char_tokens(text: str) -> str:
    """`锂电池，2024` -> `锂 电 池 \\ue000 2 0 2 4`: the character index's view of a text."""
    return " ".join(NON_TEXT_RE.sub(BREAK, text or ""))


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def get_meta(db) -> dict:
    return {r["key"]: r["value"] for r in db["meta"].rows} if db["meta"].exists() else {}


def set_meta(db, **values) -> None:
    db["meta"].upsert_all([{"key": k, "value": v} for k, v in values.items()], pk="key")


def document_state(db, path: str):
    """(id, sha256) of the stored document at path, or None."""
    row = db.execute("SELECT id, sha256 FROM documents WHERE path = ?", [path]).fetchone()
    return tuple(row) if row else None


def add_vocab(db, tags: dict) -> None:
    """A vocab row, with its POS tag, for each word not already there."""
    db.conn.executemany("INSERT OR IGNORE INTO vocab (word, pos, is_word) VALUES (?, ?, 1)", tags.items())


def prune_vocab(db) -> None:
    """Drop the words no stored article holds any more (after articles were replaced)."""
    db.execute("DELETE FROM vocab WHERE NOT EXISTS (SELECT 1 FROM article_words aw WHERE aw.word = vocab.word)")


DOCUMENT_COLUMNS = ["path", "sha256", "encoding", "bytes", "raw", "extra", "ingested_at", "source", "date", "page",
                    "layout"]


def write_document(db, record, meta: dict, *, replace_id: int | None = None) -> int:
    values = [record.path, record.sha256, record.encoding, record.bytes, record.raw,
              json.dumps(record.extra, ensure_ascii=False) if record.extra else None, now(),
              meta.get("source"), meta.get("date"), meta.get("page"), record.layout]
    if replace_id is not None:
        db.execute(f"UPDATE documents SET {', '.join(c + ' = ?' for c in DOCUMENT_COLUMNS)} WHERE id = ?",
                   values + [replace_id])
        return replace_id
    marks = ", ".join("?" * len(DOCUMENT_COLUMNS))
    return db.execute(f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) VALUES ({marks})", values).lastrowid


def write_counts(db, counts: list[tuple[int, str]]) -> None:
    """article_words rows from (article id, JSON object of word counts): SQLite expands the JSON
    itself, which is several times faster than binding one Python tuple per row."""
    db.conn.executemany(
        "INSERT INTO article_words (word, article_id, count) SELECT key, ?, value FROM json_each(?)", counts
    )


ARTICLE_COLUMNS = [
    "id", "document_id", "seq", "kind", "title", "subtitle", "kicker", "byline", "bylines", "dateline",
    "body", "title_seg", "body_seg", "source", "date", "date_in_text", "page",
    "chars", "tokens", "body_sha256",
]
INSERT_ARTICLE = f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"


def write_articles(db, articles: list[dict]) -> list[str]:
    """Insert prepared articles (see ingest.prepare_article and ingest.segment; each with its
    document_id) with their word counts and index rows, in bulk; the caller adds new words with
    add_vocab. Returns the body hashes written, for duplicate marking.
    """
    next_id = (db.execute("SELECT MAX(id) FROM articles").fetchone()[0] or 0) + 1
    ids = range(next_id, next_id + len(articles))
    conn = db.conn
    conn.executemany(INSERT_ARTICLE, [[i] + [a.get(c) for c in ARTICLE_COLUMNS[1:]] for i, a in zip(ids, articles)])
    write_counts(db, [(i, a["word_counts"]) for i, a in zip(ids, articles)])
    conn.executemany("INSERT INTO articles_fts (rowid, title_seg, body_seg) VALUES (?, ?, ?)",
                     [(i, a["title_seg"], a["body_seg"]) for i, a in zip(ids, articles)])
    conn.executemany(f"INSERT INTO {CHAR_FTS_TABLE} (rowid, title, body) VALUES (?, ?, ?)",
                     [(i, a["chars_title"], a["chars_body"]) for i, a in zip(ids, articles)])
    return [a["body_sha256"] for a in articles if a["body_sha256"]]


def delete_articles(db, where: str, params=()) -> list[str]:
    """Delete articles (and their index rows and counts); return their body hashes."""
    rows = db.execute(
        f"SELECT id, title, body, title_seg, body_seg, body_sha256 FROM articles WHERE {where}", params
    ).fetchall()
    if not rows:
        return []
    for art_id, title, body, title_seg, body_seg, _ in rows:
        db.execute("INSERT INTO articles_fts (articles_fts, rowid, title_seg, body_seg) VALUES ('delete', ?, ?, ?)",
                   [art_id, title_seg, body_seg])
        db.execute(f"INSERT INTO {CHAR_FTS_TABLE} ({CHAR_FTS_TABLE}, rowid, title, body) VALUES ('delete', ?, ?, ?)",
                   [art_id, char_tokens(title), char_tokens(body)])
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", [ARTICLE_WORDS_INDEX[0]]).fetchone():
        # One index seek per stored count, rather than a scan of the whole table.
        pairs = {(w, art_id) for art_id, _, _, title_seg, body_seg, _ in rows
                 for w in f"{title_seg or ''} {body_seg or ''}".split() if is_word(w)}
        db.conn.executemany("DELETE FROM article_words WHERE word = ? AND article_id = ?", pairs)
    else:  # during a bulk load the index is rebuilt at the end: one scan for the whole batch
        db.execute(f"DELETE FROM article_words WHERE article_id IN ({marks})", ids)
    db.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
    return [r[5] for r in rows if r[5]]


def mark_duplicates(db, hashes) -> None:
    """Point each article at the first (lowest id) article with the same body, or at nothing."""
    hashes = sorted(set(hashes))
    for i in range(0, len(hashes), 500):
        chunk = hashes[i : i + 500]
        db.execute(
            "UPDATE articles SET duplicate_of = (SELECT MIN(a2.id) FROM articles a2 "
            "WHERE a2.body_sha256 = articles.body_sha256 AND a2.id < articles.id) "
            f"WHERE body_sha256 IN ({','.join('?' * len(chunk))})",
            chunk,
        )


def body_sha256(body: str) -> str | None:
    return hashlib.sha256(body.encode()).hexdigest() if body.strip() else None


def corpus_info(db) -> dict:
    """What is in the database, for `zzcorpus info` and the Datasette description."""
    one = lambda sql: db.execute(sql).fetchone()  # noqa: E731
    meta = get_meta(db)
    docs, raw_bytes = one("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM documents")
    arts, chars, tokens = one("SELECT COUNT(*), COALESCE(SUM(chars), 0), COALESCE(SUM(tokens), 0) FROM articles")
    rep, rep_tokens = one("SELECT COUNT(*), COALESCE(SUM(tokens), 0) FROM report_articles")
    first, last = one("SELECT MIN(date), MAX(date) FROM articles WHERE date IS NOT NULL AND date != ''")
    return {
        "documents": docs,
        "bytes": raw_bytes,
        "articles": arts,
        "report_articles": rep,
        "duplicates": one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL")[0],
        "kinds": dict(db.execute("SELECT kind, COUNT(*) FROM articles GROUP BY kind ORDER BY 2 DESC").fetchall()),
        "characters": chars,
        "tokens": tokens,
        "report_tokens": rep_tokens,
        "vocabulary": one("SELECT COUNT(*) FROM vocab")[0],
        "date_from": first,
        "date_to": last,
        "sources": dict(db.execute(
            "SELECT COALESCE(source, ''), COUNT(*) FROM articles GROUP BY 1 ORDER BY 2 DESC").fetchall()),
        "segmenter": meta.get("segmenter"),
        "segmenter_version": meta.get("segmenter_version"),
        "userdict_sha256": meta.get("userdict_sha256"),
        "stopwords_sha256": meta.get("stopwords_sha256"),
        "schema_version": db.execute("PRAGMA user_version").fetchone()[0],
        "zzcorpus_version": meta.get("zzcorpus_version"),
    }
