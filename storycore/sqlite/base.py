"""Django's SQLite backend, with writers queued on a file lock instead of SQLite's busy wait.

SQLite lets one writer in at a time. A connection that finds the write lock taken waits in
SQLite's busy handler, which sleeps in growing steps (1, 2, 5, 10, ... up to 100 ms) and
checks again: under load, with gunicorn's threads and the worker cluster all writing, a
write of a millisecond made requests wait 100-700 ms (bench/CHANGES.md).

Here every transaction (an `atomic` block: BEGIN IMMEDIATE, so a writer) first takes its
turn: threads of one process queue on a lock that hands over at once, and the first in
line takes an exclusive lock on a file beside the database, which the other processes
take too (checked again every millisecond, up to the busy timeout). Whoever holds it is
the only connection of the service starting a write transaction, so its BEGIN almost
never waits. The turn ends with the transaction (commit, rollback, or the connection
closing), and with the process if it dies. Single statements outside a transaction are
queued only inside `write_turn()`; others wait in SQLite's busy handler, as before. Unix
only (fcntl.flock).
"""
import fcntl
import os
import threading
import time
import weakref
from contextlib import contextmanager

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.base import Database
from django.db.utils import OperationalError
from django.utils.functional import cached_property

POLL_SECONDS = 0.001
CHECKPOINT_BYTES = 4 * 1024 * 1024  # SQLite's default threshold: 1,000 pages of 4 KiB
BACKSTOP_CHECKPOINT_PAGES = 10_000
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()
_wrappers: "weakref.WeakSet[DatabaseWrapper]" = weakref.WeakSet()
_checkpointed_at: dict[str, int] = {}  # WAL path -> its size at this process's last checkpoint


def _process_lock(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


def _forget_turns_in_child() -> None:
    """A forked child holds none of its parent's turns: the parent's thread locks may be
    taken, and a file lock belongs to the open file the child shares with its parent."""
    global _process_locks_guard
    _process_locks.clear()
    _process_locks_guard = threading.Lock()
    for wrapper in list(_wrappers):
        if wrapper._writer_lock_fd is not None:
            os.close(wrapper._writer_lock_fd)  # the parent's own descriptor keeps its lock
        wrapper._writer_lock_fd = None
        wrapper._writer_lock_held = False


os.register_at_fork(after_in_child=_forget_turns_in_child)


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock_fd: int | None = None
    _writer_lock_path = ""
    _writer_lock_held = False

    def _start_transaction_under_autocommit(self):
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Checkpoints run after a writer's turn (_checkpoint_now_and_then), not inside it;
        # SQLite's own, ten times later, only backs that up for single-statement writes (they
        # have no turn). A WAL checkpointed whole starts again from an empty file, so its size
        # says how much is waiting.
        connection.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES}")
        connection.execute("PRAGMA journal_size_limit = 0")
        return connection

    def _commit(self):
        try:
            committed = super()._commit()
        finally:
            self._release_writer_lock()
        self._checkpoint_now_and_then()
        return committed

    def _checkpoint_now_and_then(self) -> None:
        """Copy the WAL back into the database each time it has grown by CHECKPOINT_BYTES.

        SQLite's own automatic checkpoint (at the same size) runs inside the commit that
        crosses it, so with the queue every waiting writer waited for that checkpoint's disk
        flushes. This one runs once the turn is given back, and PASSIVE: it copies what no
        reader still needs, waiting for nobody, while the next writer appends to the WAL.
        Under load a reader nearly always holds a snapshot, so the WAL seldom starts again
        from empty and stays above the threshold: counted from the last checkpoint, not
        from zero, the check does not turn every commit into a checkpoint (with its two
        disk flushes, copying the same hot pages again; 27 per 300 requests before)."""
        try:
            size = os.stat(self._wal_path).st_size
        except (FileNotFoundError, TypeError):
            return  # not in WAL mode, or an in-memory database
        last = _checkpointed_at.get(self._wal_path, 0)
        if size < last:
            # The WAL started again from an empty file. (One that also grew past `last`
            # before this process looked passes for the same WAL: its checkpoint comes at
            # most one threshold late.)
            last = 0
        if size - last < CHECKPOINT_BYTES:
            return
        _checkpointed_at[self._wal_path] = size
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Database.OperationalError:
            pass  # another connection is checkpointing: it does the work

    @cached_property
    def _wal_path(self) -> str | None:
        return None if self.is_in_memory_db() else f"{self.settings_dict['NAME']}-wal"

    @contextmanager
    def write_turn(self):
        """Hold the writer's turn for statements run outside a transaction, each of which
        SQLite commits by itself (otherwise they wait in its busy handler). A write that is
        one statement needs no BEGIN and COMMIT of its own: run this way, the turn covers one
        call into SQLite, during which the thread needs no GIL, where a transaction also
        held it while the thread waited for the GIL after BEGIN, after the statement and
        after COMMIT. Inside a transaction it changes nothing (the transaction has the turn)."""
        if self.in_atomic_block or self._writer_lock_held:
            yield
            return
        self._acquire_writer_lock()
        try:
            yield
        finally:
            self._release_writer_lock()
        self._checkpoint_now_and_then()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
            if self._writer_lock_fd is not None:
                os.close(self._writer_lock_fd)
                self._writer_lock_fd = None

    def writer_lock_path(self) -> str | None:
        """The lock file beside the database (its real path: every process that opens the
        database, by whatever path, shares it); none for an in-memory database."""
        if self.is_in_memory_db():
            return None
        return f"{os.path.realpath(self.settings_dict['NAME'])}-writer.lock"

    def _acquire_writer_lock(self) -> None:
        if self._writer_lock_held:
            return
        if self._writer_lock_fd is None:
            path = self.writer_lock_path()
            if path is None:
                return
            self._writer_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._writer_lock_path = path
            _wrappers.add(self)
        timeout = self.settings_dict["OPTIONS"].get("timeout", 5)
        deadline = time.monotonic() + timeout
        # Threads of one process queue on a lock that wakes the next one at once; only the
        # first in line polls the file lock, which the other processes take.
        in_process = _process_lock(self._writer_lock_path)
        if not in_process.acquire(timeout=timeout):
            raise OperationalError(f"database is locked (no write turn within {timeout} s)")
        try:
            while True:
                try:
                    fcntl.flock(self._writer_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OperationalError(f"database is locked (no write turn within {timeout} s)") from None
                    time.sleep(POLL_SECONDS)
        except BaseException:
            in_process.release()
            raise
        self._writer_lock_held = True

    def _release_writer_lock(self) -> None:
        if self._writer_lock_held:
            self._writer_lock_held = False
            fcntl.flock(self._writer_lock_fd, fcntl.LOCK_UN)
            _process_lock(self._writer_lock_path).release()
