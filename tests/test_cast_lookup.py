"""cast_snapshots, the cast read of every dialogue request (SQL compiled once per number of
ids): the same characters as the ORM's own query, never another user's."""
import pytest

from automation.characters import cast_snapshots, character_snapshot
from automation.models import Character

IDS = ["aria", "malvek", "o'brien", "zed_9", "x-1", "Ünïcode", "b", "c"]


@pytest.fixture
def casts(owner, other):
    for character_id in IDS[:6]:
        Character.objects.create(owner=owner, character_id=character_id, name=character_id.title(), archetype="hero",
                                 personality_traits={"courage": 0.5})  # fmt: skip
    Character.objects.create(owner=other, character_id="b", name="B", archetype="villain")
    Character.objects.create(owner=other, character_id="aria", name="Other Aria", archetype="mentor")


@pytest.mark.parametrize("count", range(1, 9))
def test_it_finds_what_the_orm_finds(db, casts, owner, count):
    ids = IDS[:count]

    found = cast_snapshots(owner=owner, character_ids=ids)

    stored = Character.objects.filter(owner=owner, character_id__in=ids)
    expected = {character.character_id: character_snapshot(character) for character in stored}
    assert found == expected
    for character_id, snapshot in found.items():  # whole snapshots, the JSON decoded
        assert snapshot["personality_traits"] == {"courage": 0.5}
        assert snapshot["name"] == character_id.title()


def test_another_users_characters_and_unknown_ids_are_left_out(db, casts, other):
    found = cast_snapshots(owner=other, character_ids=["aria", "b", "malvek", "nobody"])

    assert {cid: c["name"] for cid, c in found.items()} == {"aria": "Other Aria", "b": "B"}


def test_repeated_and_empty_ids(db, casts, owner):
    assert set(cast_snapshots(owner=owner, character_ids=["aria", "aria", "malvek"])) == {"aria", "malvek"}
    assert cast_snapshots(owner=owner, character_ids=[]) == {}
