"""The real web server (gunicorn) in a subprocess, on the test database."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.support.cluster import BASE_DIR, test_database_url, wait_for
from tests.support.ports import free_port



class WebServer:
    def __init__(self, *, log: Path, workers: int = 2, threads: int = 4, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.command = [
            str(Path(sys.executable).parent / "gunicorn"), "storycore.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
        ]  # fmt: skip
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> "WebServer":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
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

    def kill(self) -> None:
        """SIGKILL the master and its workers, as a crash or OOM kill would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        if self.process:
            self.kill()  # whatever is left of the group
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
