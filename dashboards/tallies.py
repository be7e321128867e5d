"""The boards' summary tables, recomputed from the shipments and their events by a periodic task (never by a board).

Counting a million shipments by status, or working out a median time to release, on every
board request is too slow; these small tables make it a sum over a few thousand rows:

- `StatusTally`: how many shipments of a flight's day (scheduled, and landed) are in each (customs status, custody),
  for the arrivals from STATUS_DAYS days ago on (`arriving_since`). Recomputed whole at every run, so a flight that
  lands, or an arrival notice read late that names an earlier landing day, reaches the board at the next run.
- `FlowTally`: per day, the releases (by time from arrival), the hand-offs (by time from release)
  and the ACE rejections (by code).

Both are kept per airport and tenancy (forwarder, broker, station: the columns accounts.access
scopes by), so that every role's board sums the rows it may see. The days since yesterday are recomputed at every run;
  earlier days are final, because an event's `at` is the moment it was written, so nothing new ever
  falls on a day that is over (yesterday is recomputed too, for transactions that span midnight).
  Days older than KEEP_DAYS are dropped.

Freshness: Celery beat runs `tallies_refresh_task` every minute (CELERY_BEAT_SCHEDULE, "boards-tallies"),
so a board's summed figures are at most about a minute old; TallyRun says when they were made and the
board shows it. Recomputing, rather than adding up changes since the last run, makes a run idempotent
and indifferent to the order in which other transactions commit; a lock on the TallyRun row keeps two
runs from overlapping. The lifecycle is not involved: it never waits for a board.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.db import connections, transaction
from django.db.models import BigIntegerField, Count, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Floor, Greatest, Ln, Round, TruncDate
from django.utils import timezone

from calista import clocks
from dashboards.models import FlowTally, StatusTally, TallyRun
from shipments.models import Custody, CustomsStatus, Shipment, ShipmentEvent

STATUS_DAYS = 31  # the longest board window (30 days), and a day to spare
KEEP_DAYS = 92
REJECTION_CODES_READ = 3  # ACE names one to three error codes in a rejection; more are not counted
# The events the flows are made of; ShipmentEvent has a partial index on `at` for exactly these.
FLOW_STATES = (CustomsStatus.RELEASED, Custody.HANDED_OFF, CustomsStatus.ACE_REJECTED)
# Durations are kept as a histogram: bucket b holds the durations d (in minutes) with floor(4 ln(1 + d)) = b,
# bands about 28% wide (1 h is bucket 16, 1 day 29, 30 days 42). A percentile is read as the mean of its band.
BUCKETS_PER_E = 4


class Epoch(Func):
    """Seconds since 1970 of a timestamp (a float), on PostgreSQL and SQLite alike."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra)


def bucket_of(seconds: float) -> int:
    """The histogram band of a duration, as the SQL below computes it (for tests and readers)."""
    import math

    return math.floor(BUCKETS_PER_E * math.log(1 + max(0.0, seconds) / 60))


def _insert_select(model, queryset: QuerySet) -> int:
    """INSERT INTO model (…) SELECT …: the rows of an aggregate query, without bringing them into Python.

    The columns are named after the query's own select list, in the order the compiler writes it.
    """
    connection = connections[queryset.db]
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(columns[alias]) for _expression, _sql, alias in compiler.select)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount


def _tenancy(prefix: str = "") -> dict:
    """The columns a tally is kept by, from a shipment (or, with `prefix`, from a shipment related to the row)."""
    return {
        "airport": F(f"{prefix}destination_airport"),
        "forwarder_org": F(f"{prefix}forwarder_id"),
        "broker_org": Coalesce(F(f"{prefix}broker_id"), Value(0)),
        "cfs_org": Coalesce(F(f"{prefix}cfs_id"), Value(0)),
    }


TENANCY = ("airport", "forwarder_org", "broker_org", "cfs_org")


def arriving_since(day: date) -> Q:
    """The arrivals from `day` on: parcels whose flight landed that day or later, and those not landed yet that are due
    that day or later (upcoming flights). A flight counts from the day it landed, early or late, not from its schedule.
    Shipments and status tallies have the same two columns: the condition reads either."""
    return Q(arrived_on__gte=day) | Q(arrived_on__isnull=True, arrival_date__gte=day)


def status_rows(*, since: date) -> QuerySet:
    """Shipments per scheduled and landing day, airport, tenancy and (status, custody), for the arrivals from `since` on."""
    return (Shipment.objects.filter(arriving_since(since)).order_by()
            .annotate(**_tenancy())
            .values(*TENANCY, "arrival_date", "arrived_on", "status", "custody")
            .annotate(count=Count("id")))


def _duration(earlier) -> Func:
    """Whole seconds from `earlier` (a subquery: a timestamp, or nothing) to the event's own time, never negative."""
    return Cast(Round(Greatest(Epoch(F("at")) - Epoch(Coalesce(earlier, F("at"))), Value(0.0))), output_field=BigIntegerField())


