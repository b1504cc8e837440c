"""Small real HTTP servers for the client's failure paths: one that never answers, one
that answers a fixed error, and a proxy that loses the first answers it relays."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class _Server:
    def __init__(self):
        self.requests: list[dict] = []  # {"method", "path", "headers", "body"}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        raise NotImplementedError

    def _handler(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                owner.handle(self, self.command, body)

            do_GET = do_POST = do_DELETE = _any

        return Handler


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, headers: dict | None = None):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class HangingServer(_Server):
    """Accepts every request and never answers (until the test ends)."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def handle(self, handler, method, body):
        self.release.wait(30)

    def __exit__(self, *exc):
        self.release.set()
        super().__exit__(*exc)


class ErrorServer(_Server):
    """Answers every request with `status` and `body` (bytes, or JSON for anything else)."""

    def __init__(self, status: int, body=b"Internal Server Error", headers: dict | None = None):
        super().__init__()
        self.status, self.headers = status, headers or {}
        if isinstance(body, bytes):
            self.body, self.content_type = body, "text/html"
        else:
            self.body, self.content_type = json.dumps(body).encode(), "application/json"

    def handle(self, handler, method, body):
        send(handler, self.status, self.body, self.content_type, self.headers)


class LossyProxy(_Server):
    """Relays requests to `target`, but for the first `lose` POSTs it relays, loses the
    server's answer: the request was done, the client hears a 502 (`how="502"`) or the
    connection closing without an answer (`how="drop"`)."""

    def __init__(self, target: str, *, lose: int = 1, how: str = "502"):
        super().__init__()
        self.target, self.lose, self.how = target, lose, how
        self.lock = threading.Lock()

    def handle(self, handler, method, body):
        skip = {"host", "content-length", "connection", "accept-encoding"}
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
        answer = requests.request(method, self.target + handler.path, data=body, headers=headers, timeout=60)
        with self.lock:
            lost = method == "POST" and self.lose > 0
            if lost:
                self.lose -= 1
        if lost and self.how == "drop":
            handler.close_connection = True
            return None
        if lost:
            return send(handler, 502, b"<html>502 Bad Gateway</html>", "text/html")
        keep = {k: v for k, v in answer.headers.items() if k.lower() in {"location", "idempotent-replayed", "retry-after"}}
        send(handler, answer.status_code, answer.content, answer.headers.get("Content-Type", ""), keep)
