"""The benchmark's code paths at a tiny size, so they cannot rot. No timing is asserted
(timed assertions do not belong in tests): only that each phase runs against the real
servers and returns the figures its BENCHMARKS.md section needs."""
import pytest

from bench import cleanup, enqueue, generators, growth, report, workers
from bench.machine import describe

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:40000/bench/baseline
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    32.10ms   12.40ms 120.00ms   80.00%
    Req/Sec   124.00     20.00   160.00     70.00%
  Latency Distribution
     50%   30.90ms
     75%   38.00ms
     90%   50.00ms
     99%  910.20us
  747 requests in 3.01s, 200.00KB read
  Non-2xx or 3xx responses: 3
Requests/sec:    247.90
Transfer/sec:     66.00KB
"""


def test_it_reads_throughput_latency_and_errors_from_wrk():
    parsed = enqueue.parse_wrk(WRK_OUTPUT)
    assert parsed["requests"] == 747
    assert parsed["requests_per_s"] == 247.90
    assert parsed["errors"] == 3
    assert parsed["p50_ms"] == 30.90
    assert parsed["p99_ms"] == pytest.approx(0.9102)


def test_growth_pages_run_the_same_queries_at_both_sizes(db):
    result = growth.measure(sizes=(10, 60), repeats=1)
    for name in ("dialogue_history", "jobs_failed"):
        by_size = result["endpoints"][name]
        assert by_size["same_queries"], (by_size[10]["sql"], by_size[60]["sql"])
    assert result["endpoints"]["dialogue_history"][60]["count"] == 54  # one job in ten failed: no dialogue
    assert result["endpoints"]["jobs_failed"][60]["count"] == 6


@pytest.mark.worker
def test_every_phase_runs_at_a_tiny_size_and_renders_its_section(transactional_db, broker, tmp_path):
    phases = {
        "generators": generators.measure(seconds=0),
        "growth": growth.measure(sizes=(10, 20), repeats=1),
        "cleanup": cleanup.measure(rows=40, idle_seconds=0.2, log_dir=tmp_path),
        "enqueue": enqueue.measure(seconds=0.5, log_dir=tmp_path, loader="python"),
        "workers_redis" if workers.broker_name() == "redis" else "workers_orm": workers.measure(
            jobs_count=5, samples=2, log_dir=tmp_path
        ),
    }

    assert {phase["unit"] for phase in phases["generators"].values()} == {"lines", "enhancements", "sheets"}
    assert phases["cleanup"]["deleted"]["jobs"] == 40 and phases["cleanup"]["files_left"] == 0
    assert phases["cleanup"]["reader_kept"] == 90  # the reader's recent dialogues survive
    assert phases["cleanup"]["reads_during"]["statuses"] == [200]
    assert phases["enqueue"]["dialogue_generate"]["errors"] == 0 and phases["enqueue"]["baseline"]["errors"] == 0
    measured = next(value for key, value in phases.items() if key.startswith("workers"))
    assert measured["pipeline"]["jobs"] == 5 and measured["latency"]["post_to_completed"]["count"] == 2
    # Alternating rounds, each one listed beside the median the report shows.
    assert len(measured["noop"]["runs_per_s"]) == len(measured["pipeline"]["runs_per_s"]) == 3
    assert measured["noop"]["jobs_per_s"] == sorted(measured["noop"]["runs_per_s"])[1]
    assert len(phases["enqueue"]["round_ratios"]) == 3

    results = {"phases": phases, "quick": True, "redis_note": "", "total_seconds": 1, "command": "bin/bench --quick",
               "machine": describe(redis_url=None, env={})}  # fmt: skip
    text = report.render(results)
    for section in ("## 1. Enqueue", "## 2. Worker", "## 3. Latency", "## 4. Growth", "## 5. Cleanup", "## 6. Generators"):
        assert section in text
    assert "Failed:" not in text
