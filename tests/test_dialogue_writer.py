"""The built-in writer, through the API: voices, arcs, turn-taking, traits and context."""
import itertools

import pytest

from automation.catalog import archetype_voices, dialogue_catalog
from tests.support.jobs import run_job
from tests.support.voices import moves_matching

URL = "/api/automation/dialogue/generate"
ARCHETYPES = list(archetype_voices())
TYPES = list(dialogue_catalog()["dialogue_types"])


def character(archetype, n=1, **extra):
    return {"character_id": f"{archetype}_{n}", "name": f"{archetype.title().replace('_', '')}{n}", "archetype": archetype, **extra}


def write(client, characters, **options):
    payload = {"characters": characters, "dialogue_type": "conversation", "num_lines": 10, "seed": 7, **options}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 202, response.content
    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    return job.result["lines"]


def calm_and_heated(archetype):
    emotions = archetype_voices()[archetype]["emotions"]
    return set(emotions["calm"]), set(emotions["heated"])


def test_every_archetype_speaks_only_from_its_own_table(db, owner_client):
    for archetype, dialogue_type in itertools.product(ARCHETYPES, TYPES):
        others = [a for a in ARCHETYPES if a != archetype]
        if dialogue_type == "monologue":
            cast = [character(archetype)]
        else:
            cast = [character(archetype), character(others[ARCHETYPES.index(archetype) % len(others)], 2)]
        for line in write(owner_client, cast, dialogue_type=dialogue_type, num_lines=12, seed=3):
            speaker = line["character_id"].rsplit("_", 1)[0]
            assert moves_matching(speaker, line["dialogue"]), (speaker, line["dialogue"])
            if speaker == archetype:
                for other in others:
                    assert not moves_matching(other, line["dialogue"]), (archetype, other, line["dialogue"])


def test_no_two_archetypes_share_a_line_in_the_catalog(db):
    seen = {}
    for archetype, voice in archetype_voices().items():
        for move, templates in voice["moves"].items():
            for template in templates:
                assert seen.setdefault(template, archetype) == archetype, f"{template!r} in {seen[template]} and {archetype}"


def test_each_dialogue_type_writes_its_own_beats(db, owner_client):
    cast = [character("hero"), character("mentor", 2)]
    by_type = {}
    for dialogue_type in TYPES:
        people = cast[:1] if dialogue_type == "monologue" else cast
        lines = write(owner_client, people, dialogue_type=dialogue_type, num_lines=12)
        for line in lines:
            archetype = line["character_id"].rsplit("_", 1)[0]
            assert line["beat"] in moves_matching(archetype, line["dialogue"]), line
        by_type[dialogue_type] = lines
    beats = {t: [line["beat"] for line in lines] for t, lines in by_type.items()}

    # A conflict escalates, peaks and turns, in that order.
    assert list(dict.fromkeys(beats["conflict"])) == ["challenge", "escalate", "peak", "turn"]
    # An intro greets, then the characters introduce themselves by their own names.
    assert beats["intro"][0] == "greet" and "introduce" in beats["intro"]
    for line in by_type["intro"]:
        if line["beat"] == "introduce":
            assert line["character_name"] in line["dialogue"]
    # An outro closes with farewells; a resolution ends on a decision.
    assert beats["outro"][-1] == "farewell"
    assert beats["resolution"][-1] == "resolve"
    assert list(dict.fromkeys(beats["monologue"])) == ["observe", "reflect", "resolve"]
    # Different types, different lines: two types only share lines of a beat both arcs have.
    for first, second in itertools.combinations(TYPES, 2):
        beats_of_second = {l["dialogue"]: l["beat"] for l in by_type[second]}
        for line in by_type[first]:
            if line["dialogue"] in beats_of_second:
                assert line["beat"] == beats_of_second[line["dialogue"]], (first, second, line)


def test_the_conflict_peak_is_heated_and_the_opening_of_a_conversation_calm(db, owner_client):
    lines = write(owner_client, [character("sidekick"), character("protagonist", 2)], dialogue_type="conflict", num_lines=20)
    for line in lines:
        calm, heated = calm_and_heated(line["character_id"].rsplit("_", 1)[0])
        if line["beat"] == "peak":
            assert line["emotion"] in heated, line
    calm_lines = write(owner_client, [character("sidekick"), character("protagonist", 2)], dialogue_type="conversation")
    for line in calm_lines[:3]:
        calm, _ = calm_and_heated(line["character_id"].rsplit("_", 1)[0])
        assert line["emotion"] in calm, line


