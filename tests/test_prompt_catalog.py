"""The prompt catalog (data files) and GET prompt/styles."""
import pytest

from automation.catalog import prompt_catalog
from automation.generators.prompt_tags import split_tags
from tests.support.prompts import enhance_via_api, tag_keys

STYLES_URL = "/api/automation/prompt/styles"
CATALOG = prompt_catalog()
BASE = "a lone traveler crossing a bridge"

# The vocabularies the README promises at least.
MINIMUM = {
    "styles": "realistic anime fantasy science_fiction oil_painting watercolor photographic cyberpunk gothic minimalist",
    "lighting": "cinematic natural dramatic soft hard rim volumetric neon golden_hour blue_hour",
    "moods": "neutral tense peaceful mysterious epic joyful somber horror romantic dreamy",
    "camera": "eye_level low_angle high_angle bird_eye worm_eye over_shoulder",
    "quality": "draft standard high ultra cinematic",
}


@pytest.mark.parametrize("kind", MINIMUM)
def test_the_catalog_has_every_value_of_the_design(kind):
    assert set(MINIMUM[kind].split()) <= set(CATALOG[kind])


def test_the_catalog_has_at_least_sixty_complete_styles():
    assert len(CATALOG["styles"]) >= 60
    for name, style in CATALOG["styles"].items():
        assert {"label", "category", "description", "template", "negative"} <= set(style), name
        assert style["description"] and "\n" not in style["description"], name
        assert style["template"].count("{prompt}") == 1, name
        assert split_tags(style["negative"]), name


# The defaults (no lighting asked, a neutral mood, a draft) add nothing; every other entry adds tags.
ADDS_NOTHING = {("lighting", "auto"), ("moods", "neutral"), ("quality", "draft")}


def test_every_vocabulary_entry_has_tags_but_the_defaults():
    for kind in ("lighting", "moods", "camera", "quality"):
        for name, entry in CATALOG[kind].items():
            assert entry["label"], (kind, name)
            assert bool(entry["tags"]) is ((kind, name) not in ADDS_NOTHING), (kind, name)
            assert all(tag.strip() for tag in entry["tags"]), (kind, name)


def test_every_model_family_suggests_comfyui_settings_for_every_quality_level():
    for family, entry in CATALOG["model_families"].items():
        assert set(entry["quality"]) == set(CATALOG["quality"]), family
        for name, settings in entry["quality"].items():
            assert settings["steps"] > 0 and settings["cfg"] > 0 and settings["sampler"] and settings["scheduler"], (family, name)
        for orientation, (width, height) in entry["sizes"].items():
            assert width % 64 == 0 and height % 64 == 0, (family, orientation)


def test_every_catalog_style_renders(db, owner_client):
    for name, style in CATALOG["styles"].items():
        result = enhance_via_api(
            owner_client, base_prompt=BASE, style=name, lighting="dramatic", mood="epic", quality="high", camera="low_angle"
        ).result
        enhanced = result["enhanced_prompt"]
        assert "{prompt}" not in enhanced, name
        assert enhanced.count(BASE) == 1, name
        pieces = [piece.strip() for piece in enhanced.split(",")]
        assert all(pieces), f"{name}: empty tag in {enhanced!r}"
        keys = tag_keys(enhanced)
        assert len(keys) == len(set(keys)), f"{name}: duplicate tag in {enhanced!r}"
        style_keys = [tag.lower() for tag in result["style_tags"]]
        assert style_keys and len(style_keys) == len(set(style_keys)), name
        negative = tag_keys(result["negative_prompt"])
        assert negative and len(negative) == len(set(negative)), name


def test_it_lists_styles_with_descriptions_and_the_vocabularies(db, owner_client):
    response = owner_client.get(STYLES_URL)
    assert response.status_code == 200
    data = response.data
    styles = {style["name"]: style for style in data["styles"]}
    assert set(CATALOG["styles"]) <= set(styles)
    fantasy = styles["fantasy"]
    assert fantasy["description"] == CATALOG["styles"]["fantasy"]["description"]
    assert fantasy["source"] == "catalog" and fantasy["category"] == "illustration"
    assert "illustration" in data["categories"]
    assert {entry["name"] for entry in data["lighting"]} == set(CATALOG["lighting"])
    assert {entry["name"] for entry in data["moods"]} == set(CATALOG["moods"])
    assert {entry["name"] for entry in data["camera"]} == set(CATALOG["camera"])
    high = next(entry for entry in data["quality"] if entry["name"] == "high")
    assert high["settings"] == CATALOG["quality"]["high"]["settings"]
    assert "color" in data["wildcards"] and "fantasy/race" in data["wildcards"]


def test_it_requires_authentication_for_the_styles(db, anon_client):
    assert anon_client.get(STYLES_URL).status_code == 401
