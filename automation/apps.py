from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AutomationConfig(AppConfig):
    name = "automation"
    verbose_name = "StoryCore automation"

    def ready(self) -> None:
        from automation.schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="storycore-schedules")
