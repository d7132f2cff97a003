"""The word index inside corpus.db, which reports count from without reading text (the layout of
CWB and quanteda, in SQLite tables):

- lexicon: one row per distinct token (word id, word, POS tag, is_word, and over the articles
  reports count: freq = occurrences, docs = articles holding it). Punctuation and numbers have
  ids too (is_word = 0), so a stream keeps every token.
- article_index: each article's tokens as one integer array (title paragraphs, then body
  paragraphs, 0 between paragraphs), its group, its size in words and in paragraph and sentence
  units, and whether reports count it (`counted`: not furniture, not a marked duplicate).
- postings: for each word, the articles holding it and how often, in blocks (one per writing
  command, merged when a word gathers many), so a word's articles are one short read.
- postings_pending: the blocks of each batch of a writing command as it goes, one per (batch,
  word), appended after the batches before; the command moves them into postings at its end
  (finish), one block per word, in word order. Read with postings' own (postings()).
- groups: per source and month (dated YYYY-MM-DD articles; others in a group with month NULL),
  the sizes and the summed word statistics of the counted articles as one sparse vector, so a
  frequency list for any paper or date range adds a few vectors and never touches articles.
- period_counts: the same per-group counts as a plain table (group_id, word_id, count, docs) for
  SQL, rewritten from the vectors at the end of each writing command (finish), as are the
  lexicon's totals; `word_periods` shows it with words, sources and months.

Arrays are numpy: streams of 16-bit values (an escape for the rarer ids past 65,534), zlib for
postings and group vectors. Every function that touches the database takes the sqlite-utils Database first;
none commits: the caller owns the transaction.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import zlib
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice, repeat

import numpy as np

from .counting import SENTENCE_FINAL, is_sentence_final
from .schema import REPORT_CONDITION, db_file, insert_rows, select_ints
from .scripts import fold
from .segment import is_word

BREAK = 0  # paragraph break in a stream; lexicon ids start at 1
STATS = ("count", "docs", "paragraphs", "sentences")  # per word: tokens, and units holding it
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NEEDS_INDEX = ("this corpus was made by an older zzcorpus and has no word index yet: "
               "run `zzcorpus index --db FILE` once (it keeps every article)")
MAX_BLOCKS = 16  # a word's postings blocks (one per writing command) merged into one beyond this


def month_of(date) -> str | None:
    """The month of a YYYY-MM-DD date; None for anything else (those articles are filtered one
    by one, so a date filter treats them exactly as SQL compares their text)."""
    return date[:7] if isinstance(date, str) and DAY_RE.match(date) else None


def distinct(a) -> np.ndarray:
    """The sorted distinct values of an array (np.unique alone hashes, many times slower here)."""
    a = np.sort(np.asarray(a))
    return a[np.concatenate([[True], a[1:] != a[:-1]])] if a.size else a


# --- arrays <-> blobs -------------------------------------------------------------------------

ESCAPE = 0xFFFF  # in a stream, the next two 16-bit values hold an id of 65,535 or more


def stable_order(values: np.ndarray) -> np.ndarray:
    """The stable order of non-negative integers below 2**32 (word ids): numpy sorts 16-bit
    integers stably by radix, in a fifth of a comparison sort's time, so by the low 16 bits,
    then (when any value has more) by the high ones."""
    order = np.argsort(values.astype(np.uint16), kind="stable")
    high = values >> 16
    if high.any():
        order = order[np.argsort(high[order].astype(np.uint16), kind="stable")]
    return order


def encode_stream(ids: np.ndarray) -> tuple[bytes, int]:
    """(blob, width): 16 bits a token; an id past 16 bits as ESCAPE, its low 15 bits, the rest
    (neither can be ESCAPE, so escapes are found without walking the stream). width 2: no
    escapes, 3: some."""
    blobs, widths = encode_streams(ids, [ids.size])
    return blobs[0], widths[0]


def encode_streams(flat: np.ndarray, lens) -> tuple[list[bytes], list[int]]:
    """encode_stream of each of the streams laid end to end in flat (lens: their lengths), all
    encoded at once and cut by slicing: a few numpy calls a batch, not a few per article."""
    big = flat >= ESCAPE
    ends = np.cumsum(lens, dtype=np.int64)
    starts = ends - np.asarray(lens, dtype=np.int64)
    if not big.any():  # a lexicon of fewer than 65,535 tokens: every stream as it is, 16 bits
        buffer = flat.astype("<u2").tobytes()
        bounds = (2 * np.append(starts, flat.size)).tolist()
        return [buffer[a:b] for a, b in zip(bounds, bounds[1:])], [2] * len(starts)
    slots = np.where(big, 3, 1)
    at = np.cumsum(slots) - slots
    out = np.empty(int(slots.sum()), dtype="<u2")
    out[at] = np.where(big, ESCAPE, flat)
    out[at[big] + 1] = flat[big] & 0x7FFF
    out[at[big] + 2] = flat[big] >> 15
    bounds = (2 * np.append(at, out.size)[np.append(starts, flat.size)]).tolist()
    escapes = np.append(0, np.cumsum(big))
    buffer = out.tobytes()
    return ([buffer[a:b] for a, b in zip(bounds, bounds[1:])],
            np.where(escapes[ends] > escapes[starts], 3, 2).tolist())


def decode_stream(blob: bytes, width: int) -> np.ndarray:
    values = np.frombuffer(blob or b"", dtype="<u2")
    if width == 2:
        return values
    return _decoded(values, np.flatnonzero(values == ESCAPE))


def _decoded(values: np.ndarray, esc: np.ndarray) -> np.ndarray:
    """The int64 ids of 16-bit slots whose escapes are at `esc`, copied into the result a run
    between escapes at a time: casting, deleting the two slots after each escape and casting
    again copied every token three times (11 M tokens: 115 ms, now 30)."""
    out = np.empty(values.size - 2 * esc.size, dtype=np.int64)
    starts, ends = np.append(0, esc + 3).tolist(), np.append(esc + 1, values.size).tolist()
    at = 0
    for a, b in zip(starts, ends):  # each run ends with its escape slot, overwritten below
        out[at:at + b - a] = values[a:b]
        at += b - a
    out[esc - 2 * np.arange(esc.size)] = values[esc + 1].astype(np.int64) | (values[esc + 2].astype(np.int64) << 15)
    return out


def _pack(*arrays) -> bytes:
    return zlib.compress(np.concatenate([np.asarray(a, dtype="<u4") for a in arrays]).tobytes(), 1)


def _unpack(blob: bytes, parts: int) -> list[np.ndarray]:
    flat = np.frombuffer(zlib.decompress(blob), dtype="<u4").astype(np.int64)
    size = flat.size // parts
    return [flat[k * size:(k + 1) * size] for k in range(parts)]


def _counts_vector(n_words: int, blob: bytes | None) -> list[np.ndarray]:
    """[word ids, then each of STATS] of a group's (or the corpus's) stored vector."""
    return _unpack(blob, 1 + len(STATS)) if n_words else [np.zeros(0, dtype=np.int64)] * (1 + len(STATS))


RAW_POSTINGS = 8  # blocks of up to this many articles are stored as they are: zlib would only add
PENDING_RAW = 64  # in postings_pending, most blocks are merged soon: compressing small ones would be undone


def encode_postings(ids: np.ndarray, counts: np.ndarray) -> bytes:
    """Sorted article ids (stored as gaps, which compress) and their counts, 32 bits each."""
    return _stored(ids.size, np.concatenate([np.diff(ids, prepend=0), counts]).astype("<u4").tobytes())


def _stored(n: int, raw: bytes) -> bytes:
    """A block of n postings as postings stores it."""
    return raw if n <= RAW_POSTINGS else zlib.compress(raw, 1)


def _pending_block(n: int, raw: bytes) -> bytes:
    """A block of n postings as postings_pending stores it: raw exactly when 8 bytes a posting."""
    if n <= PENDING_RAW:
        return raw
    packed = zlib.compress(raw, 1)
    return packed if len(packed) < len(raw) else raw


def decode_blocks(blocks: list, *, pending: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(article ids, counts) of postings blocks [(n, blob), ...], end to end, decoded as one
    array (each block's first gap is its first id): numpy calls a block cost more than the
    decoding when a word has dozens of small blocks. pending: blocks of postings_pending."""
    ns = np.fromiter((n for n, _ in blocks), dtype=np.int64, count=len(blocks))
    flat = np.frombuffer(b"".join(b if (len(b) == 8 * n if pending else n <= RAW_POSTINGS) else zlib.decompress(b)
                                  for n, b in blocks),
                         dtype="<u4").astype(np.int64)
    starts = np.cumsum(ns) - ns
    at = np.arange(int(ns.sum())) + np.repeat(starts, ns)  # block k: n gaps, then n counts, from 2 * starts[k]
    ids = np.cumsum(flat[at])
    ids -= np.repeat(np.append(0, ids)[starts], ns)  # the ids of the blocks before
    return ids, flat[at + np.repeat(ns, ns)]


