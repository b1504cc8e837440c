"""ComfyUI over its HTTP API: the only code that talks to ComfyUI.

One panel = `POST /prompt` (a workflow in API format), then `GET /history/{prompt_id}`
until the run is recorded, then `GET /view` for the saved image. Behaviours of a real
server (v0.8) this code relies on:
- `/history/{id}` answers `{}` both before the run ends and for an id it never heard of
  (a prompt lost in a restart), so the wait is bounded by STORYCORE_COMFYUI_TIMEOUT.
- An identical workflow is served from ComfyUI's cache and points at an earlier file, so
  each panel gets its own `filename_prefix`.
- A request with an `Origin` header naming another host gets an empty 403; requests sends
  none, and none is added here.
- A missing model is a 400 whose node error is `value_not_in_list` on the loader's model
  input; the names that do exist come from `GET /object_info/{class_type}`.
- Run-time failures show only in `/history`, as `status_str: "error"` with an
  `execution_error` message.
Every failure becomes TransientError or PermanentError with a message saying what to do.
"""
import io
import json
import math
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import requests
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from automation.exceptions import JobAborted, PermanentError, TransientError

DEFAULT_WORKFLOW = Path(__file__).resolve().parent / "workflows" / "txt2img.json"
# Placeholders a template may use. A string that is exactly one numeric placeholder
# becomes a number (ComfyUI validates INT/FLOAT inputs); elsewhere they are text.
NUMERIC_PLACEHOLDERS = {"seed": int, "width": int, "height": int, "steps": int, "cfg": float}
TEXT_PLACEHOLDERS = ("prompt", "negative_prompt", "checkpoint", "filename_prefix")
REQUIRED_PLACEHOLDERS = ("prompt", "seed", "filename_prefix")
# Loader inputs whose `value_not_in_list` error means "that model file is not installed".
MODEL_INPUTS = {"ckpt_name", "unet_name", "vae_name", "lora_name", "clip_name", "control_net_name"}
POLL_FIRST, POLL_MAX = 0.1, 1.0
# Cancelling is best effort and must not hold up the worker.
CANCEL_TIMEOUT = 5.0


@dataclass(frozen=True)
class PanelRequest:
    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    steps: int
    cfg: float
    filename_prefix: str


def load_workflow(path: str | Path | None = None) -> dict[str, Any]:
    """The workflow template (API format): STORYCORE_COMFYUI_WORKFLOW or the shipped one."""
    path = Path(path or settings.STORYCORE_COMFYUI_WORKFLOW or DEFAULT_WORKFLOW)
    where = f"the workflow template {path} (STORYCORE_COMFYUI_WORKFLOW)"
    try:
        workflow = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PermanentError(f"Cannot read {where}: {exc.strerror or exc}.") from exc
    except ValueError as exc:
        raise PermanentError(f"{where} is not valid JSON: {exc}.") from exc
    if isinstance(workflow, dict) and "nodes" in workflow and "links" in workflow:
        raise PermanentError(
            f"{where} is in ComfyUI's UI format; export it with \"Save (API Format)\" instead."
        )
    if not isinstance(workflow, dict) or not workflow or not all(
        isinstance(node, dict) and "class_type" in node and isinstance(node.get("inputs"), dict)
        for node in workflow.values()
    ):
        raise PermanentError(f"{where} is not in ComfyUI's API format ({{node_id: {{class_type, inputs}}}}).")
    text = json.dumps(workflow)
    missing = [name for name in REQUIRED_PLACEHOLDERS if "{{" + name + "}}" not in text]
    if missing:
        raise PermanentError(f"{where} lacks the placeholders {', '.join('{{' + m + '}}' for m in missing)}.")
    return workflow


