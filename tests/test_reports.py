"""Reports on tiny hand-counted corpora: every expected number is worked out in a comment."""

import math
from collections import Counter
from itertools import chain

import numpy as np
import pytest

from zzcorpus.reports import (
    collocates,
    dispersion,
    idf_lines,
    is_number,
    is_punct,
    is_word,
    ngrams,
    per_million,
    sentences,
    span_counts,
    unit_counts,
)


def approx4(x):
    return pytest.approx(x, abs=5e-5)


def toks(*words):
    """(word, pos) tokens as they come from the database; the tag does not matter here."""
    return [(w, "x") for w in words]


# --- words, punctuation, numbers -------------------------------------------------------------


@pytest.mark.parametrize("word", ["，", "。", "“", "……", "%", "-", " ", "（）", ""])
def test_punct_is_not_a_word(word):
    assert is_punct(word) and not is_number(word) and not is_word(word)


@pytest.mark.parametrize("word", ["2023", "3.5", "3.5%", "１２３", "５０．５％", "10:30", "3~5", "1,000", "-2", "①", "3万"])
def test_figures_are_numbers_not_words(word):
    assert is_number(word) and not is_punct(word) and not is_word(word)


@pytest.mark.parametrize("word", ["三", "十一", "千万", "万一", "二〇二三", "经济", "G20", "GDP", "2023年", "第二"])
def test_chinese_numerals_and_mixed_tokens_are_words(word):
    # 千万 'by all means' and 万一 'in case' are jieba 'm' tokens made of numeral characters:
    # only tokens with a digit-like character (0-9, full-width digits, ①...) are figures.
    assert is_word(word) and not is_number(word)


# --- sentences ---------------------------------------------------------------------------------


def test_sentences_split_at_final_punctuation_and_drop_it():
    # jieba gives …… and ！！ as one token per character; ， and “ ” are not sentence-final.
    para = toks("他", "说", "：", "“", "好", "…", "…", "是", "！", "！", "”", "走", "了", "；",
                "a", "?", "b", "!", "c", ";", "d", "。", "”")
    assert sentences(para) == [
        toks("他", "说", "：", "“", "好"),
        toks("是"),
        toks("”", "走", "了"),
        toks("a"), toks("b"), toks("c"), toks("d"),
        # the trailing ” after 。 holds no word: not a sentence
    ]


def test_sentences_without_final_punctuation_and_wordless():
    assert sentences(["经济", "，", "发展"]) == [["经济", "，", "发展"]]
    assert sentences(toks("2023", "。", "，", "。")) == []  # a figure alone is no sentence
    assert sentences([]) == []


# --- unit windows ------------------------------------------------------------------------------

# Three real articles and one with no words.  N is the node.
CORPUS = [
    [toks("N", "a", "。", "N", "b")],            # article 1: one paragraph, two sentences
    [toks("a", "c"), toks("N")],                 # article 2: two paragraphs
    [toks("b", "c", "2023")],                    # article 3: the figure is not a word
    [toks("，")],                                # article 4: no words -> no unit
]


def article_units(corpus):
    return [list(chain.from_iterable(article)) for article in corpus]


def paragraph_units(corpus):
    return [para for article in corpus for para in article]


def sentence_units(corpus):
    return [s for article in corpus for para in article for s in sentences(para)]


def test_unit_counts_article_window():
    # Units {N,a,b} {a,c,N} {b,c}: n = 3, node in 2 (N twice in article 1 counts once).
    # o11: a in both node articles = 2, b in article 1 = 1, c in article 2 = 1.
    o11, f_node, f_word, n = unit_counts(article_units(CORPUS), "N")
    assert (f_node, n) == (2, 3)
    assert o11 == Counter(a=2, b=1, c=1)
    assert f_word == Counter(N=2, a=2, b=2, c=2)


def test_unit_counts_paragraph_window():
    # Units {N,a,b} {a,c} {N} {b,c}: n = 4, node in 2; only paragraph 1 has company: a = b = 1.
    o11, f_node, f_word, n = unit_counts(paragraph_units(CORPUS), "N")
    assert (f_node, n) == (2, 4)
    assert o11 == Counter(a=1, b=1)
    assert f_word == Counter(N=2, a=2, b=2, c=2)


