"""The ingest pipeline: read dumps -> reflow and split pages -> segment -> store.

Records are prepared (split and segmented) in worker processes when there is enough text to
pay for them, and written by this process one batch at a time, one transaction per batch:
a killed run loses at most the batch in flight, and running it again completes it.

Each batch is written under the write lock, and everything it depends on is checked again
under it (the segmenter and dictionary in `meta`, each file's stored state, the lexicon), so a
second writer working at the same time (another ingest, a resegment) either fits in or stops
this one with one line. `meta` is written in the transaction of the first articles it
describes: a run killed at any point leaves a corpus that says how it was cut.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import multiprocessing
import os
import sqlite3
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, index, pages, reprints, scripts, store
from .readers import (Ended, Limits, PassedOver, Record, Skipped, Warned, codec_name, input_size, is_container,
                      layout_of, normalize, read_records)
from .schema import (HEADLINE_FIELDS, PRINTED_FIELDS, check_corpus, checkpoint, db_file, migrate, transaction,
                     tune_char_index)
from .segment import DEFAULT_USERDICT, Segmenter, file_sha256, segment_articles

DEFAULT_STOPWORDS = DEFAULT_USERDICT.parent / "stopwords.txt"
BATCH_BYTES = 4 << 20  # one commit per ~4 MB of input (and per file at least)
PARALLEL_FROM_BYTES = 2 << 20  # below this, worker start-up costs more than it saves
WORKER_NICENESS = 10  # how much lower the workers' priority is than the writer's (_worker_start)


@dataclass
class Summary:
    files: int = 0
    new: int = 0
    replaced: int = 0
    removed: int = 0  # records gone from a changed jsonl/csv file: their articles deleted
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (path, reason)
    warnings: list = field(default_factory=list)  # (path, message): stored, without what could not be read
    passed_over: dict = field(default_factory=dict)  # suffix -> files a folder walk did not read
    articles: int = 0
    bytes: int = 0
    seconds: float = 0.0
    wal_pages: int = 0  # pages only corpus.db-wal holds at the end (a reader kept the checkpoint from finishing)

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


# --- the work done per record (in a worker process when parallel) ---

_segmenter: Segmenter | None = None
# What workers do besides segmenting (set before they fork): fold traditional to simplified for
# segmentation (scripts.fold), fingerprint bodies for reprint detection (reprints.fingerprint).
_work = {"fold": True, "reprints": True}


def _new_segmenter(engine: str, userdicts: tuple, *, fold: bool = True, find_reprints: bool = True) -> None:
    global _segmenter
    _segmenter = Segmenter(engine=engine, userdicts=userdicts)
    _work.update(fold=fold, reprints=find_reprints)




def prepare_record(record: Record, meta: dict) -> list[dict]:
    """Split a record into articles and segment them: everything up to the database rows."""
    year = int(meta["date"][:4]) if (meta.get("date") or "")[:4].isdigit() else None
    text = normalize(record.raw)
    heads = {k: normalize(v) for k, v in record.heads.items() if v}
    if layout_of(record) == "plain":
        found = [pages.plain_article(text, title=record.title and normalize(record.title), **heads)]
    elif record.title is not None:
        found = [pages.clean_article(text, title=normalize(record.title), **heads)]
    else:
        found = pages.split_page(text, year=year)
    return [prepare_article(art, seq, meta) for seq, art in enumerate(found, 1)]


def prepare_article(art: dict, seq: int, meta: dict) -> dict:
    found = {
        "seq": seq, "kind": art["kind"], "title": art["title"], "subtitle": art["subtitle"],
        "kicker": art["kicker"], "byline": art["byline"],
        "bylines": json.dumps(art["bylines"], ensure_ascii=False), "dateline": art["dateline"],
        "body": art["body"],
        "source": meta.get("source"), "date": meta.get("date"), "page": meta.get("page"),
        "date_in_text": art["date_in_text"] or None,
        "chars": len(art["title"]) + len(art["body"]),
        "body_sha256": store.body_sha256(art["body"]),
        "script": scripts.script_of(f"{art['title']}\n{art['body']}"),
    }
    # Here, in the worker; the body's folded letters too, for its fingerprint (_prepare_chunk).
    body_tokens, found["letters"] = store.char_tokens_and_letters(found["body"])
    found["char_tokens"] = [body_tokens if f == "body" else store.char_tokens(found[f]) for f in PRINTED_FIELDS]
    return found


def headline(article: dict) -> str:
    """Kicker, title and subtitle, one paragraph each in printed order: the headline whose words
    reports count with the title's (title_seg)."""
    return "\n".join(article[f] for f in HEADLINE_FIELDS if article.get(f))


