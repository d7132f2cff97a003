"""Read dumps: files, folders, .gz and .zip archives of .txt / .jsonl / .csv / .tsv / .xlsx
records, .html pages, page .pdf files and .docx documents, in any of the encodings Chinese
text comes in (UTF-8, UTF-16/32, GB18030/GBK, Big5/Big5-HKSCS).

Yields one `Record` per page or article, one `Skipped` naming the file and why (so a bad file
never stops the rest), one `Warned` when a record is kept without an unreadable value, one
`PassedOver` per file a folder walk does not read, and one `Ended` after the records of a file
that holds several (jsonl, csv, xlsx, html), naming them all. `raw` is the decoded text as read
(for PDF, HTML and Word files: the text their reader laid out).

Only regular files are read (a FIFO would block forever; devices and sockets are not text);
broken or looping links and names that are not UTF-8 are skipped with a message. Archives are
expanded within `Limits` (member size, expansion over the archive's own size, nesting depth), so
a zip or gzip bomb is skipped and named instead of filling memory.
"""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import hashlib
import io
import json
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .dates import normalise_date

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv", ".tsv")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
XLSX_SUFFIXES = (".xlsx",)
# Files that hold several records: read whole, written in one transaction, ended by `Ended`.
CONTAINER_SUFFIXES = JSONL_SUFFIXES + CSV_SUFFIXES + HTML_SUFFIXES + XLSX_SUFFIXES
KNOWN_SUFFIXES = (TEXT_SUFFIXES + JSONL_SUFFIXES + CSV_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES + DOCX_SUFFIXES
                  + XLSX_SUFFIXES + (".gz", ".zip"))
LAYOUT_CHOICES = ("auto", "page", "plain")  # pages.LAYOUTS and auto; pages loads only when read
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
    # How the text is read: "page" (reflowed, split) or "plain" (kept as written); None until
    # layout_of decides it from the text (in the worker that prepares the record, when parallel).
    layout: str | None = "page"
    heads: dict = field(default_factory=dict)  # kicker/subtitle a structured format gives beside the title


@dataclass
class Skipped:
    path: str
    reason: str
    bytes: int = 0


@dataclass
class Warned:
    """A record kept without a value that could not be read (it is named with its line)."""
    path: str
    message: str


@dataclass
class Ended:
    """The end of a file of several records: `parts` are the record paths this reading found
    (stored records of the file not among them are gone from it)."""
    path: str
    parts: list


@dataclass(frozen=True)
class Limits:
    """How far archives may expand: a member larger than member_bytes, or members adding up to
    more than ratio times the archive's own size (past the first floor_bytes), or archives
    nested deeper than depth, are skipped and named."""
    member_bytes: int = 512 << 20
    ratio: float = 100.0
    depth: int = 4
    floor_bytes: int = 32 << 20  # small archives of very repetitive text may expand more than ratio

    def __post_init__(self):
        if self.member_bytes < 1 or self.ratio < 1 or self.depth < 0:
            raise ValueError("archive limits: member size >= 1 byte, ratio >= 1, depth >= 0")

    def total_for(self, packed: int) -> int:
        return max(self.floor_bytes, int(self.ratio * packed))


class _OverLimit(Exception):
    pass


def _mb(n: int) -> str:
    return f"{n / 2**20:.3g} MB"


def is_container(path: str) -> bool:
    """Is this record part of a file of several records (`data.jsonl#3`, `page.html#2`)?"""
    return path.split("#", 1)[0].lower().endswith(CONTAINER_SUFFIXES)


@dataclass
class PassedOver:
    """A file in a folder (or archive) that is not a kind of input: counted, not read."""
    path: str
    suffix: str


