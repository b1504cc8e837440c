"""GET and DELETE prompt/history, and the admin list."""
from datetime import timedelta

from django.utils import timezone

from automation.models import GenerationJob, PromptEnhancement
from tests.support.prompts import enhance_via_api

HISTORY_URL = "/api/automation/prompt/history"


def make_history(client, *prompts):
    return [enhance_via_api(client, base_prompt=prompt) for prompt in prompts]


def age(prompt: str, days: int) -> None:
    PromptEnhancement.objects.filter(original_prompt=prompt).update(created_at=timezone.now() - timedelta(days=days))


def test_it_lists_the_callers_history_newest_first(db, owner_client, other_client):
    make_history(owner_client, "first", "second")
    make_history(other_client, "not yours")
    age("first", 2)
    age("second", 1)
    response = owner_client.get(HISTORY_URL)
    assert response.status_code == 200
    assert response.data["count"] == 2
    results = response.data["results"]
    assert [entry["original_prompt"] for entry in results] == ["second", "first"]
    assert results[0]["enhanced_prompt"].startswith("second, ")
    assert results[0]["job_id"] == str(GenerationJob.objects.get(params__base_prompt="second").job_id)


def test_it_paginates(db, owner_client):
    make_history(owner_client, "a", "b", "c")
    response = owner_client.get(HISTORY_URL, {"page_size": 2})
    assert response.data["count"] == 3 and len(response.data["results"]) == 2
    assert response.data["next"]
    assert len(owner_client.get(response.data["next"]).data["results"]) == 1


def test_it_filters_by_style(db, owner_client):
    enhance_via_api(owner_client, base_prompt="a", style="anime")
    enhance_via_api(owner_client, base_prompt="b", style="gothic")
    results = owner_client.get(HISTORY_URL, {"style": "gothic"}).data["results"]
    assert [entry["original_prompt"] for entry in results] == ["b"]


def test_staff_see_everyones_history_but_delete_only_their_own(db, owner_client, staff_client):
    make_history(owner_client, "owner's")
    assert staff_client.get(HISTORY_URL).data["count"] == 1
    assert staff_client.delete(HISTORY_URL).data == {"count": 0}
    assert PromptEnhancement.objects.count() == 1


def test_delete_removes_only_the_callers_history(db, owner_client, other_client):
    make_history(owner_client, "a", "b")
    make_history(other_client, "c")
    response = owner_client.delete(HISTORY_URL)
    assert response.status_code == 200
    assert response.data == {"count": 2}
    assert list(PromptEnhancement.objects.values_list("original_prompt", flat=True)) == ["c"]
    # The jobs stay in the job history.
    assert GenerationJob.objects.count() == 3


def test_delete_before_a_date_keeps_newer_entries(db, owner_client, other_client):
    make_history(owner_client, "old", "new")
    make_history(other_client, "someone else's old")
    age("old", 10)
    age("someone else's old", 10)
    before = (timezone.now() - timedelta(days=5)).date().isoformat()
    response = owner_client.delete(f"{HISTORY_URL}?before={before}")
    assert response.data == {"count": 1}
    assert set(PromptEnhancement.objects.values_list("original_prompt", flat=True)) == {"new", "someone else's old"}


def test_delete_before_accepts_a_date_time(db, owner_client):
    make_history(owner_client, "old", "new")
    age("old", 2)
    before = (timezone.now() - timedelta(days=1)).isoformat()
    response = owner_client.delete(HISTORY_URL, QUERY_STRING=f"before={before.replace('+', '%2B')}")
    assert response.data == {"count": 1}


def test_delete_rejects_a_bad_date(db, owner_client):
    make_history(owner_client, "kept")
    response = owner_client.delete(f"{HISTORY_URL}?before=last-tuesday")
    assert response.status_code == 400
    assert "before" in response.data
    assert PromptEnhancement.objects.count() == 1


def test_history_needs_authentication(db, anon_client):
    assert anon_client.get(HISTORY_URL).status_code == 401
    assert anon_client.delete(HISTORY_URL).status_code == 401


def test_the_admin_lists_the_history_read_only(db, client, staff, owner_client):
    make_history(owner_client, "in the admin")
    client.force_login(staff)
    response = client.get("/admin/automation/promptenhancement/")
    assert response.status_code == 200
    assert "in the admin" in response.content.decode()
    entry = PromptEnhancement.objects.get()
    detail = client.get(f"/admin/automation/promptenhancement/{entry.pk}/change/")
    assert detail.status_code == 200
    assert client.get("/admin/automation/promptenhancement/add/").status_code == 403
