"""5. Cleanup: delete a large expired history (grids with their image files included)
while a client keeps reading the API; how long it takes and how long a request waited."""
import multiprocessing
import time
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone

from automation import jobs
from bench.data import api_client, bench_user, seed_dialogue_history, seed_expired_history
from bench.stack import Gunicorn
from bench.stats import latency_summary

READ_PATH = "/api/automation/dialogue/history?page_size=50"


def measure(*, rows: int, idle_seconds: float, log_dir: Path) -> dict:
    owner, _ = bench_user("bench-cleanup")
    reader, token = bench_user("bench-cleanup-reader")
    if not reader.dialogues.exists():
        seed_dialogue_history(owner=reader, count=100)  # recent: the cleanup keeps them
    started = time.perf_counter()
    written, files = seed_expired_history(owner=owner, count=rows)
    seed_seconds = time.perf_counter() - started
    with Gunicorn(log=log_dir / "cleanup-web.log") as web:
        url = f"{web.url}{READ_PATH}"
        idle = _read_while(url, token, lambda: time.sleep(idle_seconds))
        outcome = {}

        def clean() -> None:
            begun = time.perf_counter()
            outcome["deleted"] = jobs.history_cleanup(older_than=timezone.now() - timedelta(days=settings.STORYCORE_RETENTION_DAYS))
            outcome["seconds"] = time.perf_counter() - begun

        during = _read_while(url, token, clean)
    left = api_client(token)  # the reader's recent history survived
    kept = left.get(READ_PATH).json()["count"]
    files_left = sum(1 for name in files if (Path(settings.MEDIA_ROOT) / name).exists())
    return {
        "written": written, "seed_seconds": seed_seconds, "deleted": outcome["deleted"],
        "seconds": outcome["seconds"], "jobs_per_s": outcome["deleted"]["jobs"] / outcome["seconds"],
        "reads_idle": idle, "reads_during": during, "reader_kept": kept, "files_left": files_left,
        "batch_size": settings.STORYCORE_CLEANUP_BATCH_SIZE,
    }  # fmt: skip


def _read_while(url: str, token: str, work) -> dict:
    """GET `url` back to back from one client while `work()` runs; latency of each. The
    client is its own process, so the cleanup's Python work cannot stall it on our GIL."""
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    reader = context.Process(target=_reader, args=(url, token, stop, results))
    reader.start()
    try:
        work()
    finally:
        stop.set()
    latencies, statuses = results.get(timeout=180)
    reader.join()
    return {**latency_summary(latencies), "statuses": sorted(statuses)}


def _reader(url: str, token: str, stop, results) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    latencies, statuses = [], set()
    while not stop.is_set():
        begun = time.perf_counter()
        response = session.get(url, timeout=120)
        latencies.append(time.perf_counter() - begun)
        statuses.add(response.status_code)
    results.put((latencies, statuses))
