from pathlib import Path

import pytest
from click.testing import CliRunner

from zzcorpus.cli import cli

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_PAGES = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))


def ingest(*args, db):
    """Run `zzcorpus ingest` through click; return the result."""
    return CliRunner().invoke(cli, ["ingest", *map(str, args), "--db", str(db)])


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory):
    """corpus.db of the five seed pages, built once per test session (read-only for tests)."""
    path = tmp_path_factory.mktemp("seed") / "corpus.db"
    result = ingest(SEEDS, db=path)
    assert result.exit_code == 0, result.output + result.stderr
    return path


@pytest.fixture
def seed_copy(seed_db, tmp_path):
    """The path of a writable copy of the seed database."""
    path = tmp_path / "corpus.db"
    path.write_bytes(seed_db.read_bytes())
    return path


def index_recount(db):
    """The word index as this test recounts it from the stored tokens (articles.title_seg /
    body_seg), independent of index.py: streams, postings, lexicon totals, group sums."""
    from collections import Counter, defaultdict

    from zzcorpus.counting import is_word, sentences
    from zzcorpus.schema import REPORT_CONDITION

    streams, postings, lex_freq, lex_docs = {}, Counter(), Counter(), Counter()
    groups = defaultdict(lambda: {"articles": 0, "tokens": 0, "word_articles": 0, "para_units": 0,
                                  "sent_units": 0, "words": defaultdict(lambda: [0, 0, 0, 0])})
    for art_id, source, date, counted, title_seg, body_seg in db.execute(
        f"SELECT id, source, date, {REPORT_CONDITION}, title_seg, body_seg FROM articles"
    ):
        text = "\n".join(s for s in (title_seg, body_seg) if s)
        paragraphs = [p.split(" ") for p in text.split("\n") if p]
        streams[art_id] = paragraphs
        words = [w for p in paragraphs for w in p if is_word(w)]
        for w, n in Counter(words).items():
            postings[w, art_id] = n
        if not counted:
            continue
        month = date[:7] if date and len(date) == 10 and date[4] == "-" and date[7] == "-" else None
        g = groups[source, month]
        g["articles"] += 1
        g["tokens"] += len(words)
        g["word_articles"] += bool(words)
        paras = [{w for w in p if is_word(w)} for p in paragraphs]
        sents = [{w for w in s if is_word(w)} for p in paragraphs for s in sentences(p)]
        g["para_units"] += sum(1 for p in paras if p)
        g["sent_units"] += len(sents)
        for w, n in Counter(words).items():
            g["words"][w][0] += n
            g["words"][w][1] += 1
            lex_freq[w] += n
            lex_docs[w] += 1
        for p in paras:
            for w in p:
                g["words"][w][2] += 1
        for s in sents:
            for w in s:
                g["words"][w][3] += 1
    return streams, postings, lex_freq, lex_docs, groups


