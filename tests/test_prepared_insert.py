"""automation/prepared.py: a job's INSERT compiled before its transaction stores exactly
what Model.save stores, and job_create's use of it keeps every guarantee of the POST."""
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation.models import Character, CharacterGrid, GenerationJob
from automation.prepared import prepare_insert
from tests.conftest import token_client
from tests.support.concurrency import race

DUE = timezone.now()
PARAMS = {"characters": [{"character_id": "aria", "traits": {"courage": 0.9}}], "title": "Ünïcode ✓", "n": 3}


def new_job(owner, *, key: str = "key") -> GenerationJob:
    return GenerationJob(
        owner=owner, type="dialogue", params=PARAMS, max_retries=2, next_attempt_at=DUE, idempotency_key=key
    )


def stored(job) -> dict:
    return GenerationJob.objects.filter(pk=job.pk).values().get()


def test_a_prepared_job_is_stored_as_save_stores_it(db, owner):
    saved, prepared = new_job(owner), new_job(owner, key="other")
    saved.save(force_insert=True)

    prepare_insert(prepared).execute()

    as_saved, as_prepared = stored(saved), stored(prepared)
    for column in ("job_id", "idempotency_key", "created_at", "updated_at"):
        as_saved.pop(column), as_prepared.pop(column)
    assert as_prepared == as_saved
    assert stored(prepared)["params"] == PARAMS
    # The instance is left as save() leaves it: dates set, known to be in the database.
    assert stored(prepared)["created_at"] == prepared.created_at is not None
    assert stored(prepared)["updated_at"] == prepared.updated_at is not None
    assert (prepared._state.adding, prepared._state.db) == (False, "default")


def test_preparing_reads_and_writes_nothing_and_executing_alone_is_one_statement(transactional_db, owner):
    with CaptureQueriesContext(connection) as preparing:
        insert = prepare_insert(new_job(owner))
    with CaptureQueriesContext(connection) as executing:
        insert.execute()

    assert preparing.captured_queries == []
    assert [query["sql"].split()[0] for query in executing.captured_queries] == ["INSERT"]  # no BEGIN, no COMMIT
    assert GenerationJob.objects.count() == 1


def test_a_refused_row_leaves_the_callers_transaction_usable(transactional_db, owner):
    new_job(owner).save()
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            prepare_insert(new_job(owner)).execute()  # the same idempotency key for the same owner
        new_job(owner, key="next").save()

    assert sorted(GenerationJob.objects.values_list("idempotency_key", flat=True)) == ["key", "next"]


def test_a_rolled_back_transaction_keeps_no_row(db, owner):
    job = new_job(owner)
    insert = prepare_insert(job)
    with pytest.raises(RuntimeError), transaction.atomic():
        insert.execute()
        raise RuntimeError("the caller's transaction fails")

    assert not GenerationJob.objects.filter(pk=job.pk).exists()


def test_models_it_cannot_insert_faithfully_are_refused(db, owner):
    with pytest.raises(ValueError, match="primary key"):
        prepare_insert(Character(owner=owner, character_id="aria", name="Aria"))  # its id comes back from the INSERT

    def listener(**kwargs):
        pass

    post_save.connect(listener, sender=GenerationJob)
    try:
        with pytest.raises(ValueError, match="receivers"):
            prepare_insert(new_job(owner))
    finally:
        post_save.disconnect(listener, sender=GenerationJob)
    prepare_insert(CharacterGrid(owner=owner, character_id="aria"))  # a UUID key set before saving: fine


def test_requests_racing_with_one_idempotency_key_store_one_job(transactional_db, owner):
    body = {"base_prompt": "A knight", "style": "fantasy"}

    def post(i):
        client = token_client(owner)
        return client.post("/api/automation/prompt/enhance", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")

    responses = race(post, threads=6)

    assert sorted(response.status_code for response in responses) == [202] * 6
    assert len({response.data["job_id"] for response in responses}) == 1
    assert GenerationJob.objects.filter(owner=owner, idempotency_key="same-key").count() == 1
