"""The grid endpoints: validation, ownership, listing, options, routing."""
import pytest

from automation.models import CharacterGrid, GenerationJob
from tests.support.grids import GENERATE_URL, ORIGINAL_EXAMPLE, body, png_size
from tests.support.jobs import run_job

GRID_URL = "/api/automation/character/grid"


pytestmark = pytest.mark.usefixtures("builtin_images")


@pytest.fixture
def grid(db, owner_client) -> dict:
    job = run_job(owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "gridSize": "2x2"}, format="json").data["job_id"])
    assert job.status == "completed", job.error
    return job.result


@pytest.mark.parametrize(
    "change, field",
    [
        ({"characterId": "../x"}, "character_id"),
        ({"characterId": "hero 001"}, "character_id"),
        ({"characterId": ""}, "character_id"),
        ({"gridSize": "5x5"}, "grid_size"),
        ({"outfits": ["casual", "tuxedo"]}, "outfits"),
        ({"outfits": []}, "outfits"),
        ({"poses": ["standing", "standing"]}, "poses"),
        ({"expressions": "happy"}, "expressions"),
        ({"style": "vaporwave"}, "style"),
        ({"provider": "http://evil.example/"}, "provider"),
        ({"width": 100}, "width"),
        ({"seed": -1}, "seed"),
        ({"moood": "tense"}, "moood"),
    ],
)
def test_it_rejects_bad_input_naming_the_field_and_stores_nothing(db, owner_client, change, field):
    response = owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, **change}, format="json")
    assert response.status_code == 400
    assert field in response.data, response.data
    assert not GenerationJob.objects.exists()


def test_a_bad_grid_size_lists_the_allowed_ones(db, owner_client):
    response = owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "gridSize": "5x5"}, format="json")
    assert "2x2, 3x3, 4x4" in response.data["grid_size"][0]


def test_an_unknown_outfit_lists_the_allowed_ones(db, owner_client):
    response = owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "outfits": ["casual", "tuxedo"]}, format="json")
    message = str(response.data["outfits"])
    assert "tuxedo" in message and "armor" in message


def test_it_accepts_snake_case_and_fills_defaults(db, owner_client):
    response = owner_client.post(GENERATE_URL, {"character_id": "mage-7"}, format="json")
    assert response.status_code == 202, response.data
    params = response.data["params"]
    assert params["character_name"] == "mage-7"
    assert params["grid_size"] == "3x3"
    assert params["outfits"] == ["casual"]
    assert (params["width"], params["height"]) == (1024, 1024)  # the default family's (SDXL) square size
    grid = run_job(response.data["job_id"]).result
    assert grid["provider"] == "builtin"
    assert grid["total_panels"] == 9


def test_without_a_seed_each_job_gets_its_own(db, owner_client):
    first = run_job(owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json").data["job_id"]).result
    second = run_job(owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json").data["job_id"]).result
    assert isinstance(first["seed"], int) and first["seed"] != second["seed"]
    assert [p["seed"] for p in first["panels"]] == [first["seed"] + i for i in range(9)]


def test_a_repeated_idempotency_key_returns_the_same_job(db, owner_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "grid-request-1"}
    first = owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json", **headers)
    again = owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json", **headers)
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.data["job_id"] == first.data["job_id"]
    assert GenerationJob.objects.count() == 1


def test_it_waits_for_the_result_when_asked(db, owner_client, settings):
    # ?wait needs a worker; here the job is run by hand, so it answers 202 when not done.
    response = owner_client.post(f"{GENERATE_URL}?wait=0.1", ORIGINAL_EXAMPLE, format="json")
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/automation/jobs/{response.data['job_id']}")


def test_it_needs_credentials(db, anon_client):
    assert anon_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json").status_code == 401
    assert anon_client.get(f"{GRID_URL}/options").status_code == 401


def test_another_user_gets_404_for_the_grid_and_its_images(grid, other_client):
    assert other_client.get(f"{GRID_URL}/{grid['bundle_id']}").status_code == 404
    assert other_client.get(grid["sheet_url"]).status_code == 404
    for panel in grid["panels"]:
        assert other_client.get(panel["image_url"]).status_code == 404


def test_staff_can_see_anyones_grid_and_images(grid, staff_client):
    assert staff_client.get(f"{GRID_URL}/{grid['bundle_id']}").status_code == 200
    sheet = staff_client.get(grid["sheet_url"])
    assert sheet.status_code == 200 and png_size(body(sheet))[0] == 2 * 440
    assert staff_client.get(grid["panels"][0]["image_url"]).status_code == 200


def test_a_panel_of_another_grid_is_not_found_under_this_one(grid, owner_client):
    job = run_job(owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "gridSize": "2x2"}, format="json").data["job_id"])
    foreign_panel = job.result["panels"][0]["panel_id"]
    assert owner_client.get(f"{GRID_URL}/{grid['bundle_id']}/panels/{foreign_panel}.png").status_code == 404


def test_images_are_not_served_from_public_media(grid, anon_client, media):
    name = CharacterGrid.objects.get().sheet.name
    assert (media / name).is_file()
    assert anon_client.get(f"/media/{name}").status_code == 404


def test_the_list_shows_only_the_callers_grids_newest_first(grid, owner_client, other_client):
    second = run_job(owner_client.post(GENERATE_URL, ORIGINAL_EXAMPLE, format="json").data["job_id"]).result
    mine = owner_client.get(f"{GRID_URL}/")
    assert mine.status_code == 200
    assert mine.data["count"] == 2
    assert [g["bundle_id"] for g in mine.data["results"]] == [second["bundle_id"], grid["bundle_id"]]
    assert mine.data["results"][0]["sheet_url"].endswith(f"/character/grid/{second['bundle_id']}/sheet.png")
    assert owner_client.get(GRID_URL, {"page_size": 1}).data["next"]
    assert other_client.get(GRID_URL).data["count"] == 0


def test_options_list_every_vocabulary_and_are_not_taken_for_an_id(db, owner_client):
    response = owner_client.get(f"{GRID_URL}/options")
    assert response.status_code == 200
    data = response.data
    assert [s["name"] for s in data["grid_sizes"]] == ["2x2", "3x3", "4x4"]
    names = lambda key: {item["name"] for item in data[key]}  # noqa: E731
    assert {"casual", "formal", "combat", "armor", "battle", "robe", "work", "sleep", "swim", "special"} <= names("outfits")
    assert {"standing", "walking", "sitting", "kneeling", "lying", "fighting", "running", "flying", "swimming",
            "climbing", "casting", "defending", "attacking", "jumping"} <= names("poses")  # fmt: skip
    assert {"neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted", "contempt", "determined",
            "confused", "smirking", "pained"} <= names("expressions")  # fmt: skip
    assert {"eye_level", "low_angle", "high_angle", "bird_eye", "worm_eye", "over_shoulder"} <= names("camera_angles")
    assert {"realistic", "anime", "fantasy"} <= names("styles")
    assert names("providers") == {"builtin", "comfyui"}
    assert [p["name"] for p in data["providers"] if p["default"]] == ["builtin"]
    assert owner_client.get(f"{GRID_URL}/options/").status_code == 200
    assert owner_client.get(f"{GRID_URL}/not-a-grid").status_code == 404


def test_an_unknown_grid_is_404(db, owner_client):
    assert owner_client.get(f"{GRID_URL}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert owner_client.get(f"{GRID_URL}/00000000-0000-0000-0000-000000000000/sheet.png").status_code == 404
