"""characters_by_id, the cast read of every dialogue request (SQL compiled once per number of
ids): the same characters as the ORM's own query, never another user's."""
import pytest

from automation.characters import characters_by_id
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

    found = characters_by_id(owner=owner, character_ids=ids)

    expected = {c.character_id: c for c in Character.objects.filter(owner=owner, character_id__in=ids)}
    assert found == expected
    assert all(found[cid].owner_id == owner.pk for cid in found)
    for character_id, character in found.items():  # whole rows, the JSON decoded
        assert character.personality_traits == {"courage": 0.5}
        assert character.name == character_id.title()


def test_another_users_characters_and_unknown_ids_are_left_out(db, casts, other):
    found = characters_by_id(owner=other, character_ids=["aria", "b", "malvek", "nobody"])

    assert {cid: c.name for cid, c in found.items()} == {"aria": "Other Aria", "b": "B"}


def test_repeated_and_empty_ids(db, casts, owner):
    assert set(characters_by_id(owner=owner, character_ids=["aria", "aria", "malvek"])) == {"aria", "malvek"}
    assert characters_by_id(owner=owner, character_ids=[]) == {}
