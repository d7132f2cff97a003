"""Turn a raw newspaper page dump into real paragraphs and articles.

Pure text functions: no I/O, no database, no word segmenter.

Page dumps come out of PDF text layers in two shapes, and the same rules handle both:

* column-wrapped pages: a line break every ~15-30 characters, mid-word, and blank
  lines wherever the extractor crossed a text box, often mid-sentence or mid-word;
* paragraph-per-line pages: one long line per paragraph, still cut now and then by
  a column jump ("电" / blank / "力等领域").

Cleaning.  Letter-spacing (代 表 “ 家 站 点 ”) and the spaces between CJK and digits,
Latin or CJK punctuation go; the gap between two words (记者 张环泽, 峰城区完善 林长制
管理体系) and between Latin words stays.

Reflow.  A line ending a sentence (。！？… or a closing byline) ends its paragraph.  An
open line runs on into the next one, across at most one blank line, when it is plainly
running text: it continues a paragraph, or holds sentence punctuation (，。；) or an
unclosed quote, or fills the local column (the median line length around it).  Two or
more blank lines are a hard break (another box) and are never crossed; a dateline,
byline, 上接 marker or list label (热线电话：…) always opens a new paragraph.  Short lines
without sentence punctuation are headings, and a "paragraph" without any punctuation
is split back into its lines.

Articles.  Headline groups, bylines (□记者 … 报道), closing bylines and credits
(（记者 …）, （… 摄）), datelines (本报讯, 新华社…电), 上接 markers and furniture (app
and WeChat promos, ■ rubrics) cut the page.  Head-first pages put the headline above
byline and body.  Tail pages - the dump opens with body text, and no headline leads into
a □ byline - carry each headline box after its body and closing byline.  A heading that
neither follows a closing byline nor comes just before the start of something new
(byline, dateline, 上接 marker, furniture, hard break, end of page) is a section head and
stays in the body as its own paragraph (on tail pages, a heading after a dated news item
is its title: such items have no section heads).  In a headline group, a line ending
open (“ · 、) or a short first line is one title wrapped; two short lines of equal
length are a couplet (创新产品 赢得市场); otherwise the decks read kicker, title,
subtitle - except after the body, where the headline box wraps one title.

Nothing is dropped: whatever fits nowhere becomes an article of kind "furniture", and
page_text() gives back every printed character in page order.

Layouts.  All of the above is for newspaper pages (layout "page").  Text that is not a page -
notes, listings, commands, a poem - is read with layout "plain" (plain_article): its own lines
are its paragraphs, nothing is joined across a line break, no headlines are looked for.
choose_layout() tells the two apart from a text's line profile.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import compress, pairwise
from operator import sub

import numpy as np

__all__ = ["KINDS", "LAYOUTS", "choose_layout", "clean_article", "clean_line", "page_text", "plain_article",
           "reflow", "split_page"]

KINDS = ("news", "photo", "notice", "continuation", "furniture")
LAYOUTS = ("page", "plain")

_FULL = 0.8  # a line this close to the local column width was wrapped by the layout
_WINDOW = 8  # lines either side that give the local column width
_HEAD_MAX = 60  # longest paragraph still taken for a heading
_SHORT = 40  # bylines and furniture lines are never longer
_PHOTO_BODY = 300  # "图为…" marks a caption only in a short text
_SHORT_MID = 10  # a line inside a paragraph narrower than this may be its last line


# --- character-level cleaning ---

_ODD_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\t\xa0\u1680\u2000-\u200d\u2028-\u202f\u205f\u2060\u3000\ufeff]")
_ODD = {
    **{c: "" for c in map(chr, [*range(0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x200B, 0x200C, 0x200D,
                                0x2060, 0xFEFF])},
    **{c: " " for c in "\t\xa0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))},
    **{c: "\n" for c in "\x0b\x85\u2028\u2029"},
    "\x0c": "\n\n\n",  # a form feed is a page break: a hard break
}


def _normalise(text: str) -> str:
    """One kind of newline, one kind of space, no control characters."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.replace("\n", "").isprintable():  # far cheaper than a regex scan
        return text
    return _ODD_RE.sub(lambda m: _ODD.get(m.group(), ""), text)


