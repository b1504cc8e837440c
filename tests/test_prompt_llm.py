"""provider=llm for prompts: the configured OpenAI-compatible server adds visual details,
the base prompt stays verbatim, and the provider's errors land on the job as for dialogues."""
import json
import pytest

from automation.models import PromptEnhancement
from tests.support.jobs import run_job
from tests.support.openai_server import Answer, OpenAIServer
from tests.support.ports import free_port

URL = "/api/automation/prompt/enhance"
REQUEST = {"base_prompt": "A knight in shining armor", "style": "fantasy", "lighting": "dramatic",
           "mood": "epic", "quality": "high", "provider": "llm", "max_retries": 0}  # fmt: skip


@pytest.fixture
def server(settings):
    server = OpenAIServer()
    settings.STORYCORE_LLM_URL = server.url
    settings.STORYCORE_LLM_MODEL = "llama3.1"
    settings.STORYCORE_LLM_TIMEOUT = 5.0
    yield server
    server.close()


def details(*items: str) -> Answer:
    return Answer(content=json.dumps({"details": list(items)}))


def submit(client, **changes) -> str:
    response = client.post(URL, {**REQUEST, **changes}, format="json")
    assert response.status_code == 202, response.content
    return response.data["job_id"]


def test_the_llm_adds_details_after_the_verbatim_base_prompt(db, owner_client, server):
    server.script(details("engraved silver pauldrons", "crimson cape", "\x07castle courtyard"))
    job = run_job(submit(owner_client))

    assert job.status == "completed", job.error
    result = job.result
    assert result["enhanced_prompt"].count("A knight in shining armor") == 1
    assert "A knight in shining armor, engraved silver pauldrons, crimson cape, castle courtyard" in result["enhanced_prompt"]
    assert result["detail_tags"] == ["engraved silver pauldrons", "crimson cape", "castle courtyard"]
    assert "dramatic lighting" in result["lighting_tags"]
    assert result["provider"] == "llm"
    assert PromptEnhancement.objects.get(job_id=job.job_id).provider == "llm"

    [request] = server.chat_requests
    body = request.body
    assert body["model"] == "llama3.1" and body["stream"] is False
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "prompt_details"
    assert "A knight in shining armor" in body["messages"][-1]["content"]


def test_a_refused_connection_names_the_url_and_is_transient(db, owner_client, settings):
    port = free_port()
    settings.STORYCORE_LLM_URL = f"http://127.0.0.1:{port}/v1"
    job = run_job(submit(owner_client))

    assert (job.status, job.error_kind) == ("failed", "transient")
    assert "Connection refused" in job.error and f"127.0.0.1:{port}" in job.error


def test_an_unknown_model_fails_at_once_listing_the_models(db, owner_client, server, settings):
    settings.STORYCORE_LLM_MODEL = "gpt-imaginary"
    job = run_job(submit(owner_client, max_retries=3))

    assert (job.status, job.error_kind, job.retry_count) == ("failed", "permanent", 0)
    assert "gpt-imaginary" in job.error and "llama3.1" in job.error


def test_garbage_twice_fails_with_the_raw_excerpt(db, owner_client, server):
    server.script(Answer(content="Sure! Here are some details: silver"), Answer(content='{"details": []}'))
    job = run_job(submit(owner_client))

    assert (job.status, job.error_kind) == ("failed", "transient")
    assert "unusable answer 2 times" in job.error
    assert '{"details": []}' in job.error
    assert not PromptEnhancement.objects.exists()
