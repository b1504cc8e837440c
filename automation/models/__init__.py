"""The app's tables, one module per area; import them from `automation.models`."""
from automation.models.grids import CharacterGrid, GridPanel
from automation.models.jobs import GenerationJob, JobAttempt
from automation.models.prompts import PromptEnhancement, PromptStyle

__all__ = ["CharacterGrid", "GenerationJob", "GridPanel", "JobAttempt", "PromptEnhancement", "PromptStyle"]