_I = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
_P = "\u3000-\u303f\uff00-\uffef\u2010-\u206f\u00b7\u25a0-\u25ff\ufe30-\ufe4f\u2e80-\u2fff"  # CJK punctuation
_A = "\x21-\x7e\u00c0-\u024f\u0370-\u052f"  # Latin, digits, ASCII symbols, Greek, Cyrillic
# letter-spacing: two or more one-character tokens in a row (代 表 “ 家 站 点 ” 成 为),
# with the spaces that join the run to the words on either side; the hint finds it fast
_SPACED_HINT_RE = re.compile(f"(?:^| )[{_I}{_P}] [{_I}{_P}](?!\\S)")
_SPACED_RUN_RE = re.compile(f"(?:(?<=[{_I}]) )?(?<!\\S)[{_I}{_P}](?: [{_I}{_P}](?!\\S))+(?: (?=[{_I}]))?")
# a space beside CJK punctuation, or between CJK and digits/Latin (会议 7 次, 2024 年)
_LOOSE_SPACE_RE = re.compile(
    f" (?:(?<=[{_P}] )(?=[{_I}{_P}{_A}])|(?<=[{_I}{_A}] )(?=[{_P}])|(?<=[{_I}] )(?=[{_A}])|(?<=[{_A}] )(?=[{_I}]))")
_SPACES_RE = re.compile(" {2,}")


def _squeeze(m: re.Match) -> str:
    return m.group().replace(" ", "")


def _clean_spaces(line: str) -> str:
    """Drop justification spaces; keep the ones between words (记者 张环泽, Hello World)."""
    line = line.strip()
    if "  " in line:
        line = _SPACES_RE.sub(" ", line)
    if " " in line:
        if _SPACED_HINT_RE.search(line):
            line = _SPACED_RUN_RE.sub(_squeeze, line)
        line = _LOOSE_SPACE_RE.sub("", line)
    return line


def clean_line(text: str) -> str:
    """Remove justification spaces (between CJK, CJK punctuation, digits) and strip."""
    return _clean_spaces(_normalise(text).replace("\n", " "))


# --- line and paragraph shapes ---

_CLOSERS = "”’」』）)》〉】\"' "
_ENDERS_STR = "。！？!?…."
_ENDERS = frozenset(_ENDERS_STR)
_LEADING_STR = "”’」』）)》〉】，,、。；;：:！？!?"
_LEADING_CLOSERS = frozenset(_LEADING_STR)
_PUNCT_RE = re.compile("[，,。；;！？!?]")
_STOP_RE = re.compile("[。！？!?；;]")
_ROLE_RE = re.compile(
    "本报特约记者|本报记者|本报通讯员|特约记者|特约通讯员|首席记者|见习记者|实习记者|摄影记者"
    "|通讯员|记者|实习生|评论员|摄影|报道|摄|文/图|图/文|[□■（）()/]"
)
_ROLE_PREFIXES = ("本报记者", "本报通讯员", "本报特约", "记者", "通讯员", "特约", "首席", "见习",
                  "实习", "摄影")
_ROLE_GLUED_RE = re.compile(f"(本报记者|本报通讯员|特约记者|摄影记者|记者|通讯员|实习生)(?=[{_I}])")
_NAME_SPLIT_RE = re.compile("[\\s、，,]+")
_NAME_RE = re.compile(f"[{_I}]{{2,4}}|[{_I}]{{1,6}}·[{_I}]{{1,8}}")
_NAMES_LINE_RE = re.compile(f"[{_I}]{{2,3}}(?: [{_I}]{{2,3}})+")
_CLOSING_RE = re.compile("[（(]([^（）()]{1,60})[）)]$")
_BEFORE_CLOSING = frozenset("。！？!?…”’」』 ")
_CONT_RE = re.compile("[（(](?:上接|接上)[^（）()]{0,8}[）)]")
_DATELINE_RE = re.compile(
    "本报[^\\s，。：:,（(“]{0,12}?讯"
    "|(?:新华社|中新社|中国新闻社)[^\\s，。：:,（(“]{0,20}?电"
    f"|[{_I}]{{2,5}}讯(?=[\\s\\d（(]|近日|日前|连日来|今年|去年|当前|目前|记者)"
)
_DATE_RE = re.compile("(?:(\\d{4})年)?(\\d{1,2})月(\\d{1,2})日")
_FURNITURE_RE = re.compile("公众号|客户端|微信|微博|抖音|快手|视频号|二维码|扫码|扫一扫|APP|App")
_NOTICE_RE = re.compile("(?:节目预告|预告|公告|通告|启事|声明|通知|讣告|征集)$")
_OPENERS = tuple("“‘（(《〈【·、，,：:")
_IDEO_RE = re.compile(f"[{_I}]")
_LABEL_RE = re.compile(f"[{_I}]{{2,8}}：(?!“)")