def _flows(events: QuerySet, *, metric: str, seconds, zone) -> QuerySet:
    """Per day (on `zone`'s clock), airport, tenancy and band of duration: how many events and their total duration."""
    band = Floor(Ln(seconds / Value(60.0) + Value(1.0)) * Value(float(BUCKETS_PER_E)))
    return (events.order_by()
            .annotate(**_tenancy("shipment__"), day=TruncDate("at", tzinfo=zone), metric=Value(metric),
                      code=Value(""), bucket=Cast(band, output_field=FlowTally._meta.get_field("bucket")))
            .values(*TENANCY, "day", "metric", "code", "bucket")
            .annotate(count=Count("id"), seconds=Sum(seconds)))


def flow_rows(*, since: date) -> list[QuerySet]:
    """The queries whose rows make the flows of the days from `since` on: releases, hand-offs, rejections by code.

    A day is the airport's (calista/clocks.py): a release at LAX at 18:00 local counts on that day at LAX, not on the
    next (UTC's). SQL turns a moment into a day in one zone a query, so each clock the airports keep has its queries."""
    return [rows for zone, airports in clocks.airport_clocks("shipment__destination_airport")
            for rows in _flow_rows(since=since, zone=zone, airports=airports)]


def _flow_rows(*, since: date, zone, airports: Q) -> list[QuerySet]:
    events = ShipmentEvent.objects.filter(airports, at__gte=clocks.day_bounds(since, zone)[0], to_state__in=FLOW_STATES)
    mine = ShipmentEvent.objects.filter(shipment_id=OuterRef("shipment_id"))
    arrived = mine.filter(dimension=ShipmentEvent.Dimension.CUSTODY, to_state=Custody.AT_TERMINAL).order_by("at").values("at")[:1]
    released = (mine.filter(dimension=ShipmentEvent.Dimension.CUSTOMS, to_state=CustomsStatus.RELEASED, at__lte=OuterRef("at"))
                .order_by("-at").values("at")[:1])
    rejected = events.filter(dimension=ShipmentEvent.Dimension.CUSTOMS, to_state=CustomsStatus.ACE_REJECTED).order_by()
    return [
        # Released before the flight landed counts as released on arrival: zero.
        _flows(events.filter(dimension=ShipmentEvent.Dimension.CUSTOMS, to_state=CustomsStatus.RELEASED),
               metric=FlowTally.Metric.RELEASED, seconds=_duration(Subquery(arrived)), zone=zone),
        _flows(events.filter(dimension=ShipmentEvent.Dimension.CUSTODY, to_state=Custody.HANDED_OFF),
               metric=FlowTally.Metric.HANDED_OFF, seconds=_duration(Subquery(released)), zone=zone),
        *[
            (rejected.annotate(code=KT(f"data__codes__{position}")).filter(code__isnull=False)
             .annotate(**_tenancy("shipment__"), day=TruncDate("at", tzinfo=zone),
                       metric=Value(FlowTally.Metric.REJECTED), bucket=Value(0))
             .values(*TENANCY, "day", "metric", "code", "bucket")
             .annotate(count=Count("id"), seconds=Value(0)))
            for position in range(REJECTION_CODES_READ)
        ],
    ]


def tallies_refresh(*, today: date | None = None, full: bool = False) -> dict:
    """Recompute the summary tables: every status tally, and the flows since yesterday (all kept days when `full`,
    or when the flows were never computed). Returns what it did, for the task's log and the bench.

    `today` is, unless given, the earliest day on the airports' clocks, so that "since yesterday" covers every airport's."""
    today = today or min(timezone.localdate(timezone.now(), zone) for zone, _airports in clocks.airport_clocks())
    started = time.monotonic()
    TallyRun.objects.get_or_create(pk=1, defaults={"finished_at": None})
    with transaction.atomic():
        run = TallyRun.objects.select_for_update().get(pk=1)
        full = full or run.finished_at is None
        flows_from = today - timedelta(days=KEEP_DAYS if full else 1)
        StatusTally.objects.all().delete()
        statuses = _insert_select(StatusTally, status_rows(since=today - timedelta(days=STATUS_DAYS)))
        FlowTally.objects.filter(day__gte=flows_from).delete()
        FlowTally.objects.filter(day__lt=today - timedelta(days=KEEP_DAYS)).delete()
        flows = sum(_insert_select(FlowTally, rows) for rows in flow_rows(since=flows_from))
        seconds = time.monotonic() - started
        TallyRun.objects.filter(pk=1).update(finished_at=timezone.now(), seconds=seconds, flows_from=flows_from)
    return {"status_rows": statuses, "flow_rows": flows, "flows_from": flows_from.isoformat(), "full": full, "seconds": seconds}


def tallies_as_of() -> datetime | None:
    """When the summary tables were last recomputed (None: never)."""
    return TallyRun.objects.filter(pk=1).values_list("finished_at", flat=True).first()
