"""Manifests sent through the API: rows given as JSON, idempotent uploads, and the report of a stored upload.

Every upload goes through shipments.services.upload_create, exactly as the browser's: JSON rows
are first written as a CSV file with the canonical headers, so the same rows give the same
report whichever way they came.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from api.models import IdempotencyKey
from shipments.ingest.checks import zip_normalised
from shipments.ingest.codes import message_for
from shipments.ingest.columns import COLUMNS
from shipments.models import Upload
from shipments.services import upload_create

COLUMN_NAMES = tuple(column.name for column in COLUMNS)
KEY_LIMIT = 255  # characters of an Idempotency-Key
CELL_LIMIT = 1000  # characters of one JSON cell: no column of the spec needs more


def _setting(name: str, default):
    return getattr(settings, name, default)


class UploadProblem(Exception):
    """A request the API refuses before anything is stored: HTTP status, error code, field and message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.errors = errors or [{"code": code, "field": field, "message": message}]


# --- JSON rows -----------------------------------------------------------------------------------


def rows_parse(rows) -> list[dict[str, str]]:
    """The rows of a JSON upload as text cells; every problem becomes a field-level error (`rows[3].pieces`).

    A row is an object whose keys are canonical column names (manifest-csv.md §2) and whose values
    are text, numbers or null (an empty cell). Anything else is refused, nothing is stored.
    """
    errors: list[dict] = []
    limit = _setting("MANIFEST_MAX_RECORDS", 200_000)
    if not isinstance(rows, list):
        raise UploadProblem(400, "invalid", _("Send the rows as a list of objects."), "rows")
    if not rows:
        raise UploadProblem(400, "F_EMPTY", message_for("F_EMPTY"), "rows")
    if len(rows) > limit:
        raise UploadProblem(413, "F_TOO_LARGE", message_for("F_TOO_LARGE", limit=_("%(n)s rows") % {"n": f"{limit:,}"}), "rows")
    known = set(COLUMN_NAMES)
    parsed = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append({"code": "invalid", "field": f"rows[{index}]", "message": _("Each row must be an object of columns.")})
            continue
        cells = {}
        for name, value in row.items():
            where = f"rows[{index}].{name}"
            if name not in known:
                errors.append({"code": "unknown_field", "field": where,
                               "message": _("Unknown column; use the canonical names of the manifest format.")})
            elif value is None:
                cells[name] = ""
            elif isinstance(value, bool) or not isinstance(value, str | int | float):
                errors.append({"code": "invalid", "field": where, "message": _("A cell must be text, a number or null.")})
            elif len(text := str(value)) > CELL_LIMIT:
                errors.append({"code": "max_length", "field": where,
                               "message": _("At most %(limit)s characters.") % {"limit": CELL_LIMIT}})
            else:
                cells[name] = text
        parsed.append(cells)
        if len(errors) >= 100:  # enough to fix the client; the rest would say the same
            break
    if errors:
        raise UploadProblem(400, errors[0]["code"], errors[0]["message"], errors[0]["field"], errors=errors)
    return parsed


def rows_csv(rows: list[dict[str, str]]) -> bytes:
    """The rows as a UTF-8 CSV file: a header of the columns used (canonical names, in the spec's order), one line a row."""
    used = {name for row in rows for name in row}
    columns = [name for name in COLUMN_NAMES if name in used]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return out.getvalue().encode("utf-8")


def rows_file_name(name: str) -> str:
    """The name a JSON upload is stored under: the client's, ending in .csv (the file is CSV)."""
    name = " ".join((name or "").split())[:200] or "api-rows"
    return name if name.lower().endswith(".csv") else f"{name}.csv"


# --- Uploads, idempotent -----------------------------------------------------------------------------


@dataclass
class Uploaded:
    upload: Upload
    replayed: bool  # True: a retry; this is the upload the first request made


def _fingerprint(file, name: str, encoding: str) -> str:
    content = hashlib.sha256()
    for chunk in file.chunks():
        content.update(chunk)
    file.seek(0)
    return hashlib.sha256(f"{content.hexdigest()}\n{name}\n{encoding}".encode()).hexdigest()


def idempotency_key_check(value: str | None) -> str:
    """The Idempotency-Key header as sent, or a field-level error; empty when none was sent."""
    value = (value or "").strip()
    if value and (len(value) > KEY_LIMIT or not value.isascii() or not value.isprintable()):
        raise UploadProblem(400, "invalid", _("An Idempotency-Key is 1 to %(limit)s printable ASCII characters.") % {"limit": KEY_LIMIT},
                            "Idempotency-Key")
    return value


