"""The job lifecycle, driven through the real task entry point (automation.tasks.run_job)."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from automation import jobs
from automation.exceptions import PermanentError, TransientError
from automation.generators import _registry, get_generator
from automation.models import GenerationJob, JobAttempt, PromptEnhancement
from tests.support import generators as fake
from tests.support.brokers import use_orm_broker
from tests.support.jobs import run_job

ENHANCE = "/api/automation/prompt/enhance"
PAYLOAD = {"base_prompt": "A knight in shining armor", "style": "fantasy"}


@pytest.fixture
def use_generator(monkeypatch):
    get_generator("prompt")  # make sure the real registry is loaded before replacing an entry

    def install(generator):
        monkeypatch.setitem(_registry, "prompt", generator)
        return generator

    return install


def create_job(client, **extra) -> GenerationJob:
    response = client.post(ENHANCE, {**PAYLOAD, **extra}, format="json")
    assert response.status_code == 202, response.data
    return GenerationJob.objects.get(pk=response.data["job_id"])


def make_due(job: GenerationJob) -> None:
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_it_completes_a_job_and_records_one_attempt(db, owner_client):
    job = run_job(create_job(owner_client).job_id)

    assert job.status == "completed"
    assert job.progress == 100
    assert job.started_at and job.completed_at
    assert job.result["original_prompt"] == PAYLOAD["base_prompt"]
    [attempt] = job.attempts.all()
    assert attempt.outcome == "completed" and attempt.finished_at and attempt.worker


def test_transient_failures_retry_after_backoff_until_max_retries_then_fail(db, owner_client, settings, use_generator):
    settings.STORYCORE_RETRY_BACKOFF_BASE = 10
    settings.STORYCORE_RETRY_BACKOFF_CAP = 10
    use_generator(fake.scripted(fake.raise_(TransientError("Connection refused: is the server running at http://x?"))))
    job = create_job(owner_client, max_retries=2)

    job = run_job(job.job_id)
    assert job.status == "pending"
    assert job.retry_count == 1
    assert job.error_kind == "transient"
    assert "Connection refused" in job.error
    assert timezone.now() <= job.next_attempt_at <= timezone.now() + timedelta(seconds=10)

    # Not due yet: a (duplicate or early) delivery does not run it. (Full jitter may draw a
    # delay near zero, so the backoff is pushed out explicitly.)
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=5))
    assert run_job(job.job_id).attempts.count() == 1

    make_due(job)
    job = run_job(job.job_id)
    assert (job.status, job.retry_count) == ("pending", 2)

    make_due(job)
    job = run_job(job.job_id)
    assert job.status == "failed"
    assert job.retry_count == 2
    assert job.completed_at is not None
    assert [(a.number, a.outcome) for a in job.attempts.all()] == [(1, "transient"), (2, "transient"), (3, "transient")]
    assert job.in_retry_queue


def test_retry_after_from_the_server_is_a_floor_for_the_backoff(db, owner_client, use_generator):
    use_generator(fake.scripted(fake.raise_(TransientError("Rate limit exceeded", retry_after=30))))
    job = run_job(create_job(owner_client).job_id)

    assert job.status == "pending"
    assert job.next_attempt_at >= timezone.now() + timedelta(seconds=29)


def test_permanent_failure_fails_at_once_without_burning_retries(db, owner_client, use_generator):
    use_generator(fake.scripted(fake.raise_(PermanentError("Model not found: sdxl; available: a, b"))))
    job = run_job(create_job(owner_client, max_retries=3).job_id)

    assert job.status == "failed"
    assert job.retry_count == 0
    assert job.error_kind == "permanent"
    assert job.error == "Model not found: sdxl; available: a, b"
    assert job.attempts.get().outcome == "permanent"


def test_an_unexpected_exception_is_a_crash_with_its_traceback(db, owner_client, use_generator):
    use_generator(fake.scripted(fake.raise_(KeyError("oops"))))
    job = run_job(create_job(owner_client).job_id)

    assert job.status == "failed"
    assert job.error_kind == "crash"
    assert "Internal error" in job.error
    assert "KeyError" in job.attempts.get().traceback


def test_a_manual_retry_reruns_a_failed_job_with_a_fresh_budget(db, owner_client, use_generator):
    use_generator(fake.scripted(fake.raise_(PermanentError("bad")), fake.succeed))
    job = run_job(create_job(owner_client).job_id)
    assert job.status == "failed"

    response = owner_client.post(f"/api/automation/jobs/{job.job_id}/retry")
    assert response.status_code == 200
    assert response.data["status"] == "pending"
    assert response.data["retry_count"] == 0

    job = run_job(job.job_id)
    assert job.status == "completed"
    assert [(a.number, a.outcome) for a in job.attempts.all()] == [(1, "permanent"), (2, "completed")]
    assert job.attempt_count == 2  # the budget restarts, the attempt numbers do not


def test_a_cancelled_pending_job_never_starts(db, owner_client):
    job = create_job(owner_client)
    assert owner_client.post(f"/api/automation/jobs/{job.job_id}/cancel").status_code == 200

    job = run_job(job.job_id)
    assert job.status == "cancelled"
    assert job.attempts.count() == 0
    assert not PromptEnhancement.objects.exists()


def test_a_processing_job_stops_at_its_next_checkpoint_when_cancelled(db, owner_client, use_generator):
    def cancel_then_checkpoint(ctx):
        ctx.checkpoint(10)
        response = owner_client.post(f"/api/automation/jobs/{ctx.job.job_id}/cancel")
        assert response.status_code == 200 and response.data["status"] == "cancelled"
        ctx.checkpoint(20)
        raise AssertionError("the checkpoint after a cancel must stop the job")

    use_generator(fake.scripted(cancel_then_checkpoint))
    job = run_job(create_job(owner_client).job_id)

    assert job.status == "cancelled"
    assert job.attempts.get().outcome == "cancelled"
    assert not PromptEnhancement.objects.exists()


def test_a_cancel_racing_the_completion_leaves_no_artifact(db, owner_client, use_generator):
    def cancel_without_checkpoint(ctx):
        owner_client.post(f"/api/automation/jobs/{ctx.job.job_id}/cancel")

    use_generator(fake.scripted(cancel_without_checkpoint))
    job = run_job(create_job(owner_client).job_id)

    assert job.status == "cancelled"
    assert job.result is None
    assert not PromptEnhancement.objects.exists()


def test_a_duplicate_delivery_runs_the_job_once(db, owner_client):
    job = create_job(owner_client)
    run_job(job.job_id)
    job = run_job(job.job_id)

    assert job.status == "completed"
    assert job.attempts.count() == 1
    assert PromptEnhancement.objects.filter(job=job).count() == 1


def test_a_job_whose_worker_died_is_recovered_and_completes(db, owner_client):
    job = create_job(owner_client)
    claimed = jobs.job_claim(job_id=job.job_id, worker="dead-host:1")
    GenerationJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert jobs.job_recover_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.retry_count, job.error_kind) == ("pending", 1, "transient")
    assert "stopped answering" in job.error
    assert JobAttempt.objects.get(pk=claimed.claim_token).outcome == "lost"

    # The dead worker wakes up: its claim is gone, so it can neither checkpoint nor complete.
    with pytest.raises(jobs.JobAborted):
        jobs.job_checkpoint(job=claimed, progress=50)

    make_due(job)
    job = run_job(job.job_id)
    assert job.status == "completed"
    assert [a.outcome for a in job.attempts.all()] == ["lost", "completed"]
    assert PromptEnhancement.objects.filter(job=job).count() == 1


def test_recovery_leaves_jobs_with_a_live_lease_alone(db, owner_client):
    job = create_job(owner_client)
    jobs.job_claim(job_id=job.job_id, worker="live-host:1")

    assert jobs.job_recover_stale() == 0
    job.refresh_from_db()
    assert job.status == "processing"


@pytest.mark.parametrize("attempt", [0, 1, 3, 10])
def test_backoff_is_full_jitter_below_the_capped_exponential(settings, attempt):
    settings.STORYCORE_RETRY_BACKOFF_BASE = 2
    settings.STORYCORE_RETRY_BACKOFF_CAP = 60
    ceiling = min(60, 2 * 2**attempt)
    delays = [jobs.backoff_delay(attempt=attempt) for _ in range(200)]

    assert all(0 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 150  # jittered, not a fixed schedule
    assert max(delays) > ceiling / 2


@pytest.fixture
def sending_broker(db, monkeypatch):
    """A broker jobs are sent to (django-q2's own ORM broker), emptied: the dispatcher's."""
    use_orm_broker(monkeypatch)
    broker = get_broker()
    broker.purge_queue()
    return broker


def test_dispatcher_enqueues_due_jobs_the_broker_never_got(db, owner_client, sending_broker):
    broker = sending_broker
    due = create_job(owner_client)
    later = create_job(owner_client)
    recently_enqueued = create_job(owner_client)
    GenerationJob.objects.filter(pk=due.pk).update(enqueued_at=None)
    GenerationJob.objects.filter(pk=later.pk).update(enqueued_at=None, next_attempt_at=timezone.now() + timedelta(hours=1))
    GenerationJob.objects.filter(pk=recently_enqueued.pk).update(enqueued_at=timezone.now())
    before = broker.queue_size()

    assert jobs.job_dispatch_due() == 1
    assert broker.queue_size() == before + 1
    due.refresh_from_db()
    assert due.enqueued_at is not None


def test_dispatcher_enqueues_again_a_job_the_broker_lost(db, owner_client, settings, sending_broker):
    settings.STORYCORE_REDISPATCH_AFTER = 60
    lost = create_job(owner_client)
    GenerationJob.objects.filter(pk=lost.pk).update(enqueued_at=timezone.now() - timedelta(seconds=61))

    assert jobs.job_dispatch_due() == 1


def test_a_long_step_without_checkpoints_keeps_its_lease(transactional_db, owner_client, settings, use_generator):
    # One provider call longer than the lease must not look like a dead worker.
    settings.STORYCORE_JOB_LEASE = 0.6
    leases = []

    def long_call(ctx):
        import time

        time.sleep(1.5)
        leases.append(GenerationJob.objects.values_list("lease_expires_at", flat=True).get(pk=ctx.job.pk))

    use_generator(fake.scripted(long_call))
    job = create_job(owner_client)
    started = timezone.now()
    job = run_job(job.job_id)

    assert job.status == "completed"
    assert leases[0] > started + timedelta(seconds=1.5)  # renewed while the step ran
    assert jobs.job_recover_stale() == 0



def test_one_lease_thread_renews_every_job_its_process_runs(transactional_db, owner_client, settings, use_generator):
    # Two jobs running at once in one process, each in one long step: the process's single
    # lease thread keeps both alive.
    import threading
    import time

    settings.STORYCORE_JOB_LEASE = 0.6
    leases = {}

    def long_call(ctx):
        time.sleep(1.5)
        leases[ctx.job.pk] = GenerationJob.objects.values_list("lease_expires_at", flat=True).get(pk=ctx.job.pk)

    use_generator(fake.scripted(long_call))
    both = [create_job(owner_client) for _ in range(2)]
    started = timezone.now()
    runners = [threading.Thread(target=run_job, args=(job.job_id,)) for job in both]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()

    assert [GenerationJob.objects.get(pk=job.pk).status for job in both] == ["completed", "completed"]
    assert all(leases[job.pk] > started + timedelta(seconds=1.5) for job in both)
