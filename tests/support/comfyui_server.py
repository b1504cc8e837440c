"""A local HTTP server that speaks ComfyUI's protocol (server.py / execution.py, v0.8).

It validates a workflow the way ComfyUI does for the nodes it knows, queues it, reports
nothing in `/history/{id}` until the run is "done" (and `{}` for unknown ids, never a
404), then lists the saved image, which `/view` serves as a real PNG made with Pillow at
the latent's size. Every route also answers under `/api`, and a request whose `Origin`
names another host gets ComfyUI's empty 403.

Knobs for the tests: `checkpoints`, `object_info_shape` ("list" = `[[names], {...}]`,
"combo" = `["COMBO", {"options": [...]}]`), `polls_before_done`, `never_finish`,
`runtime_error`, `prompt_delay`, `omit_extra_info` (node errors without `extra_info`),
`prompt_status` (answer POST /prompt with that status, as a proxy would), and
`on_prompt(number, body)`, called in the server's thread when a prompt is accepted.
"""
import io
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from PIL import Image

# class_type -> (INT inputs, required inputs); enough of ComfyUI's node table for txt2img.
NODES: dict[str, dict[str, Any]] = {
    "CheckpointLoaderSimple": {"ints": (), "required": ("ckpt_name",)},
    "EmptyLatentImage": {"ints": ("width", "height", "batch_size"), "required": ("width", "height")},
    "CLIPTextEncode": {"ints": (), "required": ("text", "clip")},
    "KSampler": {"ints": ("seed", "steps"), "required": ("seed", "steps", "cfg", "model", "positive", "negative", "latent_image")},
    "VAEDecode": {"ints": (), "required": ("samples", "vae")},
    "SaveImage": {"ints": (), "required": ("images",), "output": True},
    "EmptyImage": {"ints": ("width", "height", "batch_size"), "required": ("width", "height")},
}


