"""Write to corpus.db: documents, articles, the character index, duplicate marks and the
metadata that makes every number reproducible (the word index is written by index.py).

Every function takes the sqlite-utils Database first; none opens a connection or commits: the
caller owns the transaction (ingest commits once per batch of files, never half a file).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from . import index
from .schema import BODY_HASH_PREFIX, CHAR_FTS_INSERT, CHAR_FTS_TABLE, PRINTED_FIELDS, REPORT_CONDITION
from .scripts import fold

# One FTS token per letter or digit; every run of anything else becomes a private-use
# character, which the index's tokenizer (FTS5's ascii: every character past ASCII is a token
# character) keeps as a token, so a phrase never matches across punctuation, spaces or
# paragraph breaks.
BREAK = "\ue000"
NON_TEXT_RE = re.compile(r"[\W_]+")


SPACED_AS_ARRAY = 64  # longer texts are spaced as one array: a join makes a string per character


def char_tokens(text: str) -> str:
    """`锂电池，2024` -> `锂 电 池 \\ue000 2 0 2 4`: the character index's view of a text,
    traditional characters folded to simplified (so a query in either script finds both) and
    letters past ASCII to lower case (`É` -> `é`; the tokenizer folds ASCII), as str.lower does
    each character that it lowers to one."""
    return _views(text, letters=False)[0]


def char_tokens_and_letters(text: str) -> tuple[str, str]:
    """(char_tokens(text), reprints.letters(text): its folded letters and digits, not lowered),
    from one folding of the text and one pass over it: a body's two views, made in the worker."""
    return _views(text, letters=True)


def _views(text: str, *, letters: bool) -> tuple[str, str | None]:
    if not text:  # most kickers, subtitles and datelines
        return "", ""
    text = fold(text)
    if len(text) >= SPACED_AS_ARRAY:
        try:
            cps = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        except UnicodeEncodeError:  # a lone surrogate
            cps = None
        if cps is not None and cps.max() <= 0xFFFF:
            token = _bmp_tokens()[cps]
            letter = token != 0  # lowering never makes a letter of anything else, nor the reverse
            # a run of anything else -> one BREAK, as NON_TEXT_RE.sub does
            kept = letter | np.concatenate([[True], letter[:-1]])
            spaced = np.full(2 * int(kept.sum()) - 1, ord(" "), dtype="<u4")
            spaced[::2] = np.where(letter, token, ord(BREAK))[kept]
            return (spaced.tobytes().decode("utf-32-le"),
                    cps[letter].tobytes().decode("utf-32-le") if letters else None)
    return (" ".join(NON_TEXT_RE.sub(BREAK, text.translate(_lowered()))),
            NON_TEXT_RE.sub("", text) if letters else None)


@lru_cache(maxsize=1)
def _bmp_tokens() -> np.ndarray:
    """Each code point below 65,536 as char_tokens indexes it: lowered (_lowered), then 0 where
    NON_TEXT_RE matches (as the regex sees the lowered text)."""
    lowered = _lowered()
    return np.array([0 if NON_TEXT_RE.match(chr(t := lowered.get(c, c))) else t for c in range(0x10000)], dtype="<u4")


@lru_cache(maxsize=1)
def _lowered() -> dict[int, int]:
    """str.translate's table of the letters past ASCII below 65,536 that str.lower makes one other
    character (`É` -> `é`, `Ａ` -> `ａ`)."""
    return {c: ord(low) for c in range(0x80, 0x10000) if len(low := chr(c).lower()) == 1 and low != chr(c)}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def get_meta(db) -> dict:
    return {r["key"]: r["value"] for r in db["meta"].rows} if db["meta"].exists() else {}


def set_meta(db, **values) -> None:
    # Raw SQL: sqlite-utils' upsert_all would commit the caller's transaction halfway.
    db.conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        list(values.items()))


def document_state(db, path: str):
    """(id, sha256) of the stored document at path, or None."""
    row = db.execute("SELECT id, sha256 FROM documents WHERE path = ?", [path]).fetchone()
    return tuple(row) if row else None


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


