"""Hostile input, one row per case, on every endpoint that writes: the answer's status and
message, and that nothing was stored. Text that is merely unusual (SQL-ish, HTML, emoji) is
stored and returned as text, and escaped where HTML shows it (admin; the panel is in
tests/test_hostile_text_in_browser.py)."""
import json
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django_q.models import OrmQ

from automation.models import Character, CharacterGrid, Dialogue, GenerationJob, PromptEnhancement

DIALOGUE, GRID, PROMPT, CHARACTERS = (
    "/api/automation/dialogue/generate",
    "/api/automation/character/grid/generate",
    "/api/automation/prompt/enhance",
    "/api/automation/characters/",
)
ARIA = {"character_id": "aria", "name": "Aria", "archetype": "hero"}
VEX = {"character_id": "vex", "name": "Vex", "archetype": "villain"}
VALID = {
    DIALOGUE: {"characters": [ARIA, VEX], "num_lines": 4, "context": {"location": "a harbour"}},
    GRID: {"character_id": "aria", "grid_size": "2x2"},
    PROMPT: {"base_prompt": "A lighthouse at dusk"},
    CHARACTERS: ARIA,
}
MEGABYTE = "x" * 1_000_000
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
STORED = [GenerationJob, Dialogue, Character, PromptEnhancement, CharacterGrid, OrmQ]
BAD_ID = "A character id may only contain letters, digits, '_' and '-'."
GRID_BAD_ID = "Use 1-64 letters, digits, '_' or '-'."
UNSUPPORTED = 'Unsupported media type "{}" in request.'


def with_(endpoint: str, **changes) -> dict:
    return {**VALID[endpoint], **changes}


def with_character(**changes) -> dict:
    return with_(DIALOGUE, characters=[{**ARIA, **changes}, VEX])


@dataclass
class Row:
    endpoint: str
    body: object  # a dict sent as JSON, or raw str/bytes sent as is
    status: int
    where: tuple = ("detail",)  # path to the message in the error body
    message: str = ""
    content_type: str = "application/json"
    query: str = ""
    headers: dict = field(default_factory=dict)


