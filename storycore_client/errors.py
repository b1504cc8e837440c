"""The client's errors: one class per failure a caller may want to handle differently.

Everything raised by the client is a `StoryCoreError`. HTTP answers map to `APIError`
subclasses by status; a job that ends badly raises `JobFailed` / `JobCancelled`, which
carry the job (its `error`, `error_kind`, `attempts` say what went wrong).
"""
from __future__ import annotations

from typing import Any


class StoryCoreError(Exception):
    """Base class of every error the client raises."""


class ConnectionRefused(StoryCoreError):
    """Nothing answered at the URL (the server is not running, or the URL is wrong)."""

    def __init__(self, url: str, detail: str = ""):
        self.url = url
        message = f"Connection refused: is the StoryCore server running at {url}? (set STORYCORE_URL or --url)"
        super().__init__(f"{message} [{detail}]" if detail else message)


class ConnectionLost(StoryCoreError):
    """The connection broke after the request was sent: it may or may not have been done.
    Creates are repeated safely (same Idempotency-Key); state changes are not repeated."""

    def __init__(self, url: str, detail: str = ""):
        self.url = url
        message = f"Connection lost: {url} closed the connection before answering"
        super().__init__(f"{message} [{detail}]" if detail else message)


class Timeout(StoryCoreError):
    """The server did not answer within the client's timeout."""

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout
        super().__init__(f"Timeout: no answer from {url} within {timeout:g}s (raise the client's timeout / --timeout)")


class APIError(StoryCoreError):
    """The server answered with an error status. `detail` is its message, `body` the parsed JSON."""

    status_code: int = 0

    def __init__(self, status_code: int, detail: str, *, url: str, body: Any = None):
        self.status_code = status_code
        self.detail = detail
        self.url = url
        self.body = body
        super().__init__(f"HTTP {status_code} from {url}: {detail}")


class BadRequest(APIError):
    """400: the request was refused; `errors` maps each field to its messages."""

    @property
    def errors(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {"detail": self.detail}


class Unauthorized(APIError):
    """401: no token, or a token the server does not know (set STORYCORE_TOKEN or --token)."""


class Forbidden(APIError):
    """403: authenticated, but not allowed."""


class NotFound(APIError):
    """404: no such object, or it belongs to another user."""


class Conflict(APIError):
    """409: the job's state does not allow it (e.g. retrying a completed job), or an
    Idempotency-Key reused with a different request."""


class RateLimited(APIError):
    """429: too many requests; `retry_after` is how many seconds the server asks to wait."""

    def __init__(self, status_code: int, detail: str, *, url: str, body: Any = None, retry_after: float | None = None):
        super().__init__(status_code, detail, url=url, body=body)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed (or a proxy in front of it did)."""


class JobError(StoryCoreError):
    """A job did not produce a result; `job` is the job as the server last reported it."""

    def __init__(self, job: dict[str, Any], message: str):
        self.job = job
        self.job_id = job.get("job_id")
        super().__init__(message)


class JobFailed(JobError):
    """The job failed (after its automatic retries); it now sits in the retry queue."""

    def __init__(self, job: dict[str, Any]):
        super().__init__(job, f"Job {job.get('job_id')} ({job.get('type')}) failed: {job.get('error') or 'no error recorded'}")


class JobCancelled(JobError):
    """The job was cancelled before it finished."""

    def __init__(self, job: dict[str, Any]):
        super().__init__(job, f"Job {job.get('job_id')} ({job.get('type')}) was cancelled")


class JobWaitTimeout(JobError, Timeout):
    """The job was still running when the client stopped waiting; it keeps running on the
    server: follow it with `get_job(error.job_id)`."""

    def __init__(self, job: dict[str, Any], waited: float):
        self.job = job
        self.job_id = job.get("job_id")
        self.url = job.get("url", "")
        self.timeout = waited
        StoryCoreError.__init__(
            self,
            f"Job {self.job_id} is still {job.get('status')} after {waited:g}s; it keeps running on the server "
            f"(follow it with get_job / `jobs show {self.job_id}`)",
        )


def error_for_response(response) -> APIError:
    """The typed error for an HTTP error answer (a `requests.Response`)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = _detail(body) or (response.text or "").strip()[:500] or response.reason or "error"
    status = response.status_code
    common = {"url": response.url, "body": body}
    if status == 429:
        return RateLimited(status, detail, retry_after=retry_after_seconds(response), **common)
    cls = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict}.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    return cls(status, detail, **common)


def retry_after_seconds(response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from this server; treat as unknown


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            return body["detail"]
        return "; ".join(f"{field}: {_flatten(messages)}" for field, messages in body.items())
    if isinstance(body, list):
        return _flatten(body)
    return ""


def _flatten(messages: Any) -> str:
    if isinstance(messages, list):
        return " ".join(_flatten(message) for message in messages)
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in messages.items())
    return str(messages)
