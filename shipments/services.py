"""Manifest uploads: store the file, then read, check, decide and store its rows (the ingest).

`upload_create` runs in the request: it stores the file and queues the ingest.
`manifest_ingest` runs in a worker (or in the foreground for `import_manifest`):
the rows are checked before any lock is taken; the checks against the portal's
data, the decision and the storing happen in one short transaction under the
ingest lock, so a crash or a file-level error stores nothing from the file, and
two uploads never count each other's parcels twice or store the same HAWB twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date
from pathlib import PurePath

import numpy as np
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization
from customs.services import decisions_refresh
from shipments import lifecycle
from shipments.bulk import insert_rows, next_ids
from shipments.ingest.pipeline import Evaluation, file_part, manifest_evaluate, portal_checks_apply, summary_part
from shipments.models import Custody, CustomsStatus, Manifest, Shipment, ShipmentEvent, Upload, UploadRowError
from shipments.progress import progress_set

log = logging.getLogger(__name__)
INGEST_LOCK = 73_217_001  # PostgreSQL advisory lock id: one ingest stores at a time

SHIPMENT_COLUMNS = (
    "id", "manifest", "upload", "row", "forwarder", "broker", "cfs", "mawb", "hawb", "origin_airport", "destination_airport",
    "flight_number", "arrival_date", "shipper_name", "shipper_address", "shipper_city", "shipper_country", "consignee_name",
    "consignee_address1", "consignee_address2", "consignee_city", "consignee_state", "consignee_zip", "consignee_country",
    "consignee_phone", "consignee_email", "description", "hts_code", "country_of_origin", "pieces", "weight_kg",
    "weight_original", "value_usd", "original", "consignee_key", "entry_type", "reasons", "pga", "day_total_usd",
    "conveyance_total_usd", "duty_estimate_usd", "mpf_estimate_usd", "decided_at", "status", "custody", "status_changed_at",
    "created_at",
)


def upload_create(*, forwarder: Organization, user, file, name: str, encoding: str = "", queue: bool = True) -> Upload:
    """Store an uploaded file and (unless queue=False) queue its ingest. The caller has checked the size limit."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    sha256 = digest.hexdigest()
    earlier = (Upload.objects.filter(forwarder=forwarder, sha256=sha256, state=Upload.State.DONE)
               .order_by("created_at").first())
    upload = Upload(forwarder=forwarder, uploaded_by=user, original_name=name[:255], size=size, sha256=sha256,
                    requested_encoding=encoding or "", duplicate_of=earlier)
    suffix = PurePath(name).suffix.lower()[:10]
    upload.file.save(f"{uuid.uuid4().hex}{suffix}", file, save=False)
    upload.save()
    progress_set("upload", upload.id, phase="queued")
    if queue:
        from shipments.tasks import manifest_ingest_task

        transaction.on_commit(lambda: manifest_ingest_task.delay(upload.id))
    return upload


def _read(upload: Upload) -> bytes:
    with upload.file.open("rb") as handle:
        return handle.read()


