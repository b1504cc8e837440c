"""The health report: each dependency checked on its own, so one failure names itself."""
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count

from automation.models import GenerationJob


def check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "vendor": connection.vendor, "latency_ms": round((time.monotonic() - started) * 1000, 1)}


def check_broker() -> dict[str, Any]:
    from django_q.brokers import get_broker

    try:
        broker = get_broker()
        broker.ping()
        return {"ok": True, "kind": "redis" if settings.REDIS_URL else "orm", "queued": broker.queue_size()}
    except Exception as exc:
        return {"ok": False, "kind": "redis" if settings.REDIS_URL else "orm", "error": f"{type(exc).__name__}: {exc}"}


def check_workers() -> dict[str, Any]:
    """Clusters that published their status in the last few seconds (django-q2's Stat)."""
    from django_q.status import Stat

    try:
        clusters = [
            {"cluster_id": str(stat.cluster_id), "host": stat.host, "status": str(stat.status), "workers": len(stat.workers)}
            for stat in Stat.get_all()
        ]
    except Exception as exc:
        return {"ok": False, "clusters": [], "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": bool(clusters), "clusters": clusters}


def job_counts() -> dict[str, int]:
    counts = dict.fromkeys(GenerationJob.Status.values, 0)
    rows = GenerationJob.objects.order_by().values("status").annotate(n=Count("pk"))
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def providers() -> dict[str, Any]:
    """The default providers; a remote one is probed (briefly), the built-ins always work.
    An unreachable provider is reported but does not make the service unhealthy: jobs are
    still accepted and retried until it is back."""
    from automation.providers import comfyui, llm

    text, image = settings.STORYCORE_TEXT_PROVIDER, settings.STORYCORE_IMAGE_PROVIDER
    return {
        "text": {"default": text, **(llm.probe() if text == "llm" else {"ok": True})},
        "image": {"default": image, **(comfyui.probe() if image == "comfyui" else {"ok": True})},
    }


def health_report() -> tuple[bool, dict[str, Any]]:
    """(healthy, report). Healthy needs the database and the broker; no running worker
    is reported (jobs would wait) but does not make the service unhealthy."""
    database = check_database()
    broker = check_broker()
    report: dict[str, Any] = {"database": database, "broker": broker, "workers": check_workers()}
    try:
        report["jobs"] = job_counts() if database["ok"] else {}
    except DatabaseError as exc:  # e.g. tables not migrated yet
        database.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        report["jobs"] = {}
    report["providers"] = providers()
    healthy = database["ok"] and broker["ok"]
    report["status"] = "ok" if healthy else "unavailable"
    return healthy, report
