"""Run queued jobs in the test process, as a worker would (execution by calling the task)."""
from automation import tasks
from automation.models import GenerationJob


def run_pending_jobs() -> list[GenerationJob]:
    """Run every pending, due job once through the real task entry point; returns them refreshed."""
    ran = []
    for job in GenerationJob.objects.filter(status=GenerationJob.Status.PENDING).order_by("created_at"):
        tasks.run_job(str(job.job_id))
        job.refresh_from_db()
        ran.append(job)
    return ran


def run_job(job_id) -> GenerationJob:
    tasks.run_job(str(job_id))
    return GenerationJob.objects.get(pk=job_id)
