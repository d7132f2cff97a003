"""The word index's array functions on tiny hand-made inputs (the database side is checked by
conftest.check_index after every kind of write)."""

import pickle

import numpy as np
import pytest

import sqlite_utils

from zzcorpus.index import (Counts, StreamStats, decode_blocks, decode_stream, distinct, encode_postings,
                           encode_stream, encode_streams, iter_flat, make_chunk, stable_order, stream_stats,
                           units_per_word)


@pytest.mark.parametrize("ids", [[], [1, 2, 0, 3], [65534, 65535, 65536, 0, 7], [0x7FFF, 0xFFFF + 0x7FFF, 2**20 + 0x7FFF],
                                 [2**30, 1, 2**30 + 1, 65535, 65535]])
def test_streams_round_trip_with_escapes_for_large_ids(ids):
    blob, width = encode_stream(np.array(ids, dtype=np.int64))
    assert decode_stream(blob, width).tolist() == ids
    assert width == (3 if any(i >= 65535 for i in ids) else 2)
    assert len(blob) == 2 * len(ids) + 4 * sum(i >= 65535 for i in ids)


def test_stable_order_sorts_by_radix_keeping_ties_in_place():
    assert stable_order(np.array([70000, 3, 65539, 3, 0])).tolist() == [4, 1, 3, 2, 0]
    values = np.random.default_rng(0).integers(0, 3 << 16, 5000)
    values[::3] = 7  # ties
    assert stable_order(values).tolist() == np.argsort(values, kind="stable").tolist()


def test_streams_encoded_together_as_each_alone():
    streams = [[], [1, 2, 0, 3], [70000], [], [65534, 65535, 0, 2**20], [5], []]
    flat = np.array([i for s in streams for i in s], dtype=np.int64)
    blobs, widths = encode_streams(flat, [len(s) for s in streams])
    assert list(zip(blobs, widths)) == [encode_stream(np.array(s, dtype=np.int64)) for s in streams]
    assert widths == [2, 2, 3, 2, 3, 2, 2]
    assert encode_streams(flat[:0], []) == ([], [])
    small = [s for s in streams if all(i < 65535 for i in s)]  # no escape in the batch: 16 bits throughout
    flat = np.array([i for s in small for i in s], dtype=np.int64)
    assert list(zip(*encode_streams(flat, [len(s) for s in small]))) == [encode_stream(np.array(s, dtype=np.int64))
                                                                         for s in small]


def test_iter_flat_decodes_escapes_at_either_end_of_each_stream(tmp_path):
    # Escaped ids (>= 65535) first, last and alone in a stream, beside plain ones: each stream's
    # length counts an id once however many slots it took.
    streams = {1: [70000, 1, 2, 65535], 2: [], 3: [5], 4: [2**20, 2**20 + 1], 5: [3, 65534, 65535, 4], 7: [9]}
    db = sqlite_utils.Database(tmp_path / "s.db")
    db["article_index"].insert_all([{"article_id": a, "stream": encode_stream(np.array(s, dtype=np.int64))[0]}
                                    for a, s in streams.items()], pk="article_id")
    for batch in (2, 10):
        got = {}
        for ids, values, sizes in iter_flat(db, [1, 2, 3, 4, 5, 6, 7], batch=batch):
            assert values.dtype == np.int64 and sizes.sum() == values.size
            got.update(zip(ids.tolist(), np.split(values, np.cumsum(sizes)[:-1])))
        assert {a: s.tolist() for a, s in got.items()} == streams  # article 6 is not stored


def test_postings_blocks_decode_end_to_end():
    # Three blocks as three ingest batches write them: a raw one (at most 8 articles), a
    # compressed one, and a one-article block; each starts its gaps from 0.
    blocks = [([3, 9, 10], [1, 2, 1]), (list(range(20, 60, 2)), list(range(1, 21))), ([70000], [5])]
    encoded = [(len(ids), encode_postings(np.array(ids), np.array(counts))) for ids, counts in blocks]
    ids, counts = decode_blocks(encoded)
    assert ids.tolist() == [i for b, _ in blocks for i in b] and counts.tolist() == [c for _, b in blocks for c in b]
    assert [a.tolist() for a in decode_blocks(encoded[1:2])] == [blocks[1][0], blocks[1][1]]
    assert [a.tolist() for a in decode_blocks([])] == [[], []]


