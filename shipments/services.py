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
import json
import logging
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Organization
from calista.db import statistics_refresh
from calista.queueing import enqueue
from customs.services import decisions_refresh
from shipments import lifecycle
from shipments.bulk import insert_table, next_ids, repeat
from shipments.ingest.pipeline import Evaluation, file_part, manifest_evaluate, portal_checks_apply, summary_part
from shipments.models import Custody, CustomsStatus, Manifest, Shipment, ShipmentEvent, Upload, UploadRowError
from shipments.progress import progress_set

log = logging.getLogger(__name__)
INGEST_LOCK = 73_217_001  # PostgreSQL advisory lock id: one ingest stores at a time


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

        enqueue(manifest_ingest_task, upload.id)
    return upload


def _read(upload: Upload) -> bytes:
    with upload.file.open("rb") as handle:
        return handle.read()


class _Clock:
    """Seconds spent per phase, for `make bench` (a plain dict the caller passes in)."""

    def __init__(self, timings: dict | None):
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def manifest_ingest(*, upload_id: int, today: date | None = None, timings: dict | None = None) -> Evaluation | None:
    """Ingest one upload. Safe to run twice: a finished upload is left alone; an interrupted one starts over."""
    clock = _Clock(timings)
    upload = Upload.objects.select_related("forwarder__default_broker", "uploaded_by").get(pk=upload_id)
    if upload.is_finished:
        return None
    Upload.objects.filter(pk=upload.pk).update(state=Upload.State.PROCESSING, started_at=timezone.now())

    def progress(phase, done, total=0):
        progress_set("upload", upload.pk, phase=phase, done=done, total=total)

    evaluation = manifest_evaluate(_read(upload), filename=upload.original_name, encoding=upload.requested_encoding or None,
                                   today=today, progress=progress, against_portal=False)
    clock.lap("read_check")
    if evaluation.problem is not None:
        _finish(upload, evaluation, Upload.State.FAILED)
        return evaluation
    try:
        with transaction.atomic():
            locked = Upload.objects.select_for_update(no_key=True).get(pk=upload.pk)
            if locked.is_finished:  # another worker finished it while this one was checking
                return None
            _take_ingest_lock()
            portal_checks_apply(evaluation, forwarder=upload.forwarder)
            clock.lap("decide")
            stored = _store(upload, evaluation, progress, clock)
            touched = evaluation.decided[evaluation.decided["portal_held"]]
            decisions_refresh(keys=set(touched["consignee_key"]), days={d.date() for d in touched["arrival_date"]},
                              skip_upload=upload.pk)
            clock.lap("refresh")
            _finish(upload, evaluation, Upload.State.DONE, stored=stored)
        clock.lap("commit")
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


def _cfs_by_airport(airports) -> dict[str, Organization]:
    found = {}
    for org in Organization.objects.filter(kind=Organization.Kind.CFS, airport__in=airports).order_by("id"):
        found.setdefault(org.airport, org)
    return found


def _manifests_for(upload: Upload, decided) -> dict[str, Manifest]:
    """The MAWB of every valid row: the forwarder's existing one, or a new one."""
    forwarder = upload.forwarder
    firsts = decided.drop_duplicates("mawb")
    existing = {m.mawb: m for m in Manifest.objects.select_for_update(no_key=True)
                .filter(forwarder=forwarder, mawb__in=list(firsts["mawb"])).order_by("pk")}
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


