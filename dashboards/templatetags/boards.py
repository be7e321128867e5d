"""Template filters of the boards: durations in words, and when a flight arrived."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """A duration in seconds as a person would say it: 45 min, 4.2 h, 2.5 days; an em dash when there is none."""
    if seconds is None:
        return "—"
    minutes = float(seconds) / 60
    if minutes < 1:
        return _("under 1 min")
    if minutes < 90:
        return _("%(n)s min") % {"n": round(minutes)}
    hours = minutes / 60
    if hours < 48:
        return _("%(n)s h") % {"n": f"{hours:.1f}"}
    return _("%(n)s days") % {"n": f"{hours / 24:.1f}"}


@register.filter
def arrival(flight) -> str:
    """When a parcel's (or a MAWB's) flight arrives: the day it landed, with the scheduled day when they differ, or the
    scheduled day of a flight not landed yet. The lists behind "Arrived" count by the day it landed."""
    scheduled = flight.arrival_date.isoformat()
    if flight.arrived_on is None:
        return _("scheduled %(scheduled)s, not landed yet") % {"scheduled": scheduled}
    if flight.arrived_on == flight.arrival_date:
        return scheduled
    return _("landed %(day)s (scheduled %(scheduled)s)") % {"day": flight.arrived_on.isoformat(), "scheduled": scheduled}