# --- statistics of streams (pure numpy) -------------------------------------------------------

@dataclass
class StreamStats:
    """Per (article, word): count and the paragraph and sentence units holding the word, as
    parallel arrays sorted by article then word; per article: words, paragraph and sentence
    units (units holding at least one word, as counting.unit_counts counts units)."""

    art: np.ndarray
    word: np.ndarray
    count: np.ndarray
    paragraphs: np.ndarray
    sentences: np.ndarray
    tokens: np.ndarray  # per article
    para_units: np.ndarray
    sent_units: np.ndarray


def _sorted_pairs(unit: np.ndarray, word: np.ndarray):
    """(bits, where the slice's units start, sorted keys, where each distinct key starts), a slice
    of units at a time: a key is (rank of the unit in the slice, word) in 32 bits. unit must not
    decrease."""
    bits = max(1, int(word.max()).bit_length())
    per = 1 << max(0, 32 - bits)  # units whose keys fit 32 bits together
    new_unit = np.concatenate([[True], unit[1:] != unit[:-1]])
    starts = np.flatnonzero(new_unit)
    rank = np.cumsum(new_unit) - 1
    for lo in range(0, starts.size, per):
        a = starts[lo]
        b = starts[lo + per] if lo + per < starts.size else unit.size
        keys = np.sort(((rank[a:b] - lo).astype(np.uint32) << np.uint32(bits)) | word[a:b].astype(np.uint32))
        yield bits, starts[lo:lo + per], keys, np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))


def units_per_word(unit: np.ndarray, word: np.ndarray, *, size: int) -> np.ndarray:
    """How many units hold each word id (an array of `size`): the bincount of each unit's
    distinct words, without making the (unit, word) pairs."""
    held = np.zeros(size, dtype=np.int64)
    for bits, _, keys, first in (_sorted_pairs(unit, word) if unit.size else ()):
        held += np.bincount(keys[first] & np.uint32((1 << bits) - 1), minlength=size)
    return held


def stream_stats(streams: list[np.ndarray], nonword: np.ndarray, final: np.ndarray) -> StreamStats:
    """Statistics of token streams; nonword / final: a bool per token id (id 0, the paragraph
    break, is a non-word): not a word (counting.is_word), sentence-final punctuation."""
    lens = np.fromiter((len(s) for s in streams), dtype=np.int64, count=len(streams))
    ids = np.concatenate(streams).astype(np.int64) if streams else np.zeros(0, dtype=np.int64)
    return flat_stream_stats(ids, lens, nonword, final)


KEY_BITS = 64  # (article, word, sentence) keys wider than this are sorted by lexsort


def flat_stream_stats(ids: np.ndarray, lens: np.ndarray, nonword: np.ndarray, final: np.ndarray) -> StreamStats:
    """stream_stats of the streams laid end to end in ids, lens long each."""
    n = lens.size
    start = np.zeros(ids.size, dtype=bool)
    start[(np.cumsum(lens) - lens)[lens > 0]] = True
    brk = ids == BREAK
    para = np.cumsum(brk | start)
    sent = np.cumsum(brk | start | final[ids])
    at = np.flatnonzero(~nonword[ids])  # the words' positions: taken once, not masked four times
    A, W, P, S = np.repeat(np.arange(n), lens)[at], ids[at], para[at], sent[at]
    if not A.size:
        empty, zeros = np.zeros(0, dtype=np.int64), np.zeros(n, dtype=np.int64)
        return StreamStats(empty, empty, empty, empty, empty, zeros, zeros, zeros.copy())
    # One sort of (article, word, sentence) keys: each (article, word) a run, its sentences in
    # order within it, and so its paragraphs, which hold whole sentences (five sorts of pairs
    # took twice as long).
    wbits, sbits = int(W.max()).bit_length(), int(S.max()).bit_length()
    if (n - 1).bit_length() + wbits + sbits <= KEY_BITS:
        keys = (A.astype(np.uint64) << np.uint64(wbits + sbits)) | (W.astype(np.uint64) << np.uint64(sbits))
        keys |= S.astype(np.uint64)
        keys.sort()
        # s as int64: uint64 indexes through a cast copy
        pair, s = keys >> np.uint64(sbits), (keys & np.uint64((1 << sbits) - 1)).view(np.int64)
        new_pair = np.concatenate([[True], pair[1:] != pair[:-1]])
        starts = np.flatnonzero(new_pair)
        first = keys[starts]  # only each pair's own key is split into article and word
        a = (first >> np.uint64(wbits + sbits)).astype(np.int64)
        word = ((first >> np.uint64(sbits)) & np.uint64((1 << wbits) - 1)).astype(np.int64)
    else:
        order = np.lexsort((S, W, A))
        aa, ww, s = A[order], W[order], S[order]
        new_pair = np.concatenate([[True], (aa[1:] != aa[:-1]) | (ww[1:] != ww[:-1])])
        starts = np.flatnonzero(new_pair)
        a, word = aa[starts], ww[starts]
    para_of = np.zeros(int(sent[-1]) + 1, dtype=np.int64)
    para_of[S] = P
    p = para_of[s]
    new_sent = new_pair | np.concatenate([[True], s[1:] != s[:-1]])
    new_para = new_pair | np.concatenate([[True], p[1:] != p[:-1]])
    count = np.diff(np.append(starts, s.size))
    units = [np.bincount(A[np.concatenate([[True], u[1:] != u[:-1]])], minlength=n) for u in (P, S)]  # in stream order
    return StreamStats(a, word, count, _runs_of(new_para, new_pair), _runs_of(new_sent, new_pair),
                       np.bincount(A, minlength=n), *units)