def normalize(text: str) -> str:
    """CRLF and lone CR to LF, form feeds to blank lines, ANSI escapes and control characters out."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    return CONTROL_RE.sub("", ANSI_RE.sub("", text))


# Byte-order marks, longest first (UTF-32-LE's starts with UTF-16-LE's).
BOMS = [
    (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"),
]
# Everyday characters: the common hanzi in both scripts (data/hanzi.txt, see scripts/make_hanzi.py)
# and the punctuation and symbols newspapers print. A wrong decoding of Chinese bytes yields
# valid but rare characters (kana, Hangul, rare hanzi, private use), so the share of everyday
# characters among the non-ASCII ones tells the right decoding from the others.
_EVERYDAY = frozenset(
    (Path(__file__).parent / "data" / "hanzi.txt").read_text(encoding="utf-8").replace("\n", "")
    + "".join(map(chr, [*range(0x3000, 0x3040), *range(0xFF01, 0xFF5F), *range(0x2010, 0x2040),
                        *range(0x2460, 0x2474), *range(0x25A0, 0x25D0), *range(0x2160, 0x216C)]))
    + "\u00b7\u00d7\u00f7\u00b0\u00a0\u00a9\u00ae\u2103\u2116\u2192\ufe30\ufe31\ufe4f"
    + "".join(map(chr, range(0xC0, 0x180)))  # Latin letters with accents (names, loanwords)
)
_SAMPLE = 1 << 15  # characters scored per candidate: a page's worth decides as well as the whole
_SURE = 0.8  # the right decoding of real text has at least this share of everyday characters
_MARGIN = 0.15  # and beats every other decoding by this much
_STRETCH = 0.6  # and no stretch of it falls below this (a file that changes encoding part-way)


def codec_name(encoding: str) -> str:
    """`BIG5` -> `big5`, `utf8` -> `utf-8`: one name per codec, for comparing and recording."""
    return codecs.lookup(encoding).name


def everyday_share(text: str) -> tuple[float, float]:
    """(share of everyday characters among the non-ASCII ones, the lowest share in any stretch
    of about 100 of them): a file that changes encoding part-way has one bad stretch."""
    sample = text[:_SAMPLE]
    odd = [c for c in sample if not (" " <= c <= "~" or c in "\t\n\r")]
    if not odd:
        return 1.0, 1.0
    good = list(map(_EVERYDAY.__contains__, odd))
    step = 100
    stretches = [sum(good[i : i + step]) / len(good[i : i + step]) for i in range(0, len(good), step)
                 if len(good[i : i + step]) >= step // 2] or [sum(good) / len(good)]
    return sum(good) / len(good), min(stretches)


def decode(data: bytes, *, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used). Raises ValueError saying why the bytes are not text, or
    why no decoding is sure enough to store (the encodings tried, with their scores).

    A byte-order mark decides; then UTF-8 (valid UTF-8 of any length is almost never anything
    else); then each candidate that decodes without error (UTF-16/32 when there are NUL bytes,
    else GB18030 and Big5-HKSCS) is scored by its share of everyday characters.
    """
    if encoding:
        try:
            name = codec_name(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        try:
            return data.decode(name), name
        except UnicodeDecodeError as e:
            raise ValueError(f"cannot decode as {name}: {e.reason} at byte {e.start}") from None
    for bom, name in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as e:
                raise ValueError(f"starts with a {name} byte-order mark but is not {name}: {e.reason} "
                                 f"at byte {e.start}") from None
    nul = b"\x00" in data[:_SAMPLE]
    if not nul:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as e:
            # A file cut mid-character at its very end is still UTF-8: keep all but the torn tail.
            if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
                return data[: e.start].decode("utf-8"), "utf-8"
    # UTF-16 of Chinese alone (no ASCII, no newline) has no NUL byte: it stays a candidate
    wide = ["utf-16-le", "utf-16-be"] * (len(data) % 2 == 0) + ["utf-32-le", "utf-32-be"] * (len(data) % 4 == 0 and nul)
    candidates = wide if nul else ["gb18030", "big5hkscs", *wide]
    scored = []
    for name in candidates:  # scored on a page's worth; the winner must then decode whole
        try:
            text = _head(data, name).decode(name)
        except UnicodeDecodeError:
            continue
        share, worst = everyday_share(text)
        scored.append((share, name, worst))
    scored.sort(reverse=True)
    while scored:
        try:
            text = data.decode(scored[0][1])
            break
        except UnicodeDecodeError:
            scored.pop(0)
    tried = "UTF-16 or UTF-32" if nul else "UTF-8, GB18030, Big5 or UTF-16"
    if not scored:
        raise ValueError(f"binary file (NUL bytes; not {tried} text)" if nul else
                         f"not {tried} text (use --encoding)")
    share, name, worst = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if share < _SURE or share - runner_up < _MARGIN or worst < _STRETCH:
        scores = ", ".join(f"{n} {s:.0%} (worst stretch {w:.0%})" for s, n, w in scored)
        what = "binary file" if share < 0.5 else "encoding doubtful"
        raise ValueError(f"{what}: no decoding is sure (everyday characters: {scores}; tried {tried}; "
                         f"use --encoding)")
    if name == "big5hkscs" and _decodes(data, "big5"):
        name = "big5"  # plain Big5 needs none of the Hong Kong additions
    return text, name


def _head(data: bytes, encoding: str) -> bytes:
    """About _SAMPLE characters' worth of bytes, cut between two characters."""
    limit = 4 * _SAMPLE
    if len(data) <= 2 * limit:
        return data
    if encoding.startswith(("utf-16", "utf-32")):
        return data[:limit]  # a multiple of 4: whole units of both
    cut = data.rfind(b"\n", 0, limit)  # never a trail byte in GB18030 or Big5
    return data[: cut + 1] if cut > 0 else data


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def metadata_from_name(name: str) -> dict:
    """source/date/page from names like 枣庄日报_2024-03-19_02.txt, 20240319.txt, zzrb-2024-03-19-01.txt."""
    stem = Path(name).name
    for suffix in (".gz", *KNOWN_SUFFIXES):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    m = DATE_RE.search(stem)
    if not m:
        return {}
    try:
        meta = {"date": normalise_date(f"{m.group(1)}-{m.group(2)}-{m.group(3)}")}
    except ValueError:
        return {}  # 2024-02-30 is a number in the name, not a date
    source = stem[: m.start()].strip("-_. ")
    if source and not source.isdigit():
        meta["source"] = source
    page = PAGE_RE.match(stem[m.end():])
    if page:
        meta["page"] = str(int(page.group(1)))
    return meta


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _suffix(name: str) -> str:
    return Path(name).suffix.lower() or "(no suffix)"


def _is_input(name: str) -> bool:
    return (name.lower().endswith(KNOWN_SUFFIXES) and not name.startswith(".")
            and Path(name).stem.lower() not in NOT_DUMPS)


def shown_name(path) -> str:
    """A path as it can be printed and stored: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _not_readable(path: Path) -> Skipped | PassedOver | None:
    """None for a regular file (or a link to one) with a UTF-8 name; else why it is not read."""
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return Skipped(shown_name(name), "file name is not UTF-8 (rename it to read it)")
    try:
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            return Skipped(name, "symbolic link loop")
        if path.is_symlink():
            return Skipped(name, f"broken symbolic link (to {shown_name(os.readlink(path))})")
        return Skipped(name, f"cannot read: {e.strerror or e}")
    return None if stat.S_ISREG(st.st_mode) else PassedOver(name, _file_kind(st.st_mode))


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "(fifo)"), (stat.S_ISSOCK, "(socket)"), (stat.S_ISCHR, "(device)"),
                       (stat.S_ISBLK, "(device)"), (stat.S_ISDIR, "(folder)")):
        if test(mode):
            return kind
    return "(special file)"


def iter_paths(paths) -> Iterator[Path | Skipped | PassedOver]:
    """Files as given, folders walked recursively (sorted); a folder's files of other kinds are
    passed over, each reported; only regular files (or links to them) come out as Paths."""
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p, onerror=lambda e: None):
                dirs.sort()
                for f in sorted(files):
                    path = Path(root) / f
                    if not _is_input(f):
                        yield PassedOver(shown_name(path), _suffix(shown_name(f)))
                    else:
                        yield _not_readable(path) or path
        elif p.exists() or p.is_symlink():
            yield _not_readable(p) or p
        else:
            yield Skipped(shown_name(p), "no such file or folder")


def in_date_order(items) -> list:
    """The files in the order of the dates in their names (metadata_from_name), files without
    one after them, each group in the order given (the messages about other items first). A
    story's first printing is then read before its reprints in other papers whatever the folders'
    layout (one folder per paper or per year), so reprint detection links each printing to the
    earliest without undoing links, and finds the earlier printing while it is still in memory."""
    def key(path):  # sorted() calls it once a file and keeps the given order of equals
        date = metadata_from_name(str(path)).get("date")
        return date is None, date or ""

    items = list(items)
    return [p for p in items if not isinstance(p, Path)] + sorted((p for p in items if isinstance(p, Path)), key=key)


def input_size(paths) -> int:
    """Bytes of the files under paths (archives as stored), for progress and planning."""
    total = 0
    for p in iter_paths(paths):
        if isinstance(p, Path):
            try:
                total += p.stat().st_size
            except OSError:
                pass  # gone since: read_records names it
    return total


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file; OSError for anything else (opened without blocking, so a
    file swapped for a FIFO after the walk cannot hang the run)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)


def read_records(paths, *, encoding: str | None = None, text_field: str = "text",
                 layout: str = "auto", limits: Limits = Limits()) -> Iterator[Record | Skipped | Warned | PassedOver | Ended]:
    if layout not in LAYOUT_CHOICES:
        raise ValueError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUT_CHOICES)}")
    if encoding:
        try:
            codec_name(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r} (e.g. utf-8, gb18030, big5, big5hkscs, utf-16)") from None
    for p in in_date_order(iter_paths(paths)):
        if not isinstance(p, Path):
            yield p
            continue
        try:
            data = _read_regular(p)
        except OSError as e:
            yield Skipped(str(p), f"cannot read: {e.strerror or e}")
            continue
        found = records_from_bytes(str(p), data, encoding=encoding, text_field=text_field, layout=layout,
                                   limits=limits)
        del data  # the reader lets go of a huge file's bytes once decoded
        yield from found


def _laid_out(item, layout: str):
    """The record with its layout as asked, or None for "auto": layout_of decides it later."""
    if isinstance(item, Record):
        item.layout = None if layout == "auto" else layout
    return item


def layout_of(record: Record) -> str:
    """The record's layout: as asked, else from its own line profile (decided once)."""
    if record.layout is None:
        from .pages import choose_layout

        record.layout = choose_layout(record.raw)
    return record.layout


def records_from_bytes(path: str, data: bytes, *, encoding=None, text_field="text", layout="auto",
                       limits: Limits = Limits(), depth: int = 0) -> Iterator[Record | Skipped | Warned | PassedOver | Ended]:
    lower = path.lower()
    kw = {"encoding": encoding, "text_field": text_field, "layout": layout, "limits": limits}
    if lower.endswith((".gz", ".zip")) and depth >= limits.depth:
        yield Skipped(path, f"archive nested more than {limits.depth} deep (raise it with --max-depth)", len(data))
        return
    if lower.endswith(".gz"):
        limit = min(limits.member_bytes, limits.total_for(len(data)))
        try:
            data = _gunzip(data, limit)
        except _OverLimit as e:
            which = "member size" if limit == limits.member_bytes else "the archive's expansion ratio"
            yield Skipped(path, f"{e}, over the limit on {which} (raise it with --max-member-mb or --max-ratio)",
                          len(data))
            return
        except (OSError, EOFError, zlib.error) as e:
            yield Skipped(path, f"broken gzip archive: {e}", len(data))
            return
        yield from records_from_bytes(path[:-3], data, depth=depth + 1, **kw)
        return
    if lower.endswith(".zip"):
        yield from _zip_records(path, data, depth=depth + 1, **kw)
        return
    if lower.endswith(BINARY_SUFFIXES):
        found = list(_laid_out(item, layout) for item in _document_records(path, data, text_field=text_field))
        yield from found
        if lower.endswith(CONTAINER_SUFFIXES):
            yield Ended(path, [r.path for r in found if isinstance(r, Record)])
        return
    try:
        text, used = decode(data, encoding=encoding)
    except ValueError as e:
        yield Skipped(path, str(e), len(data))
        return
    if lower.endswith(JSONL_SUFFIXES):
        found = _jsonl_records(path, text, used, text_field=text_field, size=len(data))
    elif lower.endswith(CSV_SUFFIXES):
        found = _csv_records(path, text, used, text_field=text_field, size=len(data))
    elif lower.endswith(HTML_SUFFIXES):
        from .htmlpages import html_records

        found = html_records(path, text, used, size=len(data), sha=sha256(data))
    elif len(text) > HUGE_CHARS:
        del data  # a file this large is held once, as text
        found = _text_parts(path, text, used)
    else:
        found = [Record(path=path, sha256=sha256(data), raw=text, encoding=used, bytes=len(data),
                        name_meta=metadata_from_name(path))]
    parts = []
    for item in found:
        if isinstance(item, Record):
            parts.append(item.path)
        yield _laid_out(item, layout)
    # A text file ends too: when it was stored in parts before, the parts it no longer has go.
    yield Ended(path, parts)


# A text file over HUGE_CHARS characters is read as parts of about PART_CHARS, each its own
# document (`big.txt#3`), so one huge file (or one huge line) is split, segmented and indexed
# in bounded memory like a folder of pages. A part ends at a blank line, else a line break,
# else a sentence end, near its size. Parts are written batch by batch: a killed run leaves
# the first parts stored, and the next run adds the rest.
HUGE_CHARS = 2 << 20
PART_CHARS = 1 << 18
SENTENCE_ENDS = "。！？!?；;"


def _text_parts(path: str, text: str, used: str):
    start, n = 0, 0
    while start < len(text):
        end = min(len(text), start + PART_CHARS)
        if end < len(text):
            floor = start + PART_CHARS // 2
            cut = max(text.rfind("\n\n", floor, end), -1)
            cut = cut if cut > 0 else text.rfind("\n", floor, end)
            if cut <= 0:
                cut = max(text.rfind(c, floor, end) for c in SENTENCE_ENDS)
            end = cut + 1 if cut > 0 else end
        piece = text[start:end]
        start, n = end, n + 1
        data = piece.encode("utf-8")
        yield Record(path=f"{path}#{n}", sha256=sha256(data), raw=piece, encoding=used, bytes=len(data),
                     name_meta=metadata_from_name(path))


def _gunzip(data: bytes, limit: int) -> bytes:
    """The expanded bytes, read as a stream that stops past limit (a gzip bomb never expands)."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        out = f.read(limit + 1)
    if len(out) > limit:
        raise _OverLimit(f"expands to more than {_mb(limit)}")
    return out


BINARY_SUFFIXES = PDF_SUFFIXES + DOCX_SUFFIXES + XLSX_SUFFIXES


def _document_records(path: str, data: bytes, *, text_field: str):
    """PDF, Word and Excel files: their own libraries read them (no text decoding of ours)."""
    lower = path.lower()
    try:
        if lower.endswith(PDF_SUFFIXES):
            from .pdfpages import pdf_text

            text = pdf_text(data)
            if not text.strip():
                yield Skipped(path, "no text layer (a scanned PDF needs OCR first)", len(data))
                return
            yield Record(path=path, sha256=sha256(data), raw=text, encoding=None, bytes=len(data),
                         name_meta=metadata_from_name(path))
        elif lower.endswith(DOCX_SUFFIXES):
            from .officefiles import docx_text

            title, text = docx_text(data)
            yield Record(path=path, sha256=sha256(data), raw=text, encoding=None, bytes=len(data), title=title,
                         name_meta=metadata_from_name(path))
        else:
            from .officefiles import xlsx_rows

            rows = xlsx_rows(data)
            share = len(data) // max(1, len(rows))
            for where, row in rows:
                yield from _record_from_fields(f"{path}#{where}", row, None, text_field=text_field, size=share)
    except ValueError as e:
        yield Skipped(path, str(e), len(data))


def _zip_records(path, data, *, limits: Limits, depth: int, **kw):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        yield Skipped(path, f"broken zip archive: {e}", len(data))
        return
    left = limits.total_for(len(data))  # what all members together may still expand to
    for info in members:
        inner = f"{path}/{info.filename}"
        try:
            inner.encode("utf-8")
        except UnicodeEncodeError:
            yield Skipped(shown_name(inner), "member name is not UTF-8")
            continue
        if not _is_input(Path(info.filename).name):
            yield PassedOver(inner, _suffix(info.filename))
            continue
        limit = min(limits.member_bytes, left)
        try:
            if info.file_size > limit:  # as declared; the read below stops at the limit whatever is declared
                raise _OverLimit(f"expands to {_mb(info.file_size)}")
            with archive.open(info) as f:
                member = f.read(limit + 1)
            if len(member) > limit:
                raise _OverLimit(f"expands to more than {_mb(limit)}")
        except _OverLimit as e:
            which = "member size" if limit == limits.member_bytes else "the archive's expansion ratio"
            yield Skipped(inner, f"{e}, over the limit on {which} (raise it with --max-member-mb or --max-ratio)")
            continue
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, zlib.error) as e:
            yield Skipped(inner, f"cannot extract: {e}")
            continue
        left -= len(member)
        yield from records_from_bytes(inner, member, limits=limits, depth=depth, **kw)


def _record_from_fields(path, fields: dict, used, *, text_field, size) -> Iterator[Record | Skipped | Warned]:
    """One record from a jsonl/csv/xlsx row; an unreadable date is dropped with a warning."""
    text = fields.get(text_field)
    if not isinstance(text, str):
        yield Skipped(path, f"no text field {text_field!r} (fields: {', '.join(map(str, fields)) or 'none'})")
        return
    bad = _not_text(fields)
    if bad:
        yield Skipped(path, bad)
        return
    meta = {key: str(fields[key]).strip() for key in ("source", "date", "page")
            if fields.get(key) not in (None, "")}
    if "date" in meta:
        try:
            meta["date"] = normalise_date(meta["date"])
        except ValueError as e:
            yield Warned(path, f"unreadable date {meta.pop('date')!r} ({e}): stored without a date")
    title = fields.get("title")
    extra = {k: v for k, v in fields.items() if k not in (text_field, "title", "source", "date", "page")}
    yield Record(path=path, sha256=sha256(json.dumps([title, text], ensure_ascii=False).encode()),
                 raw=text, encoding=used, bytes=size, title=str(title) if title else None,
                 name_meta=metadata_from_name(path.split("#")[0]), extra=extra, **meta)


def _not_text(value, where="") -> str | None:
    """Why a record's values cannot be stored as text (JSON's \\ud800 escapes make lone
    surrogates, which no encoding holds), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return f"{where or 'a value'} holds a lone surrogate (\\u{ord(value[e.start]):04x}), not text"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        bad = _not_text(key, "a field name") or _not_text(item, where or f"field {key!r}")
        if bad:
            return bad
    return None


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
        yield from _record_from_fields(f"{path}#{i}", fields, used, text_field=text_field, size=share)


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
        yield from _record_from_fields(f"{path}#{i}", row, used, text_field=text_field, size=share)
