"""Uploads (the files forwarders send), manifests (MAWBs), shipments (HAWBs) and their events.

Status and custody are written only by shipments/lifecycle.py; nothing here
changes them. Events are append-only.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.utils.translation import gettext_lazy as _

from calista.db import Fold


class CustomsStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected by broker")
    FILED = "filed", _("Filed")
    ACE_REJECTED = "ace_rejected", _("Rejected by ACE")
    ACCEPTED = "accepted", _("Accepted")
    ON_HOLD = "on_hold", _("On hold")
    RELEASED = "released", _("Released")
    CANCELLED = "cancelled", _("Cancelled")
    SEIZED = "seized", _("Seized")


class Custody(models.TextChoices):
    AWAITING_ARRIVAL = "awaiting_arrival", _("Awaiting arrival")
    AT_TERMINAL = "at_terminal", _("At airline terminal")
    TRANSFER_AUTHORIZED = "transfer_authorized", _("Transfer authorized")
    IN_TRANSIT = "in_transit", _("In transit to CFS")
    AT_CFS = "at_cfs", _("At CFS")
    BROKEN_DOWN = "broken_down", _("Broken down")
    AT_EXAM = "at_exam", _("At exam")
    HANDED_OFF = "handed_off", _("Handed off")


class EntryType(models.TextChoices):
    T86 = "86", _("Type 86 (Section 321)")
    T11 = "11", _("Type 11 informal")
    T01 = "01", _("Type 01 formal")


class Upload(models.Model):
    """One file a forwarder sent, and the work of reading it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Refused")  # a file-level error: nothing stored
        CRASHED = "crashed", _("Failed")  # an unexpected error: nothing stored

    forwarder = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to="manifests/%Y/%m/%d/", max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    requested_encoding = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # What the reader found; used to write the error file back in the same shape.
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header = models.JSONField(default=list, blank=True)
    file_report = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name

    @property
    def is_finished(self):
        return self.state in (self.State.DONE, self.State.FAILED, self.State.CRASHED)

    @property
    def is_xlsx(self):
        return self.original_name.lower().endswith(".xlsx")


