"""The app's tables, one module per area; import them from `automation.models`."""
from automation.models.dialogue import Character, Dialogue, DialogueLine
from automation.models.jobs import GenerationJob, JobAttempt
from automation.models.prompts import PromptEnhancement

__all__ = ["Character", "Dialogue", "DialogueLine", "GenerationJob", "JobAttempt", "PromptEnhancement"]
