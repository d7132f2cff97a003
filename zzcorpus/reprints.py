"""Wire copy counted once: near-duplicate articles (the same story printed again with another
headline, a paragraph cut, a local dateline, a few characters changed) found by MinHash LSH over
character shingles, marked `near_duplicate_of` the earlier printing with their `similarity`.

- Shingles: every run of 3 letters or digits of the article body, folded to simplified
  (scripts.fold), punctuation and spaces dropped: a reprint in the other script is found too;
  the headline and dateline are left out, as reprints change them.
- Similarity: the share of the shorter text's shingles found in the other (containment), so a
  reprint with a paragraph cut is still ~1.0; computed from the two shingle sets (as 32-bit
  hashes) for each candidate pair.
- Candidates: MinHash signatures (datasketch's affine32 scheme, 90 permutations) cut into 30 bands of 3;
  two articles sharing a band are candidates (pairs with Jaccard 0.5 are found with probability
  0.98, 0.6 with 0.999, 0.3 with 0.56, 0.1 with 0.03). A reprint cut to a small part of the
  original (Jaccard under ~0.3 however high its containment) is likely missed. The band keys of each cluster's first printing are stored
  (reprint_bands, reprint_signatures), so a later ingest compares new articles with the whole
  corpus without reading it; a reprint's own bands are not stored (its first printing stands
  for it), which keeps a cluster of many printings one set of rows.
- First printing: the earliest by date (undated last), then by id. An article is pointed at the
  most similar earlier printing; when a new article is earlier than a stored first printing,
  that one becomes its reprint.

Every function that touches the database takes the sqlite-utils Database first and never
commits: the caller owns the transaction.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from .index import distinct
from .schema import insert_rows
from .scripts import fold

SHINGLE = 3
NUM_PERM, BANDS, ROWS = 90, 30, 3
SEED = 15
MIN_SHINGLES = 30  # shorter bodies (captions, one-line briefs) are too short to tell a reprint
DEFAULT_SIMILARITY = 0.7  # measured: seed reprints 0.77-1.0, distinct seed articles <= 0.13 (README)
MARGIN = 0.15  # signature estimates this far below the threshold are still checked exactly
MAX_CHECKED = 20  # candidates checked exactly per article, best estimates first
CHECK_STAGES = ((0, 1), (1, MAX_CHECKED))  # the best candidate, then the rest in one pass
# Articles signed together (their shingles sorted and permuted as one array, _minima): on 5,400
# articles of the benchmark corpus (~430 shingles each), 256 took 0.30-0.31 CPU-s, 64 0.33-0.37,
# 1,024 0.33-0.38; permuting all shingles of 32 articles at once took 0.36.
SIGNED_TOGETHER = 256
NON_TEXT_RE = re.compile(r"[\W_]+")
MAX_HASH = np.uint64((1 << 32) - 1)


# --- pure functions: text -> shingles -> signature -> band keys ---------------------------------

def letters(text: str) -> str:
    """The folded letters and digits of text, all else dropped: what shingles are cut from."""
    return NON_TEXT_RE.sub("", fold(text or ""))


def shingles(text: str, *, folded: str | None = None) -> np.ndarray:
    """The sorted distinct 3-character shingles of the folded letters and digits of text
    (letters(text), or `folded` when the caller has them already), each as its 32-bit hash
    (_hash32 of the three 21-bit code points): half the bytes of the shingle itself to send from
    the worker and keep in memory, and two shingles of a pair of 1,000-shingle articles share a
    hash once in 4,000 pairs, which moves that pair's similarity by a thousandth."""
    cps = np.frombuffer((letters(text) if folded is None else folded).encode("utf-32-le"),
                        dtype="<u4").astype(np.uint64)
    if cps.size < SHINGLE:
        return np.zeros(0, dtype=np.uint32)
    return distinct(_shingle_hashes(cps[:-2], cps[1:-1], cps[2:]).astype(np.uint32))


def _shingle_hashes(first: np.ndarray, second: np.ndarray, third: np.ndarray) -> np.ndarray:
    """The 32-bit hash of each shingle of three code points (uint64 arrays, one a position)."""
    key = first << np.uint64(42)
    key |= second << np.uint64(21)
    key |= third
    return _hash32(key)


def _hash32(keys: np.ndarray) -> np.ndarray:
    """A 32-bit hash of each key (splitmix64's finaliser), the same in every process and run.
    In place in one copy of keys: a new array a step cost a sixth more."""
    with np.errstate(over="ignore"):
        z = keys + np.uint64(0x9E3779B97F4A7C15)
        shifted = z >> np.uint64(30)
        z ^= shifted
        z *= np.uint64(0xBF58476D1CE4E5B9)
        np.right_shift(z, np.uint64(27), out=shifted)
        z ^= shifted
        z *= np.uint64(0x94D049BB133111EB)
        np.right_shift(z, np.uint64(31), out=shifted)
        z ^= shifted
        z &= MAX_HASH
        return z