def test_unit_counts_sentence_window():
    # Units {N,a} {N,b} {a,c} {N} {b,c}: n = 5, node in 3; a = 1 (s1), b = 1 (s2).
    o11, f_node, f_word, n = unit_counts(sentence_units(CORPUS), "N")
    assert (f_node, n) == (3, 5)
    assert o11 == Counter(a=1, b=1)
    assert f_word == Counter(N=3, a=2, b=2, c=2)


def test_unit_counts_repeated_words_count_once_per_unit():
    # {N, a} twice in unit 1 and once more in unit 2: o11[a] = 2 units, f_word[a] = 2 units.
    o11, f_node, f_word, n = unit_counts([["N", "a", "N", "a", "a"], ["a", "N"], ["b"]], "N")
    assert (o11, f_node, f_word["a"], n) == (Counter(a=2), 2, 2, 3)


# --- token windows (CQPweb) --------------------------------------------------------------------

#           0  1  2  3  4
DOCS = [["a", "N", "b", "N", "c"], ["c", "N"], ["a", "b"]]
# n = 5 + 2 + 2 = 9; f_node = 3; f_word a = b = c = 2.


def test_span_counts_window_1():
    # doc 1: N@1 sees a@0, b@2; N@3 sees b@2, c@4 -> b@2 is in both windows: counted twice.
    # doc 2: N@1 at the article's end sees c@0 only.  a = 1, b = 2, c = 1 + 1 = 2.
    o11, f_node, f_word, n = span_counts(DOCS, "N", 1)
    assert o11 == Counter(a=1, b=2, c=2)
    assert (f_node, n) == (3, 9)
    assert f_word == Counter(N=3, a=2, b=2, c=2)


def test_span_counts_window_2_counts_node_in_another_nodes_window():
    # doc 1: N@1 sees a@0, b@2, N@3 (position -1 is outside the article);
    #        N@3 sees N@1, b@2, c@4 (position 5 is outside).  doc 2: N@1 sees c@0.
    # a = 1, b = 2, c = 2, N = 2 (each node occurrence sees the other one).
    o11, f_node, f_word, n = span_counts(DOCS, "N", 2)
    assert o11 == Counter(a=1, b=2, c=2, N=2)
    assert (f_node, n) == (3, 9)


def test_span_counts_windows_skip_punctuation_and_numbers_and_stop_at_articles():
    # After dropping ， and 2023 the article is [a, N, b]: a and b are adjacent to N; n = 3 + 1.
    # The next article's first word c is not in N's window.
    o11, f_node, f_word, n = span_counts([toks("a", "，", "N", "2023", "b"), ["c"]], "N", 1)
    assert o11 == Counter(a=1, b=1)
    assert (f_node, n) == (1, 4)


@pytest.mark.parametrize("window", [0, -1, 1.5])
def test_span_counts_rejects_bad_window(window):
    with pytest.raises(ValueError, match="window"):
        span_counts(DOCS, "N", window)


# --- collocates --------------------------------------------------------------------------------

# Unit counts over n = 200 units, node in 40: MI = log2(o11 * 200 / (40 * f_word)) = log2(5 * o11 / f_word)
# (e comes before c here so the alphabetical tie-break is really tested.)
O11 = Counter(a=12, b=6, e=2, d=4, c=2, N=40)
F_WORD = Counter(a=30, b=10, e=2, d=4, c=2, N=40)
# a: log2(2) = 1; b: log2(3) = 1.585; c, d, e: log2(5) = 2.3219


def words(rows):
    return [r["word"] for r in rows]


def test_collocates_sorted_by_measure_ties_by_o11_then_word():
    rows = collocates(O11, 40, F_WORD, 200, unit=True, by="mi", node="N")
    # c, d, e tie on MI: d first (o11 4), then c and e (o11 2) alphabetically.
    assert words(rows) == ["d", "c", "e", "b", "a"]
    assert [r["mi"] for r in rows] == [approx4(2.3219)] * 3 + [approx4(1.5850), approx4(1.0)]


def test_collocates_row_contents():
    (row,) = collocates(O11, 40, F_WORD, 200, unit=True, keep=lambda w: w == "a", node="N")
    # Same numbers as the reference unit example: E11 = 40*30/200 = 6, G2 7.6671, Jaccard 12/58.
    assert {k: row[k] for k in ("word", "o11", "f_node", "f_word", "n")} == {
        "word": "a", "o11": 12, "f_node": 40, "f_word": 30, "n": 200}
    assert row["e11"] == approx4(6.0)
    assert row["ll"] == approx4(7.6671)
    assert row["logdice"] == approx4(12.4557)
    assert row["jaccard"] == approx4(0.2069)
    assert set(row) == {"word", "o11", "f_node", "f_word", "n", "e11", "mi", "mi3", "t", "z",
                        "ll", "dice", "logdice", "jaccard"}


