"""Dynamic base prompts: `{a|b|c}` alternatives and `__wildcard__` files, expanded with
the dynamicprompts library, reproducibly for a given seed.

One RandomPromptGenerator per request (it owns its seeded `random.Random`), so concurrent
requests never share or disturb a random state.
"""
import random
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from dynamicprompts.enums import SamplingMethod
from dynamicprompts.generators import RandomPromptGenerator
from dynamicprompts.sampling_context import SamplingContext
from dynamicprompts.wildcards import WildcardManager

SEED_MAX = 2**32 - 1
# Draw this many candidates per wanted variant when checking a template expands to something.
DRAWS_PER_VARIANT = 10
CYCLE_STARTS = 64  # the seed starts the cycles at one of this many points
EMPTY_EXPANSION = "The prompt expands to nothing; give it some text outside the {a|b} choices."
WILDCARD = re.compile(r"__([^_\s](?:[^\s]*?[^_\s])?)__")


class TemplateError(ValueError):
    """The base prompt's dynamic syntax cannot be expanded; the message says why."""


@cache
def _wildcard_manager(path: str) -> WildcardManager:
    return WildcardManager(Path(path))


def wildcard_manager() -> WildcardManager:
    return _wildcard_manager(str(settings.STORYCORE_PROMPT_WILDCARDS_DIR))


def wildcard_names() -> list[str]:
    return sorted(wildcard_manager().get_collection_names())


def is_dynamic(text: str) -> bool:
    """Whether the text uses any syntax dynamicprompts would change; plain prompts skip it
    entirely and so stay byte-for-byte as written."""
    return "{" in text or "__" in text


def check_template(text: str) -> None:
    """Raise TemplateError for unknown wildcards or syntax dynamicprompts cannot parse."""
    if not is_dynamic(text):
        return
    manager = wildcard_manager()
    unknown = [name for name in dict.fromkeys(WILDCARD.findall(text)) if not _known_wildcard(manager, name)]
    if unknown:
        names = ", ".join(f"__{name}__" for name in unknown)
        available = ", ".join(f"__{name}__" for name in wildcard_names())
        raise TemplateError(f"Unknown wildcard {names}. Available wildcards: {available}.")
    try:
        draws = RandomPromptGenerator(wildcard_manager=manager, seed=0).generate(text, DRAWS_PER_VARIANT)
    except Exception as exc:  # pyparsing reports syntax errors with its own exception types
        raise TemplateError(
            f"The prompt's {{a|b}} / __wildcard__ syntax cannot be read ({exc}). "
            "Check that every '{' has its '}' and that '__' only wraps a wildcard name."
        ) from exc
    if not any(draw.strip() for draw in draws):
        raise TemplateError(EMPTY_EXPANSION)


def _known_wildcard(manager: WildcardManager, name: str) -> bool:
    # dynamicprompts refuses path tricks itself, but logs a traceback for each; skip them here.
    if ".." in name or name.startswith("/"):
        return False
    return bool(list(manager.get_values(name)))


def new_seed() -> int:
    return random.SystemRandom().randint(0, SEED_MAX)


def expand(text: str, *, count: int, seed: int) -> list[str]:
    """`count` expansions of `text`: every `{a|b|c}` choice and wildcard cycles through its
    values (dynamicprompts' cyclical sampling), so each gives a different value before any
    repeats; the seed chooses where the cycles start. A template with fewer expansions than
    asked repeats them in the same order."""
    if not is_dynamic(text):
        return [text] * count
    start = seed % CYCLE_STARTS
    context = SamplingContext(
        default_sampling_method=SamplingMethod.CYCLICAL, wildcard_manager=wildcard_manager(), rand=random.Random(seed)
    )
    draws = [str(prompt).strip() for prompt in context.sample_prompts(text, start + count)][start:]
    if not any(draws):
        raise TemplateError(EMPTY_EXPANSION)
    return draws
