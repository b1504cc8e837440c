"""The jobs resource: listing, filters, ownership, retry/cancel, the retry queue, create options."""
import uuid

import pytest
from django.utils import timezone
from django_q.conf import Conf
from rest_framework.throttling import ScopedRateThrottle

from automation.models import GenerationJob
from tests.support.jobs import run_job

ENHANCE = "/api/automation/prompt/enhance"
JOBS = "/api/automation/jobs/"
PAYLOAD = {"base_prompt": "A lighthouse at dusk", "style": "watercolor"}
PARAMS = {**PAYLOAD, "lighting": "soft", "mood": "peaceful", "quality": "standard"}


def make_job(user, *, status="pending", job_type="prompt", **fields) -> GenerationJob:
    defaults = {"params": PARAMS, "next_attempt_at": timezone.now()}
    if status in GenerationJob.Status.TERMINAL:
        defaults["completed_at"] = timezone.now()
    return GenerationJob.objects.create(owner=user, type=job_type, status=status, **{**defaults, **fields})


# --- Reading --------------------------------------------------------------------------------


def test_it_lists_only_the_callers_jobs_newest_first(db, owner, other, owner_client):
    first, second = make_job(owner), make_job(owner)
    make_job(other)

    response = owner_client.get(JOBS)
    assert response.status_code == 200
    assert [j["job_id"] for j in response.data["results"]] == [str(second.job_id), str(first.job_id)]
    assert response.data["count"] == 2


def test_staff_see_every_job(db, owner, other, staff_client):
    make_job(owner), make_job(other)
    assert staff_client.get(JOBS).data["count"] == 2


def test_a_job_has_the_original_typescript_fields(db, owner, owner_client):
    job = make_job(owner)
    data = owner_client.get(f"{JOBS}{job.job_id}").data
    for field in ["job_id", "type", "status", "params", "result", "error", "retry_count", "max_retries",
                  "created_at", "started_at", "completed_at", "progress"]:  # fmt: skip
        assert field in data
    assert data["attempts"] == []


def test_it_hides_another_users_job(db, owner, other_client):
    job = make_job(owner)
    assert other_client.get(f"{JOBS}{job.job_id}").status_code == 404
    assert other_client.post(f"{JOBS}{job.job_id}/cancel").status_code == 404
    assert other_client.post(f"{JOBS}{job.job_id}/retry").status_code == 404
    job.refresh_from_db()
    assert job.status == "pending"


def test_it_handles_a_missing_job(db, owner_client):
    assert owner_client.get(f"{JOBS}{uuid.uuid4()}").status_code == 404
    assert owner_client.get(f"{JOBS}not-a-uuid").status_code == 404


@pytest.mark.parametrize("url", [JOBS, f"{JOBS}retry-queue", ENHANCE, "/api/automation/prompt/styles"])
def test_it_requires_credentials(db, anon_client, url):
    response = anon_client.post(url, PAYLOAD, format="json") if url == ENHANCE else anon_client.get(url)
    assert response.status_code == 401


def test_it_filters_by_status_and_type(db, owner, owner_client):
    failed = make_job(owner, status="failed")
    make_job(owner, status="completed")
    make_job(owner, status="failed", job_type="dialogue")

    response = owner_client.get(JOBS, {"status": "failed", "type": "prompt"})
    assert [j["job_id"] for j in response.data["results"]] == [str(failed.job_id)]
    assert owner_client.get(JOBS, {"status": ["failed", "completed"]}).data["count"] == 3


@pytest.mark.parametrize(
    "query", [{"status": "broken"}, {"type": "video"}, {"created_after": "yesterday"}, {"page": "0"}]
)
def test_bad_filters_are_a_400_not_a_500(db, owner, owner_client, query):
    make_job(owner)
    response = owner_client.get(JOBS, query)
    assert response.status_code in (400, 404)  # DRF answers an invalid page number with 404
    assert response.status_code != 500


def test_an_unknown_status_filter_lists_the_allowed_values(db, owner_client):
    response = owner_client.get(JOBS, {"status": "broken"})
    assert response.status_code == 400
    assert "pending" in str(response.data["status"])


def test_it_paginates(db, owner, owner_client):
    for _ in range(5):
        make_job(owner)
    page = owner_client.get(JOBS, {"page_size": 2, "page": 2}).data
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"] and page["previous"]


# --- Retry and cancel -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "processing", "completed"])
def test_retry_is_a_409_unless_failed_or_cancelled(db, owner, owner_client, status):
    job = make_job(owner, status=status)
    response = owner_client.post(f"{JOBS}{job.job_id}/retry")
    assert response.status_code == 409
    assert status in response.data["detail"]
    job.refresh_from_db()
    assert job.status == status


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_cancel_is_a_409_for_finished_jobs(db, owner, owner_client, status):
    job = make_job(owner, status=status)
    response = owner_client.post(f"{JOBS}{job.job_id}/cancel")
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == status