def rows():
    cases = {}
    # --- Wrong content types: the API reads JSON only --------------------------------------
    for endpoint in VALID:
        name = endpoint.rstrip("/").rsplit("/", 1)[-1]
        cases[f"form-encoded-{name}"] = Row(
            endpoint, "base_prompt=x&character_id=aria", 415,
            message=UNSUPPORTED.format("application/x-www-form-urlencoded"),
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
        cases[f"text-plain-{name}"] = Row(
            endpoint, json.dumps(VALID[endpoint]), 415, message=UNSUPPORTED.format("text/plain"), content_type="text/plain"
        )
        cases[f"xml-{name}"] = Row(
            endpoint, "<request><base_prompt>x</base_prompt></request>", 415,
            message=UNSUPPORTED.format("application/xml"), content_type="application/xml",
        )  # fmt: skip
        cases[f"truncated-json-{name}"] = Row(endpoint, json.dumps(VALID[endpoint])[:-3], 400, message="JSON parse error")
        cases[f"deeply-nested-json-{name}"] = Row(
            endpoint, DEEP_ARRAY, 400, message="JSON parse error - the document is nested too deeply."
        )
        cases[f"json-list-not-object-{name}"] = Row(
            endpoint, "[1, 2]", 400, ("non_field_errors",), "Invalid data. Expected a dictionary, but got list."
        )
    cases["multipart"] = Row(PROMPT, "--b\r\n\r\n--b--", 415, message=UNSUPPORTED.format("multipart/form-data; boundary=b"),
                             content_type="multipart/form-data; boundary=b")  # fmt: skip
    # --- Not JSON, or JSON Python would accept but the standard does not --------------------
    cases["invalid-utf8"] = Row(PROMPT, b'{"base_prompt": "caf\xe9"}', 400, message="JSON parse error")
    cases["nan-literal"] = Row(PROMPT, '{"base_prompt": "x", "variants": NaN}', 400, message="JSON parse error")
    cases["infinity-literal"] = Row(DIALOGUE, '{"num_lines": Infinity}', 400, message="JSON parse error")
    cases["json-null"] = Row(DIALOGUE, "null", 400, ("non_field_errors",), "No data provided")
    cases["json-string"] = Row(GRID, '"aria"', 400, ("non_field_errors",), "Invalid data. Expected a dictionary, but got str.")
    # --- Nesting where a flat value belongs -------------------------------------------------
    nested = json.loads('{"a": ' * 50 + '"x"' + "}" * 50)
    cases["nested-object-as-location"] = Row(
        DIALOGUE, with_(DIALOGUE, context={"location": nested}), 400, ("context", "location"), "Not a valid string."
    )
    cases["nested-object-as-trait"] = Row(
        CHARACTERS, with_(CHARACTERS, personality_traits={"courage": nested}), 400,
        ("personality_traits",), 'Trait "courage" must be a number from 0.0 to 1.0.',
    )  # fmt: skip
    cases["nested-list-as-outfit"] = Row(GRID, with_(GRID, outfits=[[["casual"]]]), 400, ("outfits", "0"), "is not a valid choice")
    cases["object-as-base-prompt"] = Row(PROMPT, with_(PROMPT, base_prompt=nested), 400, ("base_prompt",), "Not a valid string.")
    # --- Sizes: 1 MB strings, and a body over the upload limit ------------------------------
    too_long = "Ensure this field has no more than {} characters."
    cases["1mb-title"] = Row(DIALOGUE, with_(DIALOGUE, title=MEGABYTE), 400, ("title",), too_long.format(200))
    cases["1mb-character-name"] = Row(DIALOGUE, with_character(name=MEGABYTE), 400, ("characters", "0", "name"), too_long.format(100))
    cases["1mb-situation"] = Row(
        DIALOGUE, with_(DIALOGUE, context={"situation": MEGABYTE}), 400, ("context", "situation"), too_long.format(200)
    )
    cases["1mb-grid-description"] = Row(
        GRID, with_(GRID, character_description=MEGABYTE), 400, ("character_description",), too_long.format(1000)
    )
    cases["1mb-base-prompt"] = Row(PROMPT, with_(PROMPT, base_prompt=MEGABYTE), 400, ("base_prompt",), too_long.format(2000))
    cases["1mb-description"] = Row(CHARACTERS, with_(CHARACTERS, description=MEGABYTE), 400, ("description",), too_long.format(2000))
    cases["1mb-character-id"] = Row(CHARACTERS, with_(CHARACTERS, character_id=MEGABYTE), 400, ("character_id",), too_long.format(64))
    cases["3mb-body"] = Row(PROMPT, with_(PROMPT, base_prompt=MEGABYTE * 3), 413, message="The request body is larger than")
    cases["1kb-idempotency-key"] = Row(
        DIALOGUE, VALID[DIALOGUE], 400, ("Idempotency-Key",), "At most 255 characters.", headers={"Idempotency-Key": "k" * 1024}
    )
    # --- Unicode and control characters -----------------------------------------------------
    cases["nul-in-base-prompt"] = Row(PROMPT, with_(PROMPT, base_prompt="a\x00b"), 400, ("base_prompt",), "Null characters are not allowed.")
    cases["nul-in-name"] = Row(CHARACTERS, with_(CHARACTERS, name="Ar\x00ia"), 400, ("name",), "Null characters are not allowed.")
    cases["nul-in-location"] = Row(
        DIALOGUE, with_(DIALOGUE, context={"location": "\x00"}), 400, ("context", "location"), "Null characters are not allowed."
    )
    cases["lone-surrogate"] = Row(PROMPT, '{"base_prompt": "a\\ud800b"}', 400, ("base_prompt",), "Surrogate characters are not allowed")
    cases["bell-in-character-id"] = Row(CHARACTERS, with_(CHARACTERS, character_id="ar\x07ia"), 400, ("character_id",), BAD_ID)
    cases["zero-width-space-in-character-id"] = Row(CHARACTERS, with_(CHARACTERS, character_id="aria\u200b"), 400, ("character_id",), BAD_ID)
    cases["accented-character-id"] = Row(CHARACTERS, with_(CHARACTERS, character_id="ariä"), 400, ("character_id",), BAD_ID)
    cases["rtl-override-grid-id"] = Row(GRID, with_(GRID, character_id="aria\u202egnp"), 400, ("character_id",), GRID_BAD_ID)
    # --- Path-like character ids: never a path ----------------------------------------------
    for label, value in [("dot-dot-slash", "../x"), ("slash", "a/b"), ("encoded-dots", "%2e%2e"), ("dot-dot", ".."),
                         ("backslash", "..\\x"), ("absolute", "/etc/passwd")]:  # fmt: skip
        cases[f"{label}-id-character"] = Row(CHARACTERS, with_(CHARACTERS, character_id=value), 400, ("character_id",), BAD_ID)
        cases[f"{label}-id-grid"] = Row(GRID, with_(GRID, character_id=value), 400, ("character_id",), GRID_BAD_ID)
        cases[f"{label}-id-dialogue"] = Row(DIALOGUE, with_character(character_id=value), 400, ("characters", "0", "character_id"), BAD_ID)
    # --- Unknown fields (typos, mass assignment) --------------------------------------------
    cases["unknown-field-dialogue"] = Row(DIALOGUE, with_(DIALOGUE, moood="tense"), 400, ("moood",), "Unknown field.")
    cases["unknown-field-in-context"] = Row(DIALOGUE, with_(DIALOGUE, context={"weathr": "rain"}), 400, ("context", "weathr"), "Unknown field.")
    cases["unknown-field-grid"] = Row(GRID, with_(GRID, poses_list=["standing"]), 400, ("poses_list",), "Unknown field.")
    cases["unknown-field-prompt"] = Row(PROMPT, with_(PROMPT, negative="blurry"), 400, ("negative",), "Unknown field.")
    cases["owner-mass-assignment"] = Row(CHARACTERS, with_(CHARACTERS, owner=1), 400, ("owner",), "Unknown field.")
    cases["status-mass-assignment"] = Row(PROMPT, with_(PROMPT, status="completed", result={}), 400, ("result",), "Unknown field.")
    # --- Negative and huge numbers ----------------------------------------------------------
    at_least, at_most = "Ensure this value is greater than or equal to {}.", "Ensure this value is less than or equal to {}."
    for label, value, message in [("negative", -1, at_least.format(1)), ("zero", 0, at_least.format(1)),
                                  ("over-max", 101, at_most.format(100)), ("huge", 10**400, at_most.format(100)),
                                  ("fraction", 1.5, "A valid integer is required.")]:  # fmt: skip
        cases[f"num-lines-{label}"] = Row(DIALOGUE, with_(DIALOGUE, num_lines=value), 400, ("num_lines",), message)
    cases["seed-negative-dialogue"] = Row(DIALOGUE, with_(DIALOGUE, seed=-1), 400, ("seed",), at_least.format(0))
    cases["seed-2-64-dialogue"] = Row(DIALOGUE, with_(DIALOGUE, seed=2**64), 400, ("seed",), at_most.format(2**32 - 1))
    cases["seed-2-31-grid"] = Row(GRID, with_(GRID, seed=2**31), 400, ("seed",), at_most.format(2**31 - 1))
    cases["seed-huge-prompt"] = Row(PROMPT, with_(PROMPT, seed=10**100), 400, ("seed",), at_most.format(2**32 - 1))
    cases["variants-zero"] = Row(PROMPT, with_(PROMPT, variants=0), 400, ("variants",), "Allowed values: 1 to 20.")
    cases["variants-huge"] = Row(PROMPT, with_(PROMPT, variants=10**9), 400, ("variants",), "Allowed values: 1 to 20.")
    cases["max-retries-negative"] = Row(GRID, with_(GRID, max_retries=-1), 400, ("max_retries",), at_least.format(0))
    cases["max-retries-huge"] = Row(DIALOGUE, with_(DIALOGUE, maxRetries=10**6), 400, ("max_retries",), at_most.format(10))
    cases["width-huge"] = Row(GRID, with_(GRID, width=2**40), 400, ("width",), at_most.format(2048))
    cases["height-not-multiple-of-8"] = Row(GRID, with_(GRID, height=500), 400, ("height",), "Must be a multiple of 8")
    for label, value, message in [("negative", "-1", at_least.format(0)), ("over-max", "31", at_most.format(30)),
                                  ("nan", "nan", "A valid number is required."), ("inf", "inf", "A valid number is required."),
                                  ("text", "soon", "A valid number is required.")]:  # fmt: skip
        cases[f"wait-{label}"] = Row(PROMPT, VALID[PROMPT], 400, ("wait",), message, query=f"?wait={value}")
    # A bad option after valid characters: the characters are not saved either.
    cases["wait-negative-dialogue-with-new-characters"] = Row(
        DIALOGUE, VALID[DIALOGUE], 400, ("wait",), at_least.format(0), query="?wait=-1"
    )
    # --- Wrong enum casing ------------------------------------------------------------------
    allowed = "is not a valid choice. Allowed values:"
    cases["archetype-Hero"] = Row(CHARACTERS, with_(CHARACTERS, archetype="Hero"), 400, ("archetype",), f'"Hero" {allowed}')
    cases["archetype-HERO-dialogue"] = Row(DIALOGUE, with_character(archetype="HERO"), 400, ("characters", "0", "archetype"), f'"HERO" {allowed}')
    cases["grid-size-3X3"] = Row(GRID, with_(GRID, grid_size="3X3"), 400, ("grid_size",), f'"3X3" {allowed}')
    cases["grid-size-3-by-3"] = Row(GRID, {"character_id": "aria", "gridSize": "3 x 3"}, 400, ("grid_size",), f'"3 x 3" {allowed}')
    cases["style-Anime"] = Row(PROMPT, with_(PROMPT, style="Anime"), 400, ("style",), f'"Anime" {allowed}')
    cases["mood-Tense"] = Row(DIALOGUE, with_(DIALOGUE, context={"mood": "Tense"}), 400, ("context", "mood"), f'"Tense" {allowed}')
    cases["dialogue-type-Conflict"] = Row(DIALOGUE, with_(DIALOGUE, dialogueType="Conflict"), 400, ("dialogue_type",), f'"Conflict" {allowed}')
    cases["outfit-Casual"] = Row(GRID, with_(GRID, outfits=["Casual"]), 400, ("outfits", "0"), f'"Casual" {allowed}')
    # --- Providers: a configured name, never anything else ----------------------------------
    cases["provider-unknown-dialogue"] = Row(DIALOGUE, with_(DIALOGUE, provider="openai"), 400, ("provider",), f'"openai" {allowed} builtin, llm.')
    cases["provider-casing-dialogue"] = Row(DIALOGUE, with_(DIALOGUE, provider="LLM"), 400, ("provider",), f'"LLM" {allowed}')
    cases["provider-unknown-grid"] = Row(GRID, with_(GRID, provider="midjourney"), 400, ("provider",), f'"midjourney" {allowed}')
    cases["provider-text-for-images"] = Row(GRID, with_(GRID, provider="llm"), 400, ("provider",), f'"llm" {allowed}')
    cases["provider-unknown-prompt"] = Row(PROMPT, with_(PROMPT, provider="comfyui"), 400, ("provider",), f'"comfyui" {allowed} builtin, llm.')
    # --- Naming a URL: never followed (no SSRF) ---------------------------------------------
    metadata = "http://169.254.169.254/latest/meta-data/"
    cases["provider-is-a-url-dialogue"] = Row(DIALOGUE, with_(DIALOGUE, provider=metadata), 400, ("provider",), allowed)
    cases["provider-is-a-url-grid"] = Row(GRID, with_(GRID, provider="http://127.0.0.1:6379/"), 400, ("provider",), allowed)
    cases["provider-is-an-object"] = Row(DIALOGUE, with_(DIALOGUE, provider={"url": metadata}), 400, ("provider",), allowed)
    for endpoint, names in [(DIALOGUE, ["llm_url", "base_url", "api_base"]), (GRID, ["comfyui_url", "base_url", "image_url"]),
                            (PROMPT, ["llm_url", "base_url"]), (CHARACTERS, ["avatar_url"])]:  # fmt: skip
        for name in names:
            label = f"{name}-{endpoint.rstrip('/').rsplit('/', 1)[-1]}"
            cases[label] = Row(endpoint, with_(endpoint, **{name: metadata}), 400, (name,), "Unknown field.")
    cases["llm-url-inside-a-character"] = Row(
        DIALOGUE, with_character(llm_url=metadata), 400, ("characters", "0", "llm_url"), "Unknown field."
    )
    cases["base-url-inside-context"] = Row(
        DIALOGUE, with_(DIALOGUE, context={"base_url": metadata}), 400, ("context", "base_url"), "Unknown field."
    )
    return cases


ROWS = rows()


def stored_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED}


