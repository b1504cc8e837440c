"""The panel page itself, without a browser: login required, CSRF kept on for API writes."""
from django.test import Client

from automation.models import GenerationJob


def test_anonymous_visitors_are_redirected_to_login(db, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_panel_renders_every_tab_for_a_user(db, client, owner):
    client.force_login(owner)
    page = client.get("/").content.decode()
    for tab in ["Dialogue", "Character grid", "Prompt", "Jobs"]:
        assert f">{tab}</button>" in page
    assert 'name="csrf-token"' in page
    assert "/admin/" not in page  # the admin link is for staff only


def test_staff_get_a_link_to_the_admin(db, client, staff):
    client.force_login(staff)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_session_writes_to_the_api_need_the_csrf_token(db, owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    body = {"base_prompt": "A lighthouse"}

    refused = browser.post("/api/automation/prompt/enhance", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not GenerationJob.objects.exists()

    browser.get("/")  # sets the CSRF cookie, as the panel page does
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/automation/prompt/enhance", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 202
