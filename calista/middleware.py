"""Security headers, and a clean answer when the database is briefly away."""

import logging

from django.conf import settings


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
