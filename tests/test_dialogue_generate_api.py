"""POST dialogue/generate with the built-in writer: the original example, seeds, storage."""
from automation.models import Character, Dialogue, GenerationJob
from tests.support.jobs import run_job
from tests.support.dialogues import ORIGINAL_EXAMPLE

URL = "/api/automation/dialogue/generate"
HISTORY = "/api/automation/dialogue/history"


def generate(client, payload, **extra):
    response = client.post(URL, payload, format="json", **extra)
    assert response.status_code == 202, response.content
    return run_job(response.data["job_id"])


def texts(job):
    return [line["dialogue"] for line in job.result["lines"]]


def test_the_original_example_gives_ten_alternating_lines_with_emotions(db, owner_client):
    response = owner_client.post(URL, ORIGINAL_EXAMPLE, format="json")
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/automation/jobs/{response.data['job_id']}")
    assert response.data["type"] == "dialogue"

    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    lines = job.result["lines"]
    assert len(lines) == 10
    assert [line["character_id"] for line in lines] == ["hero_001", "villain_001"] * 5
    assert [line["character_name"] for line in lines[:2]] == ["Héros", "Méchant"]
    assert all(line["emotion"] and line["dialogue"] for line in lines)
    assert all(line["is_thought"] is False for line in lines)
    assert [line["line_id"] for line in lines] == [f"line_{n:03d}" for n in range(1, 11)]
    # The context shows in the scene; each line is said to the other character, and says what it does.
    assert "Château ancien" in job.result["title"]
    assert [line["addressee"] for line in lines] == ["villain_001", "hero_001"] * 5
    assert lines[0]["move"] in ("challenge", "ask", "threaten") and all(line["move"] for line in lines)
    assert job.result["language"] == "en"

    dialogue = Dialogue.objects.get(job=job)
    assert str(dialogue.scene_id) == job.result["scene_id"]
    assert dialogue.lines.count() == 10
    assert dialogue.dialogue_type == "conflict" and dialogue.mood == "tense" and dialogue.provider == "builtin"

    history = owner_client.get(HISTORY).data
    assert history["count"] == 1
    assert history["results"][0]["scene_id"] == job.result["scene_id"]
    assert history["results"][0]["lines"] == lines


def test_the_same_seed_gives_the_same_dialogue_and_another_seed_a_different_one(db, owner_client):
    first = generate(owner_client, {**ORIGINAL_EXAMPLE, "seed": 42})
    again = generate(owner_client, {**ORIGINAL_EXAMPLE, "seed": 42})
    other = generate(owner_client, {**ORIGINAL_EXAMPLE, "seed": 43})
    assert first.result["lines"] == again.result["lines"]
    assert first.result["title"] == again.result["title"]
    assert first.result["scene_id"] != again.result["scene_id"]
    differing = sum(a != b for a, b in zip(texts(first), texts(other)))
    assert differing >= 8


def test_without_a_seed_each_job_gets_its_own_and_records_it(db, owner_client):
    first = generate(owner_client, ORIGINAL_EXAMPLE)
    second = generate(owner_client, ORIGINAL_EXAMPLE)
    assert first.result["seed"] != second.result["seed"]
    assert texts(first) != texts(second)
    replay = generate(owner_client, {**ORIGINAL_EXAMPLE, "seed": first.result["seed"]})
    assert texts(replay) == texts(first)


def test_snake_case_names_work_like_the_camel_case_ones(db, owner_client):
    payload = {**ORIGINAL_EXAMPLE, "dialogue_type": "conflict", "num_lines": 4, "seed": 1}
    del payload["dialogueType"], payload["numLines"]
    job = generate(owner_client, payload)
    camel = generate(owner_client, {**ORIGINAL_EXAMPLE, "numLines": 4, "seed": 1})
    assert texts(job) == texts(camel)
    assert len(texts(job)) == 4


def test_wait_zero_answers_at_once_with_the_pending_job(db, owner_client):
    response = owner_client.post(f"{URL}?wait=0", ORIGINAL_EXAMPLE, format="json")
    assert response.status_code == 202
    assert response.data["status"] == "pending"


def test_inline_characters_are_saved_and_updated_for_the_caller(db, owner, owner_client):
    generate(owner_client, ORIGINAL_EXAMPLE)
    hero = Character.objects.get(owner=owner, character_id="hero_001")
    assert (hero.name, hero.archetype) == ("Héros", "hero")

    renamed = {**ORIGINAL_EXAMPLE, "characters": [
        {"character_id": "hero_001", "name": "Aria", "archetype": "hero", "personality_traits": {"courage": 1.0}},
        {"character_id": "villain_001"},  # a stored character, by id only
    ]}  # fmt: skip
    job = generate(owner_client, renamed)
    hero.refresh_from_db()
    assert hero.name == "Aria" and hero.personality_traits == {"courage": 1.0}
    assert {line["character_name"] for line in job.result["lines"]} == {"Aria", "Méchant"}
    assert Character.objects.filter(owner=owner).count() == 2


def test_a_character_given_by_id_only_must_exist(db, owner_client):
    payload = {**ORIGINAL_EXAMPLE, "characters": [{"character_id": "nobody"}, ORIGINAL_EXAMPLE["characters"][1]]}
    response = owner_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "nobody" in str(response.data["characters"])
    assert not GenerationJob.objects.exists() and not Character.objects.exists()


def test_idempotency_key_returns_the_same_job(db, owner_client):
    first = owner_client.post(URL, ORIGINAL_EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="scene-1")
    second = owner_client.post(URL, ORIGINAL_EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="scene-1")
    assert first.data["job_id"] == second.data["job_id"]
    assert GenerationJob.objects.count() == 1


def test_it_needs_authentication(db, anon_client):
    assert anon_client.post(URL, ORIGINAL_EXAMPLE, format="json").status_code == 401