@pytest.mark.parametrize("n_words", [3, 70_000])
def test_a_chunk_sent_from_a_worker_arrives_whole(n_words):
    # A worker pickles a chunk's arrays in the narrowest type that holds them: local ids in 8
    # bits for a few words, 32 past 65,535; counts past 255 in 16. The writer gets int64 back.
    words = [f"词{i}" for i in range(n_words)]
    chunk = make_chunk([[words + ["甲"] * 300, ["乙", "。"]], [], [["乙"]]], {})
    sent = pickle.loads(pickle.dumps(chunk))
    assert chunk.lens.tolist() == [n_words + 300 + 1 + 2, 0, 1]  # a break between paragraphs, none after
    assert int(chunk.flat.max()) == n_words + 3  # 。
    assert (sent.flat.dtype, sent.lens.dtype) == (np.int64, np.int64)
    assert (sent.flat.tolist(), sent.lens.tolist()) == (chunk.flat.tolist(), chunk.lens.tolist())
    for field in StreamStats.__dataclass_fields__:
        got, want = getattr(sent.stats, field), getattr(chunk.stats, field)
        assert got.dtype == np.int64 and got.tolist() == want.tolist(), field
    assert 300 in sent.stats.count.tolist()
    assert (sent.vocab, sent.tags) == (chunk.vocab, chunk.tags)
    assert sent.nonword.tolist() == [t == "。" for t in chunk.vocab]  # the writer adds new words with it


@pytest.mark.parametrize("big", [False, True])
def test_units_per_word(big):
    # Units 0, 0, 0, 1, 1, 2, 2 holding words 5 3 5 | 3 3 | 9 9: word 3 in two units, 5 and 9 in one.
    # Big: a word id of 2**20 (21 bits) leaves 11 bits for units, so 2,048 units are sorted at a
    # time, and 5,000 more units holding word 3 once each take three slices.
    top = 2**20 if big else 9
    unit, word = np.array([0, 0, 0, 1, 1, 2, 2]), np.array([5, 3, 5, 3, 3, top, top])
    if big:
        unit, word = np.append(unit, np.arange(3, 5003)), np.append(word, np.full(5000, 3))
    held = units_per_word(unit, word, size=top + 1)
    assert (held[3], held[5], held[top]) == (2 + 5000 * big, 1, 1) and held.sum() == 4 + 5000 * big
    assert units_per_word(unit[:0], word[:0], size=3).tolist() == [0, 0, 0]


@pytest.mark.parametrize("key_bits", [64, 4])  # 4: too few for the keys, so they are sorted by lexsort
def test_stream_stats_counts_words_paragraphs_and_sentences(key_bits, monkeypatch):
    monkeypatch.setattr("zzcorpus.index.KEY_BITS", key_bits)
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


def test_dispersion_sums_over_postings_in_any_order():
    # Corpus: 100 tokens, word 1 occurs 10 times (a tenth), word 2 twice (a fiftieth). Articles of
    # 10, 20 and 0 tokens (the last not counted). Word 1: 3 of 10 in article 0 (over), 2 of 20 in
    # article 1 (exactly a tenth: over), 5 in article 2 (no size: left out). Word 2: 1 of 20 in
    # article 1 (over a fiftieth), none elsewhere.
    from zzcorpus.index import _dispersion_sums

    size, freq, total = np.array([10, 20, 0]), np.array([0, 10, 2]), 100
    w, a, c = np.array([1, 1, 1, 2]), np.array([0, 1, 2, 1]), np.array([3, 2, 5, 1])
    expected = ([1, 2], [5, 1], [30, 20])  # words, their counts over-represented, those articles' sizes
    for order in ([0, 1, 2, 3], [3, 1, 0, 2]):
        got = _dispersion_sums(w[order], a[order], c[order], size, freq, total)
        assert [x.tolist() for x in got] == list(expected)
    empty = _dispersion_sums(w[:0], a[:0], c[:0], size, freq, total)
    assert [x.tolist() for x in empty] == [[], [], []]


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


def test_insert_rows_writes_every_row_once_in_order_and_select_ints_reads_them(tmp_path, monkeypatch):
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
        # ... and select_ints reads them back as they went in (negative and 64-bit values too).
        got = schema.select_ints(db, ["a", "b", "c"], "FROM t WHERE a != ?", [-99])
        assert got.shape == (n, 3) and got.tolist() == rows.tolist()
    db.execute("DELETE FROM t")
    db.execute("INSERT INTO t VALUES (?, ?, ?)", [2**62, -(2**62), 0])
    assert schema.select_ints(db, ["c", "a"], "FROM t WHERE b < 0 AND c = 0").tolist() == [[0, 2**62]]
