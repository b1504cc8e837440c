"""The real servers the benchmark drives: gunicorn and a django-q2 cluster, in subprocesses
on the database the calling process uses (the benchmark's own, or a test run's)."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
WEB_WORKERS = 2
WEB_THREADS = 4


def database_url() -> str:
    """The URL of the database this process uses, for the processes it starts."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env() -> dict[str, str]:
    """The caller's environment, pointed at its database, broker and cluster name."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": database_url()}
    env["STORYCORE_CLUSTER_NAME"] = settings.Q_CLUSTER["name"]
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    command: list[str]

    def __init__(self, *, log: Path):
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, env=subprocess_env(), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        """SIGTERM to the leader (a graceful stop), then SIGKILL whatever is left of the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class Gunicorn(Server):
    """The product's web server as bin/run starts it (2 workers x 4 threads, --reuse-port)."""

    def __init__(self, *, log: Path, workers: int = WEB_WORKERS, threads: int = WEB_THREADS):
        super().__init__(log=log)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(Path(sys.executable).parent / "gunicorn"), "storycore.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "60", "--reuse-port",
        ]  # fmt: skip

    def start(self) -> "Gunicorn":
        super().start()
        try:
            return self._wait_until_it_answers()
        except BaseException:
            self.stop()  # never leave a server behind when start-up fails
            raise

    def _wait_until_it_answers(self) -> "Gunicorn":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                # Any answer will do; the baseline's GET is refused before touching anything.
                requests.get(f"{self.url}/bench/baseline", timeout=10)
                return self
            except requests.RequestException:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start; see {self.log_path}")


class QCluster(Server):
    """One `manage.py qcluster`, with the product's cluster settings."""

    def __init__(self, *, log: Path):
        super().__init__(log=log)
        self.command = [sys.executable, "manage.py", "qcluster"]


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
