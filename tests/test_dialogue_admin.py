"""The admin shows characters and dialogues, lines inline, read-only history."""
from automation.models import Dialogue
from tests.support.jobs import run_job

PAYLOAD = {
    "characters": [
        {"character_id": "hero_001", "name": "Héros", "archetype": "hero"},
        {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"},
    ],
    "dialogueType": "conflict",
    "numLines": 4,
}


def test_the_admin_shows_a_dialogue_with_its_lines(db, owner_client, staff, client):
    job = run_job(owner_client.post("/api/automation/dialogue/generate", PAYLOAD, format="json").data["job_id"])
    dialogue = Dialogue.objects.get(job=job)
    client.force_login(staff)
    listing = client.get("/admin/automation/dialogue/", {"q": dialogue.lines.first().text[:20]})
    assert listing.status_code == 200 and dialogue.title in listing.content.decode()
    page = client.get(f"/admin/automation/dialogue/{dialogue.pk}/change/").content.decode()
    for line in dialogue.lines.all():
        assert line.text.replace("'", "&#x27;") in page
    assert client.get("/admin/automation/dialogue/add/").status_code == 403


def test_the_admin_lists_and_edits_characters(db, owner_client, staff, client):
    run_job(owner_client.post("/api/automation/dialogue/generate", PAYLOAD, format="json").data["job_id"])
    client.force_login(staff)
    listing = client.get("/admin/automation/character/").content.decode()
    assert "hero_001" in listing and "villain_001" in listing


def test_the_schema_documents_the_dialogue_endpoints(db, anon_client):
    schema = anon_client.get("/api/schema/").content.decode()
    for path in ("/api/automation/dialogue/generate", "/api/automation/dialogue/history", "/api/automation/characters/"):
        assert path in schema