def _runs_of(new: np.ndarray, new_run: np.ndarray) -> np.ndarray:
    """How many positions flagged `new` each run holds (runs start where new_run is set, which
    new is too)."""
    at = np.flatnonzero(new)
    return np.diff(np.append(np.flatnonzero(new_run[at]), at.size))


@dataclass
class Counts:
    """Summed statistics of a set of articles, sparse: the word ids present (sorted) and per
    word count, docs, paragraphs, sentences (occurrences and the articles / paragraphs /
    sentences holding it); and the set's sizes: articles, tokens (words), units with a word."""

    word: np.ndarray
    stats: dict
    articles: int = 0
    tokens: int = 0
    word_articles: int = 0
    para_units: int = 0
    sent_units: int = 0

    SIZES = ("articles", "tokens", "word_articles", "para_units", "sent_units")

    @classmethod
    def zero(cls) -> "Counts":
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, {k: empty for k in STATS})

    @classmethod
    def of(cls, word, stats: dict, **sizes) -> "Counts":
        """From unsorted, possibly repeated word ids and their values (summed per word)."""
        word = np.asarray(word, dtype=np.int64)
        if not word.size:
            return cls(word, {k: word for k in STATS}, **sizes)
        # Word ids are lexicon ids, so dense sums over them beat sorting (exact: float64 holds
        # integers up to 2**53).
        top = int(word.max()) + 1
        keys = np.flatnonzero(np.bincount(word, minlength=top))
        summed = {k: np.bincount(word, weights=stats[k], minlength=top)[keys].astype(np.int64) for k in STATS}
        return cls(keys, summed, **sizes)

    @classmethod
    def merge(cls, parts, signs=None) -> "Counts":
        """The sum of several Counts (signs: +1 / -1 each); words whose count drops to 0 go."""
        parts = list(parts)
        signs = list(signs) if signs is not None else [1] * len(parts)
        if not parts:
            return cls.zero()
        word = np.concatenate([p.word for p in parts])
        stats = {k: np.concatenate([p.stats[k] * s for p, s in zip(parts, signs)]) for k in STATS}
        sizes = {k: sum(getattr(p, k) * s for p, s in zip(parts, signs)) for k in cls.SIZES}
        out = cls.of(word, stats, **sizes)
        live = out.stats["count"] != 0
        if not live.all():
            out.word = out.word[live]
            out.stats = {k: v[live] for k, v in out.stats.items()}
        return out

    def get(self, stat: str, ids) -> np.ndarray:
        """The stat of each word id (0 for words absent)."""
        ids = np.asarray(ids, dtype=np.int64)
        at = np.searchsorted(self.word, ids)
        at_ok = np.minimum(at, max(self.word.size - 1, 0))
        found = (at < self.word.size) & (self.word[at_ok] == ids) if self.word.size else np.zeros(ids.size, bool)
        return np.where(found, self.stats[stat][at_ok] if self.word.size else 0, 0)

    def units(self, window: str) -> int:
        return {"article": self.word_articles, "paragraph": self.para_units, "sentence": self.sent_units}[window]


UNIT_STAT = {"article": "docs", "paragraph": "paragraphs", "sentence": "sentences"}


def counts_of_stats(st: StreamStats, articles: np.ndarray) -> Counts:
    """Counts of the articles flagged in `articles` (a bool per article of st)."""
    rows = articles[st.art]
    return Counts.of(
        st.word[rows], {"count": st.count[rows], "docs": np.ones(int(rows.sum()), dtype=np.int64),
                        "paragraphs": st.paragraphs[rows], "sentences": st.sentences[rows]},
        articles=int(articles.sum()), tokens=int(st.tokens[articles].sum()),
        word_articles=int((st.tokens[articles] > 0).sum()), para_units=int(st.para_units[articles].sum()),
        sent_units=int(st.sent_units[articles].sum()))


# --- the lexicon ------------------------------------------------------------------------------

class Lexicon:
    """word <-> id for a database, read once; new tokens get the next ids (add_tokens)."""

    def __init__(self, db):
        self.db = db
        self.ids: dict[str, int] = dict(db.execute("SELECT word, id FROM lexicon"))
        self.next_id = (db.execute("SELECT MAX(id) FROM lexicon").fetchone()[0] or 0) + 1

    def add_tokens(self, tokens, tags: dict, *, nonword=None) -> np.ndarray:
        """Ids of the tokens (a list of strings), adding the unknown ones with their tags;
        nonword: whether each token is not a word (is_word), when the caller knows."""
        get = self.ids.get
        out = np.array([get(tok, 0) for tok in tokens], dtype=np.int64)  # ids start at 1
        new = []
        for i in np.flatnonzero(out == 0).tolist():
            tok = tokens[i]
            if (got := get(tok)) is None:  # not met earlier in tokens either
                got = self.ids[tok] = self.next_id
                self.next_id += 1
                new.append((got, tok, tags.get(tok), int(is_word(tok) if nonword is None else not nonword[i])))
            out[i] = got
        if new:
            self.db.conn.executemany("INSERT INTO lexicon (id, word, pos, is_word, freq, docs) VALUES (?, ?, ?, ?, 0, 0)", new)
        return out


def token_flags(db) -> tuple[np.ndarray, np.ndarray]:
    """(nonword, final): a bool per lexicon id (and for the break, id 0): not a word; sentence-final."""
    size = lexicon_size(db)
    nonword, final = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    nonword[BREAK] = True
    nonword[select_ints(db, ["id"], "FROM lexicon WHERE is_word = 0")[:, 0]] = True  # most can be numbers
    marks = ", ".join(f"'{ch}'" for ch in SENTENCE_FINAL)  # most non-words are numbers: ask only these
    for i, word in db.execute(f"SELECT id, word FROM lexicon WHERE is_word = 0 AND substr(word, 1, 1) IN ({marks})"):
        final[i] = is_sentence_final(word)
    return nonword, final


def lexicon_size(db) -> int:
    return (db.execute("SELECT MAX(id) FROM lexicon").fetchone()[0] or 0) + 1


def word_ids(db, words) -> dict[str, int]:
    """word -> id for the given words the lexicon holds; in a corpus folded to simplified (the
    default), a word typed in traditional characters is looked up by its simplified form."""
    words = list(dict.fromkeys(words))
    folded = db.execute("SELECT 1 FROM meta WHERE key = 'fold' AND value = 'none'").fetchone() is None
    lookup = {w: fold(w) if folded else w for w in words}
    ids, forms = {}, list(dict.fromkeys(lookup.values()))
    for i in range(0, len(forms), 500):
        chunk = forms[i:i + 500]
        ids.update(db.execute(f"SELECT word, id FROM lexicon WHERE word IN ({', '.join('?' * len(chunk))})", chunk))
    return {w: ids[f] for w, f in lookup.items() if f in ids}


