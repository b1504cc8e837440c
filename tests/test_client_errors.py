"""The Python client's typed errors, each against a real server that fails that way."""
import time
import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from automation.models import GenerationJob
from storycore_client import (
    BadRequest,
    Conflict,
    ConnectionLost,
    ConnectionRefused,
    JobCancelled,
    JobWaitTimeout,
    NotFound,
    RateLimited,
    ServerError,
    StoryCoreClient,
    Timeout,
    Unauthorized,
)
from tests.support.http_standins import ErrorServer, HangingServer, LossyProxy
from tests.support.ports import free_port

PROMPT = {"base_prompt": "A knight in shining armor", "style": "fantasy", "lighting": "dramatic", "mood": "epic", "quality": "high"}


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def client(live_server, owner):
    with StoryCoreClient(live_server.url, token_for(owner), backoff=0.05) as client:
        yield client




def test_it_raises_connection_refused_naming_the_url_when_nothing_listens():
    url = f"http://127.0.0.1:{free_port()}"
    client = StoryCoreClient(url, "token", retries=1, backoff=0.01)
    with pytest.raises(ConnectionRefused) as caught:
        client.enhance_prompt(PROMPT)
    assert caught.value.url == url
    assert f"is the StoryCore server running at {url}?" in str(caught.value)


def test_it_raises_timeout_and_repeats_a_create_with_the_same_idempotency_key():
    with HangingServer() as hanging:
        client = StoryCoreClient(hanging.url, "token", timeout=0.5, retries=1, backoff=0.01)
        started = time.monotonic()
        with pytest.raises(Timeout) as caught:
            client.enhance_prompt(PROMPT, wait=False)
        assert time.monotonic() - started < 5
        with pytest.raises(Timeout):
            client.enhance_prompt(PROMPT, wait=False)
    assert caught.value.timeout == 0.5
    keys = [request["headers"]["Idempotency-Key"] for request in hanging.requests]
    assert len(keys) == 4
    assert keys[0] == keys[1] and keys[2] == keys[3]  # one key per call, kept on its retry
    assert keys[0] != keys[2]
    uuid.UUID(keys[0])


def test_it_raises_server_error_after_retrying_a_5xx():
    with ErrorServer(500, b"<h1>Server Error (500)</h1>") as failing:
        client = StoryCoreClient(failing.url, "token", retries=2, backoff=0.01)
        with pytest.raises(ServerError) as caught:
            client.generate_dialogue(characters=[{"character_id": "a"}], wait=False)
    assert caught.value.status_code == 500
    assert "Server Error (500)" in caught.value.detail
    assert [r["method"] for r in failing.requests] == ["POST"] * 3
    assert len({r["headers"]["Idempotency-Key"] for r in failing.requests}) == 1


def test_it_does_not_repeat_a_state_change_after_a_5xx():
    with ErrorServer(503, {"detail": "maintenance"}) as failing:
        client = StoryCoreClient(failing.url, "token", retries=2, backoff=0.01)
        with pytest.raises(ServerError, match="maintenance"):
            client.retry_job(str(uuid.uuid4()))
    assert len(failing.requests) == 1  # a retry may have happened: never send it twice


def test_health_returns_the_report_of_an_unhealthy_service_instead_of_raising():
    report = {"database": {"ok": False, "error": "down"}, "broker": {"ok": True}}
    with ErrorServer(503, report) as unhealthy:
        answer = StoryCoreClient(unhealthy.url, retries=0).health()
    assert answer["healthy"] is False and answer["database"]["error"] == "down"


@pytest.mark.parametrize("how", ["502", "drop"])
def test_a_post_whose_answer_was_lost_is_retried_without_creating_a_second_job(live_server, owner, how):
    with LossyProxy(live_server.url, lose=1, how=how) as proxy:
        client = StoryCoreClient(proxy.url, token_for(owner), backoff=0.01)
        job = client.enhance_prompt(PROMPT, wait=False)
    posts = [request for request in proxy.requests if request["method"] == "POST"]
    assert len(posts) == 2
    assert posts[0]["headers"]["Idempotency-Key"] == posts[1]["headers"]["Idempotency-Key"]
    assert GenerationJob.objects.count() == 1
    assert str(GenerationJob.objects.get().job_id) == job["job_id"]
    assert job["status"] == "pending"


def test_a_state_change_whose_answer_was_lost_is_not_repeated(live_server, owner):
    client = StoryCoreClient(live_server.url, token_for(owner))
    job = client.enhance_prompt(PROMPT, wait=False)
    with LossyProxy(live_server.url, lose=1, how="drop") as proxy:
        with pytest.raises(ConnectionLost) as caught:
            StoryCoreClient(proxy.url, token_for(owner), backoff=0.01).cancel_job(job)
    assert "closed the connection before answering" in str(caught.value)
    assert [request["method"] for request in proxy.requests] == ["POST"]
    assert client.get_job(job["job_id"])["status"] == "cancelled"  # it was done, once


