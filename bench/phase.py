"""One benchmark phase in its own process: `python -m bench.phase NAME --out FILE`.

Each phase runs in a fresh process so that its broker (ORM or Redis) is chosen by the
environment, exactly as for the product's own processes."""
import argparse
import json
import os
import sys
from pathlib import Path

SIZES = {
    "full": {"enqueue_seconds": 2, "enqueue_rounds": 9, "worker_jobs": 1000, "latency_samples": 60, "growth_sizes": (1_000, 100_000),
             "growth_repeats": 20, "cleanup_rows": 100_000, "idle_seconds": 3, "generator_seconds": 3},
    "quick": {"enqueue_seconds": 1, "enqueue_rounds": 5, "worker_jobs": 200, "latency_samples": 20, "growth_sizes": (1_000, 10_000),
              "growth_repeats": 10, "cleanup_rows": 10_000, "idle_seconds": 1, "generator_seconds": 1},
}  # fmt: skip
PHASES = ("setup", "generators", "growth", "cleanup", "enqueue", "workers")


def run_phase(name: str, sizes: dict, log_dir: Path) -> dict:
    if name == "setup":
        from django.core.management import call_command
        from django_q.models import Schedule

        call_command("migrate", interactive=False, verbosity=0)
        # The periodic tasks would run in the middle of a measurement (the cleanup schedule
        # would even delete the expired history seeded for phase 5): the benchmark runs none.
        return {"schedules_removed": Schedule.objects.all().delete()[0]}
    if name == "generators":
        from bench import generators

        return generators.measure(seconds=sizes["generator_seconds"])
    if name == "growth":
        from bench import growth

        return growth.measure(sizes=tuple(sizes["growth_sizes"]), repeats=sizes["growth_repeats"])
    if name == "cleanup":
        from bench import cleanup

        return cleanup.measure(rows=sizes["cleanup_rows"], idle_seconds=sizes["idle_seconds"], log_dir=log_dir)
    if name == "enqueue":
        from bench import enqueue

        return enqueue.measure(seconds=sizes["enqueue_seconds"], rounds=sizes["enqueue_rounds"], log_dir=log_dir)
    if name == "workers":
        from bench import workers

        return workers.measure(jobs_count=sizes["worker_jobs"], samples=sizes["latency_samples"], log_dir=log_dir)
    raise SystemExit(f"unknown phase {name!r}; phases: {', '.join(PHASES)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phase", choices=PHASES)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--log-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    result = run_phase(args.phase, SIZES["quick" if args.quick else "full"], args.log_dir)
    args.out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
