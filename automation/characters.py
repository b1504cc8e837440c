"""Services for a user's characters (their cast)."""
import functools
from typing import Any

from django.db import router, transaction

from automation.models import Character

EDITABLE = ("name", "archetype", "role", "personality_traits", "description", "speech_notes")


def characters_by_id(*, owner, character_ids: list[str]) -> dict[str, Character]:
    """The owner's characters among `character_ids`, keyed by character_id.

    Every dialogue request reads its cast this way. Building and compiling this query in
    the ORM took twice as long as running it, so the ORM compiles it once per database and
    number of ids (_characters_by_id_sql), and each request runs that SQL with its values."""
    ids = list(dict.fromkeys(character_ids))
    if not ids:
        return {}
    sql, markers = _characters_by_id_sql(router.db_for_read(Character), len(ids))
    values = {OWNER_MARKER: owner.pk, **dict(zip(_id_markers(len(ids)), ids))}
    cast = Character.objects.raw(sql, [values[marker] for marker in markers])
    return {character.character_id: character for character in cast}


OWNER_MARKER = -1


def _id_markers(count: int) -> list[str]:
    return [f"character-{n}" for n in range(count)]


@functools.cache
def _characters_by_id_sql(database: str, count: int) -> tuple[str, tuple]:
    """The SQL and, in order, the marker values standing for the parameters."""
    query = Character.objects.filter(owner_id=OWNER_MARKER, character_id__in=_id_markers(count)).order_by().query
    sql, markers = query.get_compiler(using=database).as_sql()
    return sql, tuple(markers)


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
