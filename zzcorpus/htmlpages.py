"""Web pages to articles: e-paper article pages and saved web pages.

trafilatura finds the article text, title and date and leaves navigation, footers and other
boilerplate out. E-paper pages print a headline group (`<h3>` kicker, `<h1>` title, `<h2>`
subtitle); the headings next to the title are read for kicker and subtitle. A page holding
several `<article>` elements gives each as an article; a page that is mostly links (an
index, a page's table of contents) has no article text of its own and is reported so.
"""

from __future__ import annotations

import re

from .dates import normalise_date

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_MAX_HEAD = 60  # longer than this, a heading is a paragraph set in bold
_LINKS_SHARE = 0.6  # a page whose text is mostly link text is an index
# the info line above or below an article (date, source, page, editor): metadata, not text
_INFO_RE = re.compile(r"来源[:：]|发布时间|作者[:：]|责任编辑|编辑[:：]|第\s*\d+\s*版|\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}")


def html_records(path: str, html: str, encoding: str, *, size: int, sha: str) -> list:
    """Records (one per article) or one Skipped saying why the page has no article text."""
    from lxml import etree, html as lxml_html

    from .readers import Record, Skipped, Warned, metadata_from_name

    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError) as e:
        return [Skipped(path, f"not readable HTML: {e}", size)]
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    parts = tree.xpath("//article")
    pieces = [etree.tostring(p, encoding="unicode") for p in parts] if len(parts) > 1 else [html]
    out: list = []
    for n, piece in enumerate(pieces, 1):
        found = _article(piece)
        if found is None:
            continue
        where = f"{path}#{n}" if len(pieces) > 1 else path
        meta = {}
        if found["date"]:
            try:
                meta["date"] = normalise_date(found["date"])
            except ValueError as e:
                out.append(Warned(where, f"unreadable date {found['date']!r} ({e}): stored without a date"))
        out.append(Record(path=where, sha256=sha, raw=found["text"], encoding=encoding, bytes=size // len(pieces),
                          title=found["title"] or None, heads=found["heads"],
                          name_meta=metadata_from_name(path), **meta))
    if not any(isinstance(r, Record) for r in out):
        links = tree.xpath("//a[@href]")
        text = _text(tree.body if tree.find("body") is not None else tree)
        linked = sum(len(_text(a)) for a in links)
        why = (f"no article text: a page of {len(links)} links (ingest the pages they lead to)"
               if links and linked >= _LINKS_SHARE * max(1, len(text)) else "no article text")
        return [Skipped(path, why, size)]
    return out


def _text(el) -> str:
    return re.sub(r"\s+", "", el.text_content() or "")


def _article(html: str) -> dict | None:
    import trafilatura
    from lxml import html as lxml_html

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False,
                                      deduplicate=True)
    if doc is None:
        return None
    doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
    text = (doc.get("text") or "").strip()
    if not text:
        return None
    tree = lxml_html.document_fromstring(html)
    links = sum(len(_text(a)) for a in tree.xpath("//a[@href]"))
    if links >= _LINKS_SHARE * max(1, len(re.sub(r"\s+", "", text))) and len(tree.xpath("//a[@href]")) > 5:
        return None  # what trafilatura kept is the link list itself
    title = (doc.get("title") or "").strip()
    heads = _heads(tree, title)
    lines = [line for line in text.split("\n") if line.strip() not in (title, *heads.values())]
    while lines and _info(lines[0]):
        lines.pop(0)
    while lines and _info(lines[-1]):
        lines.pop()
    return {"title": title, "heads": heads, "date": doc.get("date"), "text": "\n".join(lines)}


def _heads(tree, title: str) -> dict:
    """Kicker and subtitle: the short headings just before and just after the title's heading."""
    if not title:
        return {}
    headings = [h for h in tree.iter(*_HEADINGS) if 0 < len(h.text_content().strip()) <= _MAX_HEAD]
    at = next((i for i, h in enumerate(headings) if h.text_content().strip() == title), None)
    if at is None:
        return {}
    heads = {}
    same_parent = lambda h: h.getparent() is headings[at].getparent()  # noqa: E731
    if at > 0 and same_parent(headings[at - 1]):
        heads["kicker"] = headings[at - 1].text_content().strip()
    if at + 1 < len(headings) and same_parent(headings[at + 1]):
        heads["subtitle"] = headings[at + 1].text_content().strip()
    return heads


def _info(line: str) -> bool:
    line = line.strip()
    return len(line) <= 60 and not line.endswith("。") and _INFO_RE.search(line) is not None
