URL = "/api/automation/dialogue/options"


def test_it_lists_every_vocabulary_a_dialogue_request_may_name(db, owner_client):
    data = owner_client.get(URL).json()

    assert {a["name"] for a in data["archetypes"]} >= {
        "hero", "villain", "mentor", "comic_relief", "sidekick", "antagonist", "protagonist", "transformer",
    }  # fmt: skip
    assert set(data["dialogue_types"]) >= {"narrative", "conversation", "monologue", "conflict", "resolution", "intro", "outro"}
    assert set(data["templates"]) == {"linear", "multi_party", "interrupted", "parallel", "building"}
    assert "tense" in data["moods"] and "night" in data["times_of_day"]
    assert len(data["personality_traits"]) == 21
    assert [p["name"] for p in data["providers"]] == ["builtin", "llm"]
    assert data["limits"] == {"characters": [2, 8], "num_lines": [1, 100]}


def test_it_requires_credentials(db, anon_client):
    assert anon_client.get(URL).status_code == 401
