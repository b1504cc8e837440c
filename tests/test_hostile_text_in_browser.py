"""Script-like text a user stored is shown as text by the panel, in a real browser: it
never runs, and it reads exactly as typed."""
import pytest

from tests.support.jobs import run_job
from tests.test_panel_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = '<script>window.pwned = "script"</script><img src=x onerror="window.pwned = \'img\'">'
NAME = '<img src=x onerror="window.pwned = \'name\'">'


@pytest.fixture
def hostile_history(owner_client):
    """A prompt and a dialogue whose texts are markup, made through the API and run."""
    prompt = owner_client.post("/api/automation/prompt/enhance", {"base_prompt": SCRIPT}, format="json")
    dialogue = owner_client.post(
        "/api/automation/dialogue/generate",
        {
            "title": SCRIPT[:200],
            "characters": [{"character_id": "x", "name": NAME, "archetype": "hero"},
                           {"character_id": "y", "name": "Vex", "archetype": "villain"}],
            "num_lines": 2,
        },
        format="json",
    )  # fmt: skip
    assert (prompt.status_code, dialogue.status_code) == (202, 202), (prompt.content, dialogue.content)
    for response in (prompt, dialogue):
        assert run_job(response.json()["job_id"]).status == "completed"


def test_the_panel_shows_script_text_as_text(browser, live_server, owner, hostile_history):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "owner-password-1")
    page.click("button[type=submit]")

    page.locator("#prompt-history li").first.wait_for(state="attached")
    assert page.locator("#prompt-history li").first.text_content() == SCRIPT
    page.locator("#dialogue-history li a").first.wait_for(state="attached")
    assert page.locator("#dialogue-history li").first.text_content().startswith(SCRIPT[:200])

    page.click("button[data-tab=dialogue]")
    page.locator("#dialogue-history li a").first.click()
    page.locator("#dialogue-result .speaker").first.wait_for()
    speakers = page.locator("#dialogue-result .speaker").all_text_contents()
    assert any(speaker.startswith(f"{NAME} (to ") for speaker in speakers), speakers
    assert page.locator("#dialogue-result h3").text_content() == SCRIPT[:200]

    # Nothing the texts carry became an element or ran.
    assert page.evaluate("window.pwned") is None
    assert page.locator("main script:not([src]), main img[src=x]").count() == 0
    context.close()