def test_a_hot_tempered_villain_and_a_patient_one_do_not_read_the_same(db, owner_client):
    hero = character("hero")
    hot = character("villain", 2, personality_traits={"temper": 1.0, "patience": 0.0})
    cool = character("villain", 2, personality_traits={"temper": 0.0, "patience": 1.0})
    hot_lines = [l for l in write(owner_client, [hero, hot], dialogue_type="conflict", num_lines=20) if l["character_id"] == "villain_2"]
    cool_lines = [l for l in write(owner_client, [hero, cool], dialogue_type="conflict", num_lines=20) if l["character_id"] == "villain_2"]
    calm, heated = calm_and_heated("villain")
    assert {l["emotion"] for l in hot_lines} <= heated
    assert {l["emotion"] for l in cool_lines} <= calm
    assert not {l["dialogue"] for l in hot_lines} & {l["dialogue"] for l in cool_lines}
    assert {l["voice_direction"] for l in hot_lines}.isdisjoint({l["voice_direction"] for l in cool_lines})


def test_an_anxious_character_stammers(db, owner_client):
    nervous = character("protagonist", personality_traits={"anxiety": 1.0})
    lines = write(owner_client, [nervous, character("mentor", 2)], num_lines=20)
    mine = [l for l in lines if l["character_id"] == "protagonist_1"]
    assert any("— " in l["dialogue"].split(" ", 2)[0] + " " for l in mine)
    assert all("nervous" in l["voice_direction"] for l in mine)


def test_the_context_changes_what_is_said(db, owner_client):
    cast = [character("hero"), character("villain", 2)]
    bare = write(owner_client, cast, dialogue_type="narrative", num_lines=30)
    context = {"location": "Château ancien", "time_of_day": "night", "weather": "storm", "situation": "combat", "mood": "horror"}
    placed = write(owner_client, cast, dialogue_type="narrative", num_lines=30, context=context)
    said = " ".join(l["dialogue"] for l in placed)
    assert "Château ancien" in said
    assert "tonight" in said.lower() or "this storm" in said.lower()
    assert "Château ancien" not in " ".join(l["dialogue"] for l in bare)
    horror = set(dialogue_catalog()["moods"]["horror"]["emotions"])
    assert {l["emotion"] for l in placed} & horror
    assert not {l["emotion"] for l in bare} & horror


def test_characters_address_each_other_by_name(db, owner_client):
    lines = write(owner_client, [character("mentor", name="Yoren"), character("transformer", 2, name="Lys")], num_lines=20)
    assert sum("Lys" in l["dialogue"] for l in lines if l["character_name"] == "Yoren") >= 3
    assert sum("Yoren" in l["dialogue"] for l in lines if l["character_name"] == "Lys") >= 3


def test_interrupted_lines_are_cut_off_and_the_next_speaker_barges_in(db, owner_client):
    lines = write(owner_client, [character("hero"), character("comic_relief", 2)], template="interrupted", num_lines=20)
    cut = [i for i, l in enumerate(lines[:-1]) if l["dialogue"].endswith("—")]
    assert cut
    for i in cut:
        assert lines[i + 1]["character_id"] != lines[i]["character_id"]
        assert "cut off" in lines[i]["voice_direction"]
        archetype = lines[i + 1]["character_id"].rsplit("_", 1)[0]
        assert any(lines[i + 1]["dialogue"].startswith(x) for x in archetype_voices()[archetype]["moves"]["interject"])


def test_parallel_lines_alternate_speech_and_the_listeners_thoughts(db, owner_client):
    lines = write(owner_client, [character("hero"), character("villain", 2)], template="parallel", num_lines=8)
    assert [l["is_thought"] for l in lines] == [False, True] * 4
    for i in range(1, 7, 2):
        assert lines[i]["character_id"] != lines[i - 1]["character_id"]  # the listener thinks...
        assert lines[i + 1]["character_id"] == lines[i]["character_id"]  # ...then speaks
        assert "thought" in moves_matching(lines[i]["character_id"].rsplit("_", 1)[0], lines[i]["dialogue"])