def fill_workflow(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the template with placeholders replaced in the parsed structure, so no
    prompt text can ever change the JSON around it."""

    def fill(value):
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, str):
            for name, kind in NUMERIC_PLACEHOLDERS.items():
                if value == "{{" + name + "}}":
                    return kind(values[name])
            for name in (*TEXT_PLACEHOLDERS, *NUMERIC_PLACEHOLDERS):
                value = value.replace("{{" + name + "}}", str(values[name]))
        return value

    return fill(template)


def parse_model_names(spec: Any) -> list[str]:
    """Names from an /object_info input spec: `[[names], {...}]` (classic) or
    `["COMBO", {"options": [names]}]` (newer nodes)."""
    if isinstance(spec, list) and spec:
        if isinstance(spec[0], list):
            return [str(name) for name in spec[0]]
        if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
            return [str(name) for name in spec[1].get("options", [])]
    return []


class ComfyUIClient:
    """A ComfyUI server at STORYCORE_COMFYUI_URL, settings read when the client is made."""

    def __init__(self) -> None:
        self.base_url = settings.STORYCORE_COMFYUI_URL.rstrip("/")
        self.timeout = float(settings.STORYCORE_COMFYUI_TIMEOUT)
        self.checkpoint = settings.STORYCORE_COMFYUI_CHECKPOINT
        self.template = load_workflow()
        self.client_id = uuid.uuid4().hex
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    # --- one panel ---------------------------------------------------------------------

    def render(self, panel: PanelRequest, *, heartbeat: Callable[[], None]) -> bytes:
        """The PNG bytes of one panel. `heartbeat` runs between polls (the job's
        checkpoint); if it raises JobAborted, the running prompt is interrupted."""
        workflow = fill_workflow(
            self.template,
            {
                "prompt": panel.prompt,
                "negative_prompt": panel.negative_prompt,
                "checkpoint": self.checkpoint,
                "filename_prefix": panel.filename_prefix,
                "seed": panel.seed,
                "width": panel.width,
                "height": panel.height,
                "steps": panel.steps,
                "cfg": panel.cfg,
            },
        )
        prompt_id = self.submit(workflow)
        try:
            entry = self.wait_for(prompt_id, heartbeat=heartbeat)
        except JobAborted:
            self.cancel(prompt_id)
            raise
        return self.download(self.saved_image(entry, workflow))

    def submit(self, workflow: dict[str, Any]) -> str:
        response = self._request("POST", "/prompt", json={"prompt": workflow, "client_id": self.client_id})
        if response.status_code == 400:
            raise self._rejection(response)
        self._check_status(response, "POST /prompt")
        prompt_id = self._json(response, "POST /prompt").get("prompt_id")
        if not prompt_id:
            raise PermanentError(f"ComfyUI at {self.base_url} accepted the workflow but returned no prompt_id.")
        return str(prompt_id)

    def wait_for(self, prompt_id: str, *, heartbeat: Callable[[], None]) -> dict[str, Any]:
        """The history entry of a finished prompt, polling until STORYCORE_COMFYUI_TIMEOUT."""
        deadline = time.monotonic() + self.timeout
        interval = POLL_FIRST
        while True:
            heartbeat()
            response = self._request("GET", f"/history/{prompt_id}")
            self._check_status(response, "GET /history")
            entry = self._json(response, "GET /history").get(prompt_id)
            if entry:
                return self._finished(entry)
            if time.monotonic() >= deadline:
                self.cancel(prompt_id)
                raise TransientError(
                    f"Timeout: ComfyUI at {self.base_url} did not finish a panel within "
                    f"{self.timeout:g}s (STORYCORE_COMFYUI_TIMEOUT). It may be busy with a long queue "
                    "or may have lost the prompt in a restart; raise STORYCORE_COMFYUI_TIMEOUT or "
                    "check the ComfyUI queue."
                )
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 1.5, POLL_MAX)

    def _finished(self, entry: dict[str, Any]) -> dict[str, Any]:
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            messages = {event: data for event, data in (status.get("messages") or []) if isinstance(data, dict)}
            if "execution_interrupted" in messages:
                raise TransientError(
                    f"ComfyUI at {self.base_url} interrupted the prompt (cancelled on the server); "
                    "it will be tried again."
                )
            error = messages.get("execution_error", {})
            node = f"{error.get('node_type', 'unknown node')} (node {error.get('node_id', '?')})"
            detail = error.get("exception_message", "no error message").strip()
            raise PermanentError(f"ComfyUI failed while running {node}: {detail}")
        return entry

    def saved_image(self, entry: dict[str, Any], workflow: dict[str, Any]) -> dict[str, Any]:
        """The image a SaveImage node wrote (temporary previews only if nothing else)."""
        outputs = entry.get("outputs") or {}
        save_nodes = [node_id for node_id, node in workflow.items() if node.get("class_type") == "SaveImage"]
        ordered = [outputs[n] for n in save_nodes if n in outputs] + [v for k, v in outputs.items() if k not in save_nodes]
        images = [image for output in ordered for image in (output.get("images") or []) if isinstance(image, dict)]
        images.sort(key=lambda image: image.get("type") != "output")
        if not images:
            raise PermanentError(
                f"ComfyUI at {self.base_url} finished the workflow but it saved no image; the workflow "
                "template (STORYCORE_COMFYUI_WORKFLOW) needs a SaveImage node."
            )
        return images[0]

    def download(self, image: dict[str, Any]) -> bytes:
        params = {
            "filename": image.get("filename", ""),
            "subfolder": image.get("subfolder", ""),
            "type": image.get("type", "output"),
        }
        response = self._request("GET", "/view", params=params)
        self._check_status(response, "GET /view")
        try:
            with Image.open(io.BytesIO(response.content)) as picture:
                picture.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise TransientError(
                f"ComfyUI at {self.base_url} sent something that is not an image for {params['filename']!r} ({exc})."
            ) from exc
        return response.content

    def cancel(self, prompt_id: str) -> None:
        """Drop the prompt from the queue if still waiting, interrupt it if running."""
        for path, body in (("/queue", {"delete": [prompt_id]}), ("/interrupt", {"prompt_id": prompt_id})):
            try:
                self.session.post(self.base_url + path, json=body, timeout=min(self.timeout, CANCEL_TIMEOUT))
            except requests.RequestException:
                pass  # the server is gone: nothing left to stop

    # --- models ------------------------------------------------------------------------

    def available_models(self, class_type: str, input_name: str) -> list[str]:
        response = self._request("GET", f"/object_info/{class_type}")
        self._check_status(response, "GET /object_info")
        inputs = (self._json(response, "GET /object_info").get(class_type) or {}).get("input") or {}
        for group in ("required", "optional"):
            spec = (inputs.get(group) or {}).get(input_name)
            if spec is not None:
                return parse_model_names(spec)
        return []

    # --- HTTP and error mapping ----------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = self.base_url + path
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(
                f"Timeout: ComfyUI at {self.base_url} did not answer {method} {path.split('?')[0]} within "
                f"{self.timeout:g}s; raise STORYCORE_COMFYUI_TIMEOUT if the server is slow."
            ) from exc
        except requests.ConnectionError as exc:
            raise TransientError(
                f"Connection refused: is ComfyUI running at {self.base_url}? Start it, or set "
                "STORYCORE_COMFYUI_URL to where it runs."
            ) from exc
        except requests.RequestException as exc:
            raise TransientError(f"Could not reach ComfyUI at {self.base_url}: {exc}") from exc

    def _check_status(self, response: requests.Response, what: str) -> None:
        code = response.status_code
        if code < 400:
            return
        body = response.text.strip()[:300] or "(empty body)"
        where = f"ComfyUI at {self.base_url} answered {code} to {what}"
        if code == 429 or code in (408, 409) or code >= 500:
            raise TransientError(f"{where}: {body}", retry_after=_retry_after(response))
        if code == 403:
            raise PermanentError(
                f"{where}: access refused. Check that STORYCORE_COMFYUI_URL points at ComfyUI itself "
                "and that no proxy in front of it requires credentials."
            )
        if code == 404:
            raise PermanentError(f"{where}: no such endpoint. Is STORYCORE_COMFYUI_URL a ComfyUI server?")
        raise PermanentError(f"{where}: {body}")

    def _json(self, response: requests.Response, what: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise PermanentError(
                f"ComfyUI at {self.base_url} answered {what} with something other than JSON; "
                "is STORYCORE_COMFYUI_URL a ComfyUI server?"
            ) from exc
        if not isinstance(data, dict):
            raise PermanentError(f"ComfyUI at {self.base_url} answered {what} with unexpected JSON: {str(data)[:200]}")
        return data

    def _rejection(self, response: requests.Response) -> PermanentError:
        """The 400 of POST /prompt: a missing model, or ComfyUI's own validation message."""
        try:
            body = response.json()
        except ValueError:
            return PermanentError(f"ComfyUI rejected the workflow: {response.text.strip()[:300] or '(empty body)'}")
        node_errors = body.get("node_errors") if isinstance(body, dict) else None
        for info in (node_errors or {}).values() if isinstance(node_errors, dict) else []:
            for error in info.get("errors") or []:
                if error.get("type") != "value_not_in_list":
                    continue
                input_name, value = _rejected_value(error)
                if input_name in MODEL_INPUTS:
                    return self._model_not_found(
                        name=value, class_type=str(info.get("class_type", "")), input_name=input_name
                    )
        return PermanentError(f"ComfyUI rejected the workflow: {_validation_message(body)}")

    def _model_not_found(self, *, name: str, class_type: str, input_name: str) -> PermanentError:
        try:
            names = self.available_models(class_type, input_name)
            available = ", ".join(names) if names else "none installed"
        except (TransientError, PermanentError) as exc:
            available = f"unknown (could not list them: {exc.message})"
        fix = (
            "Set STORYCORE_COMFYUI_CHECKPOINT to one of them, or install the model in ComfyUI's models folder."
            if input_name == "ckpt_name"
            else "Change the workflow template (STORYCORE_COMFYUI_WORKFLOW) or install the model in ComfyUI."
        )
        return PermanentError(f"Model not found: {name}; available: {available}. {fix}")


def _rejected_value(error: dict[str, Any]) -> tuple[str, str]:
    """(input name, value) of a value_not_in_list error: from `extra_info`, or, where a
    server leaves that out, from `details` ("ckpt_name: 'x.safetensors' not in [...]")."""
    extra = error.get("extra_info") or {}
    if extra.get("input_name"):
        return str(extra["input_name"]), str(extra.get("received_value", ""))
    match = re.match(r"^\s*(\w+): '(.*)' not in", str(error.get("details", "")))
    return (match.group(1), match.group(2)) if match else ("", "")


def _validation_message(body: Any) -> str:
    if not isinstance(body, dict):
        return str(body)[:300]
    error = body.get("error")
    parts = []
    if isinstance(error, dict):
        parts.append(": ".join(part for part in (error.get("message"), error.get("details")) if part))
    elif error:
        parts.append(str(error))  # older servers: {"error": "no prompt"}
    node_errors = body.get("node_errors")
    if isinstance(node_errors, dict):
        for node_id, info in node_errors.items():
            for item in info.get("errors") or []:
                text = ": ".join(part for part in (item.get("message"), item.get("details")) if part)
                parts.append(f"{info.get('class_type', 'node')} (node {node_id}): {text}")
    return "; ".join(part for part in parts if part) or "no details given"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def probe(*, timeout: float = 2.0) -> dict[str, Any]:
    """For the health report: does ComfyUI answer GET /system_stats?"""
    base = settings.STORYCORE_COMFYUI_URL.rstrip("/")
    try:
        response = requests.get(f"{base}/system_stats", timeout=timeout)
    except requests.RequestException as exc:
        return {"ok": False, "url": base, "error": f"{type(exc).__name__}: unreachable"}
    return {"ok": response.ok, "url": base, "status": response.status_code}
