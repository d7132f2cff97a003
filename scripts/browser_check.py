"""Look at the Datasette corpus browser the way a reader does: build a seed corpus, start
`datasette corpus.db` on 127.0.0.1, and take headless Chromium screenshots of the pages that
matter. Not a test: a person looks at the PNGs (Chinese must render as Chinese).

    python scripts/browser_check.py                # screenshots in /tmp/shots/
    python scripts/browser_check.py --docs         # also refresh the screenshots in docs/

With Playwright installed (pip install playwright; it drives /usr/bin/chromium and downloads no
browser) it also types a reporter's name (张环泽, printed only in bylines) and a phrase with
punctuation into the articles search box, presses Enter and checks that the rows shown are exactly
the articles whose printed fields contain it; and it walks the researcher's click path: 词频 ->
click 锂电 -> its concordance -> sort by L1 -> click a line -> the article with the hit marked.

Needs Debian's chromium (apt-get install -y chromium) and a CJK font (apt-get install -y
fonts-noto-cjk), else Chinese shows as boxes.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("[0-9][0-9][0-9]_*.txt"))
# The seed pages carry no dates or paper names: give them some, so facets and trends have data.
PAGE_META = [("2023-11-20", "枣庄日报"), ("2024-01-15", "枣庄日报"), ("2024-03-19", "大众日报"),
             ("2024-03-20", "枣庄日报"), ("2024-06-02", "滕州日报")]
PAGES = {  # screenshot name -> (path, window height)
    "articles-search": ("/corpus/articles?_search=张环泽", 1100),
    "database": ("/corpus", 1100),
    "search-query": ("/corpus/search?q=新质生产力", 1000),
    "kwic-query": ("/corpus/kwic?q=锂电", 1000),
    "freq-query": ("/corpus/freq?source=枣庄日报", 1000),
    "charts": ("/corpus/-/charts?q=锂电,新能源,项目", 1500),
    "article-row": ("/corpus/articles/34", 1400),
    "cooc-network": ("/corpus/-/cooc?word=锂电&top=20", 1500),
    "dispersion": ("/corpus/-/dispersion?q=锂电,新能源,项目", 900),
    "search-page": ("/corpus/-/search?q=新质生产力", 1100),
}
# Screenshots committed under docs/ (shown in the README): shot name -> file.
DOCS = {"articles-search": "datasette-search.png", "click-1-freq": "datasette-freq.png",
        "click-2-kwic": "datasette-kwic.png", "click-3-kwic-sorted": "datasette-kwic-sorted.png",
        "click-4-article": "datasette-article.png", "cooc-network": "datasette-cooc.png",
        "dispersion": "datasette-dispersion.png", "search-page": "datasette-search-page.png",
        "charts": "datasette-charts.png"}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def build_corpus(db: Path) -> None:
    for page, (date, source) in zip(SEEDS, PAGE_META):
        subprocess.run([sys.executable, "-m", "zzcorpus", "ingest", str(page), "--db", str(db),
                        "--date", date, "--source", source], check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit(f"datasette exited: {server.stderr.read().decode()}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"datasette did not answer at {url}")


def screenshot(url: str, out: Path, *, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size=1400,{height}",
                        f"--screenshot={out}", url], check=True, capture_output=True, timeout=120)


PRINTED_FIELDS = ("kicker", "title", "subtitle", "byline", "dateline", "body")


def typed_search(base: str, db: Path, out: Path, term: str = "张环泽") -> None:
    """Type the term into the articles search box and press Enter, as a reader does (Playwright
    driving Debian's chromium); check the rows shown are exactly the articles whose printed
    fields contain it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("typed search skipped: pip install playwright (it drives /usr/bin/chromium, downloads nothing)")
        return
    with sqlite3.connect(db) as conn:
        truth = {i for i, *fields in conn.execute(f"SELECT id, {', '.join(PRINTED_FIELDS)} FROM articles")
                 if term in "\n".join(f or "" for f in fields)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS[1:])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{base}/corpus/articles")
        page.fill("input[name=_search]", term)
        page.press("input[name=_search]", "Enter")
        page.wait_for_load_state()
        shown = {int(a.inner_text()) for a in page.query_selector_all("table.rows-and-columns td.col-id a")}
        page.screenshot(path=str(out))
        browser.close()
    print(out, f"typed {term}: {len(shown)} rows shown, {len(truth)} articles contain it")
    if shown != truth:
        raise SystemExit(f"search box shows {sorted(shown)}, the articles containing {term} are {sorted(truth)}")


def click_path(base: str, out_dir: Path) -> None:
    """词频 -> click 锂电 -> its concordance -> sort by L1 -> click a line -> the article, its hit
    marked: screenshots of each step; checks the sorted lines are in L1 order and the article
    shows the hit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("click path skipped: pip install playwright (it drives /usr/bin/chromium, downloads nothing)")
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS[1:])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/corpus/freq?source=枣庄日报&date=")
        page.screenshot(path=str(out_dir / "click-1-freq.png"))
        page.click("a.zz-word:text-is('锂电')")
        page.wait_for_load_state()
        page.screenshot(path=str(out_dir / "click-2-kwic.png"))
        page.click("a.zz-sort[data-sort='L1']")
        page.wait_for_load_state()
        keys = [td.inner_text() for td in page.query_selector_all("td.zz-key")]
        filled = [k for k in keys if k]
        if filled != sorted(filled) or keys[:len(filled)] != filled:
            raise SystemExit(f"the concordance is not sorted by L1: {keys}")
        page.screenshot(path=str(out_dir / "click-3-kwic-sorted.png"))
        page.click("a.zz-line >> nth=0")
        page.wait_for_load_state()
        marks = [m.inner_text() for m in page.query_selector_all("mark")]
        if "锂电" not in marks:
            raise SystemExit(f"the article does not mark 锂电: {marks}")
        page.screenshot(path=str(out_dir / "click-4-article.png"))
        print(out_dir / "click-*.png", f"click path: {len(keys)} lines sorted by L1, {len(marks)} marks on {page.url}")
        browser.close()


def shrink(png: Path, target: Path, *, limit: int = 300_000) -> None:
    """Copy a screenshot to docs/, as a palette PNG when it is larger than the limit."""
    try:
        from PIL import Image
    except ImportError:
        shutil.copy(png, target)
        return
    image = Image.open(png).convert("RGB")
    image.quantize(colors=128).save(target, optimize=True) if png.stat().st_size > limit else shutil.copy(png, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"))
    parser.add_argument("--docs", action="store_true", help="copy the articles search shot to docs/")
    args = parser.parse_args()
    if not shutil.which("chromium"):
        raise SystemExit("chromium not found: apt-get install -y chromium fonts-noto-cjk")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "corpus.db"
        build_corpus(db)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(db), "-h", "127.0.0.1",
                                   "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/-/versions.json", server)
            for name, (path, height) in PAGES.items():
                out = args.out / f"{name}.png"
                screenshot(base + quote(path, safe="/?=&,-_"), out, height=height)
                print(out)
            typed_search(base, db, args.out / "articles-typed-search.png")
            typed_search(base, db, args.out / "articles-typed-punctuation.png", term="“锂")
            click_path(base, args.out)
        finally:
            server.terminate()
            server.wait(timeout=10)
    if args.docs:
        docs = ROOT / "docs"
        docs.mkdir(exist_ok=True)
        for shot, name in DOCS.items():
            if (args.out / f"{shot}.png").exists():
                shrink(args.out / f"{shot}.png", docs / name)
                print(docs / name)


if __name__ == "__main__":
    main()
