"""Security headers, a refusal of NUL characters in forms, and a clean answer when the database is briefly away."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http.multipartparser import MultiPartParserError
from django.template.response import SimpleTemplateResponse
from django.utils.translation import gettext


class ContentSecurityPolicyMiddleware:
    """A strict content security policy: scripts, styles and everything else from this origin only.

    Templates carry no inline script, no inline style attribute and no event handler attribute
    (a test keeps them so), which is what lets the policy forbid them. A view may set its own
    header (the API docs do).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(f"{name} {value}" for name, value in settings.CONTENT_SECURITY_POLICY.items())

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response


class NulCharacterMiddleware:
    """Refuse form and query values carrying a NUL character (400, nothing stored).

    No person types one; a NUL comes from a broken client or a probe, and PostgreSQL text cannot hold it.
    Django forms refuse it field by field; this covers the views that read a plain value (a note, a
    scanned code) so that none of them reaches the database with one. The API validates its own input.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and self._carries_nul(request):
            response = SimpleTemplateResponse("400.html", {"message": gettext(
                "Text cannot contain the NUL character (character code 0). Nothing was changed.")}, status=400)
            return response.render()
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request) -> bool:
        sources = [request.GET]
        if request.method == "POST" and _small(request):
            try:
                _ = request.body  # kept in memory, so that the view can parse the form again after an error below
                sources.append(request.POST)
            except (TooManyFieldsSent, RequestDataTooBig, MultiPartParserError):
                return False  # the view answers these with its own message
        return any("\x00" in key or any("\x00" in value for value in values.getlist(key))
                   for values in sources for key in values)


def _small(request) -> bool:
    """A form that fits in memory: not a manifest upload streamed to disk, whose fields Django forms check."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length <= (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


class DatabaseUnavailableMiddleware:
    """When the database is briefly away during a view, answer 503 (calista.views.server_error covers the rest)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        from calista.views import unavailable

        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logging.getLogger(__name__).warning("database unavailable for %s: %s", request.path, exception)
        return unavailable(request)
