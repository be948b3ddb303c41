"""The OpenAPI document's description of errors: every operation lists the error answers it can
give, each with the one error body (config/api.py)."""

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

from config.request_limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES


class ErrorBody(serializers.Serializer):
    code = serializers.CharField(help_text="Stable per rule or check, e.g. `full`, `invalid`, `token_expired`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.DictField(help_text="For `invalid`: the messages of each field that is wrong.")


ERROR_DESCRIPTIONS = {
    400: "Bad input: `invalid` with the messages of each wrong field in `details`, or a rule's code.",
    401: "No credentials, or a token that is refused; `code` says which check it failed.",
    403: "Not allowed for this member or staff user.",
    404: "The item does not exist, or is not in the caller's organization.",
    409: "A booking rule refuses (`full`, `already_booked`, `busy`, …).",
    413: "The request body is too large.",
    414: f"The address (path and query string) is longer than the API accepts ({MAX_TARGET_BYTES} bytes).",
    415: "The request body's media type is not JSON or a form.",
    429: "Too many requests from this member or staff user; see Retry-After.",
    431: (
        f"The request's headers are more or larger than the API accepts ({MAX_HEADER_FIELDS} fields "
        f"of {MAX_HEADER_FIELD_BYTES} bytes each)."
    ),
    503: "The database is unavailable; see Retry-After.",
}
# Text without NUL, which DRF's text fields refuse (PostgreSQL cannot store it).
NO_NUL = r"^[^\u0000]*$"
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429, 503],
    description="Seconds to wait before trying again.",
)


class ApiSchema(AutoSchema):
    """Adds the error answers of each operation: 401/403 where credentials are needed, 400 where
    it reads a query or a body, 404/409 where it changes state through the booking engine (or
    names an item in its path), 413/415 where it reads a body, and 414/429/431/503 everywhere
    (414/431: an address or headers beyond config/request_limits.py)."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Also states the NUL that text fields refuse: the document says what the API accepts."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        refuses_nul = any(isinstance(validator, ProhibitNullCharactersValidator) for validator in field.validators)
        # A field's own pattern (which also refuses NUL) is stated by drf-spectacular itself.
        own_pattern = any(isinstance(validator, RegexValidator) for validator in field.validators)
        if (
            direction == "request"
            and refuses_nul
            and not own_pattern
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            schema["pattern"] = NO_NUL
        return schema

    def get_override_parameters(self):
        return [*super().get_override_parameters(), RETRY_AFTER]

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for code in self.error_statuses(operation):
            error = OpenApiResponse(ErrorBody, description=ERROR_DESCRIPTIONS[code])
            operation["responses"].setdefault(str(code), self._get_response_for_code(error, str(code)))
        return operation

    def error_statuses(self, operation: dict) -> list[int]:
        reads_body = "requestBody" in operation
        statuses = {414, 429, 431, 503}
        if not all(isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions()):
            statuses |= {401, 403}
        if reads_body or any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
            statuses.add(400)
        if self.method == "POST" or "{" in self.path:
            statuses |= {404, 409}
        if reads_body:
            statuses |= {413, 415}
        return sorted(statuses)
