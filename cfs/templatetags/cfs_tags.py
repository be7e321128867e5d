"""Template helpers of the CFS printables: Code 128 barcodes as inline SVG."""

from django import template
from django.utils.html import format_html

from cfs.services import carrier_scan_code

register = template.Library()

QUIET = 10  # modules of white space on either side, as scanners need


def code128_modules(value: str) -> str:
    """The bars and spaces of `value` in Code 128, one character per module ('1' a bar, '0' a space)."""
    from barcode import Code128  # imported when first needed: it logs about Pillow when imported

    return Code128(value).build()[0]


@register.simple_tag
def code128(value, height=48, module=2):
    """An inline SVG barcode (no style attribute, so that a strict content security policy allows it)."""
    modules = code128_modules(str(value))
    bars = [f"M{QUIET + start} 0h{len(run)}v1h-{len(run)}z" for start, run in _runs(modules) if run[0] == "1"]
    width = len(modules) + 2 * QUIET
    return format_html(
        '<svg class="barcode" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} 1" width="{}" height="{}" '
        'preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="{}" data-barcode="{}">'
        '<rect width="100%" height="1" fill="#fff"/><path d="{}" fill="#000"/></svg>',
        width, width * module, height, value, value, "".join(bars))


def _runs(modules: str):
    start = 0
    for i in range(1, len(modules) + 1):
        if i == len(modules) or modules[i] != modules[start]:
            yield start, modules[start:i]
            start = i


@register.filter
def scan_code(carrier):
    """What scanning chooses the carrier on the scan page (empty when its code cannot be printed as Code 128)."""
    return carrier_scan_code(carrier)