FTS_COLUMNS = ", ".join(PRINTED_FIELDS)
ARTICLE_COLUMNS = [
    "id", "document_id", "seq", "kind", "title", "subtitle", "kicker", "byline", "bylines", "dateline",
    "body", "title_seg", "body_seg", "source", "date", "date_in_text", "page",
    "chars", "tokens", "body_sha256", "script", "duplicate_of", "near_duplicate_of", "similarity",
]
BYTES_COLUMNS = ("body", "body_seg")  # given as UTF-8 bytes by the worker (ingest._prepare_chunk)
# CAST: bytes bind as a blob, which the cast makes the same text a str would have stored.
INSERT_ARTICLE = (f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES "
                  f"({', '.join('CAST(? AS TEXT)' if c in BYTES_COLUMNS else '?' for c in ARTICLE_COLUMNS)})")


def number_articles(db, articles: list[dict]) -> None:
    """Give each new article its `id` (after the highest stored) and its `duplicate_of`: the
    first (lowest id) stored or new article with the same body. Marks are decided before the
    rows are written, so a row is written once with them, never rewritten (with its overflow
    pages) by an update in the same batch."""
    next_id = (db.execute("SELECT MAX(id) FROM articles").fetchone()[0] or 0) + 1
    first = {}
    hashes = sorted({a["body_sha256"] for a in articles if a["body_sha256"]})
    for h in hashes:
        # `+body_sha256`: a plain `body_sha256 = ?` would be propagated into the prefix
        # expression, which then no longer matches the index (a scan of the table).
        row = db.conn.execute(f"SELECT id FROM articles WHERE {BODY_HASH_PREFIX} = ? AND +body_sha256 = ? "
                         "ORDER BY id LIMIT 1", [h[:16], h]).fetchone()
        if row:
            first[h] = row[0]
    for art_id, a in enumerate(articles, next_id):
        a["id"] = art_id
        h = a["body_sha256"]
        a["duplicate_of"] = first.get(h) if h else None
        if h and h not in first:
            first[h] = art_id


def write_articles(db, articles: list[dict]) -> None:
    """Insert prepared articles (see ingest.prepare_article and ingest.segment; each with its
    document_id, its `id` and `duplicate_of` (number_articles) and its reprint mark if any), in
    bulk. The caller indexes their characters (index_chars) and words (index.write)."""
    db.conn.executemany(INSERT_ARTICLE, [tuple(map(a.get, ARTICLE_COLUMNS)) for a in articles])


def index_chars(db, articles: list[dict]) -> None:
    """The character index rows of prepared articles (numbered: number_articles): each one's
    `char_tokens`, the index's text of each printed field (UTF-8 bytes), made by the worker that
    prepared it."""
    db.conn.executemany(CHAR_FTS_INSERT, [(a["id"], *a["char_tokens"]) for a in articles])


def counted(db, articles: list[dict]) -> list[bool]:
    """Whether reports count each article (not yet stored): REPORT_CONDITION on its values."""
    out = []
    for i in range(0, len(articles), 200):
        chunk = articles[i:i + 200]
        values = [v for k, a in enumerate(chunk) for v in (k, a["kind"], a.get("duplicate_of"), a.get("near_duplicate_of"))]
        out += [bool(r[0]) for r in db.execute(
            "WITH v (k, kind, duplicate_of, near_duplicate_of) AS (VALUES "
            f"{', '.join(['(?, ?, ?, ?)'] * len(chunk))}) SELECT {REPORT_CONDITION} FROM v ORDER BY k", values)]
    return out


