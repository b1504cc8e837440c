"""What a ComfyUI user pastes: a prompt within a CLIP token budget, tags that neither repeat
nor contradict each other or the negative prompt, sizes the model family was trained at,
and variants that spread over their choices."""
import itertools
import random
import re

import pytest

from automation.catalog import prompt_catalog
from automation.generators.clip_tokens import count_tokens
from automation.generators.prompt import enhance
from automation.generators.prompt_tags import content_words, forbids, split_tags
from automation.models import GenerationJob
from tests.support.prompts import ENHANCE_URL, ORIGINAL_EXAMPLE, enhance_via_api

CATALOG = prompt_catalog()
BASE = "an old fisherman mending a red net on a wooden pier at dawn, gulls overhead, calm sea, distant lighthouse, morning mist"
SDXL_BUCKETS = {(1024, 1024), (1152, 896), (896, 1152), (1216, 832), (832, 1216), (1344, 768), (768, 1344)}
NEGATION = re.compile(r"\b(no|not|without|non)\b")


def sample(count=1500, seed=0):
    """Requests over every style, with lighting, mood, quality and camera drawn at random."""
    rng = random.Random(seed)
    styles = sorted(CATALOG["styles"])
    for n in range(count):
        yield {
            "base_prompt": BASE if n % 2 else "A knight in shining armor",
            "style": styles[n % len(styles)],
            "lighting": rng.choice(sorted(CATALOG["lighting"])),
            "mood": rng.choice(sorted(CATALOG["moods"])),
            "quality": rng.choice(sorted(CATALOG["quality"])),
            "camera": rng.choice(sorted(CATALOG["camera"]) + [None]),
        }


def added(result):
    return [tag for key in ("style_tags", "lighting_tags", "mood_tags", "quality_tags", "camera_tags") for tag in result[key]]


def test_the_tokenizer_counts_as_clip_does():
    # Counts from open_clip's own SimpleTokenizer on the same texts.
    assert count_tokens("A knight in shining armor") == 5
    assert count_tokens("8k uhd, (masterpiece:1.2), <lora:foo:0.8>") == 22
    assert count_tokens("Château ancien — café crème") == 9
    assert count_tokens("neon-lit streets & rain&amp;fog") == 8


def test_the_enhancer_adds_at_most_30_tokens_by_default_and_says_how_many(db):
    most = 0
    for request in sample():
        result = enhance(**request)
        assert result["token_count"] == count_tokens(result["enhanced_prompt"])
        assert result["tokens_added"] == result["token_count"] - count_tokens(request["base_prompt"]) <= 30, request
        most = max(most, result["tokens_added"])
    assert most >= 25  # the budget is used, not left empty


def test_a_detail_level_sets_the_budget(db):
    low = enhance(base_prompt=BASE, style="fantasy", lighting="dramatic", mood="epic", quality="ultra", detail="low")
    high = enhance(base_prompt=BASE, style="fantasy", lighting="dramatic", mood="epic", quality="ultra", detail="high")
    assert low["tokens_added"] <= 15 < high["tokens_added"] <= 50
    # The least important go first: the style's own tag and each choice's first tag stay.
    assert "fantasy art" in low["style_tags"] and low["lighting_tags"] == ["dramatic lighting"]


def test_a_prompt_past_one_clip_window_carries_a_warning(db, owner_client):
    long_base = ", ".join(["a tall stone tower with banners"] * 10)
    result = enhance_via_api(owner_client, base_prompt=long_base, style="fantasy", lighting="dramatic").result
    assert result["token_count"] > 75
    assert "past the 75 a text encoder reads at once" in result["warnings"][0]
    assert enhance_via_api(owner_client, **ORIGINAL_EXAMPLE).result["warnings"] == []


def test_no_added_tag_is_forbidden_by_the_negative_prompt_or_repeats_a_word(db):
    for request in sample():
        result = enhance(**request)
        tags = added(result)
        negative = split_tags(result["negative_prompt"])
        for tag in tags:
            assert not any(forbids(no, tag) for no in negative), (request, tag, result["negative_prompt"])
            assert not NEGATION.search(tag.lower()), (request, tag)
        for first, second in itertools.combinations(tags, 2):
            assert not content_words(first) & content_words(second), (request, first, second)


