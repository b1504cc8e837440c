"""A server the tests start in its own process group: started with its output in a log
file, stopped gracefully or killed with everything it forked."""
import os
import signal
import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


class ServerProcess:
    command: list[str]
    env: dict[str, str]

    def __init__(self, *, log: Path):
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def kill(self, wait: float = 10) -> None:
        """SIGKILL the whole group (the server and what it forked): nothing gets to clean up."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        """Graceful stop, as Ctrl-C would: SIGTERM to the leader, which stops its own
        children; then SIGKILL for anything left in the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill(wait=5)
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
