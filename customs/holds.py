"""Holds on shipments: how many are open, and where a shipment stands again when its last hold is removed.

A shipment's `open_holds` is the number of its Hold rows not yet removed, counted from the rows
each time holds are placed or removed (never added to or taken from: a notice delivered twice,
or one that closes several holds at once, cannot make it drift).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from customs.models import Hold
from shipments import lifecycle
from shipments.models import CustomsStatus, Shipment, ShipmentEvent

S = CustomsStatus


def holdable(shipment_ids: list[int]) -> list[int]:
    """The shipments a hold may be placed on: filed and not yet handed off or closed (not cancelled, seized...)."""
    return list(Shipment.objects.filter(pk__in=shipment_ids, status__in=lifecycle.WITH_ACE).values_list("id", flat=True))


def open_holds_recount(shipment_ids: list[int]) -> None:
    open_count = (Hold.objects.filter(shipment_id=OuterRef("pk"), removed_at__isnull=True).order_by()
                  .values("shipment_id").annotate(n=Count("pk")).values("n")[:1])
    Shipment.objects.filter(pk__in=list(shipment_ids)).update(open_holds=Coalesce(Subquery(open_count), 0))


def status_after_holds(shipment_ids: list[int]) -> dict[int, str]:
    """Where each shipment returns when its last hold is removed: released if CBP held it after release, else accepted."""
    before: dict[int, str] = {}
    rows = (ShipmentEvent.objects.filter(shipment_id__in=list(shipment_ids), dimension=ShipmentEvent.Dimension.CUSTOMS,
                                         to_state=S.ON_HOLD).order_by("shipment_id", "-at", "-id")
            .values_list("shipment_id", "from_state"))
    for shipment_id, from_state in rows:
        before.setdefault(shipment_id, from_state)
    return {i: S.RELEASED if before.get(i) == S.RELEASED else S.ACCEPTED for i in shipment_ids}


def holds_lifted(shipment_ids: list[int], *, actor=lifecycle.ACE, message: str, data: dict | None = None,
                 each: dict[int, tuple[str, dict]] | None = None) -> lifecycle.Outcome:
    """Shipments whose last open hold was removed go back to where they stood when the hold came."""
    groups: dict[str, list[int]] = defaultdict(list)
    for shipment_id, status in status_after_holds(shipment_ids).items():
        groups[status].append(shipment_id)
    outcome = lifecycle.Outcome()
    for status, ids in sorted(groups.items()):
        done = lifecycle.hold_lifted(ids, to=status, actor=actor, message=message, data=data,
                                     each={i: each[i] for i in ids if i in each} if each else None)
        outcome.moved += done.moved
        outcome.refused.update(done.refused)
    return outcome
