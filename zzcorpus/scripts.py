"""Simplified and traditional Chinese as one: folding traditional text to simplified (OpenCC's
t2s tables) and telling the script of a text.

What is folded, and what is not: the stored text (articles.title/body, documents.raw) keeps its
own characters; the character index, search queries and (unless a corpus was ingested with
--no-fold) segmentation and the word index see folded text, so 软件 finds 軟件 and reports count
one word. Folding never changes a text's length (a phrase rule that would is replaced by the
character table), so an offset in the folded text is the same offset in the original: snippets
and concordances show the original characters.

Why t2s and not tw2sp (Taiwan phrases): tw2sp also rewrites ordinary words both scripts share
(on the seeds: 整合 -> 集成, 核心 -> 内核, 建立 -> 创建, 新增 -> 添加, 文件 -> 档案), which would
put words into traditional articles their writers did not use. t2s folds the script only; 軟體
stays 软体, a regional word a keyness report can then show as one.

Folding runs only on text holding at least one traditional-only character, so simplified text
is left exactly as it is (t2s's phrase rules are never applied to it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SCRIPTS = ("simplified", "traditional", "mixed")
FOLDINGS = ("t2s", "none")  # meta `fold`: how a corpus's words were folded
HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
MIXED_SHARE = 0.1  # below this share of the other script's characters a text is of one script
# OpenCC's t2s and s2t tables for single characters, as made by single_chars() (a test checks
# that the file still equals them): reading it takes milliseconds, making it a quarter second,
# which every command that folds a query or a stopword would pay at its start.
CHAR_TABLES = Path(__file__).resolve().parent / "data" / "script_chars.tsv"


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(f"{config}.json")


def single_chars(config: str) -> dict[str, str]:
    """Each Han character of the basic and extension A blocks that the config changes, alone."""
    chars = [chr(c) for c in range(0x3400, 0x4DC0)] + [chr(c) for c in range(0x4E00, 0xA000)]
    # One per line, so no phrase rule spans two of them.
    out = _converter(config).convert("\n".join(chars)).split("\n")
    return {a: b for a, b in zip(chars, out) if a != b and len(b) == 1}


def _char_class(chars) -> re.Pattern:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def write_char_tables(path=CHAR_TABLES) -> None:
    """Write the single-character tables of t2s and s2t, one `config<TAB>from<TAB>to` a line."""
    lines = [f"{config}\t{a}\t{b}" for config in ("t2s", "s2t") for a, b in single_chars(config).items()]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_char_tables(path=CHAR_TABLES) -> dict[str, dict[str, str]]:
    tables = {"t2s": {}, "s2t": {}}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        config, a, b = line.split("\t")
        tables[config][a] = b
    return tables


@lru_cache(maxsize=1)
def _tables():
    tables = read_char_tables()
    t2s = tables["t2s"]  # traditional-only characters -> simplified
    s2t = tables["s2t"]  # simplified-only characters (their traditional form differs)
    # Character classes: the regex engine tests them with a bitmap, far faster than translate().
    return str.maketrans(t2s), _char_class(t2s), _char_class(s2t)


@lru_cache(maxsize=1)
def _traditional() -> frozenset:
    """The traditional-only characters, for short texts (a query, a stopword): a set lookup, so
    they never wait for the character classes to compile."""
    return frozenset(read_char_tables()["t2s"])


def counts(text: str) -> tuple[int, int]:
    """(traditional-only, simplified-only) characters in text."""
    _, trad, simp = _tables()
    return len(trad.findall(text or "")), len(simp.findall(text or ""))


def script_of(text: str) -> str | None:
    """simplified, traditional or mixed; None for text without Han characters. A text whose
    characters are the same in both scripts is simplified (folding leaves it as it is)."""
    if not text or not HAN_RE.search(text):
        return None
    _, trad_re, _ = _tables()
    if not trad_re.search(text):
        return "simplified"
    trad, simp = counts(text)
    if trad <= MIXED_SHARE * (trad + simp):
        return "simplified"
    if simp <= MIXED_SHARE * (trad + simp):
        return "traditional"
    return "mixed"


def fold(text: str) -> str:
    """The text in simplified characters, the same length as text; unchanged when it holds no
    traditional-only character."""
    if not text:
        return text or ""
    if len(text) < 64:  # a query, a stopword: a set lookup, no character class to compile
        if _traditional().isdisjoint(text):
            return text
    elif not _tables()[1].search(text):
        return text
    out = _converter("t2s").convert(text)
    if len(out) != len(text):  # a phrase rule changed the length: characters one by one instead
        out = text.translate(_tables()[0])
    return out