def message_at(data, path: tuple) -> str:
    for key in path:
        if isinstance(data, list):
            data = data[int(key)]
        else:
            data = data[key]
    return " ".join(data) if isinstance(data, list) else str(data)


def send(client, row: Row):
    if isinstance(row.body, (str, bytes)):
        body, content_type = row.body, row.content_type
    else:
        body, content_type = json.dumps(row.body), "application/json"
    return client.generic("POST", row.endpoint + row.query, body, content_type=content_type,
                          headers=row.headers)  # fmt: skip


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_it_rejects_hostile_input_and_stores_nothing(db, owner_client, row):
    before = stored_counts()
    response = send(owner_client, row)

    assert response.status_code == row.status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert row.message in message_at(response.json(), row.where)
    assert stored_counts() == before


def test_the_table_covers_every_writing_endpoint():
    assert {row.endpoint for row in ROWS.values()} == set(VALID)
    print(f"\nhostile input: {len(ROWS)} rows")


def test_a_valid_request_passes_the_same_checks(db, owner_client):
    """The rows fail for their hostile part only: the unchanged payloads are accepted."""
    for endpoint, body in VALID.items():
        if endpoint == CHARACTERS:
            body = {**body, "character_id": "aria-2"}  # the dialogue saved "aria"
        response = owner_client.post(endpoint, body, format="json")
        assert response.status_code in (201, 202), (endpoint, response.content)


