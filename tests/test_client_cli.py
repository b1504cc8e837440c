"""`python -m storycore_client` in a subprocess, against a live server and a real worker."""
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from automation.models import GenerationJob
from tests.support.process import BASE_DIR
from tests.support.comfyui_server import ComfyUIStandIn
from tests.support.ports import free_port
from tests.support.http_standins import ErrorServer
from tests.test_client_live import ORIGINAL_DIALOGUE, ORIGINAL_PROMPT, SMALL_COMFY_GRID


@pytest.fixture
def cli(live_server, owner):
    """Run the command line with $STORYCORE_URL / $STORYCORE_TOKEN set for the live server."""
    env = {
        **os.environ,
        "STORYCORE_URL": live_server.url,
        "STORYCORE_TOKEN": Token.objects.get_or_create(user=owner)[0].key,
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the client must not need Django

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "storycore_client", *args], cwd=BASE_DIR, env=env, input=input,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


def out(result: subprocess.CompletedProcess):
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_the_client_does_not_import_django():
    code = "import sys, storycore_client, storycore_client.cli; assert not any(m.startswith('django') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, check=True, timeout=60)


@pytest.mark.worker
def test_the_cli_runs_the_original_examples_with_a_progress_bar(cli, start_cluster, tmp_path):
    start_cluster()
    result = cli("prompt", "--payload", json.dumps(ORIGINAL_PROMPT), "--json")
    assert result.returncode == 0, result.stderr
    job = out(result)
    assert job["status"] == "completed" and "A knight in shining armor" in job["result"]["enhanced_prompt"]
    assert "100% completed" in result.stderr.splitlines()[-1]  # the bar, on stderr

    payload = tmp_path / "dialogue.json"
    payload.write_text(json.dumps(ORIGINAL_DIALOGUE), encoding="utf-8")
    result = cli("dialogue", "--payload", f"@{payload}")
    assert result.returncode == 0, result.stderr
    script = result.stdout.splitlines()
    assert len([line for line in script if line.startswith(("Héros", "Méchant"))]) == 10

    sheet = tmp_path / "sheet.png"
    result = cli(
        "grid", "--character-id", "hero_001", "--character-name", "Héros Principal", "--size", "3x3",
        "--outfits", "casual,combat,armor", "--poses", "standing,walking,fighting,casting",
        "--expressions", "neutral,happy,angry,determined", "--sheet", str(sheet), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    grid = out(result)["result"]
    assert grid["total_panels"] == 9 and grid["character_name"] == "Héros Principal"
    assert sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    result = cli("prompt", "--payload", "-", "--json", input=json.dumps({"basePrompt": "A castle"}))
    assert result.returncode == 0, result.stderr
    assert out(result)["params"]["base_prompt"] == "A castle"

    listed = out(cli("jobs", "--status", "completed", "--type", "dialogue", "--json"))
    assert [job["type"] for job in listed] == ["dialogue"]
    assert out(cli("jobs", "show", listed[0]["job_id"], "--json"))["attempts"][0]["outcome"] == "completed"
    assert len(out(cli("history", "dialogue", "--json"))) == 1
    assert out(cli("history", "grid", "--json"))[0]["bundle_id"] == grid["bundle_id"]
    assert len(out(cli("history", "prompt", "--json"))) == 2
    assert out(cli("history", "dialogue", "--delete", "--json")) == {"count": 1}
    health = cli("health", "--json")
    assert health.returncode == 0 and out(health)["workers"]["ok"]


@pytest.mark.worker
def test_the_cli_processes_the_retry_queue_with_progress(cli, start_cluster, settings, tmp_path):
    settings.STORYCORE_DEFAULT_MAX_RETRIES = 0
    down = start_cluster(STORYCORE_COMFYUI_URL=f"http://127.0.0.1:{free_port()}")
    for name in ("first", "second"):
        result = cli("grid", "--payload", json.dumps({**SMALL_COMFY_GRID, "characterId": name}), "--json")
        assert result.returncode == 1, result.stderr
        assert out(result)["status"] == "failed"
        assert "Connection refused" in result.stderr
    queue = out(cli("retry-queue", "list", "--json"))
    assert len(queue) == 2

    with ComfyUIStandIn() as comfyui:
        down.stop()
        start_cluster(STORYCORE_COMFYUI_URL=comfyui.url)
        result = cli("retry-queue", "process", "--json")
    assert result.returncode == 0, result.stderr
    assert [job["status"] for job in out(result)] == ["completed", "completed"]
    bars = [line for line in result.stderr.splitlines() if line.startswith("retry queue")]
    assert [line.split()[-1] for line in bars] == ["0/2", "1/2", "2/2"]

    bundle = out(result)[0]["result"]["bundle_id"]
    saved = out(cli("sheet", "download", bundle, str(tmp_path), "--json"))
    assert saved["path"] == str(tmp_path / f"{bundle}.png") and saved["bytes"] > 0
    assert out(cli("retry-queue", "clear", "--json")) == {"count": 0}
    assert cli("retry-queue").stdout.strip() == "The retry queue is empty."


def test_the_cli_exit_codes_say_what_went_wrong(cli, live_server, monkeypatch):
    job = out(cli("prompt", "A knight", "--no-wait", "--json"))  # no worker: stays pending
    assert job["status"] == "pending"

    result = cli("jobs", "wait", job["job_id"], "--wait-timeout", "1")
    assert result.returncode == 9 and "still pending" in result.stderr
    result = cli("jobs", "show", str(uuid.uuid4()))
    assert result.returncode == 5 and "404" in result.stderr
    result = cli("retry", job["job_id"])
    assert result.returncode == 6 and "409" in result.stderr
    assert cli("cancel", job["job_id"]).returncode == 0
    result = cli("jobs", "wait", job["job_id"], "--json")
    assert result.returncode == 1 and out(result)["status"] == "cancelled"
    assert out(cli("retry", job["job_id"], "--json"))["status"] == "pending"

    result = cli("prompt", "A knight", "--style", "vaporwave", "--json")
    assert result.returncode == 2
    assert "style" in out(result)["body"] and "fantasy" in result.stderr
    result = cli("jobs", "show")
    assert result.returncode == 2 and "needs a JOB_ID" in result.stderr
    result = cli("dialogue", "--character", "a:b:c:d")
    assert result.returncode == 2 and "ID[:NAME[:ARCHETYPE]]" in result.stderr
    result = cli("--token", "wrong", "jobs")
    assert result.returncode == 4 and "401" in result.stderr
    result = cli("health", "--url", f"http://127.0.0.1:{free_port()}", "--retries", "0")
    assert result.returncode == 3 and "Connection refused" in result.stderr
    with ErrorServer(502, b"Bad Gateway") as proxy:
        result = cli("--url", proxy.url, "--retries", "0", "jobs")
    assert result.returncode == 8

    cache.clear()  # forget the requests above: the throttle's history lives in the cache
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "generate", "1/min")
    assert cli("prompt", "A knight", "--no-wait").returncode == 0
    result = cli("prompt", "A knight", "--no-wait")
    assert result.returncode == 7 and "retry after" in result.stderr
    assert GenerationJob.objects.count() == 2  # the first job and the one before the 429
