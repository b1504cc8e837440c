"""The built-in writer, through the API: moves and replies, addressees, context, traits,
turn-taking templates, tics and variety, in English and in French."""
import itertools
import re
from collections import Counter

import pytest

from automation.catalog import archetype_voices, dialogue_catalog
from automation.generators.dialogue_plan import DEMANDING
from automation.generators.dialogue_slots import scene_for
from tests.support.frames import STOPWORDS, frame_of, frames_matching, words
from tests.support.grammalecte import grammar_errors
from tests.support.jobs import run_job

URL = "/api/automation/dialogue/generate"
ARCHETYPES = list(archetype_voices())
TYPES = [t for t in dialogue_catalog()["dialogue_types"] if t != "monologue"]
MOVES = dialogue_catalog()["moves"]
NAMES = ["Aria", "Malvor", "Edda", "Pip", "Tamsin", "Corvin", "Lena", "Sable"]
CONTEXTS = {
    "en": [
        {"location": "the market", "time_of_day": "noon", "weather": "rain", "situation": "a missing shipment", "mood": "tense"},
        {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "mysterious"},
        {"location": "the docks", "time_of_day": "dawn", "weather": "fog", "situation": "a hunt"},
    ],
    "fr": [
        {"location": "le marché", "time_of_day": "midi", "weather": "pluie", "situation": "une cargaison disparue", "mood": "tense"},
        {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "mysterious"},
        {"location": "les ruines", "time_of_day": "aube", "weather": "brouillard", "situation": "une chasse"},
    ],
}
TRAIT_TESTS = ["courage", "temper", "patience", "honesty", "humility", "cunning", "compassion", "anxiety"]


def character(archetype, n=1, **extra):
    return {"character_id": f"{archetype}_{n}", "name": NAMES[ARCHETYPES.index(archetype)] + ("" if n == 1 else str(n)),
            "archetype": archetype, **extra}  # fmt: skip


def write(client, characters, **options):
    payload = {"characters": characters, "dialogue_type": "conversation", "num_lines": 10, "seed": 7, **options}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 202, response.content
    job = run_job(response.data["job_id"])
    assert job.status == "completed", job.error
    return job.result["lines"]


def archetype_of(line):
    return line["character_id"].rsplit("_", 1)[0]


def scenes(language, count, *, num_lines=16):
    """Pairs of every archetype with another, over every type and context, seeded."""
    for n in range(count):
        first = ARCHETYPES[n % len(ARCHETYPES)]
        second = ARCHETYPES[(n * 3 + 1) % len(ARCHETYPES)]
        cast = [character(first), character(second, 2)]
        yield cast, {"dialogue_type": TYPES[n % len(TYPES)], "context": CONTEXTS[language][n % 3], "num_lines": num_lines,
                     "language": language, "seed": 100 + n}  # fmt: skip


def context_phrases(context, language):
    """Everything a line may say of this context: every form of every slot."""
    scene = scene_for(context, language)
    return {form.lower() for phrase in scene.context.values() for form in phrase.forms.values()}


# 1. Moves and replies ------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_question_is_answered_or_deflected_by_the_one_it_was_put_to(db, owner_client, language):
    questions = 0
    for cast, options in scenes(language, 24):
        lines = write(owner_client, cast, **options)
        for line, following in zip(lines, lines[1:]):
            if line["is_thought"] or not line["dialogue"].endswith("?"):
                continue
            questions += 1
            assert following["character_id"] == line["addressee"], (line, following)
            if line["move"] == "ask":
                assert following["move"] in ("answer", "deflect"), (line, following)
    assert questions >= 24


def test_a_challenge_gets_a_retort_a_concession_or_a_threat(db, owner_client):
    seen = 0
    for n in range(12):
        cast = [character("hero"), character(ARCHETYPES[1 + n % 7], 2)]
        lines = write(owner_client, cast, dialogue_type="conflict", num_lines=16, seed=n)
        for line, following in zip(lines, lines[1:]):
            if line["move"] == "challenge":
                seen += 1
                assert following["character_id"] == line["addressee"]
                assert following["move"] in MOVES["challenge"]["replies"], (line, following)
            if line["move"] == "threaten":
                assert following["move"] in MOVES["threaten"]["replies"], (line, following)
    assert seen >= 10


