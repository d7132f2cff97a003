"""Substring search over the corpus, as a reader expects it: `锂电` finds 锂电池, `项目管家`
needs no spaces, and the hits are exactly the articles whose printed text - kicker, title,
subtitle, byline, dateline or body - contains the text.

How: articles_chars_fts indexes one token per letter or digit of every printed field
(store.char_tokens), so a query term becomes an FTS5 phrase of its characters and the phrase
matches wherever the term is a substring. For terms made of Chinese characters and ASCII digits
that match is exact; for letters (the index folds case: `e` also finds `E` and `É`) and
punctuation (any run of it is one break token) the index gives a superset, and the text itself
settles it (instr()). The Datasette search box runs this same code (article_ids).

Scripts: the index holds characters folded to simplified (scripts.fold), and queries are folded
the same way, so 软件 finds 軟件 and 軟件 finds 软件; snippets and concordances show each
article's own characters (folding keeps offsets).

Query syntax: terms separated by spaces must all occur (AND); `"..."` is one literal term
(spaces and AND/OR/NOT/NEAR inside are text); `OR` between two terms means either; `-term`
or `NOT term` excludes. Latin letters match case-insensitively. Each term is cleaned as ingest
cleans a printed line (pages.clean_line: justification spaces and the space between Chinese and
Latin or digits go), so a phrase copied from the original page finds its article.

Whole words (words=True): a term matches only where the segmentation made it a word (or, for a
term that is not one word of the lexicon, a run of whole words), in the fields whose words are
counted (kicker, title, subtitle, body; bylines and datelines are not segmented). A word's
articles are its postings in the word index; other terms are found by substring and checked
against the stored tokens.

Which articles: every article except marked duplicates (each repeated text is found once), page
furniture included but ranked last; rows carry `kind`. Ranking: bm25 over the character
index with the headline (title 10x, kicker and subtitle 5x) above byline, dateline and body, then
newest first. Snippets and kwic rows name the field of the hit (`field`).
"""

from __future__ import annotations

import html
import re
import sqlite3
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from . import index
from .filters import Filters
from .pages import clean_line
from .readers import normalize
from .schema import CHAR_FTS_TABLE, HEADLINE_FIELDS, PRINTED_FIELDS
from .segment import is_word
from .scripts import fold
from .store import BREAK, char_tokens

OPERATORS = ("AND", "OR", "NOT")
# A quoted phrase (optionally -"excluded"; an unclosed quote runs to the end) or a bare word.
ITEM_RE = re.compile(r'(-?)"([^"]*)"?|([^\s"]+)')
# Terms whose characters the index matches exactly (no case or accent folding, no breaks).
EXACT_RE = re.compile(r"^[0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")
# bm25 weights of the printed fields (PRINTED_FIELDS order): the headline above the rest.
FIELD_WEIGHTS = {"kicker": 5.0, "title": 10.0, "subtitle": 5.0, "byline": 1.0, "dateline": 1.0, "body": 1.0}
# Every printed field, one line each: a term never spans two fields.
TEXT_SQL = " || char(10) || ".join(f"COALESCE(a.{f}, '')" for f in PRINTED_FIELDS)


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
        term = clean_term(term)
        if not term:
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


def clean_term(term: str) -> str:
    """A query term as ingest would have stored it: `"Linux 内核"` -> `Linux内核`, `代 表` -> `代表`."""
    return clean_line(normalize(term))


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


def _check_fields(db) -> None:
    if [r[1] for r in db.execute(f"PRAGMA table_info([{CHAR_FTS_TABLE}])")] != list(PRINTED_FIELDS):
        raise ValueError("this corpus was indexed by an older zzcorpus, without kickers, subtitles, bylines and "
                         "datelines: run `zzcorpus index` once to search them all")


