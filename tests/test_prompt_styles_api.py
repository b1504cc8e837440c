"""User-defined prompt styles: prompt/styles/custom, their use in prompt/enhance, the admin."""
import pytest

from automation.models import GenerationJob, PromptStyle
from tests.support.jobs import run_job
from tests.support.prompts import ENHANCE_URL, enhance_via_api

CUSTOM_URL = "/api/automation/prompt/styles/custom"
STYLES_URL = "/api/automation/prompt/styles"
MOODY = {
    "name": "moody-ink",
    "label": "Moody ink",
    "category": "drawing",
    "description": "Scratchy ink with a grey wash.",
    "template": "scratchy ink drawing, {prompt}, grey wash, torn paper edges",
    "negative": "color, glossy, blurry",
}


def create_style(client, **overrides):
    response = client.post(CUSTOM_URL, {**MOODY, **overrides}, format="json")
    assert response.status_code == 201, response.data
    return response.data


def style_names(client) -> set[str]:
    return {style["name"] for style in client.get(STYLES_URL).data["styles"]}


def test_a_user_creates_a_style_and_sees_it_listed(db, owner_client, owner):
    created = create_style(owner_client)
    assert created["owner"] == "owner" and created["source"] == "custom" and created["is_global"] is False
    assert PromptStyle.objects.get().owner == owner

    listed = owner_client.get(CUSTOM_URL).data["results"]
    assert [style["name"] for style in listed] == ["moody-ink"]
    merged = {style["name"]: style for style in owner_client.get(STYLES_URL).data["styles"]}
    assert merged["moody-ink"]["description"] == MOODY["description"]
    assert merged["moody-ink"]["source"] == "custom"
    assert "fantasy" in merged


def test_a_users_style_is_private_to_them(db, owner_client, other_client):
    style_id = create_style(owner_client)["id"]
    assert "moody-ink" not in style_names(other_client)
    assert other_client.get(CUSTOM_URL).data["results"] == []
    assert other_client.get(f"{CUSTOM_URL}/{style_id}").status_code == 404
    assert other_client.patch(f"{CUSTOM_URL}/{style_id}", {"label": "Mine now"}, format="json").status_code == 404
    assert other_client.delete(f"{CUSTOM_URL}/{style_id}").status_code == 404

    response = other_client.post(ENHANCE_URL, {"base_prompt": "a cat", "style": "moody-ink"}, format="json")
    assert response.status_code == 400
    allowed = str(response.data["style"][0]).split("Allowed values:")[1]
    assert "fantasy" in allowed and "moody-ink" not in allowed
    assert not GenerationJob.objects.exists()


def test_a_user_enhances_with_their_own_style(db, owner_client):
    create_style(owner_client)
    result = enhance_via_api(owner_client, base_prompt="a cat on a roof", style="moody-ink", mood="somber").result
    assert result["enhanced_prompt"].startswith("scratchy ink drawing, a cat on a roof, grey wash, torn paper edges, ")
    assert result["style_tags"] == ["scratchy ink drawing", "grey wash", "torn paper edges"]
    assert result["negative_prompt"].startswith("color, glossy, blurry")
    assert result["negative_prompt"].count("blurry") == 1


def test_the_allowed_styles_in_an_error_include_the_callers_own(db, owner_client):
    create_style(owner_client)
    response = owner_client.post(ENHANCE_URL, {"base_prompt": "a cat", "style": "nope"}, format="json")
    assert response.status_code == 400
    assert "moody-ink" in str(response.data["style"][0]) and "fantasy" in str(response.data["style"][0])


@pytest.mark.parametrize("template", ["scratchy ink drawing, grey wash", "{prompt}, again {prompt}", "{Prompt}, ink"])
def test_a_style_without_exactly_one_prompt_placeholder_is_rejected(db, owner_client, template):
    response = owner_client.post(CUSTOM_URL, {**MOODY, "template": template}, format="json")
    assert response.status_code == 400
    assert "{prompt}" in str(response.data["template"][0])
    assert not PromptStyle.objects.exists()


def test_an_update_that_drops_the_placeholder_is_rejected(db, owner_client):
    style_id = create_style(owner_client)["id"]
    response = owner_client.patch(f"{CUSTOM_URL}/{style_id}", {"template": "just ink"}, format="json")
    assert response.status_code == 400
    assert PromptStyle.objects.get().template == MOODY["template"]


@pytest.mark.parametrize("name", ["Moody Ink", "moody ink", "-moody", "ink/../x", ""])
def test_a_style_name_must_be_a_slug(db, owner_client, name):
    response = owner_client.post(CUSTOM_URL, {**MOODY, "name": name}, format="json")
    assert response.status_code == 400
    assert "name" in response.data


