"""Prompt-enhancement history: what a user sees of it, and deleting it."""
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet

from automation.jobs import delete_in_batches
from automation.models import PromptEnhancement


def prompt_history_for(user) -> QuerySet[PromptEnhancement]:
    """Enhancements the user may see, newest first: their own, or everyone's for staff
    (staff see all: README, "HTTP API"). Deleting stays limited to one's own."""
    history = PromptEnhancement.objects.select_related("job").order_by("-created_at", "-id")
    return history if user.is_staff else history.filter(owner=user)


def prompt_history_delete(*, owner, before: datetime | None = None) -> int:
    """Delete the owner's enhancements (only those created before `before`, if given);
    returns how many. Their jobs stay in the job history."""
    history = PromptEnhancement.objects.filter(owner=owner)
    if before is not None:
        history = history.filter(created_at__lt=before)
    return delete_in_batches(history, batch_size=settings.STORYCORE_CLEANUP_BATCH_SIZE)
