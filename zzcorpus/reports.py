"""The reports: freq, keyness, cooc, network, trend, ngrams and idf over a Selection, counted from
the word index (numpy over stored counts, postings and token streams) and handed to the pure
functions of counting.py and measures.py, which define every number.

The CLI and the Datasette pages call these same functions. Every function takes the
sqlite-utils Database first and never opens a connection.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from . import index
from . import network as net
from .counting import (  # noqa: F401  (the pure functions, re-exported where reports were always found)
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
    split_dispersion,
    unit_counts,
)
from .dates import continuous_periods, date_bound
from .filters import WordFilter, has_dates
from .measures import MEASURES, check_choice
from .measures import keyness as keyness_measures
from .selection import GROUPS, PERIODS, Selection

UNIT_WINDOWS = ("article", "paragraph", "sentence")
KEYNESS_SORTS = ("ll", "log_ratio", "chi2", "pct_diff")
NGRAM_SIZES = range(2, 5)
CHUNK = 2000  # words looked up at a time while walking a ranked list


def parse_window(window) -> str | int:
    """'article' / 'paragraph' / 'sentence', or a number of words either side (>= 1)."""
    text = str(window).strip()
    if text in UNIT_WINDOWS:
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"unknown window {window!r}: choose from {', '.join(UNIT_WINDOWS)} or a number of words >= 1")


def _check_top(top):
    if top is not None and top < 0:
        raise ValueError(f"--top must be >= 0, got {top}")


def _ranked(db, ids: np.ndarray, scores: np.ndarray):
    """(id, word, pos, score) by score descending, ties by word: words are looked up a chunk at a
    time, so a top-N list reads only the words it needs."""
    order = np.argsort(-scores, kind="stable")
    ids, scores = ids[order], scores[order]
    at = 0
    while at < ids.size:
        end = min(ids.size, at + CHUNK)
        while end < ids.size and scores[end] == scores[end - 1]:  # a tie is sorted whole
            end += 1
        found = index.words_of(db, ids[at:end])
        rows = [(int(i), *found[int(i)], s) for i, s in zip(ids[at:end].tolist(), scores[at:end].tolist())]
        rows.sort(key=lambda r: (-r[3], r[1]))
        yield from rows
        at = end


def word_pos(db, words) -> dict[str, str | None]:
    """word -> its POS tag, for the words the corpus knows."""
    ids = index.word_ids(db, words)
    found = index.words_of(db, ids.values())
    return {w: found[i][1] for w, i in ids.items()}


# --- freq -------------------------------------------------------------------------------------

def freq(db, sel: Selection, wf: WordFilter, *, top: int | None = 100, by: str | None = None) -> list[dict]:
    """Word frequencies: count, per_million, doc_count, range, dp (Gries' DP over articles), pos;
    with by = source / year / month, the top words of each group relative to that group."""
    _check_top(top)
    if by is not None:
        check_choice(by, GROUPS, name="group")
    groups = sel.counts(by)
    keys = sel.article_keys(by) if by is not None else None
    # The lexicon holds each word's dp over the whole corpus (from schema version 9 on).
    stored = by is None and sel.whole_corpus and "dp" in db["lexicon"].columns_dict
    rows = []
    for key, c in groups.items():
        picked = []
        if top != 0:
            for word_id, word, pos, count in _ranked(db, c.word, c.stats["count"]):
                if wf.keep(word, pos):
                    picked.append((word_id, word, pos, count))
                    if top is not None and len(picked) >= top:
                        break
        if not picked:
            continue
        in_group = None
        if keys is not None:  # by article id, so a word's postings are narrowed by one gather
            in_group = np.zeros(sel.by_id()[0].size, dtype=bool)
            in_group[sel.articles()[0][np.array([k == key for k in keys], dtype=bool)]] = True
        docs = c.get("docs", [p[0] for p in picked])
        dps = index.stored_dispersion(db, [p[0] for p in picked]) if stored else {}
        for (word_id, word, pos, count), doc_count in zip(picked, docs.tolist()):
            row = {} if by is None else {"source" if by == "source" else "period": key}
            row.update({
                "word": word, "count": count, "per_million": per_million(count, c.tokens),
                "doc_count": doc_count, "range": doc_count / c.articles,
                "dp": dps[word_id] if stored else _dp(sel, word_id, count, c.tokens, in_group), "pos": pos,
            })
            rows.append(row)
    if by is not None:  # groups in order (no source / no date last); stable: count order within
        key = "source" if by == "source" else "period"
        rows.sort(key=lambda r: (r[key] is None, r[key] or ""))
    return rows


def _dp(sel: Selection, word_id: int, f: int, size: int, in_group) -> float | None:
    """Gries' DP over the articles of a group, exactly as counting.dispersion gives it
    (counting.split_dispersion: the articles where the word is over-represented, count_i * size
    >= tokens_i * f, make one part)."""
    arts, counts = sel.holding(word_id)
    if in_group is not None:  # a bool per article id
        keep = in_group[arts]
        arts, counts = arts[keep], counts[keep]
    tok = sel.by_id()[1][arts]
    over = counts * size >= tok * f
    return split_dispersion(int(counts[over].sum()), f, int(tok[over].sum()), size)


# --- keyness ----------------------------------------------------------------------------------

def keyness(db, target: Selection, wf: WordFilter, *, ref_db=None, reference: Selection,
            by: str = "ll", min_count: int = 1, top: int | None = 100, negative: bool = False) -> list[dict]:
    """Keywords of the target against the reference: a, b (counts), c, d (sizes in tokens) and
    measures.keyness. Positive keywords (a/c > b/d) by default; negative=True lists the words the
    target underuses instead (a/c < b/d, most negative first). min_count applies to a (b with
    negative=True)."""
    check_choice(by, KEYNESS_SORTS, name="measure")
    _check_top(top)
    ref_db = ref_db or db
    ta, rb = target.total(), reference.total()
    c, d = ta.tokens, rb.tokens
    if c == 0 or d == 0:
        raise ValueError(f"keyness needs words on both sides: target {c} tokens, reference {d} tokens")
    if ref_db is db:
        ids = np.union1d(ta.word, rb.word)
        a_all, b_all = ta.get("count", ids), rb.get("count", ids)
        found = index.words_of(db, ids)
        counted = [(found[i], a, b) for i, a, b in zip(ids.tolist(), a_all.tolist(), b_all.tolist())]
    else:  # another database: its own word ids, matched by word
        mine, theirs = index.words_of(db, ta.word), index.words_of(ref_db, rb.word)
        a_map = {mine[i][0]: (n, mine[i][1]) for i, n in zip(ta.word.tolist(), ta.stats["count"].tolist())}
        b_map = {theirs[i][0]: (n, theirs[i][1]) for i, n in zip(rb.word.tolist(), rb.stats["count"].tolist())}
        counted = [((w, a_map.get(w, (0, None))[1] or b_map.get(w, (0, None))[1]),
                    a_map.get(w, (0, None))[0], b_map.get(w, (0, None))[0]) for w in a_map.keys() | b_map.keys()]
    candidates = [(wp, a, b) for wp, a, b in counted
                  if a * d != b * c and (a * d < b * c) == negative and (b if negative else a) >= min_count]
    rows = []
    for (word, pos), a, b in candidates:
        if not wf.keep(word, pos):
            continue
        m = keyness_measures(a, b, c, d)
        rows.append({"word": word, "a": a, "b": b, "c": c, "d": d, "ll": m["ll"],
                     "log_ratio": m["log_ratio"], "chi2": m["chi2"], "pct_diff": m["pct_diff"]})
    # Strongest first: largest values, or most negative ones for negative keywords (chi2 is
    # unsigned). pct_diff is None when b = 0, an infinitely greater share: it sorts first.
    descending = by == "chi2" or not negative
    rows.sort(key=lambda r: r["word"])
    rows.sort(key=lambda r: float("inf") if r[by] is None else r[by], reverse=descending)
    return rows if top is None else rows[:top]


# --- co-occurrence ----------------------------------------------------------------------------

def node_id(db, sel: Selection, word: str) -> int:
    """The word's id; ValueError unless it is a word of the corpus occurring in the selection."""
    found = index.word_ids(db, [word])
    if not is_word(word) or word not in found:
        raise ValueError(f"{word!r} is not a word of this corpus")
    if not sel.total().get("count", [found[word]])[0]:
        raise ValueError(f"{word!r} does not occur in the selected articles")
    return found[word]


def _word_positions(sel: Selection, ids, nonword: np.ndarray):
    """(word-only token ids, article index of each) of the given articles, concatenated."""
    toks, arts = [], []
    k = 0
    for _, values, sizes in sel.flat(ids):
        w = ~nonword[values]
        toks.append(values[w])
        arts.append(np.repeat(np.arange(k, k + sizes.size), sizes)[w])
        k += sizes.size
    if not toks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(toks), np.concatenate(arts)


def _unit_cuts(sel: Selection, ids, window: str, flags):
    """(tokens, whether each starts a unit) of the given articles, a batch at a time, for
    paragraph or sentence units: a paragraph break, sentence-final punctuation (sentences) and
    each article's first token start one."""
    boundary = flags[1].copy() if window == "sentence" else np.zeros(flags[1].size, dtype=bool)
    boundary[index.BREAK] = True
    for _, toks, lens in sel.flat(ids):
        cut = boundary[toks]
        cut[(np.cumsum(lens) - lens)[lens > 0]] = True
        yield toks, cut


def _unit_batches(sel: Selection, ids, window: str, flags):
    """(tokens, unit of each token) of the given articles, a batch of articles at a time, units
    (articles, paragraphs or sentences) numbered from 0 in each batch. Every token is there
    (paragraph breaks and punctuation too) for the caller to filter."""
    if window == "article":
        for _, toks, lens in sel.flat(ids):
            yield toks, np.repeat(np.arange(lens.size, dtype=np.int32), lens)
    else:
        for toks, cut in _unit_cuts(sel, ids, window, flags):
            yield toks, np.cumsum(cut, dtype=np.int32)


def _units_holding(sel: Selection, ids, window: str, flags, node: int):
    """(tokens, unit of each token) of the paragraphs or sentences holding the node, a batch of
    articles at a time, units numbered from 0 in each batch: found from the node's positions
    and the units' starts, so the tokens of the other units (most of them) are never gathered."""
    for toks, cut in _unit_cuts(sel, ids, window, flags):
        starts = np.append(np.flatnonzero(cut), toks.size)
        held = np.searchsorted(starts, np.flatnonzero(toks == node), side="right") - 1
        held = held[np.concatenate([[True], held[1:] != held[:-1]])] if held.size else held
        lo, size = starts[held], starts[held + 1] - starts[held]
        unit = np.repeat(np.arange(held.size, dtype=np.int64), size)
        yield toks[np.arange(unit.size) - np.repeat(np.cumsum(size) - size - lo, size)], unit


def cooc_counts(db, sel: Selection, word: str, window, *, min_count: int = 1):
    """(o11, f_node, f_word, n, span, unit) for the node word over the selection: the numbers
    counting.unit_counts / span_counts give on its streams, as {word id: count} dicts. o11 holds
    the collocates seen at least min_count times."""
    window = parse_window(window)
    node = node_id(db, sel, word)
    o11, f_node, n, span = sel.remembered(("cooc", node, window), lambda: _node_counts(db, sel, node, window))
    ids = np.flatnonzero(o11 >= max(min_count, 1))
    return dict(zip(ids.tolist(), o11[ids].tolist())), f_node, sel.total(), n, span, isinstance(window, str)


def _node_counts(db, sel: Selection, node: int, window) -> tuple[np.ndarray, int, int, int]:
    """(o11 of every word id, f_node, n, span): cooc_counts' numbers before the min_count cut."""
    total = sel.total()
    node_articles, _ = sel.holding(node)
    flags = index.token_flags(db)
    nonword = flags[0]
    o11 = np.zeros(nonword.size, dtype=np.int64)
    if isinstance(window, int):
        for _, values, sizes in sel.flat(node_articles):
            at_word = np.flatnonzero(~nonword[values])
            toks = values[at_word]
            ends = np.searchsorted(at_word, np.cumsum(sizes))  # each article's end among the words
            hits = np.flatnonzero(toks == node)
            at = np.searchsorted(ends, hits, side="right")
            first, end = np.concatenate([[0], ends])[at], ends[at]
            for off in range(1, window + 1):
                before, after = hits - off, hits + off
                o11 += np.bincount(toks[np.concatenate([before[before >= first], after[after < end]])],
                                   minlength=o11.size)
        f_node, n, span = int(total.get("count", [node])[0]), sel.n_tokens, 2 * window
    else:
        f_node, n, span = int(total.get(index.UNIT_STAT[window], [node])[0]), total.units(window), 1
        if window == "article" and 2 * node_articles.size > sel.n_articles:
            # Most articles hold the node: o11 is each word's articles less those among the others.
            others = np.setdiff1d(sel.articles()[0], node_articles, assume_unique=True)
            for toks, unit in _unit_batches(sel, others, window, flags):
                word = ~nonword[toks]
                o11 -= index.units_per_word(unit[word], toks[word], size=o11.size)
            o11[total.word] += total.stats["docs"]
        else:
            batches = (_unit_batches(sel, node_articles, window, flags) if window == "article"
                       else _units_holding(sel, node_articles, window, flags, node))
            for toks, unit in batches:
                word = ~nonword[toks]
                o11 += index.units_per_word(unit[word], toks[word], size=o11.size)
    o11[node] = 0
    return o11, f_node, n, span


def cooc(db, sel: Selection, wf: WordFilter, word: str, *, window="5", by: str = "logdice",
         min_count: int = 3, top: int | None = 50) -> list[dict]:
    """Collocates of `word`: counting.collocates rows (o11, f_node, f_word, n, e11, measures)."""
    check_choice(by, MEASURES, name="measure")
    _check_top(top)
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"--min-count must be >= 1, got {min_count!r}")
    parsed = parse_window(window)
    if by == "jaccard" and not isinstance(parsed, str):
        raise ValueError("measure 'jaccard' needs a unit window (article, paragraph or sentence)")
    o11, f_node, total, n, span, unit = cooc_counts(db, sel, word, window, min_count=min_count)
    stat = "count" if isinstance(parsed, int) else index.UNIT_STAT[parsed]
    found = index.words_of(db, o11)
    f = dict(zip(o11, total.get(stat, list(o11)).tolist()))
    pos = {found[i][0]: found[i][1] for i in o11}
    return collocates(Counter({found[i][0]: k for i, k in o11.items()}), f_node,
                      {found[i][0]: f[i] for i in o11}, n, span=span, unit=unit, min_count=min_count, by=by,
                      top=top, keep=lambda w: wf.keep(w, pos.get(w)), node=word)


