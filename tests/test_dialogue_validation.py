"""Bad generate requests: 400 naming the field (and the allowed values), nothing stored."""
import pytest

from automation.models import Character, Dialogue, GenerationJob

URL = "/api/automation/dialogue/generate"
HERO = {"character_id": "hero_001", "name": "Héros", "archetype": "hero"}
VILLAIN = {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"}
VALID = {"characters": [HERO, VILLAIN], "dialogueType": "conflict", "numLines": 10}


def cast(count):
    return [{"character_id": f"c{n}", "name": f"Character {n}", "archetype": "sidekick"} for n in range(count)]


def assert_rejected(client, payload, field, *expected):
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    message = str(response.data[field])
    for text in expected:
        assert text in message, message
    assert not GenerationJob.objects.exists()
    assert not Dialogue.objects.exists()
    assert not Character.objects.exists()
    return response


def test_it_rejects_an_unknown_archetype_listing_the_allowed_ones(db, owner_client):
    payload = {**VALID, "characters": [HERO, {**VILLAIN, "archetype": "necromancer"}]}
    response = assert_rejected(owner_client, payload, "characters", "necromancer")
    message = str(response.data["characters"])
    for archetype in ("hero", "villain", "mentor", "comic_relief", "sidekick", "antagonist", "protagonist", "transformer"):
        assert archetype in message


@pytest.mark.parametrize("count", [0, 9])
def test_it_rejects_0_or_9_characters(db, owner_client, count):
    assert_rejected(owner_client, {**VALID, "characters": cast(count)}, "characters", "2 to 8", f"got {count}")


def test_it_accepts_2_and_8_characters(db, owner_client):
    for count in (2, 8):
        response = owner_client.post(URL, {**VALID, "characters": cast(count)}, format="json")
        assert response.status_code == 202, response.content


def test_it_rejects_one_character_outside_a_monologue(db, owner_client):
    assert_rejected(owner_client, {**VALID, "characters": [HERO]}, "characters", "2 to 8", "monologue")


def test_a_monologue_takes_exactly_one_character(db, owner_client):
    payload = {**VALID, "dialogueType": "monologue"}
    assert_rejected(owner_client, payload, "characters", "exactly 1")
    assert owner_client.post(URL, {**payload, "characters": [HERO]}, format="json").status_code == 202


@pytest.mark.parametrize("num_lines", [0, 101, -3, "ten"])
def test_it_rejects_a_line_count_outside_1_to_100(db, owner_client, num_lines):
    assert_rejected(owner_client, {**VALID, "numLines": num_lines}, "num_lines")


def test_it_rejects_duplicated_character_ids(db, owner_client):
    payload = {**VALID, "characters": [HERO, {**VILLAIN, "character_id": "hero_001"}]}
    assert_rejected(owner_client, payload, "characters", "Duplicate character_id: hero_001")


@pytest.mark.parametrize("character_id", ["../etc/passwd", "hero/001", "héros", "hero 001", ""])
def test_it_rejects_a_character_id_that_is_not_a_slug(db, owner_client, character_id):
    payload = {**VALID, "characters": [{**HERO, "character_id": character_id}, VILLAIN]}
    assert_rejected(owner_client, payload, "characters", "character_id")


@pytest.mark.parametrize(
    ("where", "field", "limit"),
    [
        ("character", "name", 100),
        ("character", "character_id", 64),
        ("character", "description", 2000),
        ("character", "speech_notes", 1000),
        ("context", "location", 200),
        ("context", "situation", 200),
        ("request", "title", 200),
    ],
)
def test_it_rejects_texts_over_their_length_limits(db, owner_client, where, field, limit):
    too_long = "x" * (limit + 1)
    if where == "character":
        payload, error_field = {**VALID, "characters": [{**HERO, field: too_long}, VILLAIN]}, "characters"
    elif where == "context":
        payload, error_field = {**VALID, "context": {field: too_long}}, "context"
    else:
        payload, error_field = {**VALID, field: too_long}, field
    assert_rejected(owner_client, payload, error_field, str(limit))


@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        ({"dialogueType": "rant"}, "dialogue_type", "conflict"),
        ({"template": "zigzag"}, "template", "multi_party"),
        ({"context": {"mood": "grumpy"}}, "context", "romantic"),
        ({"provider": "http://evil.example/v1"}, "provider", "builtin, llm"),
    ],
)
def test_it_rejects_unknown_enum_values_listing_the_allowed_ones(db, owner_client, change, field, allowed):
    assert_rejected(owner_client, {**VALID, **change}, field, allowed)


def test_it_rejects_unknown_or_out_of_range_traits(db, owner_client):
    payload = {**VALID, "characters": [{**HERO, "personality_traits": {"bravado": 0.5}}, VILLAIN]}
    assert_rejected(owner_client, payload, "characters", "bravado", "temper", "wisdom")
    payload = {**VALID, "characters": [{**HERO, "personality_traits": {"temper": 1.5}}, VILLAIN]}
    assert_rejected(owner_client, payload, "characters", "temper", "0.0 to 1.0")


def test_it_rejects_unknown_fields_and_a_url_in_the_request(db, owner_client):
    assert_rejected(owner_client, {**VALID, "llm_url": "http://evil.example/v1"}, "llm_url", "Unknown field")
    assert_rejected(owner_client, {**VALID, "context": {"moood": "tense"}}, "context", "moood")


def test_it_rejects_a_body_that_is_not_json(db, owner_client):
    response = owner_client.post(URL, data="{characters: [", content_type="application/json")
    assert response.status_code == 400
    response = owner_client.post(URL, data="characters=hero", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415  # the API reads JSON only
    response = owner_client.post(URL, ["not", "an", "object"], format="json")
    assert response.status_code == 400
    assert not GenerationJob.objects.exists()


def test_it_rejects_giving_an_alias_and_its_snake_case_name(db, owner_client):
    assert_rejected(owner_client, {**VALID, "num_lines": 5}, "numLines", "not both")
