"""2. Worker throughput (our prompt jobs against django-q2 no-op tasks, same cluster) and
3. latency from POST to completed, on whichever broker the settings select."""
import random
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.tasks import async_task

from automation import jobs
from automation.models import GenerationJob
from automation.tasks import run_job
from bench.data import bench_user, job_params_from_api
from bench.requests_bodies import PROMPT_BODY
from bench.stack import Gunicorn, QCluster, wait_until
from bench.stats import latency_summary, median_run, paired_ratio

NOOP_TASK = "bench.tasks.noop"


def broker_name() -> str:
    return "redis" if settings.REDIS_URL else "orm"


def measure(*, jobs_count: int, samples: int, log_dir: Path, rounds: int = 3) -> dict:
    user, token = bench_user("bench-workers")
    params = job_params_from_api(token=token, path="prompt/enhance", body=PROMPT_BODY)
    broker = get_broker()
    broker.purge_queue()
    GenerationJob.objects.filter(owner=user).delete()
    # The enqueue phase leaves its jobs pending (no cluster runs then). With the job table as
    # the queue they would run first, in our rounds' time: the queue is emptied of them too.
    GenerationJob.objects.filter(status=GenerationJob.Status.PENDING).delete()
    name = broker_name()
    cluster_settings = {key: settings.Q_CLUSTER[key] for key in ("workers", "poll", "save_limit", "max_attempts")}
    cluster_settings["STORYCORE_WORKER_BATCH"] = settings.STORYCORE_WORKER_BATCH  # ours only: no-op tasks have no batches
    results = {"broker": name, "cluster": cluster_settings}
    with QCluster(log=log_dir / f"workers-{name}-cluster.log"):
        _noop_throughput(log_dir / f"noop-{name}-warm-up.log", count=1)  # the cluster's start-up is not measured
        # Alternating rounds, so a burst of load from elsewhere hits both; the median round counts.
        runs = {"noop": [], "pipeline": []}
        for _ in range(rounds):
            runs["noop"].append(_noop_throughput(log_dir / f"noop-{name}.log", count=jobs_count))
            runs["pipeline"].append(_job_throughput(owner=user, params=params, count=jobs_count))
        for key, measured in runs.items():
            results[key] = {**median_run(measured, "jobs_per_s"), "runs_per_s": [run["jobs_per_s"] for run in measured]}
        results["rounds"] = rounds
        results["ratio"], results["round_ratios"] = paired_ratio(
            results["pipeline"]["runs_per_s"], results["noop"]["runs_per_s"]
        )
        results["engine"] = _engine_cost(owner=user, params=params, count=max(5, jobs_count // 5))
        with Gunicorn(log=log_dir / f"workers-{name}-web.log") as web:
            results["latency"] = _latency(web.url, token=token, samples=samples)
    return results


def _noop_throughput(finished_log: Path, *, count: int) -> dict:
    """`count` no-op tasks enqueued back to back; each appends its finish time to a file."""
    finished_log.unlink(missing_ok=True)
    finished_log.touch()
    broker = get_broker()  # one client for all, as job_create uses (django-q2 makes one per task otherwise)
    started = time.time()
    for number in range(count):
        async_task(NOOP_TASK, number, str(finished_log), broker=broker)

    def finish_times() -> list[float]:
        return [float(line) for line in finished_log.read_text().split()]

    times = wait_until(lambda: len(finish_times()) == count and finish_times(), timeout=900, interval=0.1,
                       what=f"{count} no-op tasks to finish")  # fmt: skip
    elapsed = max(times) - started
    return {"tasks": count, "seconds": elapsed, "jobs_per_s": count / elapsed}


def _job_throughput(*, owner, params: dict, count: int) -> dict:
    """Prompt jobs stored in bulk and enqueued as job_create does, then run by the cluster
    through the whole job engine: claim, attempt, generator, complete.

    When the broker reads the job table (the embedded default), storing the jobs is
    enqueueing them, so the clock starts before the INSERT, as it starts before the
    baseline's `async_task` calls; with another broker the INSERT is not timed and each
    job is sent as job_create's commit does."""
    job_table_is_the_queue = jobs.broker_reads_job_table()
    now = timezone.now()
    # With another broker, enqueued_at is set so the dispatcher leaves these jobs to us.
    rows = [
        GenerationJob(job_id=uuid.uuid4(), owner=owner, type="prompt", params=params, max_retries=3,
                      next_attempt_at=now, enqueued_at=None if job_table_is_the_queue else now)  # fmt: skip
        for _ in range(count)
    ]
    started = timezone.now()
    with transaction.atomic():
        GenerationJob.objects.bulk_create(rows, batch_size=500)
    ids = [row.job_id for row in rows]
    if not job_table_is_the_queue:
        started = timezone.now()
        for job_id in ids:
            jobs.send_to_broker(job_id)
    unfinished = GenerationJob.objects.filter(pk__in=ids).exclude(status__in=GenerationJob.Status.TERMINAL)
    wait_until(lambda: not unfinished.exists(), timeout=900, interval=0.1, what=f"{count} jobs to finish")
    finished = GenerationJob.objects.filter(pk__in=ids)
    completed = finished.filter(status=GenerationJob.Status.COMPLETED).count()
    if completed != count:
        raise RuntimeError(f"only {completed} of {count} benchmark jobs completed")
    elapsed = (finished.aggregate(last=Max("completed_at"))["last"] - started).total_seconds()
    return {"jobs": count, "seconds": elapsed, "jobs_per_s": count / elapsed}


def _engine_cost(*, owner, params: dict, count: int) -> dict:
    """What a job costs on top of django-q2's own work: the task entry point called
    in-process once per job, as the messages would arrive (the first call of a batch claims,
    runs and completes it; the others find their job taken)."""
    now = timezone.now()
    # Marked as taken (enqueued_at), so the running cluster's broker and dispatcher leave them to us.
    rows = [
        GenerationJob(job_id=uuid.uuid4(), owner=owner, type="prompt", params=params, next_attempt_at=now,
                      enqueued_at=now)  # fmt: skip
        for _ in range(count)
    ]
    GenerationJob.objects.bulk_create(rows, batch_size=500)
    started = time.perf_counter()
    for row in rows:
        run_job(str(row.job_id))
    elapsed = time.perf_counter() - started
    return {"jobs": count, "ms_per_job": elapsed / count * 1000}


def _latency(url: str, *, token: str, samples: int) -> dict:
    """Sequential POST prompt/enhance; each job's completed_at (the worker's clock, this
    machine) minus the moment the request was sent. A random pause between samples keeps
    them from locking onto the ORM broker's poll cycle."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    poll = settings.Q_CLUSTER["poll"]
    to_complete, to_start, to_accept = [], [], []
    for _ in range(samples):
        sent = time.time()
        response = session.post(f"{url}/api/automation/prompt/enhance", json=PROMPT_BODY, timeout=30)
        accepted = time.time()
        if response.status_code != 202:
            raise RuntimeError(f"POST prompt/enhance answered {response.status_code}: {response.text[:300]}")
        job_id = response.json()["job_id"]
        done = wait_until(
            lambda: GenerationJob.objects.filter(pk=job_id, status=GenerationJob.Status.COMPLETED)
            .values_list("started_at", "completed_at").first(),
            timeout=60, interval=0.002, what=f"job {job_id}",
        )  # fmt: skip
        to_accept.append(accepted - sent)
        to_start.append(done[0].timestamp() - sent)
        to_complete.append(done[1].timestamp() - sent)
        time.sleep(random.uniform(0, max(poll, 0.05)))
    return {"post_to_completed": latency_summary(to_complete), "post_to_claimed": latency_summary(to_start),
            "post_202": latency_summary(to_accept), "poll_s": poll}  # fmt: skip
