"""Helpers for the prompt-enhancement tests: submit through the API, run the job."""
from automation.generators.prompt_tags import split_tags, tag_key
from tests.support.jobs import run_job

ENHANCE_URL = "/api/automation/prompt/enhance"
ORIGINAL_EXAMPLE = {
    "base_prompt": "A knight in shining armor",
    "style": "fantasy",
    "lighting": "dramatic",
    "mood": "epic",
    "quality": "high",
}


def enhance_via_api(client, **payload):
    """POST prompt/enhance, run the job as a worker would, return the completed job."""
    response = client.post(ENHANCE_URL, payload, format="json")
    assert response.status_code == 202, response.data
    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    return job


def tag_keys(prompt: str) -> list[str]:
    return [tag_key(tag) for tag in split_tags(prompt)]
