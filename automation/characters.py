"""Services for a user's characters (their cast)."""
import functools
from typing import Any

from django.db import connections, router, transaction

from automation.models import Character

EDITABLE = ("name", "archetype", "role", "personality_traits", "description", "speech_notes", "pronouns")
SNAPSHOT = ("character_id", *EDITABLE)
OWNER_MARKER = -1  # stands for the owner's id in the compiled cast query


def cast_snapshots(*, owner, character_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The owner's characters among `character_ids`, as character_snapshot gives them, keyed
    by character_id.

    Every dialogue request reads its cast this way. Building and compiling this query in
    the ORM took twice as long as running it, so the ORM compiles it once per database and
    number of ids (_cast_sql), and each request runs that SQL with its values."""
    ids = list(dict.fromkeys(character_ids))
    if not ids:
        return {}
    database = router.db_for_read(Character)
    sql, markers = _cast_sql(database, len(ids))
    values = {OWNER_MARKER: owner.pk, **dict(zip(_id_markers(len(ids)), ids))}
    connection = connections[database]
    with connection.cursor() as cursor:
        cursor.execute(sql, [values[marker] for marker in markers])
        rows = cursor.fetchall()
    # Text columns come back as they are; the traits are JSON, decoded as the model does.
    traits = Character._meta.get_field("personality_traits")
    cast = {}
    for row in rows:
        snapshot = dict(zip(SNAPSHOT, row))
        snapshot["personality_traits"] = traits.from_db_value(snapshot["personality_traits"], None, connection)
        cast[snapshot["character_id"]] = snapshot
    return cast


def _id_markers(count: int) -> list[str]:
    """Stand for the character ids in the compiled cast query."""
    return [f"character-{n}" for n in range(count)]


@functools.cache
def _cast_sql(database: str, count: int) -> tuple[str, tuple]:
    """The SQL and, in order, the marker values standing for the parameters."""
    query = (
        Character.objects.filter(owner_id=OWNER_MARKER, character_id__in=_id_markers(count))
        .order_by()
        .values_list(*SNAPSHOT)
        .query
    )
    sql, markers = query.get_compiler(using=database).as_sql()
    return sql, tuple(markers)


def character_upsert(*, owner, data: dict[str, Any], current: dict[str, Any] | None = None) -> None:
    """Create the owner's character `data["character_id"]`, or update the fields `data` gives.

    `current` is the stored character's snapshot when the caller has just read it (saves a
    query)."""
    given = {field: data[field] for field in EDITABLE if field in data}
    # A client usually sends the same cast with every request: when nothing changed, a
    # plain read answers without taking the write lock (SQLite serializes every writer).
    if current is None:
        stored = Character.objects.filter(owner=owner, character_id=data["character_id"]).first()
        current = character_snapshot(stored) if stored else None
    if current is not None and all(current[field] == value for field, value in given.items()):
        return
    with transaction.atomic():
        character, created = Character.objects.select_for_update().get_or_create(
            owner=owner, character_id=data["character_id"], defaults=given
        )
        if not created and given:
            for field, value in given.items():
                setattr(character, field, value)
            character.save(update_fields=[*given, "updated_at"])


def character_snapshot(character: Character) -> dict[str, Any]:
    """A character as a generation request carries it."""
    return {"character_id": character.character_id, **{field: getattr(character, field) for field in EDITABLE}}
