"""Counting for the reports: pure functions over token streams and counts.

Tokens come from the database as (word, pos) tuples, an article being a list of
paragraphs; functions that take tokens also accept bare word strings.  Rule of the
product: punctuation and numbers are not words, and corpus size N is the number of
word tokens.  Nothing here touches the database or the segmenter.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .measures import MEASURES, association, check_choice, ranking_value
from .segment import is_number, is_punct, is_word  # noqa: F401  (one definition of a word)

SENTENCE_FINAL_CHARS = "。！？；!?;…"
SENTENCE_FINAL = frozenset(SENTENCE_FINAL_CHARS)


def _text(token) -> str:
    """A token is a (word, pos) tuple or a bare word."""
    return token if isinstance(token, str) else token[0]


def is_sentence_final(word: str) -> bool:
    # jieba emits "……" and "！！" as one token per character; accept runs too.
    return bool(word) and not word.strip(SENTENCE_FINAL_CHARS)  # all of it: a C call, not a loop


def sentences(paragraph_tokens) -> list[list]:
    """Split one paragraph's tokens at sentence-final punctuation (。！？；!?; …).

    The sentence-final tokens are dropped; other tokens (commas, quotes, numbers) stay
    as they were.  Segments holding no word are dropped: a stray closing quote after
    。 is not a sentence, and as a sentence unit it would inflate N.
    """
    out, current = [], []
    for token in paragraph_tokens:
        if is_sentence_final(_text(token)):
            out.append(current)
            current = []
        else:
            current.append(token)
    out.append(current)
    return [s for s in out if any(is_word(_text(t)) for t in s)]


def unit_counts(units, node: str):
    """Co-occurrence counts for unit windows (article, paragraph or sentence).

    Counts are numbers of units: o11[w] = units holding both node and w, f_node =
    units holding the node, f_word[w] = units holding w, n = units.  A word repeated
    in a unit counts once.  Non-words (is_word) are ignored and a unit with no word
    is not a unit (it could hold neither node nor collocate, yet would lower E11).
    o11 has no entry for the node itself (it would always equal f_node).

    Returns (o11: Counter, f_node: int, f_word: Counter, n: int).
    """
    o11, f_word = Counter(), Counter()
    f_node = n = 0
    for unit in units:
        words = {_text(t) for t in unit}
        words = {w for w in words if is_word(w)}
        if not words:
            continue
        n += 1
        f_word.update(words)
        if node in words:
            f_node += 1
            o11.update(words - {node})
    return o11, f_node, f_word, n


def span_counts(docs, node: str, window: int):
    """Co-occurrence counts for a token window of `window` words either side (CQPweb).

    docs: one word list per article (non-words are dropped here too, so positions are
    word positions).  For every node occurrence, each word within `window` positions
    either side in the same article adds 1 to o11 of that word.  As in CQPweb counts
    are per node occurrence: a token inside the windows of two node occurrences is
    counted twice, and another occurrence of the node inside a node's window is
    counted (o11[node]; pass node= to `collocates` to drop its row).  Windows stop at
    article edges, while R1 = f_node * span stays nominal, as in CQPweb.

    Returns (o11: Counter, f_node, f_word: Counter, n) where f_node and f_word are
    corpus frequencies in tokens and n is the number of word tokens.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a whole number of words >= 1, got {window!r}")
    o11, f_word = Counter(), Counter()
    n = 0
    for doc in docs:
        words = [w for w in map(_text, doc) if is_word(w)]
        n += len(words)
        f_word.update(words)
        for i, w in enumerate(words):
            if w != node:
                continue
            o11.update(words[max(0, i - window):i])
            o11.update(words[i + 1:i + 1 + window])
    return o11, f_word[node], f_word, n


def collocates(
    o11,
    f_node,
    f_word,
    n,
    *,
    span: int = 1,
    unit: bool = False,
    min_count: int = 1,
    by: str = "logdice",
    top: int | None = None,
    keep=None,
    node: str | None = None,
) -> list[dict]:
    """Collocate rows from counts, best first.

    Each row: word, o11, f_node, f_word, n and the measures of
    `measures.association` (e11, mi, mi3, t, z, ll, dice, logdice, + jaccard when
    unit).  Rows with o11 < min_count are dropped; `keep(word)` (stopwords, POS,
    length filters) is applied to finished counts, so a filter only removes rows and
    never changes another row's numbers.  Pass node= so the node is not a row:
    span_counts counts it in other node occurrences' windows (CQPweb).
    Sorted by `by` descending ("count" = o11), ties by o11 descending then word.
    """
    check_choice(by, MEASURES, name="measure")
    if by == "jaccard" and not unit:
        raise ValueError("measure 'jaccard' needs a unit window (article, paragraph or sentence)")
    if top is not None and top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    ranked = []  # (word, o11, the measure ranked by): every measure only for the rows kept
    for word, count in o11.items():
        if word == node or count < min_count or (keep is not None and not keep(word)):
            continue
        ranked.append((word, count, ranking_value(by, count, f_node, f_word[word], n, span=span, unit=unit)))
    ranked.sort(key=lambda r: r[0])
    # None (undefined, e.g. logdice at o11 = 0) sorts after every number.
    ranked.sort(key=lambda r: (r[2] is not None, r[2] if r[2] is not None else 0.0, r[1]), reverse=True)
    return [{"word": word, "o11": count, "f_node": f_node, "f_word": f_word[word], "n": n,
             **association(count, f_node, f_word[word], n, span=span, unit=unit)}
            for word, count, _ in (ranked if top is None else ranked[:top])]