def manifest_ingest(*, upload_id: int, today: date | None = None) -> Evaluation | None:
    """Ingest one upload. Safe to run twice: a finished upload is left alone; an interrupted one starts over."""
    upload = Upload.objects.select_related("forwarder__default_broker", "uploaded_by").get(pk=upload_id)
    if upload.is_finished:
        return None
    Upload.objects.filter(pk=upload.pk).update(state=Upload.State.PROCESSING, started_at=timezone.now())

    def progress(phase, done, total=0):
        progress_set("upload", upload.pk, phase=phase, done=done, total=total)

    evaluation = manifest_evaluate(_read(upload), filename=upload.original_name, encoding=upload.requested_encoding or None,
                                   today=today, progress=progress, against_portal=False)
    if evaluation.problem is not None:
        _finish(upload, evaluation, Upload.State.FAILED)
        return evaluation
    try:
        with transaction.atomic():
            locked = Upload.objects.select_for_update().get(pk=upload.pk)
            if locked.is_finished:  # another worker finished it while this one was checking
                return None
            _take_ingest_lock()
            portal_checks_apply(evaluation, known_manifests=_known_manifests(upload.forwarder, evaluation))
            stored = _store(upload, evaluation, progress)
            decisions_refresh(keys=set(evaluation.decided["consignee_key"]),
                              days={d.date() for d in evaluation.decided["arrival_date"]}, skip_upload=upload.pk)
            _finish(upload, evaluation, Upload.State.DONE, stored=stored)
    except OperationalError:
        raise  # the database went away: the task retries from the start
    except Exception as exc:
        log.exception("ingest of upload %s failed", upload.pk)
        Upload.objects.filter(pk=upload.pk).update(state=Upload.State.CRASHED, failure=f"{exc.__class__.__name__}: {exc}"[:2000],
                                                   finished_at=timezone.now())
        progress("done", 0)
        raise
    progress("done", stored, stored)
    return evaluation


def _take_ingest_lock() -> None:
    """Serialise the part of ingests that reads the portal's totals and writes shipments (SQLite: the write lock does)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INGEST_LOCK])


def _known_manifests(forwarder: Organization, evaluation: Evaluation) -> dict[str, dict]:
    mawbs = set(evaluation.checked.norm["mawb"][evaluation.checked.norm["pair_ok"]])
    held = Manifest.objects.filter(forwarder=forwarder, mawb__in=mawbs)
    return {m.mawb: {"origin_airport": m.origin_airport, "destination_airport": m.destination_airport,
                     "flight_number": m.flight_number, "arrival_date": m.arrival_date} for m in held}


def _cfs_by_airport(airports) -> dict[str, Organization]:
    found = {}
    for org in Organization.objects.filter(kind=Organization.Kind.CFS, airport__in=airports).order_by("id"):
        found.setdefault(org.airport, org)
    return found


def _manifests_for(upload: Upload, decided) -> dict[str, Manifest]:
    """The MAWB of every valid row: the forwarder's existing one, or a new one."""
    forwarder = upload.forwarder
    firsts = decided.drop_duplicates("mawb")
    existing = {m.mawb: m for m in Manifest.objects.select_for_update().filter(forwarder=forwarder, mawb__in=list(firsts["mawb"]))}
    cfs = _cfs_by_airport(set(firsts["destination_airport"]))
    new = [
        Manifest(forwarder=forwarder, broker=forwarder.default_broker, cfs=cfs.get(row.destination_airport), mawb=row.mawb,
                 origin_airport=row.origin_airport, destination_airport=row.destination_airport,
                 flight_number=row.flight_number, arrival_date=row.arrival_date.date())
        for row in firsts.itertuples() if row.mawb not in existing
    ]
    for manifest in Manifest.objects.bulk_create(new):
        existing[manifest.mawb] = manifest
    if new and not all(m.pk for m in existing.values()):  # backends that do not return ids from bulk_create
        existing = {m.mawb: m for m in Manifest.objects.filter(forwarder=forwarder, mawb__in=list(firsts["mawb"]))}
    return existing


