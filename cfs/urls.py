from django.urls import path

from cfs import views

app_name = "cfs"

urlpatterns = [
    path("", views.queues, name="queues"),
]