def ngrams(paragraphs, n: int) -> Counter:
    """Counter of word n-grams (tuples) within runs of words.

    Punctuation and number tokens break a run, and so does a paragraph boundary, so
    no n-gram spans 。 or ， or a figure or two paragraphs.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}")
    counts = Counter()

    def flush(run):
        for i in range(len(run) - n + 1):
            counts[tuple(run[i:i + n])] += 1

    for paragraph in paragraphs:
        run = []
        for word in map(_text, paragraph):
            if is_word(word):
                run.append(word)
            else:
                flush(run)
                run = []
        flush(run)
    return counts


def dispersion(counts_by_part: dict, sizes_by_part: dict) -> float | None:
    """Gries' DP (Gries 2008) of one word: 0 = spread like the parts' sizes, towards 1 = clumped.

        s_i = size_i / sum(sizes)       expected share of part i
        v_i = count_i / sum(counts)     observed share of part i
        DP  = 0.5 * sum |v_i - s_i|

    Parts missing from counts_by_part have count 0.  DP is not normalised: its
    maximum is 1 - min(s_i).  None when the word never occurs (undefined).
    """
    unknown = set(counts_by_part) - set(sizes_by_part)
    if unknown:
        raise ValueError(f"counts for parts with no size: {sorted(map(str, unknown))}")
    if any(v < 0 for v in sizes_by_part.values()) or any(v < 0 for v in counts_by_part.values()):
        raise ValueError("counts and sizes must be >= 0")
    if any(count > sizes_by_part[part] for part, count in counts_by_part.items()):
        raise ValueError("a part cannot hold more occurrences than tokens")
    total_size = sum(sizes_by_part.values())
    if total_size <= 0:
        raise ValueError("the parts have no tokens")
    f = sum(counts_by_part.values())
    if f == 0:
        return None
    return 0.5 * sum(
        abs(counts_by_part.get(part, 0) / f - size / total_size) for part, size in sizes_by_part.items()
    )


def split_dispersion(over_count: int, count: int, over_size: int, size: int) -> float | None:
    """Gries' DP over many parts from two sums: DP = 0.5 * sum |v_i - s_i|, and |x| + |y| =
    |x + y| when x and y have the same sign, so the parts where the word is over-represented
    (v_i >= s_i) add up to one part (over_count of its count, over_size of the size) and all the
    others, those without the word included, to another."""
    return dispersion({"over": over_count, "rest": count - over_count}, {"over": over_size, "rest": size - over_size})


def split_dispersions(over_count: np.ndarray, count: np.ndarray, over_size: np.ndarray, size: int) -> np.ndarray:
    """split_dispersion of many words at once (integer arrays; every count above 0), by the same
    float operations in the same order, so each is the same number: the dp of a whole lexicon
    in a few array operations rather than a call a word."""
    over_count, count, over_size = (np.asarray(a, dtype=np.int64) for a in (over_count, count, over_size))
    if (count <= 0).any() or (over_count < 0).any() or (over_count > count).any() or (over_size < 0).any() \
            or (over_size > size).any() or size <= 0:
        raise ValueError("counts must be above 0 and hold their parts; sizes must hold theirs")
    return 0.5 * (np.abs(over_count / count - over_size / size)
                  + np.abs((count - over_count) / count - (size - over_size) / size))


def idf_lines(doc_freqs: dict, n_docs: int) -> list[str]:
    """Lines of an IDF file for jieba.analyse (`TFIDF(idf_path)` / `set_idf_path`).

    One `word idf` per line, single space, idf = ln(n_docs / df) as in jieba's own
    idf.txt; sorted by idf ascending, then word.  jieba splits each stripped line on
    one space, so words holding whitespace are left out (they would break the
    loader).  jieba also fails on an empty file, so callers must not write one
    from an empty list.
    """
    if n_docs < 1:
        raise ValueError(f"n_docs must be >= 1, got {n_docs}")
    scored = []
    for word, df in doc_freqs.items():
        if not 1 <= df <= n_docs:
            raise ValueError(f"document frequency of {word!r} must be between 1 and {n_docs}, got {df}")
        if not word or any(ch.isspace() for ch in word):
            continue
        scored.append((math.log(n_docs / df), word))
    scored.sort()
    return [f"{word} {idf!r}" for idf, word in scored]


def per_million(count, n) -> float | None:
    """count * 1,000,000 / n; None for an empty corpus (n = 0)."""
    if n < 0 or count < 0:
        raise ValueError(f"count and n must be >= 0, got {count}, {n}")
    return count * 1_000_000 / n if n else None
