"""Any OpenAI-compatible chat-completions server (Ollama, LM Studio, llama.cpp server,
vLLM, OpenAI), asked for one JSON object.

Settings are read at call time: STORYCORE_LLM_URL (the base, e.g. http://127.0.0.1:11434/v1),
STORYCORE_LLM_MODEL, STORYCORE_LLM_API_KEY, STORYCORE_LLM_TIMEOUT. Failures become
TransientError (connection refused, timeout, 408/409/429/5xx, an unusable answer twice)
or PermanentError (unknown model, bad credentials, other 4xx), with what to do about it.

Servers differ in how they take a JSON schema, so the request format is negotiated per
base URL and remembered for the life of the process: `json_schema` (OpenAI, vLLM, Ollama,
LM Studio), then `json_object` with the schema beside it (llama-cpp-python answers
`json_schema` with a 500 "Input should be 'text' or 'json_object'"), then no
response_format at all and the schema in the system message.
"""
import json
import logging
import re
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any, Callable

import requests
from django.conf import settings

from automation.exceptions import PermanentError, TransientError

logger = logging.getLogger(__name__)

FORMATS = ("json_schema", "json_object", "prompt")
TRANSIENT_STATUS = {408, 409, 429}
# Control characters, and lone surrogates (a JSON "\\udfb7" decodes to one; no database
# stores it as text).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
EXCERPT = 300

_formats: dict[str, str] = {}  # base URL -> the response_format the server accepted
_formats_lock = threading.Lock()


class UnusableAnswer(ValueError):
    """The server answered, but not with what was asked (not JSON, cut off, wrong content)."""

    def __init__(self, message: str, *, raw: str | None = None):
        super().__init__(message)
        self.raw = raw


def strip_control(text: str) -> str:
    return CONTROL_CHARS.sub("", text)


def chat_json(
    *,
    system: str,
    user: str,
    schema: dict[str, Any],
    schema_name: str,
    seed: int | None = None,
    temperature: float = 0.8,
    validate: Callable[[dict[str, Any]], Any] | None = None,
    attempts: int = 2,
    max_tokens: int | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> Any:
    """Ask for one JSON object matching `schema` and return it (or what `validate` makes of
    it; `validate` raises ValueError to reject an answer). An unusable answer is asked
    again once, then raised as TransientError quoting the raw answer. `max_tokens` bounds
    the answer. `heartbeat` is called before each request (a job's checkpoint: renews its
    lease, stops if cancelled)."""
    base = settings.STORYCORE_LLM_URL.rstrip("/")
    model = settings.STORYCORE_LLM_MODEL
    problem, raw, advice = "", "", "Try a larger model (STORYCORE_LLM_MODEL) or the builtin provider."
    for attempt in range(attempts):
        if heartbeat is not None:
            heartbeat()
        try:
            # A new seed on the second ask: a deterministic server would repeat its mistake.
            content, finish_reason, usage = _complete(
                base=base,
                model=model,
                system=system,
                user=user,
                schema=schema,
                schema_name=schema_name,
                seed=None if seed is None else seed + attempt,
                temperature=temperature,
                max_tokens=max_tokens,
            )
            raw = content
            if finish_reason == "length":
                problem, advice = _cut_off(usage, max_tokens)
                raise UnusableAnswer(problem)
            data = parse_json_object(content, finish_reason=finish_reason)
            return validate(data) if validate else data
        except ValueError as exc:
            problem = str(exc)
            if isinstance(exc, UnusableAnswer) and exc.raw is not None:
                raw = exc.raw
            logger.info("Unusable answer from %s (attempt %d): %s", base, attempt + 1, problem)
    excerpt = strip_control(raw)[:EXCERPT]
    raise TransientError(
        f"The LLM server at {base} (model {model}) gave an unusable answer {attempts} times in a row: {problem}. "
        f"Raw answer (excerpt): {excerpt!r}. {advice}"
    )


def _cut_off(usage: dict[str, Any], max_tokens: int | None) -> tuple[str, str]:
    """Why an answer stopped at finish_reason=length, from the server's `usage`, and what to do."""
    prompt = usage.get("prompt_tokens") if isinstance(usage.get("prompt_tokens"), int) else None
    completion = usage.get("completion_tokens") if isinstance(usage.get("completion_tokens"), int) else None
    if max_tokens is not None and completion is not None and completion >= max_tokens:
        return (
            f"the answer was cut off (finish_reason=length) at max_tokens ({completion:,} tokens)",
            "The model wrote more than the lines need: try another model, or ask for fewer lines.",
        )
    if prompt is not None and completion is not None:
        window = prompt + completion
        return (
            f"the answer was cut off (finish_reason=length) by the server's context window (prompt {prompt:,} of {window:,} tokens)",
            f"Raise the server's context size (llama.cpp: --ctx-size; it must hold the prompt's {prompt:,} tokens "
            "and the answer), or ask for fewer lines or characters.",
        )
    return (
        "the answer was cut off (finish_reason=length): the model ran out of tokens",
        "Raise the server's context size, or ask for fewer lines.",
    )


def parse_json_object(content: str, *, finish_reason: str | None = None) -> dict[str, Any]:
    """The JSON object in a chat answer: tolerates Markdown fences and text around it, not
    truncation. Control characters inside strings are accepted here and stripped by callers."""
    if finish_reason == "length":
        raise UnusableAnswer("the answer was cut off (finish_reason=length): the model ran out of tokens")
    if not content or not content.strip():
        raise UnusableAnswer("the answer was empty")
    text = content.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text, strict=False)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start : end + 1], strict=False) if 0 <= start < end else None
        except json.JSONDecodeError:
            data = None
        if data is None:
            raise UnusableAnswer("the answer is not valid JSON") from None
    if not isinstance(data, dict):
        raise UnusableAnswer(f"the answer is JSON but not an object (got {type(data).__name__})")
    return data


