"""One shape for every error the API answers: `{"errors": [{"code", "field", "message"}]}`.

`field` names what was wrong (`rows[3].pieces`, `shipments[0]`, `file`, `Idempotency-Key`) or is
null for the request as a whole; `code` is the manifest spec's code where one applies
(F_TOO_LARGE, F_EMPTY, R_ZIP...) and otherwise a stable word (required, invalid, not_found,
read_only_key, throttled...).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApiError(exceptions.APIException):
    """An error with its status, code and field, raised by views."""

    def __init__(self, status_code: int, code: str, message: str, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.errors = errors or [{"code": code, "field": field, "message": str(message)}]


def _path(parent: str | None, key) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{parent or ''}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def flatten(detail, field: str | None = None) -> list[dict]:
    """DRF's nested validation errors as a flat list of field-level errors."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            # An error of the object (or list) as a whole belongs to the object itself: `items`, not `items.non_field_errors`.
            errors += flatten(value, field if key in ("non_field_errors", "detail") else _path(field, key))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):  # a list of objects (many=True): each item at its index
                errors += flatten(item, _path(field, index))
            else:
                errors += flatten(item, field)
        return errors
    code = getattr(detail, "code", None) or "invalid"
    return [{"code": code, "field": field, "message": str(detail)}]


def _errors_for(exc) -> list[dict]:
    if isinstance(exc, ApiError):
        return exc.errors
    if isinstance(exc, exceptions.ValidationError):
        return flatten(exc.detail) or [{"code": "invalid", "field": None, "message": _("Invalid input.")}]
    detail = exc.detail
    if isinstance(detail, ErrorDetail | str):
        return [{"code": getattr(detail, "code", None) or exc.default_code, "field": None, "message": str(detail)}]
    return flatten(detail)


def api_exception_handler(exc, context):
    """DRF's handler, answering in the API's error shape; bodies too large to read become 413."""
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        exc = ApiError(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "F_TOO_LARGE", _("The request body is too large."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    response.data = {"errors": _errors_for(exc)}
    return response


def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/: a JSON 404 in the same shape."""
    return JsonResponse({"errors": [{"code": "not_found", "field": None, "message": _("No such API endpoint.")}]}, status=404)


def error_response(status_code: int, errors: list[dict], headers: dict | None = None) -> Response:
    return Response({"errors": errors}, status=status_code, headers=headers)