# --- network ----------------------------------------------------------------------------------

def network(db, sel: Selection, wf: WordFilter, words=(), *, top: int = 50, window="sentence",
            measure: str = "logdice", min_count: int = 3, min_value: float | None = None,
            max_edges: int | None = 200):
    """A co-occurrence network (network.Graph): among the top words of the selection, or around
    `words` (each with its `top` collocates by the measure; edges touching them only)."""
    window = parse_window(window)
    check_choice(measure, MEASURES, name="measure")
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"--top must be >= 1, got {top!r}")
    known = index.word_ids(db, words)  # a word typed in traditional characters: its folded form
    forms = index.words_of(db, known.values())
    words = list(dict.fromkeys(forms[known[w]][0] if w in known else w for w in words))
    nodes = dict.fromkeys(words)
    for word in words:
        for row in cooc(db, sel, wf, word, window=window, by=measure, min_count=min_count, top=top):
            nodes.setdefault(row["word"])
    total = sel.total()
    if not words:
        for _, word, pos, _ in _ranked(db, total.word, total.stats["count"]):
            if len(nodes) >= top:
                break
            if wf.keep(word, pos):
                nodes[word] = None
    ids = index.word_ids(db, nodes)
    found = index.words_of(db, ids.values())
    node_ids = np.array(sorted(ids.values()), dtype=np.int64)
    name = {i: found[i][0] for i in node_ids.tolist()}
    counts = total.get("count", node_ids)
    attrs = {w: {"count": 0, "pos": None} for w in nodes}
    attrs.update({name[i]: {"count": int(c), "pos": found[i][1]} for i, c in zip(node_ids.tolist(), counts.tolist())})
    flags = index.token_flags(db)
    if isinstance(window, str):
        if window == "article":  # the units are articles: the nodes' postings say which hold them
            batches = _article_batches([sel.holding(i)[0] for i in node_ids.tolist()])
        else:  # only the articles holding a node can add to o11 and f; n is stored
            # Their postings say which; when they are likely most articles, reading all is cheaper.
            many = int(total.get("docs", node_ids).sum()) >= sel.n_articles
            batches = _node_units(sel, None if many else _holding_any(sel, node_ids), window, flags, node_ids)
        both = _pair_matrix(batches, node_ids.size)
        names = [name[i] for i in node_ids.tolist()]
        f = Counter({names[a]: int(both[a, a]) for a in range(len(names)) if both[a, a]})
        o11 = Counter()
        for a, b in zip(*np.nonzero(np.triu(both, 1))):
            x, y = sorted((names[a], names[b]))
            o11[x, y] = int(both[a, b])
        n, span, unit_window = total.units(window), 1, True
    else:
        holding = index.distinct(np.concatenate([sel.holding(i)[0] for i in node_ids.tolist()] or [np.zeros(0, np.int64)]))
        toks, arts = _word_positions(sel, holding, flags[0])
        o11 = _span_pairs(toks, arts, node_ids, name, window)
        f, n, span, unit_window = {w: a["count"] for w, a in attrs.items()}, sel.n_tokens, 2 * window, False
    return net.build_graph(attrs, o11, f, n, measure=measure, span=span, unit=unit_window, min_count=min_count,
                           min_value=min_value, max_edges=max_edges, centers=words)


