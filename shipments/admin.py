from django.contrib import admin

from shipments.models import Manifest, Shipment, ShipmentEvent, Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "forwarder", "state", "rows_total", "rows_valid", "rows_invalid", "created_at"]
    list_filter = ["state"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = [f.name for f in Upload._meta.fields]


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    list_display = ["mawb", "forwarder", "broker", "cfs", "flight_number", "arrival_date", "custody", "shipments_count"]
    list_filter = ["destination_airport", "custody"]
    search_fields = ["mawb"]
    readonly_fields = [f.name for f in Manifest._meta.fields]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    """Read-only: status and custody change only through the lifecycle."""

    list_display = ["hawb", "mawb", "forwarder", "entry_type", "status", "custody", "arrival_date"]
    list_filter = ["status", "custody", "entry_type", "destination_airport"]
    search_fields = ["hawb", "mawb", "consignee_name"]
    readonly_fields = [f.name for f in Shipment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(admin.ModelAdmin):
    """Append-only: visible, never editable."""

    list_display = ["shipment", "dimension", "from_state", "to_state", "actor", "at"]
    list_filter = ["dimension", "actor"]
    readonly_fields = [f.name for f in ShipmentEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
