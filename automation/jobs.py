"""The job lifecycle: the only code that changes a GenerationJob's status.

Every state change is a conditional UPDATE whose row count says whether we won:
a claim only takes a pending, due job; only the worker holding the claim token can
complete or fail it. Double delivery by the broker, two workers, a cancel racing a
completion, or a worker resurrected after its lease expired all lose the race cleanly.

The broker is only a doorbell. The database is the queue: a job the broker never saw
(broker down at creation, Redis restarted) is enqueued again by `job_dispatch_due`.
"""
import hashlib
import json
import logging
import os
import random
import socket
import traceback
import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any, Iterable

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from automation.broker import RUN_JOB_TASK, JobTableBroker
from automation.bulk import update_each
from automation.exceptions import GenerationError, IdempotencyConflict, JobAborted, JobStateError, TransientError
from automation.generators import Artifact, get_generator
from automation.leases import lease_keeper, renew_lease
from automation.models import GenerationJob, JobAttempt
from automation.prepared import prepare_insert
from automation.selectors import jobs_waiting_for_a_broker

logger = logging.getLogger(__name__)

Status = GenerationJob.Status
Outcome = JobAttempt.Outcome
RETRY_AFTER_MAX = 3600.0  # seconds; a longer Retry-After is more likely a bug than a plan


@cache
def _worker_name(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}"


def worker_name() -> str:
    return _worker_name(os.getpid())  # keyed by pid: a forked worker gets its own


def request_fingerprint(*, job_type: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"type": job_type, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- Creating and enqueueing ---------------------------------------------------------------


def job_create(
    *,
    owner,
    job_type: str,
    params: dict[str, Any],
    max_retries: int | None = None,
    idempotency_key: str = "",
) -> tuple[GenerationJob, bool]:
    """Store a new pending job and enqueue it after commit; returns (job, created).

    With an idempotency key already used by this owner, returns the earlier job
    (created=False), or raises IdempotencyConflict if the request differs.
    """
    get_generator(job_type)  # fail loudly on a type nothing can run
    fingerprint = ""  # only a repeated key is compared with its first request
    if idempotency_key:
        fingerprint = request_fingerprint(job_type=job_type, params=params)
        existing = _job_for_idempotency_key(owner=owner, key=idempotency_key, fingerprint=fingerprint)
        if existing:
            return existing, False
    now = timezone.now()
    # Built and compiled before the transaction: on SQLite, every other writer waits while
    # it is open (automation/prepared.py).
    job = GenerationJob(
        owner=owner,
        type=job_type,
        params=params,
        max_retries=settings.STORYCORE_DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        next_attempt_at=now,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    insert = prepare_insert(job)
    try:
        insert.execute()  # one statement: its own transaction, or the caller's
        _enqueue_with_transaction(job.job_id)
    except IntegrityError:
        # Two requests with the same key raced; the other one inserted first.
        existing = _job_for_idempotency_key(owner=owner, key=idempotency_key, fingerprint=fingerprint)
        if existing is None:
            raise
        return existing, False
    return job, True


def _job_for_idempotency_key(*, owner, key: str, fingerprint: str) -> GenerationJob | None:
    job = GenerationJob.objects.filter(owner=owner, idempotency_key=key).first()
    if job is not None and job.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was already used for a different request (job {job.job_id}). "
            "Use a new key for a new request."
        )
    return job


def job_enqueue(*, job_id: uuid.UUID) -> bool:
    """Hand a pending job to the broker and note when (the dispatcher's way). A broker
    error is logged, not raised: the job stays in the database for the next round."""
    if not send_to_broker(job_id):
        return False
    GenerationJob.objects.filter(pk=job_id, status=Status.PENDING).update(enqueued_at=timezone.now())
    return True


def _enqueue_with_transaction(job_id: uuid.UUID) -> None:
    """Enqueue a job the current transaction (or the statement just committed) makes pending.

    With the embedded default's broker the committed job is its own message
    (automation.broker): nothing more to write. Another broker (Redis) gets the message
    after the commit, and the job's enqueued_at is stored once the broker has taken it:
    if the broker refuses, or this process dies in between, the job is left without one
    and the dispatcher's next round sends it. In django-q2's sync mode (debugging), sending
    the message runs the job at once, whatever the broker.
    """
    from django_q.conf import Conf

    if Conf.SYNC or not broker_reads_job_table():
        transaction.on_commit(partial(job_enqueue, job_id=job_id))


_brokers: dict[tuple, Any] = {}


def _broker():
    """This process's broker client. Given none, django-q2 builds a new one for every task
    it enqueues: with Redis, a new connection pool and a TCP connection per request."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    # Keyed by what selects the broker, so a fork or a reconfiguration gets a fresh one.
    key = (os.getpid(), Conf.BROKER_CLASS, Conf.ORM, str(Conf.REDIS), Conf.DJANGO_REDIS, Conf.CLUSTER_NAME)
    broker = _brokers.get(key)
    if broker is None:
        _brokers.clear()
        broker = _brokers[key] = get_broker()
    return broker


def broker_reads_job_table() -> bool:
    """Whether the broker takes due jobs from the job table itself (automation.broker)."""
    return isinstance(_broker(), JobTableBroker)


def send_to_broker(job_id: uuid.UUID) -> bool:
    from django_q.tasks import async_task

    try:
        async_task(RUN_JOB_TASK, str(job_id), task_name=f"job {job_id}", ack_failure=True, broker=_broker())
    except Exception as exc:  # the broker's client raises its own error types
        logger.warning("Could not enqueue job %s (%s); the dispatcher will retry.", job_id, exc)
        return False
    return True


def job_dispatch_due(*, limit: int = 500) -> int:
    """Enqueue pending jobs that are due and that the broker does not hold: never
    enqueued, retries whose backoff has passed, or enqueued long ago and never claimed.
    Nothing to do when the broker reads the job table: it takes those jobs itself."""
    if broker_reads_job_table():
        return 0
    due = jobs_waiting_for_a_broker(timezone.now()).values_list("job_id", flat=True)[:limit]
    return sum(job_enqueue(job_id=job_id) for job_id in list(due))


# --- Running ----------------------------------------------------------------------------


class RunningJob:
    """What a generator sees of its job while it runs (automation.generators.JobContext)."""

    def __init__(self, job: GenerationJob, *, in_process: bool = False):
        self.job = job
        self.in_process = in_process

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def checkpoint(self, progress: int | None = None) -> None:
        # A job that runs in-process is done in milliseconds: nobody would see its progress,
        # and a cancel is caught by its completion's compare-and-set. Writing them cost a
        # transaction per checkpoint. Jobs that wait on a provider check in for real.
        if not self.in_process:
            job_checkpoint(job=self.job, progress=progress)


def job_claim(*, job_id: uuid.UUID | str, worker: str) -> GenerationJob | None:
    """Take a pending, due job for this worker; None if another worker, a cancel or the
    backoff got there first. The compare-and-set makes duplicate deliveries harmless."""
    claimed = job_claim_batch(job_id=job_id, worker=worker, limit=1)
    return claimed[0] if claimed else None


def job_claim_batch(*, job_id: uuid.UUID | str, worker: str, limit: int) -> list[GenerationJob]:
    """Claim the job, and, if it runs in-process, up to `limit` - 1 more pending, due jobs
    of its type that do too, oldest first, in the same transaction. Empty if the job itself
    could not be claimed.

    Such jobs take milliseconds, so the claim and completion transactions, not the work,
    were most of their cost. Their own broker messages still arrive later and find them
    taken: a read, no write. Each job keeps its own claim token, attempt and lease.
    """
    if _completed_here.has(job_id):
        return []
    now = timezone.now()
    # Most messages for in-process jobs find them already run by a batch: they read two
    # columns and stop. (A full row costs twice as much to read.)
    state = GenerationJob.objects.filter(pk=job_id).values_list("status", "next_attempt_at").first()
    if state is None or state[0] != Status.PENDING or state[1] > now:
        return []
    # The row is read before the transaction, so that the write lock (all of SQLite, while
    # it lasts) is held as briefly as possible; the compare-and-set checks it is unchanged.
    try:
        job = GenerationJob.objects.get(pk=job_id)
    except GenerationJob.DoesNotExist:  # deleted in between
        return []
    token = uuid.uuid4()
    changes = {**_claim_changes(now), "claim_token": token, "attempt_count": job.attempt_count + 1}
    # Every claim changes attempt_count and every return to pending sets a new
    # next_attempt_at, so this only matches the row as it was read.
    unchanged = GenerationJob.objects.filter(
        pk=job.pk, status=Status.PENDING, attempt_count=job.attempt_count, next_attempt_at=job.next_attempt_at
    )
    others = []
    if limit > 1 and _runs_in_process(job):  # read outside the transaction too
        others = [other for other in _batch_candidates(job, now=now, limit=limit - 1) if _runs_in_process(other)]
    with transaction.atomic():
        if not unchanged.update(**changes):
            return []
        claimed = [_applied(job, changes), *_claim_unchanged(others, now=now)]
        JobAttempt.objects.bulk_create(
            JobAttempt(attempt_id=job.claim_token, job=job, number=job.attempt_count, worker=worker[:255], started_at=now)
            for job in claimed
        )
    return claimed


class RecentlyCompleted:
    """The last jobs this process completed. Completed is final (only failed or cancelled
    jobs can be retried), so a message for one of them is a stale copy, left over from a job
    a batch ran before its own message arrived: it can be dropped without a read."""

    def __init__(self, size: int = 10_000):
        self._size = size
        self._ids: dict[str, None] = {}  # insertion-ordered: the oldest goes first

    def add(self, job_id) -> None:
        self._ids[str(job_id)] = None
        if len(self._ids) > self._size:
            del self._ids[next(iter(self._ids))]

    def has(self, job_id) -> bool:
        return str(job_id) in self._ids


_completed_here = RecentlyCompleted()


def _claim_changes(now: datetime) -> dict[str, Any]:
    lease = now + timedelta(seconds=settings.STORYCORE_JOB_LEASE)
    return {"status": Status.PROCESSING, "started_at": now, "lease_expires_at": lease, "progress": 0}


def _runs_in_process(job: GenerationJob) -> bool:
    return get_generator(job.type).in_process(job.params)


def _batch_candidates(job: GenerationJob, *, now: datetime, limit: int) -> list[GenerationJob]:
    """Other pending, due jobs of the same type, oldest first."""
    return list(
        GenerationJob.objects.filter(status=Status.PENDING, type=job.type, next_attempt_at__lte=now)
        .exclude(pk=job.pk)
        .order_by("next_attempt_at")[:limit]
    )


def _claim_unchanged(jobs: list[GenerationJob], *, now: datetime) -> list[GenerationJob]:
    """Claim those of `jobs` (read before the transaction) that are still pending, due and
    as read (every claim changes attempt_count): one UPDATE for all, then each its own token.

    The check locks the rows until the commit. On PostgreSQL rows another worker is claiming
    are skipped, never waited for: a claim only ever waits at its first UPDATE, before it
    holds any lock, so two batches cannot deadlock. (A SQLite transaction here already holds
    the whole database.)"""
    if not jobs:
        return []
    # Selected by primary key alone, the state checked here: given `status = 'pending'` too,
    # SQLite's planner (which has no statistics) chose the status index and read every
    # pending job of every type, 30 ms per statement behind 64,000 pending dialogues.
    locked = (
        GenerationJob.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[job.pk for job in jobs])
        .order_by()
        .values_list("pk", "attempt_count", "status", "next_attempt_at")
    )
    unchanged = {(pk, count) for pk, count, status, due in locked if status == Status.PENDING and due <= now}
    jobs = [job for job in jobs if (job.pk, job.attempt_count) in unchanged]
    if not jobs:
        return []
    tokens = {job.pk: uuid.uuid4() for job in jobs}
    changes = _claim_changes(now)
    updated = GenerationJob.objects.filter(pk__in=tokens).update(**changes, attempt_count=F("attempt_count") + 1)
    if updated != len(jobs):  # cannot happen while the rows are locked; never run a job twice if it does
        raise JobStateError(f"{len(jobs) - updated} of the {len(jobs)} locked jobs changed during their claim.")
    update_each(GenerationJob, "claim_token", tokens)
    return [
        _applied(job, {**changes, "claim_token": tokens[job.pk], "attempt_count": job.attempt_count + 1})
        for job in jobs
    ]


def job_checkpoint(*, job: GenerationJob, progress: int | None = None) -> None:
    """Record progress and renew the lease; raise JobAborted if this worker lost the job."""
    if progress is None:
        still_ours = renew_lease(job)
    else:
        progress = max(0, min(99, int(progress)))
        lease = timezone.now() + timedelta(seconds=settings.STORYCORE_JOB_LEASE)
        still_ours = _held(job).update(progress=progress, lease_expires_at=lease)
    if not still_ours:
        raise JobAborted(f"Job {job.job_id} is no longer processing under this worker's claim.")
    if progress is not None:
        job.progress = progress


def _held(job: GenerationJob) -> QuerySet:
    return GenerationJob.objects.filter(pk=job.pk, status=Status.PROCESSING, claim_token=job.claim_token)


def job_complete(*, job: GenerationJob, artifact: Artifact) -> GenerationJob:
    """Save the artifact and mark the job completed in one transaction, or neither."""
    now = timezone.now()
    with transaction.atomic():
        changes = {**_completion_changes(now), "result": artifact.save(job)}
        if not _held(job).update(**changes):
            raise JobAborted(f"Job {job.job_id} was cancelled or taken over before it could complete.")
        _finish_attempt(job.claim_token, outcome=Outcome.COMPLETED, now=now)
    return _applied(job, changes)


def _completion_changes(now: datetime) -> dict[str, Any]:
    return {
        "status": Status.COMPLETED,
        "progress": 100,
        "completed_at": now,
        "error": "",
        "error_kind": "",
        "claim_token": None,
        "lease_expires_at": None,
    }


def job_fail(
    *,
    job: GenerationJob,
    message: str,
    kind: str,
    retry_after: float | None = None,
    trace: str = "",
    outcome: str | None = None,
) -> GenerationJob | None:
    """Record a failed attempt: a transient one goes back to pending after a backoff while
    retries remain; anything else fails the job now. None if this worker no longer holds it."""
    now = timezone.now()
    retry = kind == GenerationJob.ErrorKind.TRANSIENT and job.retry_count < job.max_retries
    if retry:
        delay = backoff_delay(attempt=job.retry_count, retry_after=retry_after)
        changes = {
            "status": Status.PENDING,
            # Nobody else changes a job while this worker holds its claim.
            "retry_count": job.retry_count + 1,
            "next_attempt_at": now + timedelta(seconds=delay),
            "enqueued_at": None,
        }
    else:
        changes = {"status": Status.FAILED, "completed_at": now}
    outcome = outcome or {"transient": Outcome.TRANSIENT, "permanent": Outcome.PERMANENT}.get(kind, Outcome.CRASH)
    changes.update(error=message, error_kind=kind, claim_token=None, lease_expires_at=None)
    with transaction.atomic():
        if not _held(job).update(**changes):
            return None
        _finish_attempt(job.claim_token, outcome=outcome, now=now, error=message, trace=trace)
    return _applied(job, changes)


def _applied(job: GenerationJob, changes: dict[str, Any]) -> GenerationJob:
    """The job as the UPDATE just left it, without reading it back (a hot path)."""
    for field, value in changes.items():
        setattr(job, field, value)
    return job


def backoff_delay(*, attempt: int, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff (AWS architecture blog), capped. A server's
    Retry-After is a floor even above the cap, since retrying earlier is certain to be
    refused again and would burn a retry; it is bounded only by RETRY_AFTER_MAX."""
    ceiling = min(settings.STORYCORE_RETRY_BACKOFF_CAP, settings.STORYCORE_RETRY_BACKOFF_BASE * 2**attempt)
    delay = random.uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_MAX))
    return delay


