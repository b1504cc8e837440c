"""How a new job reaches the broker. With the embedded default's broker the stored job is
its own message (automation/broker.py; its delivery is tested in test_job_table_broker.py);
with another broker (Redis), the message follows the commit, or the dispatcher sends it."""
import pytest
from django.db import transaction
from django_q.brokers import get_broker
from django_q.models import OrmQ

from automation import jobs
from automation.models import GenerationJob
from tests.support.brokers import use_job_table_broker, use_orm_broker, use_redis_broker

ENHANCE = "/api/automation/prompt/enhance"
PAYLOAD = {"base_prompt": "A knight in shining armor", "style": "fantasy"}


@pytest.fixture
def job_table_broker(monkeypatch, db):
    use_job_table_broker(monkeypatch)
    OrmQ.objects.all().delete()
    return get_broker()


def test_a_new_job_is_its_own_message(db, job_table_broker, owner_client):
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    assert response.status_code == 202
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert job.enqueued_at is None  # waiting for a cluster to take it
    assert OrmQ.objects.count() == 0  # no second copy in django-q2's queue table
    assert job_table_broker.queue_size() == 1


def test_a_rolled_back_job_leaves_nothing_to_run(transactional_db, job_table_broker, owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.job_create(owner=owner, job_type="prompt", params={"base_prompt": "x", "style": "fantasy"})
        raise RuntimeError("the caller's transaction fails after the job was created")

    assert GenerationJob.objects.count() == 0
    assert job_table_broker.queue_size() == 0


def test_a_manual_retry_is_taken_again(db, job_table_broker, owner_client):
    job = GenerationJob.objects.get(pk=owner_client.post(ENHANCE, PAYLOAD, format="json").data["job_id"])
    [(_, _)] = job_table_broker.dequeue()  # a cluster took it...
    jobs.job_cancel(job=job)  # ...and it was cancelled before it ran
    assert job_table_broker.queue_size() == 0

    assert owner_client.post(f"/api/automation/jobs/{job.job_id}/retry").status_code == 200
    job.refresh_from_db()
    assert (job.status, job.enqueued_at) == ("pending", None)
    assert job_table_broker.queue_size() == 1


def test_a_broker_that_refuses_leaves_the_job_to_the_dispatcher(transactional_db, monkeypatch, owner_client):
    use_redis_broker(monkeypatch)  # nothing listens there: the message cannot be sent after the commit
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    assert response.status_code == 202
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert (job.status, job.enqueued_at) == ("pending", None)


def test_a_job_committed_but_never_pushed_is_sent_by_the_dispatchers_next_round(
    db, monkeypatch, owner_client, django_capture_on_commit_callbacks
):
    # With a broker outside the database the push comes after the commit. Captured and not
    # run, it stands for a web process killed between the two.
    use_redis_broker(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        response = owner_client.post(ENHANCE, PAYLOAD, format="json")
    assert response.status_code == 202 and len(pushes) == 1
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert job.enqueued_at is None  # not "enqueued": nothing has taken it yet

    # The dispatcher (here on django-q2's plain ORM broker, which answers) sends it at once,
    # without waiting STORYCORE_REDISPATCH_AFTER as it would for a job the broker had taken.
    use_orm_broker(monkeypatch)
    OrmQ.objects.all().delete()
    assert jobs.job_dispatch_due() == 1
    assert [m.task["args"] for m in OrmQ.objects.all()] == [(str(job.job_id),)]
    job.refresh_from_db()
    assert job.enqueued_at is not None


def test_the_dispatcher_leaves_jobs_to_a_broker_that_reads_the_job_table(db, job_table_broker, owner_client):
    owner_client.post(ENHANCE, PAYLOAD, format="json")

    assert jobs.job_dispatch_due() == 0
    assert OrmQ.objects.count() == 0


def test_a_job_the_broker_took_after_the_commit_is_marked_enqueued(transactional_db, owner_client, broker):
    if jobs.broker_reads_job_table():
        pytest.skip("this run's broker reads the job table: nothing is sent after the commit (tested above)")
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert job.enqueued_at is not None
    assert broker.queue_size() == 1