# --- Unusual text is text ------------------------------------------------------------------

SQLISH = "Robert'); DROP TABLE automation_character;-- ' OR '1'='1"
SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"
UNICODE = "Ærin 龍 \u202eRTL\u202c 🐉 e\u0301 \t tab"


@pytest.mark.parametrize("text", [SQLISH, SCRIPT, UNICODE], ids=["sql-ish", "html-script", "unicode"])
def test_unusual_text_is_stored_and_returned_verbatim(db, owner, owner_client, text):
    response = owner_client.post(CHARACTERS, with_(CHARACTERS, name=text[:100], description=text), format="json")
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["description"] == text

    stored = Character.objects.get(owner=owner, character_id="aria")
    assert (stored.name, stored.description) == (text[:100], text)
    assert owner_client.get(f"{CHARACTERS}aria").json()["description"] == text
    # The table the SQL-ish text names is still there, and holds just this row.
    assert Character.objects.count() == 1


def test_sql_ish_search_text_is_a_plain_search(db, owner_client):
    owner_client.post(CHARACTERS, ARIA, format="json")
    response = owner_client.get("/api/automation/dialogue/history", {"q": "' OR 1=1 --"})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_script_text_is_escaped_in_the_admin(db, owner, client):
    character = Character.objects.create(owner=owner, character_id="aria", name=SCRIPT[:100], archetype="hero",
                                         description=SCRIPT)  # fmt: skip
    staff = get_user_model().objects.create_user("admin", password="admin-password-1", is_staff=True, is_superuser=True)
    client.force_login(staff)

    for url in [f"/admin/automation/character/{character.pk}/change/", "/admin/automation/character/"]:
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page, url
        assert "<script>alert(" not in page, url
        assert "<img src=x" not in page, url


