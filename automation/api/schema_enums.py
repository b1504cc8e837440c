"""Names for the enums that two vocabularies share a field name for (`mood` is a scene mood
in dialogues and an image mood in prompts and grids), so the OpenAPI schema names them well."""
from automation.catalog import dialogue_catalog, prompt_catalog

DIALOGUE_MOODS = list(dialogue_catalog()["moods"])
IMAGE_MOODS = sorted(prompt_catalog()["moods"])
