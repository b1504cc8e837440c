"""The characters/ API: the caller's own cast, looked up by character_id."""
import pytest

from automation.models import Character, DialogueLine
from tests.support.jobs import run_job

URL = "/api/automation/characters"
ARIA = {
    "character_id": "aria",
    "name": "Aria",
    "archetype": "hero",
    "role": "lead",
    "personality_traits": {"courage": 0.9, "temper": 0.2},
    "description": "A ranger from the north.",
    "speech_notes": "Short sentences.",
}


def test_it_creates_lists_retrieves_updates_and_deletes(db, owner_client):
    created = owner_client.post(URL, ARIA, format="json")
    assert created.status_code == 201, created.content
    assert created.data["personality_traits"] == {"courage": 0.9, "temper": 0.2}
    assert owner_client.get(URL).data["results"][0]["character_id"] == "aria"
    assert owner_client.get(f"{URL}/aria").data["name"] == "Aria"

    patched = owner_client.patch(f"{URL}/aria", {"name": "Aria the Bold", "speechNotes": "Shouts."}, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.data["name"], patched.data["speech_notes"]) == ("Aria the Bold", "Shouts.")
    put = owner_client.put(f"{URL}/aria/", {**ARIA, "archetype": "mentor"}, format="json")
    assert put.status_code == 200 and put.data["archetype"] == "mentor"

    assert owner_client.delete(f"{URL}/aria").status_code == 204
    assert not Character.objects.exists()


def test_characters_are_per_owner(db, owner_client, other_client):
    owner_client.post(URL, ARIA, format="json")
    assert other_client.get(URL).data["count"] == 0
    assert other_client.get(f"{URL}/aria").status_code == 404
    assert other_client.delete(f"{URL}/aria").status_code == 404
    # The same id is free for another user.
    assert other_client.post(URL, ARIA, format="json").status_code == 201
    assert Character.objects.filter(character_id="aria").count() == 2


def test_it_rejects_a_second_character_with_the_same_id(db, owner_client):
    owner_client.post(URL, ARIA, format="json")
    response = owner_client.post(URL, {**ARIA, "name": "Other"}, format="json")
    assert response.status_code == 400 and "character_id" in response.data
    assert Character.objects.count() == 1


def test_the_id_cannot_be_changed(db, owner_client):
    owner_client.post(URL, ARIA, format="json")
    response = owner_client.patch(f"{URL}/aria", {"character_id": "bob"}, format="json")
    assert response.status_code == 400 and "character_id" in response.data


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"archetype": "wizard"}, "archetype", "transformer"),
        ({"role": "star"}, "role", "background"),
        ({"character_id": "a/b"}, "character_id", "letters, digits"),
        ({"name": "x" * 101}, "name", "100"),
        ({"description": "x" * 2001}, "description", "2000"),
        ({"personality_traits": {"luck": 0.5}}, "personality_traits", "wisdom"),
        ({"personality_traits": {"temper": True}}, "personality_traits", "0.0 to 1.0"),
        ({"personality_traits": {"temper": -0.1}}, "personality_traits", "0.0 to 1.0"),
        ({"favourite_colour": "red"}, "favourite_colour", "Unknown field"),
    ],
)
def test_it_rejects_bad_values(db, owner_client, change, field, expected):
    response = owner_client.post(URL, {**ARIA, **change}, format="json")
    assert response.status_code == 400
    assert expected in str(response.data[field])
    assert not Character.objects.exists()


def test_a_stored_character_can_be_used_by_id_and_its_traits_apply(db, owner_client):
    owner_client.post(URL, {**ARIA, "archetype": "villain", "personality_traits": {"temper": 1.0, "patience": 0.0}}, format="json")
    payload = {"characters": [{"character_id": "aria"}, {"character_id": "b", "name": "Bo", "archetype": "sidekick"}],
               "dialogue_type": "conflict", "num_lines": 6}  # fmt: skip
    response = owner_client.post("/api/automation/dialogue/generate", payload, format="json")
    assert response.status_code == 202
    job = run_job(response.data["job_id"])
    assert job.status == "completed"
    assert job.result["characters"][0]["personality_traits"] == {"temper": 1.0, "patience": 0.0}
    line = DialogueLine.objects.filter(character_key="aria").first()
    assert line.character.name == "Aria"


def test_deleting_a_character_keeps_the_dialogues_it_spoke_in(db, owner_client):
    owner_client.post(URL, ARIA, format="json")
    payload = {"characters": [{"character_id": "aria"}, {"character_id": "b", "name": "Bo", "archetype": "sidekick"}]}
    job = run_job(owner_client.post("/api/automation/dialogue/generate", payload, format="json").data["job_id"])
    owner_client.delete(f"{URL}/aria")
    scene = owner_client.get(f"/api/automation/dialogue/{job.result['scene_id']}").data
    assert "Aria" in {line["character_name"] for line in scene["lines"]}


def test_it_needs_authentication(db, anon_client):
    assert anon_client.get(URL).status_code == 401
