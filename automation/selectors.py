"""Reads: what a user may see, and waiting for a job to finish."""
import time

from django.db.models import QuerySet

from automation.models import GenerationJob


def jobs_visible_to(user) -> QuerySet[GenerationJob]:
    """Staff see every job; anyone else only their own (others' are a 404, not a 403)."""
    jobs = GenerationJob.objects.select_related("owner")
    return jobs if user.is_staff else jobs.filter(owner=user)


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