class UploadRowError(models.Model):
    """A data record that failed its checks, kept with its original cells for the error file."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()
    mawb = models.TextField(blank=True)
    hawb = models.TextField(blank=True)
    codes = models.CharField(max_length=400, help_text="Space-separated codes, for filtering.")
    errors = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    cells = models.JSONField(default=list)

    class Meta:
        ordering = ["upload", "row"]

    def __str__(self):
        return f"row {self.row}: {self.codes}"


def mawb_display(number) -> str:
    """A MAWB as printed on the air waybill: the airline's 3-digit prefix, a dash, the 8-digit serial. Anything that is
    not 11 digits (a number as written in a failed row) is shown as it is."""
    number = "" if number is None else str(number)
    return f"{number[:3]}-{number[3:]}" if len(number) == 11 and number.isdigit() else number


class Manifest(models.Model):
    """A master air waybill: one consolidation on one flight, and its custody until breakdown."""

    forwarder = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="manifests")
    broker = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="brokered_manifests")
    cfs = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="cfs_manifests")
    mawb = models.CharField(_("MAWB"), max_length=11)
    origin_airport = models.CharField(max_length=3)
    destination_airport = models.CharField(max_length=3)
    flight_number = models.CharField(max_length=8)
    arrival_date = models.DateField()  # scheduled, as the manifest file gives it
    # The day the flight actually arrived (ACE's arrival notice), written by shipments/lifecycle.py with its parcels'.
    arrived_on = models.DateField(null=True, blank=True, help_text="The day the flight actually arrived; empty until then.")
    custody = models.CharField(max_length=24, choices=Custody.choices, default=Custody.AWAITING_ARRIVAL)
    pieces_expected = models.PositiveIntegerField(default=0)
    pieces_received = models.PositiveIntegerField(null=True, blank=True)
    shipments_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arrival_date", "mawb"]
        constraints = [models.UniqueConstraint(fields=["forwarder", "mawb"], name="unique_mawb_per_forwarder")]
        indexes = [
            models.Index(fields=["destination_airport", "arrival_date"]),
            models.Index(fields=["broker", "arrival_date"]),
            models.Index(fields=["cfs", "custody"]),
        ]

    def __str__(self):
        return mawb_display(self.mawb)

    @property
    def mawb_display(self):
        return str(self)


class Shipment(models.Model):
    """A house air waybill with its normalised data, the customs decision and both status dimensions."""

    manifest = models.ForeignKey(Manifest, on_delete=models.PROTECT, related_name="shipments")
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments")
    row = models.PositiveIntegerField(default=0)
    # Tenancy, copied from the manifest so that every scoped query is one indexed filter. The manifest's
    # own foreign keys guard these; the copies carry no constraint or index of their own (the composite
    # indexes below start with them) so that storing 50,000 shipments stays fast.
    forwarder = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                  db_constraint=False, db_index=False)
    broker = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False, db_index=False)
    cfs = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                            db_constraint=False, db_index=False)

    mawb = models.CharField(_("MAWB"), max_length=11)
    hawb = models.CharField(_("HAWB"), max_length=12)
    origin_airport = models.CharField(max_length=3)
    destination_airport = models.CharField(max_length=3)
    flight_number = models.CharField(max_length=8)
    arrival_date = models.DateField()
    shipper_name = models.TextField()
    shipper_address = models.TextField()
    shipper_city = models.TextField(blank=True)
    shipper_country = models.CharField(max_length=2)
    consignee_name = models.TextField()
    consignee_address1 = models.TextField()
    consignee_address2 = models.TextField(blank=True)
    consignee_city = models.TextField()
    consignee_state = models.CharField(max_length=2)
    consignee_zip = models.CharField(max_length=10)
    consignee_country = models.CharField(max_length=2, default="US")
    consignee_phone = models.TextField(blank=True)
    consignee_email = models.TextField(blank=True)
    description = models.TextField()
    hts_code = models.CharField(max_length=10)
    country_of_origin = models.CharField(max_length=2)
    pieces = models.PositiveIntegerField()
    weight_kg = models.DecimalField(max_digits=30, decimal_places=3)
    weight_original = models.TextField(help_text="The weight and unit as written in the file.")
    value_usd = models.DecimalField(max_digits=30, decimal_places=2, help_text="No upper limit in the spec: room for any amount.")
    original = models.JSONField(default=dict, help_text="The text as written of the fields the portal normalises, by column.")

    # The customs decision (customs/policy.py).
    consignee_key = models.CharField(max_length=40, help_text="Hash of the normalised consignee identity, for aggregation.")
    entry_type = models.CharField(max_length=2, choices=EntryType.choices)
    reasons = models.JSONField(default=list)
    pga = models.JSONField(default=list)
    day_total_usd = models.DecimalField(max_digits=30, decimal_places=2, default=0)
    conveyance_total_usd = models.DecimalField(max_digits=30, decimal_places=2, default=0)
    duty_estimate_usd = models.DecimalField(max_digits=30, decimal_places=2, null=True, blank=True)
    mpf_estimate_usd = models.DecimalField(max_digits=30, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # Both dimensions of status; written only by shipments/lifecycle.py.
    status = models.CharField(max_length=16, choices=CustomsStatus.choices, default=CustomsStatus.RECEIVED)
    custody = models.CharField(max_length=24, choices=Custody.choices, default=Custody.AWAITING_ARRIVAL)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    open_holds = models.PositiveSmallIntegerField(default=0, help_text="Holds placed and not yet removed (customs/holds).")
    # The general-order clock runs from here (cfs/queues.py): the manifest's arrived_on, copied to its parcels when the
    # flight arrives, so that the watch below is one indexed filter. Set for every parcel past awaiting_arrival.
    arrived_on = models.DateField(null=True, blank=True, help_text="The day the flight actually arrived; empty until then.")
    entry = models.ForeignKey("customs.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mawb", "hawb"]
        constraints = [
            models.UniqueConstraint(
                fields=["mawb", "hawb"], condition=~models.Q(status="cancelled"), name="unique_live_hawb",
            ),
        ]
        indexes = [
            models.Index(fields=["consignee_key", "arrival_date"]),
            models.Index(fields=["forwarder", "status"]),
            # The broker's review queue: its shipments of one status, oldest arrival first, read a page at a time.
            models.Index(fields=["broker", "status", "arrival_date", "mawb", "hawb"], name="shipment_broker_queue"),
            # Shipment lists, newest arrival first: a page is read in index order, not sorted out of many thousand.
            models.Index(fields=["-arrival_date", "mawb", "hawb"], name="shipment_list_order"),
            models.Index(fields=["cfs", "custody"]),
            models.Index(fields=["destination_airport", "arrival_date"]),
            models.Index(fields=["status", "arrival_date"]),
            models.Index(fields=["hawb"]),
            # Support finds a parcel by part of the consignee's name in any case and without accents (ILIKE on
            # calista_fold, dashboards/support.py): trigrams of the folded name, PostgreSQL only (migration 0010).
            GinIndex(OpClass(Fold("consignee_name"), name="gin_trgm_ops"), name="shipment_consignee_trgm"),
            # The general-order watch (cfs.queues.WATCHED: arrived, neither released nor seized, not handed off) by actual
            # arrival: a few parcels out of a million, and none at ingest (new parcels are awaiting arrival).
            models.Index(fields=["arrived_on", "destination_airport"], name="shipment_go_watch",
                         condition=~models.Q(status__in=["released", "seized"])
                         & ~models.Q(custody__in=["awaiting_arrival", "handed_off"])),
            # The boards' arrivals by the day the flight landed (dashboards/boards.py: the list behind "Arrived" on a day,
            # and the landed part of a period): only parcels that landed, so an ingest (new parcels await arrival) adds none.
            # A day's list reads its first page in the lists' order straight from it (no sort of the day's thousands).
            models.Index(fields=["arrived_on", "-arrival_date", "mawb", "hawb"], name="shipment_landed",
                         condition=models.Q(arrived_on__isnull=False)),
            # The other part of a period (tallies.arriving_since): parcels due in it that have not landed yet, a few days'
            # traffic. With the index above, a period is two index ranges rather than a scan of the table.
            models.Index(fields=["arrival_date", "destination_airport"], name="shipment_awaited",
                         condition=models.Q(arrived_on__isnull=True)),
        ]

    def __str__(self):
        return self.hawb


class ShipmentEvent(models.Model):
    """One change of customs status or custody (or a note on the timeline). Never updated or deleted."""

    class Dimension(models.TextChoices):
        CUSTOMS = "customs", _("Customs")
        CUSTODY = "custody", _("Custody")
        NOTE = "note", _("Note")

    class Actor(models.TextChoices):
        USER = "user", _("User")
        ACE = "ace", _("ACE")
        SYSTEM = "system", _("System")
        API = "api", _("API key")

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    actor = models.CharField(max_length=8, choices=Actor.choices)
    # Who acted; no database constraint, so that events stay as written and bulk inserts stay fast.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
                             db_constraint=False, db_index=False)
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.DO_NOTHING,
                                     related_name="+", db_constraint=False, db_index=False)
    # The API key a machine acted through (actor "api"); kept when the key is revoked.
    api_key = models.ForeignKey("api.ApiKey", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
                                db_constraint=False, db_index=False)
    at = models.DateTimeField()
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["shipment", "at", "id"]
        indexes = [
            # The boards' daily flows (dashboards/tallies.py) read the releases, hand-offs and ACE rejections of recent
            # days: a partial index, so the events written at ingest (received) cost it nothing.
            models.Index(fields=["at"], name="event_flow_at", condition=models.Q(to_state__in=["released", "handed_off", "ace_rejected"])),
        ]

    def __str__(self):
        return f"{self.dimension}: {self.from_state} → {self.to_state}"

    @property
    def actor_display(self) -> str:
        """Who acted, for a timeline: "User · ana", "API key · WMS link (cal_ab12)", "ACE"."""
        who = self.user if self.user_id else self.api_key if self.api_key_id else None
        return f"{self.get_actor_display()} · {who}" if who else str(self.get_actor_display())

    @property
    def to_state_display(self) -> str:
        """The state reached, in words of the active language ("Received", "At CFS")."""
        states = {self.Dimension.CUSTOMS: CustomsStatus, self.Dimension.CUSTODY: Custody}.get(self.dimension)
        return str(dict(states.choices).get(self.to_state, self.to_state)) if states else self.to_state
