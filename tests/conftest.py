"""Shared fixtures: three users (owner, other, staff) and API clients for each; servers
(clusters, gunicorn) started and always stopped; a media folder per test; the broker."""
import os

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

# In the PostgreSQL + Redis run (.ci/run), a test that needs those services must fail when
# they are missing, never skip.
SERVICES_REQUIRED = os.environ.get("STORYCORE_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="owner", password="owner-password-1")


@pytest.fixture
def other(django_user_model):
    return django_user_model.objects.create_user(username="other", password="other-password-1")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="staff", password="staff-password-1", is_staff=True, is_superuser=True)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def owner_client(owner):
    return token_client(owner)


@pytest.fixture
def other_client(other):
    return token_client(other)


@pytest.fixture
def staff_client(staff):
    return token_client(staff)


@pytest.fixture
def servers(tmp_path):
    """Start servers (Cluster, WebServer, ...) that are stopped even when the test fails:
    `servers(Cluster, env=...)` returns the started server."""
    started = []

    def start(kind, **kwargs):
        server = kind(log=tmp_path / f"{kind.__name__.lower()}-{len(started)}.log", **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def llm_server(settings):
    """A real local OpenAI-compatible server (tests/support/openai_server.py), and the settings pointing at it."""
    from tests.support.openai_server import OpenAIServer

    server = OpenAIServer()
    settings.STORYCORE_LLM_URL = server.url
    settings.STORYCORE_LLM_MODEL = "llama3.1"
    settings.STORYCORE_LLM_API_KEY = ""
    settings.STORYCORE_LLM_TIMEOUT = 5.0
    yield server
    server.close()


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of this test's own, shared with the workers it starts."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def builtin_images(media, settings):
    """Grids drawn by the built-in renderer into this test's media folder."""
    settings.STORYCORE_IMAGE_PROVIDER = "builtin"
    return media


@pytest.fixture
def start_cluster(live_server, broker, media, servers):
    """Start worker clusters for a live server's jobs: `start_cluster(**env)`."""
    from tests.support.cluster import Cluster

    return lambda **env: servers(Cluster, env={"STORYCORE_MEDIA_ROOT": str(media), **env})


@pytest.fixture
def broker(db):
    """django-q2's configured broker (ORM, or Redis when REDIS_URL is set), emptied."""
    from django_q.brokers import get_broker

    broker = get_broker()
    broker.purge_queue()
    yield broker
    broker.purge_queue()


def pytest_sessionstart(session):
    """In the PostgreSQL + Redis run, missing services are a failure, not a skip."""
    if not SERVICES_REQUIRED:
        return
    from django.conf import settings

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.from_url(settings.REDIS_URL).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at {settings.REDIS_URL} is unreachable: {exc}")
    if problems:
        pytest.exit("STORYCORE_REQUIRE_SERVICES=1 but " + "; ".join(problems), returncode=1)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell in their teardown
    whether the test failed (and print what would explain it)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report

