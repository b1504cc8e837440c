import pytest

from automation.catalog import prompt_catalog
from automation.generators.prompt import enhance
from automation.models import GenerationJob, PromptEnhancement
from tests.support.jobs import run_job
from tests.support.prompts import ENHANCE_URL as URL
from tests.support.prompts import ORIGINAL_EXAMPLE, enhance_via_api, tag_keys


def test_it_accepts_the_original_example_and_completes(db, owner_client):
    response = owner_client.post(URL, ORIGINAL_EXAMPLE, format="json")
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/automation/jobs/{response.data['job_id']}")

    job = run_job(response.data["job_id"])
    assert job.status == "completed"
    result = job.result
    catalog = prompt_catalog()
    assert result["original_prompt"] == "A knight in shining armor"
    assert result["enhanced_prompt"].count("A knight in shining armor") == 1
    fantasy_tags = [tag.strip() for tag in catalog["styles"]["fantasy"]["template"].split(",") if "{prompt}" not in tag]
    # Within the budget, the most important tags: the style's own first, then each choice's first.
    assert result["style_tags"][0] == "fantasy art" and set(result["style_tags"]) <= set(fantasy_tags)
    assert set(result["lighting_tags"]) <= set(catalog["lighting"]["dramatic"]["tags"])
    assert set(result["mood_tags"]) <= set(catalog["moods"]["epic"]["tags"])
    for tag in result["style_tags"] + result["lighting_tags"] + result["mood_tags"] + result["quality_tags"]:
        assert tag in result["enhanced_prompt"]
    assert "dramatic lighting" in result["lighting_tags"]
    assert "epic" in result["mood_tags"]
    assert result["negative_prompt"]
    assert result["tokens_added"] <= 30 and result["warnings"] == []
    # A knight is a figure: an SDXL portrait size, with the high level's steps.
    family = catalog["model_families"]["sdxl"]
    assert result["settings"] == {**family["quality"]["high"], "width": 896, "height": 1152}
    assert result["model_family"] == "sdxl" and result["orientation"] == "portrait"
    assert PromptEnhancement.objects.get(job=job).enhanced_prompt == result["enhanced_prompt"]


def test_it_accepts_the_original_clients_camel_case_names(db, owner_client):
    payload = {**ORIGINAL_EXAMPLE, "addNegative": False}
    payload["basePrompt"] = payload.pop("base_prompt")
    job = enhance_via_api(owner_client, **payload)
    assert job.result["original_prompt"] == "A knight in shining armor"
    assert job.result["negative_prompt"] == ""


def test_it_returns_the_generation_settings_of_each_quality_level(db, owner_client):
    family = prompt_catalog()["model_families"]["sdxl"]
    for quality in prompt_catalog()["quality"]:
        job = enhance_via_api(owner_client, base_prompt="a lighthouse", quality=quality)
        settings = job.result["settings"]
        size = family["sizes"]["wide" if quality == "cinematic" else "square"]
        assert settings == {**family["quality"][quality], "width": size[0], "height": size[1]}
        assert {"steps", "cfg", "width", "height", "sampler", "scheduler"} <= set(settings)


def test_it_keeps_the_base_prompt_verbatim_and_weights_untouched(db, owner_client):
    base = "A knight, (red cape, silver helm:1.2), ((glowing sword)), [smoke], <lora:armor_v2:0.8>"
    job = enhance_via_api(owner_client, **{**ORIGINAL_EXAMPLE, "base_prompt": base})
    enhanced = job.result["enhanced_prompt"]
    assert enhanced.count(base) == 1
    for weighted in ("(red cape, silver helm:1.2)", "((glowing sword))", "[smoke]", "<lora:armor_v2:0.8>"):
        assert enhanced.count(weighted) == 1


def test_it_does_not_repeat_tags_the_base_prompt_already_has(db, owner_client):
    # The user's weighted copy wins over the catalog's plain one.
    base = "A knight, (dramatic lighting:1.4), Epic"
    job = enhance_via_api(owner_client, **{**ORIGINAL_EXAMPLE, "base_prompt": base})
    result = job.result
    assert "dramatic lighting" not in result["lighting_tags"]
    assert "epic" not in result["mood_tags"]
    keys = tag_keys(result["enhanced_prompt"])
    assert len(keys) == len(set(keys))
    assert result["enhanced_prompt"].startswith("fantasy art, A knight, (dramatic lighting:1.4), Epic, ")


def test_it_deduplicates_tags_across_style_lighting_mood_and_quality(db, owner_client):
    # The realistic style and the high quality level both say "highly detailed".
    job = enhance_via_api(owner_client, base_prompt="a harbor", style="realistic", lighting="natural", quality="high")
    result = job.result
    assert "highly detailed" in result["style_tags"]
    assert "highly detailed" not in result["quality_tags"]
    keys = tag_keys(result["enhanced_prompt"])
    assert len(keys) == len(set(keys))
    assert result["enhanced_prompt"].index("highly detailed") < result["enhanced_prompt"].index("natural lighting")


