"""The facets of article lists, counted in memory from the ids of the rows a page lists.

Datasette runs one SQL query per facet over the page's filter. With the search box's 40 k hits
on the 200 MB benchmark corpus, each of them built the hit list again and probed it from an
index (70-120 ms apiece): six facets took 500 ms of an 860 ms page. Here a page reads its rows'
ids once, in one query under the facet time limit (90-110 ms), and each facet counts them
against the column's (id, value) pairs, which are read once per file state (from the index on
the column) and kept: the page takes 360-460 ms.

- {"values": column}: the values of a column, as Datasette's column facet shows them (the same
  links, the same order: most rows first, then by value).
- {"names": column}: a column of JSON lists of names (reporters), each row counted once per name;
  links filter with Datasette's `column__arraycontains`. Datasette's array facet deduplicates
  (value, whole row) pairs, article text included, and took 1.1 s for the same 40 k articles.
  A value that is not JSON is passed over (Datasette's SQL stops the facet at it).

Other tables (an `id` there need not be an integer key) get Datasette's own SQL.
"""

from __future__ import annotations

import numpy as np
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from ..schema import int_list
from .metadata import ARTICLE_VIEWS, corpus
from .queries import kept


def _read_pairs(conn, table: str, column: str, names: bool):
    # Grouped in SQL, each value's ids as one string: a Python tuple per row took 170-240 ms
    # for a column of the 163 k articles of the 200 MB benchmark corpus, this 45-180 ms.
    t, c = escape_sqlite(table), escape_sqlite(column)
    if names:
        sql = (f"SELECT j.value, group_concat(DISTINCT t.id) FROM {t} t JOIN json_each(t.{c}) j "
               f"WHERE t.{c} != '[]' AND json_valid(t.{c}) GROUP BY j.value")
    else:
        sql = f"SELECT {c}, group_concat(id) FROM {t} WHERE {c} IS NOT NULL GROUP BY {c}"
    values, ids = [], []
    for value, held in conn.execute(sql):
        values.append(value)
        ids.append(int_list(held))
    codes = np.repeat(np.arange(len(values), dtype=np.int32), [len(i) for i in ids])
    ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    return ids[order], codes[order], values


def column_pairs(conn, table: str, column: str, *, names: bool):
    """(ids sorted, a code per id, the values the codes stand for) of a table's column: one
    pair per row holding a value, or with `names`, per (row, name) of a column of JSON lists."""
    return kept(conn, ("pairs", table, column, names), lambda: _read_pairs(conn, table, column, names))


def table_rows(conn, table: str) -> int:
    return kept(conn, ("rows", table), lambda: conn.execute(f"SELECT count(*) FROM {escape_sqlite(table)}").fetchone()[0])


def _sqlite_order(value):
    """SQLite's ORDER BY across types: numbers, then text, then blobs."""
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1 if isinstance(value, str) else 2, 0, value)


def top_values(pairs, rows: np.ndarray | None, size: int) -> list[tuple]:
    """(value, rows holding it) for the `size` values held by most of `rows` (sorted ids; None:
    every row), most first, then by value as SQLite orders them."""
    ids, codes, values = pairs
    if rows is not None:
        if not len(rows) or not len(ids):
            return []
        codes = codes[rows[np.minimum(np.searchsorted(rows, ids), len(rows) - 1)] == ids]
    counts = np.bincount(codes, minlength=len(values))
    held = np.flatnonzero(counts)
    if len(held) > size:  # only the values that can make the top `size` are sorted
        held = held[counts[held] >= np.partition(counts[held], -size)[-size]]
    held = sorted(held.tolist(), key=lambda k: (-counts[k], _sqlite_order(values[k])))
    return [(values[k], int(counts[k])) for k in held[:size]]


TIMED_OUT = "timed out"


async def _listed_ids(facet):
    """The sorted ids of the rows a page lists; None when it lists the whole table (its count
    says so: reading 163 k ids takes 30 ms, 1.6 M would pass the time limit); TIMED_OUT when
    reading them ran out of the facet time limit. One query a page, shared by its facets."""
    listed = facet.request.scope.setdefault("zzcorpus_listed_ids", {})
    key = (facet.sql, repr(facet.params))
    db = facet.ds.get_database(facet.database)
    if key not in listed and facet.row_count is not None and \
            facet.row_count == await db.execute_fn(lambda conn: table_rows(conn, facet.table)):
        listed[key] = None
    if key not in listed:
        try:
            text = (await facet.ds.execute(
                facet.database, f"SELECT group_concat(id) FROM ({facet.sql})", facet.params,
                truncate=False, custom_time_limit=facet.ds.setting("facet_time_limit_ms"))).rows[0][0]
            listed[key] = np.sort(int_list(text))
        except QueryInterrupted:
            listed[key] = TIMED_OUT
    return listed[key]


class _CountedFacet:
    """What the values and names facets share: their counting; each says how a value links."""

    names = False
    shown_type = None  # the type a result reports (and the page prints beside the column)

    async def suggest(self):
        return []  # Datasette's own facets suggest these columns already

    async def labels(self, column, values) -> dict:
        return {}

    def item(self, column, value, querystring, labels) -> dict:
        raise NotImplementedError

    async def facet_results(self):
        if self.table not in ARTICLE_VIEWS or corpus(self.ds, self.database) is None:
            return await super().facet_results()  # Datasette's SQL, which needs no integer key
        db = self.ds.get_database(self.database)
        configs = self.get_configs()
        columns = [c["config"].get("column") or c["config"]["simple"] for c in configs]
        rows = await _listed_ids(self) if configs else None
        if rows is TIMED_OUT:
            return [], columns
        size = self.get_facet_size()
        querystring = self.get_querystring_pairs()
        results = []
        for config, column in zip(configs, columns):
            pairs = await db.execute_fn(lambda conn: column_pairs(conn, self.table, column, names=self.names))
            top = top_values(pairs, rows, size + 1)
            labels = await self.labels(column, [value for value, _ in top[:size]])
            results.append({
                "name": column, "type": self.shown_type or self.type,
                "results": [{**self.item(column, value, querystring, labels), "count": count} for value, count in top[:size]],
                "hideable": config["source"] != "metadata", "truncated": len(top) > size,
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}": column}))})
        return results, []


class ValuesFacet(_CountedFacet, ColumnFacet):
    """{"values": column}: Datasette's column facet, counted in memory; its results say type
    "column", so the page shows it as Datasette shows a column facet."""

    type = "values"
    shown_type = "column"

    async def labels(self, column, values):
        return await self.ds.expand_foreign_keys(self.database, self.table, column, values)

    def item(self, column, value, querystring, labels):
        arg = f"{column}__exact" if column.startswith("_") else column
        selected = (arg, str(value)) in querystring
        path = (path_with_removed_args(self.request, {arg: str(value)}) if selected
                else path_with_added_args(self.request, {arg: value}))
        return {"value": value, "label": labels.get((column, value), value), "selected": selected,
                "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path))}


class NamesFacet(_CountedFacet, ArrayFacet):
    """{"names": column}: a column of JSON lists of names."""

    type = "names"
    names = True

    def item(self, column, value, querystring, labels):
        value = str(value)
        arg = {f"{column}__arraycontains": value}
        selected = (f"{column}__arraycontains", value) in querystring
        path = path_with_removed_args(self.request, arg) if selected else path_with_added_args(self.request, arg)
        return {"value": value, "label": value, "selected": selected, "toggle_url": self.ds.absolute_url(self.request, path)}