def words_of(db, ids) -> dict[int, tuple[str, str | None]]:
    """id -> (word, pos) for the given ids."""
    out, ids = {}, [int(i) for i in dict.fromkeys(ids)]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update((r[0], (r[1], r[2])) for r in db.execute(
            f"SELECT id, word, pos FROM lexicon WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
    return out


# --- the worker side: a chunk of segmented articles -> local arrays -----------------------------

@dataclass
class Chunk:
    """Streams and statistics of a chunk of articles in chunk-local ids (1..len(vocab)), made in a
    worker process; the writer maps them to lexicon ids (to_global)."""

    vocab: list
    tags: dict
    nonword: np.ndarray  # per vocab token: not a word (is_word), as the streams' statistics took it
    flat: np.ndarray  # the articles' streams end to end (one array: a few numpy calls a chunk)
    lens: np.ndarray  # the length of each one
    stats: StreamStats

    def __getstate__(self):
        """Sent from the worker as arrays of the narrowest type that holds them (mostly 8 and 16
        bits): a fifth of the bytes to pickle, pipe and unpickle in the writer, which is the
        busier process."""
        return (self.vocab, self.tags, self.nonword, _narrowest(self.flat), _narrowest(self.lens),
                {f: _narrowest(getattr(self.stats, f)) for f in StreamStats.__dataclass_fields__})

    def __setstate__(self, state):
        self.vocab, self.tags, self.nonword, flat, lens, stats = state
        self.flat, self.lens = flat.astype(np.int64), lens.astype(np.int64)
        self.stats = StreamStats(**{f: a.astype(np.int64) for f, a in stats.items()})


def _narrowest(a: np.ndarray) -> np.ndarray:
    """An array of integers in the narrowest type that holds them."""
    return a.astype(np.result_type(np.min_scalar_type(int(a.min())), np.min_scalar_type(int(a.max())))) if a.size else a


def make_chunk(articles, tags: dict, *, vocab: list[str] | None = None) -> Chunk:
    """articles: each a list of its paragraphs' token lists (paragraph_tokens(title_seg,
    body_seg) of stored text); tags: each token's POS tag; vocab: their distinct tokens in the
    order met, when the caller has them."""
    # Every token in order, "\n" after each paragraph; then one lookup per token, in C.
    flat, lens = [], []
    for paragraphs in articles:
        before = len(flat)
        for words in paragraphs:
            flat += words
            flat.append("\n")
        lens.append(len(flat) - before)
    if vocab is None:
        vocab = [t for t in dict.fromkeys(flat) if t != "\n"]
    local = dict(zip(vocab, range(1, len(vocab) + 1)), **{"\n": BREAK})
    ids = np.fromiter(map(local.__getitem__, flat), dtype=np.int64, count=len(flat))
    # No break after an article's last paragraph; no stream at all for a chunk of no articles (a
    # chunk of empty files: its neighbours' articles must not move up one).
    lens = np.array(lens, dtype=np.int64)
    last = np.ones(ids.size, dtype=bool)
    last[np.cumsum(lens)[lens > 0] - 1] = False
    ids, lens = ids[last], lens - (lens > 0)
    # is_word through map (its cache is C, no Python call a token); only non-words can end a
    # sentence (its marks are punctuation).
    nonword = np.append(True, ~np.fromiter(map(is_word, vocab), dtype=bool, count=len(vocab)))
    final = np.zeros(nonword.size, dtype=bool)
    at = np.flatnonzero(nonword[1:])
    final[at + 1] = [is_sentence_final(vocab[i]) for i in at.tolist()]
    return Chunk(vocab, dict(zip(vocab, map(tags.get, vocab))), nonword[1:], ids, lens,
                 flat_stream_stats(ids, lens, nonword, final))


def paragraph_tokens(title_seg: str | None, body_seg: str | None) -> list[list[str]]:
    """The token lists of a stored article's paragraphs (its segmented headline's first)."""
    return [line.split(" ") for line in "\n".join(s for s in (title_seg, body_seg) if s).split("\n") if line]


def to_global(chunks, lexicon: Lexicon) -> tuple[np.ndarray, np.ndarray, StreamStats]:
    """The streams (end to end, and their lengths) and statistics of several chunks, in lexicon
    ids, as one."""
    flat, parts, offset = [], [], 0
    for chunk in chunks:
        mapping = np.concatenate([[BREAK], lexicon.add_tokens(chunk.vocab, chunk.tags, nonword=chunk.nonword)])
        st = chunk.stats
        parts.append(StreamStats(st.art + offset, mapping[st.word], st.count, st.paragraphs, st.sentences,
                                 st.tokens, st.para_units, st.sent_units))
        flat.append(mapping[chunk.flat])
        offset += chunk.lens.size
    joined = (lambda arrays: np.concatenate(arrays) if arrays else np.zeros(0, np.int64))
    return joined(flat), joined([c.lens for c in chunks]), StreamStats(
        *(joined([getattr(p, f) for p in parts]) for f in StreamStats.__dataclass_fields__))


# --- groups -----------------------------------------------------------------------------------

def group_ids(db, keys) -> list[int]:
    """The group of each (source, date), created when new."""
    out, known = [], {}
    for source, date in keys:
        key = (source, month_of(date))
        if key not in known:
            row = db.execute("SELECT id FROM groups WHERE source IS ? AND month IS ?", key).fetchone()
            known[key] = row[0] if row else db.execute(
                "INSERT INTO groups (source, month, articles, tokens, word_articles, para_units, sent_units, n_words, "
                "dirty) VALUES (?, ?, 0, 0, 0, 0, 0, 0, 0)", key).lastrowid
        out.append(known[key])
    return out


def finish(db, *, pool=None, meanwhile=lambda: None) -> None:
    """After writing: the lexicon's freq and docs from all groups and period_counts of the groups
    that changed rewritten from their vectors (cheaper once per command than per batch); the
    pending postings moved into place and every word's dp, in one pass over them
    (update_dispersion, by the pool's processes). meanwhile: the caller's database work, done in
    this process while they decode and encode postings, as is the period_counts rewrite."""
    dirty = [r[0] for r in db.execute("SELECT id FROM groups WHERE dirty = 1")]
    if not dirty:
        compact_postings(db)
        meanwhile()
        return
    total = store_corpus_counts(db)
    now = {i: (f, d) for i, f, d in zip(total.word.tolist(), total.stats["count"].tolist(), total.stats["docs"].tolist())}
    stale = [(*now.get(i, (0, 0)), i) for i, f, d in db.execute("SELECT id, freq, docs FROM lexicon WHERE is_word = 1")
             if now.get(i, (0, 0)) != (f, d)]
    db.conn.executemany("UPDATE lexicon SET freq = ?, docs = ? WHERE id = ?", stale)
    db.execute("UPDATE groups SET dirty = 0 WHERE dirty = 1")

    def period_counts():
        meanwhile()
        for g in dirty:
            c = group_counts(db, g)
            db.execute("DELETE FROM period_counts WHERE group_id = ?", [g])
            rows = np.column_stack([np.full(c.word.size, g), c.word, c.stats["count"], c.stats["docs"]])
            insert_rows(db, "INSERT INTO period_counts (group_id, word_id, count, docs)", rows)

    update_dispersion(db, pool=pool, meanwhile=period_counts)


def store_corpus_counts(db) -> Counts:
    """Sum every group's counts into corpus_counts; return the sum. A group at a time into one
    vector per statistic over the lexicon: memory for the lexicon, not for every group's words."""
    groups = [g for (g,) in db.execute("SELECT id FROM groups")]
    summed = np.zeros((len(STATS), lexicon_size(db)), dtype=np.int64)
    sizes = dict.fromkeys(Counts.SIZES, 0)
    for g in groups:
        part = group_counts(db, g)
        for k, stat in enumerate(STATS):
            summed[k, part.word] += part.stats[stat]  # a group holds each word once
        for k in sizes:
            sizes[k] += getattr(part, k)
    word = np.flatnonzero(summed[0])
    total = Counts(word, {stat: summed[k, word] for k, stat in enumerate(STATS)}, **sizes)
    db.execute("DELETE FROM corpus_counts")
    db.execute("INSERT INTO corpus_counts (id, groups, articles, tokens, word_articles, para_units, sent_units, "
               "n_words, vector) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
               [len(groups), *(int(getattr(total, k)) for k in Counts.SIZES), int(total.word.size),
                _pack(total.word, *(total.stats[k] for k in STATS))])
    return total


def corpus_counts(db) -> Counts | None:
    """The sum of every group's counts as corpus_counts holds it, or None where it may not be
    their sum now: a writer has not finished (a group is dirty: finish() updates both), the
    groups do not add up to its sizes, or a database older than the table."""
    row = db.execute("SELECT groups, articles, tokens, word_articles, para_units, sent_units, n_words, vector "
                     "FROM corpus_counts WHERE id = 1").fetchone() if db["corpus_counts"].exists() else None
    if row is None:
        return None
    now = db.execute("SELECT COUNT(*), SUM(articles), SUM(tokens), SUM(word_articles), SUM(para_units), "
                     "SUM(sent_units), MAX(dirty) FROM groups").fetchone()
    if now[-1] or tuple(v or 0 for v in now[:6]) != tuple(row[:6]):
        return None
    word, *values = _counts_vector(row[6], row[7])
    return Counts(word, dict(zip(STATS, values)), *row[1:6])


def stored_dispersion(db, word_ids) -> dict[int, float | None]:
    """word id -> lexicon.dp (update_dispersion)."""
    ids = [int(i) for i in word_ids]
    return dict(db.execute(f"SELECT id, dp FROM lexicon WHERE id IN ({', '.join('?' * len(ids))})", ids)) if ids else {}


def update_dispersion(db, *, batch: int = 1 << 21, pool=None, meanwhile=lambda: None) -> None:
    """lexicon.dp: each word's Gries DP over the counted articles, the number `freq` prints for
    the whole corpus, so a frequency list of the corpus reads no postings. As reports._dp, with
    counting.split_dispersions. Every article changes N, so every word is recomputed. The pending
    postings are moved into place first, and the words they hold all of are counted as they are
    moved (move_pending_postings, by the pool, and `meanwhile`): decoded once, not
    twice. The other words are read from postings, a batch of postings at a time."""
    from .counting import split_dispersions

    last = db.execute("SELECT MAX(article_id) FROM article_index").fetchone()[0] or 0
    size = np.zeros(last + 1, dtype=np.int64)  # per article id; 0: not counted
    art_id, tokens = select_ints(db, ["article_id", "tokens"], "FROM article_index WHERE counted = 1").T
    size[art_id] = tokens
    total = int(size.sum())
    freq = np.zeros(lexicon_size(db), dtype=np.int64)  # 0: not a word, or not counted anywhere
    word_id, word_freq = select_ints(db, ["id", "freq"], "FROM lexicon WHERE is_word = 1 AND freq > 0").T
    freq[word_id] = word_freq
    over_count, over_size = np.zeros(freq.size, dtype=np.int64), np.zeros(freq.size, dtype=np.int64)

    def add(words, counts, sizes):
        over_count[words] += counts
        over_size[words] += sizes

    had = select_ints(db, ["DISTINCT word_id"], "FROM postings")[:, 0]  # the words with postings before the move
    for sums in move_pending_postings(db, counting=(size, freq, total, had), pool=pool, meanwhile=meanwhile):
        add(*sums)
    _merge_crowded(db)
    had = set(had.tolist())
    rows, taken = [], 0

    def add_rows():
        a, c = decode_blocks([(k, block) for _, k, block in rows])
        w = np.repeat(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                      np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)))
        add(*_dispersion_sums(w, a, c, size, freq, total))
        rows.clear()

    for row in db.execute(
        "SELECT p.word_id, p.n, p.block FROM postings p JOIN lexicon l ON l.id = p.word_id "
        "WHERE l.is_word = 1 AND l.freq > 0"
    ) if had else ():
        if row[0] not in had:  # every posting of it was counted as it was moved
            continue
        rows.append(row)
        taken += row[1]
        if taken >= batch:
            add_rows()
            taken = 0
    if rows:
        add_rows()
    ids = np.flatnonzero(freq)
    dp = split_dispersions(over_count[ids], freq[ids], over_size[ids], total).tolist()
    db.execute("UPDATE lexicon SET dp = NULL WHERE dp IS NOT NULL AND NOT (is_word = 1 AND freq > 0)")
    db.conn.executemany("UPDATE lexicon SET dp = ? WHERE id = ?", zip(dp, ids.tolist()))


