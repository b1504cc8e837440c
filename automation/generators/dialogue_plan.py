"""The shape of a dialogue before any words: for each line, who speaks, to whom, which move
the line makes (ask, answer, challenge, retort, …), which beat of the arc it belongs to and
how intense it is. Both text providers write to the same plan, so an LLM's dialogue follows
the type, the template and the replies exactly as the built-in one does.

A line that demands a reply (a question, a challenge, a threat, a plea) is answered by the
character it was put to, with one of its move's replies (dialogue.json "moves"), chosen by
that character's traits: an honest one answers, a cunning one deflects, a brave one retorts,
a humble one concedes. Other lines are free: the template picks the speaker, the arc's beat
offers its moves ("phases"), and the speaker's traits weigh them.
"""
import math
from dataclasses import dataclass, field, replace
from typing import Any

from automation.catalog import archetype_voices, dialogue_catalog

HEATED_AT = 0.6  # a line at or above this intensity is spoken in the heated register
TRAIT_WEIGHT = 2.5  # how strongly a trait at 0.9 or 0.1 pulls a move up or down
DEMANDING = {"ask", "challenge", "threaten", "plead"}  # answered by the addressee, always
UNADDRESSED = {"observe", "reflect", "share", "reveal", "decide"}  # what a monologue may do
REPEAT_FACTOR = 0.35  # a move's weight for each time the speaker has already made it
MOVE_INTENSITY = {"threaten": 0.15, "challenge": 0.1, "retort": 0.1, "plead": 0.05, "comfort": -0.15, "joke": -0.1, "greet": -0.05}


@dataclass(frozen=True)
class Speaker:
    character_id: str
    name: str
    archetype: str
    role: str = "supporting"
    # Every trait, 0-1: the archetype's temperament, overridden by what the request gave.
    traits: dict[str, float] = field(default_factory=dict)
    description: str = ""
    speech_notes: str = ""
    pronouns: str = ""  # "she", "he", "they" or "" (unknown): what French agreement follows

    def trait(self, name: str) -> float:
        return self.traits.get(name, 0.5)


@dataclass(frozen=True)
class Turn:
    speaker: int  # index into the speakers
    listener: int | None  # the addressee (None in a monologue and for a thought)
    beat: str  # the arc's phase: challenge, escalate, peak, turn, greet, ...
    move: str  # what the line does: ask, answer, retort, ...
    intensity: float  # 0 (calm) to 1 (explosive)
    is_thought: bool = False
    interrupted: bool = False  # cut off by the next speaker
    interrupts: bool = False  # barges in on the previous line
    replies_to: int | None = None  # the index of the line this one answers
    topic: str = ""  # for an ask, what it asks about; an answer takes its question's topic

    @property
    def register(self) -> str:
        return "heated" if self.intensity >= HEATED_AT else "calm"


def speaker_from_params(data: dict[str, Any]) -> Speaker:
    traits = {name: 0.5 for name in dialogue_catalog()["traits"]}
    traits.update(archetype_voices()[data["archetype"]].get("traits", {}))
    traits.update(data.get("personality_traits") or {})
    return Speaker(
        character_id=data["character_id"],
        name=data["name"],
        archetype=data["archetype"],
        role=data.get("role") or "supporting",
        traits=traits,
        description=data.get("description") or "",
        speech_notes=data.get("speech_notes") or "",
        pronouns=data.get("pronouns") or "",
    )


def temperament(speaker: Speaker) -> float:
    """How far a character runs hot (positive) or cool (negative) compared with the arc:
    temper and nerves push a line up, patience and agreeableness hold it down."""
    return (
        0.45 * (speaker.trait("temper") - 0.5)
        - 0.35 * (speaker.trait("patience") - 0.5)
        + 0.15 * (speaker.trait("neuroticism") - 0.5)
        - 0.1 * (speaker.trait("agreeableness") - 0.5)
    )


def beats_for(dialogue_type: str, num_lines: int) -> list[tuple[str, float]]:
    """Spread the type's arc over the lines in proportion to each phase's share. With two
    lines or more the first and last phases are always present: an intro greets, an outro
    says goodbye, a conflict turns."""
    arc = dialogue_catalog()["dialogue_types"][dialogue_type]["arc"]
    total = sum(share for _, share, _ in arc)
    beats = []
    for index in range(num_lines):
        position = (index + 0.5) / num_lines * total
        cumulative = 0.0
        for move, share, intensity in arc:
            cumulative += share
            if position <= cumulative:
                break
        beats.append((move, intensity))
    if num_lines >= 2:
        beats[0] = (arc[0][0], arc[0][2])
        beats[-1] = (arc[-1][0], arc[-1][2])
    return beats


