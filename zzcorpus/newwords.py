"""New words the segmenter misses: sequences of 2-4 adjacent tokens that behave as one word in
this corpus, found from token streams alone (pure numpy; no database, no segmenter).

The evidence, for a candidate w = t1 .. tn seen `count` times among N word tokens:
- cohesion: PMI of its weakest join, min over k of log2(c(w) N / (c(t1..tk) c(tk+1..tn)));
  a part that also occurs often without the other gives a low value;
- freedom: the branching entropy (bits) of the token before it (left) and after it (right);
  a paragraph edge or punctuation counts as a new neighbour each time. A low value on one side
  says w is part of a longer unit (新质生 before 产力) rather than a word;
- guessing: how many of its parts the segmenter's dictionary lacks (it made them up with its
  HMM: 源网/荷储, 新质/生产力), which a compositional phrase of known words (项目/建设) never has.
The rank: score = log2(count) * max(cohesion, 0) * min(left, right) * 2^unknown, ties by count.
On the seeds segmented without the user dictionary this puts 新质生产力 1st, 融e通 2nd and
源网荷储 (3 occurrences) 19th; without the last factor 源网荷储 falls to 176th.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_TOKENS = 4


def pmi(joint: int, left: int, right: int, total: int) -> float:
    """log2(p(xy) / (p(x) p(y))) with p = count / total."""
    return math.log2(joint * total / (left * right))


def entropy(counts) -> float:
    """Shannon entropy in bits of a distribution given by counts."""
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    if not c.size:
        return 0.0
    p = c / c.sum()
    return float(-(p * np.log2(p)).sum() + 0.0)


def score(count: int, cohesion: float, left: float, right: float, unknown: int = 0) -> float:
    return math.log2(count) * max(cohesion, 0.0) * min(left, right) * 2 ** unknown


@dataclass
class Candidate:
    tokens: tuple  # token ids
    count: int
    pmi: float
    left_entropy: float
    right_entropy: float
    first: int  # the stream (index) of its first occurrence
    unknown: int  # parts the segmenter's dictionary lacks
    score: float


def _grams(ids: np.ndarray, ok: np.ndarray, n: int):
    """(rows: each distinct n-gram of word tokens, counts, inverse per start, starts)."""
    run = ok[: ids.size - n + 1].copy()
    for k in range(1, n):
        run &= ok[k: ids.size - n + 1 + k]
    starts = np.flatnonzero(run)
    if not starts.size:
        return np.zeros((0, n), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), starts
    table = np.stack([ids[starts + k] for k in range(n)], axis=1)
    rows, inverse, counts = np.unique(table, axis=0, return_inverse=True, return_counts=True)
    return rows, counts, inverse.reshape(-1), starts


def candidates(streams, nonword: np.ndarray, *, edge_ok: np.ndarray, chars: np.ndarray, unknown=None,
               min_count: int = 5, max_chars: int = 8) -> list[Candidate]:
    """Candidates from token streams (lexicon ids; 0 = paragraph break).

    nonword: per id, True for punctuation, numbers and the break (they end a sequence);
    edge_ok: per id, whether a candidate may start or end with it (False for stopwords);
    chars: per id, its length in characters (a candidate has 2..max_chars of them);
    unknown: per id, True when the segmenter's dictionary lacks it (None: all known).
    Sorted best first (score, then count)."""
    if not len(streams):
        return []
    lens = np.array([len(s) + 1 for s in streams], dtype=np.int64)
    ids = np.concatenate([np.append(np.asarray(s, dtype=np.int64), 0) for s in streams])  # a break after each
    owner = np.repeat(np.arange(len(streams)), lens)
    ok = ~nonword[ids]
    total = int(ok.sum())
    counts_of: dict[tuple, int] = {}
    found = []
    for n in range(1, MAX_TOKENS + 1):
        rows, counts, inverse, starts = _grams(ids, ok, n)
        frequent = counts >= min_count
        counts_of.update(zip(map(tuple, rows[frequent].tolist()), counts[frequent].tolist()))
        if n == 1:
            continue
        keep = frequent & edge_ok[rows[:, 0]] & edge_ok[rows[:, -1]]
        size = chars[rows].sum(axis=1)
        keep &= (size >= 2) & (size <= max_chars)
        if not keep.any():
            continue
        occ = keep[inverse]
        cand_of, at = inverse[occ], starts[occ]
        # Neighbours: a token id, or a distinct negative number at an edge (each edge a new one).
        before, after = at - 1, at + n
        left = np.where((before >= 0) & ok[np.maximum(before, 0)], ids[np.maximum(before, 0)], -1 - at)
        right = np.where((after < ids.size) & ok[np.minimum(after, ids.size - 1)], ids[np.minimum(after, ids.size - 1)],
                         -1 - at)
        left_h, right_h = _entropies(cand_of, left), _entropies(cand_of, right)
        first = {}
        for c, a in zip(cand_of.tolist(), at.tolist()):
            first.setdefault(c, a)
        for c in np.flatnonzero(keep).tolist():
            found.append((tuple(rows[c].tolist()), int(counts[c]), left_h[c], right_h[c], int(owner[first[c]])))
    out = []
    for toks, count, lh, rh, first in found:
        cohesion = min(pmi(count, counts_of[toks[:k]], counts_of[toks[k:]], total) for k in range(1, len(toks)))
        guessed = 0 if unknown is None else int(sum(bool(unknown[t]) for t in toks))
        out.append(Candidate(toks, count, cohesion, lh, rh, first, guessed, score(count, cohesion, lh, rh, guessed)))
    out.sort(key=lambda c: (-c.score, -c.count, c.tokens))
    return out


def _entropies(group: np.ndarray, neighbour: np.ndarray) -> dict:
    """Per group: the entropy of its neighbours."""
    pairs, counts = np.unique(np.stack([group, neighbour], axis=1), axis=0, return_counts=True)
    out: dict[int, float] = {}
    bounds = np.flatnonzero(np.concatenate([[True], pairs[1:, 0] != pairs[:-1, 0], [True]]))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        out[int(pairs[a, 0])] = entropy(counts[a:b])
    return out
