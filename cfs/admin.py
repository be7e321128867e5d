from django.contrib import admin

from cfs.models import Arrival, Carrier, Collection, Handoff


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    """National carriers (no station) and the ones stations added; tracking patterns are editable here."""

    list_display = ["name", "code", "cfs", "tracking_pattern", "active"]
    list_filter = ["active", "cfs"]
    search_fields = ["name", "code"]


class RecordAdmin(admin.ModelAdmin):
    """The stations' records of custody moves: readable, never edited (the events say the same)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + [m.name for m in self.model._meta.many_to_many]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Collection)
class CollectionAdmin(RecordAdmin):
    list_display = ["collected_at", "cfs", "driver", "truck", "bonded_carrier", "collected_by"]
    list_filter = ["cfs"]
    search_fields = ["driver", "truck", "bonded_carrier", "manifests__mawb"]


@admin.register(Arrival)
class ArrivalAdmin(RecordAdmin):
    list_display = ["received_at", "cfs", "manifest", "pieces_expected", "pieces_received", "received_by"]
    list_filter = ["cfs"]
    search_fields = ["manifest__mawb"]


@admin.register(Handoff)
class HandoffAdmin(RecordAdmin):
    list_display = ["handed_at", "cfs", "shipment", "carrier", "tracking_number", "method", "handed_by"]
    list_filter = ["cfs", "carrier", "method"]
    search_fields = ["tracking_number", "shipment__hawb"]
