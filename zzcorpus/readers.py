"""Read dumps: files, folders, .gz and .zip archives of .txt / .jsonl / .csv, in UTF-8 or GB18030.

Yields one `Record` per page or article, or one `Skipped` naming the file and why, so a bad
file never stops the rest. Nothing here parses layout; `raw` is the decoded text as read.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv", ".tsv")
KNOWN_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + CSV_SUFFIXES + (".gz", ".zip")
# Files a folder of dumps keeps beside the pages (seeds/ does): never taken for page text.
NOT_DUMPS = {"userdict", "stopwords", "readme", "license", "changelog", "dictionary", "coding_rules"}

# CSI/OSC terminal escapes, then remaining C0/C1 controls except tab and newline.
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufeff]")
DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
PAGE_RE = re.compile(r"^[-_. ]*(?:p|page|第)?(\d{1,3})(?:版)?(?!\d)", re.I)


@dataclass
class Record:
    path: str  # file path; "archive.zip/inner.txt"; "data.jsonl#3" for the 3rd record
    sha256: str  # of the record's bytes (file) or of its text (jsonl/csv record)
    raw: str  # decoded text exactly as read (BOM aside)
    encoding: str
    bytes: int
    source: str | None = None
    date: str | None = None
    page: str | None = None
    title: str | None = None  # given by a jsonl/csv record: the text is one article
    name_meta: dict = field(default_factory=dict)  # source/date/page read from the file name
    extra: dict = field(default_factory=dict)


@dataclass
class Skipped:
    path: str
    reason: str
    bytes: int = 0


def normalize(text: str) -> str:
    """CRLF and lone CR to LF, form feeds to blank lines, ANSI escapes and control characters out."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    return CONTROL_RE.sub("", ANSI_RE.sub("", text))


def decode(data: bytes, *, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used). Raises ValueError saying why the bytes are not text."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as e:
            raise ValueError(f"cannot decode as {encoding}: {e}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        # A file cut mid-character at its very end is still UTF-8: keep all but the torn tail.
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            return data[: e.start].decode("utf-8"), "utf-8"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 or GB18030 text (use --encoding)") from None
    if len(CONTROL_RE.findall(text[:8192])) > 0.05 * min(len(text), 8192):
        raise ValueError("binary file (control bytes)")
    return text, "gb18030"


def metadata_from_name(name: str) -> dict:
    """source/date/page from names like 枣庄日报_2024-03-19_02.txt, 20240319.txt, zzrb-2024-03-19-01.txt."""
    stem = Path(name).name
    for suffix in (".gz", *KNOWN_SUFFIXES):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    m = DATE_RE.search(stem)
    if not m:
        return {}
    meta = {"date": f"{m.group(1)}-{m.group(2)}-{m.group(3)}"}
    source = stem[: m.start()].strip("-_. ")
    if source and not source.isdigit():
        meta["source"] = source
    page = PAGE_RE.match(stem[m.end():])
    if page:
        meta["page"] = str(int(page.group(1)))
    return meta


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def iter_paths(paths) -> Iterator[Path | Skipped]:
    """Files as given, folders walked recursively (sorted, known suffixes only)."""
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.lower().endswith(KNOWN_SUFFIXES) and not f.startswith(".") \
                            and Path(f).stem.lower() not in NOT_DUMPS:
                        yield Path(root) / f
        elif p.exists():
            yield p
        else:
            yield Skipped(str(p), "no such file or folder")


def input_size(paths) -> int:
    """Bytes of the files under paths (archives as stored), for progress and planning."""
    return sum(p.stat().st_size for p in iter_paths(paths) if not isinstance(p, Skipped))


def read_records(paths, *, encoding: str | None = None, text_field: str = "text") -> Iterator[Record | Skipped]:
    for p in iter_paths(paths):
        if isinstance(p, Skipped):
            yield p
            continue
        try:
            data = p.read_bytes()
        except OSError as e:
            yield Skipped(str(p), f"cannot read: {e.strerror or e}")
            continue
        yield from records_from_bytes(str(p), data, encoding=encoding, text_field=text_field)


def records_from_bytes(path: str, data: bytes, *, encoding=None, text_field="text") -> Iterator[Record | Skipped]:
    lower = path.lower()
    if lower.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zipfile.BadZipFile) as e:
            yield Skipped(path, f"broken gzip archive: {e}", len(data))
            return
        yield from records_from_bytes(path[:-3], data, encoding=encoding, text_field=text_field)
        return
    if lower.endswith(".zip"):
        yield from _zip_records(path, data, encoding=encoding, text_field=text_field)
        return
    try:
        text, used = decode(data, encoding=encoding)
    except ValueError as e:
        yield Skipped(path, str(e), len(data))
        return
    if lower.endswith(JSONL_SUFFIXES):
        yield from _jsonl_records(path, text, used, text_field=text_field, size=len(data))
    elif lower.endswith(CSV_SUFFIXES):
        yield from _csv_records(path, text, used, text_field=text_field, size=len(data))
    else:
        yield Record(path=path, sha256=sha256(data), raw=text, encoding=used, bytes=len(data),
                     name_meta=metadata_from_name(path))


def _zip_records(path, data, **kw):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = sorted(n for n in archive.namelist() if not n.endswith("/"))
    except zipfile.BadZipFile as e:
        yield Skipped(path, f"broken zip archive: {e}", len(data))
        return
    for name in names:
        inner = f"{path}/{name}"
        if not name.lower().endswith(KNOWN_SUFFIXES) or Path(name).name.startswith("."):
            continue
        try:
            member = archive.read(name)
        except (zipfile.BadZipFile, OSError, RuntimeError) as e:
            yield Skipped(inner, f"cannot extract: {e}")
            continue
        yield from records_from_bytes(inner, member, **kw)


def _record_from_fields(path, fields: dict, used, *, text_field, size) -> Record | Skipped:
    text = fields.get(text_field)
    if not isinstance(text, str):
        return Skipped(path, f"no text field {text_field!r} (fields: {', '.join(map(str, fields)) or 'none'})")
    meta = {key: str(fields[key]) for key in ("source", "date", "page") if fields.get(key) not in (None, "")}
    title = fields.get("title")
    extra = {k: v for k, v in fields.items() if k not in (text_field, "title", "source", "date", "page")}
    return Record(path=path, sha256=sha256(json.dumps([title, text], ensure_ascii=False).encode()),
                  raw=text, encoding=used, bytes=size, title=str(title) if title else None,
                  name_meta=metadata_from_name(path.split("#")[0]), extra=extra, **meta)


def _jsonl_records(path, text, used, *, text_field, size):
    lines = text.split("\n")
    share = size // max(1, len(lines))
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as e:
            yield Skipped(f"{path}#{i}", f"invalid JSON: {e.msg}", share)
            continue
        if not isinstance(fields, dict):
            yield Skipped(f"{path}#{i}", "JSON line is not an object", share)
            continue
        yield _record_from_fields(f"{path}#{i}", fields, used, text_field=text_field, size=share)


def _csv_records(path, text, used, *, text_field, size):
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    csv.field_size_limit(1 << 30)
    try:
        rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as e:
        yield Skipped(path, f"invalid CSV: {e}", size)
        return
    share = size // max(1, len(rows))
    for i, row in enumerate(rows, 1):
        row = {k: v for k, v in row.items() if k is not None}
        yield _record_from_fields(f"{path}#{i}", row, used, text_field=text_field, size=share)
