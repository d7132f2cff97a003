"""Content analysis: compile a dictionary (dictionaries.py) into one matcher, code each article in
one pass over its tokens, and turn the codes into reports (counts, crosstab by group, the
per-article matrix, concordance, trend and network).

Matching rules:
- An entry is a sequence of token patterns: words as the corpus's segmenter cuts them (工业母机
  -> 工业 母机; spaces in an entry also separate tokens), globs on one word (`经济*`, `?` = one
  character), and for KH Coder `word->POS` (the word's tag starts with POS). A multi-token entry
  also matches the whole string as one token, in case the text keeps it whole.
- `'quoted'` entries are substrings of the printed text (kicker, title, subtitle, body).
- Longest match wins across the whole dictionary (quanteda's nested_scope = "dictionary"): a
  match lying inside a longer match of any entry is not counted, so 工业 does not count inside
  工业母机. `nested=True` counts them too. Token matches and substring matches are resolved
  separately. ASCII letters match case-insensitively, as quanteda's lookup does by default.
- A dictionary code's matches in an article are the distinct stretches its entries matched.
  A KH Coder code holds when its condition is true; its matches are the stretches of the terms,
  near/seq chains and referenced codes that made it true (never those under `not`), and 1 when
  it holds with none (`not 经济`).

The core (Codebook and the report functions) takes plain data: for each article its paragraphs
(lists of tokens, title first) and its printed text. Every call into the database and report
layer lives in the section "database glue" at the end.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

import numpy as np

from . import network as net
from .counting import is_sentence_final
from .crosstab import presence_test
from .dates import continuous_periods
from .dictionaries import Dictionary, dictionary_error
from .segment import is_word

UPPER_RUN = re.compile("[A-Z]+")
HAS_UPPER = re.compile("[A-Z]").search
TOKEN_AT = re.compile(r"[^ \n]+")  # a token in tokens joined by spaces and newlines
NEAR_DISTANCE = 10  # KH Coder's default for near() and seq(), in words
PERIODS = {"year": 4, "month": 7, "day": 10}
GROUPS = ("source", "year", "month", "day")
RESERVED_COLUMNS = ("article_id", "source", "date")


def fold(text: str) -> str:
    """ASCII letters lowered, nothing else touched: offsets in the text stay the same."""
    return UPPER_RUN.sub(lambda m: m.group().lower(), text) if HAS_UPPER(text) else text


def _glob_regex(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern), re.S)


# --- terms: entries compiled to token patterns or substrings -----------------------------------

@dataclass
class Term:
    """One entry or KH Coder word atom: token patterns (alternatives, each a tuple of element ids)
    or a substring of the printed text."""

    label: str
    patterns: tuple = ()
    substring: str | None = None


class _Compiler:
    """Turns entry text into terms, sharing elements, patterns and terms between entries, so
    that an entry in two codes is one term matched once."""

    def __init__(self, dictionary: Dictionary, cut):
        self.dictionary, self.cut = dictionary, cut
        self.elements: list[tuple] = []  # (kind 'lit'|'glob', folded text, pos prefix or None)
        self._element_ids: dict[tuple, int] = {}
        self.terms: list[Term] = []
        self._term_ids: dict[tuple, int] = {}

    def element(self, kind: str, text: str, pos: str | None) -> int:
        key = (kind, text, pos)
        if key not in self._element_ids:
            self._element_ids[key] = len(self.elements)
            self.elements.append(key)
        return self._element_ids[key]

    def term(self, text: str, line: int, *, pos: str | None = None, plus: bool = False) -> int:
        """The term of an entry: 'quoted' -> substring; else token patterns. plus=True also splits
        at '+' (KH Coder's compound words, 卒業+論文)."""
        raw = text.strip()
        if not raw:
            raise dictionary_error(self.dictionary.path, line, "empty entry")
        if raw[0] in "'\"" or raw[-1] in "'\"":
            if len(raw) < 3 or raw[0] != raw[-1] or raw[0] in raw[1:-1]:
                raise dictionary_error(self.dictionary.path, line,
                                       f"{raw!r}: a substring entry is quoted whole, 'like this'")
            if pos:
                raise dictionary_error(self.dictionary.path, line, f"{raw!r}: a substring has no POS")
            key = ("str", fold(raw[1:-1]))
            if key not in self._term_ids:
                self._term_ids[key] = len(self.terms)
                self.terms.append(Term(raw, substring=key[1]))
            return self._term_ids[key]
        parts = re.split(r"[\s+]+" if plus else r"\s+", raw)
        if any(not p for p in parts):
            raise dictionary_error(self.dictionary.path, line, f"{raw!r}: an empty part")
        sequence = []
        for part in parts:
            if "*" in part or "?" in part:
                if not part.strip("*?"):
                    raise dictionary_error(self.dictionary.path, line, f"{raw!r}: a glob made only of * and ? "
                                                                       "would match every word")
                sequence.append(self.element("glob", fold(part), pos))
            else:
                tokens = [t for t in self.cut(part) if t.strip()] or [part]
                sequence += [self.element("lit", fold(t), pos) for t in tokens]
        patterns = [tuple(sequence)]
        if len(parts) == 1 and len(sequence) > 1 and "*" not in raw and "?" not in raw:
            patterns.append((self.element("lit", fold(raw), pos),))  # the entry kept whole
        key = ("tok", tuple(patterns))
        if key not in self._term_ids:
            self._term_ids[key] = len(self.terms)
            self.terms.append(Term(raw if not pos else f"{raw}->{pos}", patterns=tuple(patterns)))
        return self._term_ids[key]


# --- KH Coder conditions -----------------------------------------------------------------------

WORD_CHARS = r"""(?:[^\s()'"<>&|!-]|-(?!-?>))+"""
TOKEN_RE = re.compile(rf"""
    (?P<ws>\s+)
  | (?P<prox>(?:near|seq)\([^()]*\)(?:\[[^\]]*\])?)
  | (?P<lp>\() | (?P<rp>\))
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<ref><\*[^<>]*>)
  | (?P<var><>[^\s()]*)
  | (?P<op>&|\||!)
  | (?P<word>{WORD_CHARS}(?:-{{1,2}}>[^\s()'"<>&|!]+)?)
""", re.X | re.I)
PROX_RE = re.compile(r"^(near|seq)\((.*)\)(?:\[([^\]]*)\])?$", re.I)
PROX_OPTION_RE = re.compile(r"^([bd]?)(\d*)$")
POS_SPLIT_RE = re.compile(r"^(.*?)-{1,2}>(.+)$")
KEYWORDS = {"and": "and", "&": "and", "or": "or", "|": "or", "not": "not", "!": "not"}


def _tokenize(compiler: _Compiler, lines) -> list[tuple[str, str, int]]:
    """(kind, text, line) for each token of a condition's lines."""
    out = []
    for text, line in lines:
        if "=>" in text:
            raise dictionary_error(compiler.dictionary.path, line, "'=>' (conjugated forms) is not supported")
        pos = 0
        while pos < len(text):
            m = TOKEN_RE.match(text, pos)
            if not m:
                rest = text[pos:]
                why = "an unclosed quote" if rest[0] in "'\"" else f"cannot read {rest[:20]!r}"
                raise dictionary_error(compiler.dictionary.path, line, why)
            kind, value = m.lastgroup, m.group()
            pos = m.end()
            if kind == "ws":
                continue
            if kind == "var":
                raise dictionary_error(compiler.dictionary.path, line,
                                       f"{value!r}: external variables (<>var-->value) are not supported")
            if kind == "word" and value.lower() in KEYWORDS:
                kind, value = "op", value.lower()
            if kind == "op":
                value = KEYWORDS[value]
            out.append((kind, value, line))
    return out


class _Parser:
    """Recursive descent over KH Coder's boolean syntax: not binds tighter than and, and than or
    (SQL's order, which KH Coder's conditions follow)."""

    def __init__(self, compiler: _Compiler, tokens, names: dict[str, int], first_line: int):
        self.c, self.tokens, self.names, self.i = compiler, tokens, names, 0
        self.last_line = tokens[-1][2] if tokens else first_line

    def error(self, message, line=None):
        return dictionary_error(self.c.dictionary.path, line or self.last_line, message)

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, self.last_line)

    def parse(self):
        node = self.or_()
        kind, value, line = self.peek()
        if kind is not None:
            raise self.error(f"expected and / or before {value!r}", line)
        return node

    def or_(self):
        node = self.and_()
        while self.peek()[:2] == ("op", "or"):
            self.i += 1
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.peek()[:2] == ("op", "and"):
            self.i += 1
            node = ("and", node, self.not_())
        return node

    def not_(self):
        if self.peek()[:2] == ("op", "not"):
            self.i += 1
            return ("not", self.not_())
        return self.primary()

    def primary(self):
        kind, value, line = self.peek()
        self.i += 1
        if kind is None:
            raise self.error("the condition ends where a word, 'string', near(), seq() or ( was expected")
        if kind == "lp":
            node = self.or_()
            if self.peek()[0] != "rp":
                raise self.error("a '(' is not closed", self.peek()[2])
            self.i += 1
            return node
        if kind in ("rp", "op"):
            raise self.error(f"unexpected {value!r}", line)
        if kind == "str":
            return ("term", self.c.term(value, line))
        if kind == "word":
            return ("term", self.word(value, line))
        if kind == "ref":
            name = value[2:-1].strip()
            if name not in self.names:
                raise self.error(f"<*{name}>: no code named {name!r} in this file", line)
            return ("ref", self.names[name])
        return self.proximity(value, line)

    def word(self, value, line) -> int:
        m = POS_SPLIT_RE.match(value)
        word, pos = (m.group(1), m.group(2)) if m else (value, None)
        if not word:
            raise self.error(f"{value!r}: no word before the POS tag", line)
        return self.c.term(word, line, pos=pos, plus=True)

    def proximity(self, value, line):
        m = PROX_RE.match(value)
        kind, inside, option = m.group(1).lower(), m.group(2), m.group(3)
        words = [w.strip() for w in re.split(r"-(?!-?>)", inside)]
        if len(words) < 2 or not all(words):
            raise self.error(f"{value!r}: {kind}() takes two or more words joined by '-'", line)
        distance, unit = NEAR_DISTANCE, None
        if option is not None:
            opt = PROX_OPTION_RE.match(option.strip().lower())
            if not opt or not option.strip():
                raise self.error(f"{value!r}: the option is [N] words, [b] same sentence or [d] same paragraph "
                                 "([b5], [d20]: both)", line)
            unit = {"b": "sentence", "d": "paragraph", "": None}[opt.group(1)]
            distance = int(opt.group(2)) if opt.group(2) else NEAR_DISTANCE
        terms = []
        for w in words:
            if w[0] in "'\"":
                raise self.error(f"{value!r}: {kind}() takes words, not 'strings'", line)
            terms.append(self.word(w, line))
        return ("near", tuple(terms), distance or None, unit, kind == "seq")


