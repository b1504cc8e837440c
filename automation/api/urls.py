from django.urls import re_path
from rest_framework.routers import SimpleRouter

from automation.api.health import HealthView
from automation.api.jobs import JobViewSet
from automation.api.prompts import PromptEnhanceView, PromptHistoryView, PromptStylesView, PromptStyleViewSet

app_name = "automation-api"


class OptionalSlashRouter(SimpleRouter):
    """DESIGN.md and the original client write paths without a trailing slash
    (`jobs/{job_id}/retry`); both spellings route, and reverse() gives the slashless one."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("prompt/styles/custom", PromptStyleViewSet, basename="prompt-style")

urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^prompt/enhance/?$", PromptEnhanceView.as_view(), name="prompt-enhance"),
    re_path(r"^prompt/styles/?$", PromptStylesView.as_view(), name="prompt-styles"),
    re_path(r"^prompt/history/?$", PromptHistoryView.as_view(), name="prompt-history"),
    *router.urls,
]
