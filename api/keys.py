"""API keys: created and revoked by an organization's administrator, shown once, kept as a hash.

A key reads `cal_<prefix>_<secret>`: the prefix (8 hex digits) finds the row and names the key on
the portal; only the SHA-256 of the whole key is stored, so a key that is lost cannot be shown
again, only revoked and replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from api.models import ApiKey

KEY_PREFIX = "cal"
NAME_LIMIT = 100
LAST_USED_PRECISION = timedelta(minutes=1)  # last_used_at is written at most once a minute per key


class ApiKeyError(Exception):
    """A key that cannot be created or revoked; says why in the user's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def keys_for(org: Organization | None) -> QuerySet:
    """The organization's own keys (every organization sees only its own, operators included)."""
    if org is None:
        return ApiKey.objects.none()
    return ApiKey.objects.filter(organization=org)


def api_key_create(*, organization: Organization, name: str, read_only: bool = False, user=None) -> tuple[ApiKey, str]:
    """A new key for the organization; returns the row and the key itself, which is never shown again."""
    name = " ".join((name or "").split())
    if not name:
        raise ApiKeyError(_("Give the key a name, e.g. the system that will use it."))
    if len(name) > NAME_LIMIT:
        raise ApiKeyError(_("Keep the name under %(limit)s characters.") % {"limit": NAME_LIMIT})
    scope = ApiKey.Scope.READ_ONLY if read_only else ApiKey.Scope.READ_WRITE
    for _attempt in range(5):  # a prefix is 32 random bits: a clash is rare, and then another is drawn
        prefix = secrets.token_hex(4)
        raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(organization=organization, name=name, prefix=prefix, hashed_key=_digest(raw),
                                            scope=scope, created_by=user)
        except IntegrityError:
            continue
        return key, raw
    raise ApiKeyError(_("No key could be made; try again."))


def api_key_revoke(*, organization: Organization, key_id: int, user=None) -> ApiKey:
    """Revoke one of the organization's keys: every call made with it from now on is refused."""
    key = keys_for(organization).filter(pk=key_id).first()
    if key is None:
        raise ApiKeyError(_("No such key."))
    keys_for(organization).filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=user)
    key.refresh_from_db()
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key this string is, with its organization; None for anything else."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    key = ApiKey.objects.select_related("organization").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.hashed_key, _digest(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)).update(
            last_used_at=now)
    return key
