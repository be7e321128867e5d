"""Error pages of the portal."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.template.response import SimpleTemplateResponse
from django.views.defaults import server_error as default_server_error

UNAVAILABLE = "The service is briefly unavailable. Try again in a minute."


def unavailable(request):
    """503 with Retry-After: the database (or another service) is away; nothing the user did was lost."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE, "code": "unavailable"}, status=503)
    else:
        response = SimpleTemplateResponse("503.html", {}, status=503)
        response.render()
    response["Retry-After"] = "30"
    return response


def server_error(request):
    """handler500: a database that is briefly away is a 503, not a server error."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return unavailable(request)
    return default_server_error(request)