def list_models(base: str | None = None) -> list[str] | None:
    """The model names the server offers (GET {base}/models), or None if it would not say."""
    base = (base or settings.STORYCORE_LLM_URL).rstrip("/")
    try:
        response = requests.get(f"{base}/models", headers=_headers(), timeout=min(10.0, settings.STORYCORE_LLM_TIMEOUT))
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    entries = body.get("data") or body.get("models") or []
    names = [entry.get("id") or entry.get("name") for entry in entries if isinstance(entry, dict)]
    return [name for name in names if name]


def _headers() -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.STORYCORE_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.STORYCORE_LLM_API_KEY}"
    return headers


def _request_body(
    *, fmt: str, model: str, system: str, user: str, schema: dict, schema_name: str, seed, temperature, max_tokens=None
) -> dict:
    instructions = "Answer with one JSON object only: no prose, no Markdown."
    if fmt == "prompt":
        instructions += f" It must match this JSON schema:\n{json.dumps(schema)}"
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "system", "content": f"{system}\n\n{instructions}"}, {"role": "user", "content": user}],
        "temperature": temperature,
        "stream": False,
    }
    if seed is not None:
        body["seed"] = seed
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if fmt == "json_schema":
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": schema_name, "strict": True, "schema": schema}}
    elif fmt == "json_object":
        body["response_format"] = {"type": "json_object", "schema": schema}
    return body


def _complete(*, base: str, model: str, **request) -> tuple[str, str | None, dict[str, Any]]:
    """One chat completion, stepping down the response formats the server refuses."""
    fmt = _formats.get(base, FORMATS[0])
    while True:
        response = _post(base, _request_body(fmt=fmt, model=model, **request))
        if fmt != FORMATS[-1] and _refuses_format(response):
            fmt = FORMATS[FORMATS.index(fmt) + 1]
            with _formats_lock:
                _formats[base] = fmt
            logger.info("LLM server %s refused that response_format; using %s from now on.", base, fmt)
            continue
        _raise_for_status(response, base=base, model=model)
        with _formats_lock:
            _formats.setdefault(base, fmt)
        return _content(response)


