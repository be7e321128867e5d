"""The law as data: effective-dated policy rules, limits, PGA prefixes, vague terms, fees and duty rates.

Seeded from customs/fixtures/policy.json (migration 0002) and editable in the admin.
customs/policy.py is the only code that reads these tables to decide an entry.
A row applies on day D when effective_from <= D and (effective_to is empty or D < effective_to).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from calista import clocks


class EffectiveDated(models.Model):
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until (exclusive)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        abstract = True


class PolicyRule(EffectiveDated):
    """A dated change to de minimis eligibility."""

    class Kind(models.TextChoices):
        SUSPENDED = "suspended", _("De minimis suspended for all countries")
        GOODS_EXCLUDED = "goods_excluded", _("Goods never eligible (HTS prefixes)")
        ORIGIN_EXCLUDED = "origin_excluded", _("Origins excluded (countries)")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    countries = models.CharField(max_length=200, blank=True, help_text=_("ISO codes, comma-separated (origin exclusions)."))
    hts_prefixes = models.CharField(max_length=500, blank=True, help_text=_("HTS prefixes, comma-separated (goods exclusions)."))

    class Meta:
        ordering = ["effective_from", "kind"]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.effective_from}"


class PolicyLimit(EffectiveDated):
    class Name(models.TextChoices):
        DE_MINIMIS = "de_minimis", _("De minimis value per person per day (USD)")
        INFORMAL = "informal", _("Informal entry limit per consignee per conveyance (USD)")

    name = models.CharField(max_length=20, choices=Name.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["name", "effective_from"]

    def __str__(self):
        return f"{self.get_name_display()}: {self.amount} from {self.effective_from}"


class PgaPrefix(EffectiveDated):
    """HTS prefixes that a partner government agency regulates (advisory flags)."""

    agency = models.CharField(max_length=8)
    hts_prefix = models.CharField(max_length=10)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order of the agency in the flag list."))

    class Meta:
        ordering = ["position", "hts_prefix"]
        verbose_name_plural = "PGA prefixes"

    def __str__(self):
        return f"{self.agency} {self.hts_prefix}"


class VagueTerm(EffectiveDated):
    term = models.CharField(max_length=100)

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term


class FeeRate(EffectiveDated):
    """Merchandise processing fee: a flat amount (informal) or a rate with a floor and a cap (formal)."""

    class Kind(models.TextChoices):
        MPF_INFORMAL = "mpf_informal", _("MPF, informal entry")
        MPF_FORMAL = "mpf_formal", _("MPF, formal entry")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    rate_percent = models.DecimalField(max_digits=8, decimal_places=4, default=0)
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    minimum = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    maximum = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["kind", "effective_from"]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.effective_from}"


class DutyRate(EffectiveDated):
    """Estimated duty rate for the longest matching HTS prefix, optionally for one country of origin."""

    hts_prefix = models.CharField(max_length=10)
    country = models.CharField(max_length=2, blank=True, help_text=_("Empty: every origin. A country: an additional duty for that origin."))
    rate_percent = models.DecimalField(max_digits=8, decimal_places=4)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["hts_prefix", "country"]

    def __str__(self):
        return f"{self.hts_prefix} {self.country or '*'} {self.rate_percent}%"


class RegimePin(models.Model):
    """The operator can decide entries as the law stood on a given day (training, simulation)."""

    active = models.BooleanField(default=False)
    as_of = models.DateField(_("decide as the law stood on"))
    note = models.CharField(max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Pinned to {self.as_of}" if self.active else "Not pinned"


class AceCode(models.Model):
    """A disposition or error code ACE sends, with what it means in plain words (English and Chinese)."""

    class Kind(models.TextChoices):
        DISPOSITION = "disposition", _("Disposition (status notice)")
        ERROR = "error", _("Error (rejection)")

    class Effect(models.TextChoices):
        RELEASE = "release", _("Release")
        HOLD = "hold", _("Hold placed")
        HOLD_REMOVED = "hold_removed", _("Hold removed")
        EXAM = "exam", _("Transfer for exam")
        TRANSFER = "transfer", _("Permit to transfer")
        ARRIVAL = "arrival", _("Arrival")
        ACCEPTED = "accepted", _("Accepted")
        REJECT = "reject", _("Rejected")
        INFO = "info", _("For information")

    code = models.CharField(max_length=8)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    effect = models.CharField(max_length=16, choices=Effect.choices)
    agency = models.CharField(max_length=8, blank=True)
    meaning_en = models.CharField(max_length=300)
    meaning_zh = models.CharField(max_length=300)
    next_step_en = models.CharField(max_length=300, blank=True)
    next_step_zh = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="unique_ace_code")]

    def __str__(self):
        return f"{self.code} {self.meaning_en}"

    def meaning(self, language: str) -> str:
        return self.meaning_zh if language.startswith("zh") else self.meaning_en

    def next_step(self, language: str) -> str:
        return self.next_step_zh if language.startswith("zh") else self.next_step_en


class FilerSequence(models.Model):
    """The next entry serial of a broker's filer code (entry numbers are never reused)."""

    broker = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="filer_sequence")
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.broker}: {self.last}"


