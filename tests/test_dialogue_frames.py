"""The built-in writer's frame catalog, file by file: enough frames for every move, context
and traits, no tics, nothing the request did not give, and every frame grammatical once
expanded with every kind of slot value (French checked by Grammalecte). docs/dialogue.md
("Frames: how one is written, tagged and added")
is the rulebook these tests hold the files to."""
import itertools
import re
from collections import Counter

import pytest

from automation.catalog import archetype_voices, dialogue_catalog, dialogue_directions
from automation.generators.dialogue_frames import SLOT, AGREE, catalog
from automation.generators.dialogue_slots import LANGUAGES, person, scene_for
from tests.support.frames import STOPWORDS
from tests.support.grammalecte import grammar_errors

ARCHETYPES = list(archetype_voices())
FILES = [(language, archetype) for language in LANGUAGES for archetype in ARCHETYPES]
MINIMUM_PER_MOVE = {
    "greet": 3, "introduce": 3, "ask": 7, "answer": 12, "deflect": 4, "observe": 4, "share": 5, "reveal": 3,
    "challenge": 5, "retort": 5, "threaten": 3, "plead": 3, "concede": 3, "comfort": 3, "joke": 3, "decide": 4,
    "reflect": 3, "farewell": 3, "think": 3, "interject": 2,
}
TRAITS = ["courage", "temper", "patience", "honesty", "humility", "cunning", "compassion", "anxiety"]
QUESTION_MOVES = {"greet", "ask", "deflect", "challenge", "threaten", "plead", "think", "reflect", "joke", "retort"}
FORBIDDEN = {
    "en": r"\b(fool|fools|insect|insects|sword|swords|blade|horse|horses|captain|king|queen|beard|letter|"
          r"hand|hands|fist|eyes|face|arm|arms|head|heart|teeth|lips|knife|gun|map|ring|crown|mother|father|brother|sister)\b",
    "fr": r"\b(imbécile|idiot|insecte|épée|épées|lame|cheval|chevaux|capitaine|roi|reine|barbe|lettre|main|mains|poing|"
          r"yeux|visage|bras|tête|cœur|dents|lèvres|couteau|pistolet|carte|bague|couronne|mère|père|frère|sœur)\b",
}

# Every kind of slot value a request gives: names with and without a leading vowel, places
# with and without their article (and a place's own name), singular and plural, both genders.
SCENES = {
    "en": [
        {"location": "the market", "time_of_day": "night", "weather": "rain", "situation": "combat"},
        {"location": "Château ancien", "time_of_day": "dawn", "weather": "clouds", "situation": "a missing shipment"},
        {"location": "ruins", "time_of_day": "evening", "weather": "fog", "situation": "negotiations"},
        {"location": "an old mill", "time_of_day": "the blue hour", "weather": "storm", "situation": "the funeral"},
        {"location": "the docks", "time_of_day": "nuit", "weather": "pluie", "situation": "une chasse"},
    ],
    "fr": [
        {"location": "le marché", "time_of_day": "nuit", "weather": "pluie", "situation": "combat"},
        {"location": "Château ancien", "time_of_day": "aube", "weather": "orage", "situation": "une cargaison disparue"},
        {"location": "taverne", "time_of_day": "soir", "weather": "nuages", "situation": "les négociations"},
        {"location": "l'auberge", "time_of_day": "midi", "weather": "brouillard", "situation": "funérailles"},
        {"location": "les ruines", "time_of_day": "night", "weather": "storm", "situation": "fight"},
        {"location": "Valombre", "time_of_day": "crépuscule", "weather": "neige", "situation": "une enquête"},
        {"location": "hangar", "time_of_day": "matin", "weather": "vent", "situation": "la poursuite"},
    ],
}
PEOPLE = [("Aria", "she"), ("Malvor", "he"), ("Élise", "she"), ("Héros", "he"), ("Sam", "")]


def expansions(language, frame):
    """The frame once per scene and per pair of speaker and listener."""
    for context, ((me, my_pronouns), (you, your_pronouns)) in itertools.product(
        SCENES[language], itertools.permutations(PEOPLE, 2)
    ):
        slots = scene_for(context, language).with_people(person(me, my_pronouns, language), person(you, your_pronouns, language))
        text = frame.render(slots)
        if text is not None:
            yield text


def words(text):
    return re.findall(r"[\w'’-]+", text.lower())


def bare(frame):
    return SLOT.sub(" ", AGREE.sub(" ", frame.text))


@pytest.mark.parametrize("language,archetype", FILES)
def test_the_file_has_enough_frames_for_every_move(language, archetype):
    frames = catalog(language, archetype)
    moves = Counter(frame.move for frame in frames)
    short = {move: f"{moves[move]} of {least}" for move, least in MINIMUM_PER_MOVE.items() if moves[move] < least}
    assert not short, f"{language}/{archetype}: too few frames for {short}"
    assert sum(count for move, count in moves.items() if move != "interject") >= 60
    assert len({frame.text for frame in frames}) == len(frames), "a frame is written twice"