def test_retry_queue_lists_failed_jobs_only(db, owner, other, owner_client):
    failed = make_job(owner, status="failed", error="Timeout")
    make_job(owner, status="completed")
    make_job(other, status="failed")

    response = owner_client.get(f"{JOBS}retry-queue")
    assert response.status_code == 200
    assert [j["job_id"] for j in response.data["results"]] == [str(failed.job_id)]


def test_processing_the_retry_queue_reruns_every_failed_job(db, owner, other, owner_client):
    mine = [make_job(owner, status="failed"), make_job(owner, status="failed")]
    theirs = make_job(other, status="failed")
    make_job(owner, status="completed")

    response = owner_client.post(f"{JOBS}retry-queue/process")
    assert response.status_code == 200
    assert response.data["count"] == 2
    assert {j["job_id"] for j in response.data["retried"]} == {str(j.job_id) for j in mine}
    for job in mine:
        assert run_job(job.job_id).status == "completed"
    theirs.refresh_from_db()
    assert theirs.status == "failed"


def test_clearing_the_retry_queue_cancels_and_keeps_the_jobs(db, owner, other, owner_client):
    mine = make_job(owner, status="failed")
    done = make_job(owner, status="completed")
    theirs = make_job(other, status="failed")

    response = owner_client.delete(f"{JOBS}retry-queue")
    assert response.status_code == 200
    assert response.data == {"count": 1}
    for job, status in [(mine, "cancelled"), (done, "completed"), (theirs, "failed")]:
        job.refresh_from_db()
        assert job.status == status
    assert owner_client.get(f"{JOBS}retry-queue").data["count"] == 0


# --- Creating: Location, Idempotency-Key, ?wait --------------------------------------------------


def test_the_location_header_is_a_plain_string_naming_the_job(db, owner_client):
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")

    # WSGI servers refuse a header value that is not exactly a str (DRF's Hyperlink is a subclass).
    assert type(response.headers["Location"]) is str
    assert response.headers["Location"] == response.data["url"]
    assert response.headers["Location"].endswith(f"/api/automation/jobs/{response.data['job_id']}")


def test_idempotency_key_returns_the_same_job(db, owner_client, other_client):
    first = owner_client.post(ENHANCE, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = owner_client.post(ENHANCE, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    theirs = other_client.post(ENHANCE, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == again.status_code == 202
    assert again.data["job_id"] == first.data["job_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert theirs.data["job_id"] != first.data["job_id"]  # keys are per user
    assert GenerationJob.objects.count() == 2


def test_an_idempotency_key_reused_for_another_request_is_a_409(db, owner_client):
    owner_client.post(ENHANCE, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    response = owner_client.post(ENHANCE, {**PAYLOAD, "style": "anime"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert response.status_code == 409
    assert "different request" in response.data["detail"]
    assert GenerationJob.objects.count() == 1


@pytest.mark.parametrize("wait", ["31", "-1", "soon"])
def test_a_bad_wait_is_a_400_and_creates_nothing(db, owner_client, wait):
    response = owner_client.post(f"{ENHANCE}?wait={wait}", PAYLOAD, format="json")
    assert response.status_code == 400
    assert "wait" in response.data
    assert not GenerationJob.objects.exists()


def test_wait_answers_202_when_the_job_is_not_done_in_time(db, owner_client):
    response = owner_client.post(f"{ENHANCE}?wait=0.3", PAYLOAD, format="json")
    assert response.status_code == 202
    assert response.data["status"] == "pending"


def test_wait_answers_200_with_the_result_when_the_job_finishes(transactional_db, owner_client, monkeypatch):
    # Sync mode runs the task inline when it is enqueued (after commit), standing in for a
    # fast worker; the real worker is exercised in test_worker_cluster.py.
    monkeypatch.setattr(Conf, "SYNC", True)
    response = owner_client.post(f"{ENHANCE}?wait=5", PAYLOAD, format="json")
    assert response.status_code == 200
    assert response.data["status"] == "completed"
    assert "A lighthouse at dusk" in response.data["result"]["enhanced_prompt"]


def test_throttling_answers_429_with_retry_after(db, owner_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"generate": "2/min"})
    statuses = [owner_client.post(ENHANCE, PAYLOAD, format="json").status_code for _ in range(3)]

    assert statuses == [202, 202, 429]
    response = owner_client.post(ENHANCE, PAYLOAD, format="json")
    assert "Rate limit exceeded" in response.data["detail"]
    assert int(response["Retry-After"]) > 0
    assert GenerationJob.objects.count() == 2