def _where(db, q: Query, *, source=None, date_from=None, date_to=None, byline=None, words=False,
           duplicates=False) -> tuple[str, list]:
    """FROM/WHERE clause and parameters selecting exactly the articles a query hits (with words,
    every article where its terms occur as text: whole_words() then keeps the word hits)."""
    # The reports' article filters (--to 2024-03 means up to 2024-03-31); their columns are
    # the articles' own.
    filters = Filters(sources=(source,) if source else (), date_from=date_from, date_to=date_to,
                      bylines=(byline,) if byline else ())
    _check_fields(db)
    filters.check(db)
    condition, filter_params = filters.sql()
    # A word exclusion keeps articles where the text occurs but not as a word: checked later.
    text_q = Query(q.groups, () if words else q.excluded)
    sql = [f"{CHAR_FTS_TABLE} MATCH ?", "1" if duplicates else "a.duplicate_of IS NULL", condition]
    params = [_match(text_q), *filter_params]
    if not text_q.exact:
        try:
            register_functions(db.conn)
        except sqlite3.OperationalError:  # called inside a running statement (Datasette): registered before it
            pass
        check, ps = _text_check(text_q)
        sql.append(check)
        params += ps
    clause = f"FROM {CHAR_FTS_TABLE} JOIN articles a ON a.id = {CHAR_FTS_TABLE}.rowid WHERE " + " AND ".join(sql)
    return clause, params


def _check_limit(limit) -> None:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more (or None for all), not {limit}")


ORDER = (f"a.kind = 'furniture', bm25({CHAR_FTS_TABLE}, {', '.join(str(FIELD_WEIGHTS[f]) for f in PRINTED_FIELDS)}),"
         " a.date DESC, a.id")


def _all_of(db, *, byline, duplicates=False, **filters) -> tuple[str, list]:
    """FROM/WHERE clause of every article a byline filter selects: a reporter's articles, no query."""
    f = Filters(sources=(filters["source"],) if filters.get("source") else (), date_from=filters.get("date_from"),
                date_to=filters.get("date_to"), bylines=(byline,))
    f.check(db)
    condition, params = f.sql()
    return f"FROM articles a WHERE {'1' if duplicates else 'a.duplicate_of IS NULL'} AND {condition}", params


def _ranked_ids(db, query: str, *, limit, words, duplicates=False, **filters) -> tuple[Query | None, list[int]]:
    if isinstance(query, str) and not query.strip() and filters.get("byline"):
        clause, params = _all_of(db, duplicates=duplicates, **filters)
        ids = [r[0] for r in db.execute(f"SELECT a.id {clause} ORDER BY a.kind = 'furniture', a.date DESC, a.id "
                                        "LIMIT ?", params + [-1 if limit is None else limit])]
        return None, ids
    q = parse_query(query)
    clause, params = _where(db, q, words=words, duplicates=duplicates, **filters)
    if not words:
        ids = [r[0] for r in db.execute(f"SELECT a.id {clause} ORDER BY {ORDER} LIMIT ?",
                                        params + [-1 if limit is None else limit])]
        return q, ids
    ids = [r[0] for r in db.execute(f"SELECT a.id {clause} ORDER BY {ORDER}", params)]
    kept = whole_words(db, q, ids)
    ids = [i for i in ids if i in kept]
    return q, ids if limit is None else ids[:limit]


def count(db, query: str, *, source=None, date_from=None, date_to=None, byline=None, words=False) -> int:
    """How many articles search() would find without a limit."""
    if words or (isinstance(query, str) and not query.strip() and byline):
        return len(_ranked_ids(db, query, limit=None, words=words, source=source, date_from=date_from,
                               date_to=date_to, byline=byline)[1])
    clause, params = _where(db, parse_query(query), source=source, date_from=date_from, date_to=date_to,
                            byline=byline)
    return db.execute(f"SELECT COUNT(*) {clause}", params).fetchone()[0]


def article_ids(db, query: str, *, words=False) -> list[int]:
    """Every article (duplicates included) the query hits, by id: what a table's search box
    shows (the table or view then keeps and orders its own rows)."""
    q = parse_query(query)
    if not words and q.exact:  # the character index alone decides: no article is read
        _check_fields(db)
        return [r[0] for r in db.execute(
            f"SELECT rowid FROM {CHAR_FTS_TABLE} WHERE {CHAR_FTS_TABLE} MATCH ? ORDER BY rowid", [_match(q)])]
    return sorted(_ranked_ids(db, query, limit=None, words=words, duplicates=True)[1])


