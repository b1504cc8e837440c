"""The built-in provider end to end: the original example, the sheet, the panel images."""
from collections import Counter

import pytest

from automation.providers.contact_sheet import CARD_SIZE, TITLE_HEIGHT
from tests.support.grids import GENERATE_URL, ORIGINAL_EXAMPLE, body, png_size, stored_files
from tests.support.jobs import run_job


pytestmark = pytest.mark.usefixtures("builtin_images")


def test_the_original_example_gives_nine_distinct_panels_and_a_sheet(db, owner_client):
    response = owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json")
    assert response.status_code == 202, response.data
    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    grid = job.result

    assert grid["character_id"] == "hero_001"
    assert grid["character_name"] == "Héros Principal"
    assert grid["grid_size"] == "3x3"
    assert grid["total_panels"] == len(grid["panels"]) == 9
    combos = [(p["outfit"], p["pose"], p["expression"], p["camera_angle"]) for p in grid["panels"]]
    assert len(set(combos)) == 9
    assert Counter(p["outfit"] for p in grid["panels"]) == {"casual": 3, "combat": 3, "armor": 3}
    # Each outfit fills one row.
    for row in range(3):
        assert len({p["outfit"] for p in grid["panels"] if p["row"] == row}) == 1
    assert sorted((p["row"], p["col"]) for p in grid["panels"]) == [(r, c) for r in range(3) for c in range(3)]

    options = owner_client.get("/api/automation/character/grid/options").data
    phrases = {key: {o["name"]: o["prompt"] for o in options[key]} for key in ("outfits", "poses", "expressions")}
    for panel in grid["panels"]:
        assert phrases["outfits"][panel["outfit"]] in panel["prompt"]
        assert phrases["poses"][panel["pose"]] in panel["prompt"]
        assert phrases["expressions"][panel["expression"]] in panel["prompt"]
        assert "Héros Principal" in panel["prompt"]
        assert panel["negative_prompt"]

    sheet = owner_client.get(grid["sheet_url"])
    assert sheet.status_code == 200
    assert sheet["Content-Type"] == "image/png"
    width, height = png_size(body(sheet))
    assert (width, height) == (3 * CARD_SIZE[0], TITLE_HEIGHT + 3 * CARD_SIZE[1])

    panel = grid["panels"][4]
    image = owner_client.get(panel["image_url"])
    assert image.status_code == 200
    assert png_size(body(image)) == CARD_SIZE


def test_the_grid_reads_back_with_absolute_image_urls(db, owner_client):
    created = owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json").data
    job = run_job(created["job_id"])
    bundle_id = job.result["bundle_id"]

    response = owner_client.get(f"/api/automation/character/grid/{bundle_id}")
    assert response.status_code == 200
    assert response.data["bundle_id"] == bundle_id
    assert response.data["sheet_url"].startswith("http://testserver/api/automation/character/grid/")
    assert all(p["image_url"].endswith(".png") for p in response.data["panels"])
    assert [p["panel_id"] for p in response.data["panels"]] == [p["panel_id"] for p in job.result["panels"]]


def test_the_same_seed_gives_the_same_plan(db, owner_client):
    request = {**ORIGINAL_EXAMPLE, "seed": 1234}
    first = run_job(owner_client.post(GENERATE_URL, request, format="json").data["job_id"]).result
    second = run_job(owner_client.post(GENERATE_URL, request, format="json").data["job_id"]).result
    keys = ("row", "col", "outfit", "pose", "expression", "prompt", "seed")
    strip = lambda grid: [tuple(p[k] for k in keys) for p in grid["panels"]]  # noqa: E731
    assert strip(first) == strip(second)
    assert first["bundle_id"] != second["bundle_id"]
    assert [p["seed"] for p in first["panels"]] == [1234 + i for i in range(9)]


def test_files_live_under_a_server_built_path(db, owner_client, media):
    created = owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "characterId": "hero-2"}, format="json").data
    bundle_id = run_job(created["job_id"]).result["bundle_id"]
    files = stored_files(media)
    assert len(files) == 10
    assert all(name.startswith(f"grids/{bundle_id}/") for name in files)
    assert not any("hero" in name for name in files)
