"""English number, from inflect (not hand-written plural rules): shared by the dialogue
writer's agreement and the prompt enhancer's word comparison."""
from functools import cache

import inflect


@cache
def _engine() -> inflect.engine:
    return inflect.engine()


def singular(word: str) -> str:
    """The singular of an English noun ("lights" → "light"); other words as they are."""
    return _engine().singular_noun(word) or word


def is_plural(noun: str) -> bool:
    return bool(_engine().singular_noun(noun))
