"""Files for other tools: the document-feature matrix as Matrix Market with its row and column
labels (R: Matrix::readMM, quanteda::as.dfm; Python: scipy.io.mmread), or as a long CSV."""

from __future__ import annotations

import csv
from pathlib import Path

FORMATS = ("mtx", "csv")


def dfm_format(path) -> str:
    """'mtx' or 'csv' from the file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"--out {Path(path).name}: choose a .mtx or .csv file")
    return suffix


def write_dfm(path, ids, features, matrix, *, meta: dict) -> list[Path]:
    """Write the matrix by the suffix of path: NAME.mtx with NAME.rows.tsv (article_id, source,
    date, title) and NAME.cols.tsv (word, pos), or NAME.csv (article_id, word, count). meta:
    article id -> (source, date, title). Returns the files written."""
    from scipy import io

    path = Path(path)
    if dfm_format(path) == "csv":
        coo = matrix.tocoo()
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["article_id", "word", "count"])
            for r, c, v in sorted(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist())):
                out.writerow([ids[r], features[c][0], v])
        return [path]
    io.mmwrite(str(path), matrix, comment="zzcorpus dfm: rows in .rows.tsv, columns in .cols.tsv", field="integer")
    rows, cols = path.with_suffix(".rows.tsv"), path.with_suffix(".cols.tsv")
    with rows.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="\t", lineterminator="\n")
        out.writerow(["article_id", "source", "date", "title"])
        out.writerows([a, *meta.get(a, (None, None, None))] for a in ids)
    with cols.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="\t", lineterminator="\n")
        out.writerow(["word", "pos"])
        out.writerows(features)
    return [path, rows, cols]


def article_meta(db, ids) -> dict:
    """article id -> (source, date, title)."""
    out = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update((r[0], tuple(r[1:])) for r in db.execute(
            f"SELECT id, source, date, title FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
    return out
