"""Newspaper pages as PDF, for the PDF tests: columns, a large headline over several of them,
a kicker and a subtitle, bylines, indented paragraphs flowing from column to column, and a
photo with a caption in small type. Drawn with reportlab in the Adobe CID font STSong-Light
(its CJK glyphs need no font file; the Noto fonts installed here are CFF outlines, which
reportlab cannot embed)."""

from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
WIDTH, HEIGHT = A4
MARGIN, GUTTER, BODY, LEADING = 40, 14, 10, 15


@dataclass
class Story:
    title: str
    paragraphs: list
    kicker: str = ""
    subtitle: str = ""
    byline: str = ""
    caption: str = ""
    columns: tuple = (0,)  # the columns it fills, left to right
    title_size: float = 24
    extra: dict = field(default_factory=dict)


def wrap(text, width, size, indent=0.0):
    lines, line, first = [], "", True
    for ch in text:
        room = width - (indent if first else 0)
        if pdfmetrics.stringWidth(line + ch, FONT, size) > room:
            lines.append((line, indent if first else 0))
            line, first = "", False
        line += ch
    lines.append((line, indent if first else 0))
    return lines


def make_pdf(path, pages):
    """pages: list of (number of columns, [Story, ...]); stories side by side in their columns."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for ncols, stories in pages:
        colw = (WIDTH - 2 * MARGIN - (ncols - 1) * GUTTER) / ncols
        for s in stories:
            x0 = MARGIN + s.columns[0] * (colw + GUTTER)
            span = len(s.columns) * colw + (len(s.columns) - 1) * GUTTER
            y = HEIGHT - MARGIN
            for text, size in ((s.kicker, 14), (s.title, s.title_size), (s.subtitle, 14)):
                for line, _ in (wrap(text, span, size) if text else []):
                    y -= size * 1.3
                    c.setFont(FONT, size)
                    c.drawString(x0, y, line)
            y -= 12
            lines = [(s.byline, 0)] if s.byline else []
            for p in s.paragraphs:
                lines += wrap(p, colw, BODY, indent=2 * BODY)
            bottom = MARGIN + (110 if s.caption else 0)
            col, top = 0, y
            c.setFont(FONT, BODY)
            for line, indent in lines:
                y -= LEADING
                if y < (bottom if col == len(s.columns) - 1 else MARGIN):
                    col, y = col + 1, top - LEADING
                x = MARGIN + s.columns[col] * (colw + GUTTER)
                c.drawString(x + indent, y, line)
            if s.caption:
                x = MARGIN + s.columns[-1] * (colw + GUTTER)
                c.setFillGray(0.8)
                c.rect(x, MARGIN + 30, colw, 70, fill=1, stroke=0)  # the photo
                c.setFillGray(0)
                c.setFont(FONT, 8)
                yy = MARGIN + 30
                for line, _ in wrap(s.caption, colw, 8):
                    yy -= 10
                    c.drawString(x, yy, line)
        c.showPage()
    c.save()
