"""A real local HTTP server speaking the OpenAI chat-completions protocol, scriptable per test.

By default it plays a well-behaved server: it reads the JSON schema the client sent
(in `response_format`, or in the system message when there is none) and writes a valid
dialogue with the speakers and the number of lines asked for. Tests change that with:

- `accepts`: which `response_format` types it takes; any other is answered like
  llama-cpp-python 0.3.x does, with a 500 "Input should be 'text' or 'json_object'";
- `models` and `unknown_model_style` ("ollama" or "vllm"): a request for a model not in
  `models` gets that server's 404, and GET /models lists `models`;
- `script(...)`: queued answers for the next requests (status, body or content, headers, delay).
"""
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Answer:
    status: int = 200
    content: str | None = None  # the assistant message's content (a chat completion)
    body: Any = None  # or a raw body (dict -> JSON, str -> text)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    usage: dict | None = None  # the completion's token counts (default: a small answer)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def completion(content: str, *, model: str, finish_reason: str = "stop", usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
        "usage": usage or {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def schema_of(request: dict) -> dict | None:
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt["json_schema"]["schema"]
    if fmt.get("type") == "json_object" and fmt.get("schema"):
        return fmt["schema"]
    system = request["messages"][0]["content"]
    found = re.search(r"JSON schema:\n(\{.*\})\s*$", system, re.DOTALL)
    return json.loads(found.group(1)) if found else None


def written_dialogue(request: dict) -> str:
    """What a cooperative model would answer: lines alternating between the speakers asked for."""
    schema = schema_of(request)
    lines_schema = schema["properties"]["lines"]
    ids = lines_schema["items"]["properties"]["character_id"]["enum"]
    count = lines_schema["minItems"]
    lines = [
        {
            "character_id": ids[n % len(ids)],
            "dialogue": f"Line {n + 1}, spoken by {ids[n % len(ids)]}.",
            "emotion": "determined",
            "is_thought": False,
            "gesture": "nods",
            "voice_direction": "calm",
        }
        for n in range(count)
    ]
    return json.dumps({"title": "A scene from the model", "lines": lines})


class OpenAIServer:
    def __init__(self, *, models=("llama3.1", "mistral"), accepts=("json_schema", "json_object", None)):
        self.models = list(models)
        self.accepts = set(accepts)
        self.unknown_model_style = "ollama"
        self.writer: Callable[[dict], str] = written_dialogue
        self.requests: list[Recorded] = []
        self._script: deque[Answer] = deque()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server._record(self, None)
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                server._record(self, body)
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                answer = server._script.popleft() if server._script else None
                if answer is not None:
                    time.sleep(answer.delay)
                    if answer.content is not None:
                        payload = completion(
                            answer.content, model=body["model"], finish_reason=answer.finish_reason, usage=answer.usage
                        )
                        return self._send(answer.status, payload, answer.headers)
                    return self._send(answer.status, answer.body, answer.headers)
                return self._behave(body)

            def _behave(self, body):
                if body["model"] not in server.models:
                    if server.unknown_model_style == "vllm":
                        return self._send(404, {"object": "error", "message": f"The model `{body['model']}` does not exist.",
                                                "type": "NotFoundError", "param": None, "code": 404})  # fmt: skip
                    return self._send(404, {"error": {"message": f'model "{body["model"]}" not found, try pulling it first',
                                                      "type": "api_error", "param": None, "code": None}})  # fmt: skip
                fmt = (body.get("response_format") or {}).get("type")
                if fmt not in server.accepts:
                    return self._send(500, {"error": {"code": 500, "type": "server_error", "message": (
                        "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                        "'msg': \"Input should be 'text' or 'json_object'\", 'input': '" + str(fmt) + "'}]")}})  # fmt: skip
                self._send(200, completion(server.writer(body), model=body["model"]))

            def _send(self, status, body, headers=None):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A short poll keeps shutdown() quick at the end of each test.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *answers: Answer) -> None:
        self._script.extend(answers)

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def _record(self, handler, body) -> None:
        self.requests.append(Recorded(handler.command, handler.path, dict(handler.headers), body))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
