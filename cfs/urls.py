from django.urls import path

from cfs import views

app_name = "cfs"

urlpatterns = [
    path("", views.queues_view, name="queues"),
    path("collect/", views.collect, name="collect"),
    path("mawb/<int:pk>/", views.manifest_detail, name="manifest"),
    path("mawb/<int:pk>/receive/", views.manifest_receive, name="receive"),
    path("mawb/<int:pk>/break-down/", views.manifest_break_down, name="break_down"),
    path("ready/", views.ready, name="ready"),
    path("held/", views.held, name="held"),
    path("held/back-from-exam/", views.exam_return, name="exam_return"),
    path("general-order/", views.general_order, name="general_order"),
    path("scan/", views.scan, name="scan"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("handoffs/upload/", views.handoff_upload, name="handoff_upload"),
    path("handoffs/files/<int:pk>/", views.handoff_batch, name="handoff_batch"),
    path("handoffs/files/<int:pk>/progress/", views.handoff_batch_progress, name="handoff_batch_progress"),
    path("handoffs/manifest/", views.handoff_manifest, name="handoff_manifest"),
    path("pick-list/", views.pick_list, name="pick_list"),
    path("carriers/", views.carriers, name="carriers"),
]