@lru_cache(maxsize=1)
def _permutations():
    """datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)'s affine permutations, drawn as it draws
    them (importing datasketch costs 1.5 s, scipy included, for two arrays; a test checks that
    signature() equals datasketch's)."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, as datasketch mixes each hash before permuting it."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(sh: np.ndarray) -> np.ndarray:
    """The MinHash signature of a shingle set (shingles(): their hashes h): datasketch's default
    (affine32) scheme, min over shingles of a * fmix32(h) + b mod 2^32 for each permutation."""
    if not sh.size:
        return np.full(NUM_PERM, MAX_HASH, dtype=np.uint32)
    return _minima(sh, np.zeros(1, dtype=np.int64))[0]


def _minima(sh: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The signatures (one a row) of runs of shingle hashes (each from one of starts to the next
    or the end): a * fmix32(h) + b mod 2^32 for one permutation at a time, into one reused array
    of a group's shingles that stays in cache (a permutations-by-shingles array took 1.7 times
    as long)."""
    a, b = _permutations()
    mixed = _fmix32(sh)
    value = np.empty_like(mixed)
    out = np.empty((NUM_PERM, starts.size), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for k in range(NUM_PERM):
            np.multiply(mixed, a[k], out=value)
            value += b[k]
            np.minimum.reduceat(value, starts, out=out[k])
    return out.T


_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One signed 32-bit key per band: its rows mixed (splitmix64) with the band's number, the
    top half kept (4 bytes stored a row, not 8; a rare shared key only adds a candidate that
    its signature estimate drops)."""
    return _band_keys(np.asarray(sig)[None, :])[0]


def _band_keys(sigs: np.ndarray) -> np.ndarray:
    """band_keys of many signatures (one a row) at once."""
    rows = np.asarray(sigs, dtype=np.uint64).reshape(len(sigs), BANDS, ROWS)
    with np.errstate(over="ignore"):
        mixed = (rows * _BAND_MIX[:ROWS]).sum(axis=2) + np.arange(BANDS, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        return _hash64(mixed).view(np.int64) >> 32


def _hash64(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """The share of the smaller shingle set found in the other (0 when either is empty); both
    sorted and distinct, as shingles() makes them."""
    if not a.size or not b.size:
        return 0.0
    # Each shared shingle is a pair of equal neighbours once both are merged (a stable sort of
    # two sorted runs is a merge): half the time of looking each one up.
    both = np.concatenate([a, b])
    both.sort(kind="stable")
    return int(np.count_nonzero(both[1:] == both[:-1])) / min(a.size, b.size)


def containments(a: np.ndarray, others: list, *, floor: float = 0.0) -> list[float]:
    """containment(a, b) for each b of others, in one pass: each b's shingles looked up in a.
    floor: a pair whose containment is certainly below it is given 0.0 unchecked."""
    sizes = [b.size for b in others]
    if len(others) < 2 or not a.size or not min(sizes):
        return [containment(a, b) for b in others]
    sizes = np.array(sizes)
    smaller = np.minimum(sizes, a.size)
    starts = np.zeros(sizes.size, dtype=np.int64)
    sizes[:-1].cumsum(out=starts[1:])
    theirs = np.concatenate(others)
    out = np.zeros(sizes.size)
    checked = slice(None)
    if floor > 0:
        # An upper bound first, cheaper than the lookups: the shingles of b whose low 16 bits
        # one of a's has. Past an article's best candidate most fail (371,406 of 383,307 at
        # 200 MB), and this stops nearly all of them.
        table = np.zeros(1 << 16, dtype=bool)
        table[a & 0xFFFF] = True
        bound = np.add.reduceat(table[theirs & 0xFFFF], starts, dtype=np.int64)
        checked = (bound / smaller >= floor).nonzero()[0]  # as the containment is compared
        if not checked.size:
            return out.tolist()
        if checked.size < sizes.size:
            theirs, smaller = np.concatenate([others[i] for i in checked.tolist()]), smaller[checked]
            starts = np.zeros(checked.size, dtype=np.int64)
            sizes[checked][:-1].cumsum(out=starts[1:])
    shared = np.add.reduceat(a.take(a.searchsorted(theirs), mode="clip") == theirs, starts, dtype=np.int64)
    out[checked] = shared / smaller
    return out.tolist()


def estimated_containment(j, n_a, n_b):
    """Containment from the share j of equal signature values and the two set sizes (numbers or
    arrays of them): |A & B| = J (|A| + |B|) / (1 + J), over the smaller set."""
    return j * (n_a + n_b) / (1 + j) / np.maximum(1, np.minimum(n_a, n_b))


def stored_signature(sig: np.ndarray) -> np.ndarray:
    """The low 16 bits of each MinHash value: what is stored and compared. (Not the top bits:
    minima are small numbers, whose top bits are mostly equal.) Two different minima share
    them once in 65,536 slots, which moves an estimate by a hundredth of a percent on average,
    where the margin below the threshold is 15 points."""
    return (np.asarray(sig, dtype=np.uint32) & np.uint32(0xFFFF)).astype("<u2")


def fingerprint(body: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(shingles, stored signature, band keys) of an article body, each an array (one object to
    send from a worker, not thirty), None when the body is too short to compare."""
    sh = shingles(body)
    if sh.size < MIN_SHINGLES:
        return None
    sig = signature(sh)
    return sh, stored_signature(sig), band_keys(sig)


def fingerprints(bodies, folded=None) -> list:
    """fingerprint() of each body (folded: letters() of each, when the caller has them), for all
    at once (packed_fingerprints), each one's arrays views of the packed ones."""
    return unpacked(packed_fingerprints(bodies, folded), len(bodies))


def packed_fingerprints(bodies, folded=None) -> tuple:
    """The fingerprints of bodies as five arrays: the positions of those long enough to compare,
    their shingles end to end, where each one's end, their stored signatures and band keys (one
    a row). Per-article numpy calls on a few hundred shingles cost more than the work, so the
    shingles of all are cut and hashed together, then made distinct and signed SIGNED_TOGETHER
    articles at a time (a sort, then _minima); and five arrays are
    what a worker sends, where three per article took 0.04 ms an article to pickle and unpickle
    (6 CPU-s at 200 MB, 45 % of it in the writer's process)."""
    texts = [letters(b) if folded is None else folded[k] for k, b in enumerate(bodies)]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    # A shingle starts where two more characters of the same text follow it: anywhere but the
    # last two characters of each text.
    ends = np.cumsum(lengths)
    opens = np.ones(max(0, cps.size - (SHINGLE - 1)), dtype=bool)
    for back in range(1, SHINGLE):
        at = ends - back
        opens[at[(at >= ends - lengths) & (at < opens.size)]] = False
    starts = np.flatnonzero(opens)
    owner = np.repeat(np.arange(len(texts)), lengths)[starts]
    hashes = _shingle_hashes(cps[starts], cps[starts + 1], cps[starts + 2])
    bounds = np.searchsorted(owner, np.arange(0, len(texts) + SIGNED_TOGETHER, SIGNED_TOGETHER))
    kept, parts, sizes, sigs = [], [], [], [np.zeros((0, NUM_PERM), dtype=np.uint32)]
    for g in range(0, len(texts), SIGNED_TOGETHER):
        lo, hi = bounds[g // SIGNED_TOGETHER], bounds[g // SIGNED_TOGETHER + 1]
        # Sorted by article, then hash: each article's distinct shingles, in order.
        tagged = distinct((owner[lo:hi] - g).astype(np.uint64) << np.uint64(32) | hashes[lo:hi])
        counts = np.bincount((tagged >> np.uint64(32)).astype(np.int64), minlength=min(SIGNED_TOGETHER, len(texts) - g))
        mine = np.flatnonzero(counts >= MIN_SHINGLES)
        if not mine.size:
            continue
        sh = (tagged & MAX_HASH).astype(np.uint32)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        nonempty = np.flatnonzero(counts)
        minima = _minima(sh, offsets[nonempty])  # a row per non-empty article
        sigs.append(minima[np.searchsorted(nonempty, mine)])
        short = np.repeat(counts < MIN_SHINGLES, counts)  # the shingles of bodies too short to compare
        parts.append(sh[~short] if short.any() else sh)
        sizes.append(counts[mine])
        kept.append(mine + g)
    sigs = np.concatenate(sigs)
    return (np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64),
            np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32),
            np.cumsum(np.concatenate(sizes)) if sizes else np.zeros(0, dtype=np.int64),
            stored_signature(sigs), _band_keys(sigs))