def _claim(*, organization: Organization, key: str, fingerprint: str) -> tuple[IdempotencyKey, Upload | None]:
    """Claim the key for this request (committed at once, so a concurrent retry sees it), or find what it made."""
    now = timezone.now()
    expired = now - timedelta(hours=_setting("API_IDEMPOTENCY_HOURS", 24))
    takeover = now - timedelta(seconds=_setting("API_IDEMPOTENCY_CLAIM_SECONDS", 300))
    with transaction.atomic():
        IdempotencyKey.objects.filter(organization=organization, key=key, created_at__lt=expired).delete()
        record, created = IdempotencyKey.objects.get_or_create(organization=organization, key=key,
                                                               defaults={"fingerprint": fingerprint, "created_at": now})
    if created:
        return record, None
    if record.fingerprint != fingerprint:
        raise UploadProblem(422, "idempotency_key_reused",
                            _("This Idempotency-Key was used for another request; use a new key for a new file."), "Idempotency-Key")
    if record.upload_id:
        return record, Upload.objects.get(pk=record.upload_id)
    # Claimed by a request still storing the file, or by one that died doing so (then it may be taken over).
    if not IdempotencyKey.objects.filter(pk=record.pk, upload__isnull=True, created_at__lt=takeover).update(created_at=now):
        raise UploadProblem(409, "idempotency_key_in_use",
                            _("A request with this Idempotency-Key is still being processed; retry in a moment."), "Idempotency-Key")
    return record, None


def manifest_upload(*, organization: Organization, file, name: str, encoding: str = "", idempotency_key: str = "") -> Uploaded:
    """Store a manifest file and queue its ingest, at most once per Idempotency-Key (when one is given)."""
    if not idempotency_key:
        return Uploaded(upload_create(forwarder=organization, user=None, file=file, name=name, encoding=encoding), replayed=False)
    record, earlier = _claim(organization=organization, key=idempotency_key, fingerprint=_fingerprint(file, name, encoding))
    if earlier is not None:
        return Uploaded(earlier, replayed=True)
    try:
        # The upload row and the key's link to it commit together: a crash in between leaves neither, and the
        # retry stores the file once. No row is locked while the file is written.
        with transaction.atomic():
            upload = upload_create(forwarder=organization, user=None, file=file, name=name, encoding=encoding)
            IdempotencyKey.objects.filter(pk=record.pk).update(upload=upload)
    except Exception:
        IdempotencyKey.objects.filter(pk=record.pk, upload__isnull=True).delete()  # let a retry try again
        raise
    return Uploaded(Upload.objects.get(pk=upload.pk), replayed=False)


def manifest_upload_rows(*, organization: Organization, rows, name: str = "", idempotency_key: str = "") -> Uploaded:
    """Upload JSON rows: checked for shape, written as CSV, then stored like any file."""
    content = rows_csv(rows_parse(rows))
    return manifest_upload(organization=organization, file=ContentFile(content, name="rows.csv"), name=rows_file_name(name),
                           idempotency_key=idempotency_key)


def idempotency_keys_expire() -> int:
    """Forget keys older than API_IDEMPOTENCY_HOURS (beat runs this with the webhook dispatcher)."""
    cutoff = timezone.now() - timedelta(hours=_setting("API_IDEMPOTENCY_HOURS", 24))
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- The report of a stored upload -----------------------------------------------------------------------

REPORT_ROWS = ("all", "invalid", "none")


def _padded_zip_rows(stored: list[dict]) -> set[int]:
    """Rows whose ZIP was padded with zeros (W_ZIP_PADDED): found again from the ZIP as written, with the check's own rule."""
    written = [(row["row"], row["original"]["consignee_zip"]) for row in stored
               if isinstance(row["original"], dict) and isinstance(row["original"].get("consignee_zip"), str)]
    if not written:
        return set()
    _zips, padded = zip_normalised(pd.Series([text for _row, text in written], dtype=object))
    return {row for (row, _text), flag in zip(written, padded, strict=True) if flag}


def upload_report(upload: Upload, *, rows: str = "all") -> dict:
    """The §8 document of a finished upload, rebuilt from what the ingest stored.

    The failed rows come from UploadRowError, the valid ones from the upload's shipments (with
    their current entry decision, which a later upload or a correction may have changed since).
    rows="invalid" lists only the failed rows, rows="none" none (file and summary only).
    """
    report = {"file": dict(upload.file_report), "summary": dict(upload.summary), "rows": []}
    if upload.file_report.get("errors") or rows == "none":
        return report
    listed = []
    for failed in upload.row_errors.order_by("row").values("row", "mawb", "hawb", "errors", "warnings"):
        listed.append({
            "row": failed["row"], "mawb": failed["mawb"], "hawb": failed["hawb"], "valid": False,
            "errors": [{"code": e["code"], "column": e["column"], "message": message_for(e["code"])} for e in failed["errors"]],
            "warnings": list(failed["warnings"]), "entry_type": None, "reasons": [], "pga": [],
        })
    if rows == "all":
        stored = list(upload.shipments.order_by("row").values("row", "mawb", "hawb", "entry_type", "reasons", "pga", "original"))
        padded = _padded_zip_rows(stored)
        for shipment in stored:
            listed.append({
                "row": shipment["row"], "mawb": shipment["mawb"], "hawb": shipment["hawb"], "valid": True, "errors": [],
                "warnings": [{"code": "W_ZIP_PADDED", "column": "consignee_zip"}] if shipment["row"] in padded else [],
                "entry_type": shipment["entry_type"], "reasons": list(shipment["reasons"]), "pga": list(shipment["pga"]),
            })
        listed.sort(key=lambda entry: entry["row"])
    report["rows"] = listed
    return report
