"""Comma-separated prompt tags as ComfyUI and A1111 read them.

A tag may carry emphasis — `(tag:1.2)`, `((tag))`, `[tag]` — or be a LoRA call
`<lora:name:0.8>`; a weighted group may hold commas of its own: `(red hair, blue eyes:1.2)`.
Tags are split only on commas outside brackets and are never rewritten; a normalised
*key* is used to compare them, so `(dramatic lighting:1.3)` written by the user counts as
the catalog's `dramatic lighting` and the catalog's copy is not added again.
"""
import re

from automation.generators.english import singular

OPENERS = {"(": ")", "[": "]", "{": "}", "<": ">"}
CLOSERS = set(OPENERS.values())
WEIGHT_SUFFIX = re.compile(r":\s*-?\d+(?:\.\d+)?\s*$")


def split_tags(text: str) -> list[str]:
    """Split on top-level commas; drop empty pieces; keep each tag's text as written."""
    tags, current, depth, escaped = [], [], 0, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth:
            depth -= 1
        elif char == "," and depth == 0:
            tags.append("".join(current))
            current = []
            continue
        current.append(char)
    tags.append("".join(current))
    return [tag.strip() for tag in tags if tag.strip()]


def tag_key(tag: str) -> str:
    """What a tag means, ignoring emphasis brackets, weight and case: `((Epic:1.2))` -> `epic`."""
    key = tag.strip()
    if key.startswith("<"):  # a LoRA/embedding call is compared as written
        return " ".join(key.lower().split())
    while len(key) >= 2 and key[0] in "([" and key[-1] == OPENERS[key[0]]:
        key = key[1:-1].strip()
        key = WEIGHT_SUFFIX.sub("", key).strip()
    return " ".join(key.lower().split())


def unique(tags: list[str], *, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Tags in first-seen order, without repeats or ones whose key is in `exclude`."""
    seen = set(exclude)
    kept = []
    for tag in tags:
        key = tag_key(tag)
        if key and key not in seen:
            seen.add(key)
            kept.append(tag)
    return kept


def keys(tags: list[str]) -> set[str]:
    return {tag_key(tag) for tag in tags}


# Words that say nothing of what a tag asks for ("a", "of"; "shot" and "view" only say it is a framing).
FUNCTION_WORDS = {"a", "an", "the", "of", "and", "in", "on", "with", "to", "at", "by", "for", "from", "into", "over", "shot", "view"}


def content_words(tag: str) -> set[str]:
    """A tag's words that carry its meaning, each as its root: "neon lights" and "neon
    lighting" share "neon", "motion blur" and "blurry" share "blur"."""
    return {word_root(word) for word in re.findall(r"[a-z0-9]+", tag_key(tag)) if word not in FUNCTION_WORDS}


def forbids(negative_tag: str, tag: str) -> bool:
    """Whether a negative prompt's tag forbids a positive tag: every word of the negative
    one is in the positive one ("blurry" forbids "silky motion blur", "natural" forbids
    "natural lighting"; "low detail" does not forbid "intricate details")."""
    words = content_words(negative_tag)
    return bool(words) and words <= content_words(tag)


def word_root(word: str) -> str:
    """The word without its plural (inflect) or its adjective ending: "details", "detailed" →
    "detail"; "blurry" → "blur"; "noisy", "noise" → "nois"."""
    root = singular(word)
    for ending in ("ed", "y", "e"):
        if len(root) > len(ending) + 3 and root.endswith(ending):
            root = root[: -len(ending)]
            if ending == "y" and root[-1] == root[-2]:
                root = root[:-1]  # blurry → blurr → blur
            break
    return root