def unpacked(packed: tuple, n: int) -> list:
    """The list of n fingerprints (None where a body is too short) from packed_fingerprints()."""
    kept, shingles_, ends, sigs, keys = packed
    out = [None] * n
    for row, (k, sh) in enumerate(zip(kept.tolist(), np.split(shingles_, ends[:-1]))):
        out[k] = (sh, sigs[row], keys[row])
    return out


# --- the database side --------------------------------------------------------------------------

def _order_key(date, art_id):
    return (date is None or date == "", date or "", art_id)


def _store_all(db, firsts: dict, memory: "Memory") -> None:
    """Store the signatures and band keys of new first printings (id -> fingerprint), in bulk.
    While memory holds every band row, the keys wait in reprint_pending_bands (one row a first
    printing, appended): inserted into reprint_bands batch by batch, each batch's rows land all
    over that table and rewrote most of its pages (0.15-0.2 s a batch at 200 MB)."""
    if not firsts:
        return
    db.conn.executemany("INSERT OR REPLACE INTO reprint_signatures (article_id, shingles, signature) VALUES (?, ?, ?)",
                        [(art_id, int(fp[0].size), fp[1].tobytes()) for art_id, fp in firsts.items()])
    keys = np.stack([fp[2] for fp in firsts.values()])
    if memory.holds_all_bands:
        db.conn.executemany("INSERT OR REPLACE INTO reprint_pending_bands (article_id, keys) VALUES (?, ?)",
                            zip(firsts, map(bytes, keys.astype("<i4"))))
    # In key order: each row lands next to the previous one's page.
    keys, ids = _in_key_order(keys.ravel(), np.repeat(np.fromiter(firsts, dtype=np.int64, count=len(firsts)), BANDS))
    if not memory.holds_all_bands:
        _insert_bands(db, keys, ids)
    memory.add_bands(keys, ids)


