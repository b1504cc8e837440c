"""Settings for the benchmark: the product's settings plus a URLconf with the baseline view.

The environment defaults are set in os.environ (not only here) so the gunicorn and
qcluster subprocesses the benchmark starts read the same configuration.
"""
import os
from pathlib import Path

_BASE = Path(__file__).resolve().parent.parent
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("STORYCORE_HTTPS", "false")
os.environ.setdefault("STORYCORE_VAR_DIR", str(_BASE / "var" / "bench"))
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Throttling would turn a load test into a 429 test: lift it (the throttle's cache read and
# write still run on every request, as in production). The window is one second: DRF's
# throttle keeps the time of every request in its window and rewrites that list on each
# request, so a minute at a load test's rate is a list of tens of thousands of entries (the
# product's limits stop it at 6,000), which made the throttle most of the baseline's cost
# and each round slower than the one before (the list outlives a round).
for _scope in ("USER", "ANON", "GENERATE"):
    os.environ.setdefault(f"STORYCORE_THROTTLE_{_scope}", "100000000/s")
os.environ.setdefault("STORYCORE_CLUSTER_NAME", "storycore_bench")

from storycore.settings import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # users are made, never logged in
# django-q2 logs every enqueue at INFO under the "django-q" logger: keep it to warnings
# so the servers' consoles are not part of what is measured.
LOGGING["loggers"]["django-q"] = {"level": "WARNING", "propagate": True}  # noqa: F405
