"""Page PDFs to page text, in reading order, for the same article splitter as text dumps.

pdfplumber gives every character with its position and font size. From those:

* characters of one size on one baseline make a row; a gap wider than a character splits a
  row into segments (one per column it crosses);
* recursive XY-cut orders the segments: a vertical gutter running the whole height of a
  region splits it into columns (left to right) first, else a horizontal gap wider than the
  line spacing splits it into bands (top to bottom): a headline over several columns is a band
  of its own, the columns under it come after it, each column read top to bottom;
* in each column, body lines run together into paragraphs and an indented line starts a new
  one (newspapers indent paragraphs, so a line that happens to end with 。 does not end one);
  lines in a larger font (kicker, title, subtitle) are headings: each run of one size is one
  heading line; text in a smaller font (captions, credits) is set apart by a hard break.

The result reads like a paragraph-per-line dump (pages.py's second shape): blank lines between
blocks, so a paragraph running on from the foot of one column to the head of the next is
joined by the splitter, and two blank lines around captions and between pages.
"""

from __future__ import annotations

import io
import re
from collections import Counter

_ROW = 0.3  # baselines closer than this (in ems) are one row
_GUTTER = 0.8  # a gap this wide (ems of body text) between characters or blocks separates columns
_BAND = 0.8  # a vertical gap this tall (ems) between lines separates bands (and blocks in a column)
_SPACE = 0.2  # a gap this wide between two characters is a word space
_HEADING = 1.15  # a font this much larger than the body's is a heading's
_INDENT = 1.5  # a line starting this far right of its column's edge (ems) opens a paragraph
_LETTER_RE = re.compile(r"[A-Za-z]")


def pdf_text(data: bytes) -> str:
    """The text of every page, laid out for pages.split_page; pages apart by hard breaks."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"not a readable PDF: {e or type(e).__name__}") from None
    except Exception as e:  # pdfminer raises bare Exceptions for some broken files
        if "encrypt" in str(e).lower() or "password" in str(e).lower():
            raise ValueError("encrypted PDF (save an unprotected copy first)") from None
        raise ValueError(f"not a readable PDF: {e or type(e).__name__}") from None
    with pdf:
        pages = [page_text(page.chars) for page in pdf.pages]
    return "\n\n\n".join(p for p in pages if p)


class _Box:
    """One segment of a row: characters of one size, one baseline, no column gap inside."""

    __slots__ = ("bottom", "size", "text", "top", "x0", "x1")

    def __init__(self, chars: list[dict]):
        self.size = chars[0]["size"]
        self.x0, self.x1 = chars[0]["x0"], chars[-1]["x1"]
        self.top = min(c["top"] for c in chars)
        self.bottom = max(c["bottom"] for c in chars)
        text = chars[0]["text"]
        for a, b in zip(chars, chars[1:]):
            if b["x0"] - a["x1"] > _SPACE * self.size:
                text += " "
            text += b["text"]
        self.text = text


def page_text(chars: list[dict]) -> str:
    chars = [c for c in chars if c["text"].strip()]
    if not chars:
        return ""
    body = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
    boxes = _boxes(chars)
    blocks = _xycut(boxes, gutter=_GUTTER * body, band=_BAND * body)
    return "\n\n".join(_block_text(b, body) for b in blocks if b).strip("\n")


def _boxes(chars: list[dict]) -> list[_Box]:
    by_size: dict[float, list[dict]] = {}
    for c in chars:
        by_size.setdefault(round(c["size"], 1), []).append(c)
    boxes = []
    for size, group in by_size.items():
        group.sort(key=lambda c: (c["bottom"], c["x0"]))
        rows, row = [], [group[0]]
        for c in group[1:]:
            if abs(c["bottom"] - row[0]["bottom"]) <= _ROW * size:
                row.append(c)
            else:
                rows.append(row)
                row = [c]
        rows.append(row)
        for row in rows:
            row.sort(key=lambda c: c["x0"])
            seg = [row[0]]
            for c in row[1:]:
                if c["x0"] - seg[-1]["x1"] > _GUTTER * size:
                    boxes.append(_Box(seg))
                    seg = []
                seg.append(c)
            boxes.append(_Box(seg))
    return boxes


def _split(boxes: list[_Box], *, start, end, gap: float) -> list[list[_Box]]:
    """Groups of boxes separated by an empty stretch at least `gap` wide along one axis."""
    boxes = sorted(boxes, key=start)
    groups, reach = [[boxes[0]]], end(boxes[0])
    for b in boxes[1:]:
        if start(b) - reach >= gap:
            groups.append([b])
        else:
            groups[-1].append(b)
        reach = max(reach, end(b))
    return groups


def _xycut(boxes: list[_Box], *, gutter: float, band: float) -> list[list[_Box]]:
    """Blocks in reading order: columns left to right, else bands top to bottom."""
    if len(boxes) <= 1:
        return [boxes]
    for start, end, gap in ((lambda b: b.x0, lambda b: b.x1, gutter), (lambda b: b.top, lambda b: b.bottom, band)):
        groups = _split(boxes, start=start, end=end, gap=gap)
        if len(groups) > 1:
            return [block for g in groups for block in _xycut(g, gutter=gutter, band=band)]
    return [sorted(boxes, key=lambda b: (b.top, b.x0))]


def _join(a: str, b: str) -> str:
    """Lines of one paragraph run on; English words wrapped at a line end keep a space (a
    number wrapped mid-way, 1 / 0亿元, is one number)."""
    if a and b and _LETTER_RE.match(a[-1]) and _LETTER_RE.match(b[0]):
        return f"{a} {b}"
    return a + b


def _kind(box: _Box, body: float) -> str:
    return "head" if box.size >= _HEADING * body else "small" if box.size < body - 0.5 else "body"


def _block_text(boxes: list[_Box], body: float) -> str:
    """One column block: paragraphs one per line, headings one per line, captions set apart
    (a blank line between items, two around small type: a hard break)."""
    left = min(b.x0 for b in boxes)
    indents = any(b.x0 - left >= _INDENT * b.size for b in boxes if _kind(b, body) == "body")
    out: list[str] = [""] if _kind(boxes[0], body) == "small" else []
    prev = None
    for b in boxes:
        kind = _kind(b, body)
        if prev is not None:
            pkind = _kind(prev, body)
            if kind != pkind or abs(b.size - prev.size) >= 0.5 or b.top - prev.bottom > _BAND * body:
                out += ["", ""] if "small" in (kind, pkind) else [""]
            elif kind == "head" or (kind == "body" and indents and b.x0 - left < _INDENT * b.size):
                out[-1] = _join(out[-1], b.text)  # a wrapped headline; a paragraph's next line
                prev = b
                continue
        out.append(b.text)
        prev = b
    if _kind(boxes[-1], body) == "small":
        out.append("")
    return "\n".join(out)
