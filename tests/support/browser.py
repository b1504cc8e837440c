"""Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
import os
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("STORYCORE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
# Without these, Chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
