"""The navigation each kind of organization sees: its own work, nothing else."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str


NAVIGATION = {
    Organization.Kind.FORWARDER: [
        NavItem(_("Home"), "home", "house"),
        NavItem(_("Upload manifest"), "shipments:upload_new", "cloud-arrow-up"),
        NavItem(_("Uploads"), "shipments:upload_list", "files"),
        NavItem(_("Shipments"), "shipments:shipment_list", "box-seam"),
        NavItem(_("Broker requests"), "shipments:info_request_list", "chat-left-dots"),
        NavItem(_("Manifest help"), "shipments:format_help", "question-circle"),
    ],
    Organization.Kind.BROKER: [
        NavItem(_("Home"), "home", "house"),
        NavItem(_("Review queue"), "customs:queue", "clipboard-check"),
        NavItem(_("Shipments"), "shipments:shipment_list", "box-seam"),
    ],
    Organization.Kind.CFS: [
        NavItem(_("Home"), "home", "house"),
        NavItem(_("Work queues"), "cfs:queues", "truck"),
        NavItem(_("Shipments"), "shipments:shipment_list", "box-seam"),
    ],
    Organization.Kind.OPERATOR: [
        NavItem(_("Home"), "home", "house"),
        NavItem(_("Support"), "dashboards:support", "headset"),
        NavItem(_("Shipments"), "shipments:shipment_list", "box-seam"),
        NavItem(_("Review queues"), "customs:queue", "clipboard-check"),
        NavItem(_("Customs regime"), "customs:regime", "calendar-range"),
    ],
}


def navigation_for(request) -> list[dict]:
    """Items for the user's organization kind whose pages exist, marked active for the current page."""
    items = []
    for item in NAVIGATION.get(request.org.kind, []):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # a page another issue adds; not shown until it exists
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
    # One item is the current page: the one whose address is the longest start of the path ("/uploads/new/"
    # is "Upload manifest", not also "Uploads").
    matching = [i for i in items if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    return items
