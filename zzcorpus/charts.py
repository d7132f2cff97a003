"""Charts as self-contained SVG strings (no JavaScript, no web fonts, nothing fetched), shared by
the CLI (`zzcorpus trend --out trend.svg`) and the Datasette chart page, and the one way any
picture (chart or network) is written: SVG, HTML, or PNG rendered with resvg in a CJK font.

Labels are laid out by display width (a Chinese character is two columns wide), and the font
stack names CJK fonts first so Chinese renders as Chinese wherever one of them is installed.
"""

from __future__ import annotations

import html
import math
import shutil
import subprocess
from datetime import date
from pathlib import Path

from .measures import check_choice
from .output import width


def escape(text: str) -> str:
    """Text for an SVG element (xml.sax.saxutils would import urllib.request: a tenth of a
    second at every command's start)."""
    return html.escape(text, quote=False)


def quoteattr(text: str) -> str:
    """An SVG attribute value, quoted."""
    return f'"{html.escape(text, quote=True)}"'


FONT_FAMILY = ('"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC", '
               '"Microsoft YaHei", sans-serif')
FONT_SIZE = 13
COLUMN_PX = 7.2  # one display column at FONT_SIZE; a CJK character takes two
COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
          "#9c755f", "#bab0ac"]
MAX_X_LABELS = 12
PICTURES = (".svg", ".png", ".html")
CJK_FONT_HINT = "apt-get install fonts-noto-cjk (or pip install pylopdf-fonts-zh-cn), or write .svg / .html"


def text_px(text: str) -> float:
    return width(text) * COLUMN_PX


def format_number(value: float) -> str:
    """1234 -> '1,234', 12.345 -> '12.35', 5.5 -> '5.5', 0.000123 -> '0.000123'."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) < 1:
        return f"{value:.3g}"
    return f"{value:,.{1 if abs(value) >= 100 else 2}f}".rstrip("0").rstrip(".")


def nice_ticks(top: float, *, count: int = 5) -> list[float]:
    """0 and round steps (1, 2 or 5 times a power of ten) up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [round(i * step, 12) for i in range(math.ceil(top / step - 1e-9) + 1)]


def _svg(w: float, h: float, body: list[str], *, title: str) -> str:
    return "\n".join([
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
         f'viewBox="0 0 {w:.0f} {h:.0f}" role="img" aria-label={quoteattr(title or "chart")} '
         f'font-family={quoteattr(FONT_FAMILY)} font-size="{FONT_SIZE}">'),
        f"<title>{escape(title or 'chart')}</title>",
        f'<rect width="{w:.0f}" height="{h:.0f}" fill="#fff"/>',
        *body,
        "</svg>",
    ])


def _text(x: float, y: float, text: str, *, anchor: str = "start", **attrs) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _title(title: str, w: float) -> list[str]:
    return [_text(w / 2, 22, title, anchor="middle", font_size=15, font_weight="bold")] if title else []


