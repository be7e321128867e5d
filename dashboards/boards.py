"""Airport boards: every figure an aggregate query, scoped to what the user's organization may see (accounts.access).

One board serves every role: a forwarder counts its own shipments, a broker its clients', a station
those arriving at it, the operator everything; an airport narrows any of them to one destination.
Counts by status and custody, throughput, times to release and to hand-off and rejections by code
are sums over the summary tables (dashboards/tallies.py, at most about a minute old); open holds,
the general-order risk and the open MAWBs are counted live, each over a small indexed set.

A period's shipments are its arrivals: those whose flight landed in it, and those due in it that have not landed yet
(tallies.arriving_since). "Arrived" on a day counts the parcels whose flight landed that day (`arrived_on`, as ACE's
arrival notice says), never the day the manifest scheduled, and never a flight that has not landed.

Every number has a `BoardFilter` behind it, and `shipments_filter` lists the shipments it counts,
so a number links to its list (which is live, where the number may be a minute behind).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts import access
from calista import clocks
from cfs.queues import GENERAL_ORDER_DAYS, GENERAL_ORDER_WARNING_DAY, general_order_due, general_order_due_now
from customs.ace.explain import explain
from dashboards.models import FlowTally, StatusTally
from dashboards.tallies import arriving_since, tallies_as_of
from shipments.models import Custody, CustomsStatus, ShipmentEvent

PERIODS = {"today": (1, _("Today")), "7d": (7, _("7 days")), "30d": (30, _("30 days"))}
DEFAULT_PERIOD = "7d"
CHART_DAYS = 7  # the throughput chart shows at least a week, even on the "today" board
# How long an open hold has been waiting: (key, label, from days, until days).
HOLD_AGES = (
    ("day", _("under 1 day"), 0, 1),
    ("days", _("1–3 days"), 1, 3),
    ("week", _("3–7 days"), 3, 7),
    ("older", _("over 7 days"), 7, None),
)
EVENTS = {  # the events a list of flows is made of: (dimension, to_state)
    "released": (ShipmentEvent.Dimension.CUSTOMS, CustomsStatus.RELEASED),
    "handed_off": (ShipmentEvent.Dimension.CUSTODY, Custody.HANDED_OFF),
    "rejected": (ShipmentEvent.Dimension.CUSTOMS, CustomsStatus.ACE_REJECTED),
}


def airports() -> list[str]:
    return list(settings.SERVED_AIRPORTS)


def period_days(period: str) -> int:
    return PERIODS.get(period, PERIODS[DEFAULT_PERIOD])[0]


# --- The list behind a number ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilter:
    """Which shipments a number counts, as query parameters of the list behind it."""

    airport: str = ""
    arriving_from: date | None = None  # the board's period: landed from this day on, or due from it and not landed yet
    arrived_from: date | None = None  # the flight landed on this day or later …
    arrived_to: date | None = None  # … and on this day or earlier (not landed yet: never "arrived")
    status: str = ""
    custody: str = ""
    general_order: str = ""  # "warning" (day 10 or later) or "overdue" (day 15 passed)
    hold_agency: str = ""
    hold_age: str = ""  # a key of HOLD_AGES
    event: str = ""  # a key of EVENTS: released, handed off or rejected by ACE …
    event_from: date | None = None  # … from this day …
    event_to: date | None = None  # … to this day (included)
    code: str = ""  # the ACE error code of a rejection

    @classmethod
    def from_query(cls, params) -> BoardFilter:
        """The filter a query string asks for; values that mean nothing are left out (never an error)."""

        def day(name):
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        def one_of(name, allowed):
            value = params.get(name, "")
            return value if value in allowed else ""

        return cls(
            airport=one_of("airport", airports()),
            arriving_from=day("arriving_from"),
            arrived_from=day("arrived_from"),
            arrived_to=day("arrived_to"),
            status=one_of("status", CustomsStatus.values),
            custody=one_of("custody", Custody.values),
            general_order=one_of("general_order", ("warning", "overdue")),
            hold_agency=params.get("hold_agency", "")[:8],
            hold_age=one_of("hold_age", [key for key, *_rest in HOLD_AGES]),
            event=one_of("event", EVENTS),
            event_from=day("event_from"),
            event_to=day("event_to"),
            code=params.get("code", "")[:8],
        )

    def params(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}

    def url(self) -> str:
        return f"{reverse('dashboards:board_list')}?{urlencode(self.params())}"

    @property
    def is_empty(self) -> bool:
        return not self.params()


def _events_between(event: str, start: date | None, end: date | None, code: str = "", airport: str = "") -> QuerySet:
    """The events of the days from `start` to `end`, each day its shipment's airport's (as the tallies count them)."""
    dimension, to_state = EVENTS[event]
    events = ShipmentEvent.objects.filter(dimension=dimension, to_state=to_state)
    if start or end:
        on_days = Q()
        for zone, rows in clocks.airport_clocks("shipment__destination_airport", airport=airport):
            if start:
                rows &= Q(at__gte=clocks.day_bounds(start, zone)[0])
            if end:
                rows &= Q(at__lt=clocks.day_bounds(end, zone)[1])
            on_days |= rows
        events = events.filter(on_days)
    if code:  # an ACE rejection names a few codes: matched by position, as the tallies read them
        events = events.filter(Q(data__codes__0=code) | Q(data__codes__1=code) | Q(data__codes__2=code))
    return events


def shipments_filter(*, org, criteria: BoardFilter, today: date | None = None) -> QuerySet:
    """The shipments a board number counts (live), scoped to what `org` may see. The general-order clock reads each
    parcel's day at its own airport, unless `today` fixes one day for all."""
    shipments = access.shipments_for(org)
    if criteria.airport:
        shipments = shipments.filter(destination_airport=criteria.airport)
    if criteria.arriving_from:
        shipments = shipments.filter(arriving_since(criteria.arriving_from))
    if criteria.arrived_from and criteria.arrived_from == criteria.arrived_to:
        # One day, as an equality: its first page is read in the lists' order from the index of landed parcels.
        shipments = shipments.filter(arrived_on=criteria.arrived_from)
    else:
        if criteria.arrived_from:
            shipments = shipments.filter(arrived_on__gte=criteria.arrived_from)
        if criteria.arrived_to:
            shipments = shipments.filter(arrived_on__lte=criteria.arrived_to)
    if criteria.status:
        shipments = shipments.filter(status=criteria.status)
    if criteria.custody:
        shipments = shipments.filter(custody=criteria.custody)
    if criteria.general_order:
        shipments = shipments.filter(_general_order_due(criteria.general_order, airport=criteria.airport, today=today))
    if criteria.hold_agency or criteria.hold_age:
        shipments = shipments.filter(pk__in=_open_holds(criteria.hold_agency, criteria.hold_age).values("shipment_id"))
    if criteria.event:
        events = _events_between(criteria.event, criteria.event_from, criteria.event_to, criteria.code, criteria.airport)
        shipments = shipments.filter(pk__in=events.values("shipment_id"))
    return shipments


