"""The periodic tasks, created or updated after every `migrate` so nobody sets them up by hand."""
from django.utils import timezone

SCHEDULES = [
    # name, task, schedule type, minutes (for MINUTES)
    ("storycore: dispatch due jobs", "automation.tasks.dispatch_due_jobs", "I", 1),
    ("storycore: recover jobs of dead workers", "automation.tasks.recover_stale_jobs", "I", 1),
    ("storycore: clean up old history", "automation.tasks.cleanup_history", "D", None),
]


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": schedule_type,
                "minutes": minutes,
                "repeats": -1,
            },
            create_defaults={
                "func": func,
                "schedule_type": schedule_type,
                "minutes": minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
