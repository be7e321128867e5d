"""Pages for uploads and shipments. Thin: parse, call the services, render. Every lookup goes through accounts.access."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from accounts.models import Organization
from customs.policy import REASONS
from shipments.errorfile import error_file
from shipments.forms import UploadForm
from shipments.ingest.codes import CODES, FILE_CODES, ROW_CODES, message_for
from shipments.ingest.columns import BY_NAME, COLUMNS
from shipments.models import CustomsStatus, EntryType, Upload
from shipments.progress import percent, progress_get
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
            {"phase": "read", "label": _("Rows read"), "percent": percent(state, "read"), "done": state.get("read_done", 0)},
            {"phase": "check", "label": _("Rows checked"), "percent": percent(state, "check"), "done": state.get("check_done", 0)},
            {"phase": "store", "label": _("Rows stored"), "percent": percent(state, "store"), "done": state.get("store_done", 0)},
        ],
        "total": state.get("total"),
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
             "message": message_for(e["code"]), "value": cells.get(headers.get(e["column"]), "")}
            for e in row.errors
        ]
    entry_types = upload.summary.get("entry_types", {})
    return render(request, "shipments/upload_detail.html", {
        "upload": upload, "page": page, "code": code,
        "codes_found": sorted(codes_found.items()),
        "file_errors": upload.file_report.get("errors", []),
        "file_warnings": [dict(w, message=message_for(w["code"])) for w in upload.file_report.get("warnings", [])],
        "entry_mix": [{"code": c, "label": EntryType(c).label, "count": entry_types.get(c, 0)} for c in ("86", "11", "01")],
        "file_error_help": {c: CODES[c].fix for c in FILE_CODES},
    })


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
    for name in ("upload", "manifest"):
        if filters.get(name, "").isdigit():
            shipments = shipments.filter(**{f"{name}_id": int(filters[name])})
    counts = dict(shipments.order_by().values_list("status").annotate(n=Count("pk")))
    page = Paginator(shipments.order_by("-arrival_date", "mawb", "hawb"), 50).get_page(request.GET.get("page"))
    return render(request, "shipments/shipment_list.html", {
        "page": page, "q": q, "filters": filters, "statuses": CustomsStatus.choices, "entry_types": EntryType.choices,
        "counts": counts, "query": request.GET.urlencode(),
    })


@require_GET
def shipment_detail(request, pk):
    shipment = access.get_scoped_or_404(access.shipments_for(request.org).select_related("manifest", "forwarder", "broker", "cfs"),
                                        pk=pk)
    events = shipment.events.select_related("user").order_by("at", "id")
    return render(request, "shipments/shipment_detail.html", {
        "shipment": shipment, "events": events,
        "reasons": [{"code": r, "text": REASONS.get(r, r)} for r in shipment.reasons],
        "show_totals": request.org.is_operator,
    })