def free_speakers(speakers: list[Speaker], *, template: str, num_lines: int) -> list[int]:
    """Who takes the floor when no one is owed a reply. linear/interrupted/building/parallel:
    in the order given, in turn. multi_party: rounds ordered by role, minor and background
    characters every other round."""
    count = len(speakers)
    if count == 1:
        return [0] * num_lines
    if template == "multi_party":
        roles = dialogue_catalog()["roles"]
        by_role = sorted(range(count), key=lambda i: (roles[speakers[i].role]["rank"], i))
        order: list[int] = []
        round_number = 0
        while len(order) < num_lines:
            for index in by_role:
                takes_part = roles[speakers[index].role]["every_round"] or round_number % 2 == 0
                if takes_part and (not order or order[-1] != index):
                    order.append(index)
            round_number += 1
        return order[:num_lines]
    return [i % count for i in range(num_lines)]


def trait_pull(speaker: Speaker, move: str) -> float:
    """A move's weight factor from the speaker's traits (dialogue.json "moves" → "traits")."""
    pulls = dialogue_catalog()["moves"][move]["traits"]
    return math.exp(TRAIT_WEIGHT * sum(weight * (speaker.trait(name) - 0.5) * 2 for name, weight in pulls.items()))


def choose_move(speaker: Speaker, options: dict[str, float], rng, *, made: list[str] = (), capacity=None) -> str:
    """One of `options` (move → the beat's weight), pulled by the speaker's traits; each time
    the speaker has already made a move in this scene it comes up less, so a villain does
    not threaten line after line. `capacity(speaker, move)`, when given, is how many lines of
    that move the writer has for the speaker: a move weighs as much more as it has lines left
    (so two scenes of the same cast rarely say the same lines), and one it has run out of is
    not chosen while another remains."""
    moves = sorted(options)
    weights = [options[move] * trait_pull(speaker, move) * REPEAT_FACTOR ** made.count(move) for move in moves]
    if capacity is not None:
        left = [weight * max(0, capacity(speaker, move) - made.count(move)) for move, weight in zip(moves, weights)]
        if any(left):
            weights = left
    return rng.choices(moves, weights=weights)[0]


def choose_topic(dialogue_type: str, asked: list[str], rng) -> str:
    """What a question is about: who someone is in an intro, what happened and what now
    elsewhere; a topic already asked in the scene comes up again less."""
    topics = list(dialogue_catalog()["topics"])
    bias = {"intro": {"identity": 3, "motive": 2}, "conflict": {"motive": 2, "trust": 2, "plan": 1.5}}.get(dialogue_type, {})
    weights = [bias.get(topic, 1.0) / (1 + 2 * asked.count(topic)) for topic in topics]
    return rng.choices(topics, weights=weights)[0]


def choose_addressee(speakers: list[Speaker], speaker: int, turns: list[Turn], rng) -> int:
    """Whom a free line is said to: most often who just spoke, then the characters this
    archetype has most to say to (dialogue.json "affinity"), and anyone not yet drawn in."""
    affinity = dialogue_catalog()["affinity"].get(speakers[speaker].archetype, [])
    roles = dialogue_catalog()["roles"]
    recent = [turn for turn in turns[-3:] if not turn.is_thought]
    candidates, weights = [], []
    for other in range(len(speakers)):
        if other == speaker:
            continue
        weight = 1.0
        if recent and recent[-1].speaker == other:
            weight += 2.0
        if any(turn.speaker == other and turn.listener == speaker for turn in recent):
            weight += 1.0
        if not any(other in (turn.speaker, turn.listener) for turn in turns):
            weight += 1.5
        if speakers[other].archetype in affinity:
            weight *= 2.0
        if not roles[speakers[other].role]["every_round"]:
            weight *= 0.5
        candidates.append(other)
        weights.append(weight)
    return rng.choices(candidates, weights=weights)[0]


