"""The Automation Panel in a real browser, against a live server and a real worker cluster."""
import os
from pathlib import Path

import pytest
from django.test import override_settings

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.support.cluster import Cluster

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: bin/test installs Debian's chromium package"
    # Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
    # calls from the test body unless told otherwise; only for these tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def cluster(live_server, tmp_path, broker):
    cluster = Cluster(log=tmp_path / "cluster.log", env={"STORYCORE_DEFAULT_MAX_RETRIES": "0"}).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def page(browser, live_server, owner, cluster):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "owner-password-1")
    page.click("button[type=submit]")
    page.wait_for_selector(".tabs")
    yield page
    context.close()


def test_anonymous_visitors_are_sent_to_the_login_page(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("input[name=csrfmiddlewaretoken]").count() == 1
    context.close()


def test_enhance_a_prompt_and_copy_it(page):
    page.click("button[data-tab=prompt]")
    page.wait_for_function("document.querySelectorAll('#prompt-form [name=style] option').length > 10")
    page.fill("#prompt-form [name=base_prompt]", "A knight in shining armor")
    page.click("#prompt-form button[type=submit]")
    enhanced = page.locator("#prompt-result .prompt-box.enhanced")
    enhanced.wait_for()
    assert "A knight in shining armor" in enhanced.inner_text()
    assert page.locator("#prompt-result .prompt-box.negative").count() == 1

    enhanced.locator("button.copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("fantasy art, A knight in shining armor")
    page.locator("#prompt-history li").first.wait_for()
    screenshot(page, "panel-prompt")
