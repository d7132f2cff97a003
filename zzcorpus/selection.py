"""The articles a report reads: report_articles (no furniture, no marked duplicates) narrowed by
Filters, and their summed counts from the word index.

A selection is made of whole groups (one source, one month), whose counts the index holds
summed, plus articles taken one by one where a filter cuts through a group (a date range ending
mid-month, a --where or --byline condition, an odd date), whose counts come from their token streams. So a
frequency list for a paper or a range of months adds a few stored vectors and never reads an
article. Corpus size N is the number of word tokens of the selected articles.

Every function takes the sqlite-utils Database first and never opens a connection.
"""

from __future__ import annotations

import numpy as np

from . import index
from .filters import Filters, read_only
from .measures import check_choice
from .schema import select_ints

PERIODS = {"year": 4, "month": 7, "day": 10}
GROUPS = ("source", "year", "month")


def check_index(db) -> None:
    if not db["articles"].exists():
        raise ValueError("the database holds no corpus: run `zzcorpus ingest PATH...` first")
    if not index.has_index(db):
        raise ValueError(index.NEEDS_INDEX)


def period_of(date, by: str):
    """An article's group: its date cut to a year / month / day, None when too short."""
    size = PERIODS[by]
    return date[:size] if date and len(date) >= size else None


class Selection:
    """The selected articles of report_articles. exclude: the rest of the corpus outside another
    selection (the default keyness reference); only with empty filters."""

    def __init__(self, db, filters: Filters = Filters(), *, exclude: "Selection | None" = None):
        check_index(db)
        if exclude is not None and not filters.empty:
            raise ValueError("a selection can exclude another only when it has no filters of its own")
        filters.check(db)
        self.db, self.filters, self.exclude = db, filters, exclude
        self.whole, partial = [], []
        low, high = filters.bounds
        self.group_info = {}
        for gid, source, month in db.execute("SELECT id, source, month FROM groups"):
            self.group_info[gid] = (source, month)
            if filters.sources and source not in filters.sources:
                continue
            # --where, --byline and --script cut through every group: its articles are taken one by one
            if filters.where or filters.bylines or filters.scripts or ((low or high) and month is None):
                partial.append(gid)
            elif low or high:
                first, last = f"{month}-01", f"{month}-31"  # string bounds of the month's dates
                if (low and last < low) or (high and first > high):
                    continue
                (self.whole if (not low or first >= low) and (not high or last <= high) else partial).append(gid)
            else:
                self.whole.append(gid)
        self.extra = self._articles_of(partial)
        if filters.keep_duplicates:  # the group vectors count first printings only: the rest one by one
            self.extra = np.union1d(self.extra, self._duplicates_in(self.whole))
        self._cache = {}

    def _articles_of(self, groups) -> np.ndarray:
        """The ids of the articles of these groups that pass the filters, one by one in SQL."""
        if not groups:
            return np.zeros(0, dtype=np.int64)
        condition, params = self.filters.sql()
        rows = read_only(
            self.db,
            f"SELECT id FROM {self.filters.table} WHERE id IN (SELECT article_id FROM article_index "
            f"WHERE grp IN ({', '.join('?' * len(groups))})) AND {condition} ORDER BY id",
            list(groups) + params, where=self.filters.where)
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _duplicates_in(self, groups) -> np.ndarray:
        """The marked duplicates and reprints (not furniture) of these groups."""
        if not groups:
            return np.zeros(0, dtype=np.int64)
        # Not counted, not furniture: found through the covering index, each article by its key.
        rows = self.db.execute(
            "SELECT a.id FROM article_index i JOIN articles a ON a.id = i.article_id "
            f"WHERE i.grp IN ({', '.join('?' * len(groups))}) AND i.counted = 0 AND a.kind != 'furniture'",
            list(groups)).fetchall()
        return np.array(sorted(r[0] for r in rows), dtype=np.int64)

    # --- sizes and counts ---

    def counts(self, by: str | None = None) -> dict:
        """group key -> index.Counts of the selected articles (key None without `by`)."""
        if by in self._cache:
            return self._cache[by]
        if by is not None:
            check_choice(by, GROUPS, name="group")
        whole, extra = list(self.whole), self.extra
        if by in ("year", "month"):  # articles without a YYYY-MM-DD date are grouped one by one
            odd = [g for g in whole if self.group_info[g][1] is None]
            whole = [g for g in whole if self.group_info[g][1] is not None]
            extra = np.union1d(extra, self._articles_of(odd))
        parts = {}
        if by is None and len(whole) == len(self.group_info) and (stored := index.corpus_counts(self.db)) is not None:
            parts[None], whole = [(stored, 1)], []  # every group: their stored sum
        for gid in whole:
            source, month = self.group_info[gid]
            key = None if by is None else source if by == "source" else month[:PERIODS[by]]
            parts.setdefault(key, []).append((index.group_counts(self.db, gid), 1))
        if extra.size:
            ids, st = index.stats_of(self.db, extra)
            at = {}
            for k, key in enumerate(self._keys(ids, by)):  # one pass, however many groups
                at.setdefault(key, []).append(k)
            for key, rows in at.items():
                flags = np.zeros(ids.size, dtype=bool)
                flags[rows] = True
                parts.setdefault(key, []).append((index.counts_of_stats(st, flags), 1))
        if self.exclude is not None:  # everything minus the other selection
            parts.setdefault(None, []).append((self.exclude.total(), -1))
        out = {key: index.Counts.merge([c for c, _ in got], [s for _, s in got]) for key, got in parts.items()}
        self._cache[by] = out
        return out

    def total(self) -> index.Counts:
        got = self.counts().get(None)
        return got if got is not None else index.Counts.zero()

    @property
    def whole_corpus(self) -> bool:
        """Every article reports count (the lexicon's totals are this selection's)."""
        return self.filters.empty and self.exclude is None

    @property
    def n_tokens(self) -> int:
        return self.total().tokens

    @property
    def n_articles(self) -> int:
        return self.total().articles

    def _column(self, ids: np.ndarray, column: str) -> list:
        """One column of articles for the given ids, in their order."""
        found, id_list = {}, ids.tolist()
        for i in range(0, len(id_list), 500):
            chunk = id_list[i:i + 500]
            found.update(self.db.execute(
                f"SELECT id, {column} FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
        return [found[a] for a in id_list]

    def _keys(self, ids: np.ndarray, by: str | None) -> list:
        if by is None:
            return [None] * ids.size
        if by == "source":
            return self._column(ids, "source")
        return [period_of(d, by) for d in self._column(ids, "date")]

    # --- the articles themselves ---

    def articles(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, sizes in words) of the selected articles, sorted by id."""
        if "articles" not in self._cache:
            parts = []
            # Whole groups: their counted articles; the others were chosen one by one (duplicates too).
            for column, values in (("counted = 1 AND grp", list(self.whole)), ("article_id", self.extra.tolist())):
                for i in range(0, len(values), 500):
                    chunk = values[i:i + 500]
                    parts.append(select_ints(self.db, ["article_id", "tokens", "grp"],
                                             f"FROM article_index WHERE {column} IN ({', '.join('?' * len(chunk))})",
                                             chunk))
            table = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
            if self.exclude is not None:
                table = table[~np.isin(table[:, 0], self.exclude.articles()[0])]
            table = table[np.argsort(table[:, 0])]
            self._cache["articles"] = (table[:, 0], table[:, 1])
            self._cache["grp"] = table[:, 2]
        return self._cache["articles"]

    def article_keys(self, by: str) -> list:
        """Each selected article's group (source, or its date cut to a period), in id order."""
        ids, _ = self.articles()
        keys, missing = [], []
        for i, g in enumerate(self._cache["grp"].tolist()):
            source, month = self.group_info.get(g, (None, None))
            if by == "source":
                keys.append(source)
            elif by in ("year", "month") and month is not None:
                keys.append(month[:PERIODS[by]])
            else:
                keys.append(None)
                missing.append(i)
        if missing:
            for i, key in zip(missing, self._keys(ids[missing], by)):
                keys[i] = key
        return keys

    def article_dates(self) -> list:
        """Each selected article's date as stored, in id order."""
        return self._column(self.articles()[0], "date")

    def by_id(self) -> tuple[np.ndarray, np.ndarray]:
        """(selected, size): arrays indexed by article id, whether it is selected and its size in
        words, so a word's postings are narrowed by one gather."""
        if "by_id" not in self._cache:
            ids, tokens = self.articles()
            top = int(ids.max()) + 1 if ids.size else 1
            selected, size = np.zeros(top, dtype=bool), np.zeros(top, dtype=np.int64)
            selected[ids], size[ids] = True, tokens
            self._cache["by_id"] = (selected, size)
        return self._cache["by_id"]

    def remembered(self, key: tuple, compute):
        """compute() once per key for this selection: a page that shows a report twice (the
        collocates and their network) counts once."""
        kept = self._cache.setdefault("remembered", {})
        if key not in kept:
            kept[key] = compute()
        return kept[key]

    HELD = 64  # words whose selected postings are kept: a report per period asks for the same ones

    def holding(self, word_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(article ids, counts) of the selected articles holding the word."""
        held = self._cache.setdefault("held", {})
        if word_id not in held:
            arts, counts = index.postings(self.db, word_id)
            selected, _ = self.by_id()
            keep = selected[np.minimum(arts, selected.size - 1)] & (arts < selected.size)
            held[word_id] = (arts[keep], counts[keep])
            while len(held) > self.HELD:
                held.pop(next(iter(held)))
        return held[word_id]

    def streams(self, ids=None):
        """(ids, token streams) in batches, of the given selected articles or of all of them."""
        return index.iter_streams(self.db, self.articles()[0] if ids is None else ids)

    def flat(self, ids=None):
        """(ids, tokens, lengths) in batches: index.iter_flat of the given selected articles or of all."""
        return index.iter_flat(self.db, self.articles()[0] if ids is None else ids)
