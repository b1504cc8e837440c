"""The shape of a dialogue before any words: who speaks each line, which beat of the arc
it belongs to, and how intense it is. Both text providers write to the same plan, so the
dialogue type and the template shape an LLM's dialogue exactly as they shape the built-in one."""
from dataclasses import dataclass, field, replace
from typing import Any

from automation.catalog import archetype_voices, dialogue_catalog

HEATED_AT = 0.6  # a line at or above this intensity is spoken in the voice's heated register


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

    def trait(self, name: str) -> float:
        return self.traits.get(name, 0.5)


@dataclass(frozen=True)
class Turn:
    speaker: int  # index into the speakers
    listener: int | None  # whom the line is addressed to (None in a monologue)
    beat: str  # the arc's move: challenge, escalate, peak, turn, greet, ...
    intensity: float  # 0 (calm) to 1 (explosive)
    is_thought: bool = False
    interrupted: bool = False  # cut off by the next speaker
    interrupts: bool = False  # barges in on the previous line

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


def speaking_order(speakers: list[Speaker], *, template: str, num_lines: int) -> list[int]:
    """Who speaks each line. linear/interrupted/building: in the order given, in turn.
    multi_party: rounds ordered by role, minor and background characters every other round.
    parallel: each spoken line is followed by the listener's thought, who then speaks."""
    count = len(speakers)
    if count == 1:
        return [0] * num_lines
    if template == "parallel":
        order = []
        for pair in range(num_lines):
            order += [pair % count, (pair + 1) % count]
        return order[:num_lines]
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


def plan_dialogue(
    speakers: list[Speaker],
    *,
    dialogue_type: str,
    template: str,
    num_lines: int,
    mood: str,
    rng,
) -> list[Turn]:
    """The full plan; `rng` (a random.Random) only decides where interruptions fall."""
    order = speaking_order(speakers, template=template, num_lines=num_lines)
    beats = beats_for(dialogue_type, num_lines)
    mood_shift = dialogue_catalog()["moods"].get(mood, {}).get("intensity", 0.0)
    turns = []
    for index, (speaker, (beat, intensity)) in enumerate(zip(order, beats)):
        if template == "building":
            # Rises from quiet to explosive whatever the type's own arc says.
            intensity = 0.1 + 0.9 * index / max(1, num_lines - 1)
        intensity = min(1.0, max(0.0, intensity + mood_shift + temperament(speakers[speaker])))
        is_thought = template == "parallel" and index % 2 == 1
        turns.append(
            Turn(
                speaker=speaker,
                listener=_listener(order, index, len(speakers)),
                beat=beat,
                intensity=round(intensity, 3),
                is_thought=is_thought,
            )
        )
    if template == "interrupted":
        turns = _interruptions(turns, speakers, rng)
    return turns


def _listener(order: list[int], index: int, count: int) -> int | None:
    """The last other character who spoke, else the next one to speak, else the next in line."""
    if count == 1:
        return None
    speaker = order[index]
    for other in reversed(order[:index]):
        if other != speaker:
            return other
    for other in order[index + 1 :]:
        if other != speaker:
            return other
    return (speaker + 1) % count


def _interruptions(turns: list[Turn], speakers: list[Speaker], rng) -> list[Turn]:
    """Cut a line off when the next speaker is hot-headed or talkative enough to barge in;
    at least one cut per dialogue of two lines or more, so the template always shows."""
    cuts = set()
    for index in range(len(turns) - 1):
        nxt = speakers[turns[index + 1].speaker]
        if turns[index + 1].speaker == turns[index].speaker:
            continue
        eagerness = 0.15 + 0.45 * max(nxt.trait("temper"), nxt.trait("extraversion"))
        if rng.random() < eagerness:
            cuts.add(index)
    if not cuts and len(turns) >= 2 and turns[0].speaker != turns[1].speaker:
        cuts.add(0)
    return [
        replace(turn, interrupted=index in cuts, interrupts=index - 1 in cuts)
        for index, turn in enumerate(turns)
    ]
