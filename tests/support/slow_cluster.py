"""`python -m tests.support.slow_cluster`: a real qcluster whose prompt jobs take
SLOW_SECONDS, checking in as they go, so a test can kill it mid-job."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from tests.support.generators import install_slow_prompt_generator  # noqa: E402

# Workers are forked from this process, so they inherit the replaced registry entry.
install_slow_prompt_generator(float(os.environ.get("SLOW_SECONDS", "30")))
call_command("qcluster")
