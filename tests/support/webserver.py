"""The real web server (gunicorn) in a subprocess, on the test database."""
import os
import sys
from pathlib import Path

import requests

from tests.support.cluster import test_database_url, wait_for
from tests.support.ports import free_port
from tests.support.process import ServerProcess


class WebServer(ServerProcess):
    def __init__(self, *, log: Path, workers: int = 2, threads: int = 4, env: dict[str, str] | None = None):
        super().__init__(log=log)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(Path(sys.executable).parent / "gunicorn"), "storycore.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
        ]  # fmt: skip
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), **(env or {})}

    def start(self) -> "WebServer":
        super().start()
        try:
            wait_for(self._answers, timeout=30, what=f"gunicorn on {self.url}")
        except AssertionError:
            self.stop()  # never leave a half-started server behind
            raise AssertionError(f"gunicorn did not answer on {self.url}:\n{self.output()}") from None
        return self

    def _answers(self) -> bool:
        try:
            # A fresh worker's first request imports the whole app: give it time on a busy machine.
            return requests.get(f"{self.url}/api/automation/health", timeout=10).status_code in (200, 503)
        except (requests.ConnectionError, requests.Timeout):
            return False