def _terms_in(node, refs=None) -> set[int]:
    """Every term a condition reads (through referenced codes when refs is given)."""
    kind = node[0]
    if kind == "term":
        return {node[1]}
    if kind == "near":
        return set(node[1])
    if kind == "ref":
        return set(refs[node[1]]) if refs else set()
    return set().union(*(_terms_in(n, refs) for n in node[1:]))


# --- the codebook ------------------------------------------------------------------------------

@dataclass
class CodedArticle:
    """counts: code index -> matches, for the codes the article holds; spans (when asked):
    code index -> the stretches matched. A stretch is (paragraph, start, end) in tokens,
    (-1, start, end) in the printed text, or a tuple of stretches (a near/seq chain)."""

    counts: dict[int, int]
    spans: dict[int, list] | None = None


class Codebook:
    """A dictionary compiled for one corpus. `code(paragraphs, text)` codes one article."""

    def __init__(self, dictionary: Dictionary, *, cut, pos=None, nested: bool = False):
        """cut: the corpus's segmenter (text -> tokens), for entries; pos: word -> POS tag (a
        mapping, read only for words a `word->POS` atom could match); nested: count matches
        inside longer matches too."""
        self.dictionary, self.nested = dictionary, nested
        self.pos = pos if pos is not None else {}
        self.names = [c.name for c in dictionary.codes]
        for name in self.names:
            if name in RESERVED_COLUMNS:
                raise dictionary_error(dictionary.path, dictionary.codes[self.names.index(name)].line,
                                       f"a code cannot be named {name!r} (a column of the article matrix)")
        comp = _Compiler(dictionary, cut)
        index = {n: i for i, n in enumerate(self.names)}
        self.code_terms: list[set[int] | None] = []  # dictionary codes: their terms
        self.rules: dict[int, tuple] = {}  # KH Coder codes: their condition
        for i, code in enumerate(dictionary.codes):
            if code.condition is None:
                self.code_terms.append({comp.term(text, line) for text, line in code.entries})
            else:
                self.code_terms.append(None)
                tokens = _tokenize(comp, code.condition)
                self.rules[i] = _Parser(comp, tokens, index, code.line).parse()
        self._check_cycles()
        self.elements, self.terms = comp.elements, comp.terms
        self._build()

    def _check_cycles(self):
        state = {}

        def visit(i, trail):
            if state.get(i) == "done":
                return
            if state.get(i) == "open":
                names = " -> ".join(self.names[j] for j in trail + [i])
                raise dictionary_error(self.dictionary.path, self.dictionary.codes[i].line,
                                       f"codes refer to each other in a circle: {names}")
            state[i] = "open"
            for j in self._refs(self.rules.get(i)):
                visit(j, trail + [i])
            state[i] = "done"

        for i in self.rules:
            visit(i, [])

    def _refs(self, node) -> list[int]:
        if node is None:
            return []
        if node[0] == "ref":
            return [node[1]]
        if node[0] in ("and", "or", "not"):
            return [r for n in node[1:] for r in self._refs(n)]
        return []

    def _build(self):
        # Token patterns: pattern id -> element ids; first element -> pattern ids.
        self.patterns: list[tuple] = []
        self.pattern_terms: list[list[int]] = []
        pattern_ids: dict[tuple, int] = {}
        subs: dict[str, list[int]] = {}
        for tid, term in enumerate(self.terms):
            if term.substring is not None:
                subs.setdefault(term.substring, []).append(tid)
            for pattern in term.patterns:
                if pattern not in pattern_ids:
                    pattern_ids[pattern] = len(self.patterns)
                    self.patterns.append(pattern)
                    self.pattern_terms.append([])
                self.pattern_terms[pattern_ids[pattern]].append(tid)
        self.first_lit: dict[str, list[int]] = defaultdict(list)
        self.first_glob: list[int] = []
        for pid, pattern in enumerate(self.patterns):
            kind, text, _ = self.elements[pattern[0]]
            (self.first_lit[text] if kind == "lit" else self.first_glob).append(pid)
        self.globs = {eid: _glob_regex(text) for eid, (kind, text, _) in enumerate(self.elements) if kind == "glob"}
        first_globs = {self.patterns[pid][0] for pid in self.first_glob}
        self.any_glob = (re.compile("|".join(f"(?:{self.globs[e].pattern})" for e in sorted(first_globs)), re.S)
                         if first_globs else None)
        # Substrings: one regex finds the places where any of them starts.
        self.substrings = [(text, tids) for text, tids in subs.items()]
        self.sub_by_first: dict[str, list[int]] = defaultdict(list)
        for sid, (text, _) in enumerate(self.substrings):
            self.sub_by_first[text[0]].append(sid)
        alternatives = sorted({re.escape(text[0]) for text, _ in self.substrings})
        self.sub_re = re.compile(f"(?=[{''.join(alternatives)}])") if alternatives else None
        # Which codes each term feeds directly (dictionary codes).
        self.term_codes: list[list[int]] = [[] for _ in self.terms]
        for ci, terms in enumerate(self.code_terms):
            for tid in terms or ():
                self.term_codes[tid].append(ci)
        self.pattern_codes = [sorted({c for t in tids for c in self.term_codes[t]}) for tids in self.pattern_terms]
        self.sub_codes = [sorted({c for t in tids for c in self.term_codes[t]}) for _, tids in self.substrings]
        # KH Coder codes: the terms each reads (through references), and whether it can hold
        # in an article where none of them matched (then it is evaluated everywhere).
        self.rule_terms: dict[int, set[int]] = {}
        for i in self._rule_order():
            self.rule_terms[i] = _terms_in(self.rules[i], self.rule_terms)
        self.rule_empty = {i: self._evaluate(i, {}, None, {})[0] for i in self.rules}
        self.needs_positions = any(self._has_near(node) for node in self.rules.values())
        self._candidates: dict[str, tuple[int, ...]] = {}  # token -> patterns starting there
        self._trigger: set[str] = set()  # tokens where any pattern starts
        self._multi_trigger: set[str] = set()  # ... where a multi-token pattern starts
        self._single_codes: dict[str, list[int]] = {}  # token -> codes of its one-token matches
        self._single_codes_folded: dict[str, list[int]] = {}  # the same by folded token
        self._multi_candidates: dict[str, tuple[int, ...]] = {}  # token -> multi-token patterns
        self._element_ok: dict[tuple[int, str], bool] = {}

    @cached_property
    def multi_res(self) -> dict[int, re.Pattern]:
        """Multi-token patterns as regexes over the tokens joined by spaces (paragraphs by
        newlines), for coding article by article (StreamCoder needs none)."""
        return {pid: re.compile(self._pattern_regex(pattern) + "(?=[ \\n]|$)", re.S)
                for pid, pattern in enumerate(self.patterns) if len(pattern) > 1}

    def _pattern_regex(self, pattern) -> str:
        parts = []
        for eid in pattern:
            kind, text, _ = self.elements[eid]
            parts.append(re.escape(text) if kind == "lit" else
                         "".join("[^ \\n]*" if ch == "*" else "[^ \\n]" if ch == "?" else re.escape(ch) for ch in text))
        return " ".join(parts)

    def _rule_order(self) -> list[int]:
        done, order = set(), []

        def visit(i):
            if i in done:
                return
            done.add(i)
            for j in self._refs(self.rules[i]):
                visit(j)
            order.append(i)

        for i in self.rules:
            visit(i)
        return order

    def _has_near(self, node) -> bool:
        return node[0] == "near" or (node[0] in ("and", "or", "not") and any(self._has_near(n) for n in node[1:]))

    @property
    def needs_text(self) -> bool:
        """Whether coding reads the printed text (substring entries)."""
        return bool(self.substrings)

    # --- matching

    def _ok(self, eid: int, token: str) -> bool:
        key = (eid, token)
        ok = self._element_ok.get(key)
        if ok is None:
            kind, text, pos = self.elements[eid]
            folded = fold(token)
            ok = folded == text if kind == "lit" else (is_word(token) and self.globs[eid].fullmatch(folded) is not None)
            if ok and pos:
                tag = self.pos.get(token)
                ok = tag is not None and tag.startswith(pos)
            self._element_ok[key] = ok
        return ok

    def _classify(self, token: str) -> None:
        """Which patterns can start at this token: asked once per distinct token. Tokens where
        only one-token patterns start are counted without positions (see `code`); their codes
        are kept as one union, so two entries of a code matching one token count once."""
        folded = fold(token)
        found = [pid for pid in self.first_lit.get(folded, ()) if self._ok(self.patterns[pid][0], token)]
        if self.any_glob is not None and is_word(token) and self.any_glob.fullmatch(folded):
            found += [pid for pid in self.first_glob if self._ok(self.patterns[pid][0], token)]
        self._candidates[token] = tuple(found)
        if found:
            self._trigger.add(token)
            single = sorted({c for pid in found if len(self.patterns[pid]) == 1 for c in self.pattern_codes[pid]})
            if single:
                self._single_codes[token] = single
                self._single_codes_folded[folded] = single
            multi = tuple(pid for pid in found if len(self.patterns[pid]) > 1)
            if multi:
                self._multi_trigger.add(token)
                self._multi_candidates[token] = multi

    def _learn(self, paragraphs) -> Counter:
        """The article's token counts, every token classified."""
        counts = Counter()
        for tokens in paragraphs:
            counts.update(tokens)
        candidates = self._candidates
        for t in [t for t in counts if t not in candidates]:  # (keys() - keys() would walk the big dict)
            self._classify(t)
        return counts

    def _paragraph_matches(self, tokens) -> list[tuple[int, int, int]]:
        """(start, end, pattern id) of every token match in one paragraph, nested ones too."""
        candidates, trigger = self._candidates, self._trigger
        found = []
        n = len(tokens)
        for i in [i for i, t in enumerate(tokens) if t in trigger]:
            for pid in candidates[tokens[i]]:
                pattern = self.patterns[pid]
                end = i + len(pattern)
                if end > n:
                    continue
                if all(self._ok(pattern[k], tokens[i + k]) for k in range(1, len(pattern))):
                    found.append((i, end, pid))
        return found

    def _token_matches(self, paragraphs) -> list[tuple[tuple, int]]:
        """(stretch, pattern id) of every token match, longest-wins applied unless nested."""
        self._learn(paragraphs)
        out = []
        for p, tokens in enumerate(paragraphs):
            if self._trigger.isdisjoint(tokens):
                continue
            found = self._paragraph_matches(tokens)
            for s, e, pid in (found if self.nested else _outermost(found)):
                out.append(((p, s, e), pid))
        return out

    def _substring_matches(self, text: str) -> list[tuple[tuple, int]]:
        if self.sub_re is None or not text:
            return []
        if HAS_UPPER(text):
            text = fold(text)
        found = []
        for m in self.sub_re.finditer(text):
            pos = m.start()
            for sid in self.sub_by_first[text[pos]]:
                sub = self.substrings[sid][0]
                if text.startswith(sub, pos):
                    found.append((pos, pos + len(sub), sid))
        return [((-1, s, e), sid) for s, e, sid in (found if self.nested else _outermost(found))]

    def _count(self, paragraphs, text: str) -> dict[int, int]:
        """code() for dictionaries without KH Coder rules, when no stretches are wanted, at C
        speed where it can: one-token matches are counted from the article's token counts;
        multi-token entries by their regexes over the tokens joined by spaces (only those whose
        first token the article holds), and the one-token matches inside them taken off again
        (unless nested)."""
        tokens_seen = self._learn(paragraphs)
        counts = Counter()
        single, multi_trigger = self._single_codes, self._multi_trigger
        multi = set()
        for t, n in tokens_seen.items():
            codes = single.get(t)
            if codes:
                for ci in codes:
                    counts[ci] += n
            if t in multi_trigger:
                multi.update(self._multi_candidates[t])
        if multi:
            seg = fold("\n".join(" ".join(tokens) for tokens in paragraphs))
            found = []
            for pid in multi:  # only the patterns whose first token the article holds
                regex, pos = self.multi_res[pid], 0
                while (hit := regex.search(seg, pos)) is not None:
                    start = hit.start()
                    if (start == 0 or seg[start - 1] in " \n") and self._glob_words(pid, hit.group()):
                        found.append((start, hit.end(), pid))
                    pos = start + 1
            per_code = defaultdict(set)
            covered = set()
            for s, e, pid in (found if self.nested else _outermost(found)):
                for ci in self.pattern_codes[pid]:
                    per_code[ci].add((s, e))
                if not self.nested:
                    covered.update(m.start() for m in TOKEN_AT.finditer(seg, s, e))
            for ci, stretches in per_code.items():
                counts[ci] += len(stretches)
            folded_single = self._single_codes_folded
            for pos in covered:  # one-token matches inside a longer match: not counted
                for ci in folded_single.get(TOKEN_AT.match(seg, pos).group(), ()):
                    counts[ci] -= 1
        if self.substrings:
            per_code = defaultdict(set)
            for stretch, sid in self._substring_matches(text):
                for ci in self.sub_codes[sid]:
                    per_code[ci].add(stretch)
            for ci, stretches in per_code.items():
                counts[ci] += len(stretches)
        return {ci: n for ci, n in counts.items() if n}

    def _glob_words(self, pid: int, matched: str) -> bool:
        """A glob matches words only (the regex cannot tell a number from a word)."""
        pattern = self.patterns[pid]
        if not any(self.elements[e][0] == "glob" for e in pattern):
            return True
        return all(is_word(t) for e, t in zip(pattern, matched.split(" ")) if self.elements[e][0] == "glob")

    def code(self, paragraphs, text: str = "", *, spans: bool = False) -> CodedArticle:
        """Code one article: paragraphs are lists of tokens (title first), text its printed text
        (read only when the dictionary has 'substring' entries)."""
        if not spans and not self.rules:
            return CodedArticle(self._count(paragraphs, text))
        token_hits = self._token_matches(paragraphs)
        sub_hits = self._substring_matches(text) if self.substrings else []
        per_code: dict[int, set] = defaultdict(set)
        term_spans: dict[int, list] = defaultdict(list) if self.rules else None
        for stretch, pid in token_hits:
            for ci in self.pattern_codes[pid]:
                per_code[ci].add(stretch)
            if term_spans is not None:
                for tid in self.pattern_terms[pid]:
                    term_spans[tid].append(stretch)
        for stretch, sid in sub_hits:
            for ci in self.sub_codes[sid]:
                per_code[ci].add(stretch)
            if term_spans is not None:
                for tid in self.substrings[sid][1]:
                    term_spans[tid].append(stretch)
        if self.rules:
            memo: dict[int, tuple[bool, set]] = {}
            positions = _Positions(paragraphs) if self.needs_positions else None
            present = set(term_spans)
            for i in self.rules:
                if not self.rule_empty[i] and present.isdisjoint(self.rule_terms[i]):
                    continue
                holds, found = self._evaluate(i, term_spans, positions, memo)
                if holds:
                    per_code[i] = found or {("article",)}
        counts = {ci: len(s) for ci, s in per_code.items() if s}
        if not spans:
            return CodedArticle(counts)
        ordered = {ci: sorted((s for s in per_code[ci] if s != ("article",)), key=_stretch_key) for ci in counts}
        return CodedArticle(counts, ordered)

    def _evaluate(self, i, term_spans, positions, memo) -> tuple[bool, set]:
        if i not in memo:
            memo[i] = self._eval(self.rules[i], term_spans, positions, memo)
        return memo[i]

    def _eval(self, node, term_spans, positions, memo) -> tuple[bool, set]:
        kind = node[0]
        if kind == "term":
            found = term_spans.get(node[1])
            return bool(found), set(found or ())
        if kind == "ref":
            holds, found = self._evaluate(node[1], term_spans, positions, memo)
            return holds, set(found)
        if kind == "not":
            return not self._eval(node[1], term_spans, positions, memo)[0], set()
        if kind == "near":
            if positions is None or any(t not in term_spans for t in node[1]):
                return False, set()
            chains = _chains(node, term_spans, positions)
            return bool(chains), set(chains)
        (a, sa), (b, sb) = (self._eval(n, term_spans, positions, memo) for n in node[1:])
        if kind == "and":
            return (a and b), (sa | sb if a and b else set())
        return (a or b), (sa if a else set()) | (sb if b else set())


