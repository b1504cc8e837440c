"""The jobs resource: read-only, with retry/cancel and the retry queue as actions."""
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from automation import jobs, selectors
from automation.api.filters import JobFilter
from automation.api.serializers import (
    CountSerializer,
    GenerationJobDetailSerializer,
    GenerationJobSerializer,
    RetryQueueProcessSerializer,
)
from automation.models import GenerationJob

UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


@extend_schema(tags=["jobs"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = GenerationJob.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = GenerationJobSerializer
    lookup_field = "job_id"
    lookup_value_regex = UUID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_class = JobFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GenerationJob.objects.none()
        queryset = selectors.jobs_visible_to(self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("attempts")
        return queryset

    def get_serializer_class(self):
        return GenerationJobDetailSerializer if self.action == "retrieve" else GenerationJobSerializer

    @extend_schema(request=None, responses={200: GenerationJobSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def retry(self, request, job_id=None):
        """Re-queue a failed or cancelled job (409 otherwise)."""
        job = jobs.job_retry(job=self.get_object(), by=request.user)
        return Response(self.get_serializer(job).data)

    @extend_schema(request=None, responses={200: GenerationJobSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request, job_id=None):
        """Cancel a pending, processing or failed job (409 otherwise)."""
        job = jobs.job_cancel(job=self.get_object(), by=request.user)
        return Response(self.get_serializer(job).data)

    def _retry_queue(self):
        return self.filter_queryset(self.get_queryset()).filter(status=GenerationJob.Status.FAILED)

    @extend_schema(methods=["get"], responses=GenerationJobSerializer(many=True))
    @extend_schema(methods=["delete"], responses={200: CountSerializer})
    @action(detail=False, methods=["get", "delete"], url_path="retry-queue")
    def retry_queue(self, request):
        """GET: the failed jobs. DELETE: clear them (they become cancelled and stay in history)."""
        if request.method == "DELETE":
            return Response({"count": jobs.retry_queue_clear(jobs=self._retry_queue())})
        page = self.paginate_queryset(self._retry_queue())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses=RetryQueueProcessSerializer)
    @action(detail=False, methods=["post"], url_path="retry-queue/process")
    def process_retry_queue(self, request):
        """Retry every failed job; returns the jobs re-queued."""
        retried, _ = jobs.job_retry_many(jobs=self._retry_queue().order_by("created_at"), by=request.user)
        data = GenerationJobSerializer(retried, many=True, context={"request": request}).data
        return Response({"retried": data, "count": len(retried)}, status=status.HTTP_200_OK)