def _finish_attempt(token, *, outcome: str, now: datetime, error: str = "", trace: str = "") -> None:
    JobAttempt.objects.filter(pk=token, outcome=Outcome.RUNNING).update(
        outcome=outcome, finished_at=now, error=error, traceback=trace
    )


def job_run(*, job_id: uuid.UUID | str, worker: str | None = None) -> GenerationJob | None:
    """Claim the job (with more of its kind when it runs in-process: job_claim_batch), run
    the generators and record how each job ended; returns the job asked for, or None if
    it was not ours to run. Never raises for a generation failure: the outcome is stored
    on the job for the user to see."""
    claimed = job_claim_batch(job_id=job_id, worker=worker or worker_name(), limit=settings.STORYCORE_WORKER_BATCH)
    if not claimed:
        return None
    generated, outcomes = [], {}
    with ExitStack() as leases:
        for job in claimed:
            leases.enter_context(lease_keeper.keep(job))
        for job in claimed:
            try:
                running = RunningJob(job, in_process=_runs_in_process(job))
                generated.append((job, get_generator(job.type).run(running)))
            except Exception as exc:
                outcomes[job.pk] = _record_failure(job, exc)
    outcomes.update(_complete(generated))
    return outcomes[claimed[0].pk]


def _complete(generated: list[tuple[GenerationJob, Artifact]]) -> dict[Any, GenerationJob | None]:
    """Complete the generated jobs, one job in its own transaction, a batch together."""
    completed, failures = {}, []
    if len(generated) == 1:
        job, artifact = generated[0]
        try:
            completed[job.pk] = job_complete(job=job, artifact=artifact)
        except Exception as exc:
            failures.append((job, exc, artifact))
    elif generated:
        try:
            completed, failures = _complete_batch(generated)
        except DatabaseError as exc:  # the whole transaction was lost: nothing was completed
            completed, failures = {}, [(job, exc, artifact) for job, artifact in generated]
    for job_id in completed:
        _completed_here.add(job_id)
    for job, exc, artifact in failures:
        completed[job.pk] = _record_failure(job, exc, artifact)
    return completed


