"""Reads: what a user may see, and waiting for a job to finish."""
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from automation.models import GenerationJob


def jobs_visible_to(user) -> QuerySet[GenerationJob]:
    """Staff see every job; anyone else only their own (others' are a 404, not a 403)."""
    jobs = GenerationJob.objects.select_related("owner")
    return jobs if user.is_staff else jobs.filter(owner=user)


def jobs_waiting_for_a_broker(now: datetime) -> QuerySet[GenerationJob]:
    """Pending, due jobs no broker holds: never enqueued (or taken), retries whose backoff
    has passed, or enqueued so long ago (STORYCORE_REDISPATCH_AFTER) that the broker or
    cluster that had them must have lost them. Oldest due first."""
    return (
        GenerationJob.objects.filter(status=GenerationJob.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=_held_since(now)))
        .order_by("next_attempt_at")
    )


def jobs_held_by_a_broker(now: datetime) -> QuerySet[GenerationJob]:
    """Pending jobs a broker took recently and no worker has claimed yet."""
    return GenerationJob.objects.filter(status=GenerationJob.Status.PENDING, enqueued_at__gte=_held_since(now))


def _held_since(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.STORYCORE_REDISPATCH_AFTER)


def job_wait(*, job: GenerationJob, timeout: float) -> GenerationJob:
    """Poll until the job is terminal or `timeout` seconds have passed; returns it fresh."""
    deadline = time.monotonic() + timeout
    interval = 0.05
    while True:
        status = GenerationJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status in GenerationJob.Status.TERMINAL or time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 1.5, 0.5)
    job.refresh_from_db()
    return job
