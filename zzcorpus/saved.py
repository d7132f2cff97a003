"""Saved reports: `--save NAME` writes a report's rows as a table of corpus.db, with the
parameters, corpus size and segmenter that made them in saved_reports.

Every function takes the sqlite-utils Database first and never opens a connection.
"""

from __future__ import annotations

import json
import re

from .schema import CHAR_FTS_TABLE, TABLES, VIEWS, transaction
from .store import get_meta, now

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def corpus_tokens(db) -> int:
    """Words in the articles reports count (the word index holds them summed per group)."""
    return db.execute("SELECT COALESCE(SUM(tokens), 0) FROM groups").fetchone()[0]


def reserved_names(db) -> set[str]:
    """Names --save must not take: the core tables and views, the full-text index tables."""
    fts = ["articles_fts", CHAR_FTS_TABLE]
    names = set(TABLES) | set(VIEWS) | set(fts)
    names |= {n for n in db.table_names() + db.view_names() if any(n.startswith(f) for f in fts)}
    return {n.lower() for n in names}


def save_report(db, name: str, rows: list, *, command: str, params: dict, columns: dict | None = None) -> None:
    """Write rows as table `name` (replacing an earlier saved report of that name) and record it
    in saved_reports with the parameters, corpus size, segmenter and stopwords that made it.
    Rows are dicts; or, when columns (name -> type) is given, sequences of values in that order,
    so a large matrix is written without a dict per row."""
    if not NAME_RE.match(name or "") or name.lower().startswith("sqlite_"):
        raise ValueError(f"--save {name!r}: use a plain name (letters, digits, _; not starting with a digit)")
    if name.lower() in reserved_names(db):
        raise ValueError(f"--save {name!r}: that is one of the corpus's own tables")
    saved = {r[0].lower() for r in db.execute("SELECT name FROM saved_reports")}
    existing = {n.lower() for n in db.table_names() + db.view_names()}
    if name.lower() in existing and name.lower() not in saved:
        raise ValueError(f"--save {name!r}: a table of that name exists and is not a saved report")
    meta = get_meta(db)
    params = {**params, "segmenter": meta.get("segmenter"), "segmenter_version": meta.get("segmenter_version"),
              "corpus_tokens": corpus_tokens(db)}
    values = rows
    if columns is None:
        columns = {}
        for row in rows:  # a column's type from its values: a leading None must not make floats TEXT
            for key, value in row.items():
                if value is not None and columns.get(key) is not float:
                    columns[key] = type(value)
                columns.setdefault(key, None)
        values = [[row.get(c) for c in columns] for row in rows]
    with transaction(db):  # raw statements: sqlite-utils' insert_all would commit halfway
        db.execute(f"DROP TABLE IF EXISTS [{name}]")
        db[name].create({k: v or str for k, v in columns.items()} or {"empty": str})
        if rows:
            names = list(columns)
            db.conn.executemany(
                f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in names)}) VALUES ({', '.join('?' * len(names))})",
                values,
            )
        db.execute(
            "INSERT OR REPLACE INTO saved_reports (name, command, params, rows, created_at) VALUES (?, ?, ?, ?, ?)",
            [name, command, json.dumps(params, ensure_ascii=False), len(rows), now()],
        )
