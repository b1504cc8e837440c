"""BENCHMARKS.md from one run's results: each figure beside its baseline and its ratio."""
from pathlib import Path

CHANGES = Path(__file__).resolve().parent / "CHANGES.md"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _f(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def render(results: dict) -> str:
    phases = results["phases"]
    machine = results["machine"]
    out = [
        "# Benchmarks",
        "",
        f"Measured by `{results['command']}` in one run ({results['total_seconds']:.0f} s), "
        f"{machine['date']}, commit `{machine['commit']}`. This file is generated; see "
        "docs/bench.md for how to run it. Baselines were measured in the same run, on the same "
        "servers, with the same settings.",
        "",
        "## Machine",
        "",
        *[f"- {label}: {machine[key]}" for key, label in (
            ("cpu", "CPU"), ("memory", "memory"), ("os", "OS"), ("python", "Python"), ("packages", "packages"),
            ("sqlite", "SQLite"), ("database", "database"), ("wrk", "load generator"), ("load", "machine load"))
            if key in machine],  # fmt: skip
    ]
    if "redis" in machine:
        out.append(f"- Redis: {machine['redis']}")
    if results.get("quick"):
        out += ["", "> `--quick` run: small sizes, rough figures. Run `bin/bench` for the real ones."]
    for section in (_enqueue, _workers, _latency, _growth, _cleanup, _generators):
        out += ["", *section(phases, results)]
    if CHANGES.exists():
        out += ["", CHANGES.read_text().strip()]
    return "\n".join(out) + "\n"


def _error(phase: dict | None, title: str) -> list[str] | None:
    if phase is None:
        return [title, "", "Not measured in this run."]
    if "error" in phase:
        return [title, "", f"Failed: {phase['error']}"]
    return None


def _enqueue(phases: dict, results: dict) -> list[str]:
    title = "## 1. Enqueue cost: POST dialogue/generate against a bare DRF view"
    phase = phases.get("enqueue")
    if (error := _error(phase, title)) is not None:
        return error
    rows = []
    for key, label in (("baseline", "baseline: authenticated DRF view returning a constant (200)"),
                       ("dialogue_generate", "`POST dialogue/generate` (202, job stored and enqueued)")):  # fmt: skip
        r = phase[key]
        rows.append(f"| {label} | {_f(r['requests_per_s'])} | {_f(r['p50_ms'])} | {_f(r['p99_ms'])} | {r['requests']:,} | {r['errors']} |")
    ratio = phase["ratio"]
    return [
        title,
        "",
        f"{phase['web']}, {phase['concurrency']} concurrent keep-alive connections, load from {phase['loader']}; "
        f"{phase.get('rounds', 1)} rounds of {phase['seconds']} s per endpoint, alternating, each figure from the "
        "median round (the ratio: the median of the round-by-round ratios); the embedded default's broker "
        "(the job table is the queue), no cluster running (the jobs stay pending). "
        "The body is the original client's example: two characters given in full (saved to the caller's cast).",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms | requests | errors |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Ratio: **{ratio:.0%}** of the baseline's throughput (target at least 50%: {verdict(ratio >= 0.5)}), "
        f"the median of the round-by-round ratios: {', '.join(f'{r:.0%}' for r in phase.get('round_ratios', [ratio]))}.",
    ]


def _workers(phases: dict, results: dict) -> list[str]:
    title = "## 2. Worker throughput: our prompt jobs against django-q2 no-op tasks"
    rows, cluster = [], None
    for key, label in (("workers_orm", "embedded (SQLite, job table)"), ("workers_redis", "Redis")):
        phase = phases.get(key)
        if phase is None or "error" in phase:
            why = results.get("redis_note") or "not measured" if phase is None else phase["error"]
            rows.append(f"| {label} | – | – | – | {why} | |")
            continue
        cluster = phase["cluster"]
        ratio = phase["ratio"]
        rounds = "; ".join(
            f"{noop:.0f} / {ours:.0f} ({ours / noop:.0%})"
            for noop, ours in zip(phase["noop"].get("runs_per_s", []), phase["pipeline"].get("runs_per_s", []))
        )
        rows.append(
            f"| {label} | {_f(phase['noop']['jobs_per_s'])} | {_f(phase['pipeline']['jobs_per_s'])} | "
            f"{ratio:.0%} | {verdict(ratio >= 0.7)} | {rounds} |"
        )
    engine = [
        f"- {label}: one job through `automation.tasks.run_job` in-process (one call per job, batches "
        "included), without django-q2, costs "
        f"**{phases[key]['engine']['ms_per_job']:.1f} ms** (mean of {phases[key]['engine']['jobs']}), against "
        f"{1000 / phases[key]['noop']['jobs_per_s']:.1f} ms of wall time per no-op task for the whole cluster."
        for key, label in (("workers_orm", "Embedded broker"), ("workers_redis", "Redis"))
        if "engine" in phases.get(key, {})
    ]
    described = ", ".join(f"{key} {value}" for key, value in (cluster or {}).items())
    size = next((p["pipeline"]["jobs"] for k, p in phases.items() if k.startswith("workers") and "pipeline" in p), "?")
    return [
        title,
        "",
        f"One `qcluster` ({described}), {size} tasks each, enqueued while the cluster runs; time from the "
        "first enqueue to the last task's finish (each no-op task appends its finish time to a file; our "
        "jobs record `completed_at`). Our jobs are stored in bulk and enqueued as `job_create` does: on the "
        "embedded default's broker the rows are the messages (`automation/broker.py`: the clock starts before "
        "their `INSERT`, as before the no-op tasks' `async_task` calls), on Redis each is sent after the "
        "(untimed) `INSERT`. They run through the whole engine: claim (compare-and-set), attempt row, lease, "
        "generator, artifact row and completion, built-in jobs claimed and completed in batches "
        "(`STORYCORE_WORKER_BATCH`; on Redis each message of a job a batch already ran reads the job and "
        "stops; the job-table broker never hands such a job out). "
        "Alternating rounds (no-op, ours, no-op, ...); each throughput is the median round, the ratio the "
        "median of the round-by-round ratios.",
        "",
        "| broker | django-q2 no-op tasks/s (baseline) | our prompt jobs/s | ratio | target ≥ 70% | rounds (no-op / ours, ratio) |",
        "|---|---:|---:|---:|---|---|",
        *rows,
        *(["", "What a job adds (the same database, measured in the same run):", "", *engine] if engine else []),
    ]


def _latency(phases: dict, results: dict) -> list[str]:
    title = "## 3. Latency, POST to completed"
    rows = []
    for key, label in (("workers_orm", "embedded (SQLite, job table)"), ("workers_redis", "Redis")):
        phase = phases.get(key)
        if phase is None or "error" in phase:
            rows.append(f"| {label} | – | – | – | – | – | not measured |")
            continue
        latency = phase["latency"]
        total = latency["post_to_completed"]
        target_ms = latency["poll_s"] * 1000 + 100 if key == "workers_orm" else 50
        target = f"p50 < {target_ms:.0f} ms" + (" (poll + 100 ms)" if key == "workers_orm" else "")
        rows.append(
            f"| {label} | {total['count']} | {_f(latency['post_202']['p50_ms'])} | {_f(latency['post_to_claimed']['p50_ms'])} | "
            f"{_f(total['p50_ms'])} | {_f(total['p95_ms'])} | {target}: {verdict(total['p50_ms'] < target_ms)} |"
        )
    return [
        title,
        "",
        "Sequential `POST prompt/enhance` through gunicorn with one cluster running; each sample is the "
        "job's `completed_at` minus the moment the request was sent (one machine, one clock), with a "
        "random pause between samples so they do not lock onto the broker's poll cycle.",
        "",
        "| broker | samples | 202 answered p50 ms | claimed p50 ms | completed p50 ms | completed p95 ms | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
    ]


def _growth(phases: dict, results: dict) -> list[str]:
    title = "## 4. Growth: the same page with a small and a large history"
    phase = phases.get("growth")
    if (error := _error(phase, title)) is not None:
        return error
    small, large = phase["sizes"][0], phase["sizes"][-1]
    rows = []
    for name, label in (("dialogue_history", "`GET dialogue/history` (page of 50)"),
                        ("jobs_failed", "`GET jobs/?status=failed` (page of 50)")):  # fmt: skip
        by_size = {int(size) if str(size).isdigit() else size: value for size, value in phase["endpoints"][name].items()}
        a, b = by_size[small], by_size[large]
        ok = by_size["ratio"] <= 1.5 and by_size["same_queries"]
        rows.append(
            f"| {label} | {_f(a['median_ms'], 2)} | {_f(b['median_ms'], 2)} | {by_size['ratio']:.2f}x | "
            f"{a['queries']} / {b['queries']} | {verdict(ok)} |"
        )
    return [
        title,
        "",
        f"One user owning {small:,} and then {large:,} dialogue jobs (one in ten failed, the others completed "
        "with a dialogue of 6 lines). Median of "
        f"{phase['repeats']} requests through Django in-process (test client, token auth, no HTTP), SQL "
        "queries counted with a `connection.execute_wrapper`.",
        "",
        f"| request | {small:,} rows ms | {large:,} rows ms | ratio | SQL queries | within 1.5x, same queries |",
        "|---|---:|---:|---:|---:|---|",
        *rows,
    ]


def _cleanup(phases: dict, results: dict) -> list[str]:
    title = "## 5. Cleanup: deleting an expired history while the API is read"
    phase = phases.get("cleanup")
    if (error := _error(phase, title)) is not None:
        return error
    written, deleted = phase["written"], phase["deleted"]
    idle, during = phase["reads_idle"], phase["reads_during"]
    return [
        title,
        "",
        f"{written['jobs']:,} expired jobs with their artifacts: {written['prompts']:,} prompt enhancements, "
        f"{written['dialogues']:,} dialogues ({written['dialogue_lines']:,} lines), {written['grids']:,} 2x2 grids "
        f"({written['grid_panels']:,} panels, {written['files']:,} image files). `history_cleanup` "
        f"(batches of {phase['batch_size']}) while another process GETs `dialogue/history` back to back "
        "through gunicorn (its own recent history, which the cleanup keeps).",
        "",
        f"- deleted: {', '.join(f'{key} {value:,}' for key, value in deleted.items())}; image files left: {phase['files_left']}",
        f"- time: **{_f(phase['seconds'])} s** ({_f(phase['jobs_per_s'], 0)} jobs/s with their artifacts)",
        "",
        "| reads of dialogue/history | requests | p50 ms | p99 ms | longest wait ms |",
        "|---|---:|---:|---:|---:|",
        f"| baseline: no cleanup running | {idle['count']} | {_f(idle['p50_ms'])} | {_f(idle['p99_ms'])} | {_f(idle['max_ms'])} |",
        f"| during the cleanup | {during['count']} | {_f(during['p50_ms'])} | {_f(during['p99_ms'])} | **{_f(during['max_ms'])}** |",
    ]


def _generators(phases: dict, results: dict) -> list[str]:
    title = "## 6. Generators alone"
    phase = phases.get("generators")
    if (error := _error(phase, title)) is not None:
        return error
    rows = [
        f"| {job_type} | {_f(r['per_s'])} {r['unit']}/s | {r['runs']} runs, {r['made']} {r['unit']} in {_f(r['seconds'], 2)} s | "
        f"{', '.join(f'{k} {v}' for k, v in r['params'].items())} |"
        for job_type, r in phase.items()
    ]
    return [
        title,
        "",
        "The built-in generators' `run()` called directly (no queue, no rows written; grid files written "
        "then discarded), with the parameters the API stores for the original examples. No baseline: "
        "these are the ceilings the worker figures above sit under.",
        "",
        "| generator | rate | measured | parameters |",
        "|---|---:|---|---|",
        *rows,
    ]