def _complete_batch(generated: list[tuple[GenerationJob, Artifact]]) -> tuple[dict, list]:
    """Save the artifacts of the jobs this worker still holds and mark them completed, in
    one transaction: one statement per artifact, a few for the whole batch. Returns the
    completed jobs and the (job, error, artifact) of the others."""
    now = timezone.now()
    changes = _completion_changes(now)
    saved, failures = [], []
    with transaction.atomic():
        # Locked on PostgreSQL until the commit, so a cancel cannot slip in between.
        # By primary key alone, as in _claim_unchanged.
        locked = (
            GenerationJob.objects.select_for_update()
            .filter(pk__in=[job.pk for job, _ in generated])
            .order_by()
            .values_list("pk", "status", "claim_token")
        )
        holders = {pk: token for pk, status, token in locked if status == Status.PROCESSING}
        held = []
        for job, artifact in generated:
            if holders.get(job.pk) == job.claim_token:
                held.append((job, artifact))
            else:
                failures.append((job, JobAborted(f"Job {job.job_id} was cancelled or taken over."), artifact))
        save_batch = get_generator(generated[0][0].type).save_batch
        if save_batch is not None:
            try:
                with transaction.atomic():  # a savepoint: a failed save undoes only the artifacts
                    saved = list(zip((job for job, _ in held), save_batch(held)))
            except Exception as exc:
                failures += [(job, exc, artifact) for job, artifact in held]
        else:
            for job, artifact in held:
                try:
                    with transaction.atomic():  # a savepoint: a failed save undoes only its own rows
                        saved.append((job, artifact.save(job)))
                except Exception as exc:
                    failures.append((job, exc, artifact))
        if saved:
            GenerationJob.objects.filter(pk__in=[job.pk for job, _ in saved]).update(**changes)
            update_each(GenerationJob, "result", {job.pk: result for job, result in saved})
            JobAttempt.objects.filter(pk__in=[job.claim_token for job, _ in saved], outcome=Outcome.RUNNING).update(
                outcome=Outcome.COMPLETED, finished_at=now
            )
    return {job.pk: _applied(job, {**changes, "result": result}) for job, result in saved}, failures


