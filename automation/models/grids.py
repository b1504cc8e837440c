"""Character grids (character sheets): one bundle, its panels, and their images.

Image files live in the default storage under `grids/<bundle_id>/`, a path built by the
server from the grid's UUID (never from the character id or any other user text). They
are deleted when their rows are, however the rows go: `delete()`, a queryset delete (the
cleanup schedule, the admin's bulk action) or a cascade from the owner. Django sends
post_delete for each of those, and the files go only once the deletion has committed, so
a rolled-back delete never leaves rows pointing at missing files.
"""
import os
import uuid
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

GRID_MEDIA_DIR = "grids"


def grid_directory(bundle_id: uuid.UUID | str) -> str:
    return f"{GRID_MEDIA_DIR}/{uuid.UUID(str(bundle_id))}"


def sheet_path(bundle_id) -> str:
    return f"{grid_directory(bundle_id)}/sheet.png"


def panel_path(bundle_id, *, row: int, col: int) -> str:
    return f"{grid_directory(bundle_id)}/panel-r{int(row)}-c{int(col)}.png"


def delete_stored_files(names: list[str]) -> None:
    """Delete files from the default storage, then their grid directories once empty."""
    directories = set()
    for name in names:
        if name:
            default_storage.delete(name)
            directories.add(name.rsplit("/", 1)[0])
    for directory in directories:
        _remove_empty_directory(directory)


def _remove_empty_directory(directory: str) -> None:
    # Only a local filesystem storage has directories to tidy; others have none.
    try:
        path = default_storage.path(directory)
    except NotImplementedError:
        return
    try:
        os.rmdir(path)
    except OSError:
        pass  # not empty (another file of the grid remains) or already gone


def delete_orphan_files(*, older_than: datetime) -> int:
    """Delete grid directories that have no grid row and were last written before
    `older_than`: what a worker killed mid-run leaves behind (a run that ends any other
    way removes its own files). Returns the number of files deleted."""
    try:
        directories, _ = default_storage.listdir(GRID_MEDIA_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    deleted = 0
    for directory in directories:
        try:
            bundle_id = uuid.UUID(directory)
        except ValueError:
            continue  # not ours
        if CharacterGrid.objects.filter(pk=bundle_id).exists():
            continue
        _, files = default_storage.listdir(f"{GRID_MEDIA_DIR}/{directory}")
        names = [f"{GRID_MEDIA_DIR}/{directory}/{name}" for name in files]
        if any(default_storage.get_modified_time(name) >= older_than for name in names):
            continue  # possibly a run still in progress
        delete_stored_files(names)
        _remove_empty_directory(f"{GRID_MEDIA_DIR}/{directory}")
        deleted += len(names)
    return deleted


class CharacterGrid(models.Model):
    class Provider(models.TextChoices):
        BUILTIN = "builtin", "Built-in contact sheet"
        COMFYUI = "comfyui", "ComfyUI"

    bundle_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="character_grids")
    # One job produces at most one grid: the database enforces it.
    job = models.OneToOneField(
        "automation.GenerationJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="character_grid"
    )
    character_id = models.SlugField(max_length=64)
    character_name = models.CharField(max_length=100)
    character_description = models.TextField(blank=True)
    grid_size = models.CharField(max_length=8)
    rows = models.PositiveSmallIntegerField()
    cols = models.PositiveSmallIntegerField()
    outfits = models.JSONField(default=list)
    poses = models.JSONField(default=list)
    expressions = models.JSONField(default=list)
    camera_angles = models.JSONField(default=list)
    style = models.CharField(max_length=64)
    lighting = models.CharField(max_length=64)
    mood = models.CharField(max_length=64)
    quality = models.CharField(max_length=64)
    seed = models.BigIntegerField()
    width = models.PositiveIntegerField(help_text="Panel width in pixels asked of the image provider.")
    height = models.PositiveIntegerField(help_text="Panel height in pixels asked of the image provider.")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    sheet = models.FileField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="grid_owner_recent"),
            models.Index(fields=["created_at"], name="grid_created"),
        ]

    def __str__(self) -> str:
        return f"{self.character_name} {self.grid_size} ({self.bundle_id})"

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def total_panels(self) -> int:
        return self.rows * self.cols

    def sheet_url(self) -> str:
        return reverse("automation-api:grid-sheet", kwargs={"bundle_id": self.bundle_id})


class GridPanel(models.Model):
    panel_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    grid = models.ForeignKey(CharacterGrid, on_delete=models.CASCADE, related_name="panels")
    row = models.PositiveSmallIntegerField()
    col = models.PositiveSmallIntegerField()
    outfit = models.CharField(max_length=64)
    pose = models.CharField(max_length=64)
    expression = models.CharField(max_length=64)
    camera_angle = models.CharField(max_length=64)
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    seed = models.BigIntegerField()
    image = models.FileField(max_length=255, blank=True)

    class Meta:
        ordering = ["row", "col"]
        constraints = [models.UniqueConstraint(fields=["grid", "row", "col"], name="grid_panel_cell_unique")]

    def __str__(self) -> str:
        return f"r{self.row}c{self.col} {self.outfit}/{self.pose}/{self.expression}"

    def image_url(self) -> str:
        return reverse("automation-api:grid-panel-image", kwargs={"bundle_id": self.grid_id, "panel_id": self.panel_id})


def _delete_files_on_commit(*names: str) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(partial(delete_stored_files, names))


@receiver(post_delete, sender=CharacterGrid, dispatch_uid="grid_sheet_file_cleanup")
def _grid_deleted(sender, instance: CharacterGrid, **kwargs) -> None:
    _delete_files_on_commit(instance.sheet.name)


@receiver(post_delete, sender=GridPanel, dispatch_uid="grid_panel_file_cleanup")
def _panel_deleted(sender, instance: GridPanel, **kwargs) -> None:
    _delete_files_on_commit(instance.image.name)