def _dispersion_sums(w, a, c, size, freq, total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(words, their counts, the sizes of their articles), each summed over the postings (word w
    in article a, c times) where the word is at least as dense as in the whole corpus
    (c / size[a] >= freq[w] / total): split_dispersion's parts."""
    tok = size[a]
    over = (tok > 0) & (c * total >= tok * freq[w])
    w, c, tok = w[over], c[over], tok[over]
    if not w.size:
        return w, c, tok
    if (w[1:] < w[:-1]).any():  # the callers' postings come in word order; sorting them cost a third
        order = np.argsort(w, kind="stable")
        w, c, tok = w[order], c[order], tok[order]
    starts = np.flatnonzero(np.concatenate([[True], w[1:] != w[:-1]]))
    return w[starts], np.add.reduceat(c, starts), np.add.reduceat(tok, starts)


def group_counts(db, group_id: int) -> Counts:
    row = db.execute("SELECT articles, tokens, word_articles, para_units, sent_units, n_words, vector "
                     "FROM groups WHERE id = ?", [group_id]).fetchone()
    word, *values = _counts_vector(row[5], row[6])
    return Counts(word, dict(zip(STATS, values)), *row[:5])


def _update_groups(db, st: StreamStats, art_groups: np.ndarray, sign: np.ndarray) -> None:
    """Add (sign +1) or subtract (-1) the articles' statistics to their groups' vectors, marking
    the groups dirty (finish() then brings period_counts and the lexicon's totals in line).
    sign: one per article of st, 0 for articles left alone."""
    if not sign.any():
        return
    rows = np.flatnonzero(sign[st.art] != 0)
    # In group order (stable: each group's rows stay in article order), so each group's rows
    # are a slice, not a mask over the batch's rows per group (a batch of 20 MB's corpus spans 20-40).
    rows = rows[stable_order(art_groups[st.art[rows]])]
    s = sign[st.art[rows]]
    grp, word = art_groups[st.art[rows]], st.word[rows]
    deltas = {"count": st.count[rows] * s, "docs": s, "paragraphs": st.paragraphs[rows] * s,
              "sentences": st.sentences[rows] * s}
    for g in distinct(art_groups[sign != 0]).tolist():
        in_group = slice(*np.searchsorted(grp, [g, g + 1]).tolist())
        arts = (art_groups == g) & (sign != 0)
        sg = sign[arts]
        row = db.execute("SELECT n_words, vector FROM groups WHERE id = ?", [g]).fetchone()
        old = _counts_vector(*row)
        merged = Counts.of(np.concatenate([old[0], word[in_group]]),
                           {k: np.concatenate([o, deltas[k][in_group]]) for o, k in zip(old[1:], STATS)})
        live = merged.stats["count"] > 0
        vector = _pack(merged.word[live], *(merged.stats[k][live] for k in STATS))
        db.execute(
            "UPDATE groups SET articles = articles + ?, tokens = tokens + ?, word_articles = word_articles + ?, "
            "para_units = para_units + ?, sent_units = sent_units + ?, n_words = ?, vector = ?, dirty = 1 WHERE id = ?",
            [int(sg.sum()), int((st.tokens[arts] * sg).sum()), int(((st.tokens[arts] > 0) * sg).sum()),
             int((st.para_units[arts] * sg).sum()), int((st.sent_units[arts] * sg).sum()),
             int(live.sum()), vector, g])


# --- writing ----------------------------------------------------------------------------------

def add_articles(db, article_ids, groups, flat, lens, st: StreamStats, counted=None) -> None:
    """Index new articles: their streams (end to end in flat, lens long each) and postings;
    counted: a flag per article as stored (not yet added to the group counts: the caller does
    that)."""
    counted = [0] * len(article_ids) if counted is None else counted
    blobs, widths = encode_streams(flat, lens)
    db.conn.executemany(
        "INSERT INTO article_index (article_id, grp, counted, tokens, para_units, sent_units, width, stream) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        zip(article_ids, groups, map(int, counted), st.tokens.tolist(), st.para_units.tolist(), st.sent_units.tolist(),
            widths, blobs))
    if not st.word.size:
        return
    art_ids = np.asarray(article_ids, dtype=np.int64)
    order = stable_order(st.word)  # st is in article order: each word's articles stay in it
    # Appended after the batches before: written into postings, whose blocks are ordered by
    # word, every batch would rewrite most of that table's pages, more as the corpus grows.
    words, _, sizes, blocks = _blocks(st.word[order], art_ids[st.art][order], st.count[order])
    db.conn.executemany("INSERT INTO postings_pending (batch, word_id, n, block) VALUES (?, ?, ?, ?)",
                        zip(repeat(int(art_ids.min())), words, sizes, map(_pending_block, sizes, blocks)))


