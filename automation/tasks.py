"""django-q2 entry points. They take ids and call automation.jobs; no logic lives here."""
from automation import jobs


def run_job(job_id: str) -> str:
    job = jobs.job_run(job_id=job_id)
    return job.status if job else "skipped"


def dispatch_due_jobs() -> int:
    return jobs.job_dispatch_due()


def recover_stale_jobs() -> int:
    return jobs.job_recover_stale()


def cleanup_history() -> dict[str, int]:
    return jobs.history_cleanup()
