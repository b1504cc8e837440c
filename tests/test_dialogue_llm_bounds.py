"""The `llm` provider's dialogue requests, as found against a real llama.cpp server: the
answer is bounded, told and checked for its language, cleaned of what no database stores,
asked with a new seed on every attempt, and a cut-off answer says whose limit it met."""
import json

import pytest
from django.utils import timezone

from automation.models import Dialogue, GenerationJob
from tests.support.dialogues import ORIGINAL_EXAMPLE
from tests.support.jobs import run_job
from tests.support.openai_server import Answer, written_dialogue

URL = "/api/automation/dialogue/generate"
SCENE = {
    "characters": ORIGINAL_EXAMPLE["characters"],
    "context": ORIGINAL_EXAMPLE["context"],
    "dialogue_type": "conflict",
    "num_lines": 10,
    "provider": "llm",
    "seed": 7,
}


@pytest.fixture
def server(llm_server):
    return llm_server


def submit(client, **changes):
    response = client.post(URL, {**SCENE, **changes}, format="json")
    assert response.status_code == 202, response.content
    return response.data["job_id"]


def lines_saying(request, texts):
    data = json.loads(written_dialogue(request))
    for line, text in zip(data["lines"], texts * len(data["lines"])):
        line["dialogue"] = text
    return json.dumps(data)


def test_the_answer_is_bounded_by_the_number_of_lines(db, owner_client, server):
    assert run_job(submit(owner_client, num_lines=10)).status == "completed"
    assert run_job(submit(owner_client, num_lines=4)).status == "completed"
    ten, four = (request.body for request in server.chat_requests)
    assert ten["max_tokens"] == 120 + 160 * 10 and four["max_tokens"] == 120 + 160 * 4
    line = ten["response_format"]["json_schema"]["schema"]["properties"]["lines"]["items"]["properties"]
    assert line["dialogue"]["maxLength"] == 400 and line["gesture"]["maxLength"] == 120


def test_the_request_names_the_language_and_each_line_s_move(db, owner_client, server):
    server.writer = lambda request: lines_saying(request, ["Tu ne passeras pas cette nuit, je te le promets."])
    job = run_job(submit(owner_client, language="fr"))
    assert job.status == "completed", job.error
    prompt = server.chat_requests[0].body["messages"][1]["content"]
    assert "in French (français)" in prompt
    assert "1. hero_001 to Méchant, challenge" in prompt or "1. hero_001 to Méchant, ask" in prompt
    assert "(replying to line 1)" in prompt
    assert job.result["language"] == "fr" and {line["move"] for line in job.result["lines"]} - {""}


def test_an_answer_in_the_wrong_language_is_unusable(db, owner_client, server):
    server.writer = lambda request: lines_saying(request, ["You will not pass tonight, and that is the end of it."])
    job = run_job(submit(owner_client, language="fr", max_retries=0))
    assert job.status == "failed"
    assert "the lines are in English, not in French (français) as asked" in job.error
    assert not Dialogue.objects.exists()


def test_lone_surrogates_and_control_characters_are_stripped_before_saving(db, owner_client, server):
    def broken(request):
        data = json.loads(written_dialogue(request))
        # What a real server sent: a JSON escape of half a surrogate pair.
        return json.dumps(data).replace("Line 1, spoken", "Line 1,\\udfb7 spoken\\u0000")

    server.writer = broken
    job = run_job(submit(owner_client))
    assert job.status == "completed", job.error
    assert job.result["lines"][0]["dialogue"] == "Line 1, spoken by hero_001."
    assert Dialogue.objects.get(job=job).lines.first().text == "Line 1, spoken by hero_001."


def test_each_attempt_of_the_job_asks_with_new_seeds(db, owner_client, server):
    server.script(*[Answer(content="not json")] * 4)
    job = run_job(submit(owner_client, max_retries=1))
    assert job.status == "pending"
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    run_job(job.job_id)
    seeds = [request.body["seed"] for request in server.chat_requests]
    assert len(seeds) == 4 and len(set(seeds)) == 4, seeds


def test_a_full_context_window_says_to_raise_the_server_s_context_size(db, owner_client, server):
    usage = {"prompt_tokens": 2018, "completion_tokens": 30, "total_tokens": 2048}
    server.script(*[Answer(content='{"title": "t", "lines": [', finish_reason="length", usage=usage)] * 2)
    job = run_job(submit(owner_client, max_retries=0))
    assert job.status == "failed"
    assert "context window (prompt 2,018 of 2,048 tokens)" in job.error
    assert "Raise the server's context size" in job.error and "larger model" not in job.error


def test_an_answer_that_reaches_max_tokens_says_so(db, owner_client, server):
    usage = {"prompt_tokens": 900, "completion_tokens": 1720, "total_tokens": 2620}
    server.script(*[Answer(content='{"title": "t", "lines": [', finish_reason="length", usage=usage)] * 2)
    job = run_job(submit(owner_client, max_retries=0))
    assert job.status == "failed" and "at max_tokens (1,720 tokens)" in job.error