def _store(upload: Upload, evaluation: Evaluation, progress) -> int:
    """Shipments, their first events, the MAWBs and the failed rows, in bulk."""
    checked, decided, decisions = evaluation.checked, evaluation.decided, evaluation.decisions
    now = timezone.now()
    _store_row_errors(upload, evaluation)
    if decided.empty:
        return 0
    manifests = _manifests_for(upload, decided)
    values = checked.values.loc[decided.index]
    row_numbers = [checked.rows[i] for i in decided.index]
    ids = next_ids(Shipment, len(decided))
    n = len(decided)
    manifest_of = [manifests[m] for m in decided["mawb"]]
    custody = [m.custody if m.custody in (Custody.AWAITING_ARRIVAL, Custody.AT_TERMINAL) else Custody.AWAITING_ARRIVAL
               for m in manifest_of]
    columns = [
        ids, [m.pk for m in manifest_of], [upload.pk] * n, row_numbers, [upload.forwarder_id] * n,
        [m.broker_id for m in manifest_of], [m.cfs_id for m in manifest_of],
        decided["mawb"], decided["hawb"], decided["origin_airport"], decided["destination_airport"], decided["flight_number"],
        decided["arrival_date"].dt.date, values["shipper_name"], values["shipper_address"], values["shipper_city"],
        decided["shipper_country"], values["consignee_name"], values["consignee_address1"], values["consignee_address2"],
        values["consignee_city"], decided["consignee_state"], decided["consignee_zip"], decided["consignee_country"],
        values["consignee_phone"], values["consignee_email"], values["description"], decided["hts_code"],
        decided["country_of_origin"], decided["pieces"].astype(int), decided["weight_kg"].map("{:.3f}".format),
        decided["weight_original"], decided["value_usd"].map("{:.2f}".format),
        [list(checked.table.records[i]) for i in decided.index], decided["consignee_key"], decisions["entry_type"],
        decisions["reasons"], decisions["pga"], decided["day_total"].map("{:.2f}".format),
        decided["conveyance_total"].map("{:.2f}".format), decisions["duty_estimate"], decisions["mpf_estimate"],
        [now] * n, [CustomsStatus.RECEIVED.value] * n, custody, [now] * n, [now] * n,
    ]
    rows = list(zip(*[list(column) for column in columns], strict=True))
    total = len(rows)
    insert_rows(Shipment, SHIPMENT_COLUMNS, rows, progress=lambda done: progress("store", done // 2, total))
    event_rows = lifecycle.received_event_rows(shipment_ids=ids, rows=row_numbers, upload=upload, at=now)
    insert_rows(ShipmentEvent, lifecycle.EVENT_COLUMNS, event_rows, progress=lambda done: progress("store", total // 2 + done // 2, total))
    counts = decided.groupby("mawb").agg(pieces=("pieces", "sum"), shipments=("hawb", "size"))
    for mawb, count in counts.iterrows():
        Manifest.objects.filter(pk=manifests[mawb].pk).update(
            pieces_expected=F("pieces_expected") + int(count["pieces"]), shipments_count=F("shipments_count") + int(count["shipments"]),
        )
    return total


def _store_row_errors(upload: Upload, evaluation: Evaluation) -> None:
    checked = evaluation.checked
    invalid = np.flatnonzero(~checked.valid)
    norm = checked.norm
    UploadRowError.objects.bulk_create([
        UploadRowError(
            upload=upload, row=checked.rows[i], mawb=norm["mawb_report"].iat[i], hawb=norm["hawb_report"].iat[i],
            codes=" ".join(sorted({code for code, _ in checked.errors[i]})),
            errors=[{"code": code, "column": column} for code, column in checked.errors[i]],
            warnings=[{"code": code, "column": column} for code, column in checked.warnings[i]],
            cells=list(checked.table.records[i]),
        )
        for i in invalid
    ], batch_size=1000)


def _finish(upload: Upload, evaluation: Evaluation, state: str, stored: int = 0) -> None:
    summary = summary_part(evaluation)
    table = evaluation.table
    Upload.objects.filter(pk=upload.pk).update(
        state=state, finished_at=timezone.now(), file_report=file_part(evaluation), summary=summary,
        rows_total=summary["rows"], rows_valid=stored if state == Upload.State.DONE else 0, rows_invalid=summary["invalid"],
        encoding=(table.encoding or "") if table else (evaluation.problem.facts.get("encoding") or ""),
        delimiter=(table.delimiter or "") if table else "",
        header=list(table.header) if table else [],
    )
    if state != Upload.State.DONE:
        progress_set("upload", upload.pk, phase="done")
