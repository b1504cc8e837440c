"""Jobs that run in-process (built-in providers) are claimed and completed several to a task.

Driven through the real task entry point, as a worker calls it for one broker message."""
import dataclasses
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from automation import jobs
from automation.exceptions import PermanentError
from automation.generators import _registry, get_generator
from automation.models import Dialogue, GenerationJob, JobAttempt, PromptEnhancement
from automation.tasks import run_job
from tests.support import generators as fake
from tests.support.concurrency import race
from tests.support.dialogues import ORIGINAL_EXAMPLE as DIALOGUE_EXAMPLE
from tests.support.grids import GENERATE_URL as GRID_URL
from tests.support.grids import ORIGINAL_EXAMPLE as GRID_EXAMPLE

ENHANCE = "/api/automation/prompt/enhance"
DIALOGUE_URL = "/api/automation/dialogue/generate"
PAYLOAD = {"base_prompt": "A knight in shining armor", "style": "fantasy"}


def create_jobs(client, count: int, **extra) -> list[GenerationJob]:
    created = []
    for number in range(count):
        response = client.post(ENHANCE, {**PAYLOAD, "seed": number, **extra}, format="json")
        assert response.status_code == 202, response.data
        created.append(GenerationJob.objects.get(pk=response.data["job_id"]))
    return created


def statuses(created: list[GenerationJob]) -> list[str]:
    return [GenerationJob.objects.get(pk=job.pk).status for job in created]


@pytest.fixture
def use_generator(monkeypatch):
    get_generator("prompt")  # the real registry first, so it never re-registers over ours

    def install(generator):
        monkeypatch.setitem(_registry, "prompt", generator)

    return install


def test_one_message_runs_the_due_jobs_of_its_kind_each_with_its_own_claim_and_attempt(db, owner_client):
    created = create_jobs(owner_client, 5)

    assert run_job(str(created[2].job_id)) == "completed"

    assert statuses(created) == ["completed"] * 5
    attempts = JobAttempt.objects.filter(job__in=created)
    assert attempts.count() == 5
    assert {attempt.outcome for attempt in attempts} == {"completed"}
    assert len({attempt.worker for attempt in attempts}) == 1
    assert PromptEnhancement.objects.filter(job__in=created).count() == 5
    for number, job in enumerate(created):
        job.refresh_from_db()
        assert job.result["seed"] == number  # each job got its own result, not a neighbour's
        assert job.progress == 100 and job.claim_token is None


def test_the_other_jobs_messages_then_find_them_taken_and_change_nothing(db, owner_client):
    created = create_jobs(owner_client, 3)
    run_job(str(created[0].job_id))

    assert [run_job(str(job.job_id)) for job in created[1:]] == ["skipped", "skipped"]
    assert JobAttempt.objects.filter(job__in=created).count() == 3


def test_the_batch_takes_at_most_the_configured_number_oldest_first(db, owner_client, settings):
    settings.STORYCORE_WORKER_BATCH = 3
    created = create_jobs(owner_client, 5)

    run_job(str(created[4].job_id))

    assert statuses(created) == ["completed", "completed", "pending", "pending", "completed"]


def test_a_batch_of_one_runs_only_the_job_asked_for(db, owner_client, settings):
    settings.STORYCORE_WORKER_BATCH = 1
    created = create_jobs(owner_client, 3)

    run_job(str(created[1].job_id))

    assert statuses(created) == ["pending", "completed", "pending"]


