"""A real django-q2 `qcluster` in a subprocess, sharing the test database and broker."""
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# The URL of the database this test run uses, for the processes a test starts (the same
# helper the benchmark uses for its servers).
from bench.stack import database_url as test_database_url
from tests.support.process import ServerProcess


class Cluster(ServerProcess):
    """`manage.py qcluster`; `module` runs a wrapper script (tests.support.slow_cluster) instead."""

    def __init__(self, *, module: str | None = None, env: dict[str, str] | None = None, log: Path):
        super().__init__(log=log)
        self.command = [sys.executable, "-m", module] if module else [sys.executable, "manage.py", "qcluster"]
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), **(env or {})}


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
