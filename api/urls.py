"""The public REST API, versioned under /api/v1/ (being built)."""

urlpatterns = []
