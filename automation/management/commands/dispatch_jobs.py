from django.core.management.base import BaseCommand

from automation import jobs


class Command(BaseCommand):
    help = (
        "Recover jobs whose worker died and enqueue every pending job that is due. "
        "The worker cluster does this every minute by itself; run it by hand after an outage."
    )

    def handle(self, *args, **options):
        recovered = jobs.job_recover_stale()
        dispatched = jobs.job_dispatch_due()
        self.stdout.write(f"Recovered {recovered} job(s); enqueued {dispatched} job(s).")