def test_collocates_by_count_min_count_and_top():
    # by count = o11: a 12, b 6, d 4, then c and e (2) alphabetically; the node is not a row.
    rows = collocates(O11, 40, F_WORD, 200, unit=True, by="count", node="N")
    assert words(rows) == ["a", "b", "d", "c", "e"]
    assert words(collocates(O11, 40, F_WORD, 200, unit=True, by="count", min_count=3, node="N")) == ["a", "b", "d"]
    assert words(collocates(O11, 40, F_WORD, 200, unit=True, by="count", top=2, node="N")) == ["a", "b"]


def test_keep_filter_only_removes_rows():
    full = collocates(O11, 40, F_WORD, 200, unit=True, by="ll", node="N")
    kept = collocates(O11, 40, F_WORD, 200, unit=True, by="ll", node="N", keep=lambda w: w not in {"b", "d"})
    assert words(kept) == [w for w in words(full) if w not in {"b", "d"}]
    assert kept == [r for r in full if r["word"] not in {"b", "d"}]  # identical numbers


def test_collocates_from_token_window_counts():
    # DOCS, window 2 (span 4): b has o11 = 2, f_word = 2; E11 = 3 * 4 * 2 / 9 = 8/3, MI = log2(2 / (8/3))
    # = log2(0.75) = -0.4150; Dice = 2*2/(3+2) = 0.8.  The node's own count (N = 2) is not a row.
    o11, f_node, f_word, n = span_counts(DOCS, "N", 2)
    rows = collocates(o11, f_node, f_word, n, span=4, by="count", node="N")
    assert words(rows) == ["b", "c", "a"]
    b = rows[0]
    assert (b["o11"], b["f_word"], b["f_node"], b["n"]) == (2, 2, 3, 9)
    assert b["e11"] == approx4(8 / 3)
    assert b["mi"] == approx4(-0.4150)
    assert b["dice"] == approx4(0.8)
    assert "jaccard" not in b


def test_collocates_rejects_unknown_measure_with_the_list():
    with pytest.raises(ValueError) as err:
        collocates(O11, 40, F_WORD, 200, by="foo")
    assert str(err.value) == "unknown measure 'foo': choose from count, mi, mi3, t, z, ll, dice, logdice, jaccard"
    with pytest.raises(ValueError, match="'jaccard' needs a unit window"):
        collocates(O11, 40, F_WORD, 200, by="jaccard")
    # Jaccard o11 / (40 + f_word - o11): a 12/58 = .2069, b 6/44 = .1364, d 4/40 = .1, c = e = 2/40 = .05
    rows = collocates(O11, 40, F_WORD, 200, unit=True, by="jaccard", node="N")
    assert words(rows) == ["a", "b", "d", "c", "e"]
    assert [r["jaccard"] for r in rows] == [approx4(12 / 58), approx4(6 / 44), approx4(0.1), approx4(0.05), approx4(0.05)]


# --- n-grams -----------------------------------------------------------------------------------


def test_ngrams_do_not_cross_punctuation_numbers_or_paragraphs():
    paras = [toks("a", "b", "c", "，", "d", "e"), toks("3", "a", "b"), toks("f")]
    # runs: [a b c] [d e] | [a b] | [f]
    assert ngrams(paras, 2) == Counter({("a", "b"): 2, ("b", "c"): 1, ("d", "e"): 1})
    assert ngrams(paras, 3) == Counter({("a", "b", "c"): 1})
    assert ngrams(paras, 1) == Counter({("a",): 2, ("b",): 2, ("c",): 1, ("d",): 1, ("e",): 1, ("f",): 1})
    with pytest.raises(ValueError):
        ngrams(paras, 0)


# --- dispersion --------------------------------------------------------------------------------