@pytest.mark.parametrize("path", ["..%2Fx", "%2e%2e", "a%2Fb", "..", "aria%00"])
def test_a_path_like_id_in_the_url_is_a_json_404(db, owner_client, path):
    response = owner_client.get(f"{CHARACTERS}{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- Dates in query strings ------------------------------------------------------------------

HISTORIES = ["/api/automation/jobs/", "/api/automation/dialogue/history", "/api/automation/prompt/history"]


@pytest.mark.parametrize("url", HISTORIES)
@pytest.mark.parametrize("moment", ["0501-01-09T19:42:42-16:16", "5788-05-08T23:37:10+22:49"])
def test_a_far_utc_offset_is_compared_in_utc(db, owner_client, url, moment):
    """Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59 (it was a 500 there)."""
    for name in ("created_after", "created_before"):
        assert owner_client.get(url, {name: moment}).status_code == 200


@pytest.mark.parametrize("url", HISTORIES)
def test_a_date_that_leaves_the_calendar_in_utc_is_a_400(db, owner_client, url):
    response = owner_client.get(url, {"created_after": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert response.json() == {"created_after": ["This date and time is out of range."]}


def test_deleting_history_before_a_far_offset_date_works_or_says_why(db, owner_client):
    url = "/api/automation/prompt/history"
    assert owner_client.delete(f"{url}?before=5788-05-08T23:37:10.4970%2B22:49").json() == {"count": 0}
    response = owner_client.delete(f"{url}?before=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 400
    assert response.json() == {"before": ["This date and time is out of range."]}
    dialogues = owner_client.delete("/api/automation/dialogue/history?before=0001-01-01T00:00:00%2B05:00")
    assert dialogues.status_code == 400
