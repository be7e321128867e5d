"""Air waybill numbers as people read them."""

from django import template

from shipments.models import mawb_display

register = template.Library()


@register.filter
def mawb(number) -> str:
    """A MAWB as printed on the air waybill: the airline's prefix, a dash, the serial (02304726304 -> 023-04726304)."""
    return mawb_display(number)
