"""Account operations: login throttling, the language a member reads the portal in."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginThrottle, Membership


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


def membership_language_remember(*, membership: Membership, language: str) -> None:
    """Keep the language the member uses the portal in (chosen with the switch, or their browser's): what the portal
    sends them later, away from any request (notification e-mails), is written in it. Written only when it changes (none
    kept reads as the portal's own language)."""
    if language != (membership.language or settings.LANGUAGE_CODE) and language in dict(settings.LANGUAGES):
        Membership.objects.filter(pk=membership.pk).update(language=language)
        membership.language = language
