"""Load: concurrent clients against the real web server and worker cluster; every job
accepted, completed exactly once, nothing lost, no "database is locked"."""
import threading
from collections import Counter

import pytest
import requests
from django.db.models import Count
from rest_framework.authtoken.models import Token

from automation.models import GenerationJob, JobAttempt, PromptEnhancement
from tests.conftest import SERVICES_REQUIRED
from tests.support.cluster import Cluster, wait_for
from tests.support.webserver import WebServer

pytestmark = pytest.mark.worker

CLIENTS = 16
# The embedded set-up (SQLite, ORM broker, one cluster) and the scaled-out one (PostgreSQL,
# Redis, two clusters), as the reliability issue asks.
JOBS, CLUSTERS = (2000, 2) if SERVICES_REQUIRED else (1000, 1)


@pytest.fixture
def stack(transactional_db, broker, servers):
    return servers(WebServer), [servers(Cluster) for _ in range(CLUSTERS)]


def test_concurrent_clients_create_jobs_that_all_complete_exactly_once(stack, owner):
    web, clusters = stack
    token = Token.objects.create(user=owner).key
    statuses: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        for n in range(index, JOBS, CLIENTS):
            body = {"base_prompt": f"load test subject {n}", "style": "anime", "quality": "draft"}
            response = session.post(f"{web.url}/api/automation/prompt/enhance", json=body, timeout=60)
            with lock:
                statuses[response.status_code] += 1
                if response.status_code not in (202, 429):
                    errors.append(response.text[:300])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors[:3]
    accepted = statuses[202]
    assert accepted + statuses[429] == JOBS
    assert GenerationJob.objects.count() == accepted

    def all_done() -> bool:
        return not GenerationJob.objects.exclude(status="completed").exists()

    try:
        wait_for(all_done, timeout=600, interval=1, what=f"{accepted} jobs to complete")
    except AssertionError:
        left = dict(GenerationJob.objects.values_list("status").annotate(n=Count("pk")))
        raise AssertionError(f"not all jobs completed: {left}\n{clusters[0].output()}") from None

    # Exactly once: one attempt and one artifact per job, no duplicates, nothing lost.
    assert PromptEnhancement.objects.count() == accepted
    assert not JobAttempt.objects.values("job").annotate(n=Count("pk")).filter(n__gt=1).exists()
    logs = web.output() + "".join(cluster.output() for cluster in clusters)
    assert "database is locked" not in logs
    print(f"\nload: {JOBS} requests from {CLIENTS} clients -> {dict(statuses)}; {accepted} jobs completed once "
          f"on {CLUSTERS} cluster(s)")  # fmt: skip
