"""Segment clean text into (word, POS) tokens with jieba's dictionary and model.

Two engines, same dictionary: `rjieba` (jieba-rs, the default: ~10x faster, identical tokens on
98% of seed paragraphs) and `jieba` (jieba.lcut's own tokens, one flag away).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import re
import sys
import unicodedata
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path

ENGINES = ("rjieba", "jieba")
DEFAULT_USERDICT = Path(__file__).resolve().parent / "data" / "userdict.txt"  # seeds/userdict.txt
USERDICT_LINE = re.compile(r"^(.+?)(?:\s+(\d+))?(?:\s+([a-z]+))?$")


def engine_version(engine: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # slow to import; ingest alone asks

    try:
        return version(engine)
    except PackageNotFoundError:
        return "unknown"


def read_userdict(path) -> list[tuple[str, int | None, str | None]]:
    """jieba's user dictionary format: `word [freq] [tag]` per line."""
    entries = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, freq, tag = USERDICT_LINE.match(line).groups()
            entries.append((word, int(freq) if freq else None, tag))
    return entries


def file_sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else ""


def _jieba_tagger(entries):
    """(tag, cut, tag_word): jieba's own tokens (jieba.lcut, HMM on), tagged from jieba's dictionary.

    jieba.posseg cuts differently from jieba.lcut (on the seeds, on more than half of the
    paragraphs), so tokens come from lcut; a word outside the dictionary is tagged by posseg
    on its own, as posseg itself would tag it.
    """
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word, freq, tag in entries:
        tokenizer.add_word(word, freq, tag)
    posseg = jieba.posseg.POSTokenizer(tokenizer)
    tags = dict(posseg.word_tag_tab)
    tags.update(tokenizer.user_word_tag_tab)

    @lru_cache(maxsize=1 << 16)
    def unknown(word):
        if word.isspace():
            return "x"
        return next((p.flag for p in posseg.cut(word)), "x")

    def tag_word(word):
        return tags.get(word) or unknown(word)

    return (lambda text: [(w, tag_word(w)) for w in tokenizer.lcut(text)]), tokenizer.lcut, tag_word


RJIEBA_MODULE = "rjieba.rjieba"  # the compiled module that defines rjieba.Jieba


