"""Telling people what happened: portal notifications, and e-mail for those who asked for it.

Aggregated per organization and event: 500 parcels released on one MAWB are one
notification, not 500.
"""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, Notification
from calista.queueing import enqueue
from shipments.lifecycle import in_english
from shipments.models import Shipment


def organization_notify(*, organization_id: int, kind: str, message: str, url: str = "") -> int:
    """One notification per member of the organization; e-mail queued for members who want it."""
    members = list(Membership.objects.filter(organization_id=organization_id).select_related("user"))
    created = Notification.objects.bulk_create([
        Notification(user=m.user, kind=kind, message=message, url=url) for m in members
    ])
    wanted = [n.pk for n, m in zip(created, members, strict=True) if m.email_notifications and m.user.email and n.pk]
    if wanted:
        from customs.tasks import notifications_email_task

        enqueue(notifications_email_task, wanted)
    return len(created)


@in_english
def shipments_notify(*, shipment_ids, kind: str, text: str, audience: str = "forwarder", url: str = "") -> None:
    """Tell each forwarder (or broker) about its own shipments in this set: one message per MAWB group.

    `url`: the page where the work waits; by default the shipments of the first MAWB."""
    column = "forwarder_id" if audience == "forwarder" else "broker_id"
    groups: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for org_id, mawb in Shipment.objects.filter(pk__in=list(shipment_ids)).values_list(column, "mawb"):
        if org_id:
            groups[org_id][mawb] += 1
    for org_id, mawbs in groups.items():
        count = sum(mawbs.values())
        listed = ", ".join(f"{m[:3]}-{m[3:]}" for m in sorted(mawbs)[:5]) + ("…" if len(mawbs) > 5 else "")
        message = _("%(count)s shipment(s) %(what)s (MAWB %(mawbs)s)") % {"count": count, "what": text, "mawbs": listed}
        organization_notify(organization_id=org_id, kind=kind, message=message, url=url or f"/shipments/?q={sorted(mawbs)[0]}")


def ace_rejections_notify(*, entry_ids: list[int]) -> None:
    ids = Shipment.objects.filter(entry_id__in=entry_ids).values_list("id", flat=True)
    shipments_notify(shipment_ids=ids, kind="ace_rejected", text=_("rejected by ACE: correct and re-file"), audience="broker",
                     url=reverse("customs:rejections"))

