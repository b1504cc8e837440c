"""Every API operation × anonymous / owner / another user / staff, as the README says:
401 without credentials (health and the docs are public), 2xx for the owner, 404 for
another user's object (and nothing of the owner's in another user's lists), 2xx for staff.
The operations come from the schema generator, which walks the URLconf, so a new endpoint
joins the matrix by itself and must be given a row below.

Also: token and session authentication, CSRF on session writes, throttling."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from automation.api import urls as api_urls
from automation.models import Character, CharacterGrid, Dialogue, GenerationJob, PromptStyle
from tests.conftest import token_client
from tests.support.jobs import run_job


def api_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted((method.upper(), path) for path, item in schema["paths"].items() for method in item)


OPERATIONS = api_operations()
# Bodies for the operations that take one; the rest send none.
BODIES = {
    ("POST", "/api/automation/dialogue/generate/"): {
        "characters": [{"character_id": "hero", "name": "Aria", "archetype": "hero"},
                       {"character_id": "foe", "name": "Vex", "archetype": "villain"}],
        "num_lines": 2,
    },  # fmt: skip
    ("POST", "/api/automation/character/grid/generate/"): {"character_id": "hero", "grid_size": "2x2"},
    ("POST", "/api/automation/prompt/enhance/"): {"base_prompt": "A lighthouse at dusk"},
    ("POST", "/api/automation/characters/"): {"character_id": "newcomer", "name": "Newcomer", "archetype": "mentor"},
    ("PUT", "/api/automation/characters/{character_id}/"): {"character_id": "owners-aria", "name": "Aria II", "archetype": "hero"},
    ("PATCH", "/api/automation/characters/{character_id}/"): {"name": "Aria III"},
    ("POST", "/api/automation/prompt/styles/custom/"): {"name": "newcomer-style", "label": "New", "template": "{prompt}, inked"},
    ("PUT", "/api/automation/prompt/styles/custom/{id}/"): {"name": "owners-style", "label": "Two", "template": "{prompt}, v2"},
    ("PATCH", "/api/automation/prompt/styles/custom/{id}/"): {"label": "Three"},
}
PUBLIC = {("GET", "/api/automation/health/")}
# Characters are looked up by an id that is unique per user only, so this API is always the
# caller's own cast, staff included (staff manage everyone's in the admin).
OWN_CAST_ONLY = "/api/automation/characters/{character_id}/"
ROLES = ["anonymous", "owner", "other", "staff"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One of everything, owned by `owner`, made once for the module through the API and the
    real job runner. It is committed; each test's own changes (a DELETE, a PUT) are rolled
    back with the test's transaction, so every test sees the same world."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock():
        users = {
            role: get_user_model().objects.create_user(f"matrix-{role}", password="pw-matrix-1", is_staff=role == "staff")
            for role in ("owner", "other", "staff")
        }
        owner = users["owner"]
        made = {}
        for operation, field in [(("POST", "/api/automation/dialogue/generate/"), "dialogue"),
                                 (("POST", "/api/automation/character/grid/generate/"), "grid"),
                                 (("POST", "/api/automation/prompt/enhance/"), "prompt")]:  # fmt: skip
            response = token_client(owner).post(operation[1], BODIES[operation], format="json")
            made[field] = run_job(response.json()["job_id"])
            assert made[field].status == "completed", made[field].error
        character = Character.objects.create(owner=owner, character_id="owners-aria", name="Aria", archetype="hero")
        style = PromptStyle.objects.create(owner=owner, name="owners-style", label="Mine", template="{prompt}, mine")
        failed = GenerationJob.objects.create(
            owner=owner, type="prompt", status="failed", params={"base_prompt": "x"}, error="boom",
            next_attempt_at=timezone.now(), completed_at=timezone.now(),
        )  # fmt: skip
        grid = CharacterGrid.objects.get(job=made["grid"])
        ids = {
            "job_id": str(failed.job_id),
            "scene_id": str(Dialogue.objects.get(job=made["dialogue"]).scene_id),
            "bundle_id": str(grid.bundle_id),
            "panel_id": str(grid.panels.first().panel_id),
            "character_id": character.character_id,
            "id": str(style.pk),
        }
    yield {"ids": ids, "users": users}
    with django_db_blocker.unblock():
        for user in users.values():
            user.delete()
    media.disable()


def client_for(role: str, world) -> APIClient:
    return APIClient() if role == "anonymous" else token_client(world["users"][role])


def expected_status(method: str, path: str, role: str, success: int) -> int:
    if (method, path) in PUBLIC:
        return success
    if role == "anonymous":
        return 401
    if "{" in path and (role == "other" or (role == "staff" and path == OWN_CAST_ONLY)):
        return 404
    return success


SUCCESS = {"POST": 200, "PUT": 200, "PATCH": 200, "DELETE": 200, "GET": 200}
CREATED = {("POST", "/api/automation/characters/"): 201, ("POST", "/api/automation/prompt/styles/custom/"): 201,
           ("DELETE", OWN_CAST_ONLY): 204, ("DELETE", "/api/automation/prompt/styles/custom/{id}/"): 204}  # fmt: skip
ACCEPTED = {path for method, path in BODIES if path.endswith(("generate/", "enhance/"))}


def success_status(method: str, path: str) -> int:
    if path in ACCEPTED:
        return 202
    return CREATED.get((method, path), SUCCESS[method])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_auth_matrix(db, world, method, path, role):
    url = path.format(**world["ids"])
    body = BODIES.get((method, path))
    response = client_for(role, world).generic(
        method, url, data=None if body is None else json.dumps(body), content_type="application/json"
    )

    expected = expected_status(method, path, role, success_status(method, path))
    assert response.status_code == expected, (url, response.content[:300])
    if expected == 401:
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == "Token"
    if expected == 404:
        assert response.json() == {"detail": "Not found."}
    if role == "other" and method == "GET" and response["Content-Type"] == "application/json":
        # Another user's lists never show the owner's objects.
        text = response.content.decode()
        assert not any(value in text for value in world["ids"].values() if len(value) > 8), url


def test_every_api_route_is_in_the_matrix():
    """A view routed under /api/automation/ but left out of the schema would escape the matrix."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    in_schema = {callback.cls for _, _, _, callback in generator.endpoints}
    routed = {pattern.callback.cls for pattern in api_urls.urlpatterns}
    assert routed <= in_schema, routed - in_schema
    assert len(OPERATIONS) >= 34
    for method, path in BODIES:
        assert (method, path) in OPERATIONS, (method, path)


