"""The public API's own records: API keys, idempotent uploads, webhook endpoints and their deliveries.

Everything here belongs to one organization (a tenant). The services that write these rows are
api/keys.py (keys), api/uploads.py (idempotency) and api/webhooks.py (endpoints, deliveries, the
feed cursors); the models hold no logic of their own.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from calista.i18n import Text


class ApiKey(models.Model):
    """A secret a machine sends as `Authorization: Bearer <key>`; it acts for its organization.

    Only a SHA-256 of the key is kept (keys are long random strings, so a plain hash is enough);
    the prefix, which is part of the key, finds the row and identifies the key on the portal.
    """

    class Scope(models.TextChoices):
        READ_ONLY = "read", _("Read only")
        READ_WRITE = "write", _("Read and write")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ_WRITE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ_ONLY


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` an organization sent with an upload, and the upload it made.

    A retry with the same key and the same request answers with the first upload instead of
    storing the file again; the same key with another request is refused.
    """

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of what was sent: the file, its name and encoding.")
    upload = models.ForeignKey("shipments.Upload", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="unique_idempotency_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return self.key


class WebhookEndpoint(models.Model):
    """A URL of an organization's own system that is told about the events it chose."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(max_length=80, help_text="Signs every delivery (HMAC-SHA256); the receiver checks with it.")
    events = models.JSONField(default=list, help_text="The event types this endpoint receives.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)  # in English, for the admin and logs
    disabled_text = models.JSONField(null=True, blank=True)  # the same untranslated (calista.i18n.Text), for the reader

    class Meta:
        ordering = ["organization", "created_at", "id"]

    def __str__(self):
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def disabled_reason_shown(self) -> str:
        """Why it was disabled, in the active language (in English for an endpoint disabled before it was translated)."""
        return Text.shown(self.disabled_text, english=self.disabled_reason)


class WebhookDelivery(models.Model):
    """One event for one endpoint: created exactly once, sent until it succeeds or runs out of attempts."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_key = models.CharField(max_length=100, help_text="The event type and what it is about, e.g. shipment.released:123.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The last attempt's HTTP status.")
    created_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True, help_text="An attempt is being made until then.")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_key"], name="unique_delivery_per_endpoint_event")]
        indexes = [models.Index(fields=["state", "next_attempt_at"]), models.Index(fields=["endpoint", "created_at"])]

    def __str__(self):
        return self.event_key


class WebhookAttempt(models.Model):
    """One try at sending a delivery, with what the endpoint answered."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_snippet = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    manual = models.BooleanField(default=False, help_text="Sent again by hand from the portal.")

    class Meta:
        ordering = ["delivery", "number", "id"]

    def __str__(self):
        return f"{self.delivery_id}#{self.number}: {self.status_code or self.error}"


class FeedCursor(models.Model):
    """How far the webhook dispatcher has read an append-only table (shipment events, uploads).

    `position`: every id up to it has been read, except the `pending` ranges
    ([low, high, give-up time as a Unix timestamp]): ids not committed yet when they were passed
    (a transaction still running), and uploads still being read.
    """

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    pending = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} at {self.position}"
