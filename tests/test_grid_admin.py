"""The grids in the admin: list with sheet thumbnails, panels inline."""
import pytest
from django.test import Client

from automation.models import CharacterGrid
from tests.support.grids import GENERATE_URL, ORIGINAL_EXAMPLE, body, png_size
from tests.support.jobs import run_job


pytestmark = pytest.mark.usefixtures("builtin_images")


@pytest.fixture
def admin_browser(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def grid(db, owner_client) -> CharacterGrid:
    job = run_job(owner_client.post(GENERATE_URL, {**ORIGINAL_EXAMPLE, "gridSize": "2x2"}, format="json").data["job_id"])
    return CharacterGrid.objects.get(job=job)


def test_the_grid_list_shows_a_sheet_thumbnail_that_loads(grid, admin_browser):
    page = admin_browser.get("/admin/automation/charactergrid/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'src="{grid.sheet_url()}"' in html
    assert "Héros Principal" in html
    # The thumbnail's URL works with the admin's session.
    image = admin_browser.get(grid.sheet_url())
    assert image.status_code == 200 and png_size(body(image))[0] == 2 * 440


def test_the_grid_page_shows_its_panels_inline(grid, admin_browser):
    page = admin_browser.get(f"/admin/automation/charactergrid/{grid.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for panel in grid.panels.all():
        assert panel.image_url() in html
        assert panel.pose in html and panel.expression in html


def test_a_user_without_staff_rights_cannot_open_the_sheet_of_another(grid, other):
    client = Client()
    client.force_login(other)
    assert client.get(grid.sheet_url()).status_code == 404
