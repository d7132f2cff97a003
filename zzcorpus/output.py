"""Print result rows: an aligned table for people (display width, so Chinese lines up), or
JSON / CSV / TSV for programs, as sqlite-utils does."""

from __future__ import annotations

import csv
import io
import json

from wcwidth import wcswidth

FORMATS = ("table", "json", "csv", "tsv")


def width(text: str) -> int:
    w = wcswidth(text)
    return w if w >= 0 else len(text)


def pad(text: str, size: int, *, right: bool = False) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("\n", " ")


def format_rows(rows: list[dict], *, fmt: str = "table", columns=None) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if r.get(c) is None else r.get(c) for c in columns] for r in rows])
        return out.getvalue().rstrip("\n")
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) for c in columns]
    widths = [max([width(c)] + [width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(pad(c, w, right=n) for c, w, n in zip(columns, widths, numeric))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(pad(v, w, right=n) for v, w, n in zip(row, widths, numeric)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
