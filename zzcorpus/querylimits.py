"""Time limits and Ctrl-C for reading commands: SQLite's progress handler stops a query that
runs past its time, or that Ctrl-C interrupted, and the command ends with one line.

SQLite runs a statement in C, where Python never sees a signal until it returns, so a runaway
query (a recursive CTE in --where) would ignore Ctrl-C; the progress handler is called every
few thousand steps of every statement on the connection and asks SQLite to stop.

Every function takes the sqlite-utils Database first and never opens a connection.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from contextlib import contextmanager

DEFAULT_TIMEOUT = 60.0  # seconds: far above any report on a large corpus, far below "hung"
STEPS = 20_000  # SQLite virtual machine steps between checks: well under a millisecond


class Stopped(ValueError):
    """A query stopped by its time limit (exit status 1) or by Ctrl-C (130)."""

    def __init__(self, message: str, *, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


_limits: dict[int, dict] = {}  # id(connection) -> {"deadline", "seconds", "why"}


def set_time_limit(db, seconds: float) -> None:
    """Stop any statement on db that runs past `seconds` from now (or after Ctrl-C)."""
    if not seconds or seconds <= 0:
        raise ValueError(f"--timeout must be a number of seconds > 0, got {seconds!r}")
    state = {"deadline": time.monotonic() + seconds, "seconds": seconds, "why": None}
    _limits[id(db.conn)] = state

    def progress():
        if _interrupted.is_set():
            state["why"] = "interrupted"
        elif time.monotonic() > state["deadline"]:
            state["why"] = "timeout"
        return 1 if state["why"] else 0

    db.conn.set_progress_handler(progress, STEPS)


def raise_if_stopped(error: sqlite3.Error) -> None:
    """Turn SQLite's `interrupted` into a Stopped that says why (Ctrl-C or which time limit);
    anything else is left alone."""
    if "interrupt" not in str(error):
        return
    if _interrupted.is_set():
        raise Stopped("interrupted (Ctrl-C)", exit_code=130) from None
    for state in _limits.values():
        if state["why"] == "timeout":
            raise Stopped(f"stopped after {state['seconds']:g} s: the query ran past its time limit "
                          "(--timeout SECONDS allows more; check --where)") from None


_interrupted = threading.Event()


@contextmanager
def catching_ctrl_c():
    """While inside: Ctrl-C marks every limited query to stop at its next check, and interrupts
    Python code as usual (KeyboardInterrupt). Only the main thread may own signals; elsewhere
    (a Datasette worker) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _interrupted.clear()

    def on_sigint(signum, frame):
        _interrupted.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupted.clear()
