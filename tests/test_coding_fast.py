"""The vectorised coder (coding.StreamCoder over the word index's streams, what `zzcorpus code`
runs on a corpus) against the reference, Codebook.code article by article over the stored
tokens and printed text: the same match counts for every article and code, nested or not, on
the seeds and on articles made up for overlaps, globs, substrings, letters in any case and
paragraph breaks; KH Coder rules (every operator, POS) through code_corpus against the same
reference. And `code --saved NAME`: the crosstab from a saved matrix equals coding again."""

import json
import sqlite3

import numpy as np
import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import SEEDS, check_index

from zzcorpus import coding, index
from zzcorpus.cli import cli

# Words, globs, phrases cut by the segmenter, spaced phrases, substrings; entries inside others
# (工业 in 工业母机, 发展 in 高质量 发展, 锂电 in 锂电池), one entry in two codes, a glob over a
# phrase's word, ASCII letters in any case.
ENTRIES = {
    "经济": ["经济", "投资", "招商*", "'亿元'", "数字经济"],
    "数字经济": ["数字经济", "经济 开发区", "经济"],
    "产业": ["产业*", "产业链", "产业 发*", "高质量 发展"],
    "发展": ["发展", "发*", "'发展'"],
    "锂电": ["锂电*", "锂电池", "'锂电'", "'锂电池'", "'电池'"],
    "工业": ["工业", "'工业'"],
    "机床": ["工业母机", "母机 订单", "工业 母机 订单"],
    "印度": ["印度", "'印度'", "'度尼'"],
    "印尼": ["印度尼西亚", "'印度尼西亚'"],
    "民生": ["群众", "急难愁盼", "'急难愁盼'", "'群众'"],
    "英文": ["mcn", "'Mcn'", "gdp", "'GDP'", "Gd*"],
}

MADE_UP = [
    {"title": "工业母机产业加快发展",
     "text": "本市工业母机企业和工业企业共同发展，工业母机订单增长，母机订单也多。\n"
             "印度尼西亚客商来访，印度客商也来了，印度印度尼西亚。"},
    {"title": "GDP与gdp", "text": "全市GDP增长，Gdp和gdp写法不同，MCN机构、mcn机构和Mcn。\n经济\n开发区"},
    {"title": "锂电池锂电",
     "text": "锂电池产业链发展，锂电产业发展迅速，高质量发展是产业发展的要求。"
             "电池电池锂电池池。数字经济数字经济，经济开发区。"},
    {"title": "群众", "text": "群众急难愁盼问题，急难愁盼急难愁盼。\n\n招商引资，投资亿元亿元。"},
]


def yaml_text(codes):
    return "".join(f"{c}:\n" + "".join(f"  - {json.dumps(e, ensure_ascii=False)}\n" for e in es)
                   for c, es in codes.items())


def made_up_db(tmp_path):
    src = tmp_path / "made_up.jsonl"
    src.write_text("\n".join(json.dumps({**r, "source": "测试报", "date": f"2024-05-0{i + 1}"}, ensure_ascii=False)
                             for i, r in enumerate(MADE_UP)) + "\n", encoding="utf-8")
    db = tmp_path / "made_up.db"
    result = CliRunner().invoke(cli, ["ingest", str(src), "--db", str(db)])
    assert result.exit_code == 0, result.output
    check_index(sqlite_utils.Database(db))
    return db


def both_ways(db_path, dictionary, *, nested):
    """(matrix of the vectorised coder, matrix of the reference, article ids)."""
    db = sqlite_utils.Database(db_path)
    book = coding.load_codebook(db, dictionary, nested=nested)
    sel = coding.select(db)
    ids, tokens = sel.articles()
    fast = coding.code_streams(db, book, sel)
    slow = coding.code_all(book, coding.read_articles(db, ids.tolist(), text=True))
    want = coding.Coded.of(book.names, slow, ids, tokens, [None] * ids.size, [None] * ids.size).matrix
    db.close()
    return fast, want, ids


@pytest.mark.parametrize("nested", [False, True])
def test_the_seeds_coded_at_once_as_article_by_article(seed_db, tmp_path, nested):
    path = tmp_path / "d.yml"
    path.write_text(yaml_text(ENTRIES), encoding="utf-8")
    fast, want, ids = both_ways(seed_db, path, nested=nested)
    assert ids.size > 10 and want.sum() > 0
    assert (want > 0).any(axis=0).sum() >= 8  # all but 印度, 印尼 and 机床 (made up below)
    assert np.array_equal(fast, want)


@pytest.mark.parametrize("nested", [False, True])
def test_made_up_overlaps_coded_at_once_as_article_by_article(tmp_path, nested):
    db = made_up_db(tmp_path)
    path = tmp_path / "d.yml"
    path.write_text(yaml_text(ENTRIES), encoding="utf-8")
    fast, want, _ = both_ways(db, path, nested=nested)
    assert np.array_equal(fast, want)
    names = list(ENTRIES)
    total = dict(zip(names, want.sum(axis=0).tolist()))
    assert total["机床"] >= 3 and total["英文"] >= 6 and total["印尼"] >= 2
    if not nested:  # the 工业 inside 工业母机 counts only when nested
        inside, _, _ = both_ways(db, path, nested=True)
        assert inside[:, names.index("工业")].sum() > total["工业"]


