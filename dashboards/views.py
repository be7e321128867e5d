from django.db.models import Count
from django.shortcuts import render

from accounts import access
from shipments.models import Custody, CustomsStatus

HOME_TEMPLATES = {
    "forwarder": "dashboards/home_forwarder.html",
    "broker": "dashboards/home_broker.html",
    "cfs": "dashboards/home_cfs.html",
    "operator": "dashboards/home_operator.html",
}


def _counts(queryset, field, choices) -> list[dict]:
    found = dict(queryset.order_by().values_list(field).annotate(n=Count("pk")))
    return [{"value": value, "label": label, "count": found.get(value, 0)} for value, label in choices]


def home(request):
    """Each role's home: its own work at a glance."""
    if request.org is None:
        return render(request, "dashboards/home_no_org.html")
    shipments = access.shipments_for(request.org)
    context = {
        "status_counts": _counts(shipments, "status", CustomsStatus.choices),
        "custody_counts": _counts(shipments, "custody", Custody.choices),
        "shipments_total": shipments.count(),
        "recent_uploads": access.uploads_for(request.org).select_related("uploaded_by")[:8],
        "manifests_open": access.manifests_for(request.org).filter(closed_at__isnull=True).count(),
    }
    return render(request, HOME_TEMPLATES[request.org.kind], context)
