"""CFS screens (to be built: work queues, pick-up, arrival, breakdown, hand-off)."""

from django.shortcuts import render

from accounts import access
from accounts.models import Organization


@access.require_kind(Organization.Kind.CFS, Organization.Kind.OPERATOR)
def queues(request):
    return render(request, "dashboards/home_cfs.html", {"status_counts": [], "custody_counts": []})