def check_index(db):
    """Assert that the word index in db is exactly what the stored tokens give."""
    import zlib

    import numpy as np

    streams, postings, lex_freq, lex_docs, groups = index_recount(db)
    word_of = dict(db.execute("SELECT id, word FROM lexicon"))
    assert len(set(word_of.values())) == len(word_of)
    stored = {}
    for art_id, width, blob in db.execute("SELECT article_id, width, stream FROM article_index"):
        values = np.frombuffer(blob, dtype="<u2").tolist()
        ids, k = [], 0
        while k < len(values):  # 0xFFFF: the next two values hold a larger id (low 15 bits, rest)
            if values[k] == 0xFFFF:
                ids.append(values[k + 1] | values[k + 2] << 15)
                k += 3
            else:
                ids.append(values[k])
                k += 1
        assert width == (3 if len(values) > len(ids) else 2)
        paragraphs, current = [], []
        for i in ids:
            if i == 0:
                paragraphs.append(current)
                current = []
            else:
                current.append(word_of[i])
        stored[art_id] = paragraphs + [current] if ids else []
    assert stored == streams
    got = {}
    for word_id, first, n, block, pending in db.execute(
            "SELECT word_id, first, n, block, 0 FROM postings UNION ALL "  # a writer's blocks until its end,
            "SELECT word_id, batch, n, block, 1 FROM postings_pending"):  # each from after its batch's first article
        stored_raw = len(block) == 8 * n if pending else n <= 8  # pending: raw unless zlib made it shorter
        flat = np.frombuffer(block if stored_raw else zlib.decompress(block), dtype="<u4").astype(np.int64)
        arts, counts = np.cumsum(flat[:n]), flat[n:]  # n gaps, then n counts
        assert arts[0] >= first and len(counts) == n  # first: the block key, its first article when written
        for a, c in zip(arts.tolist(), counts.tolist()):
            assert (word_of[word_id], a) not in got
            got[word_of[word_id], a] = c
    assert got == dict(postings)
    words = {w for w, _ in postings}
    lexicon = {w: (f, d) for w, f, d in db.execute("SELECT word, freq, docs FROM lexicon WHERE is_word = 1")}
    assert set(lexicon) == words  # no word without an article
    assert lexicon == {w: (lex_freq[w], lex_docs[w]) for w in words}
    # lexicon.dp: Gries' DP of each word over the counted articles, their sizes its parts.
    from zzcorpus.counting import dispersion

    sizes = dict(db.execute("SELECT id, tokens FROM report_articles"))
    held = {}
    for (w, a), c in postings.items():
        if a in sizes:
            held.setdefault(w, {})[a] = c
    for w, dp in db.execute("SELECT word, dp FROM lexicon WHERE is_word = 1"):
        expected = dispersion(held[w], sizes) if lex_freq[w] else None
        assert dp == (None if expected is None else pytest.approx(expected, abs=1e-12)), w
    stored_groups = {}
    for gid, source, month, *sizes, n_words, vector in db.execute(
        "SELECT id, source, month, articles, tokens, word_articles, para_units, sent_units, n_words, vector FROM groups"
    ):
        flat = np.frombuffer(zlib.decompress(vector), dtype="<u4").astype(np.int64) if n_words else np.zeros(0)
        cols = flat.reshape(5, -1) if n_words else np.zeros((5, 0))
        vec = {word_of[int(w)]: [int(v) for v in cols[1:, k]] for k, w in enumerate(cols[0])}
        if any(sizes) or vec:
            stored_groups[source, month] = (tuple(sizes), vec)
        for w, count, docs in db.execute(
            "SELECT l.word, p.count, p.docs FROM period_counts p JOIN lexicon l ON l.id = p.word_id WHERE p.group_id = ?",
            [gid],
        ):
            assert vec[w][:2] == [count, docs]
        assert db.execute("SELECT COUNT(*) FROM period_counts WHERE group_id = ?", [gid]).fetchone()[0] == len(vec)
    expected = {k: ((g["articles"], g["tokens"], g["word_articles"], g["para_units"], g["sent_units"]),
                    {w: list(v) for w, v in g["words"].items()}) for k, g in groups.items()}
    assert stored_groups == expected
    # corpus_counts: the sum of every group, sizes and per-word numbers.
    sizes, summed = [0] * 5, {}
    for group_sizes, vec in expected.values():
        sizes = [a + b for a, b in zip(sizes, group_sizes)]
        for w, v in vec.items():
            summed[w] = [a + b for a, b in zip(summed.get(w, [0] * 4), v)]
    summed = {w: v for w, v in summed.items() if v[0]}
    n_groups, *stored_sizes, n_words, vector = db.execute(
        "SELECT groups, articles, tokens, word_articles, para_units, sent_units, n_words, vector FROM corpus_counts"
    ).fetchone()
    cols = np.frombuffer(zlib.decompress(vector), dtype="<u4").astype(np.int64).reshape(5, -1)
    assert n_groups == db.execute("SELECT COUNT(*) FROM groups").fetchone()[0] and stored_sizes == sizes
    assert n_words == len(summed) and {word_of[int(w)]: [int(v) for v in cols[1:, k]] for k, w in enumerate(cols[0])} == summed


def make_v2(path):
    """Turn a corpus.db into the shape zzcorpus stored at schema version 2 (per-article counts in
    article_words, a vocab table, an FTS index over the jieba words, the character index
    tokenized by unicode61): an old user's file."""
    import sqlite_utils

    from zzcorpus.schema import CHAR_FTS_TABLE, PRINTED_FIELDS
    from zzcorpus.store import char_tokens

    db = sqlite_utils.Database(path)
    tags = list(db.execute("SELECT word, pos, is_word FROM vocab"))
    _, postings, *_ = index_recount(db)
    with db.conn:
        for view in ("vocab", "word_periods"):
            db.execute(f"DROP VIEW {view}")
        for table in ("lexicon", "article_index", "postings", "groups", "period_counts"):
            db.execute(f"DROP TABLE {table}")
        db.execute("CREATE TABLE vocab ([word] TEXT, [pos] TEXT, [is_word] INTEGER, PRIMARY KEY (word)) WITHOUT ROWID")
        db.conn.executemany("INSERT INTO vocab VALUES (?, ?, ?)", tags)
        db.execute("CREATE TABLE [article_words] ([word] TEXT, [article_id] INTEGER, [count] INTEGER)")
        db.conn.executemany("INSERT INTO article_words VALUES (?, ?, ?)", [(w, a, n) for (w, a), n in postings.items()])
        db.execute("CREATE INDEX idx_article_words_word ON article_words (word, article_id, count)")
        # The character index as it was until schema 14, tokenized by unicode61.
        fields = ", ".join(PRINTED_FIELDS)
        db.execute(f"DROP TABLE {CHAR_FTS_TABLE}")
        db.execute(f"CREATE VIRTUAL TABLE [{CHAR_FTS_TABLE}] USING fts5({fields}, content='')")
        db.conn.executemany(f"INSERT INTO {CHAR_FTS_TABLE} (rowid, {fields}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [(i, *map(char_tokens, f)) for i, *f in db.execute(f"SELECT id, {fields} FROM articles")])
        db.execute("CREATE VIRTUAL TABLE [articles_fts] USING FTS5 ([title_seg], [body_seg], content=[articles])")
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        db.execute("PRAGMA user_version = 2")
    return db
