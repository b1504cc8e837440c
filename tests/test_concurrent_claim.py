"""Two (or eight) workers reaching for one job at the same moment: exactly one runs it."""
from django.utils import timezone

from automation import jobs
from automation.models import GenerationJob, JobAttempt, PromptEnhancement
from tests.support.concurrency import race

PARAMS = {"base_prompt": "A fox", "style": "anime", "lighting": "soft", "mood": "joyful", "quality": "draft"}


def test_concurrent_claims_give_the_job_to_exactly_one_worker(transactional_db, owner):
    job = GenerationJob.objects.create(owner=owner, type="prompt", params=PARAMS, next_attempt_at=timezone.now())

    claims = race(lambda i: jobs.job_claim(job_id=job.job_id, worker=f"worker-{i}"), threads=8)

    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    assert JobAttempt.objects.filter(job=job).count() == 1


def test_concurrent_runs_of_one_job_produce_one_artifact(transactional_db, owner):
    job = GenerationJob.objects.create(owner=owner, type="prompt", params=PARAMS, next_attempt_at=timezone.now())

    race(lambda i: jobs.job_run(job_id=job.job_id, worker=f"worker-{i}"), threads=8)

    job.refresh_from_db()
    assert job.status == "completed"
    assert PromptEnhancement.objects.filter(job=job).count() == 1
    assert job.attempts.count() == 1
