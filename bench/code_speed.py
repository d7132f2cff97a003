"""How fast `zzcorpus code` codes a corpus: a 20-code, 500-entry dictionary drawn from the
corpus's own words (the 460 most frequent content words, 20 bigram phrases of them, 10 globs,
10 'substrings': a worst case, every entry common) coded over the whole corpus, both through
the vectorised path the command uses (coding.code_corpus) and article by article in Python
(Codebook.code, the reference), on a sample of the articles.

    python bench/code_speed.py CORPUS.db [--sample 5000]

make_dictionary is also what bench/benchmark.py codes its corpora with.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections import Counter
from pathlib import Path

import numpy as np

CODES, WORDS, PHRASES, GLOBS, SUBSTRINGS = 20, 460, 20, 10, 10


def make_dictionary(db_path, path) -> Path:
    """Write the worst-case dictionary of the corpus at db_path as quanteda YAML to path."""
    from zzcorpus.index import decode_stream

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    stop = set("\n".join(r[0] for r in conn.execute("SELECT value FROM meta WHERE key = 'stopwords'")).split())
    common, content = [], set()
    for word_id, word in conn.execute("SELECT id, word FROM lexicon WHERE is_word = 1 AND length(word) > 1 "
                                      "AND freq > 0 ORDER BY freq DESC, id LIMIT 2000"):
        if word not in stop and "\"" not in word and "'" not in word:
            content.add(word_id)
            if len(common) < WORDS:
                common.append(word)
    words = dict(conn.execute("SELECT id, word FROM lexicon"))
    pairs = Counter()
    for width, blob in conn.execute("SELECT width, stream FROM article_index WHERE counted = 1 LIMIT 3000"):
        ids = decode_stream(blob, width).astype(np.int64)
        keep = np.isin(ids[:-1], list(content)) & np.isin(ids[1:], list(content))
        pairs.update(zip(ids[:-1][keep].tolist(), ids[1:][keep].tolist()))
    conn.close()
    bigrams = [f"{words[a]} {words[b]}" for (a, b), _ in pairs.most_common(PHRASES)]
    entries = common + bigrams + [f"{w[:1]}*" for w in common[:GLOBS]] + \
        [f"'{w}'" for w in common[GLOBS:GLOBS + SUBSTRINGS]]
    codes = {f"c{i:02d}": entries[i::CODES] for i in range(CODES)}
    path = Path(path)
    path.write_text("".join(f"{c}:\n" + "".join(f"  - \"{e}\"\n" for e in es) for c, es in codes.items()),
                    encoding="utf-8")
    return path


def main() -> None:
    import tempfile

    import sqlite_utils

    from zzcorpus import coding

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sample", type=int, default=5000, help="Articles coded one by one in Python.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_dictionary(args.db, Path(tmp) / "d.yml")
        db = sqlite_utils.Database(sqlite3.connect(f"file:{args.db}?mode=ro", uri=True))
        start = time.perf_counter()
        book = coding.load_codebook(db, path)
        compiled = time.perf_counter() - start
    start = time.perf_counter()
    coded, sel = coding.code_corpus(db, book)
    fast = time.perf_counter() - start
    print(f"{sum(len(c.entries) for c in book.dictionary.codes)} entries in {len(book.names)} codes compiled in "
          f"{compiled:.2f} s; {sel.n_articles:,} articles ({sel.n_tokens:,} word tokens) coded in {fast:.2f} s")
    ids = coded.ids[:args.sample].tolist()
    start = time.perf_counter()
    slow = coding.code_all(book, coding.read_articles(db, ids, text=book.needs_text))
    seconds = time.perf_counter() - start
    fast = coded.counts
    same = all(fast.get(a, {}) == slow.get(a, {}) for a in ids)
    print(f"article by article in Python: {len(ids):,} articles in {seconds:.2f} s "
          f"({seconds / max(1, len(ids)) * sel.n_articles:.0f} s for all); the same counts: {same}")


if __name__ == "__main__":
    main()
