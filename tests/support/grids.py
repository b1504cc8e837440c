"""Helpers shared by the grid tests: the original request, and reading what was stored."""
import io

from PIL import Image

GENERATE_URL = "/api/automation/character/grid/generate"

# The original client's example (spec, "Génération de Grille"), verbatim camelCase.
ORIGINAL_EXAMPLE = {
    "characterId": "hero_001",
    "characterName": "Héros Principal",
    "gridSize": "3x3",
    "outfits": ["casual", "combat", "armor"],
    "poses": ["standing", "walking", "fighting", "casting"],
    "expressions": ["neutral", "happy", "angry", "determined"],
}


def png_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        return image.size


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored_files(media_root) -> list[str]:
    grids = media_root / "grids"
    return sorted(str(p.relative_to(media_root)) for p in grids.rglob("*") if p.is_file()) if grids.exists() else []
