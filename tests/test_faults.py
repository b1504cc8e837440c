"""Faults, each with nothing lost and nothing run twice. (The worker killed mid-job is in
test_worker_cluster.py; provider hangs, refusals and garbage in the provider tests.)"""
import threading
import time

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from rest_framework.authtoken.models import Token

from automation.models import GenerationJob, JobAttempt, PromptEnhancement
from tests.support.brokers import use_redis_broker
from tests.support.cluster import Cluster, wait_for
from tests.support.redis_server import RedisServer
from tests.support.webserver import WebServer

pytestmark = pytest.mark.worker

ENHANCE = "/api/automation/prompt/enhance"


def payload(n: int) -> dict:
    return {"base_prompt": f"fault test subject {n}", "style": "anime", "quality": "draft"}


def assert_completed_exactly_once(job_ids, *, what: str, cluster: Cluster) -> None:
    def done() -> bool:
        return GenerationJob.objects.filter(pk__in=job_ids, status="completed").count() == len(job_ids)

    try:
        wait_for(done, timeout=90, interval=0.3, what=what)
    except AssertionError:
        states = dict(GenerationJob.objects.filter(pk__in=job_ids).values_list("status").annotate(n=Count("pk")))
        raise AssertionError(f"{what}: {states}\n{cluster.output()}") from None
    assert PromptEnhancement.objects.filter(job__in=job_ids).count() == len(job_ids)
    completed_attempts = JobAttempt.objects.filter(job__in=job_ids, outcome="completed")
    assert completed_attempts.count() == len(job_ids)


@pytest.fixture
def private_redis(monkeypatch):
    server = RedisServer().start()
    # This process enqueues (web requests, the dispatcher) into the private Redis too.
    use_redis_broker(monkeypatch, server.url)
    yield server
    server.stop()


def test_the_redis_broker_stopped_and_restarted_loses_no_job(transactional_db, servers, private_redis, owner_client, settings):
    # 1. Jobs queued in Redis, then Redis dies before any worker takes them.
    queued = [owner_client.post(ENHANCE, payload(n), format="json").data["job_id"] for n in range(10)]
    assert GenerationJob.objects.filter(pk__in=queued, enqueued_at__isnull=False).count() == 10
    private_redis.stop()

    # 2. Jobs created while Redis is down: still accepted and stored.
    while_down = []
    for n in range(10, 20):
        response = owner_client.post(ENHANCE, payload(n), format="json")
        assert response.status_code == 202
        while_down.append(response.data["job_id"])
    assert GenerationJob.objects.filter(pk__in=while_down, enqueued_at__isnull=True).count() == 10

    # 3. Redis comes back empty; the dispatcher re-sends what the broker lost.
    private_redis.start()
    cluster = servers(Cluster, env={"REDIS_URL": private_redis.url})
    settings.STORYCORE_REDISPATCH_AFTER = 0
    time.sleep(0.1)
    call_command("dispatch_jobs")

    assert_completed_exactly_once(queued + while_down, what="jobs across a Redis restart", cluster=cluster)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="cuts PostgreSQL backend connections")
def test_a_worker_whose_database_connection_is_cut_loses_no_job(transactional_db, servers, owner_client, broker):
    slow = servers(Cluster, module="tests.support.slow_cluster", env={"SLOW_SECONDS": "3", "STORYCORE_JOB_LEASE": "5"})
    job_ids = [owner_client.post(ENHANCE, payload(n), format="json").data["job_id"] for n in range(4)]
    wait_for(lambda: GenerationJob.objects.filter(pk__in=job_ids, status="processing").exists(), timeout=60,
             what="a job to be running")  # fmt: skip

    # Cut every connection to the test database but this one, as a failover or restart would.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    # Jobs whose worker lost its connection mid-job are recovered when their lease runs out.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and GenerationJob.objects.filter(pk__in=job_ids).exclude(status="completed").exists():
        call_command("dispatch_jobs")
        time.sleep(1)

    assert_completed_exactly_once(job_ids, what="jobs after the database connections were cut", cluster=slow)


def test_a_client_waiting_across_a_web_restart_gets_its_one_job(transactional_db, servers, owner, broker):
    token = Token.objects.create(user=owner).key
    headers = {"Authorization": f"Token {token}", "Idempotency-Key": "restart-test-1"}
    web = servers(WebServer)
    outcome = {}

    def waiting_client() -> None:
        try:
            outcome["first"] = requests.post(f"{web.url}{ENHANCE}?wait=20", json=payload(1), headers=headers, timeout=30)
        except requests.ConnectionError as exc:
            outcome["first"] = exc

    client = threading.Thread(target=waiting_client)
    client.start()
    wait_for(lambda: GenerationJob.objects.exists(), timeout=10, what="the job to be created")
    web.kill()  # the web server dies while the client waits (no worker is running yet)
    client.join()
    assert isinstance(outcome["first"], requests.ConnectionError), outcome["first"]

    # The client retries the same request against the restarted server, with its key.
    web = servers(WebServer)
    cluster = servers(Cluster)
    retry = requests.post(f"{web.url}{ENHANCE}?wait=20", json=payload(1), headers=headers, timeout=30)
    # 200 with the result, or 202 if a busy machine has not finished it within the wait.
    assert retry.status_code in (200, 202), retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert GenerationJob.objects.count() == 1
    assert_completed_exactly_once([retry.json()["job_id"]], what="the job after a web restart", cluster=cluster)