def search(db, query: str, *, limit: int | None = 20, source=None, date_from=None, date_to=None, byline=None,
           words=False, width: int = 40, mark=("[", "]")) -> list[dict]:
    """Ranked articles containing the query: article_id, title, date, source, page, kind, field,
    snippet (around the first hit in the body, else in the first printed field holding one; `field`
    names it). With a byline, the query may be empty: that reporter's articles, newest first.

    limit=None returns every hit; `width` is the snippet length in characters, `mark` what
    goes around each hit in it.
    """
    _check_limit(limit)
    q, ids = _ranked_ids(db, query, limit=limit, words=words, source=source, date_from=date_from,
                         date_to=date_to, byline=byline)
    if not ids:
        return []
    rows = {r[0]: r for r in db.execute(
        f"SELECT id, date, source, page, kind, {', '.join(PRINTED_FIELDS)} FROM articles "
        f"WHERE id IN ({','.join('?' * len(ids))})", ids)}
    finder = term_regex(q) if q else None
    out = []
    for art_id in ids:
        _, date, source_, page, kind, *texts = rows[art_id]
        fields = dict(zip(PRINTED_FIELDS, texts))
        field = next((f for f in ("body", *PRINTED_FIELDS) if finder and finder.search(fields[f] or "")), "body")
        out.append({
            "article_id": art_id, "title": fields["title"], "date": date, "source": source_, "page": page,
            "kind": kind, "field": field,
            "snippet": _snippet(fields[field] or "", q, width=width, mark=mark, escape=str),
        })
    return out


def term_regex(q: Query):
    """Any term of a parsed query, folded to simplified, case-insensitive: what kwic and
    snippets mark, in the folded text (whose offsets are the original's)."""
    return re.compile("|".join(map(re.escape, dict.fromkeys(map(fold, q.terms)))), re.IGNORECASE)


SORT_KEYS = ("L1", "L2", "L3", "R1", "R2", "R3")
KWIC_NEIGHBOURS = ("L3", "L2", "L1", "R1", "R2", "R3")  # in reading order
NEIGHBOURS = 3


def parse_sort(sort) -> tuple[str, ...]:
    """`L1,R1` (or a sequence of keys) -> ("L1", "R1"); ValueError naming the allowed keys."""
    if not sort:
        return ()
    keys = [k.strip().upper() for k in (sort.split(",") if isinstance(sort, str) else sort) if k.strip()]
    for k in keys:
        if k not in SORT_KEYS:
            raise ValueError(f"cannot sort by {k!r}: use {', '.join(SORT_KEYS)} or several, comma-separated (L1,R1)")
    return tuple(dict.fromkeys(keys))