def test_it_merges_the_style_and_quality_negatives_without_duplicates(db, owner_client):
    # concept_art's negative and the cinematic quality's both hold "blurry" and "amateur".
    catalog = prompt_catalog()
    style_negative = [t.strip() for t in catalog["styles"]["concept_art"]["negative"].split(",")]
    quality_negative = [t.strip() for t in catalog["quality"]["cinematic"]["negative"].split(",")]
    assert {"blurry", "amateur"} <= set(style_negative) & set(quality_negative)

    job = enhance_via_api(owner_client, base_prompt="a fox", style="concept_art", quality="cinematic")
    negative = [t.strip() for t in job.result["negative_prompt"].split(",")]
    assert negative == list(dict.fromkeys(style_negative + quality_negative))
    assert negative.count("blurry") == 1


def test_it_adds_the_camera_tags_when_asked(db, owner_client):
    without = enhance_via_api(owner_client, **ORIGINAL_EXAMPLE).result
    assert without["camera_tags"] == []
    with_camera = enhance_via_api(owner_client, **ORIGINAL_EXAMPLE, camera="low_angle").result
    # The camera's first tag is among the first kept within the budget.
    assert with_camera["camera_tags"][0] == prompt_catalog()["camera"]["low_angle"]["tags"][0]
    assert set(with_camera["camera_tags"]) <= set(prompt_catalog()["camera"]["low_angle"]["tags"])
    for tag in with_camera["camera_tags"]:
        assert tag in with_camera["enhanced_prompt"]
        assert tag not in without["enhanced_prompt"]


def test_it_leaves_out_the_negative_prompt_when_add_negative_is_false(db, owner_client):
    result = enhance_via_api(owner_client, **ORIGINAL_EXAMPLE, add_negative=False).result
    assert result["negative_prompt"] == ""
    assert PromptEnhancement.objects.get().negative_prompt == ""


def test_it_leaves_out_the_style_template_when_add_style_tags_is_false(db, owner_client):
    result = enhance_via_api(owner_client, **ORIGINAL_EXAMPLE, add_style_tags=False).result
    assert result["style_tags"] == []
    assert result["enhanced_prompt"].startswith("A knight in shining armor, dramatic lighting")
    assert "fantasy art" not in result["enhanced_prompt"]
    assert "magical atmosphere" not in result["enhanced_prompt"]
    # The style's negative still applies unless add_negative is false too.
    assert "mundane" in result["negative_prompt"]


def test_enhance_stays_callable_with_keywords_for_other_features(db):
    # The character-grid generator calls enhance() directly with these keywords.
    result = enhance(base_prompt="a ranger", style="anime", lighting="soft", mood="peaceful", quality="draft")
    assert result["enhanced_prompt"].count("a ranger") == 1
    assert "cel shading" in result["enhanced_prompt"]
    assert isinstance(result["negative_prompt"], str)
    assert result["settings"]["steps"] == prompt_catalog()["model_families"]["sdxl"]["quality"]["draft"]["steps"]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("style", "vaporwave", "fantasy"),
        ("lighting", "strobe", "golden_hour"),
        ("mood", "grumpy", "mysterious"),
        ("quality", "insane", "cinematic"),
        ("camera", "drone", "bird_eye"),
        ("provider", "magic", "builtin"),
    ],
)
def test_it_rejects_an_unknown_choice_listing_the_allowed_ones(db, owner_client, field, value, allowed):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, field: value}, format="json")
    assert response.status_code == 400
    message = str(response.data[field][0])
    assert "Allowed values" in message
    assert allowed in message
    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize("base_prompt", ["", "   ", None])
def test_it_rejects_an_empty_base_prompt(db, owner_client, base_prompt):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "base_prompt": base_prompt}, format="json")
    assert response.status_code == 400
    assert "base_prompt" in response.data
    assert not GenerationJob.objects.exists()


def test_it_rejects_a_missing_base_prompt(db, owner_client):
    payload = {key: value for key, value in ORIGINAL_EXAMPLE.items() if key != "base_prompt"}
    response = owner_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "base_prompt" in response.data


def test_it_rejects_a_base_prompt_over_its_limit(db, owner_client):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "base_prompt": "x" * 2001}, format="json")
    assert response.status_code == 400
    assert "2000" in str(response.data["base_prompt"][0])
    assert not GenerationJob.objects.exists()
    assert owner_client.post(URL, {**ORIGINAL_EXAMPLE, "base_prompt": "x" * 2000}, format="json").status_code == 202


@pytest.mark.parametrize("variants", [0, 21, -1])
def test_it_rejects_variants_out_of_range(db, owner_client, variants):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "variants": variants}, format="json")
    assert response.status_code == 400
    assert "1 to 20" in str(response.data["variants"][0])
    assert not GenerationJob.objects.exists()


def test_it_rejects_unknown_fields(db, owner_client):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "moood": "epic"}, format="json")
    assert response.status_code == 400
    assert "moood" in response.data


def test_it_requires_authentication(db, anon_client):
    assert anon_client.post(URL, ORIGINAL_EXAMPLE, format="json").status_code == 401
