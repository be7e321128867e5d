"""Role homes, airport boards and the lists behind their numbers, exports, and the support console.

Thin: parse the request, call dashboards.boards / dashboards.support / dashboards.exports, render.
Every query is scoped by accounts.access inside those modules. The boards serve every role; the
support console serves the platform operator (support agents and admins) and only reads.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from calista.paging import CappedPaginator
from dashboards import boards, exports, support
from shipments.models import Custody, CustomsStatus
from shipments.services import shipments_count_by_state

log = logging.getLogger(__name__)

HOME_TEMPLATES = {
    "forwarder": "dashboards/home_forwarder.html",
    "broker": "dashboards/home_broker.html",
    "cfs": "dashboards/home_cfs.html",
    "operator": "dashboards/home_operator.html",
}
LIST_PAGE = 50


def _counts(found: dict, choices) -> list[dict]:
    return [{"value": value, "label": label, "count": found.get(value, 0)} for value, label in choices]


# A broker's tiles for the work it does lead to its workbench pages: the queue unfiltered and the ACE rejections list the
# same shipments the tiles count (every shipment the organization sees, in that status).
BROKER_QUEUES = {CustomsStatus.RECEIVED: "customs:queue", CustomsStatus.ACE_REJECTED: "customs:rejections"}


def _status_tiles(org, found: dict) -> list[dict]:
    """Each customs status's count, with a link to the shipments it counts."""
    tiles = _counts(found, CustomsStatus.choices)
    for tile in tiles:
        queue = BROKER_QUEUES.get(tile["value"]) if org.is_broker else None
        tile["url"] = reverse(queue) if queue else f"{reverse('shipments:shipment_list')}?{urlencode({'status': tile['value']})}"
    return tiles


def home(request):
    """Each role's home: its own work at a glance."""
    if request.org is None:
        return render(request, "dashboards/home_no_org.html")
    by_status, by_custody = shipments_count_by_state(access.shipments_for(request.org))
    context = {
        "status_counts": _status_tiles(request.org, by_status),
        "custody_counts": _counts(by_custody, Custody.choices),
        "shipments_total": sum(by_status.values()),
        "recent_uploads": access.uploads_for(request.org).select_related("uploaded_by")[:8],
        "manifests_open": access.manifests_for(request.org).filter(closed_at__isnull=True).count(),
    }
    return render(request, HOME_TEMPLATES[request.org.kind], context)


# --- Boards ---------------------------------------------------------------------------------------------------


def _airport(code: str) -> str:
    """A served airport's code, or 404 (an unknown airport is a page that does not exist)."""
    if code not in boards.airports():
        raise Http404
    return code


REFRESH_SECONDS = (5, 30, 300)  # the least, the default and the most seconds between two refreshes of a board


def _refresh(request) -> int:
    """Seconds between refreshes: `?refresh=10` for a board on a wall screen, within bounds."""
    least, default, most = REFRESH_SECONDS
    value = request.GET.get("refresh", "")
    return min(most, max(least, int(value))) if value.isascii() and value.isdigit() else default


def _board_context(request, airport: str) -> dict:
    period = request.GET.get("period", boards.DEFAULT_PERIOD)
    board = boards.board_read(org=request.org, airport=airport, period=period)
    refresh = _refresh(request)
    query = {"period": board.period, **({"refresh": refresh} if refresh != REFRESH_SECONDS[1] else {})}
    figures_url = reverse("dashboards:board", args=[airport]) if airport else reverse("dashboards:figures")
    return {
        "board": board, "airports": boards.airports(), "periods": [(key, label) for key, (_days, label) in boards.PERIODS.items()],
        "chart_json": json.dumps(board.chart), "figures_url": f"{figures_url}?{urlencode(query)}", "refresh": refresh,
        "rendered_at": timezone.now(),
    }


@require_GET
def boards_all(request):
    """The board of every served airport together."""
    return render(request, "dashboards/board.html", _board_context(request, ""))


@require_GET
def airport_board(request, airport):
    """One airport's board."""
    return render(request, "dashboards/board.html", _board_context(request, _airport(airport)))


def _figures(request, airport: str) -> HttpResponse:
    """A board's figures alone. Every screen of an organization showing the same board shares one rendering for
    BOARD_CACHE_SECONDS (the figures come from tallies refreshed about as often): a wall of screens costs one."""
    seconds = settings.BOARD_CACHE_SECONDS
    key = ":".join(["board-figures", str(request.org.pk if request.org else 0), airport, request.GET.get("period", "")[:10],
                    str(_refresh(request)), get_language() or ""])
    content = _cache_call(cache.get, key) if seconds else None
    if content is None:
        content = render(request, "dashboards/_board_figures.html", _board_context(request, airport)).content
        if seconds:
            _cache_call(cache.set, key, content, seconds)
    return HttpResponse(content)


def _cache_call(method, *args):
    """The board without its shared rendering while the cache (Redis) is away: slower, never an error."""
    try:
        return method(*args)
    except Exception:  # any backend's connection error
        log.warning("board cache unavailable", exc_info=True)
        return None


@require_GET
def figures_all(request):
    """The figures of the all-airports board alone: htmx fetches them again every 30 seconds."""
    return _figures(request, "")


@require_GET
def airport_figures(request, airport):
    """One airport's figures alone, for htmx."""
    return _figures(request, _airport(airport))


