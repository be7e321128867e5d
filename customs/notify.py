"""Telling people what happened: portal notifications, and e-mail for those who asked for it.

Aggregated per organization and event: 500 parcels released on one MAWB are one
notification, not 500. A message is stored untranslated (calista.i18n.Text) and shown in the
language of whoever reads it: a Chinese forwarder and an English broker read the same event each
in their own.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from accounts.models import Membership, Notification
from calista.i18n import Text
from calista.queueing import enqueue
from shipments.models import Shipment


def organization_notify(*, organization_id: int, kind: str, message: Text | str, url: str = "") -> int:
    """One notification per member of the organization; e-mail queued for members who want it.

    `message`: a Text, or a message id without parameters; each member reads it in their own language."""
    text = Text.of(message)
    english = text.english()
    members = list(Membership.objects.filter(organization_id=organization_id).select_related("user"))
    created = Notification.objects.bulk_create([
        Notification(user=m.user, kind=kind, message=english, text=text.to_json(), url=url) for m in members
    ])
    wanted = [n.pk for n, m in zip(created, members, strict=True) if m.email_notifications and m.user.email and n.pk]
    if wanted:
        from customs.tasks import notifications_email_task

        enqueue(notifications_email_task, wanted)
    return len(created)


def notifications_email(*, notification_ids: list[int]) -> int:
    """E-mail the notifications not e-mailed yet (a retry sends nothing twice), each in its reader's language: the one
    they last used the portal in (accounts.Membership.language), else the portal's."""
    pending = list(Notification.objects.filter(pk__in=notification_ids, emailed=False).select_related("user__membership"))
    site = settings.SITE_URL.rstrip("/")
    mails = []
    for n in pending:
        membership = getattr(n.user, "membership", None)
        with translation.override((membership and membership.language) or settings.LANGUAGE_CODE):
            shown = n.shown
        mails.append(("Calista: " + shown[:80], f"{shown}\n\n{site}{n.url}", settings.DEFAULT_FROM_EMAIL, [n.user.email]))
    send_mass_mail(mails, fail_silently=False)
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed=True)
    return len(mails)


def shipments_notify(*, shipment_ids, kind: str, text: Text | str, audience: str = "forwarder", url: str = "") -> None:
    """Tell each forwarder (or broker) about its own shipments in this set: one message per MAWB group.

    `text`: what happened to them (a Text, or a message id without parameters);
    `url`: the page where the work waits; by default the shipment's own page, or for several the shipments of the first
    MAWB."""
    column = "forwarder_id" if audience == "forwarder" else "broker_id"
    groups: dict[int, dict[str, list[int]]] = defaultdict(dict)  # organization -> MAWB -> [how many, one of them]
    for org_id, mawb, shipment_id in Shipment.objects.filter(pk__in=list(shipment_ids)).values_list(column, "mawb", "id"):
        if org_id:
            groups[org_id].setdefault(mawb, [0, shipment_id])[0] += 1
    for org_id, mawbs in groups.items():
        count = sum(n for n, _one in mawbs.values())
        listed = ", ".join(f"{m[:3]}-{m[3:]}" for m in sorted(mawbs)[:5]) + ("…" if len(mawbs) > 5 else "")
        message = Text(gettext_noop("%(count)s shipment(s) %(what)s (MAWB %(mawbs)s)"),
                       {"count": count, "what": Text.of(text), "mawbs": listed})
        first = sorted(mawbs)[0]
        where = (reverse("shipments:shipment_detail", args=[mawbs[first][1]]) if count == 1 else f"/shipments/?q={first}")
        organization_notify(organization_id=org_id, kind=kind, message=message, url=url or where)


def ace_rejections_notify(*, entry_ids: list[int]) -> None:
    ids = Shipment.objects.filter(entry_id__in=entry_ids).values_list("id", flat=True)
    shipments_notify(shipment_ids=ids, kind="ace_rejected", text=gettext_noop("rejected by ACE: correct and re-file"), audience="broker",
                     url=reverse("customs:rejections"))

