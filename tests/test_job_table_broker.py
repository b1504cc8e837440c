"""The embedded default's broker (automation/broker.py): due jobs read from the job table
as messages, beside django-q2's own queue. Run on this run's database in both CI runs;
a real cluster on it is in test_worker_cluster.py."""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from automation import jobs
from automation.broker import JobTableBroker
from automation.models import GenerationJob
from tests.support.brokers import use_job_table_broker

PARAMS = {"base_prompt": "A knight in shining armor", "style": "fantasy"}


@pytest.fixture
def broker(monkeypatch, db):
    use_job_table_broker(monkeypatch)
    monkeypatch.setattr(Conf, "POLL", 0.01)
    OrmQ.objects.all().delete()
    broker = get_broker()
    assert isinstance(broker, JobTableBroker)
    return broker


def new_job(owner, *, due_in: float = 0) -> GenerationJob:
    job, _ = jobs.job_create(owner=owner, job_type="prompt", params=PARAMS)
    if due_in:
        GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=due_in))
    return job


def taken_ids(messages) -> list[str]:
    return [SignedPackage.loads(payload)["args"][0] for _, payload in messages or []]


def test_a_due_job_is_handed_out_as_the_task_that_runs_it(broker, owner):
    job = new_job(owner)

    [(ack_id, payload)] = broker.dequeue()

    task = SignedPackage.loads(payload)  # as the cluster's pusher reads it
    assert (task["func"], task["args"], task["ack_failure"]) == ("automation.tasks.run_job", (str(job.job_id),), True)
    assert ack_id == f"job:{job.job_id}"
    job.refresh_from_db()
    assert job.enqueued_at is not None and job.status == "pending"  # taken; a worker claims it


def test_jobs_are_handed_out_oldest_due_first_up_to_the_bulk_size(broker, owner, monkeypatch):
    monkeypatch.setattr(Conf, "BULK", 2)
    first, second, third = new_job(owner), new_job(owner), new_job(owner)
    GenerationJob.objects.filter(pk=third.pk).update(next_attempt_at=first.next_attempt_at - timedelta(seconds=1))

    assert taken_ids(broker.dequeue()) == [str(third.job_id), str(first.job_id)]
    assert taken_ids(broker.dequeue()) == [str(second.job_id)]


def test_a_taken_job_is_not_handed_out_again_until_its_cluster_must_have_died(broker, owner, settings):
    settings.STORYCORE_REDISPATCH_AFTER = 60
    job = new_job(owner)
    assert taken_ids(broker.dequeue()) == [str(job.job_id)]

    assert broker.dequeue() is None  # nothing else to hand out: it slept one poll interval
    assert (broker.queue_size(), broker.lock_size()) == (0, 1)

    GenerationJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(seconds=61))
    assert taken_ids(broker.dequeue()) == [str(job.job_id)]


@pytest.mark.parametrize("state", ["not due yet", "processing", "completed", "failed", "cancelled"])
def test_only_pending_due_jobs_are_handed_out(broker, owner, state):
    if state == "not due yet":
        new_job(owner, due_in=30)  # a retry in its backoff
    else:
        GenerationJob.objects.filter(pk=new_job(owner).pk).update(status=state)

    assert broker.dequeue() is None
    assert broker.queue_size() == 0


def test_a_retry_is_handed_out_when_its_backoff_is_over(broker, owner):
    job = new_job(owner, due_in=30)
    assert broker.dequeue() is None

    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert taken_ids(broker.dequeue()) == [str(job.job_id)]


def test_django_q2_tasks_come_first_and_are_acknowledged_as_usual(broker, owner):
    job = new_job(owner)
    async_task("math.floor", 2.5, broker=broker)
    assert broker.queue_size() == 2

    [(task_ack, payload)] = broker.dequeue()  # bulk 1: the queued task alone
    assert SignedPackage.loads(payload)["func"] == "math.floor"
    [(job_ack, _)] = broker.dequeue()
    assert job_ack == f"job:{job.job_id}"

    broker.acknowledge(task_ack)
    broker.acknowledge(job_ack)  # nothing to do: the job's status says whether it ran
    broker.fail(job_ack)
    broker.delete(job_ack)
    assert OrmQ.objects.count() == 0
    assert GenerationJob.objects.filter(pk=job.pk, status="pending").exists()


def test_purging_the_queue_keeps_the_jobs(broker, owner):
    job = new_job(owner)
    async_task("math.floor", 2.5, broker=broker)

    broker.purge_queue()

    assert OrmQ.objects.count() == 0
    assert taken_ids(broker.dequeue()) == [str(job.job_id)]


def test_a_job_another_cluster_took_meanwhile_is_not_handed_out_twice(broker, owner):
    job = new_job(owner)

    def other_cluster_takes_it_after_our_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT") and "automation_generationjob" in sql:
            GenerationJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
        return result

    with connection.execute_wrapper(other_cluster_takes_it_after_our_read):
        messages = broker._due_jobs(limit=1)

    assert messages == []


@pytest.mark.django_db(transaction=True)
def test_clusters_dequeuing_at_once_hand_out_each_job_exactly_once(monkeypatch, owner):
    use_job_table_broker(monkeypatch)
    monkeypatch.setattr(Conf, "POLL", 0.01)
    monkeypatch.setattr(Conf, "BULK", 3)
    created = {str(new_job(owner).job_id) for _ in range(60)}
    taken: list[str] = []
    lock = threading.Lock()

    def cluster():
        broker = get_broker()
        try:
            while (messages := broker.dequeue()) is not None:
                with lock:
                    taken.extend(taken_ids(messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=cluster) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(taken) == sorted(created)
