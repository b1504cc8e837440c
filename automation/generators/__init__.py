"""The generator registry: job type -> the code that produces that type's result.

A generator does the slow work outside any transaction (provider calls), calling
`ctx.checkpoint()` between steps, and returns an Artifact. The job engine then calls
`artifact.save(job)` inside the same transaction that marks the job completed, so a job
that is cancelled or taken over at the last moment leaves no half-written rows.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from automation.models import GenerationJob


class Artifact(Protocol):
    def save(self, job: "GenerationJob") -> dict[str, Any]:
        """Write the generated rows for `job` and return the JSON stored as the job's result."""

    def discard(self) -> None:
        """Undo side effects outside the database (files) when the job is not completed."""


class JobContext(Protocol):
    job: "GenerationJob"

    @property
    def params(self) -> dict[str, Any]: ...

    def checkpoint(self, progress: int | None = None) -> None:
        """Report progress and renew the lease; raises JobAborted if the job was cancelled."""


@dataclass(frozen=True)
class Generator:
    type: str
    run: Callable[[JobContext], Artifact]
    # True when a job with these params calls no provider (it runs on this process's CPU
    # alone, in milliseconds). Only such jobs are run several to a task (automation.jobs).
    in_process: Callable[[dict[str, Any]], bool] = lambda params: False
    # Saves the artifacts of a batch of such jobs at once (bulk INSERTs) and returns their
    # results in order; without it, each artifact's save() runs in turn.
    save_batch: Callable[[list[tuple["GenerationJob", Artifact]]], list[dict[str, Any]]] | None = None
    # Deletes this type's history older than the cutoff, in batches; returns rows deleted.
    cleanup: Callable[[datetime, int], int] | None = None


def text_provider(params: dict[str, Any]) -> str:
    """The text provider of a dialogue or prompt job: the request's, else the setting's,
    resolved when the job runs (a settings change applies to retries)."""
    from django.conf import settings

    return params.get("provider") or settings.STORYCORE_TEXT_PROVIDER


def runs_text_in_process(params: dict[str, Any]) -> bool:
    """Generator.in_process of the text jobs: only the LLM is another server."""
    return text_provider(params) != "llm"


_registry: dict[str, Generator] = {}


def register(generator: Generator) -> Generator:
    _registry[generator.type] = generator
    return generator


def get_generator(job_type: str) -> Generator:
    _load_builtin_generators()
    try:
        return _registry[job_type]
    except KeyError:
        raise LookupError(f"No generator is registered for job type {job_type!r}") from None


def all_generators() -> list[Generator]:
    _load_builtin_generators()
    return list(_registry.values())


def _load_builtin_generators() -> None:
    # Imported lazily: generator modules import models, which must wait for app loading.
    from automation.generators import dialogue, grid, prompt  # noqa: F401