def segment(articles: list[dict]) -> index.Chunk:
    """Add title_seg (the headline: kicker, title, subtitle), body_seg and tokens to each article,
    from text folded to simplified unless the corpus keeps scripts apart; return their word index
    arrays."""
    fold = scripts.fold if _work["fold"] else str
    segmented, paragraphs, vocab = segment_articles(_segmenter, [(fold(headline(a)), fold(a["body"] or "")) for a in articles])
    chunk = index.make_chunk(paragraphs, _segmenter.tags, vocab=vocab)
    for art, (title_seg, body_seg), tokens in zip(articles, segmented, chunk.stats.tokens.tolist()):
        art.update(title_seg=title_seg, body_seg=body_seg, tokens=tokens)
    return chunk


def _prepare_chunk(chunk: list[tuple[Record, dict]]) -> tuple[list[list[dict]], index.Chunk, list[str], tuple | None]:
    """Articles per record, segmented, with the chunk's word index arrays, each record's layout
    (decided here, in the worker, unless the command gave it) and the articles' fingerprints
    (reprints.packed_fingerprints, None without reprint detection).

    The long texts (body, body_seg, char_tokens) leave as UTF-8 bytes, which the writer binds as
    they come (store.write_articles): as str they were encoded to be sent, decoded in the writer
    and encoded again to be bound (2-3 CPU-s of the writer's time at 200 MB)."""
    found = [prepare_record(record, meta) for record, meta in chunk]
    arts = [a for articles in found for a in articles]
    packed = None
    folded = [a.pop("letters") for a in arts]
    if _work["reprints"]:
        packed = reprints.packed_fingerprints([a["body"] for a in arts], folded)
    words = segment(arts)
    for a in arts:
        a["body"], a["body_seg"] = a["body"].encode(), a["body_seg"].encode()
        a["char_tokens"] = [t.encode() for t in a["char_tokens"]]
    return found, words, [record.layout for record, _ in chunk], packed


# --- the orchestration (this process owns the database) ---


def record_meta(record: Record, *, source=None, date=None, page=None) -> dict:
    """A jsonl/csv field wins over a command-line option, which wins over the file name."""
    given = {"source": source, "date": date, "page": page}
    return {
        key: getattr(record, key) or given[key] or record.name_meta.get(key)
        for key in ("source", "date", "page")
    }


def check_segmenter(db, *, engine: str, userdict_sha: str, fold: bool = True) -> None:
    """ValueError unless articles cut by engine with these dictionaries may join the stored ones
    (call it under the write lock: only then does the answer hold until the commit)."""
    meta = store.get_meta(db)
    if not db.execute("SELECT 1 FROM articles LIMIT 1").fetchone():
        return
    stored_fold = meta.get("fold", "t2s") != "none"
    if stored_fold != fold:
        raise ValueError(
            f"this database's words were {'folded to simplified' if stored_fold else 'kept in their own script (--no-fold)'}: "
            f"ingest {'without' if stored_fold else 'with'} --no-fold, or run `zzcorpus resegment "
            f"{'--no-fold' if fold is False else '--fold'}` first"
        )
    if meta.get("segmenter") and meta["segmenter"] != engine:
        raise ValueError(
            f"this database was segmented with {meta['segmenter']}: ingest with --engine {meta['segmenter']}, "
            f"or run `zzcorpus resegment --engine {engine}` first"
        )
    if meta.get("userdict_sha256") is not None and meta["userdict_sha256"] != userdict_sha:
        raise ValueError(
            "this database was segmented with another user dictionary: run `zzcorpus resegment --userdict FILE` first"
        )


def _userdicts(userdict, no_userdict: bool = False) -> tuple:
    """The user dictionaries to load: the built-in one (unless no_userdict) and the user's."""
    return (() if no_userdict else (str(DEFAULT_USERDICT),)) + ((str(userdict),) if userdict else ())


def _dict_sha(userdicts) -> str:
    return "+".join(file_sha256(p)[:16] for p in userdicts)


