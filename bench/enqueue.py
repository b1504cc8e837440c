"""1. Enqueue cost: POST dialogue/generate (202) against a bare authenticated DRF view,
same gunicorn, same workers, same concurrency."""
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.data import bench_user
from bench.requests_bodies import DIALOGUE_BODY
from bench.stack import WEB_THREADS, WEB_WORKERS, Gunicorn
from bench.stats import latency_summary, median_run, paired_ratio

CONCURRENCY = WEB_WORKERS * WEB_THREADS  # one request per gunicorn thread
TARGETS = {
    "baseline": ("bench/baseline", 200),
    "dialogue_generate": ("api/automation/dialogue/generate", 202),
}


def measure(*, seconds: float, log_dir: Path, loader: str = "auto", rounds: int = 3) -> dict:
    """`rounds` alternating runs of `seconds` each (baseline, ours, baseline, ours, ...), so
    a burst of load from elsewhere on the machine hits both; each figure is the median run."""
    _, token = bench_user("bench-enqueue")
    use_wrk = loader == "wrk" or (loader == "auto" and shutil.which("wrk"))
    run = _wrk if use_wrk else _python_load
    results = {"loader": "wrk" if use_wrk else "python threads + requests.Session", "concurrency": CONCURRENCY,
               "seconds": seconds, "rounds": rounds, "web": f"gunicorn {WEB_WORKERS} workers x {WEB_THREADS} threads, --reuse-port"}  # fmt: skip
    runs: dict[str, list[dict]] = {name: [] for name in TARGETS}
    with Gunicorn(log=log_dir / "enqueue-web.log") as web:
        for name, (path, expected) in TARGETS.items():
            _check(f"{web.url}/{path}", token, expected)
            run(url=f"{web.url}/{path}", token=token, seconds=min(1.0, seconds))  # warm-up: imports, connections
        for _ in range(rounds):
            for name, (path, _expected) in TARGETS.items():
                runs[name].append(run(url=f"{web.url}/{path}", token=token, seconds=seconds))
    for name, (_path, expected) in TARGETS.items():
        results[name] = {**median_run(runs[name], "requests_per_s"), "expected_status": expected,
                         "errors": sum(r["errors"] for r in runs[name]), "runs_per_s": [r["requests_per_s"] for r in runs[name]]}  # fmt: skip
    results["ratio"], results["round_ratios"] = paired_ratio(
        results["dialogue_generate"]["runs_per_s"], results["baseline"]["runs_per_s"]
    )
    return results


def _check(url: str, token: str, expected: int) -> None:
    response = requests.post(url, json=DIALOGUE_BODY, headers={"Authorization": f"Token {token}"}, timeout=30)
    if response.status_code != expected:
        raise RuntimeError(f"POST {url} answered {response.status_code}, not {expected}: {response.text[:300]}")


def _python_load(*, url: str, token: str, seconds: float) -> dict:
    """CONCURRENCY threads, each one keep-alive session posting back to back."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    body = json.dumps(DIALOGUE_BODY)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal failures
        session = requests.Session()
        mine, bad = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = session.post(url, data=body, headers=headers, timeout=60)
            mine.append(time.perf_counter() - started)
            bad += response.status_code >= 300
        with lock:
            latencies.extend(mine)
            failures += bad

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    summary = latency_summary(latencies)
    return {"requests": len(latencies), "requests_per_s": len(latencies) / elapsed, "errors": failures,
            "p50_ms": summary["p50_ms"], "p99_ms": summary["p99_ms"]}  # fmt: skip


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token {token}"
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(*, url: str, token: str, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(body=json.dumps(json.dumps(DIALOGUE_BODY)), token=token))
    try:
        output = subprocess.run(
            ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{max(1, round(seconds))}s", "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout  # fmt: skip
    finally:
        Path(script.name).unlink()
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        return float(match.group(1)) * UNITS[match.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }
