from automation.models import GenerationJob, PromptEnhancement
from tests.support.jobs import run_job

URL = "/api/automation/prompt/enhance"
ORIGINAL_EXAMPLE = {
    "base_prompt": "A knight in shining armor",
    "style": "fantasy",
    "lighting": "dramatic",
    "mood": "epic",
    "quality": "high",
}


def test_it_accepts_the_original_example_and_completes(db, owner_client):
    response = owner_client.post(URL, ORIGINAL_EXAMPLE, format="json")
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/automation/jobs/{response.data['job_id']}")

    job = run_job(response.data["job_id"])
    assert job.status == "completed"
    result = job.result
    assert result["enhanced_prompt"].count("A knight in shining armor") == 1
    assert "dramatic lighting" in result["lighting_tags"]
    assert "epic" in result["mood_tags"]
    assert result["negative_prompt"]
    assert PromptEnhancement.objects.get(job=job).enhanced_prompt == result["enhanced_prompt"]


def test_it_rejects_an_unknown_style_listing_the_allowed_ones(db, owner_client):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "style": "vaporwave"}, format="json")
    assert response.status_code == 400
    assert "fantasy" in response.data["style"][0]
    assert not GenerationJob.objects.exists()
