"""The `llm` text provider against a real local OpenAI-compatible server."""
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from automation.models import Dialogue, GenerationJob
from tests.support.jobs import run_job
from tests.support.openai_server import Answer, written_dialogue
from tests.support.ports import free_port

URL = "/api/automation/dialogue/generate"
ORIGINAL_EXAMPLE = {
    "characters": [
        {"character_id": "hero_001", "name": "Héros", "archetype": "hero", "personality_traits": {"temper": 0.9}},
        {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"},
    ],
    "context": {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "tense"},
    "dialogueType": "conflict",
    "numLines": 10,
    "provider": "llm",
    "seed": 7,
}


@pytest.fixture
def server(llm_server):
    return llm_server


def submit(client, payload=ORIGINAL_EXAMPLE, **changes):
    response = client.post(URL, {**payload, **changes}, format="json")
    assert response.status_code == 202, response.content
    return response.data["job_id"]




def test_it_writes_the_dialogue_with_the_server_and_stores_it(db, owner_client, server):
    job = run_job(submit(owner_client))
    assert job.status == "completed", job.error
    lines = job.result["lines"]
    assert len(lines) == 10
    assert [line["character_id"] for line in lines] == ["hero_001", "villain_001"] * 5
    assert lines[0]["dialogue"] == "Line 1, spoken by hero_001." and lines[0]["character_name"] == "Héros"
    assert job.result["title"] == "A scene from the model"
    assert [line["beat"] for line in lines][0] == "challenge"
    dialogue = Dialogue.objects.get(job=job)
    assert dialogue.provider == "llm" and dialogue.lines.count() == 10


def test_the_request_asks_for_json_by_schema_with_the_scene(db, owner_client, server, settings):
    settings.STORYCORE_LLM_API_KEY = "sk-test"
    run_job(submit(owner_client))
    (request,) = server.chat_requests
    body = request.body
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "llama3.1" and body["stream"] is False and body["seed"] == 7
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "dialogue" and fmt["json_schema"]["strict"] is True
    lines = fmt["json_schema"]["schema"]["properties"]["lines"]
    assert lines["minItems"] == lines["maxItems"] == 10
    assert lines["items"]["properties"]["character_id"]["enum"] == ["hero_001", "villain_001"]
    prompt = body["messages"][1]["content"]
    for fact in ("Héros", "Méchant", "Château ancien", "night", "tense", "conflict", "temper 0.9", "escalate", "peak"):
        assert fact in prompt, fact
    assert "JSON" in body["messages"][0]["content"]


def test_the_settings_choose_the_provider_unless_the_request_names_one(db, owner_client, server, settings):
    settings.STORYCORE_TEXT_PROVIDER = "llm"
    payload = {k: v for k, v in ORIGINAL_EXAMPLE.items() if k != "provider"}
    assert Dialogue.objects.get(job=run_job(submit(owner_client, payload))).provider == "llm"
    assert len(server.chat_requests) == 1
    job = run_job(submit(owner_client, payload, provider="builtin"))
    assert Dialogue.objects.get(job=job).provider == "builtin"
    assert len(server.chat_requests) == 1


def test_it_falls_back_to_json_object_for_a_server_refusing_json_schema(db, owner_client, server):
    server.accepts = {"json_object", None}  # llama-cpp-python 0.3.x
    job = run_job(submit(owner_client))
    assert job.status == "completed", job.error
    assert job.retry_count == 0
    first, second = server.chat_requests
    assert first.body["response_format"]["type"] == "json_schema"
    assert second.body["response_format"]["type"] == "json_object"
    assert second.body["response_format"]["schema"]["required"] == ["title", "lines"]
    # Negotiated once per server: the next job asks in the accepted format straight away.
    run_job(submit(owner_client))
    assert [r.body["response_format"]["type"] for r in server.chat_requests[2:]] == ["json_object"]


def test_it_puts_the_schema_in_the_system_message_for_a_server_refusing_both(db, owner_client, server):
    server.accepts = {None}
    job = run_job(submit(owner_client))
    assert job.status == "completed", job.error
    last = server.chat_requests[-1].body
    assert "response_format" not in last
    assert '"minItems": 10' in last["messages"][0]["content"]


def test_connection_refused_is_transient_and_names_the_url(db, owner_client, settings):
    settings.STORYCORE_LLM_URL = f"http://127.0.0.1:{free_port()}/v1"
    job = run_job(submit(owner_client))
    assert job.status == "pending" and job.retry_count == 1 and job.error_kind == "transient"
    assert "Connection refused" in job.error and settings.STORYCORE_LLM_URL in job.error
    job = run_job(submit(owner_client, max_retries=0))
    assert job.status == "failed" and "is the LLM server running" in job.error
    assert not Dialogue.objects.exists()


def test_a_timeout_is_transient_and_names_the_setting(db, owner_client, server, settings):
    settings.STORYCORE_LLM_TIMEOUT = 0.3
    server.script(Answer(delay=1.5, content="{}"))
    job = run_job(submit(owner_client, max_retries=0))
    assert job.status == "failed" and job.error_kind == "transient"
    assert "Timeout" in job.error and "STORYCORE_LLM_TIMEOUT" in job.error and "0.3" in job.error


def test_429_is_transient_and_honours_retry_after(db, owner_client, server, settings):
    settings.STORYCORE_RETRY_BACKOFF_CAP = 300
    server.script(Answer(status=429, body={"error": {"message": "Rate limit reached"}}, headers={"Retry-After": "120"}))
    before = timezone.now()
    job = run_job(submit(owner_client))
    assert job.status == "pending" and job.retry_count == 1 and job.error_kind == "transient"
    assert "Rate limit exceeded" in job.error and "120" in job.error
    assert job.next_attempt_at >= before + timedelta(seconds=119)


@pytest.mark.parametrize("style", ["ollama", "vllm"])
def test_an_unknown_model_fails_at_once_naming_the_available_ones(db, owner_client, server, settings, style):
    server.unknown_model_style = style
    settings.STORYCORE_LLM_MODEL = "llama9"
    job = run_job(submit(owner_client))
    assert job.status == "failed" and job.error_kind == "permanent" and job.retry_count == 0
    assert "Model not found: 'llama9'" in job.error
    assert "llama3.1, mistral" in job.error and "STORYCORE_LLM_MODEL" in job.error
    assert [r.path for r in server.requests if r.method == "GET"] == ["/v1/models"]


def test_a_malformed_answer_is_asked_again_then_retried_then_failed_with_the_raw_excerpt(db, owner_client, server):
    server.script(*[Answer(content="Sure! Here is your dialogue: Héros says hello.")] * 4)
    job = run_job(submit(owner_client, max_retries=1))
    assert job.status == "pending" and job.error_kind == "transient"
    assert len(server.chat_requests) == 2  # asked twice in one attempt
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    job = run_job(job.job_id)
    assert job.status == "failed"
    assert "not valid JSON" in job.error
    assert "Here is your dialogue: Héros says hello." in job.error
    assert not Dialogue.objects.exists()


def test_a_bad_first_answer_is_forgiven_if_the_second_is_good(db, owner_client, server):
    server.script(Answer(content='{"lines": []}'))
    job = run_job(submit(owner_client))
    assert job.status == "completed", job.error
    seeds = [r.body["seed"] for r in server.chat_requests]
    assert seeds == [7, 8]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (json.dumps({"title": "t", "lines": []}), "exactly 10 lines, got 0"),
        (json.dumps({"title": "t", "lines": [{"character_id": "ghost_001", "dialogue": "Boo."}] * 10}), "ghost_001"),
        (json.dumps({"title": "t", "lines": [{"character_id": "hero_001", "dialogue": " \u0007 "}] * 10}), "no text"),
        ('{"title": "t", "lines": [{"character_id": "hero_001", "dia', "not valid JSON"),
    ],
)
def test_unusable_content_is_never_stored_as_completed(db, owner_client, server, answer, problem):
    server.script(Answer(content=answer), Answer(content=answer))
    job = run_job(submit(owner_client, max_retries=0))
    assert job.status == "failed" and problem in job.error
    assert not Dialogue.objects.exists()


