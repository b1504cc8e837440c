"""The SQLite backend (storycore.sqlite): write transactions take turns on a file lock, which
every way a transaction ends gives back, and which a crashed process cannot keep."""
import fcntl
import sqlite3
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from automation.models import GenerationJob
from tests.support import cluster

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "storycore.sqlite", reason="the SQLite backend's own behaviour"
)
BASE_DIR = Path(__file__).resolve().parent.parent


def lock_is_free() -> bool:
    """Whether another process could take the writer lock right now."""
    fd = os.open(connection.writer_lock_path(), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.fixture
def short_timeout():
    options = connection.settings_dict["OPTIONS"]
    before = options["timeout"]
    options["timeout"] = 0.3
    yield
    options["timeout"] = before


def make_job(owner, **fields) -> GenerationJob:
    fields = {"params": {}, **fields}
    return GenerationJob.objects.create(owner=owner, type="prompt", next_attempt_at="2026-01-01T00:00Z", **fields)


def test_a_transaction_holds_the_lock_until_it_commits(transactional_db, owner):
    with transaction.atomic():
        make_job(owner)
        assert not lock_is_free()
    assert lock_is_free()


def test_a_rolled_back_or_closed_transaction_gives_the_lock_back(transactional_db, owner):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            make_job(owner)
            raise RuntimeError("the view failed")
    assert lock_is_free()
    assert not GenerationJob.objects.exists()

    with transaction.atomic():
        make_job(owner)
        assert not lock_is_free()
        connection.close()  # as Django does when a rollback fails: SQLite rolls back
        assert lock_is_free()
    assert not GenerationJob.objects.exists()


def test_a_single_statement_can_take_the_turn_without_a_transaction(transactional_db, owner):
    with connection.write_turn():
        assert not lock_is_free()
        make_job(owner, idempotency_key="alone")  # committed by SQLite as it runs
        assert not lock_is_free()
    assert lock_is_free()

    with transaction.atomic():
        with connection.write_turn():  # the transaction has the turn already: nothing changes
            make_job(owner, idempotency_key="inside")
        assert not lock_is_free()
    assert lock_is_free()
    assert GenerationJob.objects.count() == 2


def test_a_writer_that_gets_no_turn_fails_clearly_and_keeps_nothing(transactional_db, owner, short_timeout):
    holder = os.open(connection.writer_lock_path(), os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process's transaction
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            with transaction.atomic():
                make_job(owner)
    finally:
        os.close(holder)
    with transaction.atomic():  # the failed attempt left neither lock held
        make_job(owner)
    assert GenerationJob.objects.count() == 1


def test_threads_of_one_process_take_turns(transactional_db, owner, short_timeout):
    inside, leave = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                make_job(owner, idempotency_key="first")
                inside.set()
                leave.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(10)
        with pytest.raises(OperationalError, match="no write turn"):
            with transaction.atomic():
                make_job(owner, idempotency_key="second")
    finally:
        leave.set()
        thread.join(10)
    with transaction.atomic():
        make_job(owner, idempotency_key="third")
    assert sorted(GenerationJob.objects.values_list("idempotency_key", flat=True)) == ["first", "third"]


HOLDER = """
import sys, time
import django
django.setup()
from django.db import transaction
from automation.models import GenerationJob
from django.contrib.auth import get_user_model
with transaction.atomic():
    GenerationJob.objects.create(owner=get_user_model().objects.get(username="owner"), type="prompt", params={},
                                 next_attempt_at="2026-01-01T00:00Z", idempotency_key="other-process")
    print("holding", flush=True)
    if sys.argv[1] == "crash":
        import os
        os._exit(1)
    time.sleep(0.5)
"""


def start_holder(mode: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": cluster.test_database_url(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, mode], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
    )


def test_a_writer_waits_for_another_process_and_then_sees_its_commit(transactional_db, owner):
    holder = start_holder("commit")
    try:
        assert holder.stdout.readline().strip() == "holding"
        with transaction.atomic():
            # Our turn began after the other process committed: its job is visible to us.
            assert GenerationJob.objects.filter(idempotency_key="other-process").exists()
            make_job(owner, idempotency_key="ours")
    finally:
        assert holder.wait(30) == 0
    assert GenerationJob.objects.count() == 2


def test_a_crashed_process_does_not_keep_the_lock(transactional_db, owner):
    holder = start_holder("crash")
    assert holder.stdout.readline().strip() == "holding"
    holder.wait(30)

    assert lock_is_free()
    with transaction.atomic():
        make_job(owner, idempotency_key="after-crash")
    assert list(GenerationJob.objects.values_list("idempotency_key", flat=True)) == ["after-crash"]


def test_the_wal_is_copied_back_once_it_is_large(transactional_db, owner, monkeypatch):
    """SQLite's automatic checkpoint is pushed back to 40 MiB (it runs inside the writer's
    turn); ours runs after a commit that leaves 4 MiB more in the WAL, so the WAL starts
    again small."""
    from storycore.sqlite import base

    monkeypatch.setattr(base, "_checkpointed_at", {})  # what this process saw of the WAL before
    wal = Path(f"{connection.settings_dict['NAME']}-wal")
    with transaction.atomic():
        make_job(owner, idempotency_key="big", params={"text": "x" * 6_000_000})
    with transaction.atomic():
        make_job(owner, idempotency_key="small")

    assert wal.stat().st_size < 1024 * 1024
    assert connection.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000


def test_a_wal_that_cannot_start_again_is_checkpointed_once_per_threshold_not_per_commit(
    transactional_db, owner, monkeypatch
):
    """While a reader holds an old snapshot the WAL cannot start again from empty, so it
    stays above the threshold: a checkpoint after every commit (each with its disk flushes)
    would copy the same hot pages again and again. One runs per threshold of new WAL."""
    from storycore.sqlite import base

    threshold = 512 * 1024
    monkeypatch.setattr(base, "CHECKPOINT_BYTES", threshold)
    monkeypatch.setattr(base, "_checkpointed_at", {}, raising=False)
    connection.ensure_connection()
    checkpoints = []
    connection.connection.set_trace_callback(lambda sql: checkpoints.append(sql) if "wal_checkpoint" in sql else None)
    reader = sqlite3.connect(connection.settings_dict["NAME"])
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM automation_generationjob").fetchone()  # an old snapshot, kept
    try:
        commits = 40
        for number in range(commits):
            with transaction.atomic():
                make_job(owner, idempotency_key=f"job-{number}", params={"text": "x" * 60_000})
        wal_size = Path(f"{connection.settings_dict['NAME']}-wal").stat().st_size  # never started again
    finally:
        reader.close()
        connection.connection.set_trace_callback(None)

    assert 1 <= len(checkpoints) <= wal_size // threshold < commits // 2


def test_the_job_engines_single_statement_writes_wait_for_their_turn(transactional_db, owner, monkeypatch):
    """A new job's INSERT and the broker taking it are one statement each, outside any
    transaction: they take the turn (write_turn) rather than wait in SQLite's busy handler."""
    from django_q.brokers import get_broker

    from automation import jobs
    from tests.support.brokers import use_job_table_broker

    use_job_table_broker(monkeypatch)
    writes = []

    def observe(execute, sql, params, many, context):
        if sql.startswith(("INSERT", "UPDATE")):
            writes.append((sql.split()[0], "turn held" if not lock_is_free() else "no turn"))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(observe):
        jobs.job_create(owner=owner, job_type="prompt", params={"base_prompt": "x", "style": "anime"})
        [_] = get_broker().dequeue()

    assert writes == [("INSERT", "turn held"), ("UPDATE", "turn held")]
    assert lock_is_free()
