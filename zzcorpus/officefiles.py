"""Word and Excel files: .docx through python-docx, .xlsx through openpyxl.

A .docx is one document: its paragraphs, one per line, and its title (the first paragraph in
the Title or Heading 1 style, else the document's title property). An .xlsx is records: the
first row of each sheet names the columns, as in a .csv.
"""

from __future__ import annotations

import io
import zipfile


def docx_text(data: bytes) -> tuple[str | None, str]:
    """(title or None, text with one paragraph per line)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ValueError(f"not a readable .docx: {e or type(e).__name__}") from None
    title = None
    lines = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if title is None and not lines and style in ("Title", "Heading 1"):
            title = text
            continue
        lines.append(text)
    for table in document.tables:  # tables after the running text: their cells, row by row
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(" ".join(dict.fromkeys(cells)))  # merged cells repeat their text
    return title or (document.core_properties.title or None), "\n".join(lines)


def xlsx_rows(data: bytes) -> list[tuple[str, dict]]:
    """(where, fields) per data row: where is `row` (first sheet) or `sheet!row`."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise ValueError(f"not a readable .xlsx: {e or type(e).__name__}") from None
    out = []
    for n, sheet in enumerate(book.worksheets):
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            continue
        names = [str(h).strip() if h is not None else "" for h in header]
        for i, row in enumerate(rows, 2):
            fields = {k: v for k, v in zip(names, row) if k and v is not None}
            if not fields:
                continue
            fields = {k: v if isinstance(v, str) else _cell(v) for k, v in fields.items()}
            out.append((f"{i}" if n == 0 else f"{sheet.title}!{i}", fields))
    book.close()
    return out


def _cell(value) -> str:
    """A date cell is its ISO day; a number is as written (3, not 3.0)."""
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
