"""Substring search over the corpus, as a reader expects it: `锂电` finds 锂电池, `项目管家`
needs no spaces, and the hits are exactly the articles whose title or body contains the text.

How: articles_chars_fts indexes one token per letter or digit (store.char_tokens), so a query
term becomes an FTS5 phrase of its characters and the phrase matches wherever the term is a
substring. For terms made of Chinese characters and ASCII digits that match is exact; for
letters (unicode61 folds case and accents: `e` also finds `é`) and punctuation (any run of it
is one break token) the index gives a superset, and the text itself settles it (instr()).

Scripts: the index holds characters folded to simplified (scripts.fold), and queries are folded
the same way, so 软件 finds 軟件 and 軟件 finds 软件; snippets and concordances show each
article's own characters (folding keeps offsets).

Query syntax: terms separated by spaces must all occur (AND); `"..."` is one literal term
(spaces and AND/OR/NOT/NEAR inside are text); `OR` between two terms means either; `-term`
or `NOT term` excludes. Latin letters match case-insensitively.

Which articles: every article except marked duplicates (each repeated text is found once), page
furniture included but ranked last; rows carry `kind`. Ranking: bm25 over the character
index with the title weighted 10x the body, then newest first.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass

from .schema import CHAR_FTS_TABLE
from .filters import Filters
from .scripts import fold
from .store import BREAK, char_tokens

OPERATORS = ("AND", "OR", "NOT")
# A quoted phrase (optionally -"excluded"; an unclosed quote runs to the end) or a bare word.
ITEM_RE = re.compile(r'(-?)"([^"]*)"?|([^\s"]+)')
# Terms whose characters the index matches exactly (no case or accent folding, no breaks).
EXACT_RE = re.compile(r"^[0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")
TITLE_WEIGHT = 10.0
TEXT_SQL = "COALESCE(a.title, '') || char(10) || COALESCE(a.body, '')"


@dataclass(frozen=True)
class Query:
    """A parsed query: all `groups` must match (each group: any of its terms); no `excluded` term may."""

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]

    @property
    def terms(self) -> list[str]:
        """The positive terms, longest first (so a longer term wins where two overlap)."""
        return sorted({t for g in self.groups for t in g}, key=len, reverse=True)

    @property
    def exact(self) -> bool:
        """True when the index alone decides every term, so no text needs reading."""
        return all(EXACT_RE.match(t) for g in self.groups for t in g) and all(
            EXACT_RE.match(t) for t in self.excluded)


def parse_query(query: str) -> Query:
    """`锂电 "新质 生产力" 氢 OR 氨 -钠电` -> Query; ValueError if nothing is left to search for."""
    if not isinstance(query, str):
        raise ValueError("the query must be text")  # noqa: TRY004  (callers expect ValueError only)
    groups, excluded = [], []
    pending_or = pending_not = False
    last_positive = False
    for m in ITEM_RE.finditer(query):
        minus, phrase, word = m.groups()
        if word in OPERATORS:
            pending_or = word == "OR" and last_positive
            pending_not = word == "NOT"
            continue
        term = phrase if phrase is not None else word
        if word and word.startswith("-") and len(word) > 1:
            minus, term = "-", word[1:]
        if not term.strip():
            continue
        if minus or pending_not:
            excluded.append(term)
            last_positive = False
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
            last_positive = True
        pending_or = pending_not = False
    if not groups:
        if excluded:
            raise ValueError(f"only exclusions in {query!r}: add a term to search for, e.g. 锂电 -钠电")
        raise ValueError(f"nothing to search for in {query!r}: give a word or phrase, e.g. 锂电")
    # Punctuation alone cannot narrow the index (any run of it is one break token).
    if not any(all(_phrase(t) for t in g) for g in groups):
        raise ValueError(f"nothing to search for in {query!r}: use at least one term with letters or digits")
    return Query(tuple(map(tuple, groups)), tuple(excluded))


def _phrase(term: str) -> str | None:
    """The FTS5 phrase of a term's characters, or None for a term without letters or digits."""
    tokens = char_tokens(term)
    if not tokens.replace(BREAK, "").strip():
        return None
    return f'"{tokens}"'  # tokens hold letters, digits and BREAK only: nothing to escape