def test_jobs_that_call_a_provider_or_are_not_due_or_not_pending_are_left_alone(db, owner_client, settings):
    settings.STORYCORE_LLM_URL = "http://127.0.0.1:9/v1"  # never called: these jobs are not run here
    llm_job, backing_off, cancelled, grid_job = (
        create_jobs(owner_client, 1, provider="llm")[0],
        create_jobs(owner_client, 1)[0],
        create_jobs(owner_client, 1)[0],
        owner_client.post(GRID_URL, GRID_EXAMPLE, format="json"),
    )
    assert grid_job.status_code == 202, grid_job.data
    GenerationJob.objects.filter(pk=backing_off.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    jobs.job_cancel(job=cancelled)
    [builtin] = create_jobs(owner_client, 1)

    run_job(str(builtin.job_id))

    assert statuses([builtin, llm_job, backing_off, cancelled]) == ["completed", "pending", "pending", "cancelled"]
    assert GenerationJob.objects.get(pk=grid_job.data["job_id"]).status == "pending"
    assert not JobAttempt.objects.filter(job__in=[llm_job, backing_off, cancelled]).exists()


def test_a_job_that_calls_a_provider_runs_alone(db, owner_client, settings, use_generator):
    use_generator(fake.scripted(fake.succeed, in_process=False))
    created = create_jobs(owner_client, 3)

    run_job(str(created[0].job_id))

    assert statuses(created) == ["completed", "pending", "pending"]


def test_a_failing_job_fails_alone_and_the_rest_of_the_batch_completes(db, owner_client, use_generator):
    def refuse_seed_one(ctx):
        if ctx.params["seed"] == 1:
            raise PermanentError('Unknown style "gone". Allowed values: anime, fantasy.')

    use_generator(fake.scripted(refuse_seed_one, in_process=True))
    created = create_jobs(owner_client, 3)

    run_job(str(created[0].job_id))

    assert statuses(created) == ["completed", "failed", "completed"]
    failed = GenerationJob.objects.get(pk=created[1].pk)
    assert failed.error_kind == "permanent" and 'Unknown style "gone"' in failed.error
    assert failed.attempts.get().outcome == "permanent"
    assert not PromptEnhancement.objects.filter(job=failed).exists()


def run_a_batch_whose_middle_job_is_cancelled_once_generated(client, use_generator) -> list[GenerationJob]:
    """Three jobs in one batch; while the third is generated, the second (already generated,
    not yet completed) is cancelled."""
    created = []

    def cancel_the_middle_job(ctx):
        if ctx.job.pk == created[2].pk:
            jobs.job_cancel(job=GenerationJob.objects.get(pk=created[1].pk))

    use_generator(fake.scripted(cancel_the_middle_job, in_process=True))
    created.extend(create_jobs(client, 3))
    run_job(str(created[0].job_id))
    return created


def test_a_job_cancelled_after_it_was_generated_is_not_completed_and_the_others_are(db, owner_client, use_generator):
    created = run_a_batch_whose_middle_job_is_cancelled_once_generated(owner_client, use_generator)

    assert statuses(created) == ["completed", "cancelled", "completed"]
    assert not PromptEnhancement.objects.filter(job=created[1]).exists()
    assert GenerationJob.objects.get(pk=created[1].pk).attempts.get().outcome == "cancelled"
    assert PromptEnhancement.objects.filter(job__in=[created[0], created[2]]).count() == 2


def test_concurrent_batches_run_every_job_exactly_once(transactional_db, owner_client):
    created = create_jobs(owner_client, 40)

    # Eight workers each get every message, starting at different points: overlapping
    # batches and duplicate deliveries at once.
    def deliver_all(i):
        return [run_job(str(job.job_id)) for job in created[i * 5 :] + created[: i * 5]]

    outcomes = race(deliver_all, threads=8)

    assert sum(outcome.count("completed") for outcome in outcomes) >= 1
    assert statuses(created) == ["completed"] * 40
    assert JobAttempt.objects.filter(job__in=created).count() == 40
    assert PromptEnhancement.objects.filter(job__in=created).count() == 40


def test_dialogue_jobs_are_batched_and_each_result_is_its_stored_dialogue(db, owner_client):
    created = []
    for seed in (1, 2, 3):
        response = owner_client.post(DIALOGUE_URL, {**DIALOGUE_EXAMPLE, "seed": seed}, format="json")
        assert response.status_code == 202, response.data
        created.append(response.data["job_id"])

    assert run_job(created[0]) == "completed"

    for job_id in created:
        job = GenerationJob.objects.get(pk=job_id)
        assert job.status == "completed" and job.attempts.get().outcome == "completed"
        dialogue = Dialogue.objects.get(job=job)
        assert job.result == dialogue.as_dict()  # the result is what the history shows, lines included
        assert len(job.result["lines"]) == DIALOGUE_EXAMPLE["numLines"]
        assert {line.character.character_id for line in dialogue.lines.all()} == {"hero_001", "villain_001"}
    assert len({GenerationJob.objects.get(pk=job_id).result["scene_id"] for job_id in created}) == 3


def test_each_job_of_a_batch_runs_under_its_own_claim_token(db, owner_client, use_generator):
    seen = {}

    def record_the_claim(ctx):
        stored = GenerationJob.objects.get(pk=ctx.job.pk)
        seen[ctx.job.pk] = (ctx.job.claim_token, stored.claim_token, stored.status)

    use_generator(fake.scripted(record_the_claim, in_process=True))
    created = create_jobs(owner_client, 4)

    run_job(str(created[0].job_id))

    assert len(seen) == 4
    assert all(held == stored and status == "processing" for held, stored, status in seen.values())
    assert len({held for held, _, _ in seen.values()}) == 4
    assert {attempt.pk for attempt in JobAttempt.objects.filter(job__in=created)} == {held for held, _, _ in seen.values()}


def test_an_in_process_job_is_stopped_by_its_completion_not_its_checkpoints(db, owner_client, use_generator):
    def cancel_itself_then_check_in(ctx):
        jobs.job_cancel(job=GenerationJob.objects.get(pk=ctx.job.pk))
        ctx.checkpoint(50)  # writes nothing for a job this short; the completion will notice

    use_generator(fake.scripted(cancel_itself_then_check_in, in_process=True))
    [job] = create_jobs(owner_client, 1)

    run_job(str(job.job_id))

    job.refresh_from_db()
    assert job.status == "cancelled" and job.progress == 0
    assert job.attempts.get().outcome == "cancelled"
    assert not PromptEnhancement.objects.filter(job=job).exists()


def test_a_batch_whose_artifacts_cannot_be_stored_goes_back_to_the_queue(transactional_db, owner_client, use_generator):
    def refuse(done):
        raise OperationalError("database is locked")

    use_generator(dataclasses.replace(fake.scripted(fake.succeed, in_process=True), save_batch=refuse))
    created = create_jobs(owner_client, 3)

    run_job(str(created[0].job_id))

    for job in created:
        job.refresh_from_db()
        assert job.status == "pending" and job.retry_count == 1 and job.error_kind == "transient"
        assert "database is locked" in job.error and "will be retried" in job.error
        assert job.enqueued_at is None  # taken again (or sent, with Redis) once its backoff is over
        assert job.attempts.get().outcome == "transient"
    assert not PromptEnhancement.objects.filter(job__in=created).exists()


def test_a_stale_message_for_a_job_this_worker_completed_costs_no_query(db, owner_client, django_assert_num_queries):
    created = create_jobs(owner_client, 3)
    run_job(str(created[0].job_id))

    with django_assert_num_queries(0):
        assert run_job(str(created[2].job_id)) == "skipped"


def test_a_job_cancelled_in_a_batch_and_retried_runs_on_its_new_message(db, owner_client, use_generator):
    created = run_a_batch_whose_middle_job_is_cancelled_once_generated(owner_client, use_generator)
    assert owner_client.post(f"/api/automation/jobs/{created[1].job_id}/retry").status_code == 200

    assert run_job(str(created[1].job_id)) == "completed"
    assert [a.outcome for a in GenerationJob.objects.get(pk=created[1].pk).attempts.all()] == ["cancelled", "completed"]


def test_the_memory_of_completed_jobs_is_bounded_and_forgets_the_oldest_first():
    memory = jobs.RecentlyCompleted(size=2)
    first, second, third = (uuid.uuid4() for _ in range(3))
    for job_id in (first, second, third):
        memory.add(job_id)

    assert not memory.has(first)
    assert memory.has(second) and memory.has(str(third))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner, which has no statistics")
def test_a_batch_finds_its_rows_by_primary_key_past_a_backlog_of_other_jobs(db, owner, owner_client):
    """Each statement of a batch's claim and completion that names its jobs reaches them by
    primary key: given their status too, SQLite chose the status index and read every
    pending job of every type (30 ms a statement behind 64,000 pending dialogues)."""
    backlog = [
        GenerationJob(owner=owner, type="dialogue", params={}, next_attempt_at=timezone.now(), enqueued_at=timezone.now())
        for _ in range(200)
    ]
    GenerationJob.objects.bulk_create(backlog)
    created = create_jobs(owner_client, 12)
    statements = []

    def capture(execute, sql, params, many, context):
        if "automation_generationjob" in sql and '"job_id" IN (' in sql and not many:
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        assert run_job(str(created[0].job_id)) == "completed"

    assert statuses(created) == ["completed"] * 12
    assert len(statements) >= 3  # the locked re-check, the claim, the completion's read and update
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(row[-1] for row in cursor.fetchall())
            assert "sqlite_autoindex_automation_generationjob_1" in plan and "job_status" not in plan, (plan, sql)
