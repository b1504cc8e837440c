"""The benchmark driver (`bin/bench [--quick]`): every phase in one run, each in its own
process, then BENCHMARKS.md. The baselines run in the same run, on the same servers."""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from bench import machine, report

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
PHASE_KEYS = ("generators", "growth", "cleanup", "enqueue", "workers_orm", "workers_redis")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bin/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute); figures are rougher")
    parser.add_argument("--output", type=Path, default=BASE_DIR / "BENCHMARKS.md")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
        help="Redis for the Redis-broker run (default $BENCH_REDIS_URL or %(default)s); queues are "
        "named after STORYCORE_CLUSTER_NAME (default storycore_bench)",
    )  # fmt: skip
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis-broker run")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--only", help="comma-separated phases to run (while working on one): " + ", ".join(PHASE_KEYS))
    parser.add_argument("--from-json", type=Path, help="write the report again from a run saved with --json")
    args = parser.parse_args(argv)
    if args.from_json:
        args.output.write_text(report.render(json.loads(args.from_json.read_text())))
        print(f"[bench] wrote {args.output}")
        return

    var_dir = Path(os.environ.get("BENCH_VAR_DIR", BASE_DIR / "var" / "bench"))
    shutil.rmtree(var_dir, ignore_errors=True)  # a fresh database and media folder every run
    log_dir = var_dir / "logs"
    log_dir.mkdir(parents=True)
    (var_dir / "static").mkdir()  # WhiteNoise warns on every start when STATIC_ROOT is missing
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", STORYCORE_VAR_DIR=str(var_dir))
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    redis_env = {**env, "REDIS_URL": args.redis_url}

    plan = [("setup", "setup", env), ("generators", "generators", env), ("growth", "growth", env),
            ("cleanup", "cleanup", env), ("enqueue", "enqueue", env), ("workers_orm", "workers", env)]  # fmt: skip
    redis_note = ""
    if args.no_redis:
        redis_note = "skipped (--no-redis)"
    elif not machine.redis_answers(args.redis_url):
        redis_note = f"skipped: no Redis answered at {args.redis_url}"
    else:
        plan.append(("workers_redis", "workers", redis_env))

    if args.only:
        unknown = set(args.only.split(",")) - set(PHASE_KEYS)
        if unknown:
            parser.error(f"unknown phase(s) {', '.join(sorted(unknown))}; choose from {', '.join(PHASE_KEYS)}")
        wanted = {"setup", *args.only.split(",")}
        plan = [step for step in plan if step[0] in wanted]
    results: dict = {"quick": args.quick, "redis_url": args.redis_url, "redis_note": redis_note, "phases": {}}
    started = time.monotonic()
    load_before = os.getloadavg()
    for key, phase, phase_env in plan:
        print(f"[bench] {key} ...", flush=True)
        out = var_dir / f"{key}.json"
        begun = time.monotonic()
        command = [sys.executable, "-m", "bench.phase", phase, "--out", str(out), "--log-dir", str(log_dir)]
        completed = subprocess.run(command + (["--quick"] if args.quick else []), cwd=BASE_DIR, env=phase_env)
        if completed.returncode != 0 or not out.exists():
            results["phases"][key] = {"error": f"phase failed (exit {completed.returncode}); see the output above"}
            if key == "setup":
                raise SystemExit("[bench] setup failed")
            continue
        results["phases"][key] = json.loads(out.read_text())
        _settle(var_dir)
        print(f"[bench] {key} done in {time.monotonic() - begun:.0f}s", flush=True)
    results["total_seconds"] = time.monotonic() - started
    results["machine"] = machine.describe(redis_url=args.redis_url if not redis_note else None, env=env)
    # Other processes on the machine skew every figure; say how busy it was.
    results["machine"]["load"] = (
        "load average (1/5/15 min) {:.1f} / {:.1f} / {:.1f} at the start, ".format(*load_before)
        + "{:.1f} / {:.1f} / {:.1f} at the end".format(*os.getloadavg())
    )
    results["command"] = "bin/bench" + (" --quick" if args.quick else "")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    args.output.write_text(report.render(results))
    print(f"[bench] wrote {args.output} in {results['total_seconds']:.0f}s")


def _settle(var_dir: Path) -> None:
    """Put the last phase's writes on disk before the next phase starts: the cleanup phase
    leaves hundreds of megabytes of dirty pages and a long write-ahead log, which the kernel
    and SQLite otherwise flush during the next phase's first round."""
    database = var_dir / "storycore.sqlite3"
    if database.exists() and not os.environ.get("BENCH_DATABASE_URL"):
        with closing(sqlite3.connect(database)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()
