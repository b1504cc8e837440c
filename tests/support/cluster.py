"""A real django-q2 `qcluster` in a subprocess, sharing the test database and broker."""
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database this test run uses, for processes started by the test."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Cluster:
    def __init__(self, *, module: str | None = None, env: dict[str, str] | None = None, log: Path):
        # `module` runs a wrapper script (tests.support.slow_cluster) instead of manage.py.
        self.command = [sys.executable, "-m", module] if module else [sys.executable, "manage.py", "qcluster"]
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), **(env or {})}
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Cluster":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole cluster (guard, workers, monitor): nothing gets to clean up."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Graceful stop, as Ctrl-C would: SIGTERM to the guard only, which stops its own
        workers; then SIGKILL for anything left in the group."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self._signal(signal.SIGKILL, wait=5)
        self._log.close()

    def _signal(self, sig: int, wait: float = 10) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