def _record_failure(job: GenerationJob, exc: Exception, artifact: Artifact | None = None) -> GenerationJob | None:
    """Store how an attempt ended when it did not complete; None if the job is no longer ours."""
    _discard(artifact)
    if isinstance(exc, JobAborted):
        _finish_attempt(job.claim_token, outcome=Outcome.CANCELLED, now=timezone.now(), error="Stopped: cancelled or taken over.")
        return None
    if isinstance(exc, GenerationError):
        kind = GenerationJob.ErrorKind.PERMANENT if exc.permanent else GenerationJob.ErrorKind.TRANSIENT
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        return job_fail(job=job, message=exc.message, kind=kind, retry_after=retry_after)
    trace = "".join(traceback.format_exception(exc))
    if isinstance(exc, DatabaseError):
        # The database blinked; the same work will likely succeed on a retry. Drop a broken
        # connection first so recording the failure can reconnect.
        connection.close_if_unusable_or_obsolete()
        return job_fail(
            job=job,
            message=f"Database error while generating: {exc}. The job will be retried.",
            kind=GenerationJob.ErrorKind.TRANSIENT,
            trace=trace,
        )
    logger.error("Job %s crashed", job.job_id, exc_info=exc)
    return job_fail(
        job=job,
        message=f"Internal error: {exc!r}. This is a bug; the attempt's traceback is in the admin. "
        "Retry the job once it is fixed.",
        kind=GenerationJob.ErrorKind.CRASH,
        trace=trace,
    )


def _discard(artifact: Artifact | None) -> None:
    discard = getattr(artifact, "discard", None)
    if discard is not None:
        discard()


