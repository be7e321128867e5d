"""Pages for uploads and shipments. Thin: parse, call the services, render. Every lookup goes through accounts.access."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.models import Organization
from calista.paging import CappedPaginator
from calista.params import id_or_none
from customs import review
from customs.policy import REASONS
from dashboards import support
from shipments.errorfile import error_file
from shipments.forms import UploadForm
from shipments.ingest.codes import CODES, FILE_CODES, ROW_CODES, message_for
from shipments.ingest.columns import BY_NAME, COLUMNS
from shipments.ingest.reader import LEGACY_XLS
from shipments.models import CustomsStatus, EntryType, Upload
from shipments.progress import percent, phase_total, progress_get
from shipments.services import upload_create

forwarders_only = access.require_kind(Organization.Kind.FORWARDER)


def _limit_text() -> str:
    return f"{settings.MANIFEST_MAX_BYTES / 1048576:.0f} MiB"


@forwarders_only
@require_http_methods(["GET", "POST"])
def upload_new(request):
    """The forwarder drops a CSV or Excel file; it is stored and read in the background."""
    too_large = getattr(request, "upload_too_large", False) if request.method == "POST" else False
    form = UploadForm(request.POST or None, request.FILES or None, too_large=too_large, limit_text=_limit_text())
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        upload = upload_create(forwarder=request.org, user=request.user, file=file, name=file.name,
                               encoding=form.cleaned_data.get("encoding") or "")
        return redirect("shipments:upload_detail", upload.pk)
    recent = access.uploads_for(request.org)[:5]
    return render(request, "shipments/upload_new.html", {
        "form": form, "recent": recent, "limit_text": _limit_text(), "limit_bytes": settings.MANIFEST_MAX_BYTES,
    }, status=400 if request.method == "POST" else 200)


@require_GET
def upload_list(request):
    uploads = access.uploads_for(request.org).select_related("uploaded_by", "forwarder")
    page = Paginator(uploads, 25).get_page(request.GET.get("page"))
    return render(request, "shipments/upload_list.html", {"page": page})


def _progress_context(upload: Upload) -> dict:
    state = progress_get("upload", upload.pk)
    return {
        "upload": upload,
        "state": state,
        "bars": [
            {"phase": phase, "label": label, "percent": percent(state, phase), "done": state.get(f"{phase}_done", 0),
             "total": phase_total(state, phase)}
            for phase, label in (("read", _("Rows read")), ("check", _("Rows checked")), ("store", _("Rows stored")))
        ],
    }


@require_GET
def upload_detail(request, pk):
    upload = access.get_scoped_or_404(access.uploads_for(request.org).select_related("duplicate_of", "uploaded_by"), pk=pk)
    if not upload.is_finished:
        return render(request, "shipments/upload_progress.html", _progress_context(upload))
    failed = upload.row_errors.all()
    code = request.GET.get("code", "")
    if code:
        failed = failed.filter(codes__contains=code)
    page = Paginator(failed, 50).get_page(request.GET.get("page"))
    codes_found = {}
    for row_codes in upload.row_errors.values_list("codes", flat=True):
        for c in row_codes.split():
            codes_found[c] = codes_found.get(c, 0) + 1
    headers = upload.file_report.get("columns", {})  # canonical name -> the header as the file writes it
    for row in page:
        cells = dict(zip((h.strip() for h in upload.header), row.cells, strict=False))
        row.explained = [
            {"code": e["code"], "column": headers.get(e["column"], e["column"]),
             "help": BY_NAME[e["column"]].label if e["column"] in BY_NAME else "",
             "message": message_for(e["code"]), "fix": CODES[e["code"]].fix, "value": cells.get(headers.get(e["column"]), "")}
            for e in row.errors
        ]
    entry_types = upload.summary.get("entry_types", {})
    return render(request, "shipments/upload_detail.html", {
        "upload": upload, "page": page, "code": code,
        "codes_found": sorted(codes_found.items()),
        "file_errors": [_file_error(e, upload) for e in upload.file_report.get("errors", [])],
        "file_warnings": [dict(w, message=message_for(w["code"])) for w in upload.file_report.get("warnings", [])],
        "entry_mix": [{"code": c, "label": EntryType(c).label, "count": entry_types.get(c, 0)} for c in ("86", "11", "01")],
        "file_error_help": {c: CODES[c].fix for c in FILE_CODES},
    })


def _file_error(error: dict, upload: Upload) -> dict:
    """A file-level error in the reader's language (it was stored in the language of whoever uploaded the file)."""
    code = error.get("code", "")
    if code in ("F_ENCODING", "F_EMPTY") or (code == "F_NOT_TABULAR" and not upload.original_name.lower().endswith(".xls")):
        return dict(error, message=message_for(code))
    if code == "F_NOT_TABULAR":
        return dict(error, message=str(LEGACY_XLS))
    if code == "F_MISSING_COLUMNS" and error.get("columns"):
        # Each column with the Chinese name the Chinese template writes: a file with Chinese headers reads its own words.
        named = [f"{name} ({BY_NAME[name].chinese})" if name in BY_NAME and BY_NAME[name].chinese != name else name
                 for name in error["columns"]]
        found = [cell for cell in upload.header if str(cell).strip()]
        hint = ""
        if len(found) <= 2 or not upload.file_report.get("columns"):  # the row read as the header is a title, not names
            hint = _("The first row with anything in it was read as the column names: “%(row)s”. If the file has a title or "
                     "notes above the column names, delete those rows; in a workbook, the column names must be on the "
                     "first sheet.") % {"row": " | ".join(str(cell) for cell in found)[:120]}
        return dict(error, message=message_for(code, columns=", ".join(named)), hint=hint)
    return error  # its parameters (the limit, the headers as written) are in the stored text only