def _insert_bands(db, keys: np.ndarray, ids: np.ndarray) -> None:
    insert_rows(db, "INSERT OR IGNORE INTO reprint_bands (key, article_id)", np.column_stack([keys, ids]))


def _pending_rows(db) -> tuple[np.ndarray, np.ndarray]:
    """The band rows waiting in reprint_pending_bands as (keys, first printings), in key order."""
    rows = db.execute("SELECT article_id, keys FROM reprint_pending_bands").fetchall()
    keys = np.frombuffer(b"".join(r[1] for r in rows), dtype="<i4")
    ids = np.repeat(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), BANDS)
    del rows
    return _in_key_order(keys, ids)


def _in_key_order(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Band rows (32-bit keys, article ids below 2**32) sorted by key, then id, as int32 keys and
    int64 ids. Each row is one 64-bit number, the key (made unsigned, in the same order) above
    the id, sorted in place: a tenth of lexsort's time in the same memory (2.4 M rows at 200 MB,
    0.03 s against 0.3)."""
    pairs = np.asarray(keys, dtype="<i4").view("<u4").astype("<u8")  # little-endian on any machine, for the view below
    pairs ^= np.uint64(1 << 31)
    pairs <<= np.uint64(32)
    pairs |= ids.astype(np.uint64)
    pairs.sort()
    halves = pairs.view("<u4")  # each pair's id, then its key
    return (halves[1::2] ^ np.uint32(1 << 31)).view("<i4"), halves[0::2].astype(np.int64)


MOVED_BANDS = 1 << 18  # band rows inserted at a time: all of them as one 2-D array held 48 MB at 200 MB


def move_pending_bands(db) -> None:
    """Move the waiting band rows into reprint_bands, in key order (at the end of a writing
    command, or once its memory no longer holds every band row)."""
    if db.execute("SELECT 1 FROM reprint_pending_bands LIMIT 1").fetchone() is None:
        return
    keys, ids = _pending_rows(db)
    for start in range(0, keys.size, MOVED_BANDS):
        _insert_bands(db, keys[start:start + MOVED_BANDS], ids[start:start + MOVED_BANDS])
    db.execute("DELETE FROM reprint_pending_bands")


def _unstore(db, ids, memory: "Memory | None" = None) -> None:
    """Drop the stored signatures and band keys of these articles (first printings replaced, or
    found to be reprints of an earlier printing met later): the keys come again from their
    shingles (kept in memory, or from the stored body), so each is one lookup by its primary
    key (reprint_bands has no other index)."""
    ids = list(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ", ".join("?" * len(chunk))
        kept = {a: sh for a in chunk if (sh := memory.shingles.get(a) if memory is not None else None) is not None}
        keys = [(k, a) for a, sh in kept.items() for k in band_keys(signature(sh)).tolist()]
        unknown = [a for a in chunk if a not in kept]
        if unknown:
            for art_id, body in db.execute(
                f"SELECT a.id, a.body FROM articles a JOIN reprint_signatures s ON s.article_id = a.id "
                f"WHERE s.article_id IN ({', '.join('?' * len(unknown))})", unknown).fetchall():
                if (fp := fingerprint(body)) is not None:
                    keys += [(k, art_id) for k in fp[2].tolist()]
        db.conn.executemany("DELETE FROM reprint_bands WHERE key = ? AND article_id = ?", keys)
        db.execute(f"DELETE FROM reprint_signatures WHERE article_id IN ({marks})", chunk)
        db.execute(f"DELETE FROM reprint_pending_bands WHERE article_id IN ({marks})", chunk)
    if memory is not None and ids:
        memory.drop(ids)
        memory.lose_bands()


class Memory:
    """What one writing command keeps of the first printings it has met: their stored rows
    (shingle count, signature, date) and their shingles, most recently used kept, up to a fixed
    size (memory stays flat whatever the corpus), so a story printed again and again is compared
    without reading its first printing back; in a corpus that had none stored, their band rows
    too. Made per command and per database; deleted first printings are dropped from it
    (forget), and the writer starts a new one when another process has written."""

    MAX_BYTES = 128 << 20  # shingles kept (4 bytes each): ~55,000 first printings
    MAX_ROWS = 1 << 17  # ~350 bytes each
    MAX_BAND_ROWS = 1 << 22  # 8 bytes each (32-bit keys and ids): the bands of ~140,000 first printings

    def __init__(self, *, all_bands: bool = False):
        self.shingles: OrderedDict = OrderedDict()
        self.rows: OrderedDict = OrderedDict()  # id -> (shingle count, signature as bytes, date)
        self.bytes = 0
        # all_bands: no band row was stored when the command began, so each one it stores is kept
        # here too and looked up here, not in reprint_bands: a common key (a stock phrase) is held
        # by hundreds of first printings, and reading their rows from SQL as Python tuples cost a
        # seventh of the search. Sorted runs of (keys, ids), merged as they grow (a few runs, each
        # searched by one searchsorted); given up when a first printing is unstored or the rows
        # pass MAX_BAND_ROWS, and the lookups go back to SQL.
        self.runs: list | None = [] if all_bands else None
        self.band_count = 0

    @property
    def holds_all_bands(self) -> bool:
        """Whether every stored band row is here (lookups need no SQL)."""
        return self.runs is not None

    def band_rows(self, keys: np.ndarray) -> np.ndarray | None:
        """The stored band rows (key, first printing) of keys (sorted, distinct) as an array, or
        None when this memory does not hold every stored row."""
        if not self.holds_all_bands:
            return None
        found = [np.zeros((0, 2), dtype=np.int32)]
        keys = keys.astype(np.int32)  # as the runs hold them: searchsorted would widen each run instead
        for run_keys, run_ids in self.runs:
            lo, hi = np.searchsorted(run_keys, keys, "left"), np.searchsorted(run_keys, keys, "right")
            n = hi - lo
            if total := int(n.sum()):
                at = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(total)
                found.append(np.column_stack([run_keys[at], run_ids[at]]))
        return np.concatenate(found).astype(np.int64)

    def add_bands(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Band rows just stored (keys sorted)."""
        if self.runs is None:
            return
        self.band_count += keys.size
        if self.band_count > self.MAX_BAND_ROWS or ids.max() >= 1 << 31:
            self.lose_bands()
            return
        self.runs.append((keys.astype(np.int32), ids.astype(np.int32)))  # keys are 32-bit (band_keys)
        while len(self.runs) > 1 and self.runs[-2][0].size <= 2 * self.runs[-1][0].size:
            (k1, i1), (k2, i2) = self.runs.pop(), self.runs.pop()
            keys, ids = np.concatenate([k2, k1]), np.concatenate([i2, i1])
            order = np.argsort(keys, kind="stable")  # two sorted runs: a merge
            self.runs.append((keys[order], ids[order]))

    def lose_bands(self) -> None:
        self.runs, self.band_count = None, 0

    def keep(self, art_id: int, row: tuple | None = None, sh: np.ndarray | None = None) -> None:
        if row is not None:
            self.rows[art_id] = row
            self.rows.move_to_end(art_id)
            while len(self.rows) > self.MAX_ROWS:
                self.rows.popitem(last=False)
        if sh is None or art_id in self.shingles:
            return
        if sh.base is not None:
            sh = sh.copy()  # a view (unpacked) would keep its whole chunk's shingles alive
        self.shingles[art_id] = sh
        self.bytes += sh.nbytes
        while self.bytes > self.MAX_BYTES:
            self.bytes -= self.shingles.popitem(last=False)[1].nbytes

    def shingles_of(self, db, art_id: int) -> np.ndarray:
        got = self.shingles.get(art_id)
        if got is not None:
            self.shingles.move_to_end(art_id)
            return got
        body = db.execute("SELECT body FROM articles WHERE id = ?", [art_id]).fetchone()[0]
        got = shingles(body)
        self.keep(art_id, sh=got)
        return got

    def drop(self, ids) -> None:
        for art_id in ids:
            self.rows.pop(art_id, None)
            sh = self.shingles.pop(art_id, None)
            if sh is not None:
                self.bytes -= sh.nbytes


