"""What the dashboards keep of their own: the boards' summary tables and the support agents' internal notes.

The boards read the other apps' tables and never write them. Where a figure over a million
shipments cannot be counted fast enough for every request, it is read from a small summary
table that dashboards/tallies.py recomputes from the shipments and their events every minute
(a Celery beat task): `StatusTally` and `FlowTally`, per airport, day and tenancy, with `TallyRun`
saying when that last happened.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tenancy(models.Model):
    """Whose shipments a summary row counts: the forwarder, broker and station they belong to (ids; 0: none).

    These are the three columns accounts.access scopes shipments and MAWBs by, so a row is visible to an
    organization when a MAWB it may see has the same three (dashboards/boards.py).
    """

    airport = models.CharField(max_length=3)
    forwarder_org = models.PositiveBigIntegerField()
    broker_org = models.PositiveBigIntegerField()
    cfs_org = models.PositiveBigIntegerField()

    class Meta:
        abstract = True


class StatusTally(Tenancy):
    """How many shipments of a flight's day are in each pair of customs status and custody (recent arrivals only).

    The day is the scheduled one (`arrival_date`) and the one the flight landed (`arrived_on`, empty while it has not),
    as the shipments have them: the boards count arrivals by the day they landed (dashboards/tallies.py).
    """

    arrival_date = models.DateField()
    arrived_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16)
    custody = models.CharField(max_length=24)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["arrival_date", "arrived_on", "airport", "forwarder_org", "broker_org", "cfs_org",
                                                       "status", "custody"], name="unique_status_tally")]
        indexes = [models.Index(fields=["arrival_date", "airport"])]

    def __str__(self):
        return f"{self.arrived_on or self.arrival_date} {self.airport} {self.status}/{self.custody}: {self.count}"


class FlowTally(Tenancy):
    """What happened on a day: releases and hand-offs, by how long they took, and ACE rejections by code.

    Durations are kept as a histogram: `bucket` is a band of durations (dashboards/tallies.py),
    `count` the shipments in it and `seconds` their total, so that a median or a 90th percentile
    over any days, airports and organizations is read from a few summed rows.
    """

    class Metric(models.TextChoices):
        RELEASED = "released", _("Released (time from arrival)")
        HANDED_OFF = "handed_off", _("Handed off (time from release)")
        REJECTED = "rejected", _("Rejected by ACE (by code)")

    day = models.DateField()
    metric = models.CharField(max_length=12, choices=Metric.choices)
    code = models.CharField(max_length=8, blank=True)
    bucket = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveIntegerField()
    seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "airport", "forwarder_org", "broker_org", "cfs_org", "metric", "code",
                                                       "bucket"], name="unique_flow_tally")]
        indexes = [models.Index(fields=["day", "airport"])]

    def __str__(self):
        return f"{self.day} {self.airport} {self.metric} {self.code or self.bucket}: {self.count}"


class TallyRun(models.Model):
    """When the summary tables were last recomputed (one row): the boards say how fresh their figures are."""

    finished_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never computed yet.")
    seconds = models.FloatField(default=0)
    flows_from = models.DateField(null=True, blank=True, help_text="The first day whose flows the last run recomputed.")

    def __str__(self):
        return f"tallies at {self.finished_at}"


class SupportNote(models.Model):
    """A support agent's internal note on a shipment: seen by the platform operator only, never by forwarders, brokers or stations."""

    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.CASCADE, related_name="support_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text[:40]