class ComfyUIStandIn:
    def __init__(
        self,
        *,
        checkpoints: tuple[str, ...] = ("sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"),
        object_info_shape: str = "list",
        polls_before_done: int = 1,
        never_finish: bool = False,
        runtime_error: str | None = None,
        prompt_delay: float = 0.0,
        omit_extra_info: bool = False,
        prompt_status: int | None = None,
        on_prompt: Callable[[int, dict], None] | None = None,
    ):
        self.checkpoints = list(checkpoints)
        self.object_info_shape = object_info_shape
        self.polls_before_done = polls_before_done
        self.never_finish = never_finish
        self.runtime_error = runtime_error
        self.prompt_delay = prompt_delay
        self.omit_extra_info = omit_extra_info
        self.prompt_status = prompt_status
        self.on_prompt = on_prompt
        self.lock = threading.Lock()
        self.accepted: list[dict] = []  # bodies of accepted POST /prompt, in order
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self.interrupts: list[dict] = []
        self.queue_posts: list[dict] = []
        self.history: dict[str, dict] = {}
        self.images: dict[tuple[str, str], tuple[int, int, int]] = {}  # (subfolder, filename) -> w, h, seed
        self.number = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "ComfyUIStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the protocol ------------------------------------------------------------------

    def post_prompt(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or "prompt" not in body:
            return 400, {"error": "no prompt", "node_errors": []}
        prompt = body["prompt"]
        error, node_errors, outputs = self.validate(prompt)
        if error:
            return 400, {"error": error, "node_errors": node_errors}
        if self.prompt_delay:
            time.sleep(self.prompt_delay)
        with self.lock:
            number = self.number
            self.number += 1
            prompt_id = str(uuid.uuid4())
            self.accepted.append(body)
            self.history[prompt_id] = {"prompt": prompt, "number": number, "outputs": outputs, "polls": 0}
        if self.on_prompt:
            self.on_prompt(number, body)
        return 200, {"prompt_id": prompt_id, "number": number, "node_errors": {}}

    def validate(self, prompt: Any) -> tuple[dict | None, dict, list[str]]:
        """ComfyUI's validate_prompt, for the nodes in NODES."""
        if not isinstance(prompt, dict):
            return _error("invalid_prompt", "Invalid prompt", "prompt must be an object"), {}, []
        for node_id, node in prompt.items():
            class_type = node.get("class_type") if isinstance(node, dict) else None
            if class_type is None:
                message = "Cannot execute because a node is missing the class_type property."
                return _error("invalid_prompt", message, f"Node ID '#{node_id}'"), {}, []
            if class_type not in NODES:
                message = f"Cannot execute because node {class_type} does not exist."
                return _error("invalid_prompt", message, f"Node ID '#{node_id}'"), {}, []
        outputs = [node_id for node_id, node in prompt.items() if NODES[node["class_type"]].get("output")]
        if not outputs:
            return _error("prompt_no_outputs", "Prompt has no outputs", ""), {}, []
        node_errors = {}
        for node_id, node in prompt.items():
            errors = self.node_errors(node)
            if errors:
                node_errors[node_id] = {"errors": errors, "dependent_outputs": outputs, "class_type": node["class_type"]}
        if node_errors:
            return _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", ""), node_errors, outputs
        return None, {}, outputs

    def node_errors(self, node: dict) -> list[dict]:
        spec, inputs = NODES[node["class_type"]], node.get("inputs") or {}
        errors = []
        for name in spec["required"]:
            if name not in inputs:
                errors.append({"type": "required_input_missing", "message": "Required input is missing",
                               "details": name, "extra_info": {"input_name": name}})
        for name in spec["ints"]:
            if name in inputs and not isinstance(inputs[name], int):
                errors.append({"type": "invalid_input_type",
                               "message": "Failed to convert an input value to a INT value",
                               "details": f"{name}, {inputs[name]}, invalid literal for int()",
                               "extra_info": {"input_name": name, "received_value": inputs[name]}})
        if node["class_type"] == "CheckpointLoaderSimple" and inputs.get("ckpt_name") not in self.checkpoints:
            errors.append({"type": "value_not_in_list", "message": "Value not in list",
                           "details": f"ckpt_name: '{inputs.get('ckpt_name')}' not in {self.checkpoints}",
                           "extra_info": {"input_name": "ckpt_name", "input_config": self.checkpoint_spec(),
                                          "received_value": inputs.get("ckpt_name")}})
        if self.omit_extra_info:  # as some servers and proxies answer
            errors = [{key: value for key, value in error.items() if key != "extra_info"} for error in errors]
        return errors  # fmt: skip

    def get_history(self, prompt_id: str) -> dict:
        with self.lock:
            run = self.history.get(prompt_id)
            if run is None or self.never_finish:
                return {}
            run["polls"] += 1
            if run["polls"] <= self.polls_before_done:
                return {}
            return {prompt_id: self.finished(prompt_id, run)}

    def finished(self, prompt_id: str, run: dict) -> dict:
        prompt = run["prompt"]
        queue_item = [run["number"], prompt_id, prompt, {}, run["outputs"]]
        if self.runtime_error:
            error = {"prompt_id": prompt_id, "node_id": "3", "node_type": "KSampler", "executed": ["4", "5", "6", "7"],
                     "exception_message": self.runtime_error, "exception_type": "RuntimeError",
                     "traceback": ["Traceback (most recent call last):\n"], "current_inputs": {}, "current_outputs": {}}
            return {"prompt": queue_item, "outputs": {},
                    "status": {"status_str": "error", "completed": False,
                               "messages": [["execution_start", {"prompt_id": prompt_id}], ["execution_error", error]]},
                    "meta": {}}  # fmt: skip
        width, height, seed = self.latent(prompt)
        outputs = {}
        for node_id in run["outputs"]:
            prefix = prompt[node_id]["inputs"].get("filename_prefix", "ComfyUI")
            subfolder, _, base = prefix.rpartition("/")
            filename = f"{base}_00001_.png"
            self.images[(subfolder, filename)] = (width, height, seed)
            outputs[node_id] = {"images": [{"filename": filename, "subfolder": subfolder, "type": "output"}]}
        return {"prompt": queue_item, "outputs": outputs,
                "status": {"status_str": "success", "completed": True,
                           "messages": [["execution_start", {"prompt_id": prompt_id}],
                                        ["execution_success", {"prompt_id": prompt_id}]]},
                "meta": {node_id: {"node_id": node_id} for node_id in outputs}}  # fmt: skip

    @staticmethod
    def latent(prompt: dict) -> tuple[int, int, int]:
        width = height = 64
        seed = 0
        for node in prompt.values():
            if node["class_type"] in ("EmptyLatentImage", "EmptyImage"):
                width, height = node["inputs"]["width"], node["inputs"]["height"]
            if node["class_type"] == "KSampler":
                seed = node["inputs"]["seed"]
        return width, height, seed

    def view(self, query: dict[str, str]) -> bytes | None:
        key = (query.get("subfolder", ""), query.get("filename", ""))
        if key not in self.images or query.get("type", "output") != "output":
            return None
        width, height, seed = self.images[key]
        color = ((seed * 67) % 256, (seed * 131) % 256, (seed * 29) % 256)
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), color).save(buffer, format="PNG")
        return buffer.getvalue()

    def checkpoint_spec(self) -> list:
        if self.object_info_shape == "combo":
            return ["COMBO", {"options": list(self.checkpoints), "tooltip": "The name of the checkpoint (model) to load."}]
        return [list(self.checkpoints), {"tooltip": "The name of the checkpoint (model) to load."}]

    def object_info(self, class_type: str) -> dict:
        if class_type not in NODES:
            return {}
        required = {"ckpt_name": self.checkpoint_spec()} if class_type == "CheckpointLoaderSimple" else {}
        return {class_type: {"input": {"required": required}, "input_order": {"required": list(required)},
                             "output": [], "name": class_type, "display_name": class_type,
                             "category": "loaders", "output_node": False}}  # fmt: skip

    # --- HTTP plumbing -----------------------------------------------------------------

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _route(self, method: str) -> None:
                parts = urlsplit(self.path)
                path = parts.path[4:] if parts.path.startswith("/api/") else parts.path
                standin.requests.append((method, path, dict(self.headers)))
                origin = self.headers.get("Origin")
                if origin and urlsplit(origin).netloc != self.headers.get("Host"):
                    return self._send(403, b"", "text/plain")
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if method == "POST":
                    try:
                        body = json.loads(raw) if raw else {}
                    except ValueError:
                        return self._send(500, b"500 Internal Server Error\n\nServer got itself in trouble", "text/plain")
                    if path == "/prompt" and standin.prompt_status:
                        # What a proxy in front of an overloaded or restarting ComfyUI answers.
                        return self._send(standin.prompt_status, b"Service Unavailable", "text/plain")
                    if path == "/prompt":
                        return self._json(*standin.post_prompt(body))
                    if path == "/interrupt":
                        standin.interrupts.append(body)
                        return self._send(200, b"", "text/plain")
                    if path == "/queue":
                        standin.queue_posts.append(body)
                        return self._send(200, b"", "text/plain")
                elif method == "GET":
                    if path.startswith("/history/"):
                        return self._json(200, standin.get_history(path[len("/history/"):]))
                    if path.startswith("/object_info/"):
                        return self._json(200, standin.object_info(path[len("/object_info/"):]))
                    if path == "/view":
                        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                        image = standin.view(query)
                        return self._send(200, image, "image/png") if image else self._send(404, b"", "text/plain")
                    if path == "/system_stats":
                        return self._json(200, {"system": {"comfyui_version": "0.8.0"}, "devices": []})
                self._send(404, b"404: Not Found", "text/plain")

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def _json(self, status: int, payload: Any) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json")

            def _send(self, status: int, content: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler


def _error(kind: str, message: str, details: str) -> dict:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