@require_GET
def upload_progress(request, pk):
    """The progress bars alone, polled by htmx; when the work is done the page reloads into the result."""
    upload = access.get_scoped_or_404(access.uploads_for(request.org), pk=pk)
    response = render(request, "shipments/_upload_progress_bars.html", _progress_context(upload))
    if upload.is_finished:
        response["HX-Refresh"] = "true"
    return response


@require_GET
def upload_error_file(request, pk):
    upload = access.get_scoped_or_404(access.uploads_for(request.org), pk=pk)
    content, name, content_type = error_file(upload)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def template_csv(request, language):
    """A CSV template with English or Chinese headers and one example row (UTF-8 with BOM, for Excel)."""
    if language not in ("en", "zh"):
        raise Http404
    header = [column.chinese if language == "zh" else column.name for column in COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow([column.example for column in COLUMNS])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="calista-manifest-template-{language}.csv"'
    return response


@require_GET
def format_help(request):
    """The columns, aliases, rules and codes, generated from the tables the checks use."""
    return render(request, "shipments/format_help.html", {
        "columns": COLUMNS,
        "file_codes": [CODES[c] for c in FILE_CODES],
        "row_codes": [CODES[c] for c in ROW_CODES],
        "warning_codes": [CODES[c] for c in CODES if c.startswith("W_")],
        "reasons": sorted(REASONS.items()),
        "airports": settings.SERVED_AIRPORTS,
        "limit_text": _limit_text(),
        "max_records": settings.MANIFEST_MAX_RECORDS,
        "chinese": get_language() == "zh-hans",
    })


SHIPMENT_FILTERS = ("status", "entry_type", "upload", "manifest")


@require_GET
def shipment_list(request):
    shipments = access.shipments_for(request.org).select_related("forwarder")
    q = request.GET.get("q", "").strip()
    if q:
        compact = q.replace("-", "").replace(" ", "").upper()
        shipments = shipments.filter(Q(hawb=compact) | Q(mawb=compact) | Q(consignee_name__icontains=q))
    filters = {}
    for name in SHIPMENT_FILTERS:
        value = request.GET.get(name, "")
        if value:
            filters[name] = value
    if filters.get("status") in CustomsStatus.values:
        shipments = shipments.filter(status=filters["status"])
    if filters.get("entry_type") in EntryType.values:
        shipments = shipments.filter(entry_type=filters["entry_type"])
    scopes = {"upload": access.uploads_for(request.org), "manifest": access.manifests_for(request.org)}
    narrowed = {}  # the upload or MAWB the list is narrowed to, named above the list with a way out
    for name, visible in scopes.items():
        if (number := id_or_none(filters.get(name))) is not None:
            shipments = shipments.filter(**{f"{name}_id": number})
            narrowed[name] = visible.filter(pk=number).first()
    if request.GET.get("export") in ("csv", "xlsx"):  # the filtered list as a file, streamed (dashboards/exports.py)
        from dashboards.exports import shipments_export

        return shipments_export(shipments=shipments.order_by("-arrival_date", "mawb", "hawb"), file_format=request.GET["export"],
                                filename="calista-shipments")
    page = CappedPaginator(shipments.order_by("-arrival_date", "mawb", "hawb"), 50).get_page(request.GET.get("page"))
    return render(request, "shipments/shipment_list.html", {
        "page": page, "q": q, "filters": filters, "statuses": CustomsStatus.choices, "entry_types": EntryType.choices,
        "query": request.GET.urlencode(), "narrowed": narrowed,
    })


@require_GET
def shipment_detail(request, pk):
    seen_at = review.seen_at_now()  # before the shipment is read: the broker's actions act on what this page shows
    shipment = access.get_scoped_or_404(access.shipments_for(request.org).select_related("manifest", "forwarder", "broker", "cfs"),
                                        pk=pk)
    events = list(shipment.events.select_related("user", "api_key").order_by("at", "id"))
    sentences = support.event_sentences(shipment=shipment, events=events)
    for event in events:  # the plain-words sentence in the reader's language; the stored record beside it if it says more
        event.sentence = sentences.get(event.pk) or event.message
    return render(request, "shipments/shipment_detail.html", {
        "shipment": shipment, "events": events,
        "reasons": [{"code": r, "text": REASONS.get(r, r)} for r in shipment.reasons],
        "show_totals": request.org.is_operator, "seen_at": seen_at,
    })


# --- The forwarder's side of the broker's review: corrections, resubmission, cancellation, answers ------
# Services live in customs/review.py. A shipment another tenant holds answers 404; one the user
# may see but is not the forwarder of (its broker, a CFS, support) answers 403.


def _forwarder_shipment(request, pk):
    shipment = access.get_scoped_or_404(access.shipments_for(request.org), pk=pk)
    if not request.org.is_forwarder:
        raise PermissionDenied
    return shipment


def _back_to(shipment) -> str:
    return reverse("shipments:shipment_detail", args=[shipment.pk])


def _not_done(request, error, back: str):
    return render(request, "customs/problem.html", {"error": str(getattr(error, "message", error)), "back": back}, status=400)


@require_GET
def shipment_actions(request, pk):
    """The forwarder's block on the shipment page: the broker's reason, questions to answer, correct, resubmit, cancel."""
    shipment = _forwarder_shipment(request, pk)
    status = shipment.status
    rejected = shipment.events.filter(dimension="customs", to_state=CustomsStatus.REJECTED).order_by("-at", "-id").first()
    return render(request, "customs/_forwarder_actions.html", {
        "shipment": shipment, "next": _back_to(shipment),
        "rejection": rejected.data.get("reason", rejected.message) if rejected and status == CustomsStatus.REJECTED else "",
        "requests": shipment.info_requests.select_related("asked_by", "answered_by").order_by("-asked_at"),
        "can_correct": status in review.FORWARDER_CORRECTS,
        "can_resubmit": status == CustomsStatus.REJECTED,
        "can_cancel": status in review.FORWARDER_CANCELS and shipment.entry_id is None,
        "fields": review.correction_choices(org=request.org, shipment=shipment),
    })


@require_POST
def shipment_correct(request, pk):
    """The forwarder corrects a field of a shipment the broker has not approved yet."""
    shipment = _forwarder_shipment(request, pk)
    try:
        change = review.shipment_correct(shipment_id=shipment.pk, org=request.org, user=request.user,
                                         field=request.POST.get("field", ""), value=request.POST.get("value", ""))
    except review.ReviewError as error:
        return _not_done(request, error, _back_to(shipment))
    messages.success(request, _("Corrected: %(old)s → %(new)s. The entry decision was made again.") % change)
    return redirect(_back_to(shipment))


@require_POST
def shipment_resubmit(request, pk):
    """A rejected shipment, corrected, goes back to the broker's review."""
    shipment = _forwarder_shipment(request, pk)
    outcome = review.shipments_resubmit(forwarder=request.org, user=request.user, shipment_ids=[shipment.pk])
    if not outcome.moved:
        return _not_done(request, outcome.refused.get(shipment.pk, ""), _back_to(shipment))
    messages.success(request, _("Sent back to the broker for review."))
    return redirect(_back_to(shipment))


@require_POST
def shipment_cancel(request, pk):
    """The forwarder cancels a shipment before it is filed (a reason is required)."""
    shipment = _forwarder_shipment(request, pk)
    try:
        outcome = review.review_cancel(org=request.org, user=request.user, shipment_ids=[shipment.pk],
                                       reason=request.POST.get("reason", ""))
    except review.ReviewError as error:
        return _not_done(request, error, _back_to(shipment))
    if not outcome.moved:
        return _not_done(request, outcome.refused.get(shipment.pk, ""), _back_to(shipment))
    messages.success(request, _("The shipment was cancelled."))
    return redirect(_back_to(shipment))


@forwarders_only
@require_GET
def info_request_list(request):
    """The broker's questions about the forwarder's shipments: open ones first."""
    requests = review.info_requests_for(request.org).order_by("answered_at", "deadline", "-asked_at")
    page = Paginator(requests, 50).get_page(request.GET.get("page"))
    return render(request, "customs/forwarder_requests.html", {"page": page})


@require_POST
def info_request_answer(request, pk):
    """The forwarder answers a question of the broker; the broker is told."""
    info_request = access.get_scoped_or_404(review.info_requests_for(request.org), pk=pk)
    if not request.org.is_forwarder:
        raise PermissionDenied
    listed = reverse("shipments:info_request_list")  # answered from the list, or from the shipment page
    back = listed if request.POST.get("next") == listed else _back_to(info_request.shipment)
    try:
        review.info_request_answer(forwarder=request.org, user=request.user, request_id=info_request.pk,
                                   answer=request.POST.get("answer", ""))
    except review.ReviewError as error:
        return _not_done(request, error, back)
    messages.success(request, _("Your answer was sent to the broker."))
    return redirect(back)
