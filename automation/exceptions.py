"""One error hierarchy for the whole app.

Providers raise only TransientError or PermanentError; the job engine decides from the
class whether to retry. The API maps ApplicationError to 400 and JobStateError to 409 in
one place (automation.api.exception_handlers).
"""


class ApplicationError(Exception):
    """A request that cannot be carried out as asked; the message tells the user what to fix."""

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class JobStateError(ApplicationError):
    """The job's current status does not allow this change (HTTP 409)."""


class IdempotencyConflict(JobStateError):
    """An Idempotency-Key was reused for a different request (HTTP 409)."""


class GenerationError(Exception):
    """A failure while generating; subclasses say whether trying again can help."""

    permanent = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientError(GenerationError):
    """Worth retrying later: connection refused, timeout, 429, 5xx, a dead worker."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(GenerationError):
    """Retrying cannot help until someone changes something: bad input, unknown model."""

    permanent = True


class JobAborted(Exception):
    """The running job was cancelled, or taken over after its lease expired: stop now."""
