"""Vocabularies and style catalogs, kept as data files in catalog/data/ and loaded once."""
import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    with open(DATA_DIR / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


def prompt_catalog() -> dict[str, Any]:
    return load("prompt")


def grid_catalog() -> dict[str, Any]:
    return load("grid")


def dialogue_catalog() -> dict[str, Any]:
    """Roles, traits, dialogue types (with their arcs), templates, moods, context phrasing."""
    return load("dialogue")


def archetype_voices() -> dict[str, Any]:
    """Each archetype: its label, its summary (what the llm provider is told) and its temperament
    (default traits). Its lines are its frames (dialogue_frames)."""
    return load("voices")


def lexicon(language: str) -> dict[str, Any]:
    """The words of a language the built-in writer agrees with (genders, hours, translations)."""
    return load(f"lexicon/{language}")


@cache
def dialogue_frames(language: str, archetype: str) -> list[dict[str, Any]]:
    """One archetype's frames in one language, as written in catalog/data/frames/."""
    return load(f"frames/{language}/{archetype}")["frames"]


def dialogue_directions(language: str, archetype: str) -> dict[str, Any]:
    """One archetype's stage directions in one language: gestures and delivery, calm and heated."""
    data = load(f"frames/{language}/{archetype}")
    return {"gestures": data["gestures"], "delivery": data["delivery"]}