@pytest.mark.parametrize("url", ["/api/schema/", "/docs", "/redoc", "/api/automation/health"])
def test_the_docs_and_health_are_public(db, anon_client, url):
    assert anon_client.get(url).status_code in (200, 503)


# --- Token and session authentication ------------------------------------------------------


def test_a_wrong_token_is_a_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/automation/jobs/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_token_auth_reads_and_writes(db, owner_client):
    assert owner_client.get("/api/automation/jobs/").status_code == 200
    assert owner_client.post("/api/automation/prompt/enhance", {"base_prompt": "x"}, format="json").status_code == 202


def test_token_auth_needs_no_csrf_token(db, owner):
    client = Client(enforce_csrf_checks=True)
    token = Token.objects.create(user=owner)
    response = client.post("/api/automation/prompt/enhance", {"base_prompt": "x"}, content_type="application/json",
                           headers={"Authorization": f"Token {token.key}"})  # fmt: skip
    assert response.status_code == 202


@pytest.fixture
def session_client(owner):
    client = Client(enforce_csrf_checks=True)
    client.login(username="owner", password="owner-password-1")
    return client


def test_session_auth_reads(db, session_client):
    assert session_client.get("/api/automation/jobs/").status_code == 200


@pytest.mark.parametrize(
    "method,url,body",
    [("POST", "/api/automation/prompt/enhance", {"base_prompt": "x"}),
     ("POST", "/api/automation/characters/", {"character_id": "a", "name": "A", "archetype": "hero"}),
     ("DELETE", "/api/automation/dialogue/history", None),
     ("DELETE", "/api/automation/jobs/retry-queue", None),
     ("POST", "/api/automation/jobs/retry-queue/process", None)],
)  # fmt: skip
def test_session_writes_need_the_csrf_token(db, owner, session_client, method, url, body):
    # Something each write would change: a failed job (retry, clear) and a dialogue (delete).
    GenerationJob.objects.create(owner=owner, type="prompt", status="failed", params={"base_prompt": "x"},
                                 next_attempt_at=timezone.now(), completed_at=timezone.now())  # fmt: skip
    Dialogue.objects.create(owner=owner, title="t", characters=[], dialogue_type="conversation", template="linear",
                            seed=1, provider="builtin")  # fmt: skip

    def state():
        return sorted(GenerationJob.objects.values_list("status", flat=True)), Dialogue.objects.count(), Character.objects.count()

    before = state()
    data = "" if body is None else json.dumps(body)
    refused = session_client.generic(method, url, data, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF Failed" in refused.json()["detail"]
    assert state() == before

    session_client.get("/")  # the panel sets the csrftoken cookie, as a browser would get it
    token = session_client.cookies["csrftoken"].value
    accepted = session_client.generic(method, url, data, content_type="application/json", headers={"X-CSRFToken": token})
    assert 200 <= accepted.status_code < 300, accepted.content
    assert state() != before


# --- Throttling ------------------------------------------------------------------------------


def test_users_are_throttled_with_429_and_retry_after(db, owner_client, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    statuses = [owner_client.get("/api/automation/jobs/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = owner_client.get("/api/automation/characters/")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Rate limit exceeded. Try again in ")
    assert int(response["Retry-After"]) == response.json()["retry_after"] > 0


def test_anonymous_clients_are_throttled_on_the_public_schema(db, anon_client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    statuses = [anon_client.get("/api/schema/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert int(anon_client.get("/api/schema/")["Retry-After"]) > 0
    # Health is for monitors: never throttled.
    assert all(anon_client.get("/api/automation/health").status_code in (200, 503) for _ in range(5))


def test_one_users_throttle_does_not_block_another(db, owner_client, other_client, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min"})
    for _ in range(3):
        owner_client.get("/api/automation/jobs/")
    assert owner_client.get("/api/automation/jobs/").status_code == 429
    assert other_client.get("/api/automation/jobs/").status_code == 200