def _outermost(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The matches (start, end, id) not lying inside a longer match: a match is dropped when
    another starts at or before it and ends at or after it, and is longer."""
    if len(found) < 2:
        return found
    found.sort(key=lambda m: (m[0], -m[1]))
    kept, reach, i = [], -1, 0
    while i < len(found):
        start, top = found[i][0], found[i][1]
        j = i
        while j < len(found) and found[j][0] == start:
            if found[j][1] == top and top > reach:
                kept.append(found[j])
            j += 1
        reach = max(reach, top)
        i = j
    return kept


def _stretch_key(stretch):
    first = stretch[0] if isinstance(stretch[0], tuple) else stretch
    return first


class _Positions:
    """Word position, sentence and paragraph of each token of an article, for near() and seq():
    distances count words (punctuation and numbers are not words), sentences end at 。！？；…"""

    KINDS: dict[str, tuple[int, int]] = {}  # token -> (is a word, ends a sentence), asked once

    def __init__(self, paragraphs):
        self.word, self.sentence = [], []
        w = s = 0
        kinds = self.KINDS
        for tokens in paragraphs:
            for t in tokens:
                if t not in kinds:
                    word = is_word(t)
                    kinds[t] = (int(word), int(not word and is_sentence_final(t)))
            flags = [kinds[t] for t in tokens]
            words = list(accumulate((f[0] for f in flags), initial=w))
            ends = list(accumulate((f[1] for f in flags), initial=s))
            self.word.append(words[:-1])  # each token's count of words (sentence ends) before it
            self.sentence.append(ends[:-1])
            w, s = words[-1], ends[-1] + 1


def stream_positions(stream: np.ndarray, words: np.ndarray, finals: np.ndarray) -> _Positions:
    """_Positions from an article's stream of lexicon ids (0 between paragraphs), words[i] and
    finals[i] telling whether id i is a word or ends a sentence: the same numbers, by cumsum."""
    w, f = words[stream], finals[stream] | (stream == 0)  # a paragraph's end ends its sentence
    before_w, before_s = np.cumsum(w) - w, np.cumsum(f) - f
    breaks = np.flatnonzero(stream == 0)
    out = _Positions([])
    for a, b in zip(np.concatenate([[-1], breaks]).tolist(), np.concatenate([breaks, [stream.size]]).tolist()):
        out.word.append(before_w[a + 1:b].tolist())
        out.sentence.append(before_s[a + 1:b].tolist())
    return out


def _chains(node, term_spans, positions: _Positions) -> list[tuple]:
    """near(A-B-C) / seq(A-B-C) chains, as KH Coder finds them: from each occurrence of a word,
    walk on through the later occurrences, taking each word not yet taken (for seq, only the next
    word of the list) when it lies within `distance` words of the last one taken (and in the same
    sentence or paragraph if asked); a chain that takes every word counts once. An occurrence
    followed directly by another of the same word starts no chain (A A B counts once)."""
    _, terms, distance, unit, ordered = node
    occ = []
    for k, tid in enumerate(terms):
        for stretch in term_spans[tid]:
            p, s, _ = stretch
            area = positions.sentence[p][s] if unit == "sentence" else p
            occ.append((positions.word[p][s], k, area, stretch))
    occ.sort(key=lambda o: (o[0], o[1]))
    chains = []
    for n, (pos0, k0, area0, stretch0) in enumerate(occ):
        if ordered and k0 != 0:
            continue
        if n + 1 < len(occ) and occ[n + 1][1] == k0:
            continue
        taken, chain, last = {k0}, [stretch0], pos0
        want = 1
        for pos, k, area, stretch in occ[n + 1:]:
            if distance is not None and pos - last > distance:
                break
            if unit is not None and area != area0:
                break
            if k in taken or (ordered and k != want):
                continue
            taken.add(k)
            chain.append(stretch)
            last, want = pos, want + 1
            if len(taken) == len(terms):
                chains.append(tuple(chain))
                break
    return chains


# --- reports over coded articles (plain data) ---------------------------------------------------

@dataclass
class Coded:
    """The coded selection as arrays: the article ids (sorted), for each its codes' match counts
    (a row of `matrix`, one column per code), its size in word tokens, source and date."""

    names: list[str]
    ids: np.ndarray
    matrix: np.ndarray
    tokens: np.ndarray
    source: list
    date: list

    @classmethod
    def of(cls, names, counts: dict[int, dict[int, int]], ids, tokens, source, date) -> "Coded":
        """From code_all's article id -> {code index: matches}."""
        ids = np.asarray(ids, dtype=np.int64)
        matrix = np.zeros((ids.size, len(names)), dtype=np.int64)
        row = {a: k for k, a in enumerate(ids.tolist())}
        for a, found in counts.items():
            for ci, n in found.items():
                matrix[row[a], ci] = n
        return cls(list(names), ids, matrix, np.asarray(tokens, dtype=np.int64), list(source), list(date))

    @property
    def counts(self) -> dict[int, dict[int, int]]:
        """article id -> {code index: matches} for the articles holding any code."""
        rows, cols = np.nonzero(self.matrix)
        out: dict[int, dict[int, int]] = {}
        for r, c, n in zip(rows.tolist(), cols.tolist(), self.matrix[rows, cols].tolist()):
            out.setdefault(int(self.ids[r]), {})[c] = n
        return out

    def group(self, by: str) -> list:
        """Each article's group (None: no source, or no date long enough), in id order."""
        if by == "source":
            return list(self.source)
        size = PERIODS[by]
        return [d[:size] if d and len(d) >= size else None for d in self.date]


def _per_million(count: int, size: int) -> float | None:
    return count * 1_000_000 / size if size else None


def summary_rows(coded: Coded) -> list[dict]:
    """code, articles (holding it), share (of the selected articles), matches, per_million."""
    return totals_rows(coded.names, int(coded.ids.size), int(coded.tokens.sum()),
                       (coded.matrix > 0).sum(axis=0).tolist(), coded.matrix.sum(axis=0).tolist())


def totals_rows(names, n_articles: int, n_tokens: int, articles: list, matches: list) -> list[dict]:
    """summary_rows from the totals: articles holding each code, and its matches."""
    return [{"code": name, "articles": articles[ci], "share": articles[ci] / n_articles if n_articles else None,
             "matches": matches[ci], "per_million": _per_million(matches[ci], n_tokens)}
            for ci, name in enumerate(names)]


def check_group(by: str) -> str:
    if by not in GROUPS:
        raise ValueError(f"unknown group {by!r}: choose from {', '.join(GROUPS)}")
    return by


def group_rows(coded: Coded, by: str) -> list[dict]:
    """One row per code and group: the summary counts within the group, the adjusted residual of
    the group's 'with the code' cell, and the code's chi2 and p over its 2 x groups table.
    Articles without a source (or date) are left out; groups in order."""
    keys = coded.group(check_group(by))
    names = sorted({g for g in keys if g is not None})
    number = {g: j for j, g in enumerate(names)}
    g = np.array([number.get(k, -1) for k in keys], dtype=np.int64)
    inside = g >= 0
    g, matrix, tokens = g[inside], coded.matrix[inside], coded.tokens[inside]
    docs = np.bincount(g, minlength=len(names)).tolist()
    sizes = np.bincount(g, weights=tokens, minlength=len(names)).astype(np.int64).tolist()
    articles = np.zeros((len(names), len(coded.names)), dtype=np.int64)
    matches = np.zeros_like(articles)
    np.add.at(articles, g, (matrix > 0).astype(np.int64))
    np.add.at(matches, g, matrix)
    return crosstab_rows(coded.names, names, docs, sizes, articles.T.tolist(), matches.T.tolist())


def crosstab_rows(codes, groups, docs: list, sizes: list, articles: list, matches: list) -> list[dict]:
    """group_rows from the counts per group: docs[j] articles of sizes[j] words in group j,
    articles[ci][j] of them holding code ci, with matches[ci][j] matches."""
    rows = []
    for ci, code in enumerate(codes):
        test = presence_test(articles[ci], docs)
        for j, (group, residual) in enumerate(zip(groups, test["residuals"])):
            rows.append({"code": code, "group": group, "articles": articles[ci][j],
                         "share": articles[ci][j] / docs[j], "matches": matches[ci][j],
                         "per_million": _per_million(matches[ci][j], sizes[j]),
                         "residual": residual, "chi2": test["chi2"], "p": test["p"]})
    return rows


def trend_series(codes: list[str], rows: list[dict], by: str) -> tuple[list[str], dict[str, list[float | None]]]:
    """Periods from the first to the last (none missing) and each code's share of the period's
    articles in percent (None for a period without articles), from group_rows' rows."""
    if by not in PERIODS:
        raise ValueError(f"--trend draws periods: use --by {', '.join(PERIODS)}, not {by!r}")
    share = {(r["code"], r["group"]): r["share"] for r in rows}
    seen = sorted({r["group"] for r in rows})
    periods = continuous_periods(seen[0], seen[-1], by) if seen else []
    series = {name: [None if (name, p) not in share else 100 * share[name, p] for p in periods]
              for name in codes}
    return periods, series


def matrix_table(coded: Coded) -> tuple[dict, list[list]]:
    """The article x code matrix: its columns (name -> type: article_id, source, date, then each
    code's match count) and its rows as lists in that order."""
    columns = {"article_id": int, "source": str, "date": str, **{name: int for name in coded.names}}
    return columns, [[a, source, date, *row] for a, source, date, row in
                     zip(coded.ids.tolist(), coded.source, coded.date, coded.matrix.tolist())]


def code_graph(coded: Coded) -> net.Graph:
    """Codes as nodes (count = articles holding the code), joined by Jaccard over articles:
    articles holding both / articles holding either, for pairs found together more often than
    chance expects (network.build_graph's rule). Every selected article with words is a unit."""
    units = [{coded.names[ci] for ci in np.flatnonzero(row).tolist()}
             for row in coded.matrix[coded.tokens > 0]]
    o11, f, n = net.unit_pair_counts(units, coded.names)
    attrs = {name: {"count": f.get(name, 0), "pos": None} for name in coded.names}
    return net.build_graph(attrs, o11, f, n, measure="jaccard", unit=True, min_count=1, max_edges=None)


def kwic_rows(codebook: Codebook, code: str, articles, *, width: int = 20) -> list[dict]:
    """The concordance of one code's matches: articles is (id, paragraphs, text) in the order
    wanted; rows article_id, code, left, match, right (the match's paragraph or text around)."""
    if code not in codebook.names:
        raise ValueError(f"no code {code!r} in the dictionary: codes are {', '.join(codebook.names)}")
    ci = codebook.names.index(code)
    rows = []
    for art_id, paragraphs, text in articles:
        found = codebook.code(paragraphs, text, spans=True).spans.get(ci, [])
        for stretch in found:
            if isinstance(stretch[0], tuple):  # a near/seq chain: from its first word to its last
                first, last = stretch[0], stretch[-1]
                stretch = (first[0], first[1], last[2]) if last[0] == first[0] and last[2] > first[1] else first
            p, s, e = stretch
            if p == -1:
                left, match, right = text[:s], text[s:e], text[e:]
            else:
                tokens = paragraphs[p]
                left, match, right = "".join(tokens[:s]), "".join(tokens[s:e]), "".join(tokens[e:])
            rows.append({"article_id": art_id, "code": code, "left": left[-width:].replace("\n", " "),
                         "match": match, "right": right[:width].replace("\n", " ")})
    return rows


def code_all(codebook: Codebook, articles) -> dict[int, dict[int, int]]:
    """article id -> {code index: matches} for the articles holding any code; articles is
    (id, paragraphs, text)."""
    out = {}
    for art_id, paragraphs, text in articles:
        counts = codebook.code(paragraphs, text).counts
        if counts:
            out[art_id] = counts
    return out


# --- a whole corpus at once: the word index's streams, with numpy ----------------------------

def _ranges(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """indices[indptr[r]:indptr[r + 1]] for each r of rows, concatenated, and for each value the
    position in rows it came from."""
    sizes = indptr[rows + 1] - indptr[rows]
    owner = np.repeat(np.arange(rows.size), sizes)
    offsets = np.arange(owner.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return indices[np.repeat(indptr[rows], sizes) + offsets], owner


def _table(lists: list) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) of a list of lists of ints (a sparse row -> values table)."""
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(x) for x in lists])
    flat = [v for x in lists for v in x]
    return indptr, np.array(flat, dtype=np.int64)


def _outermost_mask(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """_outermost over arrays: which matches lie inside no longer match (the longest at each
    start, unless an earlier start reaches as far)."""
    if starts.size < 2:
        return np.ones(starts.size, dtype=bool)
    order = np.lexsort((-ends, starts))
    s, e = starts[order], ends[order]
    first = np.concatenate([[True], s[1:] != s[:-1]])
    top = e[first]  # each start's longest match (sorted first)
    reach = np.maximum.accumulate(top)
    before = np.concatenate([[-1], reach[:-1]])
    group = np.cumsum(first) - 1
    keep = np.empty(starts.size, dtype=bool)
    keep[order] = (e == top[group]) & (top > before)[group]
    return keep


def _folded(chars: np.ndarray) -> np.ndarray:
    """fold() on code points: ASCII capitals lowered."""
    return np.where((chars >= ord("A")) & (chars <= ord("Z")), chars + (ord("a") - ord("A")), chars)


class StreamCoder:
    """A Codebook of dictionary codes turned into lexicon ids, to code many articles at once
    from their token streams (index.py's arrays: lexicon ids, 0 between paragraphs) and printed
    texts, with the counts Codebook.code gives article by article (the tests compare the two):
    one-token entries by a word -> codes table over the matched tokens, multi-token entries by
    shifted comparisons at the tokens where one can start, longest-match-wins by
    _outermost_mask, substrings by comparing the code points of the texts joined."""

    def __init__(self, codebook: Codebook, words: list, flags):
        """words[i]: the lexicon's word with id i (None for an id not in use); flags[i]: is_word."""
        self.book, self.size, self.n_codes = codebook, len(words), len(codebook.names)
        by_fold = defaultdict(list)
        for i, w in enumerate(words):
            if w is not None:
                by_fold[fold(w)].append(i)
        globs = [e for e, (kind, _, _) in enumerate(codebook.elements) if kind == "glob"]
        glob_words = []
        if globs:  # one pass over the lexicon for all globs; each glob then tests the few found
            any_glob = re.compile("|".join(f"(?:{codebook.globs[e].pattern})" for e in globs), re.S)
            glob_words = [i for i, w in enumerate(words) if w is not None and flags[i] and any_glob.fullmatch(fold(w))]
        self.element_ids = []
        for eid, (kind, text, _) in enumerate(codebook.elements):
            found = by_fold.get(text, ()) if kind == "lit" else glob_words
            self.element_ids.append(np.array([i for i in found if codebook._ok(eid, words[i])], dtype=np.int64))
        # One-token entries: word id -> the union of their codes (a token counts once a code).
        word_codes = defaultdict(set)
        self.multi = []  # (pattern id, a bool mask over ids for each of its elements)
        for pid, pattern in enumerate(codebook.patterns):
            if len(pattern) == 1:
                for i in self.element_ids[pattern[0]].tolist():
                    word_codes[i].update(codebook.pattern_codes[pid])
            else:
                self.multi.append((pid, [self._mask(e) for e in pattern]))
        self.multi_by_first = defaultdict(list)  # first element -> its multi-token patterns
        for pid, masks in self.multi:
            self.multi_by_first[codebook.patterns[pid][0]].append((pid, masks))
        self.single = np.zeros(self.size, dtype=bool)  # a one-token entry matches the word
        self.one_code = np.full(self.size, -1, dtype=np.int64)  # ... of one code: which
        lists = [[] for _ in range(self.size)]
        for i, codes in word_codes.items():
            if codes:
                self.single[i] = True
                if len(codes) == 1:
                    self.one_code[i] = next(iter(codes))
                else:
                    lists[i] = sorted(codes)
        self.word_codes = _table(lists)
        self.pattern_codes = _table(codebook.pattern_codes)
        self.multi_first = np.zeros(self.size, dtype=bool)
        for _, masks in self.multi:
            self.multi_first |= masks[0]
        self.longest = max((len(m) for _, m in self.multi), default=1)
        self.substrings = codebook.substrings
        self.sub_codes = _table(codebook.sub_codes)
        self.sub_by_first = defaultdict(list)  # first character -> the substrings it begins
        for sid, (text, _) in enumerate(self.substrings):
            self.sub_by_first[text[0]].append(sid)

    def _join(self, streams: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tokens, article, lengths): the streams joined with a 0 after each (no match crosses
        an article) and padding at the end for the longest pattern, as intp (numpy indexes with
        it without a copy); the row of each token but the padding; each stream's length."""
        lengths = np.fromiter((s.size for s in streams), dtype=np.int64, count=len(streams))
        gap = np.zeros(1, dtype=np.intp)
        tokens = np.concatenate([x for s in streams for x in (s, gap)] + [np.zeros(self.longest, dtype=np.intp)],
                                dtype=np.intp)
        return tokens, np.repeat(np.arange(len(streams), dtype=np.int64), lengths + 1), lengths

    def _mask(self, eid: int) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[self.element_ids[eid]] = True
        return mask

    def count(self, streams: list, texts: list | None = None) -> np.ndarray:
        """Matches per article (rows, in the order given) and code (columns); texts: the
        articles' printed texts, read when the dictionary has 'substring' entries."""
        n, width = len(streams), self.n_codes
        out = np.zeros(n * width, dtype=np.int64)
        if not n:
            return out.reshape(n, width)
        tokens, article, _ = self._join(streams)
        hit = self.single[tokens[:article.size]]
        if self.multi:
            starts, ends, pids = self._multi(tokens)
            if not self.book.nested and starts.size:
                keep = _outermost_mask(starts, ends)
                starts, ends, pids = starts[keep], ends[keep], pids[keep]
                sizes = ends - starts
                inside = np.repeat(starts, sizes) + (np.arange(int(sizes.sum()))
                                                     - np.repeat(np.cumsum(sizes) - sizes, sizes))
                hit[inside] = False  # a token inside a longer match counts for no one-token entry
            self._add_stretches(out, article[starts], starts, ends, pids, self.pattern_codes)
        at = np.flatnonzero(hit)
        words = tokens[at]
        code = self.one_code[words]
        one = code >= 0  # most words feed one code: counted directly, the others through the table
        out += np.bincount(article[at[one]] * width + code[one], minlength=n * width)
        if not one.all():
            at, words = at[~one], words[~one]
            codes, owner = _ranges(*self.word_codes, words)
            out += np.bincount(article[at][owner] * width + codes, minlength=n * width)
        if self.substrings and texts is not None:
            self._count_substrings(out, texts)
        return out.reshape(n, width)

    def _multi(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, pattern id) of every multi-token match."""
        can = np.flatnonzero(self.multi_first[tokens])
        first = tokens[can]
        starts, ends, pids = [], [], []
        for patterns in self.multi_by_first.values():
            begin = can[patterns[0][1][0][first]]
            for pid, masks in patterns:
                at = begin
                for k in range(1, len(masks)):
                    at = at[masks[k][tokens[at + k]]]
                starts.append(at)
                ends.append(at + len(masks))
                pids.append(np.full(at.size, pid, dtype=np.int64))
        return np.concatenate(starts), np.concatenate(ends), np.concatenate(pids)

    def _add_stretches(self, out, rows, starts, ends, ids, table) -> None:
        """Each code's distinct stretches, counted into out (rows x codes, flat)."""
        codes, owner = _ranges(*table, ids)
        span = int((ends - starts).max(initial=0)) + 1
        key = (starts[owner] * span + (ends - starts)[owner]) * self.n_codes + codes
        _, first = np.unique(key, return_index=True)
        out += np.bincount(rows[owner][first] * self.n_codes + codes[first], minlength=out.size)

    def _count_substrings(self, out, texts: list) -> None:
        """Every occurrence of every substring in the texts, counted into out."""
        starts, ends, sids, first_at = self._substring_hits(texts)
        rows = np.searchsorted(first_at, starts, side="right") - 1
        self._add_stretches(out, rows, starts, ends, sids, self.sub_codes)

    def _substring_hits(self, texts):
        """(start, end, substring id) of the substring matches (outermost unless nested) in the
        texts joined by NUL (no entry holds one, so none spans two articles), and where each
        text starts."""
        chars = np.frombuffer("\0".join(texts).encode("utf-32-le"), dtype=np.uint32)
        chars = np.concatenate([chars, np.zeros(max(len(t) for t, _ in self.substrings), dtype=np.uint32)])
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        first_at = np.cumsum(lengths + 1) - lengths - 1
        starts, ends, sids = self._find_substrings(chars)
        if not self.book.nested:
            keep = _outermost_mask(starts, ends)
            starts, ends, sids = starts[keep], ends[keep], sids[keep]
        return starts, ends, sids, first_at

    def _find_substrings(self, chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, substring id) of each occurrence in the code points, found by comparing
        the following characters where a substring's first one stands (ASCII in any case)."""
        starts, ends, sids = [], [], []
        for ch, group in self.sub_by_first.items():
            at_ch = np.flatnonzero(chars == ord(ch))
            if "a" <= ch <= "z":
                at_ch = np.sort(np.concatenate([at_ch, np.flatnonzero(chars == ord(ch.upper()))]))
            for sid in group:
                text = self.substrings[sid][0]
                at = at_ch
                for k in range(1, len(text)):
                    at = at[_folded(chars[at + k]) == ord(text[k])]
                starts.append(at)
                ends.append(at + len(text))
                sids.append(np.full(at.size, sid, dtype=np.int64))
        return np.concatenate(starts), np.concatenate(ends), np.concatenate(sids)


class RuleCoder(StreamCoder):
    """KH Coder rules over many articles at once: the terms' matches found as StreamCoder finds
    entries (longest-match-wins over every token pattern, and over the substrings), then each
    condition evaluated on per-article vectors: a node gives whether it holds in each article
    and, for each term, in which articles that term's stretches count (Codebook._eval's sets, as
    vectors). near() and seq() need word positions and sentences: where all of a chain's words
    occur, the codes reading a chain are evaluated by Codebook's own code, article by article,
    from the stretches found here and positions from the stream."""

    def __init__(self, codebook: Codebook, words: list, flags):
        super().__init__(codebook, words, flags)
        lists = [[] for _ in range(self.size)]  # word id -> the one-token patterns it matches
        for pid, pattern in enumerate(codebook.patterns):
            if len(pattern) == 1:
                for i in self.element_ids[pattern[0]].tolist():
                    lists[i].append(pid)
        self.word_patterns = _table(lists)
        self.any_single = np.array([bool(x) for x in lists], dtype=bool)
        self.pattern_terms = _table(codebook.pattern_terms)
        self.sub_terms = _table([tids for _, tids in codebook.substrings])
        self.order = codebook._rule_order()
        self.near_codes = [i for i in self.order if self._near_nodes(i)]
        self.words = np.asarray(flags, dtype=bool)  # for near/seq positions (stream_positions)
        self.finals = np.array([not f and is_sentence_final(w) for w, f in zip(words, self.words.tolist())],
                               dtype=bool)

    def _near_nodes(self, i: int, seen=None) -> list:
        """The near/seq nodes code i's condition reads, through the codes it refers to."""
        seen = seen if seen is not None else set()
        out = []

        def walk(node):
            if node[0] == "near":
                out.append(node)
            elif node[0] == "ref" and node[1] not in seen:
                seen.add(node[1])
                walk(self.book.rules[node[1]])
            elif node[0] in ("and", "or", "not"):
                for n in node[1:]:
                    walk(n)

        walk(self.book.rules[i])
        return out

    def count(self, streams: list, texts: list | None = None) -> np.ndarray:
        """Matches per article (rows, in the order given) and code (columns)."""
        n, width = len(streams), self.n_codes
        if not n:
            return np.zeros((0, width), dtype=np.int64)
        tokens, article, lengths = self._join(streams)
        # Every token match, one-token patterns too, then longest-match-wins over all of them.
        at = np.flatnonzero(self.any_single[tokens[:article.size]])
        pids, owner = _ranges(*self.word_patterns, tokens[at])
        starts, pids_all = at[owner], pids
        ends = starts + 1
        if self.multi:
            s, e, p = self._multi(tokens)
            starts, ends, pids_all = np.concatenate([starts, s]), np.concatenate([ends, e]), np.concatenate([pids, p])
        if not self.book.nested:
            keep = _outermost_mask(starts, ends)
            starts, ends, pids_all = starts[keep], ends[keep], pids_all[keep]
        span = self.longest + 1
        terms, owner = _ranges(*self.pattern_terms, pids_all)
        starts, ends = starts[owner], ends[owner]
        rows, keys = article[starts], starts * span + (ends - starts)
        # Each token match as Codebook.code's stretch: (paragraph, start, end) within its article.
        breaks = tokens[:article.size] == 0
        last_break = np.maximum.accumulate(np.where(breaks, np.arange(article.size), -1))
        breaks_before = np.cumsum(breaks) - breaks
        first_token = np.cumsum(lengths + 1) - lengths - 1
        local = starts - last_break[starts] - 1
        stretches = [(rows, np.stack([breaks_before[starts] - breaks_before[first_token[rows]], local,
                                      local + ends - starts], axis=1), terms)]
        if self.substrings and texts is not None:
            s, e, sids, first_at = self._substring_hits(texts)
            sub_terms, owner = _ranges(*self.sub_terms, sids)
            s, e = s[owner], e[owner]
            sub_rows = np.searchsorted(first_at, s, side="right") - 1
            sub_span = int((e - s).max(initial=0)) + 1
            terms = np.concatenate([terms, sub_terms])
            rows = np.concatenate([rows, sub_rows])
            keys = np.concatenate([keys, -1 - (s * sub_span + (e - s))])  # a space of their own
            stretches.append((sub_rows, np.stack([np.full(s.size, -1), s - first_at[sub_rows],
                                                  e - first_at[sub_rows]], axis=1), sub_terms))
        present = np.zeros((n, len(self.book.terms)), dtype=bool)
        present[rows, terms] = True
        out = np.zeros((n, width), dtype=np.int64)
        memo: dict[int, tuple] = {}
        for i in self.order:
            holds, contrib = self._code(i, present, memo)
            counts = np.zeros(present.shape, dtype=bool)
            for t, where in contrib.items():
                counts[:, t] = where
            mask = counts[rows, terms]
            _, first = np.unique(keys[mask], return_index=True)
            found = np.bincount(rows[mask][first], minlength=n)
            out[:, i] = np.where(holds, np.maximum(found, 1), 0)
        redo = np.zeros(n, dtype=bool)
        for i in self.near_codes:
            for node in self._near_nodes(i):
                redo |= present[:, list(node[1])].all(axis=1)
        if redo.any():
            self._near_articles(out, np.flatnonzero(redo), stretches, streams)
        return out

    def _near_articles(self, out, redo, stretches, streams) -> None:
        """The codes reading near() / seq() in the articles where all of a chain's words occur,
        by Codebook's own evaluation, from the stretches found here and the positions of each
        article's stream."""
        spans: dict[int, dict[int, list]] = {int(r): {} for r in redo.tolist()}
        for rows, where, terms in stretches:
            keep = np.isin(rows, redo)
            rows, where, terms = rows[keep], where[keep], terms[keep]
            order = np.lexsort((where[:, 2], where[:, 1], where[:, 0], terms, rows))  # in text order
            for r, (p, a, b), t in zip(rows[order].tolist(), where[order].tolist(), terms[order].tolist()):
                spans[r].setdefault(t, []).append((p, a, b))
        book = self.book
        for r, term_spans in spans.items():
            positions = stream_positions(streams[r].astype(np.intp), self.words, self.finals)
            memo: dict[int, tuple[bool, set]] = {}
            for i in self.near_codes:
                holds, found = book._evaluate(i, term_spans, positions, memo)
                out[r, i] = len(found) if holds and found else int(holds)

    def _code(self, i, present, memo) -> tuple:
        if i not in memo:
            memo[i] = self._node(self.book.rules[i], present, memo)
        return memo[i]

    def _node(self, node, present, memo) -> tuple[np.ndarray, dict]:
        """(holds in each article, term -> the articles where its stretches count)."""
        kind, n = node[0], present.shape[0]
        if kind == "term":
            return present[:, node[1]], {node[1]: present[:, node[1]]}
        if kind == "ref":
            return self._code(node[1], present, memo)
        if kind == "not":
            return ~self._node(node[1], present, memo)[0], {}
        if kind == "near":  # holds only where Codebook.code is asked (count's redo rows)
            return np.zeros(n, dtype=bool), {}
        (a, ca), (b, cb) = (self._node(x, present, memo) for x in node[1:])
        holds = a & b if kind == "and" else a | b
        merged: dict = {}  # and: both sides' stretches where both hold; or: each side's where it holds
        for side, c in ((a, ca), (b, cb)):
            for t, w in c.items():
                merged[t] = merged.get(t, np.zeros(n, dtype=bool)) | (w & (holds if kind == "and" else side))
        return holds, merged

# --- database glue: every call into the database and report layer ------------------------------
# The core above reads plain data; these functions get it from corpus.db through the word index
# (selection.py, index.py), store.py and segment.py.

def corpus_cut(db):
    """The corpus's own segmenter (engine and user dictionaries recorded in meta at ingest), as a
    function text -> tokens; made on first use."""
    import tempfile
    from pathlib import Path

    from .segment import DEFAULT_USERDICT, Segmenter
    from .store import get_meta

    made = {}

    def cut(text: str) -> list[str]:
        if "segmenter" not in made:
            meta = get_meta(db)
            userdict_text = meta.get("userdict_text")
            paths = (str(DEFAULT_USERDICT),)
            if userdict_text is not None:
                tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False)
                with tmp:
                    tmp.write(userdict_text)
                paths = (tmp.name,)
            try:
                made["segmenter"] = Segmenter(engine=meta.get("segmenter") or "rjieba", userdicts=paths)
            finally:
                if userdict_text is not None:
                    Path(paths[0]).unlink(missing_ok=True)
        return made["segmenter"].cut(text)

    return cut


class _CorpusPos(dict):
    """word -> POS tag from the corpus's vocab, looked up on first use."""

    def __init__(self, db):
        super().__init__()
        self.db = db

    def __missing__(self, word):
        from .reports import word_pos

        self[word] = word_pos(self.db, [word]).get(word)
        return self[word]

    def get(self, word, default=None):
        value = self[word]
        return default if value is None else value


def select(db, *, source=None, date_from=None, date_to=None, where=None, byline=None):
    """The selected articles (selection.Selection)."""
    from .filters import Filters
    from .selection import Selection

    return Selection(db, Filters(sources=(source,) if source else (), date_from=date_from, date_to=date_to,
                                 where=where, bylines=(byline,) if byline else ()))


def read_articles(db, ids, *, text: bool):
    """(id, paragraphs, printed text or '') for the given article ids, in that order of chunks."""
    from .index import token_paragraphs

    ids = list(ids)
    for i in range(0, len(ids), 2000):
        chunk = ids[i:i + 2000]
        printed = {}
        if text:
            printed = {r[0]: "\n".join(x for x in r[1:] if x) for r in db.execute(
                f"SELECT id, kicker, title, subtitle, body FROM articles WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk)}
        for art_id, paragraphs in token_paragraphs(db, chunk):
            yield art_id, paragraphs, printed.get(art_id, "")


def save_matrix(db, name: str, coded: Coded, *, params: dict) -> None:
    from .saved import save_report

    columns, rows = matrix_table(coded)
    save_report(db, name, rows, command="code", params=params, columns=columns)


def saved_codes(db, name: str) -> list[str]:
    """The codes of a matrix saved by `code --save NAME`."""
    import json

    row = db.execute("SELECT command, params FROM saved_reports WHERE name = ?", [name]).fetchone()
    if row is None or row[0] != "code" or not db[name].exists():
        saved = [r[0] for r in db.execute("SELECT name FROM saved_reports WHERE command = 'code' ORDER BY name")]
        raise ValueError(f"--saved {name!r}: no article x code matrix of that name; saved by `code --save`: "
                         f"{', '.join(saved) or 'none'}")
    return json.loads(row[1])["codes"]


def saved_rows(db, name: str, *, by: str | None = None) -> tuple[list[str], list[dict]]:
    """(codes, rows) of summary_rows, or with by of group_rows, from a saved article x code matrix
    (no coding again): the counts summed in SQL per group, sizes in words from the word index
    (articles no longer stored count with no words)."""
    codes = saved_codes(db, name)
    if by is None:
        key = "NULL"
    elif check_group(by) == "source":
        key = "m.source"
    else:
        key = f"CASE WHEN length(m.date) >= {PERIODS[by]} THEN substr(m.date, 1, {PERIODS[by]}) END"
    quoted = ['"' + c.replace('"', '""') + '"' for c in codes]
    sums = ", ".join(f"SUM({c} > 0), SUM({c})" for c in quoted)
    found = db.execute(f"SELECT {key} AS g, COUNT(*), COALESCE(SUM(i.tokens), 0), {sums} FROM [{name}] m "
                       "LEFT JOIN article_index i ON i.article_id = m.article_id GROUP BY g ORDER BY g").fetchall()
    if by is None:
        _, n_articles, n_tokens, *counts = found[0] if found else (None, 0, 0, *[0] * 2 * len(codes))
        return codes, totals_rows(codes, n_articles, n_tokens, [v or 0 for v in counts[0::2]],
                                  [v or 0 for v in counts[1::2]])
    found = [r for r in found if r[0] is not None]
    width = len(codes)
    return codes, crosstab_rows(codes, [r[0] for r in found], [r[1] for r in found], [r[2] for r in found],
                                [[r[3 + 2 * ci] or 0 for r in found] for ci in range(width)],
                                [[r[4 + 2 * ci] or 0 for r in found] for ci in range(width)])


# --- the whole run ---------------------------------------------------------------------------

def load_codebook(db, path, *, nested: bool = False) -> Codebook:
    from .dictionaries import load_dictionary

    return Codebook(load_dictionary(path), cut=corpus_cut(db), pos=_CorpusPos(db), nested=nested)


def lexicon_words(db) -> tuple[list, np.ndarray]:
    """(words, flags): the lexicon's word and is_word by id (None where no id)."""
    from .index import lexicon_size

    size = lexicon_size(db)
    words, flags = [None] * size, np.zeros(size, dtype=bool)
    for i, word, flag in db.execute("SELECT id, word, is_word FROM lexicon"):
        words[i], flags[i] = word, bool(flag)
    return words, flags


def printed_texts(db, ids) -> dict[int, str]:
    """article id -> printed text (kicker, title, subtitle, body joined by newlines)."""
    ids = [int(i) for i in ids]
    out = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update((r[0], "\n".join(x for x in r[1:] if x)) for r in db.execute(
            f"SELECT id, kicker, title, subtitle, body FROM articles WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk))
    return out


def code_streams(db, codebook: Codebook, sel) -> np.ndarray:
    """The selected articles' matches (rows in id order, a column per code) by StreamCoder, from
    the word index's streams (and printed texts for substrings), a batch of articles at a time."""
    ids, _ = sel.articles()
    matrix = np.zeros((ids.size, len(codebook.names)), dtype=np.int64)
    from .index import iter_streams

    coder = (RuleCoder if codebook.rules else StreamCoder)(codebook, *lexicon_words(db))
    for part, streams in iter_streams(db, ids, batch=5000):  # small batches: a quarter of the memory
        texts = None
        if codebook.needs_text:
            printed = printed_texts(db, part)
            texts = [printed.get(a, "") for a in part.tolist()]
        matrix[np.searchsorted(ids, part)] = coder.count(streams, texts)
    return matrix


def code_corpus(db, codebook: Codebook, *, source=None, date_from=None, date_to=None, where=None, byline=None):
    """(Coded, Selection) for the selected articles, coded through the word index at once
    (code_streams)."""
    sel = select(db, source=source, date_from=date_from, date_to=date_to, where=where, byline=byline)
    ids, tokens = sel.articles()
    keys, dates = sel.article_keys("source"), sel.article_dates()
    return Coded(list(codebook.names), ids, code_streams(db, codebook, sel), tokens, keys, dates), sel


def code_kwic(db, codebook: Codebook, code: str, coded: Coded, *, width: int = 20) -> list[dict]:
    """kwic_rows over the articles holding the code, in date order, with their date and source."""
    if code not in codebook.names:
        raise ValueError(f"no code {code!r} in the dictionary: codes are {', '.join(codebook.names)}")
    ci = codebook.names.index(code)
    holding = np.flatnonzero(coded.matrix[:, ci])
    date = {int(coded.ids[k]): coded.date[k] for k in holding.tolist()}
    source = {int(coded.ids[k]): coded.source[k] for k in holding.tolist()}
    ids = sorted(date, key=lambda a: (date[a] or "", a))
    order = {a: k for k, a in enumerate(ids)}
    arts = sorted(read_articles(db, ids, text=True), key=lambda r: order[r[0]])
    rows = kwic_rows(codebook, code, arts, width=width)
    return [{"article_id": r["article_id"], "date": date.get(r["article_id"]),
             "source": source.get(r["article_id"]), **{k: r[k] for k in ("code", "left", "match", "right")}}
            for r in rows]
