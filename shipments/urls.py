from django.urls import path

from shipments import views

app_name = "shipments"

urlpatterns = [
    path("uploads/new/", views.upload_new, name="upload_new"),
    path("uploads/", views.upload_list, name="upload_list"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/progress/", views.upload_progress, name="upload_progress"),
    path("uploads/<int:pk>/errors/", views.upload_error_file, name="upload_error_file"),
    path("manifests/help/", views.format_help, name="format_help"),
    path("manifests/template-<str:language>.csv", views.template_csv, name="template_csv"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/<int:pk>/", views.shipment_detail, name="shipment_detail"),
]

# The forwarder's side of the broker's review (customs/review.py).
urlpatterns += [
    path("shipments/<int:pk>/actions/", views.shipment_actions, name="shipment_actions"),
    path("shipments/<int:pk>/correct/", views.shipment_correct, name="shipment_correct"),
    path("shipments/<int:pk>/resubmit/", views.shipment_resubmit, name="shipment_resubmit"),
    path("shipments/<int:pk>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("requests/", views.info_request_list, name="info_request_list"),
    path("requests/<int:pk>/answer/", views.info_request_answer, name="info_request_answer"),
]