class Entry(models.Model):
    """A customs entry: one bill (Type 86), or one consignee's goods on one conveyance (Type 11 and 01)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be transmitted")
        TRANSMITTED = "transmitted", _("Transmitted")
        ACCEPTED = "accepted", _("Accepted by ACE")
        REJECTED = "rejected", _("Rejected by ACE")
        CANCELLED = "cancelled", _("Cancelled")

    broker = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="entries")
    forwarder = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    manifest = models.ForeignKey("shipments.Manifest", on_delete=models.PROTECT, related_name="entries")
    number = models.CharField(_("entry number"), max_length=11, unique=True)
    entry_type = models.CharField(max_length=2)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    consignee_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "entries"
        indexes = [models.Index(fields=["broker", "state"])]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.number[:3]}-{self.number[3:10]}-{self.number[10:]}"


class Transmission(models.Model):
    """The outbox: what is about to be sent to ACE, recorded before it is sent.

    A crash between sending and recording the reply leaves a row in `sending`; recovery asks
    ACE whether it has the entry before anything is sent again, so an entry is never filed twice.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Replied")

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="transmissions")
    attempt = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    reply = models.CharField(max_length=8, blank=True, help_text="accepted or rejected")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["entry", "attempt"], name="unique_transmission_attempt")]

    def __str__(self):
        return f"{self.entry} #{self.attempt} {self.state}"


class AceMessage(models.Model):
    """Every message to and from ACE, kept raw and readable by the broker and support."""

    class Direction(models.TextChoices):
        OUT = "out", _("To ACE")
        IN = "in", _("From ACE")

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entry transmission")
        REPLY = "reply", _("Immediate reply (SX)")
        NOTICE = "notice", _("Status notice (SO / FSN)")

    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    manifest = models.ForeignKey("shipments.Manifest", null=True, blank=True, on_delete=models.PROTECT, related_name="ace_messages")
    transmission = models.ForeignKey(Transmission, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    codes = models.JSONField(default=list, help_text="Disposition or error codes carried by the message.")
    raw = models.TextField()
    at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["processed_at"])]

    def __str__(self):
        return f"{self.get_direction_display()} {self.kind} {self.codes}"


class Hold(models.Model):
    """A CBP or partner-agency hold on a shipment, and what the broker did about it."""

    class Outcome(models.TextChoices):
        OPEN = "", _("Open")
        RELEASED = "released", _("Released")
        SEIZED = "seized", _("Seized / refused")

    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.PROTECT, related_name="holds")
    agency = models.CharField(max_length=8)
    code = models.CharField(max_length=8)
    reason = models.CharField(max_length=300, blank=True)
    placed_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    message = models.ForeignKey(AceMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["placed_at", "id"]
        indexes = [models.Index(fields=["shipment", "removed_at"])]

    def __str__(self):
        return f"{self.agency} hold on {self.shipment_id}"


class HoldAction(models.Model):
    """What the broker did about a hold (documents sent, agency called, exam booked...)."""

    hold = models.ForeignKey(Hold, on_delete=models.CASCADE, related_name="actions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]

    def __str__(self):
        return self.note[:40]


class InfoRequest(models.Model):
    """The broker asks the forwarder for information on a shipment, with a deadline; the forwarder answers."""

    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.PROTECT, related_name="info_requests")
    broker = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    forwarder = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="info_requests")
    question = models.TextField()
    deadline = models.DateField()
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at"]

    def __str__(self):
        return self.question[:40]

    @property
    def is_open(self):
        return self.answered_at is None

    @property
    def is_overdue(self) -> bool:
        """Still open after its deadline, a day at the shipment's airport (read with the shipment)."""
        return self.is_open and self.deadline < clocks.airport_today(self.shipment.destination_airport)


class SimulatorEntry(models.Model):
    """The ACE simulator's own memory of the entries it received (the peer's side, not the portal's)."""

    number = models.CharField(max_length=11, unique=True)
    payload = models.JSONField()
    reply = models.JSONField()
    received_at = models.DateTimeField()

    def __str__(self):
        return self.number


class SimulatorNotice(models.Model):
    """A status notice the simulator will send when it is due (collected by the adapter's receive())."""

    entry_number = models.CharField(max_length=11, blank=True)
    mawb = models.CharField(max_length=11, blank=True)
    code = models.CharField(max_length=8)
    sequence = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    emitted_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict)
    # The end of an exam waits for the goods: set, the notice is not due until the entry's parcels are at the exam
    # station, and then this many delay steps later (customs/ace/simulator.py); empty, it is due at due_at.
    after_exam = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "sequence", "id"]
        indexes = [models.Index(fields=["emitted_at", "due_at"])]

    def __str__(self):
        return f"{self.code} {self.entry_number or self.mawb}"
