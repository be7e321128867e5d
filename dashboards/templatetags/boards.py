"""Template filters of the boards: durations in words."""

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
