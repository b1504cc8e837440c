"""Serializer fields built once per class (automation.api.shared_fields): shared where they
keep no per-request state, per request where they read the request, refused where they
could read it unnoticed."""
import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from automation.api.dialogue import DialogueGenerateSerializer
from automation.api.serializers import GenerationJobSerializer
from automation.api.shared_fields import SharedContextError, SharedFields
from automation.models import GenerationJob
from tests.conftest import token_client
from tests.support.concurrency import race

URL = "/api/automation/dialogue/generate"


def body(prefix: str, lines: int) -> dict:
    return {
        "characters": [
            {"character_id": f"{prefix}-a", "name": f"{prefix} A", "archetype": "hero"},
            {"character_id": f"{prefix}-b", "name": f"{prefix} B", "archetype": "villain"},
        ],
        "numLines": lines,
        "context": {"location": f"{prefix}'s tower"},
    }


def test_instances_share_the_fields_that_keep_no_state():
    first, second = DialogueGenerateSerializer(data={}), DialogueGenerateSerializer(data={})

    assert first.fields["num_lines"] is second.fields["num_lines"]
    assert first.fields["characters"] is second.fields["characters"]


def test_a_field_that_reads_the_request_is_made_for_each_instance():
    first, second = GenerationJobSerializer(), GenerationJobSerializer()

    assert first.fields["url"] is not second.fields["url"]
    assert first.fields["url"].parent is first
    assert first.fields["status"] is second.fields["status"]


def test_a_partial_serializer_builds_its_own_fields():
    partial = DialogueGenerateSerializer(data={}, partial=True)

    assert partial.fields["num_lines"].parent is partial
    assert partial.fields["num_lines"] is not DialogueGenerateSerializer(data={}).fields["num_lines"]


def test_each_response_links_the_job_with_its_own_request(db, owner_client):
    plain = owner_client.post(URL, body("plain", 4), format="json")
    secure = owner_client.post(URL, body("secure", 4), format="json", secure=True, HTTP_HOST="localhost")

    assert plain.status_code == secure.status_code == 202
    assert plain.json()["url"].startswith("http://testserver/")
    assert secure.json()["url"].startswith("https://localhost/")
    assert secure["Location"] == secure.json()["url"]


def test_concurrent_requests_each_get_their_own_validation(transactional_db, django_user_model):
    """Eight threads validate different bodies (and two of them invalid ones) through the
    same shared fields at once: each answer and each stored job is its own."""
    users = [django_user_model.objects.create_user(username=f"user{i}", password="pw-123456789") for i in range(8)]
    clients = [token_client(user) for user in users]

    def post(i):
        payload = body(f"u{i}", 3 + i)
        if i % 4 == 3:
            payload["numLines"] = 1000  # over the maximum: a 400 for this request only
        response = clients[i].post(URL, payload, format="json")
        return response.status_code, response.json()

    results = race(post, threads=8)

    for i, (status, answer) in enumerate(results):
        if i % 4 == 3:
            assert status == 400 and "num_lines" in answer, answer
            continue
        assert status == 202, answer
        job = GenerationJob.objects.get(job_id=answer["job_id"])
        assert job.owner == users[i]
        assert job.params["num_lines"] == 3 + i
        assert [c["character_id"] for c in job.params["characters"]] == [f"u{i}-a", f"u{i}-b"]
        assert job.params["context"]["location"] == f"u{i}'s tower"
    assert GenerationJob.objects.count() == 6


class ContextReadingField(serializers.CharField):
    def to_internal_value(self, data):
        return f"{data} for {self.context['request']}"


def test_a_shared_field_that_reads_the_context_fails_loudly():
    class Nested(serializers.Serializer):
        name = ContextReadingField()

    class Outer(SharedFields, serializers.Serializer):
        nested = Nested()

    serializer = Outer(data={"nested": {"name": "x"}}, context={"request": "a request"})
    with pytest.raises(SharedContextError, match="per_request_fields"):
        serializer.is_valid()


def test_fields_that_need_the_request_are_refused_unless_made_per_request():
    class WithUser(SharedFields, serializers.Serializer):
        user = serializers.HiddenField(default=serializers.CurrentUserDefault())

    class WithMethod(SharedFields, serializers.Serializer):
        label = serializers.SerializerMethodField()

        def get_label(self, obj):
            return "label"

    class WithMethodPerRequest(WithMethod):
        per_request_fields = ("label",)

    with pytest.raises(ImproperlyConfigured, match="WithUser.user"):
        WithUser(data={}).fields
    with pytest.raises(ImproperlyConfigured, match="WithMethod.label"):
        WithMethod(instance=object()).data
    assert WithMethodPerRequest(instance=object()).data == {"label": "label"}


def test_a_field_inside_a_list_is_checked_too():
    def needs_context(value, field):
        return value

    needs_context.requires_context = True

    class Tags(SharedFields, serializers.Serializer):
        tags = serializers.ListField(child=serializers.CharField(validators=[needs_context]))

    with pytest.raises(ImproperlyConfigured, match=r"Tags.tags\[\] has a validator"):
        Tags(data={}).fields
