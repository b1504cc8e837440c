"""StoryCoreClient: the original `automationService`, in Python, over the HTTP API.

Needs only `requests`. Every create call sends an Idempotency-Key (a new uuid4 per call,
the same one on the client's own retries of that POST), so a POST retried after a lost
answer returns the job the first attempt created instead of a second job.
"""
from __future__ import annotations

import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import requests
from urllib3.exceptions import NewConnectionError

from storycore_client.errors import (
    ConnectionLost,
    ConnectionRefused,
    JobCancelled,
    JobFailed,
    JobWaitTimeout,
    RateLimited,
    ServerError,
    StoryCoreError,
    Timeout,
    error_for_response,
)

Job = dict[str, Any]
JobProgress = Callable[[Job], None]
QueueProgress = Callable[[int, int], None]

DEFAULT_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/automation/"
TERMINAL = frozenset({"completed", "failed", "cancelled"})
SERVER_MAX_WAIT = 30.0  # the server caps ?wait= at 30 s
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class StoryCoreClient:
    """A client for one StoryCore server.

    `base_url` and `token` default to $STORYCORE_URL (else http://127.0.0.1:8000) and
    $STORYCORE_TOKEN. `timeout` bounds each HTTP request (connect and read), `wait_timeout`
    how long the create calls wait for a job by default. `retries` is how many times a
    request is repeated after a connection error, a timeout, a 5xx or a 429 whose
    Retry-After is at most `max_rate_limit_wait` seconds.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        wait_timeout: float = 600.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_rate_limit_wait: float = 30.0,
        poll_interval: float = 0.5,
        session: requests.Session | None = None,
    ):
        self.base_url = (base_url or os.environ.get("STORYCORE_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("STORYCORE_TOKEN") or None
        self.timeout = timeout
        self.wait_timeout = wait_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_rate_limit_wait = max_rate_limit_wait
        self.poll_interval = poll_interval
        self.session = session or requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "storycore-client/1.0"
        if self.token:
            self.session.headers["Authorization"] = f"Token {self.token}"

    def __enter__(self) -> "StoryCoreClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # --- generation (the original generateDialogue / generateCharacterGrid / enhancePrompt) ---

    def generate_dialogue(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        wait: bool | float = True,
        on_progress: JobProgress | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Any:
        """Create a dialogue job and (by default) return the dialogue.

        Fields as in the API (`characters`, `context`, `dialogue_type`, `template`,
        `num_lines`, `language`, `title`, `seed`, `provider`, `max_retries`), snake_case or the original
        camelCase (`dialogueType`, `numLines`), as a dict, keywords, or both. Client options:
        `wait` (True: up to `wait_timeout`; seconds; False: return the job at once),
        `on_progress(job)` called as the job moves, `idempotency_key` (default: a new uuid4).
        """
        return self._generate("dialogue/generate", {**(payload or {}), **fields}, wait, on_progress, idempotency_key)

    def generate_character_grid(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        wait: bool | float = True,
        on_progress: JobProgress | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Any:
        """Create a character-grid job and (by default) return the grid.

        Fields: `character_id` / `characterId`, `character_name` / `characterName`,
        `grid_size` / `gridSize`, `outfits`, `poses`, `expressions`, `camera_angles`, `style`,
        `lighting`, `mood`, `quality`, `seed`, `width`, `height`, `provider`, `max_retries`.
        """
        return self._generate(
            "character/grid/generate", {**(payload or {}), **fields}, wait, on_progress, idempotency_key
        )

    def enhance_prompt(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        wait: bool | float = True,
        on_progress: JobProgress | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Any:
        """Create a prompt-enhancement job and (by default) return the enhanced prompt.

        Fields: `base_prompt` / `basePrompt`, `style`, `lighting`, `mood`, `quality`,
        `camera`, `add_negative`, `add_style_tags`, `variants`, `seed`, `max_retries`.
        """
        return self._generate("prompt/enhance", {**(payload or {}), **fields}, wait, on_progress, idempotency_key)

    def _generate(
        self, path: str, body: dict[str, Any], wait: bool | float, on_progress: JobProgress | None, key: str | None
    ) -> Any:
        key = key or str(uuid.uuid4())  # one per logical call: the client's retries reuse it
        if not wait:
            return self._request("POST", path, json=body, idempotency_key=key)
        budget = self.wait_timeout if wait is True else float(wait)
        deadline = time.monotonic() + budget
        # A progress callback wants to see the job move, so wait on the server only briefly
        # and poll; otherwise let the server hold the request for as long as it allows.
        first_wait = min(1.0 if on_progress else SERVER_MAX_WAIT, budget)
        job = self._request(
            "POST", path, json=body, idempotency_key=key, params={"wait": f"{first_wait:g}"},
            timeout=first_wait + self.timeout,
        )  # fmt: skip
        return self._follow(job, budget=budget, deadline=deadline, on_progress=on_progress)["result"]

    # --- jobs ---------------------------------------------------------------------------

    def get_job(self, job_id: str) -> Job:
        """One job, with its attempts (when, which worker, the error)."""
        return self._request("GET", f"jobs/{_id(job_id)}")

    def list_jobs(
        self, status: str | list[str] | None = None, type: str | None = None, *, limit: int | None = None, **filters
    ) -> list[Job]:
        """Jobs, newest first; `status` may be a list (`["failed", "pending"]`). Follows the
        pages up to `limit` jobs (all when None). Other filters: `created_after`, `created_before`."""
        params = {"status": status, "type": type, **filters}
        return list(self._paginate("jobs/", params, limit))

    def wait_for_job(self, job: Job | str, *, timeout: float | None = None, on_progress: JobProgress | None = None) -> Job:
        """Poll a job until it ends; return it if completed, raise JobFailed / JobCancelled
        otherwise, or JobWaitTimeout if it is still running after `timeout` seconds
        (default `wait_timeout`)."""
        if isinstance(job, str):
            job = self.get_job(job)
        budget = self.wait_timeout if timeout is None else timeout
        return self._follow(job, budget=budget, deadline=time.monotonic() + budget, on_progress=on_progress)

    def _follow(self, job: Job, *, budget: float, deadline: float, on_progress: JobProgress | None) -> Job:
        interval = self.poll_interval
        while True:
            if on_progress:
                on_progress(job)
            if job["status"] in TERMINAL:
                return _finished(job)
            if time.monotonic() >= deadline:
                raise JobWaitTimeout(job, budget)
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 1.5, 2.0)
            job = self.get_job(job["job_id"])

    def retry_job(self, job: Job | str) -> Job:
        """Re-queue a failed or cancelled job (Conflict otherwise); returns it, pending."""
        return self._request("POST", f"jobs/{_id(job)}/retry")

    def cancel_job(self, job: Job | str) -> Job:
        """Cancel a pending, processing or failed job (Conflict otherwise)."""
        return self._request("POST", f"jobs/{_id(job)}/cancel")

    # --- the retry queue ----------------------------------------------------------------

    def get_retry_queue(self) -> list[Job]:
        """The failed jobs (every page)."""
        return list(self._paginate("jobs/retry-queue", {}, None))

    def process_retry_queue(
        self, on_progress: QueueProgress | None = None, *, wait: bool | float = True
    ) -> list[Job]:
        """Retry every failed job, then follow them: `on_progress(completed, total)` is
        called with 0/N first, then once per job as it ends (1/N … N/N). Returns the jobs
        as they ended (completed, or failed again, or cancelled), in queue order.
        With `wait=False`, returns the re-queued jobs without following them."""
        answer = self._request("POST", "jobs/retry-queue/process")
        jobs: list[Job] = answer["retried"]
        total = len(jobs)
        if on_progress:
            on_progress(0, total)
        if not wait or not jobs:
            return jobs
        budget = self.wait_timeout if wait is True else float(wait)
        deadline = time.monotonic() + budget
        final: dict[str, Job] = {}
        interval = self.poll_interval
        while True:
            # One listing of the active jobs per round instead of one request per job: a
            # retried job missing from it has ended, and is fetched once for its outcome.
            active = {job["job_id"] for job in self.list_jobs(status=["pending", "processing"])}
            for job in jobs:
                if job["job_id"] in final or job["job_id"] in active:
                    continue
                current = self.get_job(job["job_id"])
                if current["status"] in TERMINAL:
                    final[job["job_id"]] = current
                    if on_progress:
                        on_progress(len(final), total)
            if len(final) == total:
                return [final[job["job_id"]] for job in jobs]
            if time.monotonic() >= deadline:
                unfinished = next(job for job in jobs if job["job_id"] not in final)
                raise JobWaitTimeout(self.get_job(unfinished["job_id"]), budget)
            time.sleep(interval)
            interval = min(interval * 1.5, 2.0)

    def clear_retry_queue(self) -> int:
        """Cancel every failed job (they stay in history); returns how many."""
        return self._request("DELETE", "jobs/retry-queue")["count"]

    # --- health, catalogs, history ------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Database, broker, workers, providers, queue depths. A 503 (the service cannot take
        jobs) is an answer too: the report is returned, with `healthy` False."""
        response = self._send("GET", "health", allow={503})
        report = _json(response)
        report.setdefault("healthy", response.status_code == 200)
        return report

    def grid_options(self) -> dict[str, Any]:
        return self._request("GET", "character/grid/options")

    def prompt_styles(self) -> dict[str, Any]:
        return self._request("GET", "prompt/styles")

    def list_dialogues(self, *, limit: int | None = None, **filters) -> list[dict[str, Any]]:
        """Dialogue history, newest first. Filters: `character`, `dialogue_type`, `mood`, `q`,
        `created_after`, `created_before`."""
        return list(self._paginate("dialogue/history", filters, limit))

    def get_dialogue(self, scene_id: str) -> dict[str, Any]:
        return self._request("GET", f"dialogue/{_id(scene_id)}")

    def delete_dialogue_history(self, *, before: str | None = None) -> int:
        """Delete your dialogues (only those created before `before`, an ISO date, if given)."""
        return self._request("DELETE", "dialogue/history", params={"before": before})["count"]

    def list_prompt_history(self, *, limit: int | None = None, **filters) -> list[dict[str, Any]]:
        """Prompt enhancements, newest first. Filters: `style`, `lighting`, `mood`, `quality`, `q`, dates."""
        return list(self._paginate("prompt/history", filters, limit))

    def delete_prompt_history(self, *, before: str | None = None) -> int:
        return self._request("DELETE", "prompt/history", params={"before": before})["count"]

    def list_grids(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Your character grids, newest first (summaries with `sheet_url`)."""
        return list(self._paginate("character/grid", {}, limit))

    def get_grid(self, bundle_id: str) -> dict[str, Any]:
        """One grid with its panels, prompts and image URLs."""
        return self._request("GET", f"character/grid/{_id(bundle_id)}")

    def download_grid_sheet(self, bundle_id: str | Mapping[str, Any], path: str | os.PathLike) -> Path:
        """Save a grid's sheet PNG to `path` (a directory gets `<bundle_id>.png`); returns the file."""
        bundle = bundle_id["bundle_id"] if isinstance(bundle_id, Mapping) else str(bundle_id)
        target = Path(path)
        if target.is_dir():
            target = target / f"{bundle}.png"
        # JSON accepted too, so that a 404 comes back as DRF's JSON error, not a 406.
        accept = "image/png, application/json;q=0.5"
        response = self._send("GET", f"character/grid/{_id(bundle)}/sheet.png", stream=True, accept=accept)
        partial = target.with_name(target.name + ".part")
        try:
            with open(partial, "wb") as out:
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    out.write(chunk)
            partial.replace(target)  # never leave a half-written file under the real name
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            raise self._transport_error(exc, response.url) from exc
        finally:
            response.close()
        return target

    # --- HTTP ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.base_url + API_PREFIX, path)

    def _request(self, method: str, path: str, **kwargs) -> Any:
        return _json(self._send(method, path, **kwargs))

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        stream: bool = False,
        accept: str | None = None,
        allow: set[int] = frozenset(),
    ) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self.url(path)
        headers = {}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if accept:
            headers["Accept"] = accept
        params = {key: value for key, value in (params or {}).items() if value is not None}
        # Reads and keyed creates are safe to repeat after any failure. The state changes
        # (retry, cancel, process, clear) are repeated only when the connection failed, and
        # a repeat of one that did get through is harmless: a 409, or nothing left to do.
        safe = method in ("GET", "HEAD") or idempotency_key is not None
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method, url, params=params, json=json, headers=headers, stream=stream,
                    timeout=(min(self.timeout, 10.0), timeout or self.timeout),
                )  # fmt: skip
            except requests.RequestException as exc:
                error = self._transport_error(exc, url, timeout or self.timeout)
                if attempt < self.retries and (safe or isinstance(error, ConnectionRefused)):
                    attempt += 1
                    time.sleep(self._backoff(attempt))
                    continue
                raise error from exc
            if response.status_code < 400 or response.status_code in allow:
                return response
            error = error_for_response(response)
            response.close()
            if attempt < self.retries and safe and response.status_code in RETRY_STATUSES:
                delay = self._retry_delay(error, attempt + 1)
                if delay is not None:
                    attempt += 1
                    time.sleep(delay)
                    continue
            raise error

    def _retry_delay(self, error: StoryCoreError, attempt: int) -> float | None:
        if isinstance(error, RateLimited):
            wait = error.retry_after if error.retry_after is not None else self._backoff(attempt)
            return wait if wait <= self.max_rate_limit_wait else None  # too long: let the caller decide
        if isinstance(error, ServerError):
            return self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0.5, 1.0) * min(8.0, self.backoff * 2 ** (attempt - 1))

    def _transport_error(self, exc: requests.RequestException, url: str, timeout: float | None = None) -> StoryCoreError:
        if isinstance(exc, requests.Timeout):  # ConnectTimeout is both: a timeout it is
            return Timeout(url, timeout or self.timeout)
        if isinstance(exc, requests.ConnectionError):
            if _could_not_connect(exc):
                return ConnectionRefused(self.base_url, _root_cause(exc))
            return ConnectionLost(url, _root_cause(exc))
        return StoryCoreError(f"{type(exc).__name__} talking to {url}: {exc}")

    def _paginate(self, path: str, params: Mapping[str, Any], limit: int | None) -> Iterator[dict[str, Any]]:
        params = {key: value for key, value in params.items() if value is not None}
        if limit is not None:
            params.setdefault("page_size", min(max(limit, 1), 200))
        url: str | None = path
        count = 0
        while url:
            page = self._request("GET", url, params=params)
            params = {}  # the `next` link carries the query
            for item in page["results"]:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            url = page.get("next")


def _finished(job: Job) -> Job:
    if job["status"] == "failed":
        raise JobFailed(job)
    if job["status"] == "cancelled":
        raise JobCancelled(job)
    return job


def _id(value: Job | str) -> str:
    """A job (dict) or an id, as a path segment that can only be one segment."""
    if isinstance(value, Mapping):
        value = value["job_id"]
    return quote(str(value), safe="")


def _json(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise StoryCoreError(
            f"Expected JSON from {response.url}, got {response.headers.get('Content-Type')}: is "
            f"{response.url} a StoryCore server?"
        ) from exc


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests → urllib3 → socket)."""
    stack, seen = [exc], set()
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        stack += [arg for arg in current.args if isinstance(arg, BaseException)]


def _could_not_connect(exc: BaseException) -> bool:
    """True when no connection was made (so the request surely was not received)."""
    return any(isinstance(cause, (NewConnectionError, ConnectionRefusedError, socket.gaierror)) for cause in _causes(exc))


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    return str(exc)[:200]
