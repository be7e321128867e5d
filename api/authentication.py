"""Who is calling: an API key sent as `Authorization: Bearer <key>`, and what that key may do.

The key stands for its organization: views take `request.auth.organization` and scope every
query through accounts.access, exactly as the browser does with the user's organization.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.keys import api_key_authenticate
from api.models import ApiKey


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as: Authorization: Bearer <key>."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    """A valid key; a read-only key only reads (403 on every write)."""

    message = _("This API key is read-only: create a read-write key to make changes.")
    code = "read_only_key"

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        return request.method in SAFE_METHODS or not key.read_only


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the generated OpenAPI schema describes the key."""

    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "cal_<prefix>_<secret>",
                "description": "An API key created on the portal (My settings → API keys) or with `manage.py create_api_key`."}
