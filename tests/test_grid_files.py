"""Grid images go with their rows, however the rows are deleted, and only then."""
import io
import os
import time
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction

from automation.models import CharacterGrid, GridPanel
from tests.support.grids import GENERATE_URL, ORIGINAL_EXAMPLE, stored_files
from tests.support.jobs import run_job


pytestmark = pytest.mark.usefixtures("builtin_images")


@pytest.fixture
def grid(db, owner_client, media) -> CharacterGrid:
    job = run_job(owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "gridSize": "2x2"}, format="json").data["job_id"])
    assert len(stored_files(media)) == 5
    return CharacterGrid.objects.get(job=job)


def test_deleting_a_grid_deletes_its_images(grid, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        grid.delete()
    assert not GridPanel.objects.exists()
    assert stored_files(media) == []
    assert not (media / "grids" / str(grid.bundle_id)).exists()


def test_the_cleanup_schedule_deletes_old_grids_with_their_images(
    grid, owner_client, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_history", days=0, batch_size=1, stdout=io.StringIO())
    assert not CharacterGrid.objects.exists()
    assert stored_files(media) == []


def test_the_cleanup_keeps_recent_grids(grid, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_history", days=30, stdout=io.StringIO())
    assert CharacterGrid.objects.filter(pk=grid.pk).exists()
    assert len(stored_files(media)) == 5


def test_deleting_the_owner_deletes_their_grid_images(grid, owner, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()
    assert stored_files(media) == []


def test_a_rolled_back_delete_keeps_the_images(grid, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                CharacterGrid.objects.all().delete()
                raise RuntimeError("abort")
    assert CharacterGrid.objects.exists()
    assert len(stored_files(media)) == 5


def test_the_cleanup_sweeps_old_files_of_runs_that_never_completed(grid, media, settings):
    old, fresh = media / "grids" / str(uuid.uuid4()), media / "grids" / str(uuid.uuid4())
    for directory in (old, fresh):
        directory.mkdir(parents=True)
        (directory / "panel-r0-c0.png").write_bytes(b"\x89PNG")
    long_ago = time.time() - settings.STORYCORE_JOB_TIMEOUT - settings.STORYCORE_JOB_LEASE - 60
    os.utime(old / "panel-r0-c0.png", (long_ago, long_ago))
    os.utime(media / CharacterGrid.objects.get().sheet.name, (long_ago, long_ago))

    call_command("cleanup_history", days=30, stdout=io.StringIO())

    assert not old.exists()  # a killed worker's leftovers
    assert (fresh / "panel-r0-c0.png").exists()  # maybe a run in progress
    assert len(stored_files(media)) == 5 + 1  # the stored grid is untouched