def _unbalanced(s: str) -> bool:
    if "“" not in s and "”" not in s and "（" not in s and "）" not in s and "(" not in s and ")" not in s \
            and "《" not in s and "》" not in s:
        return False  # the common case, without counting
    return (s.count("“") != s.count("”") or s.count("（") + s.count("(") != s.count("）") + s.count(")")
            or s.count("《") != s.count("》"))


def _runs_on(s: str) -> bool:
    """Sentence punctuation, an open quote or a list label (热线电话：): running text, not a heading."""
    if "，" in s or "。" in s:
        return True  # the common case, without a regex
    return _PUNCT_RE.search(s) is not None or _unbalanced(s) or _LABEL_RE.match(s) is not None


def _names_in(s: str) -> list[str] | None:
    """Person names of a byline, or None when some word is not a name."""
    names = [t for t in _NAME_SPLIT_RE.split(_ROLE_RE.sub(" ", s)) if t]
    if all(_NAME_RE.fullmatch(t) for t in names):
        return names
    return None


def _closing_at(s: str) -> int:
    """Where a closing byline （记者 苏羽 刘豹） or credit （娄倩 摄） starts at the end of s; -1 if none."""
    if not s or s[-1] not in "）)":
        return -1
    tail = s[-64:]
    m = _CLOSING_RE.search(tail)
    if not m:
        return -1
    start = len(s) - len(tail) + m.start()
    if start and s[start - 1] not in _BEFORE_CLOSING:
        return -1  # （讨论稿） inside a sentence
    return start if _names_in(m.group(1)) is not None else -1


def _closed(s: str) -> bool:
    """Does s end a paragraph (a sentence end or a closing byline)?"""
    t = s.rstrip(_CLOSERS)
    if t and t[-1] in _ENDERS:
        return True
    return _closing_at(s) >= 0


def _byline_line(s: str) -> bool:
    """□记者 孟令洋, 通讯员 赵健健 报道, 张环泽 报道, □本报通讯员."""
    if len(s) > _SHORT:
        return False
    marked = s[0] in "□■" or s.startswith(_ROLE_PREFIXES)
    if not (marked or s.endswith(("报道", "摄"))) or _PUNCT_RE.search(s):
        return False
    names = _names_in(s)
    return names is not None and (bool(names) or marked)


def _names_line(s: str) -> bool:
    """司增会 闫虎 杨国桢: the authors under a headline."""
    return len(s) <= _SHORT and _NAMES_LINE_RE.fullmatch(s) is not None


def _furniture_line(s: str) -> bool:
    if len(s) > 30:
        return False
    if s[0] == "■":
        return True  # column rubric: ■重点项目落地见效年
    if s[0] == "“" and s[-1] == "”" and s.count("“") == 1:
        return True  # promo account name on its own line: “枣庄直播”
    return _FURNITURE_RE.search(s) is not None and not _runs_on(s)


def _heading(s: str) -> bool:
    return (len(s) <= _HEAD_MAX and not _closed(s) and not _STOP_RE.search(s)
            and not _DATELINE_RE.match(s) and not _LABEL_RE.match(s))


def _starts_block(s: str) -> bool:
    """A line that opens something new: dateline, byline, 上接 marker."""
    c = s[0]
    if c in "□■":
        return True
    if c in "（(":
        return _CONT_RE.match(s) is not None
    if _DATELINE_RE.match(s):
        return True
    if len(s) <= _SHORT and (" " in s or s.startswith(_ROLE_PREFIXES) or s.endswith(("报道", "摄"))):
        return _byline_line(s) or _names_line(s)
    return False


# --- reflow ---


# first characters of the lines that may open a dateline, byline or 上接 marker
_OPENING_CHARS = "□■（(本新中记通特首见实摄"
_LATIN_BREAK_RE = re.compile("\n(?<=[A-Za-z]\n)(?=[A-Za-z])")  # opens with a literal: a fast scan
_LATIN_WRAP_RE = re.compile("\n(?:(?<=[A-Za-z]\n)|(?<=[A-Za-z] \n))(?= *[A-Za-z])")  # before cleaning