def test_it_raises_unauthorized_for_a_bad_or_missing_token(live_server, owner):
    with pytest.raises(Unauthorized) as caught:
        StoryCoreClient(live_server.url, "not-a-real-token").list_jobs()
    assert caught.value.status_code == 401
    with pytest.raises(Unauthorized):
        StoryCoreClient(live_server.url, "").enhance_prompt(PROMPT, wait=False)
    assert GenerationJob.objects.count() == 0


def test_it_reads_the_url_and_token_from_the_environment(live_server, owner, monkeypatch):
    monkeypatch.setenv("STORYCORE_URL", live_server.url + "/")
    monkeypatch.setenv("STORYCORE_TOKEN", token_for(owner))
    client = StoryCoreClient()
    assert client.base_url == live_server.url
    assert client.enhance_prompt(PROMPT, wait=False)["owner"] == "owner"


def test_it_raises_not_found_for_unknown_and_other_users_objects(client, live_server, other, tmp_path):
    with pytest.raises(NotFound) as caught:
        client.get_job(str(uuid.uuid4()))
    assert caught.value.status_code == 404
    theirs = StoryCoreClient(live_server.url, token_for(other)).enhance_prompt(PROMPT, wait=False)
    with pytest.raises(NotFound):
        client.get_job(theirs["job_id"])
    with pytest.raises(NotFound):
        client.cancel_job(theirs)
    with pytest.raises(NotFound):
        client.get_grid(str(uuid.uuid4()))
    with pytest.raises(NotFound):
        client.download_grid_sheet(str(uuid.uuid4()), tmp_path / "sheet.png")
    assert list(tmp_path.iterdir()) == []
    assert GenerationJob.objects.get().status == "pending"


def test_it_raises_bad_request_with_the_field_errors_and_nothing_is_stored(client):
    with pytest.raises(BadRequest) as caught:
        client.enhance_prompt({**PROMPT, "style": "vaporwave"}, wait=False)
    assert "style" in caught.value.errors
    assert "fantasy" in str(caught.value.errors["style"])  # the allowed values are listed
    with pytest.raises(BadRequest) as caught:
        client.generate_dialogue(characters=[{"character_id": "solo", "name": "Solo", "archetype": "hero"}], numLines=500)
    assert "100" in str(caught.value.errors["num_lines"])  # the original camelCase name, reported as the field
    assert GenerationJob.objects.count() == 0


def test_cancel_and_retry_follow_the_job_states_and_raise_conflict_otherwise(client):
    job = client.enhance_prompt(PROMPT, wait=False)  # no worker here: it stays pending
    with pytest.raises(Conflict) as caught:
        client.retry_job(job)
    assert caught.value.status_code == 409
    cancelled = client.cancel_job(job["job_id"])
    assert cancelled["status"] == "cancelled"
    with pytest.raises(Conflict):
        client.cancel_job(job)
    with pytest.raises(JobCancelled) as caught:
        client.wait_for_job(job["job_id"])
    assert caught.value.job["job_id"] == job["job_id"]
    assert client.retry_job(job)["status"] == "pending"
    assert [j["job_id"] for j in client.list_jobs(status="pending", type="prompt")] == [job["job_id"]]
    assert client.list_jobs(status=["completed", "failed"]) == []


def test_waiting_longer_than_asked_raises_with_the_running_job(client):
    started = time.monotonic()
    with pytest.raises(JobWaitTimeout) as caught:
        client.enhance_prompt(PROMPT, wait=1.5)  # no worker: the job never starts
    assert 1.4 < time.monotonic() - started < 10
    assert caught.value.job["status"] == "pending"
    assert GenerationJob.objects.filter(pk=caught.value.job_id).exists()


def test_it_raises_rate_limited_with_the_wait_from_the_server(client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "generate", "1/min")
    client.enhance_prompt(PROMPT, wait=False)
    with pytest.raises(RateLimited) as caught:
        client.enhance_prompt(PROMPT, wait=False)
    assert caught.value.status_code == 429
    assert 1 <= caught.value.retry_after <= 60  # too long to wait for: raised at once
    assert "Rate limit exceeded" in caught.value.detail
    assert GenerationJob.objects.count() == 1


def test_a_short_rate_limit_is_waited_out_and_the_post_repeated_once(client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "generate", "1/s")
    first = client.enhance_prompt(PROMPT, wait=False)
    second = client.enhance_prompt(PROMPT, wait=False)  # 429, Retry-After 1, then accepted
    assert first["job_id"] != second["job_id"]
    assert GenerationJob.objects.count() == 2