def bar_chart_svg(labels: list[str], values: list[float], *, title: str = "", value_label: str = "",
                  links=None) -> str:
    """Horizontal bars, one per label, top to bottom in the given order (e.g. top words).
    links(label) -> a URL: the label and its bar link there."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    labels = [str(label) for label in labels]
    row, bar_area, top = 24, 420, 40 if title else 12
    left = 16 + max([text_px(label) for label in labels] + [0])
    right = 16 + max([text_px(format_number(v)) for v in values] + [0])
    w = max(left + bar_area + right, text_px(title) * 15 / FONT_SIZE + 32, 320)
    h = top + row * max(len(labels), 1) + (40 if value_label else 16)
    body = _title(title, w)
    if not labels:
        body.append(_text(w / 2, top + 16, "(no data)", anchor="middle", fill="#666"))
    biggest = max([v for v in values if v > 0] + [0]) or 1
    for i, (label, value) in enumerate(zip(labels, values)):
        y = top + i * row
        length = max(value, 0) / biggest * bar_area
        url = links(label) if links else None
        bar = [
            _text(left - 8, y + row / 2 + 4.5, label, anchor="end"),
            (f'<rect class="bar" x="{left:.1f}" y="{y + 3:.1f}" width="{length:.1f}" height="{row - 6}" '
             f'fill="{COLORS[0]}"><title>{escape(f"{label}: {format_number(value)}")}</title></rect>'),
        ]
        body += [f"<a href={quoteattr(url)}>{''.join(bar)}</a>" if url else "".join(bar),
                 _text(left + length + 4, y + row / 2 + 4.5, format_number(value), fill="#333")]
    if value_label:
        body.append(_text(left + bar_area / 2, h - 12, value_label, anchor="middle", fill="#555"))
    return _svg(w, h, body, title=title)


def line_chart_svg(periods: list[str], series: dict[str, list[float | None]], *, title: str = "",
                   y_label: str = "") -> str:
    """One line per series over the periods (x axis, labels thinned when there are many), with a
    legend. A None value (a period without data) has no point; a dashed line bridges the gap."""
    periods = [str(p) for p in periods]
    for name, values in series.items():
        if len(values) != len(periods):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(periods)} periods")
    ticks = nice_ticks(max([v for values in series.values() for v in values if v is not None] + [0]))
    left = 24 + max(text_px(format_number(t)) for t in ticks) + (18 if y_label else 0)
    top, plot_h = (44 if title else 16), 300
    legend_w = 24 + max([text_px(name) for name in series] + [0]) + 20
    w = max(left + max(480, min(900, 40 * len(periods))) + legend_w, text_px(title) * 15 / FONT_SIZE + 32)
    plot_w = w - left - legend_w
    h = top + plot_h + 60
    x_of = lambda i: left + plot_w * (i + 0.5) / max(len(periods), 1)  # noqa: E731
    y_of = lambda v: top + plot_h - v / ticks[-1] * plot_h  # noqa: E731
    body = _title(title, w)
    for t in ticks:  # grid lines and y labels
        y = y_of(t)
        body.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, y + 4, format_number(t), anchor="end", fill="#555"))
    body.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{top + plot_h:.1f}" '
                f'y2="{top + plot_h:.1f}" stroke="#333"/>')
    step = math.ceil(len(periods) / MAX_X_LABELS) or 1
    for i, period in enumerate(periods):
        if i % step == 0:
            body.append(_text(x_of(i), top + plot_h + 18, period, anchor="middle", fill="#333"))
    if y_label:
        y_mid = top + plot_h / 2
        body.append(_text(14, y_mid, y_label, anchor="middle", fill="#555", transform=f"rotate(-90 14 {y_mid:.1f})"))
    if not periods or not series:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "(no data)", anchor="middle", fill="#666"))
    for n, (name, values) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        path, pen_down = [], False
        for i, v in enumerate(values):
            if v is not None:
                path.append(f"{'L' if pen_down else 'M'}{x_of(i):.1f},{y_of(v):.1f}")
            pen_down = v is not None
        bridge = " ".join(f"{'L' if k else 'M'}{x_of(i):.1f},{y_of(v):.1f}"
                          for k, (i, v) in enumerate((i, v) for i, v in enumerate(values) if v is not None))
        body.append(f'<path class="bridge" d="{bridge}" fill="none" stroke="{color}" stroke-width="1" '
                    'stroke-dasharray="4 4" opacity="0.6"/>')  # across the gaps, dashed
        body.append(f'<path class="series" d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, v in enumerate(values):
            if v is not None:
                tip = escape(f"{name} {periods[i]}: {format_number(v)}")
                body.append(f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="{color}">'
                            f"<title>{tip}</title></circle>")
        y = top + 8 + n * 20
        body.append(f'<rect x="{left + plot_w + 16:.1f}" y="{y - 5:.1f}" width="14" height="4" fill="{color}"/>')
        body.append(_text(left + plot_w + 36, y + 1, name, fill="#333"))
    return _svg(w, h, body, title=title)


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def dispersion_svg(rows: list[dict], strips: list[tuple[str, str]], first: str, last: str, *, title: str = "",
                   links=None) -> str:
    """A dispersion plot (AntConc's Plot over time): one strip per (word, paper), a tick at each
    article's date holding the word (darker for more occurrences), the days from first to last
    (YYYY-MM-DD) on the x axis. rows: dispersion rows (word, source, date, count, article_id);
    links(row) -> a URL for the tick, or None. Undated articles cannot be placed: their number
    is written under the plot."""
    start, end = _day(first), _day(last)
    if start is None or end is None or end < start:
        raise ValueError(f"no dated span to draw over: {first!r} - {last!r}")
    days = (end - start).days + 1
    labels = [f"{w} · {s or '(未知 unknown)'}" for w, s in strips]
    per_strip = {k: [r for r in rows if (r["word"], r["source"]) == k] for k in strips}
    totals = [f"{sum(r['count'] for r in per_strip[k]):,} 次 / {len(per_strip[k]):,} 篇" for k in strips]
    row_h, top = 30, (44 if title else 16)
    left = 20 + max([text_px(label) for label in labels] + [0])
    right = 16 + max([text_px(t) for t in totals] + [0])
    plot_w = 760
    w = max(left + plot_w + right, text_px(title) * 15 / FONT_SIZE + 32)
    h = top + row_h * max(len(strips), 1) + 56
    x_of = lambda d: left + plot_w * ((d - start).days + 0.5) / days  # noqa: E731
    body = _title(title, w)
    words = list(dict.fromkeys(word for word, _ in strips))
    most = max([r["count"] for r in rows] + [1])
    undated = 0
    for i, (key, label, total) in enumerate(zip(strips, labels, totals)):
        y = top + i * row_h
        color = COLORS[words.index(key[0]) % len(COLORS)]
        body.append(f'<rect class="strip" x="{left:.1f}" y="{y + 3}" width="{plot_w}" height="{row_h - 6}" '
                    f'fill="#f4f4f4" stroke="#ddd"/>')
        body.append(_text(left - 8, y + row_h / 2 + 4.5, label, anchor="end"))
        body.append(_text(left + plot_w + 8, y + row_h / 2 + 4.5, total, fill="#555"))
        for r in per_strip[key]:
            day = _day(r["date"])
            if day is None or not start <= day <= end:
                undated += day is None
                continue
            x = x_of(day)
            tip = escape(f"{r['word']} {r['date']} {r['source'] or ''} #{r['article_id']}: {r['count']}")
            tick = (f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="{y + 4}" y2="{y + row_h - 4}" '
                    f'stroke="{color}" stroke-width="2" stroke-opacity="{0.35 + 0.65 * r["count"] / most:.2f}">'
                    f"<title>{tip}</title></line>")
            url = links(r) if links else None
            body.append(f"<a href={quoteattr(url)}>{tick}</a>" if url else tick)
    axis_y = top + row_h * max(len(strips), 1) + 4
    body.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{axis_y}" y2="{axis_y}" stroke="#333"/>')
    months, d = [], date(start.year, start.month, 1)
    while d <= end:
        months.append(max(d, start))
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    step = math.ceil(len(months) / MAX_X_LABELS) or 1
    for k, m in enumerate(months):
        x = left + plot_w * (m - start).days / days
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#333"/>')
        if k % step == 0:
            body.append(_text(x, axis_y + 18, m.strftime("%Y-%m"), anchor="start", fill="#333"))
    if not strips:
        body.append(_text(left + plot_w / 2, top + 16, "(no data)", anchor="middle", fill="#666"))
    if undated:
        body.append(_text(left, h - 8, f"{undated} 篇无日期的文章未画出 undated articles not drawn", fill="#666"))
    return _svg(w, h, body, title=title)


def html_page(svg: str, *, title: str) -> str:
    """A standalone HTML page around an SVG chart (opens offline, in any browser)."""
    return f"""<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>body {{ font-family: {FONT_FAMILY}; margin: 2em; }} svg {{ max-width: 100%; height: auto; }}</style>
</head>
<body>
<h1>{escape(title)}</h1>
{svg}
</body>
</html>
"""


def cjk_font() -> tuple[str, str]:
    """(font file, family) with Simplified Chinese: the Noto Sans SC that the pylopdf-fonts-zh-cn
    package ships, else a system font fontconfig knows for zh-cn; ValueError naming what to
    install when there is neither."""
    try:
        import pylopdf_fonts_zh_cn

        path = Path(pylopdf_fonts_zh_cn.sans_path())
        if path.exists():
            return str(path), "Noto Sans SC"
    except ImportError:
        pass
    if shutil.which("fc-list"):
        listing = subprocess.run(["fc-list", ":lang=zh-cn", "file", "family"], capture_output=True, text=True).stdout
        found = []
        for line in listing.splitlines():
            file, _, families = line.partition(": ")
            names = [f for f in families.split(",") if f.strip()]
            name = next((f for f in names if f.endswith(" SC")), names[0] if names else "")
            if file and name:  # a regular sans-serif SC face first: Noto Sans CJK SC, WenQuanYi Micro Hei...
                heavy = any(w in file for w in ("Bold", "Black", "Heavy", "Light", "Thin"))
                found.append((" SC" not in name, "Serif" in name or "Ming" in name, heavy, file, name.strip()))
        if found:
            return min(found)[3:]
    raise ValueError(f"a PNG needs a font with Chinese characters and none is installed: {CJK_FONT_HINT}")


def svg_to_png(svg: str) -> bytes:
    """Render an SVG (a chart or a network) to PNG with resvg, its text in a CJK font."""
    try:
        import resvg_py
    except ImportError:
        raise ValueError("writing PNG needs the resvg-py package (pip install resvg-py), or write .svg / .html") from None
    file, family = cjk_font()
    # Only that font: whatever else the machine has, the text is set in it (no tofu boxes).
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, font_files=[file], skip_system_fonts=True,
                                       font_family=family, sans_serif_family=family))


def save_picture(svg: str, path, *, title: str) -> None:
    """Write an SVG as .svg, .png (rendered here) or .html (a page around the SVG)."""
    suffix = Path(path).suffix.lower()
    check_choice(suffix, PICTURES, name="picture type")
    if suffix == ".svg":
        Path(path).write_text(svg, encoding="utf-8")
    elif suffix == ".html":
        Path(path).write_text(html_page(svg, title=title), encoding="utf-8")
    else:
        Path(path).write_bytes(svg_to_png(svg))