def _join_lines(lines: list[str], *, latin: bool = True) -> str:
    if len(lines) == 1 or not latin:
        return "".join(lines)
    # English words wrapped at a line end keep a space between them
    return _LATIN_BREAK_RE.sub(" ", "\n".join(lines)).replace("\n", "")


def _paragraphs(text: str) -> list[tuple[str, bool]]:
    """(paragraph, after a hard break) in page order; paragraphs are cleaned."""
    text = _normalise(text)
    latin = _LATIN_WRAP_RE.search(text) is not None  # English words wrapped at a line end: rare
    raw = text.split("\n")
    if " " in text:
        raw = [_clean_spaces(line) if " " in line else line for line in raw]
    kept = list(compress(range(len(raw)), raw))  # the non-blank lines
    if not kept:
        return []
    lines = list(map(raw.__getitem__, kept))
    gaps = [0, *map(sub, kept[1:], kept[:-1])]  # gaps[j]: 1 + the blank lines before line j
    columns: dict[int, int] = {}

    def column(i: int) -> int:
        """The local column width, in characters, around line i."""
        if i not in columns:
            # the median, not the max: the window may straddle a headline or a wider column
            near = sorted(map(len, lines[max(0, i - _WINDOW): i + _WINDOW + 1]))
            columns[i] = near[len(near) // 2]
        return columns[i]

    out: list[tuple[str, bool]] = []
    first = 0  # the current paragraph is lines[first:j]
    # the hot loop: one pass per line of every page, cheap tests first; the common case
    # (a full line inside a paragraph, no sentence end) never leaves it
    leading, enders, closers, opening = _LEADING_STR, _ENDERS_STR, _CLOSERS, _OPENING_CHARS
    for j in range(1, len(lines)):
        gap = gaps[j]
        if gap < 3:
            nxt = lines[j]
            if nxt[0] in leading:
                continue  # 。” or ，at a line start belongs to the line before
            prev = lines[j - 1]
            last = prev[-1]
            if last not in enders:
                # the two common cases, inlined: what _runs_into would say
                if (last not in closers and nxt[0] not in opening and " " not in nxt and nxt[-1] not in "道摄"
                        and ("讯" not in nxt or nxt.find("讯", 2, 7) < 0)
                        and ("：" not in nxt or nxt.find("：", 2, 10) < 0)):
                    if j - 1 > first:
                        if gap == 1 and len(prev) >= _SHORT_MID:
                            continue  # a full line inside a paragraph
                    elif "，" in prev or "。" in prev:
                        continue  # a paragraph's first line, mid-sentence
                if _runs_into(lines, j, first, gap - 1, column):
                    continue
        if j - first == 1:
            out.append((lines[first], gaps[first] > 2))
        else:
            _flush(lines[first:j], gaps[first] > 2, out, latin=latin)
        first = j
    _flush(lines[first:], gaps[first] > 2, out, latin=latin)
    return out


def _special_line(line: str) -> bool:
    """May this line open something new (dateline, byline, 上接, list label)?  Cheap."""
    return (line[0] in _OPENING_CHARS or " " in line or line[-1] in "道摄"
            or ("讯" in line and line.find("讯", 2, 7) > 0) or ("：" in line and line.find("：", 2, 10) > 0))


def _runs_into(lines: list[str], j: int, first: int, blank: int, column) -> bool:
    """Does line j-1 run on into line j (after `blank` blank lines)?  The paragraph
    so far is lines[first:j]."""
    prev, nxt = lines[j - 1], lines[j]
    mid = j - 1 > first
    last = prev[-1]
    if (last in _ENDERS_STR or (last in _CLOSERS and _closed(lines[j - 2][-64:] + prev if mid else prev))
            or (_special_line(nxt) and (_starts_block(nxt) or _next_item(lines[first], nxt)))):
        return False
    if mid:
        if blank == 0 and len(prev) >= _SHORT_MID:
            return True  # inside a paragraph, a full line runs on
        runs_on = _runs_on("".join(lines[first:j]))
    else:
        runs_on = _runs_on(prev)
        if runs_on:  # a paragraph's first line, mid-sentence (a byline has no punctuation)
            if blank and _LABEL_RE.match(prev) and not _PUNCT_RE.search(prev) and len(prev) < _FULL * column(j - 1):
                return False  # a short list item: 留言平台：微信公众号“枣庄市民热线”
            return len(prev) > _SHORT or not _byline_line(prev)
    return _wraps(prev, blank, mid=mid, runs_on=runs_on, column=column, at=j - 1)


def _next_item(first: str, line: str) -> bool:
    """接听时间：… / 热线电话：…: each labelled line of a list is its own paragraph."""
    return _LABEL_RE.match(line) is not None and _LABEL_RE.match(first) is not None


def _wraps(line: str, gap: int, *, mid: bool, runs_on: bool, column, at: int) -> bool:
    """Does an open line (no sentence end), lines[at], run on into the next line?"""
    if mid:
        if len(line) < _SHORT_MID and not _unbalanced(line) and len(line) < 0.5 * column(at):
            return False  # a short last line without a full stop: a list item ends here
        # only a blank line can stop a paragraph, and only after a short line
        return gap == 0 or runs_on or len(line) >= _FULL * column(at)
    if runs_on:
        return not _byline_line(line)
    # a first line without punctuation is a heading unless it fills the column
    if len(line) < _FULL * column(at) or _byline_line(line) or _names_line(line):
        return False
    return gap == 0 or "、" in line  # an enumeration filling the column runs on past a box edge


def _flush(cur: list[str], hard: bool, out: list, *, latin: bool) -> None:
    text = _join_lines(cur, latin=latin)
    if len(cur) > 1 and not _closed(text) and not _runs_on(text):
        # wide heading lines that ran together: a paragraph never lacks all punctuation
        out.extend((line, hard and k == 0) for k, line in enumerate(cur))
    else:
        out.append((text, hard))


def reflow(text: str) -> list[str]:
    """Rejoin wrapped lines and mid-sentence blank lines into real paragraphs (cleaned)."""
    return [p for p, _ in _paragraphs(text)]


# --- page items: paragraphs classified, headings grouped ---


class _Item:
    __slots__ = ("closing", "cont", "dated", "hard", "kind", "lines", "text")

    def __init__(self, kind: str, text: str, hard: bool):
        self.kind = kind  # body, group, byline, names, credit, furn
        self.text = text
        self.lines = [text]
        self.hard = hard
        self.dated = self.cont = False
        self.closing = ""


def _items(paragraphs: list[tuple[str, bool]]) -> list[_Item]:
    items: list[_Item] = []
    for text, hard in paragraphs:
        n = len(text)
        if text[0] in "（(" and _CONT_RE.match(text):
            item = _Item("body", text, hard)
            item.cont = True
        elif text[0] in "（(" and _closing_at(text) == 0:
            item = _Item("credit", text, hard)
        elif n <= _SHORT and _byline_line(text):
            item = _Item("byline", text, hard)
        elif n <= _SHORT and _names_line(text):
            item = _Item("names", text, hard)
        elif n <= _SHORT and _furniture_line(text):
            item = _Item("furn", text, hard)
        elif n <= _HEAD_MAX and _heading(text):
            if items and items[-1].kind == "group":
                items[-1].lines.append(text)
                continue
            item = _Item("group", text, hard)
        else:
            item = _Item("body", text, hard)
            item.dated = _DATELINE_RE.match(text) is not None
            at = _closing_at(text)
            if at > 0:
                item.text, item.closing = text[:at].rstrip(), text[at:]
        items.append(item)
    return items


# --- headline blocks ---


def _ideographs(s: str) -> int:
    return len(_IDEO_RE.findall(s))


def _pair(a: str, b: str, *, tail: bool) -> str:
    """How two headline lines go together: 'wrap' (one title), 'couplet' (A B), or ''."""
    if a.endswith(_OPENERS) or _unbalanced(a) or b[0] in _LEADING_CLOSERS or "，" in a or "," in a:
        return "wrap"
    if " " in a or " " in b:
        return ""  # phrase lists are kickers: 提前介入 主动对接 超前服务
    na, nb = _ideographs(a), _ideographs(b)
    if na == nb and na <= 8:
        return "couplet"  # 创新产品 / 赢得市场
    if na <= 6 and nb > na:
        return "wrap"  # 山亭区两会 / 获碳中和认证
    # a headline box printed after its body wraps one title; above a body, lines are decks
    return "wrap" if tail else ""


def _assign_heads(lines: list[str], *, tail: bool) -> list[tuple[str, str]]:
    """(field, text) in page order: kicker above title, subtitle below."""
    kicker = ""
    if len(lines) > 1 and _NOTICE_RE.fullmatch(lines[0]):
        kicker, lines = lines[0], lines[1:]
    merged = [lines[0]]
    for line in lines[1:]:
        how = _pair(merged[-1], line, tail=tail)
        if how:
            merged[-1] = _join_lines([merged[-1], line]) if how == "wrap" else merged[-1] + " " + line
        else:
            merged.append(line)
    subtitle = ""
    if kicker or len(merged) == 1:
        title, rest = merged[0], merged[1:]
    elif len(merged) == 2 and merged[1].startswith("——"):
        title, rest = merged
        rest = [rest]
    else:
        kicker, title, rest = merged[0], merged[1], merged[2:]
    subtitle = " ".join(rest)
    if not subtitle and "——" in title[1:]:
        cut = title.index("——", 1)
        title, subtitle = title[:cut], title[cut:]
    return [(f, v) for f, v in (("kicker", kicker), ("title", title), ("subtitle", subtitle)) if v]


# --- articles ---


class _Article:
    def __init__(self) -> None:
        self.fields = {"kicker": "", "title": "", "subtitle": "", "byline": ""}
        self.body: list[str] = []
        self.order: list[str] = []
        self.opens_with_text = False  # the first paragraph is text (may carry a dateline)
        self.dated = self.cont = False
        self.closed = False  # a closing byline ended the body
        self.trail = False  # the headline came after the body
        self.furniture = False

    def empty(self) -> bool:
        return not self.order

    def add_body(self, text: str, item: _Item | None = None) -> None:
        if not self.body:
            self.order.append("body")
            self.opens_with_text = item is not None
            self.dated = item is not None and item.dated
            self.cont = item is not None and item.cont
        self.body.append(text)

    def add_heads(self, lines: list[str], *, tail: bool) -> None:
        for name, value in _assign_heads(lines, tail=tail):
            self.fields[name] = value
            self.order.append(name)

    def byline_open(self) -> bool:
        """Can a byline line still join this article's byline?"""
        return not self.fields["byline"] or self.order[-1] == "byline"

    def add_byline(self, text: str) -> None:
        if self.order and self.order[-1] == "byline":
            self.fields["byline"] += " " + text  # □记者 孟令洋 / 通讯员 赵健健 报道
        else:
            self.fields["byline"] = text
            self.order.append("byline")

    def add_closing(self, text: str) -> None:
        if self.fields["byline"]:
            self.add_body(text)  # already has a byline above: keep the credit in the body
        else:
            self.add_byline(text)
        self.closed = True

    def finish(self, year: int | None) -> dict:
        f = self.fields
        order = list(self.order)
        body = list(self.body)
        dateline = ""
        if self.opens_with_text and (m := _DATELINE_RE.match(body[0])):
            dateline = m.group(0)
            rest = body[0][m.end():].lstrip(" ")
            order.insert(order.index("body"), "dateline")
            at = rest.find("）") + 1 if rest[:1] in "（(" else 0
            if at and not f["byline"] and _names_in(rest[1:at - 1] if at else "") is not None:
                # 本报讯（记者 张三）…
                f["byline"], rest = rest[:at], rest[at:].lstrip()
                order.insert(order.index("body"), "byline")
            if rest:
                body[0] = rest
            else:
                body.pop(0)
                if not body:
                    order.remove("body")
        byline = f["byline"]
        if "记者" in byline or "通讯员" in byline or "实习生" in byline:
            byline = _ROLE_GLUED_RE.sub(r"\1 ", byline)  # （记者甄宗奎…: a line break ate the space
        text = "\n".join(body)
        return {
            "title": f["title"], "subtitle": f["subtitle"], "kicker": f["kicker"],
            # Each reporter once: a page that prints two byline lines may name one twice.
            "byline": byline, "bylines": list(dict.fromkeys(_names_in(byline) or [])) if byline else [],
            "dateline": dateline, "body": text,
            "kind": self._kind(text, byline),
            "date_in_text": _date_in(dateline, body[0] if body and self.opens_with_text else "", year),
            "order": order,
        }

    def _kind(self, text: str, byline: str) -> str:
        f = self.fields
        if self.furniture or not text:
            return "furniture"
        if self.cont:
            return "continuation"
        if (f["kicker"] and _NOTICE_RE.search(f["kicker"])) or (f["title"] and _NOTICE_RE.search(f["title"])):
            return "notice"
        if "摄" in byline or ("图为" in text and len(text) < _PHOTO_BODY):
            return "photo"
        return "news"


def _date_in(dateline: str, first: str, year: int | None) -> str:
    """The first 3月18日 (or 2024年3月18日) of the dateline, else of the first paragraph."""
    for text in (dateline, first):
        at = text.find("月", 1)
        while at > 0:
            m = _DATE_RE.search(text, max(0, at - 7), at + 4)  # room for 2024年12 before 月
            if m:
                y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    y = y or (str(year) if year else "")
                    return f"{y}-{mo:02d}-{d:02d}" if y else f"--{mo:02d}-{d:02d}"
            at = text.find("月", at + 1)
    return ""


def _photo_like(text: str) -> bool:
    return "图为" in text or text.endswith(("摄）", "摄)"))


def _opens_article(item: _Item | None) -> bool:
    """Does item start something new, so that a heading before it closes an article?"""
    if item is None:
        return True
    if item.kind in ("byline", "names", "furn"):
        return True
    return item.kind == "body" and (item.dated or item.cont)


def _tail_first(items: list[_Item]) -> bool:
    """Headlines after their bodies: the dump opens with body text, and headings do not
    introduce □/记者 bylines (the mark of a head-first page that opens mid-article)."""
    first = next((it for it in items if it.kind != "furn"), None)
    if first is None or first.kind not in ("body", "credit"):
        return False
    led = sum(1 for a, b in pairwise(items) if a.kind == "group" and b.kind == "byline")
    return led < 2


def split_page(text: str, *, year: int | None = None) -> list[dict]:
    """Cut one page dump into articles, in page order; no text is dropped."""
    items = _items(_paragraphs(text))
    tail = _tail_first(items)
    out: list[dict] = []
    cur = _Article()

    def flush() -> _Article:
        if not cur.empty():
            out.append(cur.finish(year))
        return _Article()

    for i, item in enumerate(items):
        kind = item.kind
        if kind == "furn":
            if not cur.furniture:
                cur = flush()
                cur.furniture = True
            cur.add_body(item.text)
            continue
        if cur.furniture:
            cur = flush()

        if kind == "body":
            if cur.trail or (cur.body and (
                    cur.closed or item.dated or item.cont or (item.hard and _photo_like(item.text)))):
                cur = flush()
            cur.add_body(item.text, item)
            if item.closing:
                cur.add_closing(item.closing)
        elif kind == "credit":
            if cur.trail:
                cur = flush()
            cur.add_closing(item.text)
        elif kind == "names" and cur.body and not cur.trail and not cur.fields["byline"]:
            cur.add_byline(item.text)  # authors printed after the body
            cur.closed = True
        elif kind in ("byline", "names"):
            under_headline = tail and cur.trail and not cur.fields["byline"]
            if not under_headline and (cur.body or not cur.byline_open()):
                cur = flush()
            cur.add_byline(item.text)
        elif not cur.body:  # a headline with no body yet: it heads what follows
            if cur.order:
                cur = flush()
            cur.add_heads(item.lines, tail=False)
        elif tail:
            nxt = items[i + 1] if i + 1 < len(items) else None
            ends = cur.closed or cur.dated or item.hard or _opens_article(nxt) or nxt.hard
            if cur.trail:
                cur = flush()
                cur.add_heads(item.lines, tail=False)
            elif ends and not cur.fields["title"]:
                cur.add_heads(item.lines, tail=True)
                cur.trail = True
            else:
                for line in item.lines:
                    cur.add_body(line)  # section head
        elif cur.closed or item.hard or _opens_article(items[i + 1] if i + 1 < len(items) else None):
            cur = flush()
            cur.add_heads(item.lines, tail=False)
        else:
            for line in item.lines:
                cur.add_body(line)  # section head
    flush()
    return out


def clean_article(text: str, *, title: str | None = None, kicker: str | None = None,
                  subtitle: str | None = None) -> dict:
    """One article already cut out (a JSONL/CSV record, a web page): reflow it, pick out its
    byline, dateline and headline lines, and return it in the shape split_page gives."""
    art = _Article()
    _given_heads(art, kicker=kicker, title=title, subtitle=subtitle)
    given = art.fields["title"]
    for item in _items(_paragraphs(text)):
        kind = item.kind
        if kind == "body":
            art.add_body(item.text, item)
            if item.closing:
                art.add_closing(item.closing)
        elif kind == "group" and not art.body and not art.fields["byline"]:
            if given and "".join(item.lines).replace(" ", "") == given.replace(" ", ""):
                continue  # the record's title repeated at the top of its text
            if given:
                for line in item.lines:
                    art.add_body(line)
            else:
                art.add_heads(item.lines, tail=False)
        elif kind in ("byline", "names", "credit") and not art.body and art.byline_open():
            art.add_byline(item.text)
        elif kind in ("credit", "names") and art.body and not art.fields["byline"]:
            art.add_closing(item.text)
        else:
            for line in item.lines:
                art.add_body(line)
    return art.finish(None)


def page_text(article: dict) -> str:
    """The article's printed fields in page order: what the page said, for audits."""
    return "\n".join(article[f] for f in article["order"] if article.get(f))


def _given_heads(art: _Article, **heads) -> None:
    for name in ("kicker", "title", "subtitle"):
        value = clean_line(heads[name]) if heads.get(name) else ""
        if value:
            art.fields[name] = value
            art.order.append(name)


def plain_article(text: str, *, title: str | None = None, kicker: str | None = None,
                  subtitle: str | None = None) -> dict:
    """Text that is not a newspaper page, as one article: each non-blank line is a paragraph,
    kept as written (`ls` / `-l` stay two lines, `I:2` / `9937` two numbers); no headline,
    byline or dateline is looked for. Same shape as split_page's articles."""
    art = _Article()
    _given_heads(art, kicker=kicker, title=title, subtitle=subtitle)
    for line in _normalise(text).split("\n"):
        line = _SPACES_RE.sub(" ", line.strip())
        if line:
            art.add_body(line)
    return art.finish(None)


# --- telling pages from plain text ---

_NEWS_MARK_RE = re.compile(f"本报讯|[□■](?:本报)?记者|(?:新华社|中新社)[{_I}]{{0,8}}\\d{{0,2}}月?\\d{{0,2}}日?电|（记者 ?[{_I}]{{2,4}}）")
_PLAIN_SAMPLE = 400  # lines looked at: a page's profile shows in its first few hundred lines
IDEOGRAPH, LATIN = 1, 2


@cache
def _char_classes() -> np.ndarray:
    """IDEOGRAPH or LATIN (the characters of _I or _A) or 0, for each code point below 65,536
    (both classes lie there)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for value, ranges in ((IDEOGRAPH, _I), (LATIN, _A)):
        for lo, hi in zip(ranges[::3], ranges[2::3]):
            table[ord(lo):ord(hi) + 1] = value
    return table


def choose_layout(text: str) -> str:
    """"page" for a newspaper page dump, "plain" for other text, from the line profile.

    Plain: mostly not Chinese (notes, code, English), or a fifth of the lines are Latin letters,
    digits and symbols (commands, addresses, numbers), or most lines are short and unpunctuated
    (a list, a poem) on a text without any news mark (本报讯, □记者, 新华社…电). Everything
    else is a page: column-wrapped dumps and paragraph-per-line dumps alike.
    """
    lines = [line.strip() for line in _normalise(text[: 200 * _PLAIN_SAMPLE]).split("\n")]
    lines = [line for line in lines if line][:_PLAIN_SAMPLE]
    if not lines:
        return "page"
    # Each character's class, counted per line as arrays: a regex pass per line cost three times more.
    joined = "\n".join(lines)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    classes = _char_classes()[np.minimum(cps, 0xFFFF)]
    if np.count_nonzero(classes == IDEOGRAPH) < 0.5 * (len(joined) - joined.count(" ") - joined.count("\n")):
        return "plain"
    starts = np.append(0, np.flatnonzero(cps == 10) + 1)
    latin = np.add.reduceat((classes == LATIN).astype(np.int64), starts)
    sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    if np.count_nonzero(latin > 0.5 * sizes) >= 0.2 * len(lines):
        return "plain"
    if len(lines) >= 3 and not _NEWS_MARK_RE.search(text[: 200 * _PLAIN_SAMPLE]):
        bare = sum(len(line) <= 20 and not _PUNCT_RE.search(line) for line in lines)
        if bare >= 0.7 * len(lines):
            return "plain"
    return "page"
