"""CFS screens: work queues, pick-up, arrival, breakdown, hand-off (scan, selection, CSV), printables, carriers.

Thin: parse, call cfs/services.py, render. CFS staff read and write their own station's
work; operator staff read any station's; forwarders and brokers get 403. Every object is
looked up through accounts.access, so another station's MAWB or HAWB answers 404.
"""

from __future__ import annotations

from datetime import date
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.models import Organization
from calista import clocks
from calista.params import id_or_none, ids
from cfs import queues
from cfs.forms import ArrivalForm, CarrierForm, CollectionForm, HandoffCsvForm
from cfs.services import (
    AlreadyReceived,
    CfsError,
    Scan,
    carrier_add,
    handoff_batch_create,
    handoff_batch_progress_get,
    handoffs_from_csv,
    manifest_arrival_record,
    manifest_breakdown,
    manifest_collect_scan,
    manifests_collect_record,
    shipment_hand_off_scan,
    shipments_exam_return,
    shipments_hand_off_select,
)
from customs.models import Hold
from shipments.models import Custody

SHIPMENTS_PER_PAGE = 50


def station_page(view):
    """CFS staff read and write; operator staff only read; every other organization gets 403."""

    @wraps(view)
    @access.require_kind(Organization.Kind.CFS, Organization.Kind.OPERATOR)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") and not request.org.is_cfs:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _station(request) -> Organization:
    """The station whose work is shown: a CFS user's own; for an operator, the one chosen (?station=slug)."""
    if request.org.is_cfs:
        return request.org
    stations = access.organizations_visible_to(request.org).filter(kind=Organization.Kind.CFS).order_by("airport", "name")
    slug = request.GET.get("station", "")
    station = stations.filter(slug=slug).first() if slug else stations.first()
    if station is None:
        raise Http404
    return station


def _today(station) -> date:
    """The station's today: the day at its airport, whoever looks (an operator in another time zone too)."""
    return clocks.airport_today(station.airport)


def _station_time(station):
    """Now on the station's clock: what a printed sheet is dated by."""
    return timezone.localtime(timezone=clocks.airport_zone(station.airport))


def _context(request, station, **extra) -> dict:
    """What every station page shows: the station, the tabs with their counts, the station switcher for operators."""
    today = _today(station)
    context = {
        "station": station, "station_zone": clocks.airport_zone(station.airport), "today": today,
        "counts": queues.queue_counts(request.org, station, today=today),
        "can_write": request.org.is_cfs,
        "station_query": "" if request.org.is_cfs else f"?station={station.slug}",
        "stations": [] if request.org.is_cfs else access.organizations_visible_to(request.org).filter(kind=Organization.Kind.CFS),
    }
    context.update(extra)
    return context


def _manifest_or_404(request, pk):
    return access.get_scoped_or_404(access.manifests_for(request.org).select_related("forwarder", "cfs"), pk=pk)


def _with_countdown(shipments, today):
    """Each shipment of a page (annotated by queues.with_clock) with its general-order countdown, when its clock runs."""
    for shipment in shipments:
        shipment.countdown = queues.countdown(queues.clock_start(shipment), today=today) if shipment.on_clock else None
    return shipments


def _open_holds():
    return Prefetch("holds", queryset=Hold.objects.filter(removed_at__isnull=True), to_attr="open_hold_list")


# --- Queues -----------------------------------------------------------------------------------


@station_page
@require_GET
def queues_view(request):
    """The station's work at a glance: MAWBs at each step, parcels ready, held, and running out of time."""
    station = _station(request)
    manifests = queues.station_manifests(request.org, station).select_related("forwarder")
    by_custody = {name: manifests.filter(custody=custody).order_by("arrival_date", "mawb")[:50]
                  for name, custody in queues.MANIFEST_QUEUES.items()}
    shipments = queues.station_shipments(request.org, station)
    today = _today(station)
    urgent = _with_countdown(list(queues.by_clock(queues.with_clock(shipments.filter(queues.general_order_due(today))))
                                  .select_related("manifest")[:10]), today)
    return render(request, "cfs/queues.html", _context(
        request, station, to_collect=by_custody["to_collect"], in_transit=by_custody["in_transit"],
        in_warehouse=by_custody["in_warehouse"],
        breaking_down=queues.breaking_down(manifests).order_by("arrival_date", "mawb")[:50],
        urgent=urgent,
    ))


