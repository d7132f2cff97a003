"""How fast coding.py codes articles, without the database: a 20-code, 500-entry dictionary
(words, globs, phrases, substrings drawn from the seed corpus) over the seed articles repeated to
100,000 articles. Usage: python bench/code_speed.py [corpus.db made from seeds/] [articles]"""

import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from zzcorpus.coding import Codebook
from zzcorpus.dictionaries import load_dictionary
from zzcorpus.segment import DEFAULT_USERDICT, Segmenter, is_word


def main(db_path: str, n: int = 100_000) -> None:
    conn = sqlite3.connect(db_path)
    arts = []
    for t, b, title, body in conn.execute("SELECT title_seg, body_seg, title, body FROM report_articles"):
        seg = "\n".join(s for s in (t, b) if s)
        arts.append(([p.split(" ") for p in seg.split("\n") if p], "\n".join(x for x in (title, body) if x)))
    stop = {r[0] for r in conn.execute("SELECT value FROM meta WHERE key = 'stopwords'")}
    stop = set("\n".join(stop).split())
    content = lambda w: is_word(w) and len(w) > 1 and w not in stop  # noqa: E731
    words = Counter(w for paragraphs, _ in arts for p in paragraphs for w in p if content(w))
    common = [w for w, _ in words.most_common(460)]  # the most frequent words: a worst case
    bigrams = Counter((p[i], p[i + 1]) for paragraphs, _ in arts for p in paragraphs for i in range(len(p) - 1)
                      if content(p[i]) and content(p[i + 1]))
    entries = common + [f"{a} {b}" for (a, b), _ in bigrams.most_common(20)] + \
        [f"{w[:1]}*" for w in common[:10]] + [f"'{w}'" for w in common[10:20]]
    codes = {f"c{i:02d}": entries[i::20] for i in range(20)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.yml"
        path.write_text("".join(f"{c}:\n" + "".join(f"  - \"{e}\"\n" for e in es) for c, es in codes.items()),
                        encoding="utf-8")
        cut = Segmenter(userdicts=(str(DEFAULT_USERDICT),)).cut
        start = time.perf_counter()
        book = Codebook(load_dictionary(path), cut=cut)
        compiled = time.perf_counter() - start
    tokens = 0
    start = time.perf_counter()
    for k in range(n):
        paragraphs, text = arts[k % len(arts)]
        book.code(paragraphs, text)
        tokens += sum(map(len, paragraphs))
    seconds = time.perf_counter() - start
    print(f"{len(entries)} entries in {len(codes)} codes compiled in {compiled:.2f} s; {n:,} articles "
          f"({tokens:,} tokens) coded in {seconds:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
