"""Settings for the test suite: the production settings, with values a test run needs.

Set in os.environ (not only here) so the worker subprocesses the tests start read the
very same configuration.
"""
import os
from pathlib import Path

_BASE = Path(__file__).resolve().parent.parent
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("STORYCORE_HTTPS", "false")
os.environ.setdefault("STORYCORE_VAR_DIR", str(_BASE / "var" / "test"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("STORYCORE_BROKER_POLL", "0.05")
os.environ.setdefault("STORYCORE_THROTTLE_USER", "100000/min")
os.environ.setdefault("STORYCORE_THROTTLE_GENERATE", "100000/min")
os.environ.setdefault("STORYCORE_THROTTLE_ANON", "100000/min")
os.environ.setdefault("STORYCORE_RETRY_BACKOFF_BASE", "0.01")
os.environ.setdefault("STORYCORE_RETRY_BACKOFF_CAP", "0.05")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from storycore.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files straight from the apps (no collectstatic step in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