@require_GET
def board_list(request):
    """The shipments behind a board's number (live), as a page or as a CSV or Excel file (`?export=csv|xlsx`)."""
    criteria = boards.BoardFilter.from_query(request.GET)
    shipments = boards.shipments_filter(org=request.org, criteria=criteria).order_by("-arrival_date", "mawb", "hawb")
    export = request.GET.get("export", "")
    if export in exports.FORMATS:
        return exports.shipments_export(shipments=shipments, file_format=export, filename="calista-shipments")
    # Counted up to 10,000, as the shipment list is: a period's exact number is on the board; counting 300,000 parcels
    # again for a page of 50 was most of the time such a list took.
    page = CappedPaginator(shipments.select_related("forwarder"), LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboards/board_list.html", {
        "page": page, "criteria": criteria, "chips": _chips(criteria),
    })


def _chips(criteria: boards.BoardFilter) -> list[str]:
    """The filter in words, for the list's title."""
    labels = {
        "airport": _("airport %(value)s"), "arriving_from": _("arriving from %(value)s"),
        "arrived_from": _("landed from %(value)s"), "arrived_to": _("landed until %(value)s"),
        "status": _("status %(value)s"), "custody": _("custody %(value)s"), "general_order": _("general order: %(value)s"),
        "hold_agency": _("open %(value)s hold"), "hold_age": _("hold waiting %(value)s"), "event": "%(value)s",
        "event_from": _("from %(value)s"), "event_to": _("until %(value)s"), "code": _("ACE code %(value)s"),
    }
    values = {
        "status": dict(CustomsStatus.choices), "custody": dict(Custody.choices),
        "general_order": {"warning": _("day 10 or later"), "overdue": _("day 15 passed")},
        "hold_age": {key: label for key, label, *_rest in boards.HOLD_AGES},
        "event": {"released": _("released"), "handed_off": _("handed off"), "rejected": _("rejected by ACE")},
    }
    return [labels[name] % {"value": values.get(name, {}).get(value, value)} for name, value in criteria.params().items()
            if name in labels]


@require_GET
def mawb_list(request):
    """The MAWBs still open behind the board's number, by custody; each leads to its shipments."""
    airport = request.GET.get("airport", "")
    airport = airport if airport in boards.airports() else ""
    manifests = boards.manifests_open(org=request.org, airport=airport).select_related("forwarder")
    custody = request.GET.get("custody", "")
    if custody in Custody.values:
        manifests = manifests.filter(custody=custody)
    manifests = manifests.order_by("arrival_date", "mawb")
    export = request.GET.get("export", "")
    if export in exports.FORMATS:
        labels = dict(Custody.choices)
        rows = ([m.mawb_display, m.forwarder.name, m.origin_airport, m.destination_airport, m.flight_number, m.arrival_date,
                 m.arrived_on, str(labels.get(m.custody, m.custody)), m.shipments_count]
                for m in manifests.iterator(chunk_size=exports.CHUNK))
        header = [_("MAWB"), _("Forwarder"), _("Origin"), _("Destination"), _("Flight"), _("Arrival date"), _("Landed on"),
                  _("Custody"), pgettext("number of shipments", "Shipments")]
        return exports.rows_export(header=header, rows=rows, file_format=export, filename="calista-open-mawbs")
    page = Paginator(manifests, LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboards/mawb_list.html", {
        "page": page, "airport": airport, "custody": custody, "custody_label": dict(Custody.choices).get(custody, ""),
    })


# --- The support console --------------------------------------------------------------------------------------


def _operator(request) -> None:
    if request.org is None or not request.org.is_operator:
        raise PermissionDenied


def _support_shipment(request, pk):
    """The shipment, looked up in the user's scope first (another tenant's answers 404), then for operators only."""
    shipment = access.get_scoped_or_404(
        access.shipments_for(request.org).select_related("manifest", "forwarder", "broker", "cfs", "entry"), pk=pk)
    _operator(request)
    return shipment


@require_GET
def support_search(request):
    """One box: HAWB, MAWB, entry number, tracking number, consignee name, phone or e-mail."""
    _operator(request)
    result = support.shipments_search(org=request.org, query=request.GET.get("q", ""))
    return render(request, "dashboards/support.html", {"result": result, "limit": support.SEARCH_LIMIT})


@require_GET
def support_shipment(request, pk):
    """A parcel explained: both dimensions, the whole timeline in plain words, what happens next, notes, a summary to copy."""
    shipment = _support_shipment(request, pk)
    return render(request, "dashboards/support_shipment.html", {
        "shipment": shipment, "story": support.shipment_story(shipment=shipment),
        "notes": support.notes_for(org=request.org, shipment=shipment), "note_limit": support.NOTE_LIMIT,
        "back": request.GET.get("q", ""),
    })


@require_POST
def support_note_add(request, pk):
    """An internal note on the shipment (support and admins only); the shipment itself does not change."""
    shipment = _support_shipment(request, pk)
    try:
        support.note_add(org=request.org, user=request.user, shipment_id=shipment.pk, text=request.POST.get("text", ""))
    except support.NoteError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your note was saved. Only the operator's staff can read it."))
    return redirect(reverse("dashboards:support_shipment", args=[shipment.pk]) + "#notes")
