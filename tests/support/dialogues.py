"""The original client's dialogue example (spec, "Génération de Dialogue"), verbatim."""

ORIGINAL_EXAMPLE = {
    "characters": [
        {"character_id": "hero_001", "name": "Héros", "archetype": "hero"},
        {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"},
    ],
    "context": {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "tense"},
    "dialogueType": "conflict",
    "numLines": 10,
}
