"""Segment clean text into (word, POS) tokens with jieba's dictionary and model.

Two engines, same dictionary: `rjieba` (jieba-rs, the default: ~10x faster, identical tokens on
most paragraphs) and `jieba` (jieba.posseg itself, one flag away for exact jieba output).
"""

from __future__ import annotations

import hashlib
from collections import Counter
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ENGINES = ("rjieba", "jieba")
DEFAULT_USERDICT = Path(__file__).resolve().parent / "data" / "userdict.txt"  # seeds/userdict.txt
USERDICT_LINE = re.compile(r"^(.+?)(?:\s+(\d+))?(?:\s+([a-z]+))?$")


def engine_version(engine: str) -> str:
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


class Segmenter:
    """`tag(text)` -> [(word, pos)] as the engine gives them, whitespace tokens included."""

    def __init__(self, *, engine: str = "rjieba", userdicts=()):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")
        self.engine = engine
        self.version = engine_version(engine)
        entries = [e for path in userdicts if path for e in read_userdict(path)]
        if engine == "rjieba":
            import rjieba

            self._jieba = rjieba.Jieba()
            for word, freq, tag in entries:
                # rjieba has no suggest_freq-on-add; a missing freq takes what the word needs to stay whole.
                self._jieba.add_word(word, freq or self._jieba.suggest_freq(word), tag)
            self._tag = self._jieba.tag
        else:
            import logging

            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            for word, freq, tag in entries:
                tokenizer.add_word(word, freq, tag)
            posseg = jieba.posseg.POSTokenizer(tokenizer)
            self._tag = lambda text: [(p.word, p.flag) for p in posseg.cut(text)]

    def tag(self, text: str) -> list[tuple[str, str]]:
        return self._tag(text)


NUMBER_MARKS = set(".,%-+:/．，％~～")


def is_punct(word: str) -> bool:
    return not any(ch.isalnum() for ch in word)


def is_number(word: str) -> bool:
    """Digits with their marks (2024, 10-9, 20%, ３．５); Chinese numerals alone (三, 十) too."""
    return any(ch.isnumeric() for ch in word) and all(ch.isnumeric() or ch in NUMBER_MARKS for ch in word)


def is_word(word: str) -> bool:
    """Punctuation and numbers are not words: they are kept in *_seg but never counted."""
    return not is_punct(word) and not is_number(word)


def segment_text(segmenter: Segmenter, text: str) -> tuple[str, str, Counter, int]:
    """Tag text paragraph by paragraph (one engine call per text, split at newlines).

    Returns (seg, pos, counts of (word, pos) for words, number of word tokens); seg/pos hold
    tokens joined by single spaces and paragraphs joined by newlines, punctuation included.
    """
    paragraphs, words, tags = [], [], []
    for word, pos in segmenter.tag(text):
        if word.isspace() or not word:
            if "\n" in word and words:
                paragraphs.append((words, tags))
                words, tags = [], []
            continue
        words.append(word.replace(" ", ""))
        tags.append(pos)
    if words:
        paragraphs.append((words, tags))
    counts = Counter((w, p) for ws, ts in paragraphs for w, p in zip(ws, ts) if is_word(w))
    seg = "\n".join(" ".join(ws) for ws, _ in paragraphs)
    pos = "\n".join(" ".join(ts) for _, ts in paragraphs)
    return seg, pos, counts, sum(counts.values())


def parse_seg(seg: str, pos: str) -> list[list[tuple[str, str]]]:
    """The inverse of segment_text's strings: paragraphs of (word, pos)."""
    return [list(zip(s.split(" "), p.split(" "))) for s, p in zip(seg.split("\n"), pos.split("\n")) if s]
