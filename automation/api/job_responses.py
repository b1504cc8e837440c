"""The one way every generate/enhance endpoint turns a validated request into a response:
create the job (idempotently), optionally wait for it, answer 202 + Location or 200."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.response import Response

from automation import jobs, selectors
from automation.api.serializers import GenerationJobSerializer, WaitQuerySerializer

IDEMPOTENCY_KEY_MAX = 255

CREATE_JOB_PARAMETERS = [
    OpenApiParameter("wait", OpenApiTypes.FLOAT, description="Wait up to N seconds (max 30) for the result."),
    OpenApiParameter(
        "Idempotency-Key",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        description="Repeat a request with the same key to get the same job instead of a new one.",
    ),
]


def validate_job_options(request) -> tuple[float | None, str]:
    """`?wait` and `Idempotency-Key`, validated (400 otherwise). A view that writes anything
    before creating the job calls this first, so a bad option leaves nothing stored."""
    wait = None
    if "wait" in request.query_params:  # the only query parameter a generate request reads
        query = WaitQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wait = query.validated_data.get("wait")
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise serializers.ValidationError({"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]})
    return wait, key


def create_job_response(
    request, *, job_type: str, params: dict, max_retries: int | None = None, options: tuple | None = None
) -> Response:
    """`options`: what validate_job_options returned, for a view that called it already."""
    wait, key = options or validate_job_options(request)
    job, created = jobs.job_create(
        owner=request.user, job_type=job_type, params=params, max_retries=max_retries, idempotency_key=key
    )
    if wait:
        job = selectors.job_wait(job=job, timeout=wait)
    finished = wait is not None and job.is_terminal
    body = GenerationJobSerializer(job, context={"request": request}).data
    # The job's own URL, as its `url` field gives it (a DRF Hyperlink: a str subclass, which
    # WSGI servers refuse as a header value).
    headers = {"Location": str(body["url"])}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status=status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED, headers=headers)
