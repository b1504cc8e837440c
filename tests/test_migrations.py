"""Data migrations, run forwards on rows made with the models of the migration before."""
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("automation", "0004_dialogue")]
AFTER = [("automation", "0005_job_attempt_count")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_attempt_count_is_filled_in_from_the_attempts_already_made(transactional_db):
    old = migrate(BEFORE)
    Job, Attempt = old.get_model("automation", "GenerationJob"), old.get_model("automation", "JobAttempt")
    owner = old.get_model("auth", "User").objects.create(username="before-0005")
    now = timezone.now()
    retried, untouched = (
        Job.objects.create(owner=owner, type="prompt", params={}, next_attempt_at=now) for _ in range(2)
    )
    for number in (1, 2, 3):
        Attempt.objects.create(job=retried, number=number, worker="w", started_at=now, outcome="transient")

    new = migrate(AFTER)
    Job = new.get_model("automation", "GenerationJob")
    assert Job.objects.get(pk=retried.pk).attempt_count == 3
    assert Job.objects.get(pk=untouched.pk).attempt_count == 0
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
