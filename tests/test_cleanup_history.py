"""Retention: the scheduled cleanup deletes old history only, in batches."""
from datetime import timedelta

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from automation.models import GenerationJob, PromptEnhancement
from automation.schedules import SCHEDULES
from automation.tasks import cleanup_history


def make_job(owner, *, status: str, age_days: float) -> GenerationJob:
    job = GenerationJob.objects.create(owner=owner, type="prompt", status=status, params={}, next_attempt_at=timezone.now())
    PromptEnhancement.objects.create(owner=owner, job=job, original_prompt="p", enhanced_prompt="p, x",
                                     style="anime", lighting="soft", mood="neutral", quality="draft")  # fmt: skip
    moment = timezone.now() - timedelta(days=age_days)
    GenerationJob.objects.filter(pk=job.pk).update(created_at=moment)
    PromptEnhancement.objects.filter(job=job).update(created_at=moment)
    return job


def test_it_deletes_only_history_older_than_the_retention(db, owner, settings):
    settings.STORYCORE_RETENTION_DAYS = 30
    old = [make_job(owner, status="completed", age_days=31) for _ in range(5)]
    old_failed = make_job(owner, status="failed", age_days=40)
    old_but_pending = make_job(owner, status="pending", age_days=40)
    recent = make_job(owner, status="completed", age_days=29)

    deleted = cleanup_history()

    assert deleted["prompt"] == 7
    assert deleted["jobs"] == 6
    remaining = set(GenerationJob.objects.values_list("pk", flat=True))
    assert remaining == {old_but_pending.pk, recent.pk}
    assert not GenerationJob.objects.filter(pk__in=[j.pk for j in old + [old_failed]]).exists()


def test_it_deletes_in_batches(db, owner, settings):
    settings.STORYCORE_CLEANUP_BATCH_SIZE = 2
    for _ in range(5):
        make_job(owner, status="completed", age_days=100)

    with CaptureQueriesContext(connection) as queries:
        cleanup_history()

    job_deletes = [q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "automation_generationjob"')]
    assert len(job_deletes) == 3  # 2 + 2 + 1
    assert not GenerationJob.objects.exists()


def test_the_command_takes_a_retention_in_days(db, owner, capsys):
    make_job(owner, status="completed", age_days=3)
    keep = make_job(owner, status="completed", age_days=1)

    call_command("cleanup_history", "--days", "2")

    assert list(GenerationJob.objects.values_list("pk", flat=True)) == [keep.pk]
    assert "1 jobs" in capsys.readouterr().out


def test_the_periodic_tasks_are_scheduled_by_migrate(db):
    names = set(Schedule.objects.values_list("name", flat=True))
    assert names == {name for name, *_ in SCHEDULES}
    assert Schedule.objects.get(func="automation.tasks.cleanup_history").schedule_type == Schedule.DAILY

    call_command("migrate", verbosity=0)  # idempotent: no duplicates on a second run
    assert Schedule.objects.count() == len(SCHEDULES)
