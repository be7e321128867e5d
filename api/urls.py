"""The public REST API (/api/v1/...), its schema and documentation, and the portal pages for API keys and webhooks.

The API's views authenticate by API key, not by the portal's login: they are exempt from the
login requirement (and, being DRF views, from CSRF, which a bearer key does not need).
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from api import views, views_portal
from api.errors import not_found

app_name = "api"


v1 = [
    path("manifests/", login_not_required(views.ManifestListView.as_view()), name="manifest-list"),
    path("manifests/<int:pk>/", login_not_required(views.ManifestDetailView.as_view()), name="manifest-detail"),
    path("manifests/<int:pk>/report/", login_not_required(views.ManifestReportView.as_view()), name="manifest-report"),
    path("mawbs/", login_not_required(views.MawbListView.as_view()), name="mawb-list"),
    path("mawbs/collect/", login_not_required(views.CollectView.as_view()), name="mawb-collect"),
    path("mawbs/<int:pk>/", login_not_required(views.MawbDetailView.as_view()), name="mawb-detail"),
    path("mawbs/<int:pk>/arrival/", login_not_required(views.ArrivalView.as_view()), name="mawb-arrival"),
    path("mawbs/<int:pk>/breakdown/", login_not_required(views.BreakdownView.as_view()), name="mawb-breakdown"),
    path("shipments/", login_not_required(views.ShipmentListView.as_view()), name="shipment-list"),
    path("shipments/approve/", login_not_required(views.ApproveView.as_view()), name="shipment-approve"),
    path("shipments/reject/", login_not_required(views.RejectView.as_view()), name="shipment-reject"),
    path("shipments/hand-off/", login_not_required(views.HandOffView.as_view()), name="shipment-hand-off"),
    path("shipments/<int:pk>/", login_not_required(views.ShipmentDetailView.as_view()), name="shipment-detail"),
    path("shipments/<int:pk>/correct/", login_not_required(views.CorrectView.as_view()), name="shipment-correct"),
    path("schema/", login_not_required(views.SchemaView.as_view()), name="schema"),
    path("docs/", login_not_required(views.docs_swagger), name="docs"),
    path("docs/redoc/", login_not_required(views.docs_redoc), name="docs-redoc"),
    path("docs/assets/<path:name>", login_not_required(views.docs_asset), name="docs-asset"),
    re_path(r"^.*$", csrf_exempt(login_not_required(not_found))),  # any other path, any method: a JSON 404
]

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("keys/", views_portal.keys, name="keys"),
    path("keys/<int:pk>/revoke/", views_portal.key_revoke, name="key_revoke"),
    path("webhooks/", views_portal.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", views_portal.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/enable/", views_portal.webhook_enable, name="webhook_enable"),
    path("webhooks/<int:pk>/secret/", views_portal.webhook_secret, name="webhook_secret"),
    path("webhooks/<int:pk>/delete/", views_portal.webhook_delete, name="webhook_delete"),
    path("webhooks/deliveries/<int:pk>/", views_portal.delivery_detail, name="delivery_detail"),
    path("webhooks/deliveries/<int:pk>/redeliver/", views_portal.delivery_redeliver, name="delivery_redeliver"),
]
