"""Write to corpus.db: documents, articles, per-article word counts, both full-text indexes,
duplicate marks and the metadata that makes every number reproducible.

Every function takes the sqlite-utils Database first; none opens a connection or commits: the
caller owns the transaction (ingest commits once per batch of files, never half a file).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import datetime, timezone

from .schema import ARTICLE_WORDS_INDEX, CHAR_FTS_TABLE
from .segment import is_word, word_counts

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


def add_pos_counts(db, pos_counts: Counter) -> None:
    """vocab_pos tallies (negative counts subtract), and a vocab row for every new word."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO vocab (word, is_word) VALUES (?, ?)",
        [(w, int(is_word(w))) for w in {w for w, _ in pos_counts}],
    )
    db.conn.executemany(
        "INSERT INTO vocab_pos (word, pos, count) VALUES (?, ?, ?) "
        "ON CONFLICT (word, pos) DO UPDATE SET count = count + excluded.count",
        [(w, pos, n) for (w, pos), n in pos_counts.items()],
    )


DOCUMENT_COLUMNS = ["path", "sha256", "encoding", "bytes", "raw", "extra", "ingested_at", "source", "date", "page"]


def write_document(db, record, meta: dict, *, replace_id: int | None = None) -> int:
    values = [record.path, record.sha256, record.encoding, record.bytes, record.raw,
              json.dumps(record.extra, ensure_ascii=False) if record.extra else None, now(),
              meta.get("source"), meta.get("date"), meta.get("page")]
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
    "body", "title_seg", "body_seg", "title_pos", "body_pos", "source", "date", "date_in_text", "page",
    "chars", "tokens", "body_sha256",
]
INSERT_ARTICLE = f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"


def write_articles(db, articles: list[dict]) -> list[str]:
    """Insert prepared articles (see ingest.prepare_article; each with its document_id) with their
    word counts and index rows, in bulk; the caller adds their (word, pos) tallies with
    add_pos_counts. Returns the body hashes written, for duplicate marking.
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


def article_counts(title_seg: str, title_pos: str, body_seg: str, body_pos: str) -> Counter:
    """(word, pos) counts of the words in stored seg/pos strings: the same counts ingest made."""
    pairs = []
    for seg, pos in ((title_seg, title_pos), (body_seg, body_pos)):
        pairs += zip((seg or "").split(), (pos or "").split())
    return word_counts(pairs)


def delete_articles(db, where: str, params=()) -> list[str]:
    """Delete articles (and their index rows and counts); return their body hashes."""
    hashes, pos_counts, pairs = [], Counter(), []
    rows = db.execute(
        f"SELECT id, title, body, title_seg, title_pos, body_seg, body_pos, body_sha256 FROM articles WHERE {where}",
        params,
    ).fetchall()
    for art_id, title, body, title_seg, title_pos, body_seg, body_pos, body_sha in rows:
        counts = article_counts(title_seg, title_pos, body_seg, body_pos)
        pos_counts.subtract(counts)
        pairs += {(word, art_id) for word, _ in counts}
        db.execute("INSERT INTO articles_fts (articles_fts, rowid, title_seg, body_seg) VALUES ('delete', ?, ?, ?)",
                   [art_id, title_seg, body_seg])
        db.execute(f"INSERT INTO {CHAR_FTS_TABLE} ({CHAR_FTS_TABLE}, rowid, title, body) VALUES ('delete', ?, ?, ?)",
                   [art_id, char_tokens(title), char_tokens(body)])
        if body_sha:
            hashes.append(body_sha)
    if rows:
        add_pos_counts(db, pos_counts)
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", [ARTICLE_WORDS_INDEX[0]]).fetchone():
            # One index seek per stored count, rather than a scan of the whole table.
            db.conn.executemany("DELETE FROM article_words WHERE word = ? AND article_id = ?", pairs)
        else:  # during a bulk load the index is rebuilt at the end: one scan for the whole batch
            db.execute(f"DELETE FROM article_words WHERE article_id IN ({marks})", ids)
        db.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
    return hashes


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


def refresh_vocab_pos(db) -> None:
    """vocab.pos = the word's most frequent tag, so a --pos filter keeps or drops whole rows."""
    db.execute("DELETE FROM vocab_pos WHERE count <= 0")
    db.execute(
        "UPDATE vocab SET pos = (SELECT pos FROM vocab_pos WHERE vocab_pos.word = vocab.word "
        "ORDER BY count DESC, pos LIMIT 1)"
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
        "vocabulary": one("SELECT COUNT(*) FROM vocab WHERE is_word AND word IN (SELECT word FROM vocab_pos)")[0],
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
