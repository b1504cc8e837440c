"""The app's tables, one module per area; import them from `automation.models`."""
from automation.models.dialogue import Character, Dialogue, DialogueLine
from automation.models.grids import CharacterGrid, GridPanel
from automation.models.jobs import GenerationJob, JobAttempt
from automation.models.prompts import PromptEnhancement, PromptStyle

__all__ = [
    "Character",
    "CharacterGrid",
    "Dialogue",
    "DialogueLine",
    "GenerationJob",
    "GridPanel",
    "JobAttempt",
    "PromptEnhancement",
    "PromptStyle",
]