def test_multi_party_rotates_by_role(db, owner_client):
    cast = [
        character("comic_relief", role="background"),
        character("sidekick", 2, role="supporting"),
        character("hero", 3, role="lead"),
    ]
    lines = write(owner_client, cast, template="multi_party", num_lines=8)
    assert [l["character_id"] for l in lines] == [
        "hero_3", "sidekick_2", "comic_relief_1",  # round 1: by role
        "hero_3", "sidekick_2",  # round 2: background characters sit it out
        "hero_3", "sidekick_2", "comic_relief_1",
    ]  # fmt: skip


def test_building_rises_from_calm_to_heated(db, owner_client):
    lines = write(owner_client, [character("sidekick"), character("protagonist", 2)], template="building", num_lines=20)
    for line in lines[:5]:
        assert line["emotion"] in calm_and_heated(line["character_id"].rsplit("_", 1)[0])[0], line
    for line in lines[-5:]:
        assert line["emotion"] in calm_and_heated(line["character_id"].rsplit("_", 1)[0])[1], line


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_a_hundred_lines_between_two_characters_are_at_least_95_percent_distinct(db, owner_client, archetype):
    # Hardest case: both speakers draw from the same table.
    for dialogue_type in ("conversation", "conflict", "narrative"):
        lines = write(owner_client, [character(archetype), character(archetype, 2)], dialogue_type=dialogue_type, num_lines=100)
        assert len(lines) == 100
        assert len({l["dialogue"] for l in lines}) >= 95, dialogue_type


def test_the_original_pair_stays_distinct_over_a_hundred_lines_in_every_template(db, owner_client):
    cast = [{"character_id": "hero_001", "name": "Héros", "archetype": "hero"}, {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"}]
    context = {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "tense"}
    for template in dialogue_catalog()["templates"]:
        lines = write(owner_client, cast, dialogue_type="conflict", template=template, num_lines=100, context=context)
        assert len({l["dialogue"] for l in lines}) >= 95, template


def test_a_monologue_has_one_voice_and_no_listener(db, owner_client):
    lines = write(owner_client, [character("transformer")], dialogue_type="monologue", num_lines=15)
    assert {l["character_id"] for l in lines} == {"transformer_1"}
    assert all(moves_matching("transformer", l["dialogue"]) for l in lines)


@pytest.mark.parametrize("trait", dialogue_catalog()["traits"])
def test_every_trait_at_either_end_of_the_scale_shows_in_what_is_said(db, owner_client, trait):
    asides = dialogue_catalog()["trait_asides"][trait]
    # The protagonist's own temperament has no marked trait, so any aside comes from the request.
    plain = write(owner_client, [character("protagonist"), character("sidekick", 2)], num_lines=40)
    for end, score in (("high", 1.0), ("low", 0.0)):
        marked = character("protagonist", personality_traits={trait: score})
        lines = write(owner_client, [marked, character("sidekick", 2)], num_lines=40)
        said = [l["dialogue"] for l in lines if l["character_id"] == "protagonist_1"]
        assert any(aside in text for text in said for aside in asides[end]), (trait, end, said)
        plain_said = [l["dialogue"] for l in plain if l["character_id"] == "protagonist_1"]
        assert not any(aside in text for text in plain_said for aside in asides["high"] + asides["low"])


def test_names_and_places_are_used_verbatim_never_expanded_as_grammar(db, owner_client):
    tricky = "{Bob|Al} <place> #addr#"
    cast = [character("hero", name=tricky), character("villain", 2, name="Zed")]
    lines = write(owner_client, cast, dialogue_type="conflict", num_lines=12, context={"location": "The {Red|Blue} Inn #open#"})
    assert any(tricky in l["dialogue"] for l in lines if l["character_id"] == "villain_2")
    assert all(l["character_name"] == tricky for l in lines if l["character_id"] == "hero_1")
    assert not any("Bob" in l["dialogue"].replace(tricky, "") for l in lines)
