"""Shared by the format, encoding and layout tests: stored rows and search hits of a test database."""

import json
import os

import sqlite_utils
from click.testing import CliRunner

from zzcorpus.cli import cli


def documents(db_path) -> dict:
    """Stored documents by file name (with #record where there is one)."""
    return {os.path.basename(d["path"]): d for d in sqlite_utils.Database(db_path)["documents"].rows}


def articles_of(db_path, name) -> list[dict]:
    return list(sqlite_utils.Database(db_path).query(
        "select a.* from articles a join documents d on d.id = a.document_id where d.path like ? order by a.seq",
        [f"%{name}"]))


def search_ids(db_path, phrase) -> set:
    """Article ids `zzcorpus search '"phrase"'` returns."""
    result = CliRunner().invoke(cli, ["search", f'"{phrase}"', "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    return {r["article_id"] for r in json.loads(result.stdout)}


def all_text(db_path) -> str:
    db = sqlite_utils.Database(db_path)
    return "".join(f"{r[0]}{r[1]}{r[2]}{r[3]}{r[4]}" for r in db.execute(
        "select title, subtitle, kicker, byline, body from articles"))


def not_garbled(stored: str, source: str) -> bool:
    """Every character stored was in the source text: nothing decoded into something else."""
    return set(stored) - set(source) <= set(" \n")
