from django.contrib import admin

from customs.models import DutyRate, FeeRate, PgaPrefix, PolicyLimit, PolicyRule, RegimePin, VagueTerm
from customs.services import regime_changed, regime_pin_saved


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "effective_from", "effective_to", "countries", "hts_prefixes", "note"]
    list_filter = ["kind"]


@admin.register(PolicyLimit)
class PolicyLimitAdmin(admin.ModelAdmin):
    list_display = ["name", "amount", "effective_from", "effective_to"]


@admin.register(PgaPrefix)
class PgaPrefixAdmin(admin.ModelAdmin):
    list_display = ["agency", "hts_prefix", "position", "effective_from", "effective_to"]
    list_filter = ["agency"]
    search_fields = ["hts_prefix"]


@admin.register(VagueTerm)
class VagueTermAdmin(admin.ModelAdmin):
    list_display = ["term", "effective_from", "effective_to"]
    search_fields = ["term"]


@admin.register(FeeRate)
class FeeRateAdmin(admin.ModelAdmin):
    list_display = ["kind", "rate_percent", "amount", "minimum", "maximum", "effective_from", "effective_to"]


@admin.register(DutyRate)
class DutyRateAdmin(admin.ModelAdmin):
    list_display = ["hts_prefix", "country", "rate_percent", "label", "effective_from", "effective_to"]
    search_fields = ["hts_prefix", "label"]


@admin.register(RegimePin)
class RegimePinAdmin(admin.ModelAdmin):
    """A pin saved or deleted here changes the regime as the Customs regime page does: the waiting parcels are decided again."""

    list_display = ["active", "as_of", "note", "set_by", "set_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        regime_pin_saved(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        regime_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        regime_changed()
