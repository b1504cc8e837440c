"""The request bodies the benchmark sends: the original client's examples."""

DIALOGUE_BODY = {
    "characters": [
        {"character_id": "aria", "name": "Aria", "archetype": "hero", "personalityTraits": {"courage": 0.9}},
        {"character_id": "malvek", "name": "Malvek", "archetype": "villain", "personalityTraits": {"cunning": 0.8}},
    ],
    "context": {"location": "the ruined bridge", "timeOfDay": "dusk", "mood": "tense"},
    "dialogueType": "conflict",
    "numLines": 10,
}

PROMPT_BODY = {
    "base_prompt": "A knight in shining armor",
    "style": "fantasy",
    "lighting": "dramatic",
    "mood": "epic",
    "quality": "high",
}

GRID_BODY = {"character_id": "aria", "character_name": "Aria", "grid_size": "2x2", "style": "anime"}