def _open_holds(agency: str, age: str) -> QuerySet:
    from customs.models import Hold

    holds = Hold.objects.filter(removed_at__isnull=True)
    if agency:
        holds = holds.filter(agency=agency)
    if age:
        holds = holds.filter(_hold_age_condition(age, "placed_at"))
    return holds


def _hold_age_condition(age: str, placed_at: str) -> Q:
    now = timezone.now()
    _key, _label, older_than, younger_than = next(a for a in HOLD_AGES if a[0] == age)
    condition = Q(**{f"{placed_at}__lte": now - timedelta(days=older_than)})
    if younger_than is not None:
        condition &= Q(**{f"{placed_at}__gt": now - timedelta(days=younger_than)})
    return condition


def manifests_open(*, org, airport: str = "") -> QuerySet:
    """MAWBs not closed yet (some parcel neither handed off, cancelled nor seized), scoped to what `org` may see."""
    manifests = access.manifests_for(org).filter(closed_at__isnull=True)
    if airport:
        manifests = manifests.filter(destination_airport=airport)
    return manifests


# --- The board ------------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """A number on the board, what it counts and the list behind it."""

    key: str
    label: str
    count: int
    url: str = ""


@dataclass
class Duration:
    """How long something took over the period: the median and the 90th percentile, in seconds, of `count` shipments."""

    key: str
    label: str
    count: int
    p50: float | None
    p90: float | None
    url: str = ""


@dataclass
class Board:
    airport: str  # empty: every served airport
    period: str
    since: date
    today: date
    as_of: datetime | None
    total: Figure
    statuses: list[Figure]
    custodies: list[Figure]
    days: list[dict]
    holds: list[dict]
    holds_total: int
    hold_ages: list[tuple[str, str]]
    durations: list[Duration]
    rejections: list[dict]
    general_order: list[Figure]
    mawbs: list[Figure]
    mawbs_total: Figure
    chart: dict = field(default_factory=dict)


def _scoped(model, org, airport: str) -> QuerySet:
    """Summary rows `org` may see: those whose tenancy (forwarder, broker, station) is a MAWB's that accounts.access
    lets `org` see. A forwarder's MAWBs all have it as forwarder, a broker's as broker, a station's as station, and the
    operator sees every MAWB: the rows visible are exactly those that count shipments `org` may see."""
    visible = (access.manifests_for(org).order_by()
               .annotate(broker_org=Coalesce("broker_id", Value(0)), cfs_org=Coalesce("cfs_id", Value(0)))
               .filter(forwarder_id=OuterRef("forwarder_org"), broker_org=OuterRef("broker_org"), cfs_org=OuterRef("cfs_org")))
    rows = model.objects.filter(Exists(visible))
    return rows.filter(airport=airport) if airport else rows