def delete_articles(db, where: str, params=()) -> list[str]:
    """Delete articles (and their character and word index entries); return their body hashes."""
    rows = db.execute(f"SELECT id, body_sha256, {FTS_COLUMNS} FROM articles WHERE {where}", params).fetchall()
    if not rows:
        return []
    # A contentless index forgets a row only when given the very tokens it was indexed with.
    db.conn.executemany(
        f"INSERT INTO {CHAR_FTS_TABLE} ({CHAR_FTS_TABLE}, rowid, {FTS_COLUMNS}) "
        f"VALUES ('delete', ?{', ?' * len(PRINTED_FIELDS)})",
        [(art_id, *map(char_tokens, fields)) for art_id, _, *fields in rows])
    ids = [r[0] for r in rows]
    index.remove_articles(db, ids)
    db.execute(f"DELETE FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)
    return [r[1] for r in rows if r[1]]


def mark_duplicates(db, hashes) -> None:
    """Point each article at the first (lowest id) article with the same body, or at nothing;
    the word index then counts exactly the articles report_articles holds. Only rows whose mark
    changes are written (a body printed a thousand times is not rewritten a thousand times per
    batch) and recounted."""
    hashes = sorted(set(hashes))
    # `+`: see number_articles
    first = ("(SELECT a2.id FROM articles a2 WHERE substr(a2.body_sha256, 1, 16) = substr(articles.body_sha256, 1, 16) "
             "AND +a2.body_sha256 = articles.body_sha256 AND a2.id < articles.id ORDER BY a2.id LIMIT 1)")
    touched = []
    for i in range(0, len(hashes), 500):
        chunk = hashes[i : i + 500]
        marks = ','.join('?' * len(chunk))
        touched += [r[0] for r in db.execute(
            f"UPDATE articles SET duplicate_of = {first} WHERE {BODY_HASH_PREFIX} IN ({marks}) "
            f"AND +body_sha256 IN ({marks}) AND duplicate_of IS NOT {first} RETURNING id",
            [h[:16] for h in chunk] + chunk).fetchall()]
    index.recount(db, touched)


def body_sha256(body: str) -> str | None:
    return hashlib.sha256(body.encode()).hexdigest() if body.strip() else None


def corpus_info(db) -> dict:
    """What is in the database, for `zzcorpus info` and the Datasette description."""
    one = lambda sql: db.execute(sql).fetchone()  # noqa: E731
    if not index.has_index(db):
        raise ValueError(index.NEEDS_INDEX)
    meta = get_meta(db)
    docs, raw_bytes = one("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM documents")
    arts, chars = one("SELECT COUNT(*), COALESCE(SUM(chars), 0) FROM articles")
    tokens = one("SELECT COALESCE(SUM(tokens), 0) FROM article_index")[0]
    rep, rep_tokens = one("SELECT COALESCE(SUM(articles), 0), COALESCE(SUM(tokens), 0) FROM groups")
    first, last = one("SELECT MIN(date), MAX(date) FROM articles WHERE date IS NOT NULL AND date != ''")
    return {
        "documents": docs,
        "bytes": raw_bytes,
        "articles": arts,
        "report_articles": rep,
        "duplicates": one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL")[0],
        "reprints": one("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NOT NULL")[0],
        "scripts": dict(db.execute("SELECT COALESCE(script, ''), COUNT(*) FROM articles GROUP BY 1 ORDER BY 2 DESC")
                        .fetchall()),
        "kinds": dict(db.execute("SELECT kind, COUNT(*) FROM articles GROUP BY kind ORDER BY 2 DESC").fetchall()),
        "characters": chars,
        "tokens": tokens,
        "report_tokens": rep_tokens,
        "vocabulary": one("SELECT COUNT(*) FROM lexicon WHERE is_word = 1")[0],
        "date_from": first,
        "date_to": last,
        "sources": dict(db.execute(
            "SELECT COALESCE(source, ''), COUNT(*) FROM articles GROUP BY 1 ORDER BY 2 DESC").fetchall()),
        "segmenter": meta.get("segmenter"),
        "segmenter_version": meta.get("segmenter_version"),
        "userdict_sha256": meta.get("userdict_sha256"),
        "fold": meta.get("fold"),
        "stopwords_sha256": meta.get("stopwords_sha256"),
        "schema_version": db.execute("PRAGMA user_version").fetchone()[0],
        "zzcorpus_version": meta.get("zzcorpus_version"),
    }