def _rjieba_class():
    """rjieba's Jieba class. Importing the rjieba package loads a Jieba of its own for its
    module-level functions (0.1-0.2 s, a fifth of an ingest's start at 20 MB), which no
    Segmenter uses; so the class comes from the package's compiled module alone, and from the
    package when that module is not where it was looked for."""
    if RJIEBA_MODULE not in sys.modules:
        try:
            folders = importlib.util.find_spec("rjieba").submodule_search_locations
            path = next(p for folder in folders for p in Path(folder).iterdir()
                        if p.name.startswith("rjieba.") and p.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
            compiled = importlib.util.spec_from_file_location(RJIEBA_MODULE, path)
            module = importlib.util.module_from_spec(compiled)
            compiled.loader.exec_module(module)
            # Registered, so that a later `import rjieba` uses this module rather than loading it twice.
            sys.modules[RJIEBA_MODULE] = module
        except (ImportError, OSError, StopIteration, TypeError, AttributeError):
            import rjieba

            return rjieba.Jieba
    return sys.modules[RJIEBA_MODULE].Jieba


NUMBER_SEPARATORS = frozenset(".,%-+:/．，％~～")


@lru_cache(maxsize=1 << 16)  # bounded: memory must not grow with the corpus
def is_punct(word: str) -> bool:
    """True when no character is a Unicode letter (L*) or number (N*); '' counts as punctuation."""
    return not any(unicodedata.category(ch)[0] in "LN" for ch in word)


def _is_digit_like(ch: str) -> bool:
    # Numeric but not a Chinese numeral ideograph (三, 十, 万, 〇 ...).
    return ch.isnumeric() and not unicodedata.name(ch, "").startswith(("CJK ", "IDEOGRAPHIC "))


@lru_cache(maxsize=1 << 16)  # bounded: memory must not grow with the corpus
def is_number(word: str) -> bool:
    """A figure: every character numeric (str.isnumeric) or one of `.,%-+:/．，％~～`,
    with at least one numeric character that is not a Chinese numeral.

    2023, 3.5%, １２, 10:30, 3~5, ①, 3万 are numbers.  Tokens made only of Chinese
    numerals (三, 十一, 千万, 万一, 二〇二三) are words: jieba tags 千万 'must' and 万一
    'in case' as numerals too, and Chinese corpora count numeral characters as words;
    the number filter is for the digit strings of dates and statistics.
    """
    if not word or not any(_is_digit_like(ch) for ch in word):
        return False
    return all(ch.isnumeric() or ch in NUMBER_SEPARATORS for ch in word)


@lru_cache(maxsize=1 << 16)  # bounded: memory must not grow with the corpus
def is_word(word: str) -> bool:
    """Neither punctuation nor a number: the tokens that make up corpus size N."""
    return not is_punct(word) and not is_number(word)


class Segmenter:
    """`tag(text)` -> [(word, pos)] as the engine gives them, whitespace tokens included.

    `cut(paragraph)` gives the same tokens without tags, which is twice as fast, and tags only
    the tokens not met before: both engines tag a word by looking it up, the same wherever it
    stands, so one tag per word loses nothing. `tags` remembers them.
    """

    def __init__(self, *, engine: str = "rjieba", userdicts=()):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")
        self.engine = engine
        entries = [e for path in userdicts if path for e in read_userdict(path)]
        if engine == "rjieba":
            self._jieba = _rjieba_class()()
            for word, freq, tag in entries:
                # rjieba has no suggest_freq-on-add; a missing freq takes what the word needs to stay whole.
                self._jieba.add_word(word, freq or self._jieba.suggest_freq(word), tag)
            self._tag, self._cut, self._tag_word = self._jieba.tag, self._jieba.cut, self._rjieba_tag_word
        else:
            self._tag, self._cut, self._tag_word = _jieba_tagger(entries)
        self.forget()

    @cached_property
    def version(self) -> str:
        """The engine's version (asked when first wanted: the package metadata is slow to load)."""
        return engine_version(self.engine)

    def _rjieba_tag_word(self, word: str) -> str | None:
        """The word's tag, None when the engine cuts the word alone otherwise than in its text.
        rjieba tags each token of a cut by looking it up (or from its letters when the
        dictionary lacks it), whatever stands around it."""
        tagged = self._jieba.tag(word)
        return tagged[0][1] if len(tagged) == 1 and tagged[0][0] == word else None

    def forget(self) -> None:
        self.tags: dict[str, str] = {}  # every token met, with its tag

    def tag(self, text: str) -> list[tuple[str, str]]:
        return self._tag(text)

    def cut(self, paragraph: str) -> list[str]:
        """The paragraph's tokens, whitespace dropped (a space inside a token too); `tags` then
        holds each of them."""
        words = self.words(paragraph)
        self.learn([(paragraph, words)])
        return words

    def words(self, paragraph: str) -> list[str]:
        """cut() without the tags: call learn() with the paragraphs afterwards."""
        words = self._cut(paragraph)
        if " " in paragraph or "\t" in paragraph or "\u3000" in paragraph:
            words = [w.replace(" ", "") for w in words if not w.isspace()]
        return words

    def learn(self, paragraphs, *, tokens=None) -> None:
        """Tag the tokens not met before of (paragraph, words) pairs: each on its own, which
        gives the tag it has in its paragraph at a hundredth of the cost of tagging the
        paragraph; a token the engine cuts otherwise on its own (a few in ten thousand) is
        tagged in the first paragraph holding it. tokens: their distinct tokens, when the caller
        has them."""
        pending = set(chain.from_iterable(words for _, words in paragraphs) if tokens is None else tokens)
        pending.difference_update(self.tags)
        for word in list(pending):
            if (pos := self._tag_word(word)) is not None:
                self.tags[word] = pos
                pending.discard(word)
        for paragraph, words in paragraphs:
            if not pending:
                return
            if pending.isdisjoint(words):
                continue
            met = [w for w, pos in self._tag(paragraph) if self._meet(w.replace(" ", ""), pos)]
            met += [w for w in pending.intersection(words) if self._meet(w, "x")]  # in case cut and tag ever disagree
            pending.difference_update(met)

    def _meet(self, token: str, pos: str) -> bool:
        """Remember the token's tag; whether it was new."""
        if token in self.tags:
            return False
        self.tags[token] = pos
        return True


def _paragraph_words(segmenter: Segmenter, text: str) -> list[tuple[str, list[str]]]:
    return [(p, segmenter.words(p)) for p in text.split("\n") if p and not p.isspace()]


TOKEN_MEMORY = 1 << 19  # tokens a Segmenter remembers before it starts afresh: bounded memory


def segment_articles(segmenter: Segmenter, texts) -> tuple[list[tuple[str, str]], list[list[list[str]]], list[str]]:
    """(title_seg, body_seg) for each (title, body), each article's paragraphs as token lists (the
    title's first), and their distinct tokens in the order met; segmenter.tags then holds every
    token's tag."""
    if len(segmenter.tags) > TOKEN_MEMORY:
        segmenter.forget()
    segs, tokens, met = [], [], []
    for title, body in texts:
        title, body = _paragraph_words(segmenter, title), _paragraph_words(segmenter, body)
        segs.append(("\n".join([" ".join(words) for _, words in title]),
                     "\n".join([" ".join(words) for _, words in body])))
        both = title + body
        tokens.append([words for _, words in both if words])
        met += both
    vocab = list(dict.fromkeys(chain.from_iterable([words for _, words in met])))
    segmenter.learn(met, tokens=vocab)
    return segs, tokens, vocab
