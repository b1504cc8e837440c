"""Staff manage jobs in the admin: readable pages, retry and cancel on mixed selections."""
import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from automation.models import GenerationJob

CHANGELIST = "/admin/automation/generationjob/"


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def make_jobs(owner) -> dict[str, GenerationJob]:
    return {
        status: GenerationJob.objects.create(
            owner=owner, type="prompt", status=status, params={"base_prompt": "x"}, next_attempt_at=timezone.now()
        )
        for status in ["pending", "processing", "completed", "failed", "cancelled"]
    }


def post_action(admin_client, action, selected):
    return admin_client.post(
        CHANGELIST, {"action": action, "_selected_action": [str(j.pk) for j in selected]}, follow=True
    )


def statuses(selected) -> dict[str, str]:
    return {name: GenerationJob.objects.get(pk=job.pk).status for name, job in selected.items()}


def test_retry_selected_changes_only_failed_and_cancelled_jobs(db, admin_client, owner):
    selected = make_jobs(owner)
    response = post_action(admin_client, "retry_selected", selected.values())

    assert statuses(selected) == {
        "pending": "pending", "processing": "processing", "completed": "completed",
        "failed": "pending", "cancelled": "pending",
    }  # fmt: skip
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Retried 2 job(s). Skipped 3 job(s)")


def test_cancel_selected_changes_only_jobs_that_can_be_cancelled(db, admin_client, owner):
    selected = make_jobs(owner)
    response = post_action(admin_client, "cancel_selected", selected.values())

    assert statuses(selected) == {
        "pending": "cancelled", "processing": "cancelled", "completed": "completed",
        "failed": "cancelled", "cancelled": "cancelled",
    }  # fmt: skip
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Cancelled 3 job(s). Skipped 2 job(s)")


def test_the_job_pages_are_readable_and_filterable(db, admin_client, owner):
    job = make_jobs(owner)["failed"]
    GenerationJob.objects.filter(pk=job.pk).update(error="Timeout: raise STORYCORE_LLM_TIMEOUT")

    listing = admin_client.get(CHANGELIST, {"status__exact": "failed", "q": "Timeout"})
    assert listing.status_code == 200
    assert str(job.pk) in listing.content.decode()

    page = admin_client.get(f"{CHANGELIST}{job.pk}/change/")
    assert page.status_code == 200
    assert "&quot;base_prompt&quot;: &quot;x&quot;" in page.content.decode()


def test_jobs_cannot_be_added_by_hand(db, admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_non_staff_cannot_reach_the_admin(db, client, owner):
    client.force_login(owner)
    assert client.get(CHANGELIST).status_code == 302
