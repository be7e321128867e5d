"""/healthz: is the database reachable, and the broker? JSON, 503 when either is down."""

import time

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from calista.celery import app
from calista.tasks import HEARTBEAT_KEY


def _check(fn) -> dict:
    started = time.monotonic()
    try:
        fn()
    except Exception as exc:  # any failure of a dependency is a "down", reported, never raised
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker():
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        conn.default_channel  # noqa: B018 - opening a channel proves the transport answers


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check(_database), "broker": _check(_broker)}
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "down", "checks": checks, "worker_heartbeat_age_s": _heartbeat_age()}
    return JsonResponse(body, status=200 if ok else 503)


def _heartbeat_age() -> float | None:
    """Seconds since a worker last ran the heartbeat task (informational: workers may be scaled to zero)."""
    try:
        seen = cache.get(HEARTBEAT_KEY)
    except Exception:
        return None
    return None if seen is None else round(time.time() - seen, 1)