@pytest.mark.parametrize("language,archetype", FILES)
def test_every_topic_is_asked_and_answered(language, archetype):
    frames = catalog(language, archetype)
    asks = Counter(frame.topic for frame in frames if frame.move == "ask")
    answers = Counter(frame.topic for frame in frames if frame.move == "answer")
    thin = {topic: (asks[topic], answers[topic]) for topic in dialogue_catalog()["topics"] if asks[topic] < 1 or answers[topic] < 2}
    assert not thin, f"topics with fewer than 1 ask or 2 answers (asks, answers): {thin}"


@pytest.mark.parametrize("language,archetype", FILES)
def test_the_context_is_in_enough_frames_and_moves(language, archetype):
    frames = catalog(language, archetype)
    uses = {slot: [f for f in frames if slot in f.context_slots] for slot in ("place", "time", "weather", "situation")}
    least = {"place": 6, "time": 4, "weather": 3, "situation": 4}
    assert all(len(uses[slot]) >= least[slot] for slot in least), {slot: len(found) for slot, found in uses.items()}
    contextual = [f for f in frames if f.context_slots]
    assert len(contextual) >= 20
    assert len({f.move for f in contextual}) >= 6, "context only in a few moves"


@pytest.mark.parametrize("language,archetype", FILES)
def test_eight_traits_each_have_frames_at_both_ends(language, archetype):
    tagged = Counter(pair for frame in catalog(language, archetype) for pair in frame.traits)
    missing = [f"{trait} {end}" for trait in TRAITS for end in ("high", "low") if tagged[(trait, end)] < 2]
    assert not missing, missing


@pytest.mark.parametrize("language,archetype", FILES)
def test_no_tics_in_the_file(language, archetype):
    frames = catalog(language, archetype)
    named = [f for f in frames if "listener" in f.slots and re.search(r"\{listener", f.text)]
    gendered = [f for f in frames if re.search(r"\[(self|listener):", f.text)]
    assert len(named) <= 0.2 * len(frames), f"{len(named)} of {len(frames)} frames name the listener"
    assert len(gendered) <= 0.15 * len(frames), f"{len(gendered)} of {len(frames)} frames need a gender"
    grams = Counter()
    for frame in frames:
        tokens = words(bare(frame))
        found = {
            " ".join(tokens[i : i + n])
            for n in (2, 3)
            for i in range(len(tokens) - n + 1)
            if not all(t in STOPWORDS for t in tokens[i : i + n])
        }
        grams.update(found)
    common = {gram: count for gram, count in grams.items() if count > 3}
    assert not common, f"phrases in more than 3 frames: {common}"


@pytest.mark.parametrize("language,archetype", FILES)
def test_nothing_the_request_did_not_give(language, archetype):
    for frame in catalog(language, archetype):
        assert not re.search(FORBIDDEN[language], bare(frame).lower()), frame.text
    directions = dialogue_directions(language, archetype)
    for kind in ("gestures", "delivery"):
        for side in ("calm", "heated"):
            assert len(directions[kind][side]) >= 5, (kind, side)
            for text in directions[kind][side]:
                assert not re.search(FORBIDDEN[language], text.lower()), text


@pytest.mark.parametrize("language,archetype", FILES)
def test_questions_end_in_a_question_mark_and_statements_never_do(language, archetype):
    for frame in catalog(language, archetype):
        ends_as_question = frame.text.rstrip().endswith("?")
        if frame.move == "ask":
            assert ends_as_question, frame.text
        elif frame.move not in QUESTION_MOVES:
            assert not ends_as_question, f"a {frame.move} ends in '?': {frame.text}"


def test_no_frame_is_shared_between_two_archetypes():
    seen = {}
    for language, archetype in FILES:
        for frame in catalog(language, archetype):
            key = (language, " ".join(words(frame.text)))
            assert seen.setdefault(key, archetype) == archetype, f"{frame.text!r} in {seen[key]} and {archetype}"


@pytest.mark.parametrize("language,archetype", FILES)
def test_every_frame_expands_with_every_kind_of_slot_value(language, archetype):
    for frame in catalog(language, archetype):
        lines = list(expansions(language, frame))
        assert lines, f"{frame.text!r} never expands"
        for line in lines:
            assert "{" not in line and "[" not in line, line
            assert "  " not in line and not line[0].islower(), line


def test_english_agreement_follows_number():
    from automation.generators.dialogue_frames import Frame

    frame = Frame(id="t", archetype="hero", language="en", move="observe", text="{weather.noun} [weather:is|are] heavy.")
    singular = scene_for({"weather": "rain"}, "en").with_people(person("A", "", "en"), None)
    plural = scene_for({"weather": "clouds"}, "en").with_people(person("A", "", "en"), None)
    assert frame.render(singular) == "The rain is heavy."
    assert frame.render(plural) == "The clouds are heavy."
    assert scene_for({"location": "an old mill"}, "en").context["place"].form("") == "the old mill"


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_french_frames_are_grammatical_with_every_kind_of_slot_value(archetype):
    lines = sorted({line for frame in catalog("fr", archetype) for line in expansions("fr", frame)})
    errors = grammar_errors(lines)
    assert not errors, f"{len(errors)} Grammalecte errors in {len(lines)} lines:\n" + "\n".join(errors[:40])
