"""The Python client against a live server and a real worker cluster: the original
TypeScript examples, every call of the client, and the retry queue with progress."""
import io

import pytest
from PIL import Image
from rest_framework.authtoken.models import Token

from automation.models import GenerationJob
from storycore_client import JobFailed, StoryCoreClient
from tests.support.comfyui_server import ComfyUIStandIn
from tests.support.ports import free_port
from tests.support.dialogues import ORIGINAL_EXAMPLE as ORIGINAL_DIALOGUE
from tests.support.grids import ORIGINAL_EXAMPLE as ORIGINAL_GRID
from tests.support.prompts import ORIGINAL_EXAMPLE as ORIGINAL_PROMPT

pytestmark = pytest.mark.worker

# A small grid for the ComfyUI stand-in.
SMALL_COMFY_GRID = {"characterId": "hero_001", "gridSize": "2x2", "quality": "draft", "provider": "comfyui"}


@pytest.fixture
def client(live_server, owner):
    token = Token.objects.get_or_create(user=owner)[0].key
    with StoryCoreClient(live_server.url, token, wait_timeout=90, poll_interval=0.2) as client:
        yield client


def test_the_original_examples_succeed_through_the_client(client, start_cluster):
    start_cluster()

    seen = []
    dialogue = client.generate_dialogue(ORIGINAL_DIALOGUE, on_progress=lambda job: seen.append(job["status"]))
    assert seen[-1] == "completed"
    assert len(dialogue["lines"]) == 10
    assert {line["character_name"] for line in dialogue["lines"]} == {"Héros", "Méchant"}
    assert dialogue["context"]["mood"] == "tense" and dialogue["dialogue_type"] == "conflict"

    grid = client.generate_character_grid(ORIGINAL_GRID)
    assert grid["character_name"] == "Héros Principal" and grid["grid_size"] == "3x3"
    assert grid["total_panels"] == len(grid["panels"]) == 9
    assert {panel["outfit"] for panel in grid["panels"]} <= {"casual", "combat", "armor"}

    enhanced = client.enhance_prompt(ORIGINAL_PROMPT)
    assert "A knight in shining armor" in enhanced["enhanced_prompt"]
    assert enhanced["negative_prompt"] and enhanced["style_tags"]

    # The same calls with keywords, the original camelCase names included.
    again = client.generate_dialogue(
        characters=ORIGINAL_DIALOGUE["characters"], context=ORIGINAL_DIALOGUE["context"], dialogueType="conflict", numLines=3
    )
    assert len(again["lines"]) == 3
    assert GenerationJob.objects.filter(status="completed").count() == 4


def test_every_read_call_and_the_history_calls(client, start_cluster, tmp_path):
    start_cluster()
    dialogue = client.generate_dialogue(ORIGINAL_DIALOGUE)
    grid = client.generate_character_grid(ORIGINAL_GRID)
    enhanced = client.enhance_prompt(ORIGINAL_PROMPT)

    health = client.health()
    assert health["healthy"] and health["workers"]["ok"], health

    jobs = client.list_jobs(status="completed")
    assert len(jobs) == 3 and [job["type"] for job in jobs] == ["prompt", "grid", "dialogue"]  # newest first
    assert [job["type"] for job in client.list_jobs(type="grid")] == ["grid"]
    assert len(client.list_jobs(limit=2)) == 2
    job = client.get_job(jobs[0]["job_id"])
    assert job["result"] == enhanced and job["attempts"][0]["outcome"] == "completed"

    assert [d["scene_id"] for d in client.list_dialogues()] == [dialogue["scene_id"]]
    assert client.get_dialogue(dialogue["scene_id"])["lines"] == dialogue["lines"]
    assert client.list_dialogues(mood="peaceful") == []
    assert [p["enhanced_prompt"] for p in client.list_prompt_history()] == [enhanced["enhanced_prompt"]]
    assert [g["bundle_id"] for g in client.list_grids()] == [grid["bundle_id"]]
    assert len(client.get_grid(grid["bundle_id"])["panels"]) == 9
    assert "fantasy" in {style["name"] for style in client.prompt_styles()["styles"]}
    assert "3x3" in {size["name"] for size in client.grid_options()["grid_sizes"]}

    sheet = client.download_grid_sheet(grid["bundle_id"], tmp_path)
    assert sheet == tmp_path / f"{grid['bundle_id']}.png"
    with Image.open(io.BytesIO(sheet.read_bytes())) as image:
        assert image.format == "PNG" and image.width > 100
    assert client.download_grid_sheet(grid, tmp_path / "named.png").read_bytes() == sheet.read_bytes()

    assert client.delete_dialogue_history() == 1
    assert client.list_dialogues() == []
    assert client.delete_prompt_history(before="2000-01-01") == 0
    assert client.delete_prompt_history() == 1


