"""Benchmark zzcorpus on a generated page-dump corpus (default 20 MB), as whole processes.

    python bench/benchmark.py [--mb 20] [--keep DIR]

Prints: ingest MB/s, its ratio to plain jieba segmenting the same text in one process, peak
RSS (and at a quarter of the size, to show memory does not grow with the corpus), database
size, then the time of each shell command and of a Datasette search page. The corpus is made
from the seed pages: blocks of them reshuffled into new pages, numbers varied so that bodies
differ, spread over two papers and two years of dated file names.
"""

from __future__ import annotations

import argparse
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
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("[0-9][0-9][0-9]_*.txt"))
ZZ = [sys.executable, "-m", "zzcorpus"]


def make_corpus(folder: Path, mb: float, *, seed: int = 42) -> int:
    """Pages of ~20 KB from shuffled seed blocks; returns bytes written."""
    rng = random.Random(seed)
    blocks = [b for p in SEEDS for b in re.split(r"\n\s*\n", p.read_text(encoding="utf-8")) if b.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    written, day, n = 0, date(2023, 1, 1), 0
    while written < mb * 1e6:
        paper = ("枣庄日报", "大众日报")[n % 2]
        page = "\n\n".join(re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), rng.choice(blocks))
                           for _ in range(60))
        path = folder / f"{paper}_{day.isoformat()}_{n % 8 + 1:02}.txt"
        path.write_text(page, encoding="utf-8")
        written += path.stat().st_size
        n += 1
        if n % 8 == 0:
            day += timedelta(days=3)
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


def run(args, **kw) -> tuple[float, int, str]:
    """Seconds, peak RSS (KB, largest process in the tree) and stdout of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed: {out.stderr.strip()}")
    return seconds, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), out.stdout


def ingest(folder: Path, db: Path) -> tuple[float, int]:
    db.unlink(missing_ok=True)
    seconds, rss, _ = run(ZZ + ["ingest", str(folder), "--db", str(db)])
    return seconds, rss


def datasette_search_ms(db: Path, query: str, repeat: int = 7) -> float:
    """Median ms of the articles search page through a real server on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "datasette", str(db), "-h", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/{db.stem}/articles?_search={urllib.parse.quote(query)}"
    try:
        for _ in range(100):  # wait for the server, at most ~10 s
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            urllib.request.urlopen(url, timeout=30).read()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--keep", type=Path, help="Write the corpus and databases here and keep them.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="zzbench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        small, big = work / "small", work / "big"
        if not big.exists():
            make_corpus(small, args.mb / 4)
            make_corpus(big, args.mb)
        size = sum(p.stat().st_size for p in big.iterdir()) / 1e6
        db = work / "bench.db"
        small_s, small_rss = ingest(small, work / "small.db")
        seconds, rss = ingest(big, db)
        rate, jieba = size / seconds, jieba_rate(big)
        print(f"corpus            {size:.1f} MB page dumps, {len(list(big.iterdir()))} files")
        print(f"ingest            {seconds:.1f} s = {rate:.2f} MB/s")
        print(f"plain jieba       {jieba:.2f} MB/s (jieba.lcut, one process, first 2 MB, best of 2)")
        print(f"ratio             {rate / jieba:.1f}x plain jieba (target >= 7x)")
        print(f"peak RSS          {rss / 1024:.0f} MB at {size:.0f} MB; {small_rss / 1024:.0f} MB at {size / 4:.0f} MB")
        print(f"database          {db.stat().st_size / 1e6:.1f} MB")
        commands = [
            ("search 锂电", ["search", "锂电"], 1.5),
            ("search 新质生产力", ["search", "新质生产力"], 1.5),
            ("kwic 锂电", ["kwic", "锂电", "--limit", "50"], 1.5),
            ("freq --top 100", ["freq", "--top", "100"], 1.5),
            ("cooc 项目 --window article", ["cooc", "项目", "--window", "article"], 1.5),
            ("cooc 项目 --window 5", ["cooc", "项目", "--window", "5"], 3),
            ("network --top 100", ["network", "--top", "100", "--out", str(work / "network.svg")], 10),
        ]
        for label, cmd, target in commands:
            try:
                secs = min(run(ZZ + cmd + ["--db", str(db)])[0] for _ in range(3))
                print(f"{label:28} {secs:6.2f} s  (target {target} s)")
            except SystemExit as e:
                print(f"{label:28} not available: {e}")
        print(f"{'datasette search 锂电':28} {datasette_search_ms(db, '锂电'):6.0f} ms (target 300 ms)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
