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