def test_process_retry_queue_reports_progress_while_failed_jobs_are_retried(client, start_cluster, settings):
    # ComfyUI is down: with no automatic retries, the jobs fail at once into the retry queue.
    settings.STORYCORE_DEFAULT_MAX_RETRIES = 0
    comfyui_port = free_port()
    down = start_cluster(STORYCORE_COMFYUI_URL=f"http://127.0.0.1:{comfyui_port}")

    with pytest.raises(JobFailed) as caught:
        client.generate_character_grid(SMALL_COMFY_GRID)
    assert caught.value.job["status"] == "failed"
    assert "Connection refused" in caught.value.job["error"]
    assert f"127.0.0.1:{comfyui_port}" in caught.value.job["error"]
    others = [client.generate_character_grid(SMALL_COMFY_GRID, characterId=f"extra_{n}", wait=False) for n in range(2)]
    for job in others:
        with pytest.raises(JobFailed):
            client.wait_for_job(job)
    queue = client.get_retry_queue()
    assert len(queue) == 3 and {job["status"] for job in queue} == {"failed"}

    # ComfyUI comes up and the worker is pointed at it; retrying the queue now works.
    with ComfyUIStandIn() as comfyui:
        down.stop()
        start_cluster(STORYCORE_COMFYUI_URL=comfyui.url)
        progress = []
        results = client.process_retry_queue(on_progress=lambda done, total: progress.append((done, total)))

    assert progress == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [job["status"] for job in results] == ["completed"] * 3
    assert [job["job_id"] for job in results] == [job["job_id"] for job in reversed(queue)]  # oldest first
    assert {job["result"]["provider"] for job in results} == {"comfyui"}
    assert len(comfyui.accepted) == 3 * 4  # four panels each, rendered by ComfyUI
    assert client.get_retry_queue() == []
    assert client.process_retry_queue(on_progress=lambda done, total: progress.append((done, total))) == []
    assert progress[-1] == (0, 0)


def test_a_job_that_fails_again_is_back_in_the_queue_and_clearing_cancels_it(client, start_cluster, settings):
    settings.STORYCORE_DEFAULT_MAX_RETRIES = 0
    start_cluster(STORYCORE_COMFYUI_URL=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(JobFailed) as caught:
        client.generate_character_grid(SMALL_COMFY_GRID)
    failed = caught.value.job

    retried = client.retry_job(failed)
    assert retried["status"] == "pending" and retried["retry_count"] == 0
    with pytest.raises(JobFailed):
        client.wait_for_job(retried)

    progress = []
    results = client.process_retry_queue(on_progress=lambda done, total: progress.append((done, total)))
    assert progress == [(0, 1), (1, 1)]
    assert results[0]["status"] == "failed"  # still no ComfyUI: back in the queue
    assert [job["job_id"] for job in client.get_retry_queue()] == [failed["job_id"]]

    assert client.clear_retry_queue() == 1
    assert client.get_retry_queue() == []
    assert client.get_job(failed["job_id"])["status"] == "cancelled"
    assert client.clear_retry_queue() == 0
