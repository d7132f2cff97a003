"""What near-duplicate (reprint) detection adds to ingest, as whole processes.

    python bench/reprints.py [--mb 200] [--runs 2] [--keep DIR]

Generates the benchmark corpus (bench/benchmark.make_corpus: pages of reshuffled seed blocks),
ingests it with and without reprint detection (`--no-reprints`), alternating, best of --runs
each, and prints the seconds, the added share (target: at most 20%), each rate against plain
jieba timed between the runs (benchmark.jieba_rate; issue target: ingest at least 3x) and what
was marked. The
generated pages reuse the seed paragraphs thousands of times, so many of their articles really
are near duplicates of each other: a harder case for detection than real newspapers.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import ZZ, jieba_rate, make_corpus  # noqa: E402


def ingest(corpus: Path, db: Path, *extra) -> tuple[float, float]:
    """(seconds, CPU-seconds of the ingest process and its workers)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([*ZZ, "ingest", str(corpus), "--db", str(db), *extra], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - started, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Build the corpus here and keep it.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="zz-reprints-"))
    corpus = work / "pages"
    if not corpus.exists():
        size = make_corpus(corpus, args.mb)
    else:
        size = sum(p.stat().st_size for p in corpus.iterdir())
    db = work / "corpus.db"
    times, jieba = {"with": [], "without": []}, []
    for _ in range(args.runs):
        jieba.append(jieba_rate(corpus))
        times["without"].append(ingest(corpus, db, "--no-reprints"))
        times["with"].append(ingest(corpus, db))
    with sqlite3.connect(db) as conn:
        articles, marked, exact, bands = conn.execute(
            "SELECT COUNT(*), COUNT(near_duplicate_of), COUNT(duplicate_of), "
            "(SELECT COUNT(*) FROM reprint_bands) FROM articles").fetchone()
    best = {k: min(v) for k, v in times.items()}
    added = best["with"][0] / best["without"][0] - 1
    print(f"corpus: {size / 1e6:.1f} MB, {articles:,} articles ({work})")
    for label, key in (("ingest --no-reprints:", "without"), ("ingest (reprints):   ", "with")):
        runs = ", ".join(f"{t:.1f} s / {cpu:.0f} CPU-s" for t, cpu in times[key])
        print(f"{label} {best[key][0]:.1f} s, {best[key][1]:.0f} CPU-s   (runs: {runs})")
    print(f"added by detection:   {added:+.1%} of the time, {best['with'][1] / best['without'][1] - 1:+.1%} of the CPU "
          "(target: at most +20% of the time)")
    print(f"ingest / plain jieba: {size / 1e6 / best['without'][0] / max(jieba):.1f}x without detection, "
          f"{size / 1e6 / best['with'][0] / max(jieba):.1f}x with it (plain jieba, best of "
          f"{', '.join(f'{r:.2f}' for r in jieba)} MB/s)")
    print(f"marked: {marked:,} reprints, {exact:,} exact duplicates; {bands:,} band rows stored")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
