"""The ComfyUI provider against a local server speaking ComfyUI's protocol."""
import json

import pytest
from django.db import connections

from automation.models import CharacterGrid, GenerationJob
from automation.providers.contact_sheet import TITLE_HEIGHT
from tests.support.comfyui_server import ComfyUIStandIn
from tests.support.ports import free_port
from tests.support.grids import GENERATE_URL, ORIGINAL_EXAMPLE, body, png_size, stored_files
from tests.support.jobs import run_job

CHECKPOINT = "sd_xl_base_1.0.safetensors"
REQUEST = {**ORIGINAL_EXAMPLE, "provider": "comfyui", "seed": 500, "width": 64, "height": 64}


@pytest.fixture(autouse=True)
def comfy_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORYCORE_IMAGE_PROVIDER = "builtin"  # the request's `provider` overrides it
    settings.STORYCORE_COMFYUI_CHECKPOINT = CHECKPOINT
    settings.STORYCORE_COMFYUI_TIMEOUT = 5.0
    settings.STORYCORE_COMFYUI_WORKFLOW = ""
    return settings


def create(client, **overrides) -> str:
    response = client.post(GENERATE_URL, {**REQUEST, **overrides}, format="json")
    assert response.status_code == 202, response.data
    return response.data["job_id"]


def nodes_of(prompt_body: dict, class_type: str) -> list[dict]:
    return [node for node in prompt_body["prompt"].values() if node["class_type"] == class_type]


def test_it_renders_each_panel_with_comfyui_and_tiles_the_sheet(db, owner_client, comfy_settings):
    with ComfyUIStandIn() as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client))

    assert job.status == "completed", job.error
    grid = job.result
    assert grid["provider"] == "comfyui"
    assert len(comfy.accepted) == 9
    prefixes = [nodes_of(b, "SaveImage")[0]["inputs"]["filename_prefix"] for b in comfy.accepted]
    assert len(set(prefixes)) == 9  # each panel its own file: ComfyUI's cache cannot answer with an old one
    assert [nodes_of(b, "KSampler")[0]["inputs"]["seed"] for b in comfy.accepted] == [500 + i for i in range(9)]
    assert all(nodes_of(b, "CheckpointLoaderSimple")[0]["inputs"]["ckpt_name"] == CHECKPOINT for b in comfy.accepted)
    texts = [nodes_of(b, "CLIPTextEncode")[0]["inputs"]["text"] for b in comfy.accepted]
    assert texts == [panel["prompt"] for panel in grid["panels"]]
    negatives = [nodes_of(b, "CLIPTextEncode")[1]["inputs"]["text"] for b in comfy.accepted]
    assert negatives == [panel["negative_prompt"] for panel in grid["panels"]]
    assert not any("Origin" in headers for _, _, headers in comfy.requests)
    assert {path for method, path, _ in comfy.requests if method == "GET"} >= {"/view"}

    sheet = owner_client.get(grid["sheet_url"])
    assert png_size(body(sheet)) == (3 * 64, TITLE_HEIGHT + 3 * 64)
    panel = owner_client.get(grid["panels"][0]["image_url"])
    assert png_size(body(panel)) == (64, 64)


@pytest.mark.django_db(transaction=True)
def test_it_reports_progress_after_each_panel(owner_client, comfy_settings):
    seen = []
    job_url = {}

    def record_progress(number, _body):
        seen.append(owner_client.get(job_url["url"]).data["progress"])
        connections.close_all()  # this server thread's own connection

    with ComfyUIStandIn(on_prompt=record_progress) as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job_id = create(owner_client)
        job_url["url"] = f"/api/automation/jobs/{job_id}"
        job = run_job(job_id)

    assert job.status == "completed", job.error
    assert job.progress == 100
    assert len(seen) == 9
    assert seen == sorted(seen) and len(set(seen)) == 9  # a step per panel
    assert 0 < seen[0] < seen[-1] < 99


def test_a_refused_connection_is_transient_and_names_the_url(db, owner_client, comfy_settings):
    url = f"http://127.0.0.1:{free_port()}"
    comfy_settings.STORYCORE_COMFYUI_URL = url
    job = run_job(create(owner_client, max_retries=0))

    assert job.status == "failed"
    assert job.error_kind == "transient"
    assert "Connection refused" in job.error and url in job.error
    assert not CharacterGrid.objects.exists()
    assert stored_files(comfy_settings.MEDIA_ROOT) == []


def test_a_refused_connection_is_retried_while_retries_remain(db, owner_client, comfy_settings):
    comfy_settings.STORYCORE_COMFYUI_URL = f"http://127.0.0.1:{free_port()}"
    job = run_job(create(owner_client, max_retries=2))

    assert job.status == "pending"
    assert job.retry_count == 1
    assert "Connection refused" in job.error


def test_a_server_error_is_transient_and_quotes_the_answer(db, owner_client, comfy_settings):
    with ComfyUIStandIn(prompt_status=503) as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client, max_retries=0))

    assert job.status == "failed"
    assert job.error_kind == "transient"
    assert f"ComfyUI at {comfy.url} answered 503 to POST /prompt: Service Unavailable" == job.error


def test_a_prompt_that_never_finishes_times_out_naming_the_setting(db, owner_client, comfy_settings):
    comfy_settings.STORYCORE_COMFYUI_TIMEOUT = 0.4
    with ComfyUIStandIn(never_finish=True) as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client, max_retries=0))

    assert job.status == "failed"
    assert job.error_kind == "transient"
    assert job.error.startswith("Timeout")
    assert "STORYCORE_COMFYUI_TIMEOUT" in job.error and comfy.url in job.error
    # The abandoned prompt is taken off ComfyUI's queue and interrupted.
    assert len(comfy.interrupts) == 1 and comfy.interrupts[0]["prompt_id"]
    assert comfy.queue_posts == [{"delete": [comfy.interrupts[0]["prompt_id"]]}]
    assert not CharacterGrid.objects.exists()


