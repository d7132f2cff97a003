"""What near-duplicate (reprint) detection adds to ingest, as whole processes.

    python bench/reprints.py [--mb 200] [--runs 2] [--keep DIR]

Generates the benchmark corpus (bench/benchmark.make_corpus: pages of reshuffled seed blocks),
ingests it with and without reprint detection (`--no-reprints`), alternating, best of --runs
each, and prints the seconds, the added share (target: at most 20%) and what was marked. The
generated pages reuse the seed paragraphs thousands of times, so many of their articles really
are near duplicates of each other: a harder case for detection than real newspapers.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import ZZ, make_corpus  # noqa: E402


def ingest(corpus: Path, db: Path, *extra) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run([*ZZ, "ingest", str(corpus), "--db", str(db), *extra], check=True, capture_output=True)
    return time.perf_counter() - started


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
    times = {"with": [], "without": []}
    for _ in range(args.runs):
        times["without"].append(ingest(corpus, db, "--no-reprints"))
        times["with"].append(ingest(corpus, db))
    with sqlite3.connect(db) as conn:
        articles, marked, exact, bands = conn.execute(
            "SELECT COUNT(*), COUNT(near_duplicate_of), COUNT(duplicate_of), "
            "(SELECT COUNT(*) FROM reprint_bands) FROM articles").fetchone()
    best = {k: min(v) for k, v in times.items()}
    added = best["with"] / best["without"] - 1
    print(f"corpus: {size / 1e6:.1f} MB, {articles:,} articles ({work})")
    print(f"ingest --no-reprints: {best['without']:.1f} s   (runs: {', '.join(f'{t:.1f}' for t in times['without'])})")
    print(f"ingest (reprints):    {best['with']:.1f} s   (runs: {', '.join(f'{t:.1f}' for t in times['with'])})")
    print(f"added by detection:   {added:+.1%}   (target: at most +20%)")
    print(f"marked: {marked:,} reprints, {exact:,} exact duplicates; {bands:,} band rows stored")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