def _band_rows(db, keys: np.ndarray, memory: Memory) -> np.ndarray:
    """The stored band rows (key, first printing) of keys (sorted, distinct): from memory when it
    holds them all, else from reprint_bands and reprint_pending_bands."""
    bands = memory.band_rows(keys)
    if bands is not None:
        return bands
    pending_keys, pending_ids = _pending_rows(db)
    held = np.isin(pending_keys, keys)
    found = np.column_stack([pending_keys[held], pending_ids[held]]).tolist()
    keys = keys.tolist()  # sorted: each query reads the pages next to the previous one's
    for i in range(0, len(keys), 900):
        chunk = keys[i:i + 900]
        found += db.execute(
            f"SELECT key, article_id FROM reprint_bands WHERE key IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def none_stored(db) -> bool:
    """Whether no first printing's band rows are stored (a new corpus, or one never searched)."""
    return all(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
               for table in ("reprint_bands", "reprint_pending_bands"))


def forget(db, article_ids, memory: Memory | None = None) -> list[int]:
    """Before articles are deleted: drop their signatures and unmark the articles marked as
    their reprints; returns those, to be looked at again (mark)."""
    ids = sorted({int(a) for a in article_ids})
    _unstore(db, ids, memory)
    orphans = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        orphans += [r[0] for r in db.execute(
            f"SELECT id FROM articles WHERE near_duplicate_of IN ({', '.join('?' * len(chunk))})", chunk)]
    orphans = sorted(set(orphans) - set(ids))
    if orphans:
        db.conn.executemany("UPDATE articles SET near_duplicate_of = NULL, similarity = NULL WHERE id = ?",
                            [(a,) for a in orphans])
    return orphans


def mark(db, articles: dict, *, similarity: float = DEFAULT_SIMILARITY, memory: Memory | None = None,
         new: dict | None = None, meanwhile=lambda: None) -> list[int]:
    """Compare articles (id -> fingerprint, or None to compute it from the stored body) with the
    corpus and with each other; mark reprints. Returns the ids of stored articles whose mark
    changed (the caller recounts them: index.recount). memory: kept by the caller from one batch
    to the next. new: id -> article dict (date, duplicate_of) of articles not stored yet, whose
    marks (near_duplicate_of, similarity) are set in the dict, so the row is written once with
    them; their fingerprint is the one in `articles` (None: too short to compare).

    The stored first printings sharing a band with any of the articles are read in a few
    queries up front; the first printings found among the articles themselves join them as
    the articles are taken in order of printing, and are stored together at the end.

    meanwhile: the caller's database work that does not depend on the marks, done in this
    thread (called once) while another estimates the candidates (numpy, which lets go of the
    interpreter, as SQLite does while it writes)."""
    check_similarity(similarity)
    if not articles:
        meanwhile()
        return []
    memory = memory if memory is not None else Memory()
    new = new or {}
    info = {a: (new[a]["date"], new[a].get("duplicate_of")) for a in articles if a in new}
    ids = sorted(a for a in articles if a not in new)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for art_id, date, dup in db.execute(
            f"SELECT id, date, duplicate_of FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            info[art_id] = (date, dup)
    missing = [a for a in ids if articles[a] is None and a in info]
    for i in range(0, len(missing), 500):  # only orphans come without a fingerprint
        chunk = missing[i:i + 500]
        for art_id, body in db.execute(
            f"SELECT id, body FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            articles[art_id] = fingerprint(body)
    known_fp = {a: fp for a, fp in articles.items() if fp is not None}
    keys = distinct(np.concatenate([fp[2] for fp in known_fp.values()])) if known_fp else np.zeros(0, dtype=np.int64)
    bands = _band_rows(db, keys, memory)  # (band key, stored first printing holding it)
    stored = {}  # first printing -> (shingle count, signature as bytes, date)
    unknown = []
    for a in distinct(bands[:, 1]).tolist():
        if (row := memory.rows.get(a)) is not None:
            stored[a] = row
        else:
            unknown.append(a)
    for i in range(0, len(unknown), 500):
        chunk = unknown[i:i + 500]
        marks = ", ".join("?" * len(chunk))
        # Two queries: a date read in the join would come from the wide articles row.
        dates = dict(db.execute(f"SELECT id, date FROM articles WHERE id IN ({marks})", chunk).fetchall())
        for other, n, blob in db.execute(
                f"SELECT article_id, shingles, signature FROM reprint_signatures WHERE article_id IN ({marks})", chunk):
            stored[other] = (n, blob, dates.get(other))
            memory.keep(other, stored[other])
    order = sorted(info, key=lambda a: _order_key(info[a][0], a))
    live = [a for a in order if info[a][1] is None and articles.get(a) is not None]
    floor = similarity - MARGIN
    signed = _signatures_of(live, articles)  # read once for both searches
    with ThreadPoolExecutor(1) as helper:
        estimating = helper.submit(lambda: (
            _estimates(live, signed, articles, bands, stored, floor),  # against the stored first printings
            _estimates_within(live, signed, articles, floor)))  # against the articles before it in this batch
        meanwhile()
        estimates, within = estimating.result()
    touched, updates, firsts = [], [], {}
    for art_id in live:  # exact duplicates (marked already) and short bodies are left alone
        date = info[art_id][0]
        fp = articles[art_id]
        mine = _order_key(date, art_id)
        # The candidates that are first printings now: stored, or met before it in this batch;
        # the best MAX_CHECKED by estimate (then id) are checked.
        scored = []
        if art_id in estimates:
            cand, est = estimates[art_id]
            for o, e in zip(cand.tolist(), est.tolist()):
                if o in stored:
                    scored.append((e, o, stored[o][2]))
                    if len(scored) == MAX_CHECKED:
                        break
        if art_id in within:  # and the batch's earlier articles that are first printings now
            cand, est = within[art_id]
            met = [(e, o, stored[o][2]) for o, e in zip(cand.tolist(), est.tolist()) if o in firsts]
            if met:
                scored = sorted(scored + met, reverse=True)[:MAX_CHECKED]
        matched = _matches(db, fp, scored, known_fp, similarity, mine, memory)
        earlier = [(s, other) for other, (other_date, s) in matched.items() if _order_key(other_date, other) < mine]
        if earlier:
            best = min(earlier, key=lambda e: (-e[0], _order_key(matched[e[1]][0], e[1])))
            updates.append((best[1], round(best[0], 4), art_id))
            touched.append(art_id)
            continue
        firsts[art_id] = fp
        stored[art_id] = (fp[0].size, fp[1].tobytes(), date)
        memory.keep(art_id, stored[art_id], fp[0])
        later = [(other, s) for other, (_, s) in matched.items()]
        if later:  # printed after this one: they become its reprints
            updates += [(art_id, round(s, 4), other) for other, s in later]
            _unstore(db, [other for other, _ in later if firsts.pop(other, None) is None], memory)
            memory.drop([other for other, _ in later])
            for other, _ in later:
                stored.pop(other, None)
            touched += [other for other, _ in later]
    _store_all(db, firsts, memory)
    if not memory.holds_all_bands:  # lookups go to SQL from now on: one table to read
        move_pending_bands(db)
    for other, s, art_id in updates:
        if art_id in new:
            new[art_id].update(near_duplicate_of=other, similarity=s)
    db.conn.executemany("UPDATE articles SET near_duplicate_of = ?, similarity = ? WHERE id = ?",
                        [u for u in updates if u[2] not in new])
    return [a for a in touched if a not in new]


def _estimates(live, signed: tuple, articles, bands: np.ndarray, stored: dict, floor: float) -> dict:
    """article id -> (candidates, estimated containments), two arrays, best estimate first (then
    the larger id): every first printing in `stored` sharing a band with it (bands: rows of band
    key, first printing) whose estimate reaches floor, estimated from the signatures for all pairs
    at once: |A & B| = J (|A| + |B|) / (1 + J). On a corpus of many alike stories an article has
    a hundred candidates or more: they are joined, counted, filtered and ranked as arrays, never
    a Python object per pair. signed: _signatures_of(live, articles)."""
    if not live or not len(bands):
        return {}
    order = np.argsort(bands[:, 0], kind="stable")
    band_key, band_art = bands[order, 0], bands[order, 1]
    keys = np.stack([articles[a][2] for a in live])
    who = np.repeat(np.arange(len(live)), keys.shape[1])
    keys = keys.ravel()
    # Each distinct key looked up once, in order (a third of the time of a search per key).
    sought, at = np.unique(keys, return_inverse=True)
    lo, hi = np.searchsorted(band_key, sought, "left")[at], np.searchsorted(band_key, sought, "right")[at]
    n = hi - lo
    if not n.sum():
        return {}
    left = np.repeat(who, n)
    right = band_art[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))]
    known = np.fromiter(stored, dtype=np.int64, count=len(stored))
    # A lookup table over the ids' range: sorting millions of pairs to test them took longer.
    keep = np.isin(right, known, kind="table") & (right != np.asarray(live, dtype=np.int64)[left])
    # Each (candidate, article) once, in candidate order: a candidate's signature is read for all
    # its pairs at once, not from anywhere in the batch's every time.
    shift = len(live).bit_length()
    pairs = distinct((right[keep] << shift) | left[keep])
    left, right = pairs & ((1 << shift) - 1), pairs >> shift
    candidates, right = np.unique(right, return_inverse=True)
    theirs = _signatures([stored[o][1] for o in candidates.tolist()])
    their_n = np.array([stored[o][0] for o in candidates.tolist()], dtype=np.float64)
    la, ro, est = _pair_estimates(*signed, left, theirs, their_n, right, floor)
    return _best_first(live, la, candidates[ro], est)


def _signatures_of(ids: list, articles: dict) -> tuple[np.ndarray, np.ndarray]:
    """The stored signatures (one a row) and shingle counts of these articles' fingerprints."""
    if not ids:
        return np.zeros((0, NUM_PERM), dtype="<u2"), np.zeros(0)
    return (np.stack([articles[a][1] for a in ids]),
            np.array([articles[a][0].size for a in ids], dtype=np.float64))


def _pair_estimates(sig_a, n_a, a, sig_b, n_b, b, floor: float):
    """(a, b, estimated containments) of the pairs (row a of sig_a and n_a, row b of sig_b and
    n_b) whose estimate reaches floor."""
    found = [(a[:0], b[:0], np.zeros(0))]
    for i in range(0, a.size, 20000):  # pairs at a time: the compared signatures stay a few MB
        pa, pb = a[i:i + 20000], b[i:i + 20000]
        j = np.count_nonzero(sig_a[pa] == sig_b[pb], axis=1) / NUM_PERM
        est = estimated_containment(j, n_a[pa], n_b[pb])
        high = est >= floor
        found.append((pa[high], pb[high], est[high]))
    return tuple(np.concatenate(parts) for parts in zip(*found))


def _best_first(live: list, la: np.ndarray, cand: np.ndarray, est: np.ndarray) -> dict:
    """live[la] -> (candidates, estimates) of each pair, best estimate first, then the larger id."""
    order = np.lexsort((-cand, -est, la))
    la, cand, est = la[order], cand[order], est[order]
    who, starts = np.unique(la, return_index=True)
    ends = np.append(starts[1:], la.size)
    return {live[a]: (cand[s:e], est[s:e]) for a, s, e in zip(who.tolist(), starts.tolist(), ends.tolist())}


def _estimates_within(live: list, signed: tuple, articles: dict, floor: float) -> dict:
    """article id -> (candidates, estimated containments) among the articles before it in live
    (in order of printing) sharing a band with it, as _estimates gives them among the stored
    first printings: all pairs of the batch at once, so the loop over the articles only keeps
    those still first printings when it comes to each."""
    if len(live) < 2:
        return {}
    keys = np.stack([articles[a][2] for a in live]).ravel()
    pos = np.repeat(np.arange(len(live)), BANDS)
    order = np.lexsort((pos, keys))
    keys, pos = keys[order], pos[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    group_start = np.repeat(starts, np.diff(np.append(starts, keys.size)))
    n = np.arange(keys.size) - group_start  # the articles before each one in its key's group
    if not (total := int(n.sum())):
        return {}
    later = np.repeat(pos, n)
    earlier = pos[np.arange(total) - np.repeat(np.cumsum(n) - n, n) + np.repeat(group_start, n)]
    shift = len(live).bit_length()
    pairs = distinct((later << shift) | earlier)  # each pair once, however many bands they share
    later, earlier = pairs >> shift, pairs & ((1 << shift) - 1)
    keep = later != earlier  # one article's two bands may share a key
    la, ea, est = _pair_estimates(*signed, later[keep], *signed, earlier[keep], floor)
    return _best_first(live, la, np.asarray(live, dtype=np.int64)[ea], est)


def _signatures(blobs: list) -> np.ndarray:
    """Stored signatures (bytes), one a row."""
    return np.frombuffer(b"".join(blobs), dtype="<u2").reshape(len(blobs), NUM_PERM)


def _matches(db, fp, scored: list, known_fp: dict, similarity: float, mine, memory: Memory) -> dict:
    """The candidates (estimate, id, date; best estimate first) at least `similarity` like the
    article: id -> (date, similarity). The first earlier printing that is alike ends the search
    (the article becomes its reprint), so a story printed many times costs about one exact
    check per printing."""
    sh = fp[0]
    out = {}
    for start, stop in CHECK_STAGES:  # most reprints pass on the first: the rest in few numpy calls
        stage = scored[start:stop]
        if not stage:
            break
        theirs = [known_fp[other][0] if other in known_fp else memory.shingles_of(db, other) for _, other, _ in stage]
        for (_, other, date), s in zip(stage, containments(sh, theirs, floor=similarity)):
            if s >= similarity:
                out[other] = (date, s)
                if _order_key(date, other) < mine:
                    return out
    return out


def check_similarity(similarity) -> None:
    if not isinstance(similarity, (int, float)) or not 0 < similarity <= 1:
        raise ValueError(f"--similarity must be a number above 0 and at most 1, got {similarity!r}")


# --- reading: clusters ----------------------------------------------------------------------------

def clusters(db, *, condition: str = "1", params=(), where: str | None = None) -> list[dict]:
    """One row per printing of every reprinted story whose first printing or any reprint passes
    the condition (on articles): cluster (the first printing's id), article_id, source, date,
    title, similarity (to the printing it was matched with; 1.0 for the first), lag_days from the
    first printing, printings (in the cluster)."""
    from datetime import date as Date

    from .filters import read_only

    parent = dict(db.execute("SELECT id, near_duplicate_of FROM articles WHERE near_duplicate_of IS NOT NULL"))

    def root(a):
        seen = set()
        while a in parent and a not in seen:
            seen.add(a)
            a = parent[a]
        return a

    members: dict[int, list[int]] = {}
    for a in parent:
        members.setdefault(root(a), []).append(a)
    if not members:
        return []
    selected = {r[0] for r in read_only(
        db, f"SELECT id FROM articles WHERE (near_duplicate_of IS NOT NULL OR id IN "
            f"(SELECT near_duplicate_of FROM articles)) AND {condition}", list(params), where=where)}
    wanted = [r for r, m in members.items() if r in selected or selected.intersection(m)]
    ids = [a for r in wanted for a in [r, *members[r]]]
    found = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for art_id, source, date, title, sim in db.execute(
            f"SELECT id, source, date, title, similarity FROM articles WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk):
            found[art_id] = (source, date, title, sim)

    def day(d):
        try:
            return Date.fromisoformat(d)
        except (TypeError, ValueError):
            return None

    out = []
    for r in sorted(wanted, key=lambda r: _order_key(found[r][1], r)):
        printings = sorted([r, *members[r]], key=lambda a: _order_key(found[a][1], a))
        first = day(found[r][1])
        for a in printings:
            source, date, title, sim = found[a]
            lag = (day(date) - first).days if first and day(date) else None
            out.append({"cluster": r, "article_id": a, "source": source, "date": date, "title": title,
                        "similarity": 1.0 if a == r else sim, "lag_days": lag, "printings": len(printings)})
    return out