def _counts(rows: QuerySet, field_name: str) -> dict[str, int]:
    return dict(rows.order_by().values_list(field_name).annotate(n=Sum("count")))


def percentile(histogram: list[tuple[int, int]], share: float) -> float | None:
    """The duration `share` of the way through a histogram of (count, total seconds) per band, in band order.

    Nearest rank: the band holding the ceil(share × n)-th duration; its mean stands for it (exact when the
    durations in that band are equal). The histogram is a few dozen summed rows, never the shipments.
    """
    total = sum(count for count, _seconds in histogram)
    if not total:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for count, seconds in histogram:
        seen += count
        if seen >= rank:
            return seconds / count
    return None


def _durations(flows: QuerySet, since: date, airport: str) -> list[Duration]:
    rows = (flows.filter(day__gte=since, metric__in=[FlowTally.Metric.RELEASED, FlowTally.Metric.HANDED_OFF])
            .order_by("metric", "bucket").values("metric", "bucket").annotate(n=Sum("count"), seconds=Sum("seconds")))
    histograms: dict[str, list[tuple[int, int]]] = {FlowTally.Metric.RELEASED: [], FlowTally.Metric.HANDED_OFF: []}
    for row in rows:
        histograms[row["metric"]].append((row["n"], row["seconds"]))
    labels = {FlowTally.Metric.RELEASED: _("From arrival to release"), FlowTally.Metric.HANDED_OFF: _("From release to hand-off")}
    return [
        Duration(key=metric, label=labels[metric], count=sum(n for n, _s in histogram), p50=percentile(histogram, 0.5),
                 p90=percentile(histogram, 0.9),
                 url=BoardFilter(airport=airport, event=metric, event_from=since).url())
        for metric, histogram in histograms.items()
    ]


def _days(statuses: QuerySet, flows: QuerySet, *, chart_since: date, today: date, airport: str) -> list[dict]:
    # Arrived: by the day the flight landed (a late flight on the day it came, a flight not landed yet on none).
    arrived = dict(statuses.filter(arrived_on__gte=chart_since, arrived_on__lte=today).order_by()
                   .values_list("arrived_on").annotate(n=Sum("count")))
    moved = {(day, metric): n for day, metric, n in flows.filter(day__gte=chart_since, metric__in=[
        FlowTally.Metric.RELEASED, FlowTally.Metric.HANDED_OFF]).order_by().values_list("day", "metric").annotate(n=Sum("count"))}
    days = []
    for offset in range((today - chart_since).days + 1):
        day = chart_since + timedelta(days=offset)
        days.append({
            "day": day,
            "arrived": arrived.get(day, 0),
            "released": moved.get((day, FlowTally.Metric.RELEASED), 0),
            "handed_off": moved.get((day, FlowTally.Metric.HANDED_OFF), 0),
            "arrived_url": BoardFilter(airport=airport, arrived_from=day, arrived_to=day).url(),
            "released_url": BoardFilter(airport=airport, event="released", event_from=day, event_to=day).url(),
            "handed_off_url": BoardFilter(airport=airport, event="handed_off", event_from=day, event_to=day).url(),
        })
    return days


def _holds(org, airport: str) -> tuple[list[dict], int]:
    """Open holds of the shipments `org` may see, by agency and by how long they have been waiting (a few thousand rows)."""
    shipments = access.shipments_for(org)
    if airport:
        shipments = shipments.filter(destination_airport=airport)
    rows = (_open_holds("", "").filter(shipment__in=shipments).order_by().values("agency")
            .annotate(**{key: Count("id", filter=_hold_age_condition(key, "placed_at")) for key, *_rest in HOLD_AGES},
                      total=Count("id"))
            .order_by("-total", "agency"))
    holds = [{
        "agency": row["agency"], "total": row["total"],
        "url": BoardFilter(airport=airport, hold_agency=row["agency"]).url(),
        "ages": [Figure(key=key, label=label, count=row[key],
                        url=BoardFilter(airport=airport, hold_agency=row["agency"], hold_age=key).url())
                 for key, label, *_rest in HOLD_AGES],
    } for row in rows]
    return holds, sum(h["total"] for h in holds)


def _general_order_due(level: str, *, airport: str, today: date | None) -> Q:
    return general_order_due(today, level) if today is not None else general_order_due_now(level, airport=airport)