UNIT_BATCH = 1 << 18  # units per bit matrix: at most 32 KB a node word


def _article_batches(postings: list[np.ndarray]):
    """(unit, column) batches for _pair_matrix from each node word's sorted article ids."""
    last = max((int(p[-1]) for p in postings if p.size), default=-1)
    for lo in range(0, last + 1, UNIT_BATCH):
        units, cols = [], []
        for col, p in enumerate(postings):
            a, b = np.searchsorted(p, [lo, lo + UNIT_BATCH])
            units.append(p[a:b] - lo)
            cols.append(np.full(b - a, col, dtype=np.int64))
        yield np.concatenate(units), np.concatenate(cols)


def _holding_any(sel: Selection, word_ids: np.ndarray) -> np.ndarray:
    """The selected article ids holding any of the words, sorted."""
    held = np.zeros(sel.by_id()[0].size, dtype=bool)
    for i in word_ids.tolist():
        held[sel.holding(i)[0]] = True
    return np.flatnonzero(held)


def _node_units(sel: Selection, ids, window: str, flags, node_ids: np.ndarray):
    """(unit, column) batches for _pair_matrix: the node words' tokens of the given articles, a
    batch of articles at a time, units (paragraphs or sentences) numbered from 0 in each."""
    column = np.full(flags[0].size, -1, dtype=np.int32)
    column[node_ids] = np.arange(node_ids.size)
    for toks, unit in _unit_batches(sel, ids, window, flags):
        col = column[toks]
        keep = col >= 0
        yield unit[keep], col[keep]


