"""The embedded default's broker: django-q2's ORM queue, and the job table read as a queue.

A pending, due job is already a message: it is stored, durable and ordered by when it is
due. With django-q2's ORM broker every job also got a row in django-q2's queue table,
written by the request, then locked, read and deleted by the cluster: three writes that
only repeated what the job row says. This broker hands the cluster due jobs straight
from the job table instead, so creating a job (or retrying one) writes the job and
nothing else, and a job that a worker's batch claims (automation.jobs.job_claim_batch)
never becomes a message at all.

Delivery works as django-q2's ORM broker's lock does: taking a job stamps its
`enqueued_at` with a compare-and-set, so two clusters never both take it; a job still
pending `STORYCORE_REDISPATCH_AFTER` seconds after it was taken (its cluster died
between taking and claiming it) is taken again. Running it twice is harmless anyway:
the claim is a compare-and-set too. Other tasks (the schedules, anything sent with
`async_task`) go through django-q2's queue table as before, and come first.

Selected by Q_CLUSTER["broker_class"] when there is no REDIS_URL (storycore/settings.py).
"""
import uuid
from time import sleep

from django.db import connections, router
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.signing import SignedPackage

from automation.models import GenerationJob
from automation.selectors import jobs_held_by_a_broker, jobs_waiting_for_a_broker
from storycore.sqlite import write_turn

RUN_JOB_TASK = "automation.tasks.run_job"
JOB_MESSAGE_PREFIX = "job:"  # the ack id of a job message; django-q2's own are integers


def is_job_message(ack_id) -> bool:
    return isinstance(ack_id, str) and ack_id.startswith(JOB_MESSAGE_PREFIX)


class JobTableBroker(ORM):
    def dequeue(self):
        """django-q2's queued tasks first, then due jobs, up to Q_CLUSTER["bulk"] in all;
        sleeps one poll interval when there is neither, as django-q2's ORM broker does."""
        messages = self._queued_tasks()
        if len(messages) < Conf.BULK:
            messages += self._due_jobs(limit=Conf.BULK - len(messages))
        if messages:
            return messages
        sleep(Conf.POLL)

    def _queued_tasks(self) -> list:
        tasks = self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[: Conf.BULK]
        taken = []
        for task in tasks:
            # django-q2's ORM broker, as it is: a compare-and-set (another cluster may be faster).
            if self.get_connection().filter(id=task.id, lock=task.lock).update(lock=self.timeout(task)):
                taken.append((task.pk, task.payload))
        return taken

    def _due_jobs(self, *, limit: int) -> list:
        now = timezone.now()
        taken = []
        for job_id, enqueued_at in jobs_waiting_for_a_broker(now).values_list("pk", "enqueued_at")[:limit]:
            # Unchanged since read: pending, and not taken meanwhile by another cluster.
            unchanged = GenerationJob.objects.filter(
                pk=job_id, status=GenerationJob.Status.PENDING, enqueued_at=enqueued_at
            )
            with write_turn(connections[router.db_for_write(GenerationJob)]):  # SQLite's writers queue
                took_it = unchanged.update(enqueued_at=now)
            if took_it:
                taken.append((f"{JOB_MESSAGE_PREFIX}{job_id}", job_message(job_id, now=now)))
        return taken

    def queue_size(self) -> int:
        return super().queue_size() + jobs_waiting_for_a_broker(timezone.now()).count()

    def lock_size(self) -> int:
        """Messages taken and not yet acknowledged: django-q2's, and jobs taken but not
        yet claimed by a worker."""
        return super().lock_size() + jobs_held_by_a_broker(timezone.now()).count()

    # A job message needs no acknowledgement: the job's own status says whether it ran.
    def acknowledge(self, task_id):
        if not is_job_message(task_id):
            super().acknowledge(task_id)

    def fail(self, task_id):
        if not is_job_message(task_id):
            super().fail(task_id)

    def delete(self, task_id):
        if not is_job_message(task_id):
            super().delete(task_id)

    def info(self) -> str:
        if not self._info:
            self._info = f"ORM {Conf.ORM} + job table"
        return self._info


def job_message(job_id, *, now) -> str:
    """The signed task django-q2's cluster expects, as `async_task` would build it."""
    task = {
        "id": uuid.uuid4().hex,  # a task id of its own: a job taken twice is two deliveries
        "name": f"job {job_id}",
        "func": RUN_JOB_TASK,
        "args": (str(job_id),),
        "kwargs": {},
        "ack_failure": True,
        "started": now,
    }
    return SignedPackage.dumps(task)
