"""Any filtered list as CSV or Excel, streamed: rows are read from the database in chunks and written as they come,
so a list of a million shipments never sits in memory, and the download starts at once.

Every text cell is formula-safe (shipments.errorfile.formula_safe: a cell starting with = + - @ TAB or CR gets a
leading apostrophe). CSV is UTF-8 with a BOM (Excel then reads Chinese names right). The Excel file is written
by hand as the few XML parts of a workbook, zipped on the fly: strings are inline strings, never formulas.

Other lists use it too: shipments' own list answers `?export=csv` or `?export=xlsx` through `shipments_export`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shipments.errorfile import formula_safe
from shipments.models import Custody, CustomsStatus, EntryType

FORMATS = ("csv", "xlsx")
CHUNK = 2_000  # rows read from the database, and written, at a time
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Shipments ----------------------------------------------------------------------------------------------

def _shipment_columns() -> list[tuple[str, str]]:
    """(database field, header in the reader's language), in the order of the file."""
    return [
        ("hawb", _("HAWB")), ("mawb", _("MAWB")), ("forwarder__name", _("Forwarder")), ("origin_airport", _("Origin")),
        ("destination_airport", _("Destination")), ("flight_number", _("Flight")), ("arrival_date", _("Arrival date")),
        ("arrived_on", _("Landed on")),
        ("consignee_name", _("Consignee")), ("consignee_city", _("City")), ("consignee_state", pgettext("US state", "State")),
        ("consignee_zip", _("ZIP code")), ("consignee_phone", _("Phone")), ("consignee_email", _("E-mail")),
        ("description", _("Description")), ("hts_code", _("HTS code")), ("country_of_origin", _("Country of origin")),
        ("pieces", _("Pieces")), ("weight_kg", _("Weight (kg)")), ("value_usd", _("Value (USD)")), ("entry_type", _("Entry type")),
        ("status", _("Customs status")), ("custody", _("Custody")),
        ("status_changed_at", _("Status changed (%(zone)s)") % {"zone": timezone.get_current_timezone_name()}),
    ]


def shipments_export(*, shipments: QuerySet, file_format: str, filename: str = "shipments") -> StreamingHttpResponse:
    """A list of shipments (already filtered and scoped by the caller) as a streamed CSV or Excel file."""
    columns = _shipment_columns()
    # Labels are read now, in the request's language: the rows are written later, while the response streams.
    labels = {"status": {k: str(v) for k, v in CustomsStatus.choices}, "custody": {k: str(v) for k, v in Custody.choices},
              "entry_type": {k: str(v) for k, v in EntryType.choices}}
    names = [name for name, _header in columns]

    def rows():
        for values in shipments.values_list(*names).iterator(chunk_size=CHUNK):
            yield [labels[name].get(value, value) if name in labels else value for name, value in zip(names, values, strict=True)]

    return rows_export(header=[str(header) for _name, header in columns], rows=rows(), file_format=file_format, filename=filename)


# --- Any rows -----------------------------------------------------------------------------------------------

def rows_export(*, header: list[str], rows: Iterable[list], file_format: str, filename: str) -> StreamingHttpResponse:
    """Stream a header and rows as CSV or Excel (`file_format` "csv" or "xlsx").

    Times are written in the zone the user reads the portal in, fixed now: the rows are written after the request's own
    zone is gone (accounts.middleware.TimeZoneMiddleware), and a header naming a time column says which zone that is."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown export format {file_format!r}")
    zone = timezone.get_current_timezone()
    stamp = timezone.localtime(timezone=zone).strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        response = StreamingHttpResponse(csv_chunks(header, rows, zone=zone), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(xlsx_chunks(header, rows, zone=zone), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{file_format}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _text(value, zone=None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _batches(rows: Iterable[list], size: int = CHUNK) -> Iterator[list[list]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def csv_chunks(header: list[str], rows: Iterable[list], *, zone=None) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([formula_safe(cell) for cell in header])
    yield buffer.getvalue().encode("utf-8-sig")
    for batch in _batches(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([[formula_safe(_text(cell, zone)) for cell in row] for row in batch])
        yield buffer.getvalue().encode("utf-8")


# --- Excel, written as it streams -----------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


class _Sink:
    """A write-only file whose contents are handed out as they are written (zipfile writes to it as it goes)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _cell(value, bold: bool = False, zone=None) -> str:
    if isinstance(value, bool):
        value = _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"<c><v>{value}</v></c>"
    text = escape(_NOT_XML.sub("", formula_safe(_text(value, zone))))
    style = ' s="1"' if bold else ""
    return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_chunks(header: list[str], rows: Iterable[list], *, zone=None) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, text in _PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((_SHEET_START + "<row>" + "".join(_cell(h, bold=True) for h in header) + "</row>").encode())
            yield sink.take()
            for batch in _batches(rows):
                sheet.write("".join("<row>" + "".join(_cell(v, zone=zone) for v in row) + "</row>" for row in batch).encode())
                yield sink.take()
            sheet.write(_SHEET_END.encode())
    yield sink.take()