def test_in_a_four_character_scene_lines_go_around_the_room(db, owner_client):
    cast = [character("comic_relief"), character("protagonist", 2), character("antagonist", 3), character("mentor", 4)]
    not_to_the_last_speaker = 0
    for seed in range(6):
        lines = write(owner_client, cast, dialogue_type="conversation", num_lines=20, seed=seed, context={"mood": "mysterious"})
        addressees = Counter(line["addressee"] for line in lines)
        assert len(addressees) >= 3, addressees
        for previous, line in zip(lines, lines[1:]):
            assert line["addressee"] != line["character_id"]
            not_to_the_last_speaker += line["addressee"] != previous["character_id"]
        # The mentor does not lecture one person for the whole scene.
        assert len({line["addressee"] for line in lines if line["character_id"] == "mentor_4"}) >= 2 or sum(
            line["character_id"] == "mentor_4" for line in lines
        ) <= 2
    assert not_to_the_last_speaker >= 12


def test_the_emotion_follows_the_move(db, owner_client):
    mood_emotions = {e for mood in dialogue_catalog()["moods"].values() for e in mood["emotions"]}
    for cast, options in scenes("en", 16):
        for line in write(owner_client, cast, **options):
            allowed = set(MOVES[line["move"]]["emotions"]["calm"]) | set(MOVES[line["move"]]["emotions"]["heated"])
            assert line["emotion"] in allowed | mood_emotions | {"anxious"}, line


def test_each_dialogue_type_follows_its_arc(db, owner_client):
    cast = [character("hero"), character("mentor", 2)]
    beats = {}
    for dialogue_type in dialogue_catalog()["dialogue_types"]:
        people = cast[:1] if dialogue_type == "monologue" else cast
        lines = write(owner_client, people, dialogue_type=dialogue_type, num_lines=12)
        beats[dialogue_type] = [line["beat"] for line in lines]
        if dialogue_type == "intro":
            assert lines[0]["move"] in ("greet", "introduce")
            introductions = [line for line in lines if line["move"] == "introduce"]
            assert introductions and all(line["character_name"] in line["dialogue"] for line in introductions)
        if dialogue_type == "monologue":
            assert {line["addressee"] for line in lines} == {""}
    assert list(dict.fromkeys(beats["conflict"])) == ["challenge", "escalate", "peak", "turn"]
    assert beats["outro"][-1] == "farewell" and beats["resolution"][-1] == "resolve"
    assert list(dict.fromkeys(beats["monologue"])) == ["observe", "reflect", "resolve"]


def test_every_archetype_speaks_only_from_its_own_frames(db, owner_client):
    for language in ("en", "fr"):
        for cast, options in scenes(language, 16, num_lines=12):
            for line in write(owner_client, cast, **options):
                if "—" in line["dialogue"][-1:] or "…" in line["dialogue"][-1:]:
                    continue  # cut off: only part of its frame is said
                assert frames_matching(language, archetype_of(line), line["dialogue"]), line
                for other in ARCHETYPES:
                    if other != archetype_of(line):
                        assert not frame_of(language, other, line["dialogue"]), (other, line)


# 2. Context -------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "fr"])
def test_at_least_one_line_in_four_refers_to_the_context(db, owner_client, language):
    total = referring = 0
    for cast, options in scenes(language, 24):
        phrases = context_phrases(options["context"], language)
        for line in write(owner_client, cast, **options):
            total += 1
            referring += any(phrase in line["dialogue"].lower() for phrase in phrases)
    assert referring / total >= 0.25, f"{referring} of {total}"