def _blocks(words: np.ndarray, arts: np.ndarray, counts: np.ndarray) -> tuple[list, list, list, list]:
    """(word ids, first article ids, sizes, raw blocks) of postings sorted by word, then article:
    a block per word. Every block's bytes (its n gaps, then its n counts) are laid end to end in
    one buffer and cut by slicing: a few numpy calls in all, not two per word."""
    starts = np.flatnonzero(np.concatenate([[True], words[1:] != words[:-1]]))
    sizes = np.diff(np.append(starts, words.size))
    gaps = np.diff(arts, prepend=0)
    gaps[starts] = arts[starts]  # each word's block starts from 0
    block_of = np.repeat(np.arange(starts.size), sizes)
    at = np.arange(words.size) + np.repeat(starts, sizes)  # gap i of block k: 2 * starts[k] + (i - starts[k])
    flat = np.empty(2 * words.size, dtype="<u4")
    flat[at], flat[at + sizes[block_of]] = gaps, counts
    buffer = flat.tobytes()
    bounds = (8 * np.append(starts, words.size)).tolist()
    return (words[starts].tolist(), arts[starts].tolist(), sizes.tolist(),
            [buffer[a:b] for a, b in zip(bounds, bounds[1:])])


def read_streams(db, article_ids) -> dict[int, np.ndarray]:
    """article id -> its token stream, for the given articles that are stored."""
    ids = sorted({int(i) for i in article_ids})
    return {a: s for found, streams in iter_streams(db, ids) for a, s in zip(found.tolist(), streams)}


def token_paragraphs(db, article_ids):
    """(article id, paragraphs) for the given articles, in that order: each paragraph the list of
    its tokens (punctuation and numbers included), the title first, as stored in title_seg and
    body_seg."""
    streams = read_streams(db, article_ids)
    words = {i: w for i, (w, _) in words_of(db, distinct(np.concatenate(list(streams.values()) or [np.zeros(0)]))
                                           .astype(np.int64).tolist()).items()}
    for art_id in article_ids:
        ids = streams.get(int(art_id))
        if ids is None:
            continue
        bounds = [-1, *np.flatnonzero(ids == BREAK).tolist(), ids.size] if ids.size else [-1]
        yield int(art_id), [[words[i] for i in ids[a + 1:b].tolist()] for a, b in zip(bounds, bounds[1:])]


def iter_flat(db, article_ids, *, batch: int = 5000):
    """(ids, tokens, lengths) in batches: the streams of the given sorted article ids that are
    stored, concatenated as one int64 array, and each one's length. Only those rows are read (not
    the duplicates and reprints between them), and decoded at once."""
    ids = np.asarray(article_ids, dtype=np.int64)
    for i in range(0, ids.size, batch):
        rows = db.execute(
            "SELECT article_id, stream FROM article_index WHERE article_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY article_id", [json.dumps(ids[i:i + batch].tolist())]).fetchall()
        if not rows:
            continue
        blobs = [b or b"" for _, b in rows]
        sizes = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 2
        values = np.frombuffer(b"".join(blobs), dtype="<u2")
        esc = np.flatnonzero(values == ESCAPE)
        if esc.size:  # an escaped id takes three slots: each stream is that much shorter decoded
            sizes -= 2 * np.bincount(np.searchsorted(np.cumsum(sizes), esc, side="right"), minlength=sizes.size)
        found = np.fromiter((a for a, _ in rows), dtype=np.int64, count=len(rows))
        yield found, _decoded(values, esc), sizes  # escapes never span two streams


def iter_streams(db, article_ids, *, batch: int = 5000):
    """(ids, streams) in batches, for the given sorted article ids."""
    for found, values, sizes in iter_flat(db, article_ids, batch=batch):
        yield found, np.split(values, np.cumsum(sizes)[:-1])


def stats_of(db, article_ids, flags=None) -> tuple[np.ndarray, StreamStats]:
    """(ids, statistics) of stored articles, recomputed from their streams."""
    nonword, final = flags or token_flags(db)
    streams = read_streams(db, article_ids)
    ids = np.array(sorted(streams), dtype=np.int64)
    return ids, stream_stats([streams[int(a)] for a in ids], nonword, final)


