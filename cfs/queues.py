"""A station's work queues, read-only: what waits for collection, what is in the warehouse, what may leave, what runs out of time.

Every query starts from accounts.access (what the user's organization may see) and is then
narrowed to one station: a CFS user's station is their own organization; an operator, who
sees every station, picks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

from accounts import access
from calista import clocks
from cfs.models import Carrier, Handoff
from shipments.models import Custody, CustomsStatus

C, S = Custody, CustomsStatus

# CBP sends goods not entered and released within 15 calendar days of arrival to general order (lifecycle.md).
GENERAL_ORDER_DAYS = 15
GENERAL_ORDER_WARNING_DAY = 10

# Custody of a parcel that is physically in the station's bonded warehouse (or at exam on its behalf).
IN_WAREHOUSE = (C.AT_CFS, C.BROKEN_DOWN, C.AT_EXAM)
MANIFEST_QUEUES = {
    "to_collect": C.TRANSFER_AUTHORIZED,
    "in_transit": C.IN_TRANSIT,
    "in_warehouse": C.AT_CFS,
}


def station_manifests(org, station) -> QuerySet:
    return access.manifests_for(org).filter(cfs=station)


def station_shipments(org, station) -> QuerySet:
    return access.shipments_for(org).filter(cfs=station)


def station_handoffs(org, station) -> QuerySet:
    return Handoff.objects.filter(cfs=station, shipment__in=access.shipments_for(org))


def station_handoff_batches(org, station) -> QuerySet:
    return access.handoff_batches_for(org).filter(cfs=station)


def carriers_for(station) -> QuerySet:
    """The carriers a station may hand parcels to: the national ones and its own."""
    return Carrier.objects.filter(active=True).filter(Q(cfs__isnull=True) | Q(cfs=station))


# The queues as conditions on a shipment, used both to list a queue and to count it.
READY = Q(custody=C.BROKEN_DOWN, status=S.RELEASED, open_holds=0)
# In the warehouse and must stay in bond: on hold, with a hold still open, or at exam.
HELD = Q(custody__in=IN_WAREHOUSE) & (Q(status=S.ON_HOLD) | Q(open_holds__gt=0) | Q(custody=C.AT_EXAM))
# Arrived, and the general-order clock runs: not released (or seized), not handed off.
WATCHED = ~Q(status__in=[S.RELEASED, S.SEIZED]) & ~Q(custody__in=[C.AWAITING_ARRIVAL, C.HANDED_OFF])


def ready_for_hand_off(shipments: QuerySet) -> QuerySet:
    return shipments.filter(READY)


def held_or_at_exam(shipments: QuerySet) -> QuerySet:
    return shipments.filter(HELD)


def general_order_watch(shipments: QuerySet) -> QuerySet:
    return shipments.filter(WATCHED)


def with_clock(shipments: QuerySet) -> QuerySet:
    """Each shipment marked `on_clock` when the general-order clock runs for it."""
    return shipments.annotate(on_clock=ExpressionWrapper(WATCHED, output_field=BooleanField()))


def breaking_down(manifests: QuerySet) -> QuerySet:
    """Broken-down MAWBs that still have parcels in the warehouse, with how many are ready and how many held."""
    in_warehouse = Q(shipments__custody__in=[C.BROKEN_DOWN, C.AT_EXAM])
    ready = Q(shipments__custody=C.BROKEN_DOWN, shipments__status=S.RELEASED, shipments__open_holds=0)  # READY, across the join
    return (manifests.filter(custody=C.BROKEN_DOWN)
            .annotate(remaining=Count("shipments", filter=in_warehouse), ready=Count("shipments", filter=ready))
            .filter(remaining__gt=0))


@dataclass(frozen=True)
class Countdown:
    """Where a parcel stands on the general-order clock."""

    days: int

    @property
    def left(self) -> int:
        return GENERAL_ORDER_DAYS - self.days

    @property
    def level(self) -> str:
        if self.days >= GENERAL_ORDER_DAYS:
            return "overdue"
        if self.days >= GENERAL_ORDER_WARNING_DAY:
            return "warning"
        return "ok"


def clock_start(shipment) -> date:
    """The day a parcel's general-order clock started: its flight's actual arrival (`arrived_on`, recorded by the
    lifecycle when ACE's arrival notice comes), or the scheduled arrival date while no arrival is recorded."""
    return shipment.arrived_on or shipment.arrival_date


def countdown(started: date, *, today: date) -> Countdown:
    """Where the parcel stands, counted from the day its clock started (clock_start). The lists, counts and boards
    filter on the same day (`arrived_on`, the column of the partial index shipment_go_watch), so they agree."""
    return Countdown(days=max(0, (today - started).days))  # a start in the future reads day 0, never a negative day


def general_order_cutoffs(today: date) -> tuple[date, date]:
    """The latest (actual) arrival dates that are, today, at the warning day and at general order."""
    return today - timedelta(days=GENERAL_ORDER_WARNING_DAY), today - timedelta(days=GENERAL_ORDER_DAYS)


def general_order_due(today: date, level: str = "") -> Q:
    """Watched parcels at the warning day or later (level ""), from day 10 to 14 ("warning"), or at day 15 or later
    ("overdue"), counted from the actual arrival. Every parcel past awaiting_arrival has its `arrived_on`."""
    warn_from, overdue_from = general_order_cutoffs(today)
    if level == "overdue":
        return WATCHED & Q(arrived_on__lte=overdue_from)
    if level == "warning":
        return WATCHED & Q(arrived_on__lte=warn_from, arrived_on__gt=overdue_from)
    return WATCHED & Q(arrived_on__lte=warn_from)


def general_order_due_now(level: str = "", *, airport: str = "") -> Q:
    """general_order_due on today at each parcel's own airport (or at `airport`), for lists across airports: a parcel at
    JFK reaches its day 10 at JFK's midnight, one at LAX three hours later."""
    return clocks.today_at_each(lambda today: general_order_due(today, level), airport=airport)


def by_clock(shipments: QuerySet) -> QuerySet:
    """Oldest clock first: the parcels nearest to general order lead; those whose flight has not landed (no clock) last."""
    return shipments.order_by(F("arrived_on").asc(nulls_last=True), "arrival_date", "mawb", "hawb")


def queue_counts(org, station, *, today: date) -> dict[str, int]:
    """Every queue's size, in two aggregate queries."""
    manifests = station_manifests(org, station)
    counts = manifests.aggregate(**{name: Count("pk", filter=Q(custody=custody)) for name, custody in MANIFEST_QUEUES.items()})
    counts["breaking_down"] = breaking_down(manifests).count()
    shipments = station_shipments(org, station)
    counts.update(shipments.aggregate(
        ready=Count("pk", filter=READY),
        held=Count("pk", filter=HELD),
        go_warning=Count("pk", filter=general_order_due(today, "warning")),
        go_overdue=Count("pk", filter=general_order_due(today, "overdue")),
    ))
    return counts
