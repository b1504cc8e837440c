from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_existing_attempts(apps, schema_editor):
    GenerationJob = apps.get_model("automation", "GenerationJob")
    JobAttempt = apps.get_model("automation", "JobAttempt")
    attempts = (
        JobAttempt.objects.filter(job=OuterRef("pk")).order_by().values("job").annotate(n=Count("pk")).values("n")
    )
    GenerationJob.objects.update(attempt_count=Coalesce(Subquery(attempts), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0004_dialogue"),
    ]

    operations = [
        migrations.AddField(
            model_name="generationjob",
            name="attempt_count",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Attempts started, all retries included (the next attempt's number - 1).",
            ),
        ),
        migrations.RunPython(count_existing_attempts, migrations.RunPython.noop),
    ]
