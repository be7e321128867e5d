"""Tenants (organizations), their members, and login throttling.

Every user belongs to exactly one organization; what a user may see follows
from the organization's kind (see accounts/access.py, the only place that
turns this into querysets).
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calista import clocks
from calista.clocks import validate_time_zone
from calista.i18n import Text

firms_code_validator = RegexValidator(r"^[A-Z0-9]{4}$", _("A FIRMS code is 4 capital letters or digits."))
filer_code_validator = RegexValidator(r"^[A-Z0-9]{3}$", _("A filer code is 3 capital letters or digits."))


class Organization(models.Model):
    class Kind(models.TextChoices):
        FORWARDER = "forwarder", _("Forwarder")
        BROKER = "broker", _("Customs broker")
        CFS = "cfs", _("Container freight station")
        OPERATOR = "operator", _("Platform operator")

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    default_broker = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="clients",
        limit_choices_to={"kind": Kind.BROKER}, verbose_name=_("default broker"),
        help_text=_("Forwarders: the customs broker who reviews and files their shipments."),
    )
    airport = models.CharField(
        _("airport"), max_length=3, blank=True,
        help_text=_("Container freight stations: the airport they serve (LAX, SFO, JFK, ATL)."),
    )
    firms_code = models.CharField(
        _("FIRMS code"), max_length=4, blank=True, validators=[firms_code_validator],
        help_text=_("Container freight stations: CBP's facility code, 4 letters or digits."),
    )
    filer_code = models.CharField(
        _("filer code"), max_length=3, blank=True, validators=[filer_code_validator],
        help_text=_("Brokers: the 3-character ACE filer code that starts every entry number."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone],
        help_text=_("The time zone its people read times in, such as Asia/Shanghai; empty: the portal's. "
                    "Container freight stations keep their airport's time."),
    )
    auto_file = models.BooleanField(
        _("file on approval"), default=False,
        help_text=_("Brokers: transmit entries to ACE as soon as they are approved."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firms_code"], condition=~models.Q(firms_code=""), name="unique_firms_code"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == self.Kind.CFS:
            if self.airport not in settings.SERVED_AIRPORTS:
                errors["airport"] = _("Choose one of the served airports: %s.") % ", ".join(settings.SERVED_AIRPORTS)
            if not self.firms_code:
                errors["firms_code"] = _("A container freight station needs its FIRMS code.")
            if self.time_zone:
                errors["time_zone"] = _("A container freight station keeps its airport's time.")
        elif self.airport or self.firms_code:
            errors["airport"] = _("Only a container freight station has an airport and a FIRMS code.")
        if self.kind == self.Kind.BROKER and not self.filer_code:
            errors["filer_code"] = _("A broker needs its ACE filer code.")
        if self.default_broker_id and self.kind != self.Kind.FORWARDER:
            errors["default_broker"] = _("Only a forwarder has a default broker.")
        if self.kind == self.Kind.FORWARDER and not self.default_broker_id:
            errors["default_broker"] = _("A forwarder needs the customs broker who reviews and files its shipments.")
        if errors:
            raise ValidationError(errors)

    @property
    def zone(self) -> ZoneInfo:
        """The clock its people read times on: a station's airport's; else the zone it chose, or the portal's."""
        if self.is_cfs:
            return clocks.airport_zone(self.airport)
        return clocks.zone_named(self.time_zone) or timezone.get_default_timezone()

    @property
    def is_forwarder(self):
        return self.kind == self.Kind.FORWARDER

    @property
    def is_broker(self):
        return self.kind == self.Kind.BROKER

    @property
    def is_cfs(self):
        return self.kind == self.Kind.CFS

    @property
    def is_operator(self):
        return self.kind == self.Kind.OPERATOR


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MEMBER = "member", _("Member")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    email_notifications = models.BooleanField(
        _("e-mail notifications"), default=True,
        help_text=_("Also send notifications by e-mail, not only in the portal."),
    )
    # The language the user last used the portal in (the switch, or the browser's): their e-mails are written in it.
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES, blank=True)

    class Meta:
        ordering = ["organization", "user__username"]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def is_admin(self):
        return self.role == self.Role.ADMIN


class LoginThrottle(models.Model):
    """Failed logins per username; an account is locked after too many in a row."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.username}: {self.failures}"


class Notification(models.Model):
    """Something a user should know (shipments rejected, held, released, information asked for).

    `text` is the message untranslated with its parameters (calista.i18n.Text), shown in the reader's language;
    `message` is the same in English, for the admin and e-mail logs, and all that notifications written before `text`
    have."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    message = models.TextField()
    text = models.JSONField(null=True, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.message[:40]

    @property
    def shown(self) -> str:
        """The message in the active language (in English for a notification stored before they were translated)."""
        return Text.shown(self.text, english=self.message)
