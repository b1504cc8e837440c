"""POST dialogue/generate saves the characters it is given, but a cast sent again unchanged
(what a client does with every request) is not written again."""
from automation.models import Character

URL = "/api/automation/dialogue/generate"
CAST = [
    {"character_id": "aria", "name": "Aria", "archetype": "hero", "personality_traits": {"courage": 0.9}},
    {"character_id": "malvek", "name": "Malvek", "archetype": "villain"},
]


def post(client, cast):
    response = client.post(URL, {"characters": cast, "dialogueType": "conflict"}, format="json")
    assert response.status_code == 202, response.content


def test_it_does_not_rewrite_a_character_sent_again_unchanged(db, owner_client):
    post(owner_client, CAST)
    before = dict(Character.objects.values_list("character_id", "updated_at"))

    post(owner_client, CAST)

    assert dict(Character.objects.values_list("character_id", "updated_at")) == before


def test_it_still_saves_a_change_to_a_character_sent_again(db, owner, owner_client):
    post(owner_client, CAST)
    changed = [{**CAST[0], "personality_traits": {"courage": 0.2}}, CAST[1]]

    post(owner_client, changed)

    aria = Character.objects.get(owner=owner, character_id="aria")
    assert aria.personality_traits == {"courage": 0.2}
    assert aria.updated_at > Character.objects.get(owner=owner, character_id="malvek").updated_at
