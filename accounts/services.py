"""Account operations: login throttling."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginThrottle


def _key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def login_locked_until(*, username: str):
    """When the account's lock ends, or None if it may try to log in."""
    throttle = LoginThrottle.objects.filter(username=_key(username)).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


def login_failure_record(*, username: str) -> None:
    """Count a failed login; lock the account once the failures reach the limit."""
    now = timezone.now()
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(username=_key(username))
        expired = throttle.locked_until is not None and throttle.locked_until <= now
        throttle.failures = 1 if expired else throttle.failures + 1
        throttle.last_failure_at = now
        throttle.locked_until = None
        if throttle.failures >= settings.LOGIN_MAX_FAILURES:
            throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        throttle.save()


def login_success_record(*, username: str) -> None:
    LoginThrottle.objects.filter(username=_key(username)).delete()
