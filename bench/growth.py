"""4. Growth: the same pages with a small and a large history. Same number of SQL
queries (no N+1) and a time that does not grow with the table."""
import time

from django.db import connection

from automation.models import GenerationJob
from bench.data import api_client, bench_user, seed_dialogue_history
from bench.stats import median

ENDPOINTS = {
    "dialogue_history": "/api/automation/dialogue/history?page_size=50",
    "jobs_failed": "/api/automation/jobs/?status=failed&page_size=50",
}


def measure(*, sizes: tuple[int, ...], repeats: int) -> dict:
    """Requests go through Django in-process (the test client): no HTTP noise, and the
    queries can be captured. The user owns every row (the worst case for its pages)."""
    user, token = bench_user("bench-growth")
    GenerationJob.objects.filter(owner=user).delete()
    client = api_client(token)
    results: dict = {"sizes": list(sizes), "repeats": repeats, "endpoints": {}}
    seeded = 0
    for size in sizes:
        started = time.perf_counter()
        seed_dialogue_history(owner=user, count=size - seeded)
        seeded = size
        results.setdefault("seed_seconds", {})[size] = time.perf_counter() - started
        with connection.cursor() as cursor:  # fresh statistics for the query planner
            cursor.execute("ANALYZE")
        for name, path in ENDPOINTS.items():
            results["endpoints"].setdefault(name, {})[size] = _time_page(client, path, repeats)
    for name, by_size in results["endpoints"].items():
        small, large = by_size[sizes[0]], by_size[sizes[-1]]
        by_size["ratio"] = large["median_ms"] / small["median_ms"]
        by_size["same_queries"] = large["queries"] == small["queries"]
    return results


class QueryLog:
    """Counts the SQL a request runs. (CaptureQueriesContext would see none: the test
    client's request_started signal resets Django's query log.)"""

    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


def _time_page(client, path: str, repeats: int) -> dict:
    queries = QueryLog()
    with connection.execute_wrapper(queries):
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    body = response.json()
    for _ in range(2):  # warm caches
        client.get(path)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path)
        timings.append(time.perf_counter() - started)
    return {
        "median_ms": median(timings) * 1000,
        "queries": len(queries.sql),
        "sql": [sql[:300] for sql in queries.sql],
        "items": len(body["results"]),
        "count": body["count"],
    }
