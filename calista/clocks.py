"""Whose clock a day is read on: each served airport's time zone, and the names of time zones.

A parcel's business days are its airport's. A flight that lands at LAX at 18:00 landed that day at LAX, though in UTC it
is already the next; the general-order clock counts from that day, and the station's "today" is the day its staff work
in. So every day that belongs to an airport (the landing day, a station's today and its day of hand-offs, a board's
day) is read here, on the airport's clock (settings.AIRPORT_TIME_ZONES), never on the portal's TIME_ZONE nor on the
zone a user happens to read the page in (accounts.middleware.TimeZoneMiddleware): those only decide how a moment is
shown. The settings refuse to start when a served airport has no valid zone (calista/settings.py).
"""

from __future__ import annotations

import operator
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Names zoneinfo knows that are not places: the machine's own zone and tzdata's build files.
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def zone_names() -> frozenset[str]:
    """Every IANA time zone name the installed time zone data knows (about 600)."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone of an IANA name ("America/Los_Angeles", "UTC"); None for anything else."""
    return zoneinfo.ZoneInfo(name) if name in zone_names() else None


def validate_time_zone(value: str) -> None:
    if zone_named(value) is None:
        raise ValidationError(_("%(value)s is not a time zone: use a name such as Asia/Shanghai or America/New_York."),
                              code="invalid", params={"value": value})


def portal_today() -> date:
    """Today on the portal's own clock (TIME_ZONE), whoever reads: the day a file's rows are checked against, which every
    entry point (a worker, a page, the API) must read alike, whatever zone the reader's page is shown in."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


# --- Airports ---------------------------------------------------------------------------------------------------


def airport_zone(airport: str) -> zoneinfo.ZoneInfo:
    """The airport's time zone. An airport the portal does not (or no longer) serve reads the portal's TIME_ZONE:
    its old MAWBs still need a day."""
    name = settings.AIRPORT_TIME_ZONES.get(airport)
    return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()


def airport_today(airport: str, *, now: datetime | None = None) -> date:
    """Today at the airport (at `now`, or now)."""
    return timezone.localdate(now or timezone.now(), airport_zone(airport))


def airport_date(airport: str, moment: datetime) -> date:
    """The day it was at the airport at `moment` (an aware datetime)."""
    return timezone.localdate(moment, airport_zone(airport))


def day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The day from its midnight to the next in `zone`, as moments in UTC (so that they subtract right): 23 or 25 hours
    on the days the clocks change."""
    return (datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC))


def airport_day_bounds(airport: str, day: date) -> tuple[datetime, datetime]:
    return day_bounds(day, airport_zone(airport))


def airport_clocks(field: str = "destination_airport", *, airport: str = "") -> list[tuple[zoneinfo.ZoneInfo, Q]]:
    """The clocks rows are read on, each with the condition on `field` (an airport code) that picks the rows read on it:
    one per time zone of the served airports, and the portal's TIME_ZONE for rows of any other airport; `airport`'s
    alone when one is given. For SQL that turns moments into days (one zone a query) and for days counted per airport."""
    if airport:
        return [(airport_zone(airport), Q(**{field: airport}))]
    served = list(settings.SERVED_AIRPORTS)
    groups: dict[zoneinfo.ZoneInfo, list[str]] = defaultdict(list)
    for code in served:
        groups[airport_zone(code)].append(code)
    return [*((zone, Q(**{f"{field}__in": codes})) for zone, codes in groups.items()),
            (timezone.get_default_timezone(), ~Q(**{f"{field}__in": served}))]


def today_at_each(condition: Callable[[date], Q], field: str = "destination_airport", *, airport: str = "") -> Q:
    """`condition(today)` with each row's today at its own airport (or `airport`'s alone): a parcel at JFK is at day 10
    from JFK's midnight, while one at LAX still waits for LAX's."""
    now = timezone.now()
    return reduce(operator.or_, (rows & condition(timezone.localdate(now, zone)) for zone, rows in airport_clocks(field, airport=airport)))


def latest_today(airports: Iterable[str], *, now: datetime | None = None) -> date:
    """The newest day any of the airports has reached (the east coast's from its midnight, while the west's is still
    the day before): a figure of any of them falls on this day or earlier, never on one not shown yet."""
    now = now or timezone.now()
    return max((airport_today(airport, now=now) for airport in airports), default=timezone.localdate(now))