def _match(q: Query) -> str:
    # A group with a punctuation-only term cannot be narrowed by the index (any punctuation is
    # the same break token), so it is left to the text check; so are inexact exclusions, which
    # would exclude too much (`-e` would also drop articles with `é`).
    parts = []
    for group in q.groups:
        phrases = [_phrase(t) for t in group]
        if None not in phrases:
            parts.append(phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
    expr = " AND ".join(parts)
    for term in q.excluded:
        if EXACT_RE.match(term):
            expr = f"({expr}) NOT {_phrase(term)}"
    return expr


def fts_query(query: str) -> str:
    """A user query -> an FTS5 MATCH expression for articles_chars_fts.

    The expression matches every article containing the query (substring semantics, any
    length including one character) and, for Chinese characters and digits, only those;
    for letters and punctuation it may match a few more (search() checks the text).
    Raises ValueError (and only ValueError) when the query cannot mean anything.

    >>> fts_query('锂电 -钠电')
    '("锂 电") NOT "钠 电"'
    """
    return _match(parse_query(query))


# --- the exact check, in SQL, for queries the index alone cannot decide ---

def _contains(haystack, needle) -> bool:
    return haystack is not None and needle in haystack.lower()


def register_functions(conn) -> None:
    """The SQL functions the exact check uses (zz_contains, zz_fold)."""
    conn.create_function("zz_contains", 2, _contains, deterministic=True)
    conn.create_function("zz_fold", 1, lambda text: None if text is None else fold(text), deterministic=True)


def _term_check(term: str) -> tuple[str, list]:
    term = fold(term)  # the text is folded too: either script matches both
    if term.lower() == term.upper():  # nothing to fold: SQLite's instr is exact and fast
        return f"instr(zz_fold({TEXT_SQL}), ?) > 0", [term]
    return f"zz_contains(zz_fold({TEXT_SQL}), ?)", [term.lower()]


def _text_check(q: Query) -> tuple[str, list]:
    sql, params = [], []
    for group in q.groups:
        checks = [_term_check(t) for t in group]
        sql.append("(" + " OR ".join(c for c, _ in checks) + ")")
        params += [p for _, ps in checks for p in ps]
    for term in q.excluded:
        check, ps = _term_check(term)
        sql.append(f"NOT {check}")
        params += ps
    return " AND ".join(sql), params


def _where(db, query: str, *, source, date_from, date_to) -> tuple[Query, str, list]:
    """FROM/WHERE clause and parameters selecting exactly the articles a query hits."""
    q = parse_query(query)
    # The reports' article filters (--to 2024-03 means up to 2024-03-31); their columns are
    # the articles' own: the character index has only title and body.
    filters, filter_params = Filters(sources=(source,) if source else (), date_from=date_from,
                                     date_to=date_to).sql()
    sql = [f"{CHAR_FTS_TABLE} MATCH ?", "a.duplicate_of IS NULL", filters]
    params = [_match(q), *filter_params]
    if not q.exact:
        try:
            register_functions(db.conn)
        except sqlite3.OperationalError:  # called inside a running statement (Datasette): registered before it
            pass
        check, ps = _text_check(q)
        sql.append(check)
        params += ps
    clause = f"FROM {CHAR_FTS_TABLE} JOIN articles a ON a.id = {CHAR_FTS_TABLE}.rowid WHERE " + " AND ".join(sql)
    return q, clause, params


def _check_limit(limit) -> None:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more (or None for all), not {limit}")


def count(db, query: str, *, source=None, date_from=None, date_to=None) -> int:
    """How many articles search() would find without a limit."""
    _, clause, params = _where(db, query, source=source, date_from=date_from, date_to=date_to)
    return db.execute(f"SELECT COUNT(*) {clause}", params).fetchone()[0]


def search(db, query: str, *, limit: int | None = 20, source=None, date_from=None, date_to=None,
           width: int = 40, mark=("[", "]")) -> list[dict]:
    """Ranked articles containing the query: article_id, title, date, source, page, kind, snippet.

    limit=None returns every hit; `width` is the snippet length in characters, `mark` what
    goes around each hit in it.
    """
    _check_limit(limit)
    q, clause, params = _where(db, query, source=source, date_from=date_from, date_to=date_to)
    # Rank ids first and read text only for the rows returned.
    order = f"a.kind = 'furniture', bm25({CHAR_FTS_TABLE}, {TITLE_WEIGHT}, 1.0), a.date DESC, a.id"
    ids = [r[0] for r in db.execute(
        f"SELECT a.id {clause} ORDER BY {order} LIMIT ?", params + [-1 if limit is None else limit])]
    if not ids:
        return []
    rows = {r[0]: r for r in db.execute(
        "SELECT id, title, date, source, page, kind, body FROM articles "
        f"WHERE id IN ({','.join('?' * len(ids))})", ids)}
    out = []
    for art_id in ids:
        _, title, date, source_, page, kind, body = rows[art_id]
        out.append({
            "article_id": art_id, "title": title, "date": date, "source": source_, "page": page,
            "kind": kind, "snippet": _snippet(body or "", q, width=width, mark=mark, escape=str),
        })
    return out


def term_regex(q: Query):
    """Any term of a parsed query, folded to simplified, case-insensitive: what kwic and
    snippets mark, in the folded text (whose offsets are the original's)."""
    return re.compile("|".join(map(re.escape, dict.fromkeys(map(fold, q.terms)))), re.IGNORECASE)


def kwic(db, query: str, *, width: int = 20, limit: int | None = None, source=None, date_from=None,
         date_to=None) -> list[dict]:
    """One row per occurrence of a query term, in date order: article_id, date, source, title,
    left, match, right, offset (the match's character offset in title + "\\n" + body).

    left + match + right is a slice of that text; `width` characters of context either side.
    """
    if width < 0:
        raise ValueError(f"width must be 0 or more, not {width}")
    _check_limit(limit)
    q, clause, params = _where(db, query, source=source, date_from=date_from, date_to=date_to)
    finder = term_regex(q)
    rows = []
    cursor = db.execute(
        f"SELECT a.id, a.date, a.source, a.title, a.body {clause} ORDER BY a.date, a.id", params)
    for art_id, date, source_, title, body in cursor:
        text = f"{title or ''}\n{body or ''}"
        for m in finder.finditer(fold(text)):
            if limit is not None and len(rows) >= limit:
                return rows
            start, end = m.span()
            rows.append({
                "article_id": art_id, "date": date, "source": source_, "title": title,
                "left": text[max(0, start - width):start], "match": text[start:end], "right": text[end:end + width],
                "offset": start,
            })
    return rows


def _snippet(text: str, q: Query | None, *, width: int, mark, escape) -> str:
    finder = term_regex(q) if q else None
    folded = fold(text)
    found = finder.search(folded) if finder else None
    start = max(0, found.start() - max(0, width - len(found.group())) // 2) if found else 0
    end = max(start + width, found.end() if found else 0)  # a match longer than width stays whole
    window, pieces, pos = text[start:end], [], 0
    for m in (finder.finditer(folded[start:end]) if found else ()):
        pieces += [escape(window[pos:m.start()]), mark[0], escape(window[m.start():m.end()]), mark[1]]
        pos = m.end()
    pieces.append(escape(window[pos:]))
    return ("…" if start else "") + "".join(pieces).replace("\n", " ") + ("…" if end < len(text) else "")


def snippet(text: str, query: str, *, width: int = 40, mark=("[", "]"), escape=None) -> str:
    """About `width` characters of text around the first occurrence of a query term, every
    occurrence in that window wrapped in `mark`; "…" where the text goes on.

    escape: applied to the text around the marks; by default html.escape when the marks are
    HTML tags (mark=("<mark>", "</mark>")), else nothing. An unusable query gives the start of
    the text unmarked: this never raises for text and a string query.
    """
    if escape is None:
        escape = html.escape if mark[0].startswith("<") else str
    try:
        q = parse_query(query)
    except ValueError:
        q = None
    return _snippet(text or "", q, width=width, mark=mark, escape=escape)
