"""Read-only views of the API's records for platform admins (keys are managed by each organization on the portal)."""

from django.contrib import admin

from api.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnly):
    list_display = ["name", "prefix", "organization", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "organization__name"]
    exclude = ["hashed_key"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnly):
    list_display = ["url", "organization", "created_at", "consecutive_failures", "disabled_at"]
    search_fields = ["url", "organization__name"]
    exclude = ["secret"]


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "status_code", "error", "duration_ms", "manual", "response_snippet"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["event_key", "endpoint", "state", "attempts", "response_status", "created_at"]
    list_filter = ["state", "event_type"]
    search_fields = ["event_key", "endpoint__url"]
    inlines = [AttemptInline]
