"""GET/DELETE dialogue/history and GET dialogue/{scene_id}: ownership, filters, paging."""
from datetime import timedelta

import pytest
from django.utils import timezone

from automation.models import Dialogue, DialogueLine
from tests.support.jobs import run_job

GENERATE = "/api/automation/dialogue/generate"
HISTORY = "/api/automation/dialogue/history"
HERO = {"character_id": "hero_001", "name": "Héros", "archetype": "hero"}
VILLAIN = {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"}
MENTOR = {"character_id": "mentor_001", "name": "Sage", "archetype": "mentor"}


def make(client, characters=(HERO, VILLAIN), **options):
    payload = {"characters": list(characters), "dialogueType": "conflict", "numLines": 4, **options}
    response = client.post(GENERATE, payload, format="json")
    assert response.status_code == 202, response.content
    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    return Dialogue.objects.get(job=job)


def age(dialogue, days):
    Dialogue.objects.filter(pk=dialogue.pk).update(created_at=timezone.now() - timedelta(days=days))


def scene_ids(response):
    assert response.status_code == 200, response.content
    return [item["scene_id"] for item in response.data["results"]]


def test_history_lists_newest_first_and_paginates(db, owner_client):
    made = [make(owner_client, seed=n) for n in range(3)]
    for days, dialogue in zip((3, 2, 1), made):
        age(dialogue, days)
    assert scene_ids(owner_client.get(HISTORY)) == [str(d.scene_id) for d in reversed(made)]
    page = owner_client.get(HISTORY, {"page_size": 2})
    assert page.data["count"] == 3 and len(page.data["results"]) == 2 and page.data["next"]
    item = page.data["results"][0]
    assert {"scene_id", "title", "context", "characters", "lines", "created_at"} <= set(item)
    assert {"line_id", "character_id", "character_name", "dialogue", "emotion", "is_thought"} <= set(item["lines"][0])


def test_history_is_isolated_between_users(db, owner_client, other_client, staff_client):
    mine = make(owner_client)
    theirs = make(other_client)
    assert scene_ids(owner_client.get(HISTORY)) == [str(mine.scene_id)]
    assert scene_ids(other_client.get(HISTORY)) == [str(theirs.scene_id)]
    assert owner_client.get(f"/api/automation/dialogue/{theirs.scene_id}").status_code == 404
    assert owner_client.get(f"/api/automation/dialogue/{mine.scene_id}").status_code == 200
    assert owner_client.get(f"/api/automation/dialogue/{mine.scene_id.hex}").status_code == 200  # hyphens optional
    assert set(scene_ids(staff_client.get(HISTORY))) == {str(mine.scene_id), str(theirs.scene_id)}


def test_one_scene_is_returned_with_its_lines(db, owner_client):
    dialogue = make(owner_client)
    response = owner_client.get(f"/api/automation/dialogue/{dialogue.scene_id}")
    assert response.status_code == 200
    assert response.data["scene_id"] == str(dialogue.scene_id)
    assert [line["line_id"] for line in response.data["lines"]] == ["line_001", "line_002", "line_003", "line_004"]
    assert response.data == dialogue.job.result


def test_unknown_scene_is_404(db, owner_client):
    assert owner_client.get("/api/automation/dialogue/00000000-0000-0000-0000-000000000000").status_code == 404


def test_history_filters_by_character_type_mood_dates_and_text(db, owner_client):
    castle = make(owner_client, context={"location": "Château ancien", "mood": "tense"}, title="Night at the Château")
    garden = make(owner_client, characters=(HERO, MENTOR), dialogueType="resolution", context={"mood": "peaceful"})
    old = make(owner_client, characters=(MENTOR, VILLAIN), title="An old quarrel")
    age(old, 10)

    def ids(**query):
        return set(scene_ids(owner_client.get(HISTORY, query)))

    assert ids(character="villain_001") == {str(castle.scene_id), str(old.scene_id)}
    assert ids(character="mentor_001", dialogue_type="resolution") == {str(garden.scene_id)}
    assert ids(mood="peaceful") == {str(garden.scene_id)}
    assert ids(mood="tense") == {str(castle.scene_id)}
    recent_cutoff = (timezone.now() - timedelta(days=5)).isoformat()
    assert ids(created_before=recent_cutoff) == {str(old.scene_id)}
    assert ids(created_after=recent_cutoff) == {str(castle.scene_id), str(garden.scene_id)}
    assert ids(created_after=(timezone.now() - timedelta(days=20)).date().isoformat()) == ids()
    assert ids(q="château") == {str(castle.scene_id)}
    assert ids(q="old quarrel") == {str(old.scene_id)}
    spoken = DialogueLine.objects.filter(dialogue=garden).first().text
    assert str(garden.scene_id) in ids(q=spoken[:25])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"dialogue_type": "rant"}, "dialogue_type"),
        ({"mood": "grumpy"}, "mood"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45"}, "created_before"),
        ({"character": "../etc"}, "character"),
    ],
)
def test_history_rejects_bad_filter_values(db, owner_client, query, field):
    response = owner_client.get(HISTORY, query)
    assert response.status_code == 400
    assert field in response.data


