"""The background worker for real: a `qcluster` subprocess on the configured broker."""
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from automation.models import GenerationJob, JobAttempt, PromptEnhancement
from tests.support.brokers import use_job_table_broker, use_redis_broker
from tests.support.cluster import Cluster, wait_for

pytestmark = pytest.mark.worker

ENHANCE = "/api/automation/prompt/enhance"
PAYLOAD = {"base_prompt": "A knight in shining armor", "style": "fantasy", "lighting": "dramatic", "mood": "epic", "quality": "high"}


@pytest.fixture
def clusters(transactional_db, broker, servers):
    return lambda **kwargs: servers(Cluster, **kwargs)


def job_status(job_id) -> str:
    return GenerationJob.objects.values_list("status", flat=True).get(pk=job_id)


def wait_for_status(job_id, status: str, *, cluster: Cluster, timeout: float = 60) -> GenerationJob:
    try:
        wait_for(lambda: job_status(job_id) == status, timeout=timeout, what=f"job {job_id} to be {status}")
    except AssertionError:
        raise AssertionError(f"job is {job_status(job_id)}; cluster log:\n{cluster.output()}") from None
    return GenerationJob.objects.get(pk=job_id)


def test_a_real_cluster_runs_a_job_created_through_the_api(clusters, owner_client):
    cluster = clusters()
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")
    assert response.status_code == 202

    job = wait_for_status(response.data["job_id"], "completed", cluster=cluster)
    assert "A knight in shining armor" in job.result["enhanced_prompt"]
    assert job.attempts.get().outcome == "completed"

    health = owner_client.get("/api/automation/health").json()
    assert health["workers"]["ok"], health


def test_a_cluster_on_the_job_table_broker_runs_each_job_once(clusters, owner_client, monkeypatch):
    # The embedded default's broker, on this run's database (PostgreSQL in the second CI run).
    use_job_table_broker(monkeypatch)
    created = [owner_client.post(ENHANCE, {**PAYLOAD, "base_prompt": f"knight {n}"}, format="json") for n in range(40)]
    retried = created.pop().data["job_id"]
    owner_client.post(f"/api/automation/jobs/{retried}/cancel")
    assert owner_client.post(f"/api/automation/jobs/{retried}/retry").status_code == 200
    job_ids = [response.data["job_id"] for response in created] + [retried]

    cluster = clusters(env={"REDIS_URL": ""})
    for job_id in job_ids:
        wait_for_status(job_id, "completed", cluster=cluster)
    assert JobAttempt.objects.filter(job__in=job_ids).count() == len(job_ids)  # no job ran twice
    assert PromptEnhancement.objects.filter(job__in=job_ids).count() == len(job_ids)


def test_killing_the_cluster_mid_job_loses_nothing_and_runs_it_once(clusters, owner_client):
    slow = clusters(module="tests.support.slow_cluster", env={"SLOW_SECONDS": "30", "STORYCORE_JOB_LEASE": "5"})
    job_id = owner_client.post(ENHANCE, PAYLOAD, format="json").data["job_id"]
    wait_for(
        lambda: GenerationJob.objects.filter(pk=job_id, status="processing", progress__gt=0).exists(),
        timeout=60,
        what="the job to be running",
    )

    slow.kill()
    time.sleep(0.5)
    assert job_status(job_id) == "processing"  # nobody told the database

    # Once the lease runs out, recovery (the cluster does it every minute; here by command)
    # returns the job to the queue as a transient failure, and a new cluster runs it.
    job = GenerationJob.objects.get(pk=job_id)
    wait_for(lambda: timezone.now() > job.lease_expires_at + timedelta(seconds=0.5), timeout=10, what="lease expiry")
    call_command("dispatch_jobs")  # recovers it: pending again, after a short backoff
    time.sleep(0.1)
    call_command("dispatch_jobs")  # enqueues it
    fresh = clusters()

    job = wait_for_status(job_id, "completed", cluster=fresh)
    assert job.retry_count == 1
    assert [a.outcome for a in job.attempts.all()] == ["lost", "completed"]
    assert PromptEnhancement.objects.filter(job_id=job_id).count() == 1


def test_a_job_created_while_the_broker_is_down_is_kept_and_runs_later(clusters, owner_client, monkeypatch):
    with monkeypatch.context() as broker_down:
        # Every enqueue is refused, as with a stopped Redis.
        use_redis_broker(broker_down)
        response = owner_client.post(ENHANCE, PAYLOAD, format="json")
        health = owner_client.get("/api/automation/health")

    assert response.status_code == 202
    assert health.status_code == 503
    assert health.json()["broker"]["ok"] is False
    job = GenerationJob.objects.get(pk=response.data["job_id"])
    assert (job.status, job.enqueued_at) == ("pending", None)

    cluster = clusters()
    call_command("dispatch_jobs")
    job = wait_for_status(job.job_id, "completed", cluster=cluster)
    assert job.attempts.count() == 1
