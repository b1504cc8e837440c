"""Names for the enums whose field name several vocabularies share (`mood` is a scene mood
in dialogues and an image mood in prompts and grids), so the OpenAPI schema names them well."""
from automation.catalog import dialogue_catalog, prompt_catalog

DIALOGUE_MOODS = list(dialogue_catalog()["moods"])
IMAGE_MOODS = sorted(prompt_catalog()["moods"])

TEXT_PROVIDERS = ["builtin", "llm"]
IMAGE_PROVIDERS = ["builtin", "comfyui"]