def test_a_style_cannot_take_a_catalog_name(db, owner_client):
    response = owner_client.post(CUSTOM_URL, {**MOODY, "name": "fantasy"}, format="json")
    assert response.status_code == 400
    assert "catalog" in str(response.data["name"][0])


def test_a_user_cannot_have_two_styles_with_one_name(db, owner_client, other_client):
    create_style(owner_client)
    response = owner_client.post(CUSTOM_URL, MOODY, format="json")
    assert response.status_code == 400
    assert "name" in response.data
    # Another user's private name does not get in the way.
    create_style(other_client)


def test_only_staff_publish_global_styles(db, owner_client, staff_client, other_client):
    response = owner_client.post(CUSTOM_URL, {**MOODY, "is_global": True}, format="json")
    assert response.status_code == 400
    assert "staff" in str(response.data["is_global"][0])

    published = create_style(staff_client, name="house-style", is_global=True)
    assert published["source"] == "global"
    for client in (owner_client, other_client):
        assert "house-style" in style_names(client)
        result = enhance_via_api(client, base_prompt="a tower", style="house-style").result
        assert "grey wash" in result["enhanced_prompt"]


def test_a_user_cannot_change_a_global_style(db, owner_client, staff_client):
    style_id = create_style(staff_client, name="house-style", is_global=True)["id"]
    assert owner_client.get(f"{CUSTOM_URL}/{style_id}").status_code == 200
    assert owner_client.patch(f"{CUSTOM_URL}/{style_id}", {"label": "x"}, format="json").status_code == 403
    # Refused before validation: bad data does not turn the 403 into a 400.
    assert owner_client.patch(f"{CUSTOM_URL}/{style_id}", {"template": "x"}, format="json").status_code == 403
    assert owner_client.delete(f"{CUSTOM_URL}/{style_id}").status_code == 403
    assert PromptStyle.objects.get().label == MOODY["label"]


def test_a_private_name_cannot_shadow_a_global_one(db, owner_client, staff_client):
    create_style(staff_client, name="house-style", is_global=True)
    response = owner_client.post(CUSTOM_URL, {**MOODY, "name": "house-style"}, format="json")
    assert response.status_code == 400
    assert "already exists" in str(response.data["name"][0])


def test_staff_see_and_edit_every_style(db, owner_client, staff_client):
    style_id = create_style(owner_client)["id"]
    assert [s["name"] for s in staff_client.get(CUSTOM_URL).data["results"]] == ["moody-ink"]
    response = staff_client.patch(f"{CUSTOM_URL}/{style_id}", {"label": "Fixed"}, format="json")
    assert response.status_code == 200
    assert PromptStyle.objects.get().label == "Fixed"
    assert PromptStyle.objects.get().owner.username == "owner"


def test_a_user_updates_and_deletes_their_style(db, owner_client):
    style_id = create_style(owner_client)["id"]
    response = owner_client.put(f"{CUSTOM_URL}/{style_id}/", {**MOODY, "template": "ink, {prompt}"}, format="json")
    assert response.status_code == 200
    assert PromptStyle.objects.get().template == "ink, {prompt}"
    assert owner_client.delete(f"{CUSTOM_URL}/{style_id}").status_code == 204
    assert "moody-ink" not in style_names(owner_client)


def test_a_job_whose_style_was_deleted_before_it_ran_fails_with_a_clear_message(db, owner_client):
    style_id = create_style(owner_client)["id"]
    response = owner_client.post(ENHANCE_URL, {"base_prompt": "a cat", "style": "moody-ink"}, format="json")
    assert response.status_code == 202
    owner_client.delete(f"{CUSTOM_URL}/{style_id}")
    job = run_job(response.data["job_id"])
    assert job.status == "failed"
    assert job.error_kind == "permanent"
    assert 'Unknown style "moody-ink"' in job.error and "fantasy" in job.error


def test_styles_are_editable_in_the_admin(db, client, staff, owner):
    client.force_login(staff)
    response = client.post(
        "/admin/automation/promptstyle/add/",
        {**MOODY, "owner": owner.pk, "is_global": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    style = PromptStyle.objects.get()
    assert style.owner == owner and not style.is_global

    response = client.post(
        f"/admin/automation/promptstyle/{style.pk}/change/",
        {**MOODY, "template": "no placeholder here", "owner": owner.pk},
    )
    assert response.status_code == 200
    assert "{prompt}" in response.content.decode()
    assert PromptStyle.objects.get().template == MOODY["template"]
    assert client.get("/admin/automation/promptstyle/").status_code == 200
