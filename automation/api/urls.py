from django.urls import re_path
from rest_framework.routers import SimpleRouter

from automation.api.characters import CharacterViewSet
from automation.api.dialogue import DialogueDetailView, DialogueGenerateView, DialogueHistoryView, DialogueOptionsView
from automation.api.grids import (
    GridDetailView,
    GridGenerateView,
    GridListView,
    GridOptionsView,
    GridPanelImageView,
    GridSheetView,
)
from automation.api.health import HealthView
from automation.api.jobs import JobViewSet
from automation.api.prompts import PromptEnhanceView, PromptHistoryView, PromptStylesView, PromptStyleViewSet

app_name = "automation-api"
UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class OptionalSlashRouter(SimpleRouter):
    """The API table and the original client write paths without a trailing slash
    (`jobs/{job_id}/retry`); both spellings route, and reverse() gives the slashless one."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("prompt/styles/custom", PromptStyleViewSet, basename="prompt-style")
router.register("characters", CharacterViewSet, basename="character")

urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^dialogue/generate/?$", DialogueGenerateView.as_view(), name="dialogue-generate"),
    re_path(r"^dialogue/history/?$", DialogueHistoryView.as_view(), name="dialogue-history"),
    re_path(r"^dialogue/options/?$", DialogueOptionsView.as_view(), name="dialogue-options"),
    re_path(rf"^dialogue/(?P<scene_id>{UUID})/?$", DialogueDetailView.as_view(), name="dialogue-detail"),
    re_path(r"^prompt/enhance/?$", PromptEnhanceView.as_view(), name="prompt-enhance"),
    re_path(r"^prompt/styles/?$", PromptStylesView.as_view(), name="prompt-styles"),
    re_path(r"^prompt/history/?$", PromptHistoryView.as_view(), name="prompt-history"),
    # `options` before the id routes, and ids are UUIDs, so `options` is never taken for one.
    re_path(r"^character/grid/?$", GridListView.as_view(), name="grid-list"),
    re_path(r"^character/grid/generate/?$", GridGenerateView.as_view(), name="grid-generate"),
    re_path(r"^character/grid/options/?$", GridOptionsView.as_view(), name="grid-options"),
    re_path(rf"^character/grid/(?P<bundle_id>{UUID})/?$", GridDetailView.as_view(), name="grid-detail"),
    re_path(rf"^character/grid/(?P<bundle_id>{UUID})/sheet\.png$", GridSheetView.as_view(), name="grid-sheet"),
    re_path(
        rf"^character/grid/(?P<bundle_id>{UUID})/panels/(?P<panel_id>{UUID})\.png$",
        GridPanelImageView.as_view(),
        name="grid-panel-image",
    ),
    *router.urls,
]