def _store(upload: Upload, evaluation: Evaluation, progress, clock: _Clock) -> int:
    """Shipments, their first events, the MAWBs and the failed rows, in bulk."""
    decided = evaluation.decided
    _store_row_errors(upload, evaluation)
    if decided.empty:
        return 0
    manifests = _manifests_for(upload, decided)
    now = timezone.now()
    ids = next_ids(Shipment, len(decided))
    table = _shipments_table(upload, evaluation, manifests, ids, now)
    clock.lap("store_prepare")
    total = table.num_rows
    rows = table.column("row")
    events = insert_table(Shipment, table, progress=lambda done: progress("store", done * 3 // 4, total),
                          meanwhile=lambda: lifecycle.received_events(shipment_ids=ids, rows=rows, upload=upload, at=now))
    clock.lap("store_shipments")
    insert_table(ShipmentEvent, events, progress=lambda done: progress("store", total * 3 // 4 + done // 4, total))
    clock.lap("store_events")
    # The MAWBs are new or locked (_manifests_for), so their counts can be added to here and written in one statement.
    counts = decided.groupby("mawb").agg(pieces=("pieces", "sum"), shipments=("hawb", "size"))
    for mawb, pieces, shipments in zip(counts.index, counts["pieces"], counts["shipments"], strict=True):
        manifests[mawb].pieces_expected += int(pieces)
        manifests[mawb].shipments_count += int(shipments)
    Manifest.objects.bulk_update([manifests[m] for m in counts.index], ["pieces_expected", "shipments_count"], batch_size=500)
    return total


def text(series) -> pa.Array:
    """A pandas string column as an Arrow string array."""
    return pa.array(series, type=pa.string())


# The fields normalisation may change. Where it did, the text as written is kept in `original`.
# On a valid row each is made of letters, digits, spaces and . , - / $ only, so it is JSON text as it is.
ORIGINAL_FIELDS = ("mawb", "hawb", "origin_airport", "destination_airport", "flight_number", "arrival_date", "shipper_country",
                   "consignee_state", "consignee_zip", "consignee_country", "hts_code", "country_of_origin", "pieces", "value",
                   "currency")


def _originals(values, decided) -> pa.Array:
    """Per row, a JSON object of the fields whose text as written differs from the value stored."""
    stored = {
        **{name: text(decided[name]) for name in ORIGINAL_FIELDS if name not in ("arrival_date", "pieces", "value", "currency")},
        "arrival_date": pc.cast(pa.array(decided["arrival_date"]).cast(pa.date32()), pa.string()),
        "pieces": pc.cast(pa.array(decided["pieces"].astype("int64")), pa.string()),
        "value": pc.cast(pa.array(decided["value_usd"]), pa.string()),
        "currency": repeat("USD", len(decided)),
    }
    parts = []
    for name in ORIGINAL_FIELDS:
        written = text(values[name])
        differs = pc.fill_null(pc.not_equal(written, stored[name]), True)
        if name in ("consignee_country", "currency"):
            differs = pc.and_(differs, pc.not_equal(written, ""))  # a blank optional value took its default
        parts.append(pc.if_else(differs, pc.binary_join_element_wise(f',"{name}":"', written, '"', ""), ""))
    joined = pc.binary_join_element_wise(*parts, "")
    objects = pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "")
    if pc.any(pc.match_substring_regex(objects, r'[\\\x00-\x1f]')).as_py():  # never on valid rows; be safe anyway
        objects = pa.array([json.dumps({f: values[f].iat[i] for f in ORIGINAL_FIELDS}) for i in range(len(values))])
    return objects


def _json_texts(lists) -> pa.Array:
    """Lists (reasons, PGA flags) as JSON text; there are only a handful of distinct lists."""
    cache: dict[tuple, str] = {}
    return pa.array([cache.get(t) or cache.setdefault(t, json.dumps(list(t))) for t in map(tuple, lists)], type=pa.string())


def _shipments_table(upload: Upload, evaluation: Evaluation, manifests: dict[str, Manifest], ids: pa.Array, now) -> pa.Table:
    decided, decisions = evaluation.decided, evaluation.decisions
    values = evaluation.checked.values.loc[decided.index]
    n = len(decided)
    by_mawb = decided["mawb"]
    early = (Custody.AWAITING_ARRIVAL, Custody.AT_TERMINAL)

    codes, mawbs = pd.factorize(by_mawb)  # each row's MAWB as a position in `mawbs`

    def per_manifest(attribute):
        return pa.array([getattr(manifests[m], attribute) for m in mawbs], type=pa.int64()).take(pa.array(codes))

    def const(value, kind=None):
        return repeat(value, n, kind)

    def money(column, places=2):
        return pa.array(np.round(np.asarray(column, dtype="float64"), places), from_pandas=True)

    stamp = pa.timestamp("us", tz="UTC")
    columns = {
        "id": ids,
        "manifest_id": per_manifest("pk"),
        "upload_id": const(upload.pk, pa.int64()),
        "row": pa.array([evaluation.checked.rows[i] for i in decided.index], type=pa.int64()),
        "forwarder_id": const(upload.forwarder_id, pa.int64()),
        "broker_id": per_manifest("broker_id"),
        "cfs_id": per_manifest("cfs_id"),
        "mawb": text(decided["mawb"]), "hawb": text(decided["hawb"]),
        "origin_airport": text(decided["origin_airport"]), "destination_airport": text(decided["destination_airport"]),
        "flight_number": text(decided["flight_number"]),
        "arrival_date": pa.array(decided["arrival_date"]).cast(pa.date32()),
        "shipper_name": text(values["shipper_name"]), "shipper_address": text(values["shipper_address"]),
        "shipper_city": text(values["shipper_city"]), "shipper_country": text(decided["shipper_country"]),
        "consignee_name": text(values["consignee_name"]), "consignee_address1": text(values["consignee_address1"]),
        "consignee_address2": text(values["consignee_address2"]), "consignee_city": text(values["consignee_city"]),
        "consignee_state": text(decided["consignee_state"]), "consignee_zip": text(decided["consignee_zip"]),
        "consignee_country": text(decided["consignee_country"]), "consignee_phone": text(values["consignee_phone"]),
        "consignee_email": text(values["consignee_email"]), "description": text(values["description"]),
        "hts_code": text(decided["hts_code"]), "country_of_origin": text(decided["country_of_origin"]),
        "pieces": pa.array(decided["pieces"].astype("int64")),
        "weight_kg": money(decided["weight_kg"], 3),
        "weight_original": text(decided["weight_original"]),
        "value_usd": text(decided["value_exact"]),
        "original": _originals(values, decided),
        "consignee_key": pa.array(decided["consignee_key"], type=pa.string()),
        "entry_type": pa.array(decisions["entry_type"], type=pa.string()),
        "reasons": _json_texts(decisions["reasons"]),
        "pga": _json_texts(decisions["pga"]),
        "day_total_usd": money(decided["day_total"]),
        "conveyance_total_usd": money(decided["conveyance_total"]),
        "duty_estimate_usd": money(decisions["duty_estimate"]),
        "mpf_estimate_usd": money(decisions["mpf_estimate"]),
        "decided_at": const(now, stamp),
        "status": const(CustomsStatus.RECEIVED.value),
        "custody": pa.array([manifests[m].custody if manifests[m].custody in early else Custody.AWAITING_ARRIVAL.value
                             for m in mawbs], type=pa.string()).take(pa.array(codes)),
        "status_changed_at": const(now, stamp),
        # Rows joining a MAWB already at the terminal arrived with it: its day starts their general-order clock too.
        "arrived_on": pa.array([manifests[m].arrived_on if manifests[m].custody == Custody.AT_TERMINAL else None for m in mawbs],
                               type=pa.date32()).take(pa.array(codes)),
        "open_holds": const(0, pa.int64()),
        "created_at": const(now, stamp),
    }
    return pa.table(columns)


def _store_row_errors(upload: Upload, evaluation: Evaluation) -> None:
    """The failed rows with their cells as written, for the result page and the error file."""
    checked = evaluation.checked
    invalid = np.flatnonzero(~checked.valid)
    if not len(invalid):
        return
    mawbs, hawbs = checked.norm["mawb_report"].tolist(), checked.norm["hawb_report"].tolist()

    def pairs(items):
        return json.dumps([{"code": code, "column": column} for code, column in items])

    insert_table(UploadRowError, pa.table({
        "upload_id": repeat(upload.pk, len(invalid), pa.int64()),
        "row": pa.array([checked.rows[i] for i in invalid], type=pa.int64()),
        "mawb": pa.array([mawbs[i] for i in invalid], type=pa.string()),
        "hawb": pa.array([hawbs[i] for i in invalid], type=pa.string()),
        "codes": pa.array([" ".join(sorted({code for code, _ in checked.errors[i]})) for i in invalid], type=pa.string()),
        "errors": pa.array([pairs(checked.errors[i]) for i in invalid], type=pa.string()),
        "warnings": pa.array([pairs(checked.warnings[i]) for i in invalid], type=pa.string()),
        "cells": pa.array([json.dumps(checked.table.records[i], ensure_ascii=False) for i in invalid], type=pa.string()),
    }))


def _finish(upload: Upload, evaluation: Evaluation, state: str, stored: int = 0) -> None:
    summary = summary_part(evaluation)
    table = evaluation.table
    Upload.objects.filter(pk=upload.pk).update(
        state=state, finished_at=timezone.now(), file_report=file_part(evaluation), summary=summary,
        rows_total=summary["rows"], rows_valid=stored if state == Upload.State.DONE else 0, rows_invalid=summary["invalid"],
        encoding=(table.encoding or "") if table else (evaluation.problem.facts.get("encoding") or ""),
        delimiter=(table.delimiter or "") if table else "",
        header=list(table.header) if table else list(evaluation.problem.facts.get("header", [])),
    )
    if state != Upload.State.DONE:
        progress_set("upload", upload.pk, phase="done")


def uploads_recover(*, older_than: timedelta | None = None) -> list[int]:
    """Queue again the uploads a worker took and never finished (it died), or whose message was lost.

    Safe even if the first worker is merely slow: the store step locks the upload and leaves a
    finished one alone, so a file is never stored twice.
    """
    from shipments.tasks import manifest_ingest_task

    age = older_than if older_than is not None else timedelta(seconds=settings.UPLOAD_STALE_SECONDS)
    cutoff = timezone.now() - age
    stuck = list(Upload.objects.filter(state__in=[Upload.State.QUEUED, Upload.State.PROCESSING], created_at__lte=cutoff)
                 .filter(Q(started_at__isnull=True) | Q(started_at__lte=cutoff)).values_list("id", flat=True)[:100])
    for upload_id in stuck:
        manifest_ingest_task.delay(upload_id)
    return stuck


def statistics_after_ingest(evaluation: Evaluation) -> None:
    """Tell PostgreSQL the shipment and event tables grew (calista.db.statistics_refresh). Best effort: the upload
    is done and committed; fresher planner statistics are a bonus, never a failure."""
    if evaluation.decisions is None:
        return
    stored = len(evaluation.decisions)
    try:
        statistics_refresh({Shipment._meta.db_table: stored, ShipmentEvent._meta.db_table: stored})
    except Exception:
        log.warning("statistics refresh after an upload failed", exc_info=True)


def shipments_count_by_state(shipments) -> tuple[Counter, Counter]:
    """Shipments per customs status and per custody, from one grouped pass over the given shipments."""
    by_status, by_custody = Counter(), Counter()
    for status, custody, n in shipments.order_by().values_list("status", "custody").annotate(n=Count("pk")):
        by_status[status] += n
        by_custody[custody] += n
    return by_status, by_custody
