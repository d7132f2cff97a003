"""The word index's array functions on tiny hand-made inputs (the database side is checked by
conftest.check_index after every kind of write)."""

import numpy as np
import pytest

from zzcorpus.index import Counts, decode_stream, distinct, encode_stream, stream_stats


@pytest.mark.parametrize("ids", [[], [1, 2, 0, 3], [65534, 65535, 65536, 0, 7], [0x7FFF, 0xFFFF + 0x7FFF, 2**20 + 0x7FFF],
                                 [2**30, 1, 2**30 + 1, 65535, 65535]])
def test_streams_round_trip_with_escapes_for_large_ids(ids):
    blob, width = encode_stream(np.array(ids, dtype=np.int64))
    assert decode_stream(blob, width).tolist() == ids
    assert width == (3 if any(i >= 65535 for i in ids) else 2)
    assert len(blob) == 2 * len(ids) + 4 * sum(i >= 65535 for i in ids)


def test_stream_stats_counts_words_paragraphs_and_sentences():
    # ids: 1 甲, 2 乙, 3 丙 (words); 4 "，" and 5 "。" (not words; 5 ends a sentence); 0 = paragraph break
    nonword = np.array([True, False, False, False, True, True])
    final = np.array([False, False, False, False, False, True])
    streams = [
        np.array([1, 2, 4, 1, 5, 2, 0, 3, 1]),  # 甲乙，甲。乙 / 丙甲: 2 paragraphs, 3 sentences
        np.array([5, 0, 4]),  # punctuation only: no word, no unit
        np.array([3, 3, 3]),
    ]
    st = stream_stats(streams, nonword, final)
    rows = {(a, w): (c, p, s) for a, w, c, p, s in zip(st.art.tolist(), st.word.tolist(), st.count.tolist(),
                                                          st.paragraphs.tolist(), st.sentences.tolist())}
    assert rows == {
        (0, 1): (3, 2, 2),  # 甲: 3 times, in both paragraphs, in sentences 1 and 3
        (0, 2): (2, 1, 2),  # 乙: sentences 1 and 2, paragraph 1 only
        (0, 3): (1, 1, 1),
        (2, 3): (3, 1, 1),
    }
    assert st.tokens.tolist() == [6, 0, 3]
    assert st.para_units.tolist() == [2, 0, 1]
    assert st.sent_units.tolist() == [3, 0, 1]


def test_counts_merge_sums_and_drops_what_is_subtracted_away():
    a = Counts.of([1, 2, 2], {"count": [1, 2, 3], "docs": [1, 1, 1], "paragraphs": [1, 1, 1], "sentences": [1, 1, 1]},
                  articles=2, tokens=6)
    b = Counts.of([2], {"count": [5], "docs": [2], "paragraphs": [2], "sentences": [2]}, articles=2, tokens=5)
    total = Counts.merge([a, b])
    assert total.word.tolist() == [1, 2] and total.stats["count"].tolist() == [1, 10]
    assert total.stats["docs"].tolist() == [1, 4] and (total.articles, total.tokens) == (4, 11)
    rest = Counts.merge([total, a], [1, -1])
    assert rest.word.tolist() == [2] and rest.stats["count"].tolist() == [5] and rest.tokens == 5
    assert total.get("count", [2, 3, 1]).tolist() == [10, 0, 1]
    assert distinct(np.array([3, 1, 3, 2, 1])).tolist() == [1, 2, 3]


def test_insert_rows_writes_every_row_once_in_order(tmp_path, monkeypatch):
    """Rows go in a few per statement and a few made Python ints at a time: every row once, in
    order, whatever the count against both sizes."""
    import sqlite_utils

    from zzcorpus import schema

    monkeypatch.setattr(schema, "ROWS_PER_STATEMENT", 3)
    monkeypatch.setattr(schema, "ROWS_AS_OBJECTS", 7)
    db = sqlite_utils.Database(tmp_path / "rows.db")
    db.execute("CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER)")
    for n in (0, 1, 3, 6, 7, 8, 20):
        db.execute("DELETE FROM t")
        rows = np.arange(3 * n, dtype=np.int64).reshape(n, 3) - 5
        schema.insert_rows(db, "INSERT INTO t (a, b, c)", rows)
        assert db.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall() == [tuple(r) for r in rows.tolist()]
