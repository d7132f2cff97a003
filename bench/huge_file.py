"""Peak memory and time to ingest one huge file without line breaks, beside a page-dump corpus
of the same size (bench/benchmark.py's), each as a whole `zzcorpus ingest` process.

    python bench/huge_file.py [--mb 200] [--no-compare] [--keep DIR]

The single-line file is the seed pages' text with every line break removed, repeated up to
--mb megabytes: a dump whose pages lost their line breaks, the worst case for reflow,
splitting, segmenting and the character index.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
SEEDS = sorted((ROOT / "seeds").glob("[0-9][0-9][0-9]_*.txt"))


def make_single_line(path: Path, mb: float) -> int:
    text = "".join(re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in SEEDS).encode()
    written = 0
    with open(path, "wb") as f:
        while written < mb * 1e6:
            f.write(text)
            written += len(text)
    return written


def ingest(target: Path, db: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of the ingest and its worker processes, last line of output)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "zzcorpus", "ingest", str(target), "--db", str(db)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out.strip().splitlines()[-1] if out else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200)
    ap.add_argument("--no-compare", action="store_true", help="Only the single-line file.")
    ap.add_argument("--keep", type=Path, help="Work here and keep the files.")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="zz-huge-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        line = work / "oneline.txt"
        size = make_single_line(line, args.mb)
        seconds, rss, out = ingest(line, work / "oneline.db")
        print(f"single line {size / 1e6:.0f} MB: {seconds:.1f} s, peak RSS {rss:.0f} MB ({out})")
        if not args.no_compare:
            from benchmark import make_corpus

            pages = work / "pages"
            size = make_corpus(pages, args.mb)
            seconds, rss_pages, out = ingest(pages, work / "pages.db")
            print(f"page dumps  {size / 1e6:.0f} MB: {seconds:.1f} s, peak RSS {rss_pages:.0f} MB ({out})")
            print(f"single line / page dumps peak RSS: {rss / rss_pages:.2f}x (target: within 2x)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