def recount(db, article_ids) -> None:
    """Bring the counts of the given articles in line with report_articles: an article that has
    become counted (or stopped) adds (subtracts) its statistics."""
    ids = sorted({int(a) for a in article_ids})
    changed = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for art_id, counted, should in db.execute(
            f"SELECT i.article_id, i.counted, ({REPORT_CONDITION}) "
            "FROM article_index i JOIN articles a ON a.id = i.article_id "
            f"WHERE i.article_id IN ({', '.join('?' * len(chunk))})", chunk,
        ):
            if bool(counted) != bool(should):
                changed[art_id] = 1 if should else -1
    if not changed:
        return
    kid, st = stats_of(db, changed)
    _apply(db, kid, st, changed)
    db.conn.executemany("UPDATE article_index SET counted = ? WHERE article_id = ?",
                        [(int(s > 0), a) for a, s in changed.items()])


def _apply(db, ids: np.ndarray, st: StreamStats, signs: dict) -> None:
    sign = np.array([signs.get(int(a), 0) for a in ids], dtype=np.int64)
    grp = np.zeros(ids.size, dtype=np.int64)
    pos = {int(a): k for k, a in enumerate(ids)}
    for k in range(0, ids.size, 500):
        chunk = [int(a) for a in ids[k:k + 500]]
        for art_id, g in db.execute(
            f"SELECT article_id, grp FROM article_index WHERE article_id IN ({', '.join('?' * len(chunk))})", chunk
        ):
            grp[pos[art_id]] = g
    _update_groups(db, st, grp, sign)


def remove_articles(db, article_ids) -> None:
    """Take articles out of the index (before they are deleted): counts, postings, streams.
    Their words stay in the lexicon until prune_lexicon (a writer may still hold their ids)."""
    ids = sorted({int(a) for a in article_ids})
    if not ids:
        return
    kid, st = stats_of(db, ids)
    counted = dict(db.execute(
        f"SELECT article_id, counted FROM article_index WHERE article_id IN ({', '.join('?' * len(ids))})", ids))
    _apply(db, kid, st, {a: -1 for a, c in counted.items() if c})
    gone = set(ids)
    move_pending_postings(db)  # so that every block of their words is in postings
    for word in distinct(st.word).tolist():
        for first, n, block in db.execute("SELECT first, n, block FROM postings WHERE word_id = ?", [word]).fetchall():
            arts, counts = decode_blocks([(n, block)])
            keep = ~np.isin(arts, kid)
            if keep.all():
                continue
            if keep.any():
                db.execute("UPDATE postings SET n = ?, block = ? WHERE word_id = ? AND first = ?",
                           [int(keep.sum()), encode_postings(arts[keep], counts[keep]), word, first])
            else:
                db.execute("DELETE FROM postings WHERE word_id = ? AND first = ?", [word, first])
    db.execute(f"DELETE FROM article_index WHERE article_id IN ({', '.join('?' * len(gone))})", list(gone))


def prune_lexicon(db) -> None:
    """Drop the words no stored article holds any more (after articles were replaced)."""
    db.execute("DELETE FROM lexicon WHERE is_word = 1 AND NOT EXISTS (SELECT 1 FROM postings WHERE word_id = lexicon.id)")


PENDING_BATCHES = (  # the batches in postings_pending, one seek each (a table scan reads every block)
    "WITH RECURSIVE b(x) AS (SELECT MIN(batch) FROM postings_pending UNION ALL "
    "SELECT (SELECT MIN(batch) FROM postings_pending WHERE batch > x) FROM b WHERE x IS NOT NULL)")
MOVED_AT_ONCE = 1 << 16  # postings moved together (more hold more memory, and were no faster)
# Given to the workers before the caller's other work at the end of an ingest, so they are busy
# while it runs: at 200 MB, 21.8M postings in all, 1.9 s of two workers' time; ~3 bytes each
# pending, as much again encoded, held until they are written.
FIRST_MOVED = 1 << 24