def _post(base: str, body: dict) -> requests.Response:
    timeout = settings.STORYCORE_LLM_TIMEOUT
    try:
        return requests.post(f"{base}/chat/completions", json=body, headers=_headers(), timeout=(min(10.0, timeout), timeout))
    except requests.Timeout:
        raise TransientError(
            f"Timeout: the LLM server at {base} did not answer within {timeout:g} s. Raise STORYCORE_LLM_TIMEOUT "
            "for slow models or long dialogues, or check that the server is not overloaded."
        ) from None
    except requests.ConnectionError:
        raise TransientError(
            f"Connection refused: is the LLM server running at {base}? Start it (for Ollama: `ollama serve`) "
            "or point STORYCORE_LLM_URL at it."
        ) from None
    except requests.RequestException as exc:
        raise PermanentError(f"STORYCORE_LLM_URL {base!r} cannot be used: {exc}. Set it to the server's base URL, e.g. http://127.0.0.1:11434/v1.") from None


def _refuses_format(response: requests.Response) -> bool:
    """A server that does not know this response_format says so in a 400, 422 or 500."""
    if response.status_code not in (400, 422, 500):
        return False
    text = response.text.lower()
    return any(hint in text for hint in ("response_format", "json_schema", "json_object", "input should be 'text'"))


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return strip_control(response.text)[:EXCERPT].strip() or response.reason or ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:EXCERPT]
        for value in (error, body.get("message"), body.get("detail")):
            if isinstance(value, str) and value:
                return value[:EXCERPT]
    return json.dumps(body)[:EXCERPT]


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, from either of its forms (a number or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _raise_for_status(response: requests.Response, *, base: str, model: str) -> None:
    code = response.status_code
    if code < 400:
        return
    message = _error_message(response)
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    if code == 404 and "model" in message.lower():
        available = list_models(base)
        listed = ", ".join(available) if available else "none listed"
        if available is None:
            listed = f"unknown (GET {base}/models failed)"
        raise PermanentError(
            f"Model not found: {model!r} on the LLM server at {base}. Available: {listed}. "
            f"Set STORYCORE_LLM_MODEL to one of them, or install it (Ollama: `ollama pull {model}`)."
        )
    if code == 404:
        raise PermanentError(
            f"The LLM server at {base} has no {base}/chat/completions (HTTP 404: {message}). "
            "Check STORYCORE_LLM_URL: OpenAI-compatible servers usually serve under /v1."
        )
    if code in (401, 403):
        raise PermanentError(f"The LLM server at {base} refused the credentials (HTTP {code}: {message}). Check STORYCORE_LLM_API_KEY.")
    if code == 429:
        wait = f" Retry after {retry_after:g} s." if retry_after is not None else ""
        raise TransientError(
            f"Rate limit exceeded at the LLM server {base} (HTTP 429: {message}).{wait} The job is retried automatically.",
            retry_after=retry_after,
        )
    if code in TRANSIENT_STATUS or code >= 500:
        hint = " The server is overloaded or still loading the model." if code == 503 else ""
        raise TransientError(
            f"The LLM server at {base} answered HTTP {code}: {message}.{hint} The job is retried automatically.",
            retry_after=retry_after,
        )
    raise PermanentError(f"The LLM server at {base} rejected the request (HTTP {code}: {message}).")


def _content(response: requests.Response) -> tuple[str, str | None, dict[str, Any]]:
    """The answer's text, finish_reason and usage (token counts, {} when not given); a body
    that is not a chat completion is an unusable answer, quoted to the user."""
    try:
        body = response.json()
        choice = body["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise UnusableAnswer("the server's answer is not a chat completion (no choices[0].message.content)", raw=response.text) from None
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return (content if isinstance(content, str) else ""), choice.get("finish_reason"), usage


def probe(*, timeout: float = 2.0) -> dict[str, Any]:
    """For the health report: can the server be reached, and does it offer our model?"""
    base = settings.STORYCORE_LLM_URL.rstrip("/")
    model = settings.STORYCORE_LLM_MODEL
    try:
        response = requests.get(f"{base}/models", headers=_headers(), timeout=timeout)
    except requests.RequestException as exc:
        return {"ok": False, "url": base, "model": model, "error": f"{type(exc).__name__}: unreachable"}
    names = []
    if response.ok:
        try:
            names = [e.get("id") or e.get("name") for e in response.json().get("data") or [] if isinstance(e, dict)]
        except (ValueError, AttributeError):
            names = []
    return {"ok": response.ok, "url": base, "model": model, "model_listed": model in names, "status": response.status_code}
