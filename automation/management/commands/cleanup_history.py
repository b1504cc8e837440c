from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from automation import jobs


class Command(BaseCommand):
    help = "Delete finished jobs and generated history older than the retention period, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.STORYCORE_RETENTION_DAYS, help="Keep this many days.")
        parser.add_argument("--batch-size", type=int, default=settings.STORYCORE_CLEANUP_BATCH_SIZE)

    def handle(self, *args, days, batch_size, **options):
        cutoff = timezone.now() - timedelta(days=days)
        deleted = jobs.history_cleanup(older_than=cutoff, batch_size=batch_size)
        summary = ", ".join(f"{count} {kind}" for kind, count in deleted.items())
        self.stdout.write(f"Deleted history older than {cutoff:%Y-%m-%d %H:%M} UTC: {summary}.")