def test_no_style_contradicts_its_own_negative_or_says_no_in_its_prompt():
    for name, style in CATALOG["styles"].items():
        own = [tag for tag in split_tags(style["template"]) if "{prompt}" not in tag]
        for tag in own:
            assert not NEGATION.search(tag.lower()), (name, tag)
            assert not any(forbids(no, tag) for no in split_tags(style["negative"])), (name, tag)


def test_no_weak_tag_anywhere_in_the_catalog():
    weak = set(CATALOG["weak_tags"])
    assert {"balanced mood", "good quality", "8k", "faded memories"} <= weak
    for kind in ("lighting", "moods", "camera", "quality"):
        for name, entry in CATALOG[kind].items():
            assert not weak & {tag.lower() for tag in entry["tags"]}, (kind, name)
    for name, style in CATALOG["styles"].items():
        assert not weak & {tag.lower() for tag in split_tags(style["template"])}, name


def test_the_default_mood_and_lighting_add_nothing(db, owner_client):
    result = enhance_via_api(owner_client, base_prompt="a red apple", style="cyberpunk").result
    assert result["lighting_tags"] == [] and result["mood_tags"] == []
    assert "natural" not in result["enhanced_prompt"]


def test_every_image_style_keeps_text_and_watermarks_out(db):
    for name in CATALOG["styles"]:
        negative = enhance(base_prompt="a cat", style=name, lighting="auto", mood="neutral", quality="standard")["negative_prompt"]
        assert {"text", "watermark"} <= set(split_tags(negative)), name


def test_sizes_come_from_the_model_family_and_follow_the_subject(db, owner_client):
    def size(**request):
        settings = enhance_via_api(owner_client, **request).result["settings"]
        return settings["width"], settings["height"]

    for quality in CATALOG["quality"]:
        for base in ("a red apple", "portrait of a knight", "a city skyline at night"):
            assert size(base_prompt=base, quality=quality) in SDXL_BUCKETS
            assert size(base_prompt=base, quality=quality, model_family="sd15") in {(512, 512), (512, 768), (768, 512), (896, 512)}
    assert size(base_prompt="portrait of a knight") == (896, 1152)
    assert size(base_prompt="a city skyline at night") == (1152, 896)
    assert size(base_prompt="a red apple") == (1024, 1024)
    assert size(base_prompt="a red apple", orientation="portrait", model_family="sd15") == (512, 768)
    sd15 = enhance_via_api(owner_client, base_prompt="a red apple", quality="high", model_family="sd15").result
    assert sd15["settings"]["cfg"] == CATALOG["model_families"]["sd15"]["quality"]["high"]["cfg"]


def test_the_default_model_family_is_a_setting(db, owner_client, settings):
    settings.STORYCORE_MODEL_FAMILY = "sd15"
    result = enhance_via_api(owner_client, base_prompt="a red apple").result
    assert result["model_family"] == "sd15" and (result["settings"]["width"], result["settings"]["height"]) == (512, 512)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("model_family", "flux", "sd15, sdxl"), ("orientation", "diagonal", "square, portrait, landscape"), ("detail", "max", "low, standard, high")],
)
def test_unknown_family_orientation_or_detail_is_a_400_listing_the_allowed(db, owner_client, field, value, allowed):
    response = owner_client.post(ENHANCE_URL, {**ORIGINAL_EXAMPLE, field: value}, format="json")
    assert response.status_code == 400 and allowed in str(response.data[field])
    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize("seed", range(12))
def test_variants_spread_over_every_choice_before_repeating(db, owner_client, seed):
    result = enhance_via_api(owner_client, base_prompt="a {red|blue|golden} dragon, {big|small}", variants=4, seed=seed).result
    prompts = [variant["expanded_prompt"] for variant in result["variants"]]
    colours = [re.search(r"(red|blue|golden)", prompt).group(1) for prompt in prompts]
    sizes = [re.search(r"(big|small)", prompt).group(1) for prompt in prompts]
    assert len(set(colours[:3])) == 3 and len(set(sizes[:2])) == 2, prompts
    again = enhance_via_api(owner_client, base_prompt="a {red|blue|golden} dragon, {big|small}", variants=4, seed=seed).result
    assert [variant["expanded_prompt"] for variant in again["variants"]] == prompts
