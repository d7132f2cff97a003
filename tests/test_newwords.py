"""New words: the statistics on hand-computed numbers, the candidates on the seeds, and the
loop newwords --add -> resegment --userdict changing the word index."""

import json
import math

import numpy as np
import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import SEEDS, check_index, ingest

from zzcorpus import newwords as nw
from zzcorpus.cli import cli

TARGETS = ("新质生产力", "融e通", "源网荷储")


def test_pmi_and_entropy_by_hand():
    assert nw.pmi(2, 4, 4, 16) == pytest.approx(1.0)  # p(xy) = 1/8, p(x) p(y) = 1/16
    assert nw.pmi(1, 2, 8, 16) == pytest.approx(0.0)
    assert nw.entropy([1, 1]) == pytest.approx(1.0)
    assert nw.entropy([2, 1, 1]) == pytest.approx(1.5)
    assert nw.entropy([5]) == 0.0 and nw.entropy([]) == 0.0
    assert nw.score(4, 3.0, 1.0, 2.0) == pytest.approx(2 * 3.0 * 1.0)
    assert nw.score(4, 3.0, 1.0, 2.0, unknown=2) == pytest.approx(24.0)


def test_candidates_on_a_made_up_stream():
    # ids: 1 新质, 2 生产力, 3 发展, 4 培育, 5 加快, 6 ，(punctuation), 7 的
    A, B, C, D, E, P, F = 1, 2, 3, 4, 5, 6, 7
    streams = [np.array([D, A, B, P, E, A, B, C]), np.array([A, B, F, C, 0, C, A, B]), np.array([C, D, E])]
    nonword = np.zeros(8, dtype=bool)
    nonword[[0, P]] = True
    chars = np.array([0, 2, 3, 2, 2, 2, 1, 1])
    edge_ok = np.ones(8, dtype=bool)
    edge_ok[F] = False
    unknown = np.zeros(8, dtype=bool)
    unknown[A] = True
    found = {c.tokens: c for c in nw.candidates(streams, nonword, edge_ok=edge_ok, chars=chars, unknown=unknown,
                                                min_count=2)}
    best = found[(A, B)]
    # 新质 生产力: 4 times among 17 word tokens; 新质 4, 生产力 4 -> PMI log2(4 * 17 / 16).
    assert best.count == 4 and best.pmi == pytest.approx(math.log2(4 * 17 / 16))
    # Left: 培育, an edge, 加快, 发展 -> 2 bits; right: an edge, 发展, 的, an edge -> 2 bits.
    assert best.left_entropy == pytest.approx(2.0) and best.right_entropy == pytest.approx(2.0)
    assert best.unknown == 1 and best.first == 0
    assert best.score == pytest.approx(math.log2(4) * math.log2(68 / 16) * 2.0 * 2)
    # Everything else is seen once: 新质生产力发展 (A B C), 生产力发展 (B C); and 的 may not end one.
    assert list(found) == [(A, B)]
    twice = nw.candidates(streams + [np.array([A, B, C])], nonword, edge_ok=edge_ok, chars=chars, min_count=2)
    assert {c.tokens for c in twice} == {(A, B), (A, B, C), (B, C)}


@pytest.fixture(scope="module")
def plain_seeds(tmp_path_factory):
    """The seeds segmented with jieba's own dictionary alone."""
    path = tmp_path_factory.mktemp("plain") / "corpus.db"
    result = ingest(SEEDS, "--no-userdict", db=path)
    assert result.exit_code == 0, result.output + result.stderr
    return path


def newwords(db_path, *args):
    result = CliRunner().invoke(cli, ["newwords", "--db", str(db_path), "--json", *args])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.output)


def test_seed_new_words_in_top_30(plain_seeds):
    rows = newwords(plain_seeds, "--top", "30")
    words = [r["word"] for r in rows]
    assert set(TARGETS) <= set(words), words
    row = rows[words.index("新质生产力")]
    assert row["cut"] == "新质/生产力" and row["count"] == 15 and "新质生产力" in row["example"]
    assert set(row) >= {"word", "count", "pmi", "left_entropy", "right_entropy", "cut", "example"}
    assert rows[words.index("融e通")]["cut"] == "融/e/通"
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_add_and_resegment_change_freq(plain_seeds, tmp_path):
    db_path = tmp_path / "corpus.db"
    db_path.write_bytes(plain_seeds.read_bytes())
    db = sqlite_utils.Database(db_path)
    assert not db.execute("SELECT COUNT(*) FROM lexicon WHERE word = '新质生产力'").fetchone()[0]
    before_part = db.execute("SELECT freq FROM lexicon WHERE word = '新质'").fetchone()[0]
    userdict = tmp_path / "new.txt"
    userdict.write_text("# mine\n锂电 n\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["newwords", "--db", str(db_path), "--top", "30", "--add", str(userdict)])
    assert result.exit_code == 0, result.output
    lines = userdict.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["# mine", "锂电 n"] and all(f"{w} nz" in lines for w in TARGETS)
    again = CliRunner().invoke(cli, ["newwords", "--db", str(db_path), "--top", "30", "--add", str(userdict)])
    assert userdict.read_text(encoding="utf-8").splitlines() == lines  # nothing added twice
    assert again.exit_code == 0
    result = CliRunner().invoke(cli, ["resegment", "--db", str(db_path), "--no-userdict", "--userdict", str(userdict)])
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(db_path)
    # Every occurrence is now inside one token (the longer candidate 培育新质生产力 was added too).
    assert db.execute("SELECT freq FROM lexicon WHERE word = '新质生产力'").fetchone()[0] > 0
    assert db.execute("SELECT SUM(freq) FROM lexicon WHERE word LIKE '%新质生产力%'").fetchone()[0] == 15
    assert db.execute("SELECT freq FROM lexicon WHERE word = '源网荷储'").fetchone()[0] == 3
    after_part = db.execute("SELECT COALESCE(SUM(freq), 0) FROM lexicon WHERE word = '新质'").fetchone()[0]
    assert after_part == before_part - 15
    check_index(db)
    assert not set(TARGETS) & {r["word"] for r in newwords(db_path, "--top", "30")}


def test_bad_min_count(plain_seeds):
    result = CliRunner().invoke(cli, ["newwords", "--db", str(plain_seeds), "--min-count", "1"])
    assert result.exit_code == 1 and "--min-count" in result.output and "Traceback" not in result.output