# --- Pick-up, arrival, breakdown -----------------------------------------------------------------


@station_page
@require_http_methods(["GET", "POST"])
def collect(request):
    """Record a collection at the airline terminal: one truck, one MAWB or several."""
    station = _station(request)
    waiting = list(queues.station_manifests(request.org, station).filter(custody=Custody.TRANSFER_AUTHORIZED)
                   .select_related("forwarder").order_by("arrival_date", "mawb"))
    initial = {"manifests": ids(request.GET.getlist("mawb"))}
    choices = waiting
    if request.method == "POST":  # a colleague may have collected some of them since the page was shown: say so, not "invalid"
        posted = ids(request.POST.getlist("manifests"))
        choices = waiting + list(queues.station_manifests(request.org, station).filter(pk__in=posted)
                                 .exclude(pk__in=[m.pk for m in waiting]))
    if request.method == "POST" and request.POST.get("code", "").strip():
        return _collect_scan(request, station, waiting=waiting, choices=choices)
    form = CollectionForm(request.POST or None, manifests=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            done = manifests_collect_record(cfs=station, user=request.user, manifest_ids=form.cleaned_data["manifests"],
                                            driver=form.cleaned_data["driver"], truck=form.cleaned_data["truck"],
                                            bonded_carrier=form.cleaned_data["bonded_carrier"])
        except CfsError as error:
            form.add_error(None, error.message)
        else:
            if done.collection:
                messages.success(request, _("Collection recorded: %(n)s MAWB(s) in transit to the station.") % {
                    "n": len(done.outcome.moved)})
            for reason in done.outcome.reasons():
                messages.warning(request, _("Not collected: %(reason)s") % {"reason": reason})
            return redirect("cfs:queues")
    return render(request, "cfs/collect.html", _context(request, station, form=form, waiting=waiting,
                                                        chosen=set(ids(form["manifests"].value() or []))),
                  status=400 if request.method == "POST" else 200)


def _collect_scan(request, station, *, waiting, choices):
    """A MAWB scanned into the collection form (Enter in its scan field): chosen, or refused saying why; nothing is
    collected, and what was ticked and typed stays. htmx gets the answer and the list; without JavaScript, the page."""
    chosen = ids(request.POST.getlist("manifests"))
    answer = manifest_collect_scan(cfs=station, code=request.POST["code"], chosen=chosen)
    if answer.state == "ok" and answer.manifest.pk not in chosen:
        chosen.append(answer.manifest.pk)
    form = CollectionForm(manifests=choices, initial={"manifests": chosen, **{name: request.POST.get(name, "")
                                                                             for name in ("driver", "truck", "bonded_carrier")}})
    context = {"form": form, "waiting": waiting, "chosen": set(chosen), "collect_scan": answer, "answered": True,
               "can_write": True}
    if request.headers.get("HX-Request"):
        return render(request, "cfs/_collect_scan.html", context)
    return render(request, "cfs/collect.html", _context(request, station, **context))


@station_page
@require_GET
def manifest_detail(request, pk):
    """One MAWB at the station: its custody, collection, piece count, HAWBs, and the next step."""
    manifest = _manifest_or_404(request, pk)
    return _manifest_page(request, manifest)


def _manifest_page(request, manifest, *, arrival_form=None, status=200):
    today = clocks.airport_today(manifest.destination_airport)
    shipments = (queues.with_clock(access.shipments_for(request.org).filter(manifest=manifest)).select_related("handoff__carrier")
                 .prefetch_related(_open_holds()).order_by("hawb"))
    page = Paginator(shipments, SHIPMENTS_PER_PAGE).get_page(request.GET.get("page"))
    _with_countdown(page.object_list, today)
    custody_counts = dict(shipments.order_by().values_list("custody").annotate(n=Count("pk")))
    return render(request, "cfs/manifest_detail.html", _context(
        request, manifest.cfs or _station(request), manifest=manifest, page=page,
        arrival=getattr(manifest, "cfs_arrival", None), collection=manifest.cfs_collections.first(),
        arrival_form=arrival_form or ArrivalForm(),
        custody_counts=[(label, custody_counts.get(value, 0)) for value, label in Custody.choices if custody_counts.get(value)],
    ), status=status)


@station_page
@require_POST
def manifest_receive(request, pk):
    manifest = _manifest_or_404(request, pk)
    form = ArrivalForm(request.POST)
    if form.is_valid():
        try:
            arrival = manifest_arrival_record(cfs=request.org, user=request.user, manifest_id=manifest.pk,
                                              pieces_received=form.cleaned_data["pieces_received"], note=form.cleaned_data["note"])
        except AlreadyReceived as done:  # a colleague received it a moment ago: not an error
            messages.info(request, done.message)
            return redirect("cfs:manifest", manifest.pk)
        except CfsError as error:
            form.add_error(None, error.message)
        else:
            if arrival.difference:
                messages.warning(request, _("MAWB %(mawb)s received with a discrepancy of %(n)+d pieces.") % {
                    "mawb": manifest, "n": arrival.difference})
            else:
                messages.success(request, _("MAWB %(mawb)s received: every piece is here.") % {"mawb": manifest})
            return redirect("cfs:manifest", manifest.pk)
    return _manifest_page(request, manifest, arrival_form=form, status=400)


@station_page
@require_POST
def manifest_break_down(request, pk):
    manifest = _manifest_or_404(request, pk)
    try:
        manifest_breakdown(cfs=request.org, user=request.user, manifest_id=manifest.pk)
    except CfsError as error:
        messages.error(request, _("MAWB %(mawb)s was not broken down: %(reason)s") % {"mawb": manifest, "reason": error.message})
    else:
        messages.success(request, _("MAWB %(mawb)s broken down into its %(n)s HAWBs.") % {"mawb": manifest,
                                                                                        "n": manifest.shipments_count})
    return redirect("cfs:manifest", manifest.pk)


# --- Parcels: ready, held, general order -----------------------------------------------------------


@station_page
@require_http_methods(["GET", "POST"])
def ready(request):
    """Released parcels ready to leave; hand off the ones chosen, each with its tracking number."""
    station = _station(request)
    carriers = list(queues.carriers_for(station))
    if request.method == "POST":
        chosen = ids(request.POST.getlist("shipment"))
        if not chosen:
            messages.error(request, _("Choose the parcels to hand off."))
        else:
            try:
                results = shipments_hand_off_select(
                    cfs=station, user=request.user, carrier_id=request.POST.get("carrier"),
                    tracking_by_shipment={pk: request.POST.get(f"tracking-{pk}", "") for pk in chosen})
            except CfsError as error:
                messages.error(request, error.message)
                results = []
            done = [r for r in results if r.ok]
            if done:
                messages.success(request, _("%(n)s parcel(s) handed off.") % {"n": len(done)})
            for r in results:
                if r.ok:
                    continue
                if r.shipment is None:
                    messages.error(request, r.refusal)
                else:
                    messages.error(request, _("HAWB %(hawb)s: %(reason)s") % {"hawb": r.shipment.hawb, "reason": r.refusal})
        return redirect(request.get_full_path())
    shipments = queues.ready_for_hand_off(queues.station_shipments(request.org, station)).select_related("manifest")
    manifest = None
    if (mawb := id_or_none(request.GET.get("mawb"))) is not None:
        manifest = _manifest_or_404(request, mawb)
        shipments = shipments.filter(manifest=manifest)
    page = Paginator(shipments.order_by("mawb", "hawb"), SHIPMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cfs/ready.html", _context(request, station, page=page, carriers=carriers, manifest=manifest))


@station_page
@require_GET
def held(request):
    """Parcels that stay in bond: on hold, with a hold open, or at exam."""
    station = _station(request)
    shipments = queues.by_clock(queues.with_clock(queues.held_or_at_exam(queues.station_shipments(request.org, station)))
                                .select_related("manifest").prefetch_related(_open_holds()))
    page = Paginator(shipments, SHIPMENTS_PER_PAGE).get_page(request.GET.get("page"))
    _with_countdown(page.object_list, _today(station))
    return render(request, "cfs/held.html", _context(request, station, page=page))


@station_page
@require_POST
def exam_return(request):
    try:
        outcome = shipments_exam_return(cfs=request.org, user=request.user, shipment_ids=ids(request.POST.getlist("shipment")))
    except CfsError as error:
        messages.error(request, error.message)
        return redirect("cfs:held")
    if outcome.moved:
        messages.success(request, _("%(n)s parcel(s) back from exam.") % {"n": len(outcome.moved)})
    for reason in outcome.reasons():
        messages.error(request, _("Not moved: %(reason)s") % {"reason": reason})
    return redirect("cfs:held")


@station_page
@require_GET
def general_order(request):
    """The general-order clock: days since arrival of every parcel not yet released, oldest first."""
    station = _station(request)
    today = _today(station)
    shipments = queues.with_clock(queues.general_order_watch(queues.station_shipments(request.org, station))).select_related("manifest")
    level = request.GET.get("level", "")
    if level in ("warning", "overdue"):
        shipments = shipments.filter(queues.general_order_due(today, level))
    page = Paginator(queues.by_clock(shipments), SHIPMENTS_PER_PAGE).get_page(request.GET.get("page"))
    _with_countdown(page.object_list, today)
    return render(request, "cfs/general_order.html", _context(
        request, station, page=page, level=level, days=queues.GENERAL_ORDER_DAYS, warning_day=queues.GENERAL_ORDER_WARNING_DAY))


# --- Hand-off by scanning, from a CSV file, and the day's hand-offs ----------------------------------


def _scan_manifest(request):
    mawb = id_or_none(request.GET.get("mawb"))
    return _manifest_or_404(request, mawb) if mawb is not None else None


@station_page
@require_http_methods(["GET", "POST"])
def scan(request):
    """The scanning screen: a HAWB, then its tracking number, each ended by Enter as a scanner does.

    htmx posts each scan and swaps in the feedback (and the pending HAWB); without
    JavaScript the same form posts and the whole page comes back.
    """
    station = _station(request)
    manifest = _scan_manifest(request)
    carriers = list(queues.carriers_for(station))
    carrier_id = request.POST.get("carrier") or request.GET.get("carrier") or (str(carriers[0].pk) if carriers else "")
    result = Scan("wait", _("Scan a HAWB."))
    answered = request.method == "POST" and not request.POST.get("reset")  # an answer to a scan sounds, Start over's not
    if answered:
        pending = request.POST.get("pending", "")
        result = shipment_hand_off_scan(cfs=station, user=request.user, code=request.POST.get("code", ""),
                                        pending_id=id_or_none(pending), carrier_id=carrier_id,
                                        manifest_id=manifest.pk if manifest else None)
        carrier_id = result.carrier.pk if result.carrier else carrier_id  # a carrier's name was scanned
    start, end = clocks.airport_day_bounds(station.airport, _today(station))
    today_handoffs = queues.station_handoffs(request.org, station).filter(handed_at__gte=start, handed_at__lt=end)
    context = {"scan": result, "answered": answered, "carrier_id": str(carrier_id), "handed_today": today_handoffs.count(),
               "carriers": carriers}
    if request.headers.get("HX-Request"):
        return render(request, "cfs/_scan_response.html", context)
    return render(request, "cfs/scan.html", _context(request, station, manifest=manifest,
                                                     handoffs=today_handoffs.select_related("shipment", "carrier")[:30], **context))


@station_page
@require_http_methods(["GET", "POST"])
def handoff_upload(request):
    """Hand off from a CSV file of HAWB, carrier, tracking number; the report says what happened to each line."""
    station = _station(request)
    form = HandoffCsvForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        if content.count(b"\n") > QUEUED_CSV_LINES:  # long files are worked by a worker: the page does not wait
            batch = handoff_batch_create(cfs=station, user=request.user, content=content)
            messages.success(request, _("The file is being worked line by line in the background; this page shows how far it "
                                        "has come and then every line refused, with the reason."))
            return redirect("cfs:handoff_batch", batch.pk)
        report = handoffs_from_csv(cfs=station, user=request.user, content=content)
    return render(request, "cfs/handoff_upload.html", _context(request, station, form=form, report=report,
                                                               carriers=queues.carriers_for(station)))


QUEUED_CSV_LINES = 300


def _batch_context(request, pk) -> dict:
    station = _station(request)
    batch = access.get_scoped_or_404(queues.station_handoff_batches(request.org, station).select_related("uploaded_by"), pk=pk)
    done = batch.state == batch.State.DONE
    return _context(request, station, batch=batch, done=done, progress=None if done else handoff_batch_progress_get(batch),
                    refused_lines=[line for line in batch.report if not line.get("ok")])


@station_page
@require_GET
def handoff_batch(request, pk):
    """A long hand-off file worked in the background: its progress, then what it did and every refused line with the reason."""
    return render(request, "cfs/handoff_batch.html", _batch_context(request, pk))


@station_page
@require_GET
def handoff_batch_progress(request, pk):
    """The batch's state alone, polled by htmx; 286 tells htmx to stop polling once the file is done."""
    context = _batch_context(request, pk)
    return render(request, "cfs/_handoff_batch_state.html", context, status=286 if context["done"] else 200)


def _day(request, station) -> date:
    """The day asked for (?date=), or the station's today."""
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return _today(station)


@station_page
@require_GET
def handoffs(request):
    """The day's hand-offs, by carrier, with each carrier's printable hand-off manifest."""
    station = _station(request)
    day = _day(request, station)
    start, end = clocks.airport_day_bounds(station.airport, day)  # the station's day, midnight to midnight at its airport
    day_handoffs = queues.station_handoffs(request.org, station).filter(handed_at__gte=start, handed_at__lt=end)
    by_carrier = (day_handoffs.order_by().values("carrier", "carrier__name").annotate(n=Count("pk")).order_by("carrier__name"))
    page = Paginator(day_handoffs.select_related("shipment", "carrier", "handed_by"), SHIPMENTS_PER_PAGE).get_page(
        request.GET.get("page"))
    batches = queues.station_handoff_batches(request.org, station).select_related("uploaded_by").defer("content", "report")[:5]
    return render(request, "cfs/handoffs.html", _context(request, station, day=day, by_carrier=by_carrier, page=page,
                                                         batches=batches))


# --- Printables -----------------------------------------------------------------------------------


@station_page
@require_GET
def pick_list(request):
    """The parcels to pull for hand-off (released, no hold, broken down), by MAWB, with HAWB barcodes."""
    station = _station(request)
    shipments = queues.ready_for_hand_off(queues.station_shipments(request.org, station))
    manifest = None
    if (mawb := id_or_none(request.GET.get("mawb"))) is not None:
        manifest = _manifest_or_404(request, mawb)
        shipments = shipments.filter(manifest=manifest)
    return render(request, "cfs/pick_list.html", _context(
        request, station, manifest=manifest, shipments=shipments.select_related("manifest").order_by("mawb", "hawb"),
        printed_at=_station_time(station)))


@station_page
@require_GET
def handoff_manifest(request):
    """What one carrier took on one day, with HAWB barcodes and tracking numbers, for the driver to sign."""
    station = _station(request)
    carrier_id = request.GET.get("carrier", "")
    carrier = queues.carriers_for(station).filter(pk=number).first() if (number := id_or_none(carrier_id)) is not None else None
    if carrier is None:
        raise Http404
    day = _day(request, station)
    start, end = clocks.airport_day_bounds(station.airport, day)
    rows = (queues.station_handoffs(request.org, station).filter(carrier=carrier, handed_at__gte=start, handed_at__lt=end)
            .select_related("shipment").order_by("handed_at", "id"))
    return render(request, "cfs/handoff_manifest.html", _context(request, station, carrier=carrier, day=day, rows=rows,
                                                                 printed_at=_station_time(station)))


# --- Carriers -------------------------------------------------------------------------------------


@station_page
@require_http_methods(["GET", "POST"])
def carriers(request):
    """The carriers the station hands parcels to; the station may add its own."""
    station = _station(request)
    form = CarrierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            carrier = carrier_add(cfs=station, name=form.cleaned_data["name"], tracking_pattern=form.cleaned_data["tracking_pattern"])
        except CfsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(name)s added.") % {"name": carrier.name})
            return redirect("cfs:carriers")
    listed = queues.carriers_for(station).annotate(n=Count("handoffs", filter=Q(handoffs__cfs=station)))
    return render(request, "cfs/carriers.html", _context(request, station, form=form, carriers=listed),
                  status=400 if request.method == "POST" else 200)
