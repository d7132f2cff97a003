"""Benchmark zzcorpus on generated page-dump corpora, as whole processes.

    python bench/benchmark.py [--mb 200] [--keep DIR] [--ingest-only [--only small|big]]
    python bench/benchmark.py --code-only DIR   # only `code`, on the databases a --keep run left

Builds two corpora, --mb megabytes and a tenth of that (three papers over six years, pages made
from the seed pages: blocks reshuffled, numbers varied so that bodies differ), ingests each
twice, and prints for each: ingest rate against plain jieba on the same text (the better of two
runs each: a shared machine only ever makes a run slower), peak memory, database size against
the text, then each report command and each Datasette page (a real server on
127.0.0.1, median of 5) with the small figure beside it, the growth, and the target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("[0-9][0-9][0-9]_*.txt"))
ZZ = [sys.executable, "-m", "zzcorpus"]
PAPERS = ("枣庄日报", "大众日报", "滕州日报")
FIRST_DAY, YEARS = date(2019, 1, 1), 6
PAGE_BYTES = 16_500  # about what 60 seed blocks make


SENTENCE_RE = re.compile(r"[^。！？]*[。！？]")


def make_corpus(folder: Path, mb: float, *, seed: int = 42) -> int:
    """Pages of ~16 KB from shuffled seed blocks, three papers over six years; returns bytes.

    Headlines, bylines and short blocks are kept; a body paragraph gets as many sentences drawn
    from the whole seed pool, so articles are distinct stories (not reprints of each other) with
    the seeds' vocabulary and page layout."""
    rng = random.Random(seed)
    blocks = [b for p in SEEDS for b in re.split(r"\n\s*\n", p.read_text(encoding="utf-8")) if b.strip()]
    pool = [s for b in blocks for s in SENTENCE_RE.findall(b.replace("\n", "")) if len(s) > 8]

    def block():
        chosen = rng.choice(blocks)
        n = len(SENTENCE_RE.findall(chosen.replace("\n", "")))
        text = "".join(rng.choice(pool) for _ in range(n)) if len(chosen) > 80 and n >= 2 else chosen
        return re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), text)

    folder.mkdir(parents=True, exist_ok=True)
    pages = max(1, int(mb * 1e6 / PAGE_BYTES))
    days = YEARS * 365
    written, n = 0, 0
    while written < mb * 1e6:
        paper = PAPERS[n % len(PAPERS)]
        day = FIRST_DAY + timedelta(days=min(days - 1, n * days // pages))
        page = "\n\n".join(block() for _ in range(60))
        path = folder / f"{paper}_{day.isoformat()}_{n % 8 + 1:02}.txt"
        path.write_text(page, encoding="utf-8")
        written += path.stat().st_size
        n += 1
    return written


def jieba_rate(folder: Path, sample_mb: float = 2.0, *, runs: int = 2) -> float:
    """Plain jieba (jieba.lcut, one process) MB/s on the first sample_mb of the corpus, best of
    `runs` (a shared machine only ever makes a run slower)."""
    code = (
        "import sys, time, jieba, logging; jieba.setLogLevel(logging.WARNING); jieba.initialize()\n"
        "text = sys.stdin.read(); t = time.perf_counter(); jieba.lcut(text)\n"
        "print(len(text.encode()) / 1e6 / (time.perf_counter() - t))"
    )
    text, size = [], 0
    for p in sorted(folder.iterdir()):
        text.append(p.read_text(encoding="utf-8"))
        size += p.stat().st_size
        if size >= sample_mb * 1e6:
            break
    runs = [subprocess.run([sys.executable, "-c", code], input="".join(text), capture_output=True, text=True,
                           check=True) for _ in range(runs)]
    return max(float(out.stdout) for out in runs)


# Commands run as an installed package runs them: with its compiled bytecode cached (a machine
# that sets PYTHONDONTWRITEBYTECODE would otherwise recompile every module in every command).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(args, **kw) -> tuple[float, int, str]:
    """Seconds, peak RSS (KB, largest process in the tree) and stdout of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, env=ENV, **kw)
    seconds = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed: {out.stderr.strip()}")
    return seconds, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), out.stdout


def ingest(folder: Path, db: Path, *, runs: int = 2) -> tuple[list[float], int]:
    """Seconds of each of `runs` ingests of folder into a new db (compared best against best
    with plain jieba's rate), and the largest peak RSS (KB) of any."""
    seconds, peak = [], 0
    for _ in range(runs):
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        took, rss, _ = run(ZZ + ["ingest", str(folder), "--db", str(db)])
        seconds.append(took)
        peak = max(peak, rss)
    return seconds, peak


# (label, arguments, target seconds at the big size)
COMMANDS = [
    ("search 锂电", ["search", "锂电"], 1.0),
    ("kwic 锂电 --limit 50", ["kwic", "锂电", "--limit", "50"], 1.0),
    ("trend 锂电 项目", ["trend", "锂电", "项目"], 1.0),
    ("freq --top 100", ["freq", "--top", "100"], 1.0),
    ("freq --source --from --to", ["freq", "--top", "100", "--source", "大众日报", "--from", "2020-03",
                                   "--to", "2021-06"], 1.0),
    ("keyness quarter vs quarter", ["keyness", "--from", "2021-01", "--to", "2021-03", "--ref-from", "2020-01",
                                    "--ref-to", "2020-03"], 1.0),
    ("keyness paper vs rest", ["keyness", "--source", "滕州日报"], 1.0),
    ("cooc 项目 --window article", ["cooc", "项目", "--window", "article"], 1.0),
    ("freq --by year --top 10", ["freq", "--by", "year", "--top", "10"], 1.5),
    ("cooc 项目 --window 5", ["cooc", "项目", "--window", "5"], 1.5),
    ("cooc 项目 --window sentence", ["cooc", "项目", "--window", "sentence"], 1.5),
    ("network --top 100", ["network", "--top", "100"], 3.0),
    ("ngrams --n 3", ["ngrams", "--n", "3"], 5.0),
]
PAGES = [  # (label, path and query): every Datasette report page
    ("articles search box 锂电", "articles?_search=锂电"),
    ("全文检索 search 锂电", "search?q=锂电"),
    ("关键词语境 kwic 锂电", "kwic?q=锂电"),
    ("词频 freq", "freq?source=&date="),
    ("共现 cooc 项目", "cooc?word=项目"),
    ("趋势 trend 项目", "trend?q=项目"),
    ("图表 charts", "-/charts?q=锂电,项目"),
]


def datasette_ms(db: Path, paths, repeat: int = 5) -> dict:
    """Median ms of each page through a real server on 127.0.0.1 with default settings."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "datasette", str(db), "-h", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    base = f"http://127.0.0.1:{port}/{db.stem}/"
    out = {}
    try:
        for _ in range(100):  # wait for the server, at most ~10 s
            try:
                urllib.request.urlopen(base, timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        for label, path in paths:
            url = base + urllib.parse.quote(path, safe="/?=&,-_")
            times, failed = [], False
            for _ in range(repeat):
                t = time.perf_counter()
                try:
                    body = urllib.request.urlopen(url, timeout=60).read().decode("utf-8", "replace")
                except urllib.error.HTTPError as e:  # a query over its time limit, or any other failure
                    body = e.read().decode("utf-8", "replace")
                    failed = True
                times.append((time.perf_counter() - t) * 1000)
                failed = failed or "Query took too long" in body or "interrupted" in body
            out[label] = (statistics.median(times), failed)
    finally:
        server.terminate()
        server.wait()
    return out


# --- content analysis: `zzcorpus code` with a dictionary of each corpus's own words ------------

CODE_ROWS = [  # (label, arguments after the dictionary or none, target seconds at the big size)
    ("code 20 codes / 500 entries --save", ["--save", "codes"], 10.0),
    ("code --saved codes --by month", ["--saved", "codes", "--by", "month"], 1.0),
]


def code_benchmark(dbs: dict) -> None:
    """Code each corpus (name -> db) as a whole process with bench/code_speed.py's worst-case
    dictionary drawn from its words, saving the matrix, then the crosstab from the saved codes;
    on a copy of each database (--save writes a table), best of 3."""
    from code_speed import make_dictionary

    with tempfile.TemporaryDirectory(prefix="zzcode-") as tmp:
        copies, dictionaries = {}, {}
        for name, db in dbs.items():
            copies[name] = Path(tmp) / f"{name}.db"
            shutil.copyfile(db, copies[name])
            dictionaries[name] = make_dictionary(db, Path(tmp) / f"{name}.yml")
        for label, args, target in CODE_ROWS:
            secs = {}
            for name, db in copies.items():
                cmd = ZZ + ["code"] + ([] if "--saved" in args else [str(dictionaries[name])]) + args
                secs[name] = min(run(cmd + ["--db", str(db)])[0] for _ in range(3))
            mark = "" if secs["big"] <= target else "  MISSED"
            print(f"{label:34} {secs['small']:9.2f}s {secs['big']:9.2f}s {secs['big'] / secs['small']:6.1f}x  "
                  f"<= {target} s{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--keep", type=Path, help="Write the corpora and databases here and keep them.")
    parser.add_argument("--code-only", type=Path, metavar="DIR",
                        help="Only the `code` rows, on the small-*.db and big-*.db already in DIR (not written).")
    parser.add_argument("--ingest-only", action="store_true",
                        help="Only the ingest figures (rate against jieba, memory, size), no reports or pages.")
    parser.add_argument("--only", choices=("small", "big"), help="Only this corpus (with --ingest-only).")
    args = parser.parse_args()
    if args.code_only:
        dbs = {name: next(args.code_only.glob(f"{name}-*.db"), None) for name in ("small", "big")}
        if None in dbs.values():
            raise SystemExit(f"{args.code_only}: no small-*.db and big-*.db")
        print(f"{'what':34} {'small':>10} {'big':>10} {'growth':>7}  target at big")
        code_benchmark(dbs)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="zzbench-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = {"small": args.mb / 10, "big": args.mb}
    if args.only:
        if not args.ingest_only:
            parser.error("--only needs --ingest-only (the report figures compare both sizes)")
    try:
        found = {}
        for name, mb in sizes.items():
            if args.only and name != args.only:
                continue
            folder = work / f"{name}-{mb:g}mb"
            if not folder.exists():
                make_corpus(folder, mb)
            text = sum(p.stat().st_size for p in folder.iterdir())
            db = work / f"{name}-{mb:g}mb.db"
            seconds, rss = ingest(folder, db)
            found[name] = {"folder": folder, "db": db, "text": text, "files": len(list(folder.iterdir())),
                           "ingest": seconds, "rss": rss, "jieba": jieba_rate(folder)}
        if args.only:  # one corpus: its figures in both columns
            found = {"small": found[args.only], "big": found[args.only]}
        small, big = found["small"], found["big"]
        info = json.loads(run(ZZ + ["info", "--json", "--db", str(big["db"])])[2])[0]
        print(f"corpora: {small['text'] / 1e6:.1f} MB ({small['files']} files) and {big['text'] / 1e6:.1f} MB "
              f"({big['files']} files, {info['articles']:,} articles, {info['report_tokens']:,} word tokens)")
        # The generated pages reuse a few hundred seed sentences, so many articles are marked as
        # duplicates or reprints and left out of the reports: the share the reports count.
        print(f"reports count {info['report_articles']:,} articles ({info['duplicates']:,} exact duplicates and "
              f"{info['reprints']:,} reprints left out), {info['report_tokens'] / info['tokens']:.0%} of the word tokens")
        print(f"{'what':34} {'small':>10} {'big':>10} {'growth':>7}  target at big")
        for name, f in found.items():
            f["rates"] = [f["text"] / 1e6 / seconds for seconds in f["ingest"]]
            f["rate"] = max(f["rates"])
        print(f"{'ingest MB/s (best of 2)':34} {small['rate']:10.2f} {big['rate']:10.2f} {'':7}")
        print(f"{'ingest MB/s, each run':34} {'/'.join(f'{r:.2f}' for r in small['rates']):>10} "
              f"{'/'.join(f'{r:.2f}' for r in big['rates']):>10}")
        print(f"{'plain jieba MB/s (best of 2)':34} {small['jieba']:10.2f} {big['jieba']:10.2f} {'':7}")
        print(f"{'ingest / plain jieba':34} {small['rate'] / small['jieba']:9.1f}x {big['rate'] / big['jieba']:9.1f}x "
              f"{'':7}  >= 3x")
        print(f"{'peak RSS MB':34} {small['rss'] / 1024:10.0f} {big['rss'] / 1024:10.0f} "
              f"{big['rss'] / small['rss']:6.1f}x  flat")
        ratio = {n: f["db"].stat().st_size / f["text"] for n, f in found.items()}
        print(f"{'database / text':34} {ratio['small']:9.1f}x {ratio['big']:9.1f}x {'':7}  <= 6x "
              f"({big['db'].stat().st_size / 1e6:.0f} MB)")
        if args.ingest_only:
            return
        for label, cmd, target in COMMANDS:
            secs = {n: min(run(ZZ + cmd + ["--db", str(f["db"])])[0] for _ in range(3)) for n, f in found.items()}
            mark = "" if secs["big"] <= target else "  MISSED"
            print(f"{label:34} {secs['small']:9.2f}s {secs['big']:9.2f}s {secs['big'] / secs['small']:6.1f}x  "
                  f"<= {target} s{mark}")
        code_benchmark({n: f["db"] for n, f in found.items()})
        pages = {n: datasette_ms(f["db"], PAGES) for n, f in found.items()}
        for label, _ in PAGES:
            (ms_small, _), (ms_big, failed) = pages["small"][label], pages["big"][label]
            mark = "  FAILED" if failed else ("" if ms_big <= 1000 else "  MISSED")
            print(f"{'datasette ' + label:34} {ms_small:8.0f}ms {ms_big:8.0f}ms {ms_big / ms_small:6.1f}x  "
                  f"<= 1000 ms{mark}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