def _is_content(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def neighbours(text: str, tokens: list, start: int, end: int, *, starts: list | None = None) -> dict:
    """The match text[start:end]'s `word` (the whole tokens it touches: 锂电 in 锂电池 gives 锂电池)
    and its neighbour words L1..L3 (nearest first) and R1..R3: the tokens of the segmentation
    before and after that word in the same paragraph, punctuation skipped; "" where there are
    none (a paragraph's edge, an unsegmented field such as the byline). tokens are in text order
    (no overlaps); starts, their start offsets, lets a caller with many matches in one field
    look each up by bisection instead of walking every token."""
    out = dict.fromkeys(KWIC_NEIGHBOURS, "")
    starts = [s for s, _, _ in tokens] if starts is None else starts
    first = max(bisect_right(starts, start) - 1, 0)  # the token holding start, or the one before
    if first < len(tokens) and tokens[first][1] <= start:
        first += 1
    after = first  # past the tokens the match touches
    while after < len(tokens) and tokens[after][0] < end:
        after += 1
    ws = min(start, tokens[first][0]) if after > first else start
    we = max(end, tokens[after - 1][1]) if after > first else end
    out["word"] = text[ws:we]
    if not tokens:
        return out
    line_start = text.rfind("\n", 0, ws) + 1
    line_end = text.find("\n", we)
    line_end = len(text) if line_end < 0 else line_end
    left, i = [], first - 1
    while i >= 0 and tokens[i][0] >= line_start and len(left) < NEIGHBOURS:
        if _is_content(tokens[i][2]):
            left.append(tokens[i][2])
        i -= 1
    right, i = [], after
    while i < len(tokens) and tokens[i][1] <= line_end and len(right) < NEIGHBOURS:
        if _is_content(tokens[i][2]):
            right.append(tokens[i][2])
        i += 1
    for k, t in enumerate(left, 1):
        out[f"L{k}"] = t
    for k, t in enumerate(right, 1):
        out[f"R{k}"] = t
    return out


def _texts_in_order(db, clause: str, params, *, chunk: int = 200):
    """The hit articles' fields in date order, read a chunk at a time: the order is settled on
    ids and dates alone, so a page of lines reads only the articles it shows."""
    ids = [r[0] for r in db.execute(f"SELECT a.id {clause} ORDER BY a.date, a.id", params)]
    columns = f"id, date, source, title_seg, body_seg, {', '.join(PRINTED_FIELDS)}"
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        found = {r[0]: r for r in db.execute(
            f"SELECT {columns} FROM articles WHERE id IN ({', '.join('?' * len(part))})", part)}
        yield from (found[a] for a in part)


def kwic(db, query: str, *, width: int = 20, limit: int | None = None, offset: int = 0, sort=None, source=None,
         date_from=None, date_to=None, byline=None, words=False) -> list[dict]:
    """One row per occurrence of a query term, in date order: article_id, date, source, title,
    field (kicker, title, subtitle, byline, dateline or body), left, match, right, offset (the
    match's character offset in that field), word (the whole words the match touches) and the
    neighbour words L1..L3, R1..R3 (see neighbours()).

    left + match + right is a slice of the field's text; `width` characters of context either side.
    sort: neighbour keys (`L1,R1` or a sequence): lines ordered by those words (in code-point
    order; lines without such a word last), then by date order. offset/limit: a page of the lines.
    """
    if width < 0:
        raise ValueError(f"width must be 0 or more, not {width}")
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be 0 or more, not {offset}")
    _check_limit(limit)
    keys = parse_sort(sort)
    stop = None if keys or limit is None else offset + limit
    q = parse_query(query)
    clause, params = _where(db, q, source=source, date_from=date_from, date_to=date_to, byline=byline, words=words)
    finder = term_regex(q)
    lexical = _lexical(db, q) if words else set()
    rows = []
    for art_id, date, source_, title_seg, body_seg, *texts in _texts_in_order(db, clause, params):
        fields = dict(zip(PRINTED_FIELDS, texts))
        tokens = field_tokens(fields, title_seg, body_seg)
        spans = {f: {(s, e) for s, e, _ in toks} for f, toks in tokens.items()}
        starts = {f: [s for s, _, _ in toks] for f, toks in tokens.items()}
        if words and not _word_match(q, spans, fields, lexical):
            continue
        for field in PRINTED_FIELDS:
            text = fields[field] or ""
            for m in finder.finditer(fold(text)):  # the same length as text: offsets carry over
                if words and not _is_word_at(spans, field, m, lexical):
                    continue
                if stop is not None and len(rows) >= stop:
                    return rows[offset:]
                start, end = m.span()
                rows.append({
                    "article_id": art_id, "date": date, "source": source_, "title": fields["title"], "field": field,
                    "left": text[max(0, start - width):start], "match": text[start:end], "right": text[end:end + width],
                    "offset": start, **neighbours(text, tokens.get(field, []), start, end, starts=starts.get(field, [])),
                })
    if keys:
        order = sorted(range(len(rows)), key=lambda i: tuple((rows[i][k] == "", rows[i][k]) for k in keys) + (i,))
        rows = [rows[i] for i in order]
    return rows[offset:] if limit is None else rows[offset:offset + limit]


# --- whole words: occurrences that are words of the segmentation ---

# Whether each code point below U+3001 is one str.split() drops (none above is).
IS_SPACE = np.array([chr(c).isspace() for c in range(0x3001)] + [False])


def _token_list(text: str, seg: str | None):
    """[(start, end, token)] of each token of seg in text, in order (whitespace in text skipped),
    or None when the tokens are not the text's (a text stored before its segmentation covered it)."""
    tokens = (seg or "").split()
    if "".join(tokens) != "".join(text.split()):
        return None
    if not tokens:
        return []
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    at = np.flatnonzero(~IS_SPACE[np.minimum(codes, 0x3001)])  # each kept character's offset in text
    lens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    ends = np.cumsum(lens)
    return list(zip(at[ends - lens].tolist(), (at[ends - 1] + 1).tolist(), tokens))


def field_tokens(fields: dict, title_seg: str | None, body_seg: str | None) -> dict:
    """field -> [(start, end, token)] in order, for the fields whose words are counted (kicker,
    title and subtitle from title_seg, one paragraph each; body from body_seg). The tokens are
    those of the folded text, which has the printed text's length, so the offsets hold for both."""
    fields = {f: fold(t) if t else t for f, t in fields.items()}
    heads = [f for f in HEADLINE_FIELDS if fields.get(f)]
    out = {"body": _token_list(fields.get("body") or "", body_seg) or []}
    joined = "\n".join(fields[f] for f in heads)
    tokens = _token_list(joined, title_seg)
    if tokens is None:  # stored before kickers and subtitles were segmented: title_seg is the title's
        out["title"] = _token_list(fields.get("title") or "", title_seg) or []
        return out
    base = 0
    for f in heads:
        end = base + len(fields[f])
        out[f] = [(s - base, e - base, t) for s, e, t in tokens if base <= s and e <= end]
        base = end + 1
    return out


def word_spans(fields: dict, title_seg: str | None, body_seg: str | None) -> dict:
    """field -> {(start, end)} of its tokens (see field_tokens)."""
    return {f: {(s, e) for s, e, _ in toks} for f, toks in field_tokens(fields, title_seg, body_seg).items()}


def _is_word_at(spans: dict, field: str, m, lexical: set) -> bool:
    """Is this occurrence a word of the segmentation: one token when the term is a word of the
    lexicon (lexical: such terms, lower case), else a run of whole tokens?"""
    got = spans.get(field)
    if not got:
        return False
    start, end = m.span()
    if (start, end) in got:
        return True
    if m.group().lower() in lexical:
        return False
    return start in {s for s, _ in got} and end in {e for _, e in got}


def _lexical(db, q: Query) -> set[str]:
    """The query's terms that are tokens of the lexicon, lower case (Latin in any case)."""
    terms = {t for g in q.groups for t in g} | set(q.excluded)
    found = {w.lower() for w in index.word_ids(db, terms)}
    for t in terms:
        if t.lower() != t.upper():  # letters: the lexicon keeps the printed case
            found |= {w.lower() for (w,) in db.execute("SELECT word FROM lexicon WHERE word = ? COLLATE NOCASE", [t])}
    return found


def _word_match(q: Query, spans: dict, fields: dict, lexical: set) -> bool:
    def holds(term):
        pattern = re.compile(re.escape(term), re.IGNORECASE)
        return any(_is_word_at(spans, f, m, lexical) for f in spans for m in pattern.finditer(fields.get(f) or ""))

    return all(any(map(holds, g)) for g in q.groups) and not any(map(holds, q.excluded))


def whole_words(db, q: Query, ids) -> set[int]:
    """The articles among ids where the query's terms are words (see the module docstring)."""
    ids = list(ids)
    lexical = _lexical(db, q)
    terms = [t for g in q.groups for t in g] + list(q.excluded)
    # Words of the lexicon in characters the index matches exactly: their postings decide.
    known = index.word_ids(db, [t for t in terms if EXACT_RE.match(t) and is_word(t)])
    holding = {t: set(index.postings(db, i)[0].tolist()) for t, i in known.items()}
    kept = set()
    if all(t in holding for t in terms):  # no text to read
        return {a for a in ids if all(any(a in holding[t] for t in g) for g in q.groups)
                and not any(a in holding[t] for t in q.excluded)}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for art_id, title_seg, body_seg, *values in db.execute(
                f"SELECT id, title_seg, body_seg, {', '.join(PRINTED_FIELDS)} FROM articles "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            fields = dict(zip(PRINTED_FIELDS, values))
            if _word_match(q, word_spans(fields, title_seg, body_seg), fields, lexical):
                kept.add(art_id)
    return kept


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


def mark_all(text: str, query: str, *, mark=("<mark>", "</mark>"), escape=html.escape) -> str:
    """The whole text with every occurrence of a query term wrapped in `mark` (line breaks kept),
    the rest escaped: an article's page with the hits of the search it came from. An unusable
    query marks nothing; this never raises for text and a string query."""
    try:
        finder = term_regex(parse_query(query))
    except ValueError:
        return escape(text or "")
    pieces, pos = [], 0
    for m in finder.finditer(text or ""):
        pieces += [escape(text[pos:m.start()]), mark[0], escape(m.group()), mark[1]]
        pos = m.end()
    pieces.append(escape((text or "")[pos:]))
    return "".join(pieces)