def job_recover_stale(*, limit: int = 500) -> int:
    """Treat processing jobs whose lease ran out as a transient failure of a dead worker."""
    now = timezone.now()
    stale = GenerationJob.objects.filter(status=Status.PROCESSING, lease_expires_at__lt=now)[:limit]
    recovered = 0
    for job in stale:
        failed = job_fail(
            job=job,
            message=f"The worker running this job stopped answering (no heartbeat for "
            f"{settings.STORYCORE_JOB_LEASE}s; killed, timed out or lost its database connection).",
            kind=GenerationJob.ErrorKind.TRANSIENT,
            outcome=Outcome.LOST,
        )
        recovered += failed is not None
    return recovered


# --- Changes asked for by people ------------------------------------------------------------


def job_retry(*, job: GenerationJob, by=None) -> GenerationJob:
    """Put a failed or cancelled job back in the queue with a fresh retry budget."""
    with transaction.atomic():
        now = timezone.now()
        updated = GenerationJob.objects.filter(pk=job.pk, status__in=Status.RETRYABLE).update(
            status=Status.PENDING,
            retry_count=0,
            next_attempt_at=now,
            enqueued_at=None,  # taken again by the broker (or the dispatcher)
            completed_at=None,
            progress=0,
            result=None,
        )
        if not updated:
            job.refresh_from_db()
            raise JobStateError(
                f"Job {job.job_id} is {job.status}; only failed or cancelled jobs can be retried."
            )
        _enqueue_with_transaction(job.job_id)
    job.refresh_from_db()
    return job


def job_cancel(*, job: GenerationJob, by=None) -> GenerationJob:
    """Cancel a job: a pending one never starts, a processing one stops at its next
    checkpoint (its claim is revoked now), a failed one leaves the retry queue."""
    updated = GenerationJob.objects.filter(pk=job.pk, status__in=Status.CANCELLABLE).update(
        status=Status.CANCELLED,
        completed_at=timezone.now(),
        claim_token=None,
        lease_expires_at=None,
    )
    job.refresh_from_db()
    if not updated:
        raise JobStateError(
            f"Job {job.job_id} is {job.status}; only pending, processing or failed jobs can be cancelled."
        )
    return job


def job_retry_many(*, jobs: Iterable[GenerationJob], by=None) -> tuple[list[GenerationJob], int]:
    """Retry each job whose state allows it; returns (retried jobs, number skipped)."""
    retried, skipped = [], 0
    for job in jobs:
        try:
            retried.append(job_retry(job=job, by=by))
        except JobStateError:
            skipped += 1
    return retried, skipped


def job_cancel_many(*, jobs: Iterable[GenerationJob], by=None) -> tuple[list[GenerationJob], int]:
    """Cancel each job whose state allows it; returns (cancelled jobs, number skipped)."""
    cancelled, skipped = [], 0
    for job in jobs:
        try:
            cancelled.append(job_cancel(job=job, by=by))
        except JobStateError:
            skipped += 1
    return cancelled, skipped


def retry_queue_clear(*, jobs: QuerySet) -> int:
    """Move every failed job of `jobs` to cancelled; they stay in the history."""
    return jobs.filter(status=Status.FAILED).update(status=Status.CANCELLED, completed_at=timezone.now())


# --- Retention -----------------------------------------------------------------------------


def history_cleanup(*, older_than: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Delete finished jobs and generated history created before the cutoff, in batches,
    so a large cleanup never holds one long write lock. Returns rows deleted per kind."""
    from automation.generators import all_generators

    cutoff = older_than or timezone.now() - timedelta(days=settings.STORYCORE_RETENTION_DAYS)
    batch = batch_size or settings.STORYCORE_CLEANUP_BATCH_SIZE
    deleted = {}
    for generator in all_generators():
        if generator.cleanup is not None:
            deleted[generator.type] = generator.cleanup(cutoff, batch)
    old_jobs = GenerationJob.objects.filter(status__in=Status.TERMINAL, created_at__lt=cutoff)
    deleted["jobs"] = delete_in_batches(old_jobs, batch_size=batch)
    return deleted


def delete_in_batches(queryset: QuerySet, *, batch_size: int) -> int:
    """Delete a queryset batch_size primary keys at a time, each batch its own transaction."""
    total = 0
    while True:
        pks = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return total
        with transaction.atomic():
            queryset.model.objects.filter(pk__in=pks).delete()
        total += len(pks)