def _pair_matrix(batches, size: int) -> np.ndarray:
    """counts[a, b] for a <= b: the units holding both column a and column b (a == b: the units
    holding a), from batches of (unit, column) arrays, units numbered from 0 in each batch.
    Each node's units are a bit set; a pair's count is the popcount of their AND: several
    times faster than a sparse matrix product, and duplicates need no removing."""
    both = np.zeros((size, size), dtype=np.int64)
    for unit, col in batches:
        if not unit.size:
            continue
        bits = np.zeros((size, -(-(int(unit.max()) + 1) // 64) * 64), dtype=bool)
        bits[col, unit] = True
        packed = np.packbits(bits, axis=1).view(np.uint64)
        present = np.flatnonzero(np.bincount(col, minlength=size))
        for k, a in enumerate(present.tolist()):
            rest = present[k:]
            both[a, rest] += np.bitwise_count(packed[a] & packed[rest]).sum(axis=1, dtype=np.int64)
    return both


def _span_pairs(toks: np.ndarray, arts: np.ndarray, node_ids: np.ndarray, name: dict, window: int) -> Counter:
    """network.span_pair_counts' numbers: each pair of node occurrences within `window` words in
    one article, of two different words, counted once."""
    names = sorted(name[i] for i in node_ids.tolist())
    rank = np.full(int(node_ids.max()) + 1 if node_ids.size else 0, -1, dtype=np.int64)
    rank[node_ids] = [names.index(name[i]) for i in node_ids.tolist()]  # pairs keyed in name order
    hits = np.flatnonzero(np.isin(toks, node_ids))
    pairs = np.zeros(len(names) ** 2, dtype=np.int64)
    for off in range(1, window + 1):
        j = hits + off
        ok = j < toks.size
        i, j = hits[ok], j[ok]
        keep = (arts[i] == arts[j]) & np.isin(toks[j], node_ids) & (toks[i] != toks[j])
        a, b = rank[toks[i[keep]]], rank[toks[j[keep]]]
        pairs += np.bincount(np.minimum(a, b) * len(names) + np.maximum(a, b), minlength=pairs.size)
    return Counter({(names[k // len(names)], names[k % len(names)]): int(pairs[k]) for k in np.flatnonzero(pairs)})


# --- trend ------------------------------------------------------------------------------------

def trend(db, sel: Selection, words: list[str], *, by: str = "month") -> list[dict]:
    """Per-period counts of each word (zero periods included, between the selection's first and
    last dated period): word, period, count, per_million (occurrences per million word tokens of
    the period), tokens (the period's size), doc_count (articles holding the word), articles (the
    period's articles) and share (doc_count / articles): two units, never mixed."""
    check_choice(by, tuple(PERIODS), name="period")
    words = list(dict.fromkeys(words))
    if not words:
        raise ValueError("give at least one word")
    if not has_dates(db):
        raise ValueError("this corpus stores no dates, so there is no trend to draw: give dates at ingest "
                         "(file names like 枣庄日报_2024-03-19_02.txt, or --date)")
    known = index.word_ids(db, words)
    for w in words:
        if w not in known or not is_word(w):
            raise ValueError(f"{w!r} is not a word of this corpus")
    if by in ("year", "month"):  # the index holds them summed per month
        groups = sel.counts(by)
        sizes = {k: c.tokens for k, c in groups.items() if k and len(k) == PERIODS[by]}
        n_articles = {k: groups[k].articles for k in sizes}
        counts = {(w, k): int(groups[k].get("count", [known[w]])[0]) for w in words for k in sizes}
        docs = {(w, k): int(groups[k].get("docs", [known[w]])[0]) for w in words for k in sizes}
    else:
        ids, tokens = sel.articles()
        keys = sel.article_keys(by)
        sizes, n_articles = Counter(), Counter()
        for k, t in zip(keys, tokens.tolist()):
            if k and len(k) == PERIODS[by]:
                sizes[k] += t
                n_articles[k] += 1
        counts, docs = Counter(), Counter()
        for w in words:
            arts, n = sel.holding(known[w])
            for at, c in zip(np.searchsorted(ids, arts).tolist(), n.tolist()):
                counts[w, keys[at]] += c
                docs[w, keys[at]] += 1
    if not sizes:
        return []
    periods = continuous_periods(min(sizes), max(sizes), by)
    rows = []
    for w in words:
        for p in periods:
            c, d, a = counts.get((w, p), 0), docs.get((w, p), 0), n_articles.get(p, 0)
            rows.append({"word": w, "period": p, "count": c, "per_million": per_million(c, sizes.get(p, 0)),
                         "tokens": sizes.get(p, 0), "doc_count": d, "articles": a, "share": d / a if a else None})
    return rows


# --- dispersion -------------------------------------------------------------------------------

def dispersion_rows(db, sel: Selection, words: list[str]) -> list[dict]:
    """Where each word occurs: one row per selected article holding it (word, article_id, source,
    date, page, count), in date order; the rows a dispersion plot draws."""
    words = list(dict.fromkeys(words))
    if not words:
        raise ValueError("give at least one word")
    known = index.word_ids(db, words)
    for w in words:
        if w not in known or not is_word(w):
            raise ValueError(f"{w!r} is not a word of this corpus")
    rows = []
    for w in words:
        arts, counts = sel.holding(known[w])
        found = {}
        ids = arts.tolist()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for art_id, source, date_, page in db.execute(
                    f"SELECT id, source, date, page FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
                found[art_id] = (source, date_, page)
        rows += [{"word": w, "article_id": a, "source": found[a][0], "date": found[a][1], "page": found[a][2],
                  "count": c} for a, c in zip(ids, counts.tolist())]
    return sorted(rows, key=lambda r: (words.index(r["word"]), r["date"] or "9999", r["article_id"]))


def date_span(sel: Selection) -> tuple[str, str] | None:
    """The first and last day of the selection's dated months (YYYY-MM-DD), None without dates."""
    months = sorted(k for k in sel.counts("month") if k and len(k) == 7)
    if not months:
        return None
    return date_bound(months[0], end=False), date_bound(months[-1], end=True)


# --- ngrams and idf ---------------------------------------------------------------------------

def top_ngrams(db, sel: Selection, wf: WordFilter, *, n: int = 2, top: int | None = 100,
                 min_count: int = 2) -> list[dict]:
    """Recurring word sequences (counting.ngrams per article): ngram (words joined by a space),
    count, doc_count. A row is kept when every word of it passes the word filter."""
    if n not in NGRAM_SIZES:
        raise ValueError(f"--n must be one of {', '.join(map(str, NGRAM_SIZES))}, got {n}")
    _check_top(top)
    nonword, _ = index.token_flags(db)
    size = index.lexicon_size(db)
    packed = size ** n < 2 ** 62  # one integer per sequence sorts far faster than rows
    place = size ** np.arange(n - 1, -1, -1, dtype=np.int64)
    grams, arts = [], []
    k = 0
    for _, flat, sizes in sel.flat():
        # Articles joined by a break, so no sequence runs from one into the next.
        lens = sizes + 1
        toks = np.full(int(lens.sum()), index.BREAK, dtype=np.int64)
        body = np.ones(toks.size, dtype=bool)
        body[np.cumsum(lens) - 1] = False
        toks[body] = flat
        art = np.repeat(np.arange(k, k + sizes.size), lens)
        k += sizes.size
        if toks.size < n:
            continue
        w = ~nonword[toks]
        run = w[:toks.size - n + 1].copy()
        for i in range(1, n):
            run &= w[i:toks.size - n + 1 + i]
        at = np.flatnonzero(run)
        if packed:
            key = toks[at] * place[0]
            for i in range(1, n):
                key += toks[at + i] * place[i]
            grams.append(key)
        else:
            grams.append(np.stack([toks[at + i] for i in range(n)], axis=1))
        arts.append(art[at])
    if not grams:
        return []
    grams, arts = np.concatenate(grams), np.concatenate(arts)
    if packed:
        keys, table = grams, None
    else:
        table, keys = np.unique(grams, axis=0, return_inverse=True)
        keys = keys.reshape(-1)
    ordered = np.sort(keys)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    every, counts = ordered[starts], np.diff(np.append(starts, ordered.size))
    rank = np.searchsorted(every, keys)  # each occurrence's sequence, as its place in `every`
    keep = np.flatnonzero(counts >= min_count)
    uniq, counts = every[keep], counts[keep]
    order = np.argsort(-counts, kind="stable")
    rows, names = [], {}
    at = 0
    while at < order.size and (top is None or len(rows) < top):
        end = min(order.size, at + CHUNK)
        while end < order.size and counts[order[end]] == counts[order[end - 1]]:
            end += 1
        part = uniq[order[at:end]]
        ids = (part[:, None] // place) % size if table is None else table[part]
        names.update(index.words_of(db, index.distinct(ids.ravel()).tolist()))
        # Articles holding each sequence, only for the sequences looked at.
        wanted = np.zeros(every.size, dtype=bool)
        wanted[keep[order[at:end]]] = True
        held = wanted[rank]
        docs = index.units_per_word(arts[held], rank[held], size=every.size)  # articles run in order
        batch = sorted(((tuple(names[int(x)][0] for x in gram), int(count), int(docs[r]),
                         [names[int(x)][1] for x in gram])
                        for r, gram, count in zip(keep[order[at:end]].tolist(), ids, counts[order[at:end]].tolist())),
                       key=lambda r: (-r[1], r[0]))
        for gram, count, doc_count, pos in batch:
            if top is not None and len(rows) >= top:
                break
            if all(wf.keep(w, p) for w, p in zip(gram, pos)):
                rows.append({"ngram": " ".join(gram), "count": count, "doc_count": doc_count})
        at = end
    return rows


def idf(db, sel: Selection) -> tuple[list[dict], list[str]]:
    """Document-frequency IDF of every word (rows word, doc_count, idf) and the lines of an IDF
    file for jieba.analyse. No word filter: jieba.analyse applies its own stopwords."""
    total = sel.total()
    if total.word_articles == 0:
        raise ValueError("no articles with words in the selection")
    found = index.words_of(db, total.word)
    df = {found[int(i)][0]: int(d) for i, d in zip(total.word, total.stats["docs"])}
    lines = idf_lines(df, total.word_articles)
    rows = []
    for line in lines:
        word, value = line.rsplit(" ", 1)
        rows.append({"word": word, "doc_count": df[word], "idf": float(value)})
    return rows, lines


# --- the document-feature matrix -------------------------------------------------------------

def document_features(db, sel: Selection, wf: WordFilter):
    """(article ids, [(word, pos)], scipy.sparse.csr_matrix of counts): one row per selected
    article, one column per word that passes the word filter, as quanteda's dfm."""
    from scipy import sparse

    nonword, final = index.token_flags(db)
    rows, cols, vals, ids = [], [], [], []
    for batch_ids, streams in sel.streams():
        st = index.stream_stats(streams, nonword, final)
        rows.append(st.art + len(ids))
        cols.append(st.word)
        vals.append(st.count)
        ids += batch_ids.tolist()
    word = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    found = index.words_of(db, index.distinct(word))
    kept = np.array(sorted(i for i, (w, p) in found.items() if wf.keep(w, p)), dtype=np.int64)
    features = [found[int(i)] for i in kept]
    keep = np.isin(word, kept)
    matrix = sparse.csr_matrix(
        (np.concatenate(vals)[keep] if vals else [], (np.concatenate(rows)[keep] if rows else [],
                                                      np.searchsorted(kept, word[keep]))),
        shape=(len(ids), kept.size), dtype=np.int64)
    return ids, features, matrix


# --- new words and reprints -------------------------------------------------------------------

def newwords(db, sel: Selection, wf: WordFilter, *, min_count: int = 3, top: int | None = 50,
             max_chars: int = 8) -> list[dict]:
    """Strings the segmentation splits that behave as words here (newwords.py): word, count, pmi,
    left_entropy, right_entropy, score, cut (today's tokens) and one example line. Candidates
    starting or ending with a stopword (the word filter's list) are left out, and so are
    strings the lexicon already holds as one token (the segmenter keeps them whole elsewhere)."""
    from . import newwords as nw
    from .scripts import fold

    _check_top(top)
    if not isinstance(min_count, int) or min_count < 2:
        raise ValueError(f"--min-count must be a whole number >= 2, got {min_count!r}")
    nonword, _ = index.token_flags(db)
    size = nonword.size
    chars = np.zeros(size, dtype=np.int64)
    edge_ok = np.ones(size, dtype=bool)
    words = {}
    for i, word in db.execute("SELECT id, word FROM lexicon"):
        words[i] = word
        chars[i] = len(word)
        edge_ok[i] = word not in wf.stopwords
    ids = sel.articles()[0]
    streams = [s for _, batch in sel.streams(ids) for s in batch]
    dictionary = engine_words(db)
    unknown = np.zeros(size, dtype=bool)
    for i, word in words.items():
        unknown[i] = word not in dictionary
    known = set(words.values())
    rows = []
    for c in nw.candidates(streams, nonword, edge_ok=edge_ok, chars=chars, unknown=unknown, min_count=min_count,
                           max_chars=max_chars):
        word = "".join(words[t] for t in c.tokens)
        if word in known or len(word) < wf.min_len:
            continue
        rows.append({"word": word, "count": c.count, "pmi": round(c.pmi, 4), "left_entropy": round(c.left_entropy, 4),
                     "right_entropy": round(c.right_entropy, 4), "unknown_parts": c.unknown, "score": round(c.score, 4),
                     "cut": "/".join(words[t] for t in c.tokens), "article_id": int(ids[c.first])})
        known.add(word)
        if top is not None and len(rows) >= top:
            break
    for row in rows:
        title, body = db.execute("SELECT title, body FROM articles WHERE id = ?", [row["article_id"]]).fetchone()
        text = f"{title or ''}\n{body or ''}"
        at = fold(text).find(row["word"])  # the index's words are folded; the text shown is the original
        line_start, line_end = text.rfind("\n", 0, max(at, 0)) + 1, text.find("\n", max(at, 0))
        line_end = len(text) if line_end < 0 else line_end
        row["example"] = text[max(line_start, at - 20):min(line_end, at + len(row["word"]) + 20)] if at >= 0 else ""
    return rows


def engine_words(db) -> set:
    """The words the corpus's segmenter knows: jieba's dictionary (rjieba ships the same one)
    and the user dictionaries it was given (meta userdict_text)."""
    import logging

    import jieba

    from .store import get_meta

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    known = {w for w, f in jieba.dt.FREQ.items() if f}
    text = get_meta(db).get("userdict_text") or ""
    known.update(line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return known


def write_userdict(path, words, *, tag: str = "nz") -> int:
    """Append the words a user dictionary (jieba's format: `word tag`) does not hold yet; no
    frequency, so the segmenter gives each the weight it needs to stay whole. Returns how many."""
    from pathlib import Path

    from .segment import read_userdict

    path = Path(path)
    have = {w for w, _, _ in read_userdict(path)} if path.exists() else set()
    new = [w for w in dict.fromkeys(words) if w not in have]
    if new:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        with path.open("a", encoding="utf-8") as f:
            f.write(("\n" if text and not text.endswith("\n") else "") + "".join(f"{w} {tag}\n" for w in new))
    return len(new)


def reprints(db, filters, *, article_id: int | None = None) -> list[dict]:
    """The reprint clusters (reprints.clusters) with a printing passing the filters (and, with
    article_id, the one holding that article)."""
    from . import reprints as rp

    condition, params = filters.sql()
    if article_id is not None:
        condition, params = f"({condition}) AND id = ?", [*params, int(article_id)]
    return rp.clusters(db, condition=condition, params=params, where=filters.where)
