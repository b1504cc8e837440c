"""Schemathesis fuzzes every operation of the project's own OpenAPI schema against a live
server, authenticated: no 5xx, and every answer conforms to the schema (status code,
content type, body). Seeded and derandomized, so a failure reproduces run after run."""
from collections import Counter

import pytest
import schemathesis
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SEED = 20261127
# Hypothesis examples per operation in the fuzzing phase; the examples and coverage phases
# add their own (boundary values, missing fields, wrong types) on top.
MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# `?wait=N` blocks for N seconds when no worker runs the job; a short wait is the same code path.
SHORTEST_WAIT = 0.01

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fuzz_user(django_user_model):
    return django_user_model.objects.create_user(username="fuzzer", password="fuzzer-password-1")


@pytest.fixture
def api_schema(request, live_server, fuzz_user):
    # schemathesis 4.32's lazy loader reads and renames `node._nodeid`, which pytest 9.2
    # replaced by a structured id; give it the attribute it expects (reporting only).
    request.node._nodeid = request.node.nodeid
    token = Token.objects.create(user=fuzz_user)
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Token {token.key}"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {
                # Stateful links are not declared in the schema; the three other phases run.
                "stateful": {"enabled": False},
                # The coverage phase sends every boundary and wrong type it can derive from the
                # schema; its positive half (valid boundary values) doubles the run time, and the
                # fuzzing phase sends valid requests, so CI runs its negative half.
                "coverage": {"unexpected-methods": [], "generation": {"mode": "negative"}},
            },
        }
    )
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json", config=config)


@pytest.fixture
def tally(api_schema):
    """Cases sent per operation; printed at the end, and every operation must have had some."""
    counts: Counter[tuple[str, str]] = Counter()
    yield counts
    operations = {result.ok().label for result in api_schema.get_all_operations()}
    tried = {operation for operation, _ in counts}
    phases = Counter()
    for (_, phase), number in counts.items():
        phases[phase] += number
    print(
        f"\nschemathesis: {sum(counts.values())} cases over {len(tried)} of {len(operations)} operations "
        f"(seed {SEED}; by phase: {dict(sorted(phases.items()))})"
    )
    assert tried == operations, sorted(operations - tried)


schema = schemathesis.pytest.from_fixture("api_schema")


def shorten_wait(case) -> None:
    if isinstance(case.query, dict) and "wait" in case.query:
        try:
            if 0 < float(case.query["wait"]) <= 30:
                case.query["wait"] = SHORTEST_WAIT
        except (TypeError, ValueError):
            pass  # not a number: the server must answer it with a 400, leave it as drawn


@schema.parametrize()
def test_the_api_holds_its_schema_under_fuzzing(case, tally):
    shorten_wait(case)
    tally[case.operation.label, f"{case.meta.phase.name.value}/{case.meta.generation.mode.value}"] += 1
    case.call_and_validate(checks=CHECKS)
