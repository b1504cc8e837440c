"""How a new job reaches the broker: with the ORM broker, in the transaction that stores
the job (both or neither); with another broker, after the commit, or by the dispatcher."""
import pytest
from django.db import transaction
from django_q.conf import Conf
from django_q.models import OrmQ

from automation import jobs
from automation.models import GenerationJob

ENHANCE = "/api/automation/prompt/enhance"
PAYLOAD = {"base_prompt": "A knight in shining armor", "style": "fantasy"}


@pytest.fixture
def orm_broker(monkeypatch, broker):
    """The ORM broker on the default database, whatever broker this run configures."""
    monkeypatch.setattr(Conf, "ORM", "default")
    OrmQ.objects.all().delete()


def test_a_new_job_and_its_broker_message_are_stored_together(db, orm_broker, owner_client):
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    assert response.status_code == 202
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert job.enqueued_at is not None
    [message] = OrmQ.objects.all()
    assert message.task["args"] == (str(job.job_id),)


def test_a_rolled_back_job_leaves_no_broker_message(transactional_db, orm_broker, owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.job_create(owner=owner, job_type="prompt", params={"base_prompt": "x", "style": "fantasy"})
        assert OrmQ.objects.count() == 1  # written in the job's own transaction...
        raise RuntimeError("the caller's transaction fails after the job was created")

    assert GenerationJob.objects.count() == 0
    assert OrmQ.objects.count() == 0  # ...so it is rolled back with it: no task for a missing job


def test_a_manual_retry_is_enqueued_with_its_transaction(db, orm_broker, owner_client):
    job = GenerationJob.objects.get(pk=owner_client.post(ENHANCE, PAYLOAD, format="json").data["job_id"])
    jobs.job_cancel(job=job)
    OrmQ.objects.all().delete()

    assert owner_client.post(f"/api/automation/jobs/{job.job_id}/retry").status_code == 200
    assert [m.task["args"] for m in OrmQ.objects.all()] == [(str(job.job_id),)]
    job.refresh_from_db()
    assert job.enqueued_at is not None


def test_a_broker_that_refuses_leaves_the_job_to_the_dispatcher(transactional_db, monkeypatch, owner_client):
    # Nothing listens on port 9: the message cannot be sent after the commit.
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:9/0")
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    assert response.status_code == 202
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert (job.status, job.enqueued_at) == ("pending", None)


def test_a_job_committed_but_never_pushed_is_sent_by_the_dispatchers_next_round(
    db, monkeypatch, owner_client, django_capture_on_commit_callbacks
):
    # With a broker outside the database the push comes after the commit. Captured and not
    # run, it stands for a web process killed between the two.
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:9/0")
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        response = owner_client.post(ENHANCE, PAYLOAD, format="json")
    assert response.status_code == 202 and len(pushes) == 1
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert job.enqueued_at is None  # not "enqueued": nothing has taken it yet

    # The dispatcher (here on the ORM broker, which answers) sends it at once, without
    # waiting STORYCORE_REDISPATCH_AFTER as it would for a job the broker had taken.
    monkeypatch.setattr(Conf, "ORM", "default")
    OrmQ.objects.all().delete()
    assert jobs.job_dispatch_due() == 1
    assert [m.task["args"] for m in OrmQ.objects.all()] == [(str(job.job_id),)]
    job.refresh_from_db()
    assert job.enqueued_at is not None


def test_a_job_the_broker_took_after_the_commit_is_marked_enqueued(transactional_db, owner_client, broker):
    if jobs._broker_is_the_database():
        pytest.skip("the ORM broker takes the message in the job's own transaction (tested above)")
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert job.enqueued_at is not None
    assert broker.queue_size() == 1