def move_pending_postings(db, *, counting: tuple | None = None, pool=None, meanwhile=lambda: None) -> list[tuple]:
    """Move the blocks in postings_pending into postings: one block per word, written in word
    order, so each page of postings is written once; a few numpy calls for thousands of words.

    counting: (article sizes, word frequencies, their total, the words that had postings
    before): returns the _dispersion_sums of the moved words that had none, every posting they
    have, a few words at a time. pool: a process pool (concurrent.futures) whose processes read
    (a database file's committed rows), decode, count and encode the blocks while this one writes
    SQLite (the end of an ingest, otherwise spent on one core); meanwhile: other database work,
    done here once they have been given the first FIRST_MOVED postings (or at once, without a
    pool)."""
    if not db["postings_pending"].exists():  # a corpus older than the table (schema 12), being upgraded
        meanwhile()
        return []
    # A word range at a time, each batch's rows of it found by a seek: reading them all in word
    # order put every block through one temporary sort. With a pool, its processes read their
    # ranges themselves, by connections of their own: a file's committed rows, which every block
    # is when an ingest ends.
    path = db_file(db) if pool else None
    path = None if path == ":memory:" else path
    ranges, expected = _pending_ranges(db)
    found, moved_n = [], 0
    with _shared(counting if path else None) as shared:
        if path:
            moved = _in_order(pool, _moved_by_worker, ((lo, hi, path, shared) for lo, hi in ranges),
                              first=FIRST_MOVED // MOVED_AT_ONCE, meanwhile=meanwhile)
        else:
            meanwhile()
            moved = (_moved(*_pending_between(db.conn, lo, hi), counting) for lo, hi in ranges)
        for rows, sums in moved:
            db.conn.executemany("INSERT INTO postings (word_id, first, n, block) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT (word_id, first) DO UPDATE SET n = excluded.n, block = excluded.block",
                                rows)
            moved_n += sum(r[2] for r in rows)
            if sums is not None:
                found.append(sums)
    if moved_n != expected:  # never deleted unmoved: the caller's transaction rolls back
        raise RuntimeError(f"{moved_n:,} pending postings read, {expected:,} pending")
    db.execute("DELETE FROM postings_pending")
    return found


def _pending_ranges(db) -> tuple[list[tuple[int, int]], int]:
    """(first, last) word ids of postings_pending's words in order, a few words at a time (about
    MOVED_AT_ONCE postings), and how many postings are pending."""
    rows = select_ints(db, ["word_id", "n"], "FROM postings_pending")
    if not rows.size:
        return [], 0
    words, at = np.unique(rows[:, 0], return_inverse=True)
    sizes = np.bincount(at, weights=rows[:, 1]).astype(np.int64)
    part = (np.cumsum(sizes) - sizes) // MOVED_AT_ONCE
    last = np.flatnonzero(np.append(part[1:] != part[:-1], True))
    return list(zip(words[np.append(0, last[:-1] + 1)].tolist(), words[last].tolist())), int(sizes.sum())


def _pending_between(conn, lo: int, hi: int) -> tuple[list, list]:
    """(words, blocks [(n, blob)]) of postings_pending's words lo to hi, in word order, then
    batch order, each word's blocks together."""
    rows = conn.execute(f"{PENDING_BATCHES} SELECT p.word_id, p.n, p.block FROM b JOIN postings_pending p "
                        "ON p.batch = b.x AND p.word_id BETWEEN ? AND ? ORDER BY p.word_id, p.batch", [lo, hi]).fetchall()
    return [r[0] for r in rows], [(n, block) for _, n, block in rows]


def _moved(words: list, blocks: list, counting: tuple | None) -> tuple[list, tuple | None]:
    """Pending blocks of words (_pending_between) -> the postings rows that hold them, one block
    per word, and (with counting: see move_pending_postings) the dispersion sums of the words
    that had no postings before."""
    arts, counts = decode_blocks(blocks, pending=True)
    w = np.repeat(np.asarray(words, dtype=np.int64), [n for n, _ in blocks])
    sums = None
    if counting is not None:
        size, freq, total, had = counting
        new = ~np.isin(w, had)
        sums = _dispersion_sums(w[new], arts[new], counts[new], size, freq, total)
    word_ids, first, sizes, raw = _blocks(w, arts, counts)
    return list(zip(word_ids, first, sizes, map(_stored, sizes, raw))), sums


@contextmanager
def _shared(counting: tuple | None):
    """counting (move_pending_postings) as a file that the pool's processes map (by its path),
    so the article sizes are written once, not pickled with every part; None for None."""
    if counting is None:
        yield None
        return
    size, freq, total, had = counting
    with tempfile.NamedTemporaryFile(prefix="zzcorpus-", suffix=".npy", delete=False) as f:
        np.save(f, np.concatenate([[total, size.size, freq.size], size, freq, had]).astype(np.int64))
    try:
        yield f.name
    finally:
        os.unlink(f.name)


_mapped: dict = {}  # a pool process's counting, by file (_moved_by_worker)
_readers: dict = {}  # a pool process's connection, by database file


def _moved_by_worker(lo: int, hi: int, path: str, shared: str | None) -> tuple[list, tuple | None]:
    """_moved in a pool's process of the pending blocks of words lo to hi, read from the database
    file by a connection of its own, with counting read from the file _shared wrote."""
    if path not in _readers:
        _readers.clear()
        _readers[path] = sqlite3.connect(path)
    words, blocks = _pending_between(_readers[path], lo, hi)
    if not words:  # none committed (the caller checks what was moved)
        return [], None
    if shared is not None and shared not in _mapped:
        _mapped.clear()
        a = np.load(shared, mmap_mode="r")
        total, n_size, n_freq = (int(v) for v in a[:3])
        _mapped[shared] = (a[3:3 + n_size], a[3 + n_size:3 + n_size + n_freq], total, a[3 + n_size + n_freq:])
    return _moved(words, blocks, _mapped.get(shared))


def _in_order(pool, fn, items, *, ahead: int = 4, first: int = 0, meanwhile=lambda: None):
    """fn(*item) of each item, run by the pool, in order; items are given out at most `ahead`
    beyond the one waited for, but for the `first` ones, given out before meanwhile() runs here."""
    waiting = deque()
    items = iter(items)
    for item in islice(items, max(first, 1)):
        waiting.append(pool.submit(fn, *item))
    meanwhile()
    for item in items:
        waiting.append(pool.submit(fn, *item))
        if len(waiting) > ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def compact_postings(db, *, max_blocks: int = MAX_BLOCKS) -> None:
    """Move the pending blocks in, then merge the blocks of words that gathered more than max_blocks."""
    move_pending_postings(db)
    _merge_crowded(db, max_blocks=max_blocks)


def _merge_crowded(db, *, max_blocks: int = MAX_BLOCKS) -> None:
    """Merge the blocks of each word that has more than max_blocks into one."""
    words = [r[0] for r in db.execute(
        "SELECT word_id FROM postings GROUP BY word_id HAVING COUNT(*) > ?", [max_blocks])]
    for word in words:
        arts, counts = postings(db, word)
        db.execute("DELETE FROM postings WHERE word_id = ?", [word])
        db.execute("INSERT INTO postings (word_id, first, n, block) VALUES (?, ?, ?, ?)",
                   [word, int(arts[0]), int(arts.size), encode_postings(arts, counts)])


def clear(db) -> None:
    """Empty the whole index (resegment rebuilds it)."""
    for table in ("article_index", "postings", "postings_pending", "period_counts", "groups", "corpus_counts",
                  "lexicon"):
        db.execute(f"DELETE FROM {table}")


# --- reading ----------------------------------------------------------------------------------

def postings(db, word_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(article ids, counts) of every article holding the word, sorted by id (those of a writing
    command still at work, or killed, too)."""
    arts, counts = decode_blocks(db.execute(
        "SELECT n, block FROM postings WHERE word_id = ? ORDER BY first", [word_id]).fetchall())
    pending = _pending_blocks(db, word_id)
    if pending:
        more = decode_blocks(pending, pending=True)
        arts, counts = np.concatenate([arts, more[0]]), np.concatenate([counts, more[1]])
    if arts.size < 2 or (arts[1:] > arts[:-1]).all():
        return arts, counts  # blocks in order, as written by ingests one after another
    order = np.argsort(arts, kind="stable")
    return arts[order], counts[order]


def _pending_blocks(db, word_id: int) -> list:
    """The word's blocks in postings_pending, in batch order."""
    try:
        return db.execute(f"{PENDING_BATCHES} SELECT p.n, p.block FROM b JOIN postings_pending p "
                          "ON p.batch = b.x AND p.word_id = ? ORDER BY p.batch", [word_id]).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):  # a corpus written before postings_pending (schema 12): none pending
            return []
        raise


def has_index(db) -> bool:
    return db["article_index"].exists()


# --- building ---------------------------------------------------------------------------------

def write(db, lexicon: Lexicon, article_ids, keys, chunks, *, counted=None) -> None:
    """Index newly stored articles (consecutive ids): keys = (source, date) of each, chunks = the
    make_chunk results of their tokens, in order; counted as report_articles says (or as given:
    a flag per article, when the caller knows it without reading the rows back)."""
    flat, lens, st = to_global(chunks, lexicon)
    groups = group_ids(db, keys)
    if article_ids and counted is None:
        first, last = min(article_ids), max(article_ids)
        left_out = {r[0] for r in db.execute(
            f"SELECT id FROM articles WHERE id BETWEEN ? AND ? AND NOT ({REPORT_CONDITION})", [first, last])}
        counted = [a not in left_out for a in article_ids]
    add_articles(db, article_ids, groups, flat, lens, st, counted)
    if not article_ids:
        return
    _update_groups(db, st, np.asarray(groups, dtype=np.int64), np.array(counted, dtype=np.int64))


def build(db, *, tags: dict, batch: int = 5000) -> None:
    """The whole index anew from the stored tokens (articles.title_seg / body_seg)."""
    clear(db)
    lexicon = Lexicon(db)
    last = 0
    while True:
        rows = db.execute("SELECT id, source, date, title_seg, body_seg FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                          [last, batch]).fetchall()
        if not rows:
            break
        write(db, lexicon, [r[0] for r in rows], [(r[1], r[2]) for r in rows],
              [make_chunk([paragraph_tokens(r[3], r[4]) for r in rows], tags)])
        last = rows[-1][0]
    finish(db)
