"""Rate limits per API key (not per address: one integration, one budget, wherever it runs)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per key (e.g. "600/minute"; empty for no limit), counted in the cache."""

    scope = "api_key"

    def get_rate(self):
        return getattr(settings, "API_RATE_LIMIT", "600/minute") or None

    def get_cache_key(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        return f"calista:api-throttle:{key.prefix}"  # the prefix, not the id: unique for good, even across databases
