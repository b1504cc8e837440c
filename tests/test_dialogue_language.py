"""A dialogue's language (`en`, `fr`): asked for, defaulted, stored, listed and filtered,
and written by the built-in writer in French with the agreement French needs."""
import pytest

from automation.models import Character, Dialogue, GenerationJob
from tests.support.dialogues import ORIGINAL_EXAMPLE
from tests.support.frames import frame_of
from tests.support.jobs import run_job

URL = "/api/automation/dialogue/generate"
FRENCH_WORDS = {"le", "la", "les", "tu", "je", "de", "que", "pas", "est", "et", "ne", "un", "une"}
ENGLISH_WORDS = {"the", "you", "is", "and", "to", "of", "not", "it", "that", "i", "we"}


def generate(client, payload):
    response = client.post(URL, payload, format="json")
    assert response.status_code == 202, response.content
    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    return job.result


def function_words(lines, vocabulary):
    return sum(word in vocabulary for line in lines for word in line["dialogue"].lower().replace("’", " ").split())


def test_the_original_example_in_french_is_written_in_french(db, owner_client):
    result = generate(owner_client, {**ORIGINAL_EXAMPLE, "language": "fr", "seed": 3})
    lines = result["lines"]
    assert result["language"] == "fr" and Dialogue.objects.get().language == "fr"
    assert function_words(lines, FRENCH_WORDS) > 3 * function_words(lines, ENGLISH_WORDS)
    assert not any(word in line["dialogue"].split() for line in lines for word in ("night", "combat?", "tonight"))
    # Stage directions are French too, and the title names the place with its article.
    assert all(line["voice_direction"] and not set(line["voice_direction"].split()) & ENGLISH_WORDS for line in lines)
    assert "Château ancien" in result["title"]


def test_the_french_context_agrees_with_its_nouns(db, owner_client):
    said = []
    for seed in range(12):
        payload = {**ORIGINAL_EXAMPLE, "language": "fr", "seed": seed,
                   "context": {"location": "taverne", "time_of_day": "night", "weather": "rain", "situation": "fight"}}  # fmt: skip
        said += [line["dialogue"] for line in generate(owner_client, payload)["lines"]]
    text = " ".join(said)
    assert "la taverne" in text.lower() or "à la taverne" in text.lower()
    assert "le taverne" not in text.lower() and "au taverne" not in text.lower()
    assert "nuit" in text or "pluie" in text or "combat" in text
    assert "night" not in text and "rain" not in text


def test_lines_agree_with_a_character_s_pronouns_and_need_none_when_unknown(db, owner_client):
    gendered = {"she": 0, "he": 0}
    for pronouns in ("she", "he", ""):
        for seed in range(30):
            cast = [{"character_id": "hero_001", "name": "Aria", "archetype": "hero", "pronouns": pronouns},
                    {"character_id": "villain_001", "name": "Malvor", "archetype": "villain"}]  # fmt: skip
            payload = {"characters": cast, "dialogue_type": "intro", "num_lines": 12, "language": "fr", "seed": seed}
            for line in generate(owner_client, payload)["lines"]:
                frame = frame_of("fr", line["character_id"].split("_")[0], line["dialogue"])
                if frame is None or "[self:" not in frame.text or line["character_id"] != "hero_001":
                    continue
                assert pronouns, f"a gendered line for a character of unknown gender: {line['dialogue']}"
                masculine, feminine = frame.text.split("[self:", 1)[1].split("]", 1)[0].split("|")
                assert (feminine if pronouns == "she" else masculine) in line["dialogue"], (pronouns, line["dialogue"])
                gendered[pronouns] += 1
    assert gendered["she"] and gendered["he"]
    assert Character.objects.get(character_id="hero_001").pronouns == ""  # the last request's


def test_the_default_language_comes_from_the_setting(db, owner_client, settings):
    assert generate(owner_client, ORIGINAL_EXAMPLE)["language"] == "en"
    settings.STORYCORE_DEFAULT_LANGUAGE = "fr"
    result = generate(owner_client, ORIGINAL_EXAMPLE)
    assert result["language"] == "fr"
    assert function_words(result["lines"], FRENCH_WORDS) > function_words(result["lines"], ENGLISH_WORDS)
    assert generate(owner_client, {**ORIGINAL_EXAMPLE, "language": "en"})["language"] == "en"


@pytest.mark.parametrize("language", ["de", "EN", "", "français"])
def test_an_unknown_language_is_a_400_listing_the_allowed_ones(db, owner_client, language):
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "language": language}, format="json")
    assert response.status_code == 400
    assert "Allowed values: en, fr" in str(response.data["language"])
    assert not GenerationJob.objects.exists() and not Character.objects.exists()


def test_unknown_pronouns_are_a_400_listing_the_allowed_ones(db, owner_client):
    cast = [{**ORIGINAL_EXAMPLE["characters"][0], "pronouns": "it"}, ORIGINAL_EXAMPLE["characters"][1]]
    response = owner_client.post(URL, {**ORIGINAL_EXAMPLE, "characters": cast}, format="json")
    assert response.status_code == 400 and "she, he, they" in str(response.data["characters"])
    assert not GenerationJob.objects.exists()


def test_options_list_the_languages_and_the_default(db, owner_client, settings):
    settings.STORYCORE_DEFAULT_LANGUAGE = "fr"
    data = owner_client.get("/api/automation/dialogue/options").json()
    assert data["languages"] == [{"code": "en", "label": "English", "default": False}, {"code": "fr", "label": "Français", "default": True}]
    assert data["pronouns"] == ["she", "he", "they"]


def test_history_filters_by_language(db, owner_client):
    generate(owner_client, {**ORIGINAL_EXAMPLE, "language": "fr"})
    generate(owner_client, ORIGINAL_EXAMPLE)
    french = owner_client.get("/api/automation/dialogue/history?language=fr").data
    assert french["count"] == 1 and french["results"][0]["language"] == "fr"
    bad = owner_client.get("/api/automation/dialogue/history?language=de")
    assert bad.status_code == 400 and "en, fr" in str(bad.data)


def test_a_saved_character_keeps_its_pronouns(db, owner_client):
    response = owner_client.post(
        "/api/automation/characters/", {"character_id": "lyra", "name": "Lyra", "archetype": "mentor", "pronouns": "she"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert owner_client.get("/api/automation/characters/lyra").data["pronouns"] == "she"
    payload = {"characters": [{"character_id": "lyra"}, ORIGINAL_EXAMPLE["characters"][0]], "language": "fr", "num_lines": 4}
    result = generate(owner_client, payload)
    assert [c["pronouns"] for c in result["characters"] if c["character_id"] == "lyra"] == ["she"]
