"""The OpenAPI schema documents the error answers every operation can give, not only its
success: a client (and schemathesis, which checks each answer against the schema) sees
400/401/403/404/413/415/429 where DRF and our exception handler produce them."""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, and what to do about it.")


class ThrottledErrorSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(help_text="Seconds to wait; also in the Retry-After header.")


VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Bad input: one list of messages per field (`{"num_lines": ["…"]}`), '
    'or `{"detail": "…"}` for an error about the request as a whole.',
)
ERRORS = {
    "401": OpenApiResponse(ErrorSerializer, description="No credentials, or invalid ones."),
    "403": OpenApiResponse(ErrorSerializer, description="Not allowed (a CSRF failure on a session write, or not yours to change)."),
    "404": OpenApiResponse(ErrorSerializer, description="No such object, or it belongs to another user; or no such page."),
    "413": OpenApiResponse(ErrorSerializer, description="The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default)."),
    "415": OpenApiResponse(ErrorSerializer, description="The body is not JSON (send Content-Type: application/json)."),
    "429": OpenApiResponse(ThrottledErrorSerializer, description="Rate limit exceeded."),
}
RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}
}


class StoryCoreAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue  # an @extend_schema declaration of the view wins
            answer = VALIDATION_ERROR if code == "400" else ERRORS[code]
            responses[code] = self._get_response_for_code(answer, code, direction=direction)
            if code == "429":
                responses[code]["headers"] = RETRY_AFTER_HEADER
        return responses

    def _error_codes(self) -> list[str]:
        method = self.method.upper()
        parameters = self._get_parameters()
        has_query = any(parameter["in"] == "query" for parameter in parameters)
        has_path = any(parameter["in"] == "path" for parameter in parameters)
        takes_body = method in BODY_METHODS and self.get_request_serializer() is not None
        authenticated = not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

        codes = []
        if takes_body or has_query:
            codes.append("400")
        if authenticated:
            codes.append("401")
            if method in UNSAFE_METHODS:
                codes.append("403")
        # A path id that is not the caller's is a 404; so is a page number past the end.
        if has_path or any(parameter["name"] == "page" for parameter in parameters):
            codes.append("404")
        if takes_body:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes
