"""The law as data: effective-dated policy rules, limits, PGA prefixes, vague terms, fees and duty rates.

Seeded from customs/fixtures/policy.json (migration 0002) and editable in the admin.
customs/policy.py is the only code that reads these tables to decide an entry.
A row applies on day D when effective_from <= D and (effective_to is empty or D < effective_to).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