def test_dp_gries_2008_example():
    # Gries (2008): parts of 9, 10, 10, 10, 11 tokens (50), word occurs 1, 2, 3, 4, 5 times (15).
    # s = .18 .2 .2 .2 .22; v = 1/15 .. 5/15; |v - s| = 1.7/15, 1/15, 0, 1/15, 1.7/15 = 5.4/15 = .36
    # DP = .36 / 2 = 0.18
    sizes = {1: 9, 2: 10, 3: 10, 4: 10, 5: 11}
    assert dispersion({1: 1, 2: 2, 3: 3, 4: 4, 5: 5}, sizes) == approx4(0.18)


def test_dp_even_clumped_and_parts_without_the_word():
    sizes = dict.fromkeys("abcde", 10)
    assert dispersion(dict.fromkeys("abcde", 1), sizes) == approx4(0.0)  # v = s everywhere
    # All 5 in part a (b..e only in sizes): |1 - .2| + 4 * |0 - .2| = 1.6, DP = 0.8 = 1 - min(s).
    assert dispersion({"a": 5}, sizes) == approx4(0.8)
    # Unequal parts, proportional counts: sizes 10, 30; counts 1, 3 -> v = s -> 0.
    assert dispersion({"x": 1, "y": 3}, {"x": 10, "y": 30}) == approx4(0.0)
    assert dispersion({}, sizes) is None  # never occurs: undefined


def test_split_dispersions_are_split_dispersion_of_each_word():
    # The Gries example as two parts (over-represented: parts 4 and 5, 9 of 15 in 21 of 50
    # tokens): 0.5 * (|9/15 - 21/50| + |6/15 - 29/50|) = 0.5 * (0.18 + 0.18) = 0.18.
    from zzcorpus.counting import split_dispersion, split_dispersions

    assert split_dispersions([9], [15], [21], 50).tolist() == [approx4(0.18)]
    rng = np.random.default_rng(7)
    count = rng.integers(1, 5000, 2000)
    over_count = rng.integers(0, count + 1)
    size = 10_000_000
    over_size = rng.integers(over_count, size // 2)
    got = split_dispersions(over_count, count, over_size, size).tolist()
    assert got == [split_dispersion(*map(int, row), size) for row in zip(over_count, count, over_size)]  # bit for bit
    with pytest.raises(ValueError):
        split_dispersions([2], [1], [5], 50)  # more over-represented occurrences than the word has
    with pytest.raises(ValueError):
        split_dispersions([0], [0], [5], 50)  # a word that never occurs has no dp


def test_dp_rejects_inconsistent_parts():
    with pytest.raises(ValueError, match="no size"):
        dispersion({"z": 1}, {"a": 10})
    with pytest.raises(ValueError):
        dispersion({"a": 11}, {"a": 10})


# --- IDF file for jieba.analyse ---------------------------------------------------------------


DOC_FREQS = {"经济": 2, "发展": 1, "的": 4, "合作": 1, "bad word": 1, "a\u2028b": 1}


def test_idf_lines_format_and_order():
    # n_docs = 4: 的 ln(4/4) = 0, 经济 ln(4/2) = 0.6931, 发展 = 合作 = ln(4) = 1.3863 (发 U+53D1 < 合 U+5408).
    # Words holding whitespace (a space, U+2028 which splitlines() breaks on) are left out.
    lines = idf_lines(DOC_FREQS, 4)
    assert [line.split(" ")[0] for line in lines] == ["的", "经济", "发展", "合作"]
    assert [float(line.split(" ")[1]) for line in lines] == [
        0.0, approx4(0.6931), approx4(1.3863), approx4(1.3863)]


def test_idf_file_loads_in_jieba_tfidf(tmp_path):
    import jieba.analyse

    path = tmp_path / "idf.txt"
    path.write_text("\n".join(idf_lines(DOC_FREQS, 4)) + "\n", encoding="utf-8")
    tfidf = jieba.analyse.TFIDF(idf_path=str(path))
    assert tfidf.idf_freq == {"的": 0.0, "经济": math.log(2), "发展": math.log(4), "合作": math.log(4)}
    assert tfidf.median_idf == math.log(4)  # sorted [0, .69, 1.39, 1.39][4 // 2]
    tfidf.set_idf_path(str(path))  # the CLI's route; must not raise either


def test_idf_lines_rejects_impossible_document_frequencies():
    with pytest.raises(ValueError):
        idf_lines({"a": 5}, 4)
    with pytest.raises(ValueError):
        idf_lines({"a": 0}, 4)


def test_per_million():
    assert per_million(3, 1_500_000) == approx4(2.0)  # 3 / 1.5
    assert per_million(0, 0) is None
