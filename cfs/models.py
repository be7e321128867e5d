"""What a container freight station records: carriers, collections at the terminal, arrivals, hand-offs.

Custody itself lives on the manifest and the shipment and is written only by
shipments/lifecycle.py; these rows are the CFS's own record of each move (who drove,
how many pieces were counted, which carrier took the parcel with which tracking number).
cfs/services.py writes them, in the same transaction as the custody move.
"""

import regex
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long one tracking number may take against a station's own pattern. A sound pattern takes
# microseconds on 40 characters; one that backtracks catastrophically, such as (A|AA)+B, would hold
# a web thread for minutes.
PATTERN_TIMEOUT_SECONDS = 0.05


class PatternTooSlow(Exception):
    """The carrier's pattern took longer than PATTERN_TIMEOUT_SECONDS on a tracking number."""


class Carrier(models.Model):
    """A last-mile carrier: the national ones every station uses (no CFS), or one a station added."""

    cfs = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="carriers",
                            limit_choices_to={"kind": "cfs"}, help_text=_("Empty: offered to every station."))
    code = models.SlugField(_("code"), max_length=20, allow_unicode=True)
    name = models.CharField(_("name"), max_length=80)
    tracking_pattern = models.CharField(
        _("tracking number pattern"), max_length=300, blank=True,
        help_text=_("A regular expression the whole tracking number must match; empty accepts any."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [models.F("cfs").asc(nulls_first=True), "name"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(cfs__isnull=True), name="unique_national_carrier"),
            models.UniqueConstraint(fields=["cfs", "code"], name="unique_station_carrier"),
        ]

    def __str__(self):
        return self.name

    def accepts(self, tracking_number: str) -> bool:
        """Whether the whole tracking number matches the pattern; PatternTooSlow when the pattern runs out of time."""
        if not self.tracking_pattern:
            return True
        try:
            return regex.fullmatch(self.tracking_pattern, tracking_number, timeout=PATTERN_TIMEOUT_SECONDS) is not None
        except TimeoutError as error:
            raise PatternTooSlow(self.tracking_pattern) from error


class Collection(models.Model):
    """One pick-up at the airline terminal: a truck of a bonded carrier collects one MAWB or several."""

    cfs = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="cfs_collections")
    manifests = models.ManyToManyField("shipments.Manifest", related_name="cfs_collections")
    driver = models.CharField(_("driver"), max_length=120)
    truck = models.CharField(_("truck"), max_length=40)
    bonded_carrier = models.CharField(_("bonded carrier"), max_length=120)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    collected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-collected_at"]
        indexes = [models.Index(fields=["cfs", "collected_at"])]

    def __str__(self):
        return f"{self.truck} {self.collected_at:%Y-%m-%d %H:%M}"


class Arrival(models.Model):
    """A MAWB received in the bonded warehouse, with its pieces counted against the manifest."""

    manifest = models.OneToOneField("shipments.Manifest", on_delete=models.PROTECT, related_name="cfs_arrival")
    cfs = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="cfs_arrivals")
    pieces_expected = models.PositiveIntegerField(_("pieces on the manifest"))
    pieces_received = models.PositiveIntegerField(_("pieces counted"))
    note = models.TextField(_("note"), blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.manifest_id}: {self.pieces_received}/{self.pieces_expected}"

    @property
    def difference(self) -> int:
        """Pieces counted minus pieces expected: negative is a shortage, positive an overage."""
        return self.pieces_received - self.pieces_expected

    @property
    def shortage(self) -> int:
        return max(0, -self.difference)

    @property
    def overage(self) -> int:
        return max(0, self.difference)


class Handoff(models.Model):
    """A parcel given to a last-mile carrier, with the carrier's tracking number."""

    class Method(models.TextChoices):
        SCAN = "scan", _("Scanned")
        SELECTION = "selection", _("Selected")
        CSV = "csv", _("CSV file")
        SIMULATION = "simulation", _("Demo traffic")

    shipment = models.OneToOneField("shipments.Shipment", on_delete=models.PROTECT, related_name="handoff")
    cfs = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="cfs_handoffs")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="handoffs")
    # Indexed on its own: support finds a parcel by the tracking number alone.
    tracking_number = models.CharField(_("tracking number"), max_length=40, db_index=True)
    method = models.CharField(max_length=12, choices=Method.choices)
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-handed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["carrier", "tracking_number"], name="unique_tracking_per_carrier")]
        indexes = [models.Index(fields=["cfs", "handed_at"])]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class HandoffBatch(models.Model):
    """A CSV of hand-offs worked by a Celery task (large files), each line on its own, safe to run again."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Done")

    cfs = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="handoff_batches")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    content = models.BinaryField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    handed_off = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    # Why the whole file was refused (not a CSV, columns missing…): no line was worked.
    error = models.TextField(blank=True)
    # The uploader's language: the refusals are written in it, as a short file's report is.
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"hand-off batch {self.pk} ({self.state})"