def test_a_server_too_slow_to_answer_times_out_naming_the_setting(db, owner_client, comfy_settings):
    comfy_settings.STORYCORE_COMFYUI_TIMEOUT = 0.3
    with ComfyUIStandIn(prompt_delay=1.0) as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client, max_retries=0))

    assert job.status == "failed"
    assert job.error_kind == "transient"
    assert job.error.startswith("Timeout") and "STORYCORE_COMFYUI_TIMEOUT" in job.error


@pytest.mark.parametrize("shape, omit_extra_info", [("list", False), ("combo", False), ("list", True)])
def test_a_missing_checkpoint_fails_at_once_listing_the_installed_ones(
    db, owner_client, comfy_settings, shape, omit_extra_info
):
    comfy_settings.STORYCORE_COMFYUI_CHECKPOINT = "dreamshaper_8.safetensors"
    with ComfyUIStandIn(object_info_shape=shape, omit_extra_info=omit_extra_info) as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client))

    assert job.status == "failed"
    assert job.error_kind == "permanent"
    assert job.retry_count == 0
    assert job.error.startswith(
        "Model not found: dreamshaper_8.safetensors; "
        "available: sd_xl_base_1.0.safetensors, v1-5-pruned-emaonly.safetensors."
    )
    assert "STORYCORE_COMFYUI_CHECKPOINT" in job.error
    assert ("GET", "/object_info/CheckpointLoaderSimple") in [(m, p) for m, p, _ in comfy.requests]


def test_other_validation_errors_fail_at_once_with_comfyuis_message(db, owner_client, comfy_settings, tmp_path):
    workflow = {
        "1": {"class_type": "FancySampler", "inputs": {"text": "{{prompt}}", "seed": "{{seed}}"}},
        "2": {"class_type": "SaveImage", "inputs": {"filename_prefix": "{{filename_prefix}}", "images": ["1", 0]}},
    }
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(workflow))
    comfy_settings.STORYCORE_COMFYUI_WORKFLOW = str(path)
    with ComfyUIStandIn() as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client))

    assert job.status == "failed"
    assert job.error_kind == "permanent"
    assert "Cannot execute because node FancySampler does not exist." in job.error


def test_a_failure_while_running_fails_at_once_with_the_exception_message(db, owner_client, comfy_settings):
    with ComfyUIStandIn(runtime_error="mat1 and mat2 shapes cannot be multiplied (77x2048 and 768x320)") as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job = run_job(create(owner_client))

    assert job.status == "failed"
    assert job.error_kind == "permanent"
    assert "mat1 and mat2 shapes cannot be multiplied" in job.error
    assert "KSampler" in job.error
    assert stored_files(comfy_settings.MEDIA_ROOT) == []


def test_a_workflow_saved_in_the_ui_format_is_refused_naming_the_setting(db, owner_client, comfy_settings, tmp_path):
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    comfy_settings.STORYCORE_COMFYUI_WORKFLOW = str(path)
    comfy_settings.STORYCORE_COMFYUI_URL = f"http://127.0.0.1:{free_port()}"
    job = run_job(create(owner_client))

    assert job.status == "failed"
    assert job.error_kind == "permanent"
    assert "STORYCORE_COMFYUI_WORKFLOW" in job.error and "API Format" in job.error


@pytest.mark.django_db(transaction=True)
def test_cancelling_mid_grid_interrupts_comfyui_and_keeps_nothing(owner_client, comfy_settings):
    job_ids = {}

    def cancel_at_fourth_panel(number, _body):
        if number == 3:
            assert owner_client.post(f"/api/automation/jobs/{job_ids['job']}/cancel").status_code == 200
            connections.close_all()

    with ComfyUIStandIn(on_prompt=cancel_at_fourth_panel) as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        job_ids["job"] = create(owner_client)
        job = run_job(job_ids["job"])

    assert job.status == "cancelled"
    assert len(comfy.accepted) == 4  # no panel was started after the cancel
    fourth = [path for method, path, _ in comfy.requests if method == "POST" and path == "/interrupt"]
    assert len(fourth) == 1 and comfy.interrupts[0]["prompt_id"]
    assert not CharacterGrid.objects.exists()
    assert stored_files(comfy_settings.MEDIA_ROOT) == []
    assert job.attempts.get().outcome == "cancelled"
    assert GenerationJob.objects.get(pk=job.pk).result is None


def test_a_retry_after_a_refused_connection_completes_once_comfyui_is_up(db, owner_client, comfy_settings):
    comfy_settings.STORYCORE_COMFYUI_URL = f"http://127.0.0.1:{free_port()}"
    job_id = create(owner_client, seed=None, max_retries=1)
    assert run_job(job_id).status == "pending"

    with ComfyUIStandIn() as comfy:
        comfy_settings.STORYCORE_COMFYUI_URL = comfy.url
        GenerationJob.objects.filter(pk=job_id).update(next_attempt_at=GenerationJob.objects.get(pk=job_id).created_at)
        job = run_job(job_id)

    assert job.status == "completed", job.error
    seed = job.result["seed"]
    assert [nodes_of(b, "KSampler")[0]["inputs"]["seed"] for b in comfy.accepted] == [seed + i for i in range(9)]
    assert len(stored_files(comfy_settings.MEDIA_ROOT)) == 10