def test_the_original_example_says_tonight_and_names_the_fight(db, owner_client):
    cast = [{"character_id": "hero_001", "name": "Héros", "archetype": "hero"},
            {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"}]  # fmt: skip
    context = {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "tense"}
    said = " ".join(
        line["dialogue"] for seed in range(20) for line in write(owner_client, cast, dialogue_type="conflict", context=context, seed=seed)
    ).lower()
    assert "tonight" in said and "this fight" in said and "château ancien" in said


def test_strangers_in_an_intro_share_no_past(db, owner_client):
    for language in ("en", "fr"):
        for cast, options in scenes(language, 16):
            for line in write(owner_client, cast, **{**options, "dialogue_type": "intro"}):
                frame = frame_of(language, archetype_of(line), line["dialogue"])
                assert frame is None or not frame.past, line


def test_a_scene_without_context_never_mentions_one(db, owner_client):
    phrases = context_phrases(CONTEXTS["en"][1], "en")
    for cast, options in scenes("en", 8):
        for line in write(owner_client, cast, **{**options, "context": {}}):
            assert not any(phrase in line["dialogue"].lower() for phrase in phrases), line


# 3. Traits --------------------------------------------------------------------------------

def trait_side(frame, move, trait):
    """+1 when the line expresses the trait's high end, -1 its low end, 0 neither."""
    tag = dict(frame.traits).get(trait) if frame else None
    if tag:
        return 1 if tag == "high" else -1
    pull = MOVES[move]["traits"].get(trait, 0)
    return (pull > 0) - (pull < 0)


@pytest.mark.parametrize("trait", TRAIT_TESTS)
def test_each_trait_changes_a_third_of_the_lines_in_its_direction(db, owner_client, trait):
    changed = total = 0
    direction = {0.1: 0, 0.9: 0}
    for cast, options in scenes("en", 16):
        said = {}
        for score in (0.1, 0.9):
            people = [{**cast[0], "personality_traits": {trait: score}}, cast[1]]
            mine = [line for line in write(owner_client, people, **options) if line["character_id"] == cast[0]["character_id"]]
            said[score] = mine
            for line in mine:
                frame = frame_of("en", archetype_of(line), line["dialogue"])
                direction[score] += trait_side(frame, line["move"], trait)
        for low, high in itertools.zip_longest(said[0.1], said[0.9]):
            total += 1
            changed += (low or {}).get("dialogue") != (high or {}).get("dialogue")
    assert changed / total >= 1 / 3, f"{changed} of {total} lines changed"
    assert direction[0.9] > direction[0.1] + 5, direction


# 4. Turn-taking templates -----------------------------------------------------------------

def test_interrupted_lines_are_cut_off_and_the_next_speaker_barges_in(db, owner_client):
    for language, end in (("en", "—"), ("fr", "…")):
        lines = write(owner_client, [character("hero"), character("comic_relief", 2)], template="interrupted", num_lines=20, language=language)
        cut = [i for i, line in enumerate(lines[:-1]) if line["dialogue"].endswith(end) and ("cut off" in line["voice_direction"] or "coupé" in line["voice_direction"])]
        assert cut
        for i in cut:
            assert lines[i + 1]["character_id"] != lines[i]["character_id"]
            assert not lines[i]["dialogue"].endswith("?")


def test_parallel_lines_alternate_speech_and_the_listener_s_thoughts(db, owner_client):
    lines = write(owner_client, [character("hero"), character("villain", 2)], template="parallel", num_lines=8)
    assert [line["is_thought"] for line in lines] == [False, True] * 4
    for i in range(1, 7, 2):
        assert lines[i]["character_id"] == lines[i - 1]["addressee"]  # the listener thinks...
        assert lines[i + 1]["character_id"] == lines[i]["character_id"]  # ...then speaks
        assert lines[i]["move"] == "think" and lines[i]["addressee"] == ""


def test_multi_party_gives_the_floor_by_role(db, owner_client):
    cast = [character("comic_relief", role="background"), character("sidekick", 2, role="supporting"), character("hero", 3, role="lead")]
    spoken = Counter()
    for seed in range(5):
        lines = write(owner_client, cast, template="multi_party", num_lines=12, seed=seed)
        assert lines[0]["character_id"] == "hero_3"
        spoken.update(line["character_id"] for line in lines)
    assert spoken["hero_3"] > spoken["comic_relief_1"] and spoken["sidekick_2"] > spoken["comic_relief_1"] > 0


def test_building_rises_from_calm_to_heated(db, owner_client):
    lines = write(owner_client, [character("sidekick"), character("protagonist", 2)], template="building", num_lines=20)
    calm = lambda line: line["emotion"] in MOVES[line["move"]]["emotions"]["calm"] or line["emotion"] == "anxious"  # noqa: E731
    assert sum(calm(line) for line in lines[:5]) >= 4
    assert sum(calm(line) for line in lines[-5:]) <= 2


def test_a_monologue_has_one_voice_and_no_listener(db, owner_client):
    lines = write(owner_client, [character("transformer")], dialogue_type="monologue", num_lines=15)
    assert {line["character_id"] for line in lines} == {"transformer_1"}
    assert all(line["addressee"] == "" and "Sable" not in line["dialogue"][1:] for line in lines)


def test_an_anxious_character_stammers(db, owner_client):
    nervous = character("protagonist", personality_traits={"anxiety": 1.0})
    lines = write(owner_client, [nervous, character("mentor", 2)], num_lines=20)
    mine = [line for line in lines if line["character_id"] == "protagonist_1"]
    assert any(re.match(r"^\w+— ", line["dialogue"]) for line in mine)
    assert all("nervous" in line["voice_direction"] for line in mine)


def test_names_and_places_are_used_verbatim_never_read_as_frame_syntax(db, owner_client):
    tricky = "{listener} [self:a|b] {Bob|Al}"
    cast = [character("hero", name=tricky), character("villain", 2, name="Zed")]
    lines = write(owner_client, cast, dialogue_type="conflict", num_lines=30, context={"location": "The {place} Inn [x:y|z]"})
    assert all(line["character_name"] == tricky for line in lines if line["character_id"] == "hero_1")
    assert any(tricky in line["dialogue"] or "The {place} Inn [x:y|z]" in line["dialogue"] for line in lines)
    assert not any("Bob" in line["dialogue"].replace(tricky, "") for line in lines)


# 5. Grammar and tics ----------------------------------------------------------------------

def test_two_thousand_generated_french_lines_have_no_grammalecte_error(db, owner_client):
    said = []
    n = 0
    while len(said) < 2000:
        cast, options = next(itertools.islice(scenes("fr", n + 1, num_lines=20), n, None))
        for number, person in enumerate(cast):
            person["pronouns"] = ["she", "he", ""][(n + number) % 3]
        said += [line["dialogue"] for line in write(owner_client, cast, **options)]
        n += 1
    errors = grammar_errors(said[:2000])
    assert not errors, f"{len(errors)} errors in 2,000 lines:\n" + "\n".join(errors[:30])


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_no_tics_over_a_hundred_dialogues(db, owner_client, archetype):
    lines_with, named, count = Counter(), 0, 0
    for n in range(100):
        partner = ARCHETYPES[(ARCHETYPES.index(archetype) + 1 + n % 7) % len(ARCHETYPES)]
        cast = [character(archetype), character(partner, 2)]
        context = CONTEXTS["en"][n % 3]
        lines = write(owner_client, cast, dialogue_type=TYPES[n % len(TYPES)], context=context, num_lines=20, seed=n)
        masked = {w for value in context.values() for w in words(value).split()} | {w.lower() for w in NAMES + ["Aria2"]}
        used = []
        for line in lines:
            if line["is_thought"] is False and line["dialogue"].endswith("?"):
                assert line["move"] in DEMANDING | {"deflect", "greet", "joke", "retort"} and lines.index(line) < len(lines) - 1, line
            if line["character_id"] != f"{archetype}_1":
                continue
            count += 1
            addressee = next((c for c in cast if c["character_id"] == line["addressee"]), None)
            named += bool(addressee and addressee["name"] in line["dialogue"])
            tokens = words(line["dialogue"]).split()
            grams = {" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)}
            lines_with.update(g for g in grams if not set(g.split()) & masked and not set(g.split()) <= STOPWORDS)
            frame = frame_of("en", archetype, line["dialogue"])
            if frame is not None:
                used.append(frame.id)
        assert len(used) == len(set(used)), f"a frame used twice in dialogue {n}"
    assert named / count <= 0.3, f"the listener is named in {named} of {count} lines"
    phrase, hits = lines_with.most_common(1)[0]
    assert hits / count <= 0.1, f"{phrase!r} in {hits} of {count} lines"


# 6. Variety -------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("pair", [("hero", "villain"), ("mentor", "protagonist"), ("comic_relief", "sidekick")])
def test_five_dialogues_by_the_same_pair_share_at_most_a_quarter_of_their_frames(db, owner_client, language, pair):
    """Two of the five share a quarter of their frames on average, and no two share 40%."""
    cast = [character(pair[0]), character(pair[1], 2)]
    used = []
    for seed in range(5):
        lines = write(owner_client, cast, dialogue_type="conversation", num_lines=20, seed=seed, language=language,
                      context=CONTEXTS[language][seed % 3])  # fmt: skip
        frames = {frame_of(language, archetype_of(line), line["dialogue"]) for line in lines} - {None}
        assert len(frames) >= 18, "lines the frames cannot be traced to"
        used.append({frame.id for frame in frames})
    shares = [len(first & second) / len(first) for first, second in itertools.combinations(used, 2)]
    assert sum(shares) / len(shares) <= 0.25 and max(shares) <= 0.4, shares
