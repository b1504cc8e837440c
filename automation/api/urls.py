from django.urls import re_path
from rest_framework.routers import SimpleRouter

from automation.api.characters import CharacterViewSet
from automation.api.dialogue import DialogueDetailView, DialogueGenerateView, DialogueHistoryView
from automation.api.health import HealthView
from automation.api.jobs import JobViewSet
from automation.api.prompts import PromptEnhanceView, PromptStylesView

app_name = "automation-api"


class OptionalSlashRouter(SimpleRouter):
    """DESIGN.md and the original client write paths without a trailing slash
    (`jobs/{job_id}/retry`); both spellings route, and reverse() gives the slashless one."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("characters", CharacterViewSet, basename="character")

urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^dialogue/generate/?$", DialogueGenerateView.as_view(), name="dialogue-generate"),
    re_path(r"^dialogue/history/?$", DialogueHistoryView.as_view(), name="dialogue-history"),
    re_path(
        r"^dialogue/(?P<scene_id>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})/?$",
        DialogueDetailView.as_view(),
        name="dialogue-detail",
    ),
    re_path(r"^prompt/enhance/?$", PromptEnhanceView.as_view(), name="prompt-enhance"),
    re_path(r"^prompt/styles/?$", PromptStylesView.as_view(), name="prompt-styles"),
    *router.urls,
]
