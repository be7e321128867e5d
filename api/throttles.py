"""Rate limits per API key (not per address: one integration, one budget, wherever it runs)."""

import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey

_clock = time.time


class ApiKeyRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per key (e.g. "600/minute"; empty for no limit), counted in the cache.

    A fixed window counted with the cache's atomic increment (Redis INCR): calls that arrive
    together from many processes each take their own number, so no more than the limit pass.
    (DRF's own throttle reads, appends and writes a history, and concurrent calls overwrite
    each other's.)
    """

    scope = "api_key"

    def get_rate(self):
        return getattr(settings, "API_RATE_LIMIT", "600/minute") or None

    def get_cache_key(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        return f"calista:api-throttle:{key.prefix}"  # the prefix, not the id: unique for good, even across databases

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = _clock()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{key}:{window}"
        cache.add(counter, 0, self.duration + 5)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add and incr: this call opens the window again
            cache.add(counter, 1, self.duration + 5)
            count = 1
        return count <= self.num_requests

    def wait(self):
        return max(1, math.ceil(self.window_ends - _clock()))