def _general_order(org, airport: str, today: date | None) -> list[Figure]:
    # day 10 or later: read through shipment_go_watch
    shipments = access.shipments_for(org).filter(_general_order_due("", airport=airport, today=today))
    if airport:
        shipments = shipments.filter(destination_airport=airport)
    counts = shipments.aggregate(**{level: Count("pk", filter=_general_order_due(level, airport=airport, today=today))
                                    for level in ("warning", "overdue")})
    return [
        Figure("warning", _("Day %(from)s to %(to)s since arrival") % {"from": GENERAL_ORDER_WARNING_DAY, "to": GENERAL_ORDER_DAYS - 1},
               counts["warning"], BoardFilter(airport=airport, general_order="warning").url()),
        Figure("overdue", _("Day %(days)s passed: general order") % {"days": GENERAL_ORDER_DAYS},
               counts["overdue"], BoardFilter(airport=airport, general_order="overdue").url()),
    ]


def _mawbs(org, airport: str) -> tuple[list[Figure], Figure]:
    manifests = manifests_open(org=org, airport=airport)
    counts = dict(manifests.order_by().values_list("custody").annotate(n=Count("id")))
    base = reverse("dashboards:mawb_list")
    query = {"airport": airport} if airport else {}
    by_custody = [Figure(value, label, counts.get(value, 0), f"{base}?{urlencode({**query, 'custody': value})}")
                  for value, label in Custody.choices if value != Custody.HANDED_OFF]
    return by_custody, Figure("open", _("MAWBs still open"), sum(counts.values()), f"{base}?{urlencode(query)}")


def board_read(*, org, airport: str = "", period: str = DEFAULT_PERIOD, today: date | None = None) -> Board:
    """Every figure of one airport's board (or all airports' when `airport` is empty), for the period, as `org` sees it.

    A day is the airport's own (calista/clocks.py). An airport's board's today is today there; the all-airports board's
    is the newest day any airport has reached (JFK's from its midnight, while LAX is still on the day before), so that
    no figure falls on a day the board does not show yet, and each of its days sums every airport's own day of that
    date. Its general-order figures count each parcel on its own airport's today. `today` fixes the day (tests)."""
    fixed = today
    today = today or (clocks.airport_today(airport) if airport else clocks.latest_today(airports()))
    period = period if period in PERIODS else DEFAULT_PERIOD
    since = today - timedelta(days=period_days(period) - 1)
    chart_since = min(since, today - timedelta(days=CHART_DAYS - 1))
    statuses = _scoped(StatusTally, org, airport)
    flows = _scoped(FlowTally, org, airport)
    window = statuses.filter(arriving_since(since))
    by_status, by_custody = _counts(window, "status"), _counts(window, "custody")
    in_period = BoardFilter(airport=airport, arriving_from=since)
    rejections = (flows.filter(day__gte=since, metric=FlowTally.Metric.REJECTED).order_by().values_list("code")
                  .annotate(n=Sum("count")).order_by("-n", "code"))
    rejected = list(rejections)
    meanings = {item["code"]: item for item in explain([code for code, _n in rejected])}
    holds, holds_total = _holds(org, airport)
    mawbs, mawbs_total = _mawbs(org, airport)
    board = Board(
        airport=airport, period=period, since=since, today=today, as_of=tallies_as_of(),
        total=Figure("total", _("Shipments"), window.aggregate(n=Sum("count"))["n"] or 0, in_period.url()),
        statuses=[Figure(value, label, by_status.get(value, 0), replace(in_period, status=value).url())
                  for value, label in CustomsStatus.choices],
        custodies=[Figure(value, label, by_custody.get(value, 0), replace(in_period, custody=value).url())
                   for value, label in Custody.choices],
        days=_days(statuses, flows, chart_since=chart_since, today=today, airport=airport),
        holds=holds, holds_total=holds_total, hold_ages=[(key, label) for key, label, *_rest in HOLD_AGES],
        durations=_durations(flows, since, airport),
        rejections=[{"code": code, "count": n, "meaning": meanings[code]["meaning"],
                     "url": BoardFilter(airport=airport, event="rejected", event_from=since, code=code).url()}
                    for code, n in rejected],
        general_order=_general_order(org, airport, fixed),
        mawbs=mawbs, mawbs_total=mawbs_total,
    )
    board.chart = {
        "labels": [d["day"].strftime("%m-%d") for d in board.days],
        "series": [
            {"key": "arrived", "label": str(_("Arrived")), "values": [d["arrived"] for d in board.days],
             "urls": [d["arrived_url"] for d in board.days]},
            {"key": "released", "label": str(_("Released")), "values": [d["released"] for d in board.days],
             "urls": [d["released_url"] for d in board.days]},
            {"key": "handed_off", "label": str(_("Handed off")), "values": [d["handed_off"] for d in board.days],
             "urls": [d["handed_off_url"] for d in board.days]},
        ],
    }
    return board