def test_a_cut_off_answer_is_reported_as_such(db, owner_client, server):
    server.script(*[Answer(content='{"title": "t", "lines": [', finish_reason="length")] * 2)
    job = run_job(submit(owner_client, max_retries=0))
    assert job.status == "failed" and "finish_reason=length" in job.error


def test_control_characters_are_stripped_from_the_lines(db, owner_client, server):
    def noisy(request):
        data = json.loads(written_dialogue(request))
        data["lines"][0]["dialogue"] = "Stand\u0000 down,\u001b[31m Méchant!\u0007"
        data["lines"][0]["character_id"] = "Héros"  # a name instead of the id is tolerated
        return json.dumps(data)

    server.writer = noisy
    job = run_job(submit(owner_client))
    assert job.status == "completed", job.error
    assert job.result["lines"][0]["dialogue"] == "Stand down,[31m Méchant!"
    assert job.result["lines"][0]["character_id"] == "hero_001"


@pytest.mark.parametrize(
    ("status", "state", "kind", "hint"),
    [
        (503, "pending", "transient", "overloaded"),
        (500, "pending", "transient", "HTTP 500"),
        (408, "pending", "transient", "HTTP 408"),
        (401, "failed", "permanent", "STORYCORE_LLM_API_KEY"),
        (400, "failed", "permanent", "rejected the request"),
    ],
)
def test_http_errors_are_classified(db, owner_client, server, status, state, kind, hint):
    server.script(Answer(status=status, body={"error": {"message": "nope"}}))
    job = run_job(submit(owner_client))
    assert (job.status, job.error_kind) == (state, kind)
    assert hint in job.error


def test_a_wrong_base_url_is_permanent_and_says_so(db, owner_client, server, settings):
    settings.STORYCORE_LLM_URL = server.url.removesuffix("/v1")
    job = run_job(submit(owner_client))
    assert job.status == "failed" and job.error_kind == "permanent"
    assert "STORYCORE_LLM_URL" in job.error


def test_a_job_cancelled_while_the_server_thinks_stops_before_asking_again(transactional_db, owner, server):
    from automation import jobs
    from tests.conftest import token_client

    client = token_client(owner)
    job_id = submit(client)

    def cancel_then_babble(request):
        # Runs in the server's thread, with its own database connection: close it, or
        # PostgreSQL cannot drop the test database at the end.
        try:
            jobs.job_cancel(job=GenerationJob.objects.get(pk=job_id))
        finally:
            connection.close()
        return "not json"

    server.writer = cancel_then_babble
    job = run_job(job_id)
    assert job.status == "cancelled"
    assert len(server.chat_requests) == 1  # the second ask never went out
    assert not Dialogue.objects.exists()
