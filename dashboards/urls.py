"""Boards at /boards/ (every served airport) and /boards/<airport>/, the lists behind their numbers, the support console."""

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.boards_all, name="boards"),
    path("figures/", views.figures_all, name="figures"),
    path("list/", views.board_list, name="board_list"),
    path("mawbs/", views.mawb_list, name="mawb_list"),
    path("support/", views.support_search, name="support"),
    path("support/shipments/<int:pk>/", views.support_shipment, name="support_shipment"),
    path("support/shipments/<int:pk>/notes/", views.support_note_add, name="support_note_add"),
    # Last: an airport code is any word (an unknown one answers 404).
    path("<str:airport>/", views.airport_board, name="airport"),
    path("<str:airport>/figures/", views.airport_figures, name="board"),
]
