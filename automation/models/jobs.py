"""GenerationJob: one generation request and its whole lifecycle, and JobAttempt, one run of it.

Only automation.jobs changes a job's status; the model answers questions about itself.
"""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class JobType(models.TextChoices):
    DIALOGUE = "dialogue"
    GRID = "grid"
    PROMPT = "prompt"


class JobStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


JobStatus.ACTIVE = frozenset({JobStatus.PENDING, JobStatus.PROCESSING})
JobStatus.TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
JobStatus.RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})
JobStatus.CANCELLABLE = frozenset({JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED})


class ErrorKind(models.TextChoices):
    NONE = "", "none"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    CRASH = "crash"


class GenerationJob(models.Model):
    Type = JobType
    Status = JobStatus
    ErrorKind = ErrorKind

    # The original TypeScript GenerationJob, field for field.
    job_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=16, choices=JobType.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    params = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    max_retries = models.PositiveIntegerField(default=3)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)

    # What a real queue needs on top.
    # No index of its own: job_owner_recent (owner, -created_at) serves every lookup by owner,
    # and one index fewer is one B-tree fewer written by every job created.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs", db_index=False
    )
    error_kind = models.CharField(max_length=16, choices=ErrorKind.choices, blank=True)
    attempt_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Attempts started, all retries included (the next attempt's number - 1)."
    )
    next_attempt_at = models.DateTimeField(help_text="A pending job is not run before this time (retry backoff).")
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last handed to the broker; empty means the dispatcher must."
    )
    claim_token = models.UUIDField(
        null=True, blank=True, editable=False, help_text="The running attempt's id; only its worker may finish the job."
    )
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A processing job not heard from by then is presumed to have lost its worker."
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="job_idempotency_key_unique_per_owner",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_at_most_100"),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_recent"),
            models.Index(fields=["owner", "status", "-created_at"], name="job_owner_status_recent"),
            models.Index(fields=["status", "-created_at"], name="job_status_recent"),
            # The dispatcher: pending jobs that are due.
            models.Index(fields=["status", "next_attempt_at"], name="job_status_due"),
            # A batch: pending jobs of one type that are due, past a backlog of other types.
            models.Index(fields=["status", "type", "next_attempt_at"], name="job_status_type_due"),
            # Recovery (processing jobs whose lease has run out) needs no index of its own:
            # the status prefix of the indexes above finds the processing jobs, a few per
            # worker, and one index fewer is one B-tree fewer written by every job created.
            # Cleanup: oldest first.
            models.Index(fields=["created_at"], name="job_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} job {self.job_id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in JobStatus.TERMINAL

    @property
    def can_retry(self) -> bool:
        return self.status in JobStatus.RETRYABLE

    @property
    def can_cancel(self) -> bool:
        return self.status in JobStatus.CANCELLABLE

    @property
    def in_retry_queue(self) -> bool:
        return self.status == JobStatus.FAILED


class AttemptOutcome(models.TextChoices):
    RUNNING = "running"
    COMPLETED = "completed"
    TRANSIENT = "transient", "transient error"
    PERMANENT = "permanent", "permanent error"
    CRASH = "crash"
    CANCELLED = "cancelled"
    LOST = "lost", "worker lost"


class JobAttempt(models.Model):
    """One run of a job by one worker: when, where, and how it ended."""

    Outcome = AttemptOutcome

    attempt_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.RUNNING)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="attempt_number_unique_per_job")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.job_id} ({self.outcome})"
