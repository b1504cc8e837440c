"""Lease renewal for the jobs a worker process is running.

One background thread per process renews the leases of every job the process runs, so a
single long provider call (an LLM answer, a ComfyUI render) is not mistaken for a dead
worker. If the process dies, so does the thread, and the leases run out. One thread per
process rather than per job: most jobs finish long before their first renewal is due,
and starting and joining a thread for each of them cost more than the job's own queries.
"""
import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from automation.models import GenerationJob

logger = logging.getLogger(__name__)


def renewal_interval() -> float:
    return settings.STORYCORE_JOB_LEASE / 3


def renew_lease(job: GenerationJob) -> bool:
    """Push the lease forward; False once this worker no longer holds the job."""
    lease = timezone.now() + timedelta(seconds=settings.STORYCORE_JOB_LEASE)
    held = GenerationJob.objects.filter(
        pk=job.pk, status=GenerationJob.Status.PROCESSING, claim_token=job.claim_token
    )
    return bool(held.update(lease_expires_at=lease))


class LeaseKeeper:
    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._due: dict = {}  # job pk -> (job, when its lease is next renewed, time.monotonic())
        self._next_wake = float("inf")
        self._thread: threading.Thread | None = None

    @contextmanager
    def keep(self, job: GenerationJob):
        """Renew `job`'s lease while the block runs."""
        if self._pid != os.getpid():  # a forked child: the parent's thread is not ours
            self._reset()
        due = time.monotonic() + renewal_interval()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
                self._thread.start()
            self._due[job.pk] = (job, due)
            if due < self._next_wake:
                self._wake.notify()
        try:
            yield
        finally:
            with self._lock:
                self._due.pop(job.pk, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [job for job, at in self._due.values() if at <= now]
                for job in due:
                    self._due[job.pk] = (job, now + renewal_interval())
                if not due:
                    self._next_wake = min((at for _, at in self._due.values()), default=now + renewal_interval())
                    self._wake.wait(self._next_wake - now)
                    continue
            self._renew(due)

    def _renew(self, jobs: list[GenerationJob]) -> None:
        try:
            for job in jobs:
                if not renew_lease(job):  # cancelled or taken over: its next checkpoint stops it
                    with self._lock:
                        self._due.pop(job.pk, None)
        except DatabaseError:
            logger.warning("Renewing job leases failed; the next round will try again.", exc_info=True)
        finally:
            connection.close()  # renewals are rare: hold no connection in between


lease_keeper = LeaseKeeper()
