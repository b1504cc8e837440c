"""What the figures were measured on."""
import os
import platform
import sqlite3
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(command: list[str]) -> str:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (output.stdout or output.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "not installed"


def describe(*, redis_url: str | None, env: dict) -> dict:
    packages = {name: metadata.version(name) for name in ("Django", "djangorestframework", "django-q2", "gunicorn")}
    info = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{_cpu_model()}, {os.cpu_count()} logical CPUs",
        "memory": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": ", ".join(f"{name} {version}" for name, version in packages.items()),
        "sqlite": sqlite3.sqlite_version,
        "database": env.get("DATABASE_URL", "SQLite (WAL) in var/bench/"),
        "wrk": _version(["wrk", "--version"]),
        "commit": _version(["git", "-C", str(BASE_DIR), "rev-parse", "--short", "HEAD"]),
    }
    if redis_url:
        import redis

        info["redis"] = f"Redis {redis.Redis.from_url(redis_url).info('server')['redis_version']} at {redis_url}"
    return info
