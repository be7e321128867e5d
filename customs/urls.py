from django.urls import path

from customs import views

app_name = "customs"

urlpatterns = [
    path("regime/", views.regime, name="regime"),
    path("queue/", views.queue, name="queue"),
    path("queue/act/", views.queue_act, name="queue_act"),
    path("queue/file/", views.entries_file, name="entries_file"),
    path("bulk/<int:job>/", views.bulk, name="bulk"),
    path("bulk/<int:job>/progress/", views.bulk_progress, name="bulk_progress"),
    path("rejections/", views.rejections, name="rejections"),
    path("rejections/refile/", views.refile, name="refile"),
    path("holds/", views.holds, name="holds"),
    path("holds/<int:pk>/action/", views.hold_action, name="hold_action"),
    path("holds/<int:pk>/close/", views.hold_close, name="hold_close"),
    path("requests/", views.info_requests, name="info_requests"),
    path("shipments/<int:pk>/panel/", views.shipment_panel, name="shipment_panel"),
    path("shipments/<int:pk>/decide/", views.shipment_decide, name="shipment_decide"),
    path("shipments/<int:pk>/correct/", views.shipment_correct, name="shipment_correct"),
    path("shipments/<int:pk>/refile/", views.shipment_refile, name="shipment_refile"),
    path("shipments/<int:pk>/ask/", views.info_request_ask, name="info_request_ask"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
]
