from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from calista.health import healthz
from dashboards import views as dashboard_views

handler500 = "calista.views.server_error"

admin.site.site_header = "Calista"
admin.site.site_title = "Calista admin"

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("i18n/catalog.js", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("", include("shipments.urls")),
    path("customs/", include("customs.urls")),
    path("cfs/", include("cfs.urls")),
    path("boards/", include("dashboards.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

