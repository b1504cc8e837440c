"""Variants: {a|b} alternatives and __wildcard__ files, expanded reproducibly with a seed."""
import pytest

from automation.catalog import DATA_DIR, prompt_catalog
from automation.models import GenerationJob, PromptEnhancement
from tests.support.prompts import ENHANCE_URL, enhance_via_api

COLORS = {"red", "blue"}


def variants_of(client, **payload) -> list[dict]:
    result = enhance_via_api(client, **payload).result
    return result["variants"]


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 123456])
def test_two_variants_of_a_two_way_choice_give_both_colours(db, owner_client, seed):
    variants = variants_of(owner_client, base_prompt="{red|blue} dragon", variants=2, seed=seed)
    expanded = [variant["expanded_prompt"] for variant in variants]
    assert {prompt.split()[0] for prompt in expanded} == COLORS
    assert all(prompt.endswith(" dragon") for prompt in expanded)


def test_the_same_seed_gives_the_same_variants(db, owner_client):
    first = variants_of(owner_client, base_prompt="{red|blue} dragon", variants=2, seed=99)
    again = variants_of(owner_client, base_prompt="{red|blue} dragon", variants=2, seed=99)
    assert [v["enhanced_prompt"] for v in first] == [v["enhanced_prompt"] for v in again]


def test_different_seeds_choose_differently(db, owner_client):
    template = "__creature__ in a __location__ at __time_of_day__"
    runs = {tuple(v["expanded_prompt"] for v in variants_of(owner_client, base_prompt=template, variants=3, seed=seed))
            for seed in range(5)}
    assert len(runs) > 1


def test_each_variant_is_enhanced(db, owner_client):
    result = enhance_via_api(
        owner_client, base_prompt="a {red|blue|green} dragon", style="fantasy", lighting="dramatic",
        mood="epic", quality="high", variants=3, seed=5,
    ).result
    variants = result["variants"]
    assert [v["index"] for v in variants] == [0, 1, 2]
    assert len({v["expanded_prompt"] for v in variants}) == 3
    for variant in variants:
        assert variant["original_prompt"] == "a {red|blue|green} dragon"
        assert variant["enhanced_prompt"].count(variant["expanded_prompt"]) == 1
        assert "fantasy art" in variant["enhanced_prompt"]
        assert "dramatic lighting" in variant["enhanced_prompt"]
        assert variant["negative_prompt"]
        assert variant["settings"]["steps"] == prompt_catalog()["model_families"]["sdxl"]["quality"]["high"]["steps"]
    assert [v["seed"] for v in variants] == [5, 6, 7]
    # The top level keeps the single-prompt shape, for the first variant.
    for key in ("enhanced_prompt", "negative_prompt", "style_tags", "lighting_tags", "mood_tags", "quality_tags"):
        assert result[key] == variants[0][key]
    assert result["original_prompt"] == "a {red|blue|green} dragon"
    assert result["seed"] == 5
    record = PromptEnhancement.objects.get()
    assert record.variant_count == 3 and record.seed == 5


def test_more_variants_than_choices_repeat_the_choices_in_order(db, owner_client):
    variants = variants_of(owner_client, base_prompt="{red|blue} dragon", variants=5, seed=3)
    expanded = [v["expanded_prompt"] for v in variants]
    assert set(expanded) == {"red dragon", "blue dragon"}
    assert expanded[2:4] == expanded[0:2]


def test_wildcards_expand_from_the_shipped_files(db, owner_client):
    lines = (DATA_DIR / "wildcards" / "color.txt").read_text().splitlines()
    colors = {line for line in lines if line and not line.startswith("#")}
    races = {"elf", "dwarf", "orc", "halfling", "human", "half-elf", "gnome", "tiefling"}
    variants = variants_of(owner_client, base_prompt="a __color__ cloaked __fantasy/race__", variants=6, seed=11)
    for variant in variants:
        words = variant["expanded_prompt"].split(" cloaked ")
        assert words[0].removeprefix("a ") in colors
        assert words[1] in races
        assert "__" not in variant["enhanced_prompt"]


def test_a_seed_is_chosen_and_returned_when_none_is_given(db, owner_client):
    result = enhance_via_api(owner_client, base_prompt="{red|blue} dragon", variants=2).result
    assert isinstance(result["seed"], int)
    replay = enhance_via_api(owner_client, base_prompt="{red|blue} dragon", variants=2, seed=result["seed"]).result
    assert [v["expanded_prompt"] for v in replay["variants"]] == [v["expanded_prompt"] for v in result["variants"]]


def test_a_single_request_has_no_variants_list_and_expands_its_choice(db, owner_client):
    result = enhance_via_api(owner_client, base_prompt="{red|blue} dragon", seed=4).result
    assert "variants" not in result
    assert result["expanded_prompt"] in {"red dragon", "blue dragon"}
    assert result["enhanced_prompt"].count(result["expanded_prompt"]) == 1


def test_a_plain_prompt_is_not_touched_by_expansion(db, owner_client):
    base = "a knight \\(escaped\\), (armor:1.1), <lora:x:0.5>"
    result = enhance_via_api(owner_client, base_prompt=base, variants=2, seed=1).result
    assert [v["expanded_prompt"] for v in result["variants"]] == [base, base]


def test_it_rejects_an_unknown_wildcard_listing_the_available_ones(db, owner_client):
    response = owner_client.post(ENHANCE_URL, {"base_prompt": "a __unicorns__ in a field"}, format="json")
    assert response.status_code == 400
    message = str(response.data["base_prompt"][0])
    assert "__unicorns__" in message and "__creature__" in message
    assert not GenerationJob.objects.exists()


def test_it_rejects_unbalanced_choice_syntax(db, owner_client):
    response = owner_client.post(ENHANCE_URL, {"base_prompt": "a {red|blue dragon"}, format="json")
    assert response.status_code == 400
    assert "{" in str(response.data["base_prompt"][0])
    assert not GenerationJob.objects.exists()


def test_seed_must_be_a_non_negative_32_bit_number(db, owner_client):
    for seed in (-1, 2**32):
        response = owner_client.post(ENHANCE_URL, {"base_prompt": "x", "seed": seed}, format="json")
        assert response.status_code == 400
        assert "seed" in response.data


@pytest.mark.parametrize("base_prompt", ["{|}", "{}", "__../secrets__", "${undefined}"])
def test_it_rejects_templates_that_cannot_give_a_prompt(db, owner_client, base_prompt):
    response = owner_client.post(ENHANCE_URL, {"base_prompt": base_prompt}, format="json")
    assert response.status_code == 400
    assert "base_prompt" in response.data
    assert not GenerationJob.objects.exists()
