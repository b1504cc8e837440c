"""Services for a user's characters (their cast)."""
from typing import Any

from django.db import transaction

from automation.models import Character

EDITABLE = ("name", "archetype", "role", "personality_traits", "description", "speech_notes")


def character_upsert(*, owner, data: dict[str, Any], current: Character | None = None) -> Character:
    """Create the owner's character `data["character_id"]`, or update the fields `data` gives.

    `current` is the stored character when the caller has just read it (saves a query)."""
    given = {field: data[field] for field in EDITABLE if field in data}
    # A client usually sends the same cast with every request: when nothing changed, a
    # plain read answers without taking the write lock (SQLite serializes every writer).
    if current is None:
        current = Character.objects.filter(owner=owner, character_id=data["character_id"]).first()
    if current is not None and all(getattr(current, field) == value for field, value in given.items()):
        return current
    with transaction.atomic():
        character, created = Character.objects.select_for_update().get_or_create(
            owner=owner, character_id=data["character_id"], defaults=given
        )
        if not created and given:
            for field, value in given.items():
                setattr(character, field, value)
            character.save(update_fields=[*given, "updated_at"])
    return character


def character_snapshot(character: Character) -> dict[str, Any]:
    """A character as a generation request carries it."""
    return {"character_id": character.character_id, **{field: getattr(character, field) for field in EDITABLE}}