def test_a_phrase_does_not_run_across_a_paragraph_break(tmp_path):
    db = made_up_db(tmp_path)
    path = tmp_path / "d.yml"
    path.write_text(yaml_text({"开发区": ["经济 开发区"], "经济": ["经济"]}), encoding="utf-8")
    fast, want, ids = both_ways(db, path, nested=False)
    assert np.array_equal(fast, want)
    conn = sqlite3.connect(db)
    segs = dict(conn.execute("SELECT id, body_seg FROM articles"))
    conn.close()
    broken = [k for k, a in enumerate(ids.tolist()) if "经济\n开发区" in segs[a]]
    assert broken and all(fast[k, 0] == segs[ids[k]].count("经济 开发区") for k in broken)


RULES = """*近
near(经济-发展)
*同句
near(经济-发展)[b]
*同段
near(工业-订单)[d]
*顺序
seq(工业-母机-订单)
*名词
经济->n
*子串
'急难' and not 锂电池
*括号
(经济 or 工业) and not 锂电*
*符号
工业 | 锂电池 & !发展
*引用
<*近> and not <*同句>
*复合
工业+母机 or 数字经济
*否
not 投资
*泛
科技* or 稳步* or Gd*
*动词
发展-->v or 工业->n
*串或
'亿元' or 投资 or '投资' or 'gdp'
*嵌套
(<*子串> or 'GDP') and not near(经济-发展)[d]
*顺序句
seq(锂电池-产业链)[b5] or near(群众-急难愁盼)[0]
"""


@pytest.mark.parametrize("nested", [False, True])
def test_kh_coder_rules_coded_at_once_as_article_by_article(seed_db, tmp_path, nested):
    path = tmp_path / "rules.txt"
    path.write_text(RULES, encoding="utf-8")
    held = set()
    for db_path in (seed_db, made_up_db(tmp_path)):
        db = sqlite_utils.Database(db_path)
        book = coding.load_codebook(db, path, nested=nested)
        coded, _ = coding.code_corpus(db, book)
        slow = coding.code_all(book, coding.read_articles(db, coded.ids.tolist(), text=True))
        want = coding.Coded.of(book.names, slow, coded.ids, coded.tokens, coded.source, coded.date)
        assert np.array_equal(coded.matrix, want.matrix)
        held |= {book.names[ci] for ci in np.flatnonzero(coded.matrix.any(axis=0)).tolist()}
        db.close()
    assert held >= set(book.names) - {"动词"}  # every rule holds somewhere (a verb 发展: maybe)


def test_code_from_a_saved_matrix_equals_coding_again(tmp_path):
    db = tmp_path / "grouped.db"
    pages = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))
    for source, date, some in [("枣庄日报", "2024-03-19", pages[:2]), ("枣庄日报", "2024-05-02", pages[2:3]),
                               ("大众日报", "2025-06-10", pages[3:])]:
        result = CliRunner().invoke(cli, ["ingest", *map(str, some), "--source", source, "--date", date,
                                          "--db", str(db)])
        assert result.exit_code == 0, result.output
    check_index(sqlite_utils.Database(db))

    def rows(*args):
        result = CliRunner().invoke(cli, ["code", *map(str, args), "--db", str(db), "--json"])
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)

    dictionary = SEEDS / "dictionary.yml"
    saved = rows(dictionary, "--save", "codes")
    assert rows("--saved", "codes") == saved
    for by in ("source", "year", "month", "day"):
        assert rows("--saved", "codes", "--by", by) == rows(dictionary, "--by", by), by
    trend = tmp_path / "trend.svg"
    assert rows("--saved", "codes", "--by", "month", "--trend", "--out", trend)
    assert trend.read_text(encoding="utf-8").startswith("<")
    for args, why in [(["--saved", "nope"], "no article x code matrix of that name"),
                      (["--saved", "codes", "--source", "x"], "--source"),
                      ([dictionary, "--saved", "codes"], "not both"),
                      ([], "give a DICTIONARY")]:
        result = CliRunner().invoke(cli, ["code", *map(str, args), "--db", str(db)])
        assert result.exit_code == 1 and why in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_positions_from_the_stream_as_from_the_tokens(seed_db):
    db = sqlite_utils.Database(seed_db)
    coder = coding.RuleCoder(coding.load_codebook(db, SEEDS / "coding_rules.txt"), *coding.lexicon_words(db))
    ids = coding.select(db).articles()[0].tolist()
    streams = index.read_streams(db, ids)
    for art_id, paragraphs, _ in coding.read_articles(db, ids, text=False):
        got = coding.stream_positions(streams[art_id].astype(np.intp), coder.words, coder.finals)
        want = coding._Positions(paragraphs)
        assert (got.word, got.sentence) == (want.word, want.sentence)
    db.close()


def test_outermost_over_arrays_as_over_lists():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(0, 30))
        starts = rng.integers(0, 40, n)
        ends = starts + rng.integers(1, 5, n)
        found = [(int(s), int(e), k) for k, (s, e) in enumerate(zip(starts, ends))]
        want = sorted(k for _, _, k in coding._outermost(list(found)))
        assert np.flatnonzero(coding._outermost_mask(starts, ends)).tolist() == want