def _read_otherwise(db, doc_id: int, record: Record) -> bool:
    """Was the stored document decoded or laid out otherwise than this reading of it?"""
    encoding, layout = db.execute("SELECT encoding, layout FROM documents WHERE id = ?", [doc_id]).fetchone()
    if (encoding and codec_name(encoding)) != (record.encoding and codec_name(record.encoding)):
        return True
    return (layout or "page") != layout_of(record)  # documents stored before layouts existed were pages


def ingest(db, paths, *, engine="rjieba", userdict=None, encoding=None, text_field="text",
           source=None, date=None, page=None, jobs=None, batch_bytes=BATCH_BYTES,
           layout="auto", force=False, limits: Limits = Limits(), on_progress=None, on_skip=None,
           on_warn=None, no_userdict=False, fold=True,
           similarity: float | None = reprints.DEFAULT_SIMILARITY) -> Summary:
    """Read, split, segment and store every record under paths; return what happened.

    A file stored before is read again when its bytes changed, when it now decodes or lays out
    otherwise (`encoding`, `layout`, or better detection), or with `force`; its articles are
    replaced, never doubled; a changed jsonl/csv file replaces all of its records at once.

    limits: how far archives may expand (readers.Limits); no_userdict: segment with the engine's
    dictionary alone (plus `userdict`); fold=False keeps each script's own words (an ingest-time
    choice, recorded in meta); similarity: mark new articles at least this like an earlier one as
    its reprints (None: look for none)."""
    if similarity is not None:
        reprints.check_similarity(similarity)
    started = time.perf_counter()
    check_corpus(db)  # before WAL mode or any table touches a file that is not ours
    if not db.execute("PRAGMA page_count").fetchone()[0]:
        # A new file (only then can it be set): pages freed while writing (postings blocks
        # merged, index segments merged) are given back at the end of each ingest instead of
        # staying in the file, empty.
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    # WAL lets `datasette corpus.db` read while we write; NORMAL sync is still safe against a
    # killed process (only a power cut can lose the last commits); a fixed 128 MB page cache
    # keeps memory flat whatever the corpus size, and at 200 MB costs 5-10 % less time than
    # 32 MB (fewer postings and index pages read back before they are rewritten).
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -131072")
    # Copy the log into the file every 64 MB rather than every 4 MB: each copy syncs the file,
    # and the last one, at the end, leaves corpus.db complete anyway.
    db.execute("PRAGMA wal_autocheckpoint = 16384")
    migrate(db)
    userdicts = _userdicts(userdict, no_userdict)
    dict_sha = _dict_sha(userdicts)
    with transaction(db):  # fail early, before any reading (each batch checks again under its lock)
        check_segmenter(db, engine=engine, userdict_sha=dict_sha, fold=fold)
        tune_char_index(db)
    _new_segmenter(engine, userdicts, fold=fold, find_reprints=similarity is not None)
    summary = Summary()
    incoming = input_size(paths)
    if jobs is None:
        jobs = min(2, os.cpu_count() or 1) if incoming >= PARALLEL_FROM_BYTES else 1
    # Forked workers inherit the fresh segmenter just made (its dictionary loads once), and live
    # for one ingest. concurrent.futures rather than multiprocessing.Pool: a worker that dies
    # (killed for memory) fails the ingest where a Pool would wait for its chunk for ever, and
    # its results are read without Pool's worker thread spinning while they are in the pipe
    # (0.15 CPU-s per 20 MB).
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_start) if jobs > 1 else None

    def skip(path, reason, size=0):
        summary.skipped.append((path, reason))
        summary.bytes += size
        if on_skip:
            on_skip(path, reason)
        if on_progress:
            on_progress(size)

    def limit(done: int) -> int:
        """Smaller batches first and last when workers prepare one batch while this process
        writes the one before: the first is waited for with nothing to write, the last written
        with nothing to prepare. (Archives hold more than their stored size: past it, full batches.)"""
        left = incoming - done
        floor = batch_bytes // 4 if done else batch_bytes // 16  # the first is waited for alone: 256 KB
        return max(floor, min(batch_bytes, done, left // 2 if left > 0 else batch_bytes)) if pool else batch_bytes

    def batches():
        """Lists of (record, meta) and of Ended files; a file's records and its end are
        never split between two batches (one transaction per file at least)."""
        batch, ended, size, done = [], [], 0, 0
        for item in read_records(paths, encoding=encoding, text_field=text_field, layout=layout, limits=limits):
            if isinstance(item, Skipped):
                skip(item.path, item.reason, item.bytes)
                continue
            if isinstance(item, PassedOver):
                summary.passed_over[item.suffix] = summary.passed_over.get(item.suffix, 0) + 1
                continue
            if isinstance(item, Warned):
                summary.warnings.append((item.path, item.message))
                if on_warn:
                    on_warn(item.path, item.message)
                continue
            if isinstance(item, Ended):
                ended.append(item)
            else:
                summary.files += 1
                state = store.document_state(db, item.path)
                if state and state[1] == item.sha256 and not force and not _read_otherwise(db, state[0], item):
                    summary.unchanged += 1
                    summary.bytes += item.bytes
                    if on_progress:
                        on_progress(item.bytes)
                    continue
                batch.append((item, record_meta(item, source=source, date=date, page=page)))
                size += item.bytes
                if is_container(item.path):
                    continue  # its Ended comes after its last record
            if size >= limit(done):
                yield batch, ended
                batch, ended, done, size = [], [], done + size, 0
        if batch or ended:
            yield batch, ended

    def prepared(batch) -> list[Future]:
        work = list(batch)
        if not work:
            return []
        if not pool:
            done = Future()
            done.set_result(_prepare_chunk(work))
            return [done]
        # One chunk per worker: a chunk's vocabulary (its distinct tokens, tagged, flagged, sent
        # and looked up in the lexicon by this process) is work per chunk, and the chunks of a
        # batch share most of their words. A worker done first takes the next batch's chunk.
        size = max(1, -(-len(work) // jobs))
        return [pool.submit(_prepare_chunk, work[i : i + size]) for i in range(0, len(work), size)]

    writer = _Writer(db, engine, userdicts, dict_sha, fold=fold, similarity=similarity)
    collecting = gc.isenabled()
    gc.disable()  # as in the workers: the batches in flight hold millions of fresh strings
    try:
        pending = None
        for batch, ended in batches():
            # Keep one batch in the workers while this process writes the previous one.
            job = (batch, ended, prepared(batch))
            if pending:
                writer.write(*pending, summary, on_progress)
            pending = job
        if pending:
            writer.write(*pending, summary, on_progress)
        writer.memory = None  # the first printings it kept (up to ~150 MB): the end's to use
        path = db_file(db)
        if pool and path != ":memory:":  # a worker copies the log into the file meanwhile
            pool.submit(_copy_log, path)
        with transaction(db):
            # The workers move the pending postings in while this process moves the band keys.
            index.finish(db, pool=pool, meanwhile=lambda: reprints.move_pending_bands(db))
            if summary.replaced or summary.removed:
                index.prune_lexicon(db)
            if summary.new or summary.replaced:
                writer.claim()
                store.set_meta(db, zzcorpus_version=__version__, updated_at=store.now())
            if similarity is not None:
                store.set_meta(db, reprint_similarity=str(similarity))
    except BrokenProcessPool:  # met outside any batch's transaction, or rolling the end's back
        raise WorkerLost("a worker process ended before its work was done (killed for lack of memory?): the "
                         "batches before are stored; run the same command again to finish, or with --jobs 1") from None
    finally:
        if pool:
            pool.shutdown(wait=False, cancel_futures=True)
        if collecting:
            gc.enable()
    _give_back_free_pages(db)
    summary.wal_pages = checkpoint(db)
    summary.seconds = time.perf_counter() - started
    return summary


def _copy_log(path: str) -> None:
    """Copy the write-ahead log's committed pages into the database file, by a connection of
    this process's own: a passive checkpoint, which neither waits for the writer nor blocks it,
    so that the checkpoint of the end's commit (and the ingest's last) copies only what came
    after (0.15 -> 0.08 s at 20 MB)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _worker_start() -> None:
    """A worker makes no cycles worth collecting: the collector's passes over millions of fresh
    token strings cost a fifth of the run. It runs at a lower priority than this process, which
    writes every batch alone: where the workers and the writer share too few cores, the
    writer's time is the ingest's (at 70 MB on two cores, 10 % less time with reprint detection,
    3 % less without)."""
    gc.disable()
    os.nice(WORKER_NICENESS)


# glibc's malloc hands big freed blocks back to the kernel: an array past its threshold (128 KB at
# first, rising to 32 MB) is a mapping of its own, and the heap's free top is trimmed, so the next
# batch's arrays fault fresh zeroed pages in again (340,000 faults at 20 MB, 2.3 M at 200 MB).
KEPT_FREE = 128 << 20
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters


def keep_freed_memory() -> bool:
    """Have this process, and the workers it forks, keep freed memory for their next arrays: blocks
    up to KEPT_FREE / 2 come from the heap, whose free top is given back past KEPT_FREE. For a
    process that ends with its ingest (the command's). Whether the C library took it (glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return mallopt(M_MMAP_THRESHOLD, KEPT_FREE // 2) == 1 and mallopt(M_TRIM_THRESHOLD, KEPT_FREE) == 1


def _give_back_free_pages(db) -> None:
    """Cut the pages this ingest freed off the end of the file (a file made with auto_vacuum =
    incremental; nothing to do in an older one). A script, because the pragma frees one page a
    step and only a script steps it to the end; a busy file keeps them for next time."""
    if not db.execute("PRAGMA freelist_count").fetchone()[0]:
        return
    try:
        db.conn.executescript("BEGIN IMMEDIATE; PRAGMA incremental_vacuum; COMMIT;")
    except sqlite3.OperationalError:
        if db.conn.in_transaction:
            db.conn.rollback()


class WorkerLost(ValueError):
    """A worker process of the ingest ended before its work was done."""


class _Writer:
    """Writes prepared batches, each in one transaction that holds the write lock from before
    its checks to its commit."""

    def __init__(self, db, engine, userdicts, dict_sha, *, fold=True, similarity=None):
        self.db, self.engine, self.userdicts, self.dict_sha = db, engine, userdicts, dict_sha
        self.fold, self.similarity = fold, similarity
        self.lexicon = index.Lexicon(db)
        self.seen = self._data_version()
        # First printings met, for the batches after theirs (every band row, when none was stored).
        self.memory = reprints.Memory(all_bands=reprints.none_stored(db))

    def _data_version(self) -> int:
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def claim(self) -> None:
        """Under the lock: the stored articles were cut as ours are, and meta says so."""
        check_segmenter(self.db, engine=self.engine, userdict_sha=self.dict_sha, fold=self.fold)
        meta = store.get_meta(self.db)
        if (meta.get("segmenter") != self.engine or meta.get("userdict_sha256") != self.dict_sha
                or meta.get("fold") != ("t2s" if self.fold else "none")):
            _record_segmenter(self.db, self.engine, self.userdicts, self.fold)

    def write(self, batch, ended, job, summary, on_progress) -> None:
        db = self.db
        chunks = [chunk.result() for chunk in job]
        results = [articles for found, _, _, _ in chunks for articles in found]
        for (record, _), layout in zip(batch, (layout for _, _, layouts, _ in chunks for layout in layouts)):
            record.layout = layout  # decided by the worker
        for found, _, _, packed in chunks:
            if packed is not None:
                arts = [a for articles in found for a in articles]
                for art, fp in zip(arts, reprints.unpacked(packed, len(arts))):
                    art["fingerprint"] = fp
        with transaction(db):
            if self._data_version() != self.seen:  # another process wrote since our last commit
                self.lexicon = index.Lexicon(db)
                self.memory = reprints.Memory()  # it may have deleted first printings
            self.claim()
            # Each file's state as it is now, under the lock (another writer may have stored it).
            states = [store.document_state(db, record.path) for record, _ in batch]
            replaced = [state[0] for state in states if state]
            gone = _gone_records(db, ended)
            orphans = []
            if replaced or gone:  # their reprints are looked at again once the new text is in
                marks = ','.join('?' * len(replaced + gone))
                orphans = reprints.forget(db, [r[0] for r in db.execute(
                    f"SELECT id FROM articles WHERE document_id IN ({marks})", replaced + gone)], self.memory)
            hashes = store.delete_articles(db, f"document_id IN ({','.join('?' * len(replaced + gone))})",
                                           replaced + gone) if replaced or gone else []
            if gone:
                db.execute(f"DELETE FROM documents WHERE id IN ({','.join('?' * len(gone))})", gone)
            articles = []
            for (record, meta), state, found in zip(batch, states, results):
                doc_id = store.write_document(db, record, meta, replace_id=state[0] if state else None)
                for art in found:
                    art["document_id"] = doc_id
                articles += found
            store.mark_duplicates(db, hashes)  # stored articles that pointed at deleted ones
            # The new articles' marks are decided before their rows are written (once, with them).
            store.number_articles(db, articles)
            changed = []
            if self.similarity is not None:  # before the new articles are counted, so reprints never are
                fps = {a["id"]: a.get("fingerprint") for a in articles}
                fps.update({o: None for o in orphans})
                changed = reprints.mark(db, fps, similarity=self.similarity, memory=self.memory,
                                        new={a["id"]: a for a in articles},
                                        meanwhile=lambda: store.index_chars(db, articles))
            else:
                store.index_chars(db, articles)
            store.write_articles(db, articles)
            if changed or orphans:
                index.recount(db, changed + orphans)
            if chunks:  # a batch may hold only the ends of files (their gone records deleted above)
                index.write(db, self.lexicon, [a["id"] for a in articles],
                            [(a["source"], a["date"]) for a in articles], [chunk for _, chunk, _, _ in chunks],
                            counted=store.counted(db, articles))
        self.seen = self._data_version()
        summary.replaced += len(replaced)
        summary.removed += len(gone)
        summary.new += len(batch) - len(replaced)
        summary.articles += len(articles)
        for record, _ in batch:
            summary.bytes += record.bytes
            if on_progress:
                on_progress(record.bytes)


def _gone_records(db, ended) -> list[int]:
    """Stored documents of these files (`data.jsonl#7`) that their new reading no longer has."""
    gone = []
    for end in ended:
        kept = set(end.parts)
        # '#' then '$': the range of paths `file#...`, found through the unique index on path
        gone += [i for i, path in db.execute("SELECT id, path FROM documents WHERE path = ? OR (path > ? AND path < ?)",
                                             [end.path, end.path + "#", end.path + "$"]) if path not in kept]
    return gone


def resegment(db, *, engine=None, userdict=None, batch_size=2000, no_userdict=False, fold=None) -> int:
    """Segment every stored article's clean text again; rewrite its tokens and the word index.

    fold: True folds traditional to simplified, False keeps each script's words, None keeps
    the corpus's choice. One transaction: a killed resegment leaves the previous segmentation
    intact.
    """
    migrate(db)
    userdicts = _userdicts(userdict, no_userdict)
    tags = {}
    with transaction(db):  # the lock before reading which engine and articles there are
        engine = engine or store.get_meta(db).get("segmenter") or "rjieba"
        if fold is None:
            fold = store.get_meta(db).get("fold", "t2s") != "none"
        _new_segmenter(engine, userdicts, fold=fold)
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
        for i in range(0, len(ids), batch_size):
            chunk = ids[i : i + batch_size]
            articles = [dict(r) for r in db.query(
                f"SELECT id, {', '.join(HEADLINE_FIELDS)}, body FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
            tags.update(segment(articles).tags)
            db.conn.executemany(
                "UPDATE articles SET title_seg = :title_seg, body_seg = :body_seg, tokens = :tokens WHERE id = :id",
                articles,
            )
        index.build(db, tags=tags)
        _record_segmenter(db, engine, userdicts, fold)
        db.execute("DELETE FROM meta WHERE key = 'headline_tokens'")  # every headline field is counted now
    return len(ids)


def _record_segmenter(db, engine, userdicts, fold=True) -> None:
    """meta: how the stored articles were cut (and, once, the stopwords reports leave out)."""
    store.set_meta(
        db, segmenter=engine, fold="t2s" if fold else "none", segmenter_version=_segmenter.version,
        userdict_sha256=_dict_sha(userdicts), userdicts=json.dumps([Path(p).name for p in userdicts]),
        userdict_text="\n".join(Path(p).read_text(encoding="utf-8") for p in userdicts),
        zzcorpus_version=__version__, updated_at=store.now(),
    )
    if "stopwords" not in store.get_meta(db):
        store.set_meta(db, stopwords=DEFAULT_STOPWORDS.read_text(encoding="utf-8"),
                       stopwords_sha256=file_sha256(DEFAULT_STOPWORDS))