def test_bad_enum_filters_list_the_allowed_values(db, owner_client):
    response = owner_client.get(HISTORY, {"mood": "grumpy"})
    assert "peaceful" in str(response.data["mood"])


def test_delete_removes_only_the_callers_dialogues_and_returns_the_count(db, owner_client, other_client):
    make(owner_client, seed=1)
    make(owner_client, seed=2)
    theirs = make(other_client)
    response = owner_client.delete(HISTORY)
    assert response.status_code == 200
    assert response.data == {"count": 2}
    assert list(Dialogue.objects.all()) == [theirs]
    assert theirs.lines.count() == 4
    assert owner_client.delete(HISTORY).data == {"count": 0}


def test_delete_before_a_date_keeps_the_newer_ones(db, owner_client, staff_client):
    old = make(owner_client, seed=1)
    new = make(owner_client, seed=2)
    age(old, 10)
    staffs = make(staff_client)
    age(staffs, 10)
    cutoff = (timezone.now() - timedelta(days=5)).date().isoformat()
    response = owner_client.delete(f"{HISTORY}?before={cutoff}")
    assert response.data == {"count": 1}
    assert set(Dialogue.objects.all()) == {new, staffs}
    # Staff see everyone's history, but clearing it clears only their own.
    assert staff_client.delete(HISTORY).data == {"count": 1}
    assert list(Dialogue.objects.all()) == [new]


def test_delete_rejects_a_bad_date(db, owner_client):
    make(owner_client)
    response = owner_client.delete(f"{HISTORY}?before=someday")
    assert response.status_code == 400 and "before" in response.data
    assert Dialogue.objects.count() == 1


def test_a_deleted_dialogue_leaves_its_job_result(db, owner_client):
    dialogue = make(owner_client)
    job = dialogue.job
    owner_client.delete(HISTORY)
    job.refresh_from_db()
    assert job.status == "completed" and job.result["scene_id"] == str(dialogue.scene_id)


def test_history_needs_authentication(db, anon_client):
    assert anon_client.get(HISTORY).status_code == 401
    assert anon_client.delete(HISTORY).status_code == 401


def test_scheduled_cleanup_deletes_dialogues_past_retention_in_batches(db, owner_client):
    from io import StringIO

    from django.core.management import call_command

    old = [make(owner_client, seed=n) for n in range(3)]
    for dialogue in old:
        age(dialogue, 40)
    recent = make(owner_client, seed=9)
    out = StringIO()
    call_command("cleanup_history", "--days", "30", "--batch-size", "2", stdout=out)
    assert "3 dialogue" in out.getvalue()
    assert list(Dialogue.objects.all()) == [recent]
    assert DialogueLine.objects.count() == 4