def plan_dialogue(
    speakers: list[Speaker],
    *,
    dialogue_type: str,
    template: str,
    num_lines: int,
    mood: str,
    rng,
    capacity=None,
) -> list[Turn]:
    """The full plan; every choice comes from `rng` (a random.Random), so a seed replays it.
    `capacity`: see choose_move (the built-in writer's frame counts; None for an LLM)."""
    catalog = dialogue_catalog()
    beats = beats_for(dialogue_type, num_lines)
    floor = free_speakers(speakers, template=template, num_lines=num_lines)
    mood_shift = catalog["moods"].get(mood, {}).get("intensity", 0.0)
    alone = len(speakers) == 1
    turns: list[Turn] = []
    pointer = 0  # where the template's floor order has reached
    asked: list[str] = []
    for index, (beat, intensity) in enumerate(beats):
        last = index == num_lines - 1
        thinker = _thinker(turns) if template == "parallel" else None
        owed = _owed_reply(turns, rng)
        listener: int | None
        if thinker is not None:
            # The listener's unspoken thought on what was just said; then they speak.
            speaker, listener, move, replies_to, topic = thinker, None, "think", None, ""
        elif owed is not None:
            asker = turns[owed]
            speaker, listener, replies_to = asker.listener, asker.speaker, owed
            options = {reply: 1.0 for reply in catalog["moves"][asker.move]["replies"]}
            if last:
                options = {m: w for m, w in options.items() if m not in DEMANDING} or {"answer": 1.0}
            move = choose_move(speakers[speaker], options, rng, made=_moves_made(turns, speaker), capacity=capacity)
            topic = asker.topic if move == "answer" else ""
        else:
            if template == "parallel" and turns and turns[-1].is_thought:
                speaker = turns[-1].speaker
            else:
                speaker, pointer = _free_speaker(floor, turns, pointer)
            options = dict(catalog["phases"][beat])
            if alone:
                options = {m: w for m, w in options.items() if m in UNADDRESSED} or {"reflect": 1.0}
            if last:
                options = {m: w for m, w in options.items() if m not in DEMANDING} or {"decide": 1.0}
            move = choose_move(speakers[speaker], options, rng, made=_moves_made(turns, speaker), capacity=capacity)
            listener = None if alone else choose_addressee(speakers, speaker, turns, rng)
            replies_to = None
            topic = choose_topic(dialogue_type, asked, rng) if move == "ask" else ""
            if topic:
                asked.append(topic)
        if template == "building":
            # Rises from quiet to explosive whatever the type's own arc says.
            intensity = 0.1 + 0.9 * index / max(1, num_lines - 1)
        intensity += mood_shift + temperament(speakers[speaker]) + MOVE_INTENSITY.get(move, 0.0)
        turns.append(
            Turn(
                speaker=speaker,
                listener=listener,
                beat=beat,
                move=move,
                intensity=round(min(1.0, max(0.0, intensity)), 3),
                is_thought=move == "think",
                replies_to=replies_to,
                topic=topic,
            )
        )
    if template == "interrupted":
        turns = _interruptions(turns, speakers, rng)
    return turns


def _moves_made(turns: list[Turn], speaker: int) -> list[str]:
    return [turn.move for turn in turns if turn.speaker == speaker]


def _thinker(turns: list[Turn]) -> int | None:
    """In `parallel`, who thinks next: the addressee of a spoken line that has had no thought yet."""
    if turns and not turns[-1].is_thought and turns[-1].listener is not None:
        return turns[-1].listener
    return None


def _owed_reply(turns: list[Turn], rng) -> int | None:
    """The line the next one answers, if any: the last spoken line when it demands a reply
    (a question, a challenge, a threat, a plea), or when it invites one (a greeting, a joke,
    a revelation) and the addressee takes it up (its move's reply_chance). A reply that does
    not itself demand one closes the exchange."""
    spoken = [index for index, turn in enumerate(turns) if not turn.is_thought]
    if not spoken:
        return None
    index = spoken[-1]
    turn = turns[index]
    if turn.listener is None:
        return None
    if turn.move in DEMANDING:
        return index
    if turn.replies_to is not None:
        return None
    return index if rng.random() < dialogue_catalog()["moves"][turn.move]["reply_chance"] else None


def _free_speaker(floor: list[int], turns: list[Turn], pointer: int) -> tuple[int, int]:
    """The template's next speaker from `pointer` on, skipping whoever spoke last; and where
    the order goes on from."""
    last = turns[-1].speaker if turns else None
    for step in range(len(floor)):
        position = (pointer + step) % len(floor)
        if floor[position] != last:
            return floor[position], position + 1
    return floor[pointer % len(floor)], pointer + 1


def _interruptions(turns: list[Turn], speakers: list[Speaker], rng) -> list[Turn]:
    """Cut a line off when the next speaker is hot-headed or talkative enough to barge in;
    at least one cut per dialogue of two lines or more, so the template always shows. A
    question is never cut: its answer must follow it whole."""
    cuts = set()
    for index in range(len(turns) - 1):
        nxt = speakers[turns[index + 1].speaker]
        if turns[index + 1].speaker == turns[index].speaker or turns[index].move in DEMANDING:
            continue
        eagerness = 0.15 + 0.45 * max(nxt.trait("temper"), nxt.trait("extraversion"))
        if rng.random() < eagerness:
            cuts.add(index)
    if not cuts:
        for index in range(len(turns) - 1):
            if turns[index].speaker != turns[index + 1].speaker and turns[index].move not in DEMANDING:
                cuts.add(index)
                break
    return [replace(turn, interrupted=index in cuts, interrupts=index - 1 in cuts) for index, turn in enumerate(turns)]
