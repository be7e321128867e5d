"""The error file: the rows of an upload that failed, as written, with an `errors` column, in the file's own format.

Written in the upload's encoding and delimiter (or as .xlsx), so the forwarder can fix
the rows in the tool they came from and upload them again. Every cell is made safe
from formula injection.
"""

from __future__ import annotations

import csv
import io

from shipments.ingest.codes import message_for
from shipments.ingest.reader import FORMULA_STARTS
from shipments.models import Upload


def formula_safe(value) -> str:
    """Text a spreadsheet will not run: a cell starting with = + - @ TAB or CR gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def describe_errors(errors: list[dict], headers: dict[str, str] | None = None) -> str:
    """The errors of one row in plain words, in the active language, each naming its column as the file's header does."""
    headers = headers or {}
    return " | ".join(f"{e['code']} {headers.get(e.get('column', ''), e.get('column', ''))}: {message_for(e['code'])}"
                      for e in errors)


def error_rows(upload: Upload) -> tuple[list[str], list[list[str]]]:
    header = list(upload.header) + ["errors"]
    width = len(upload.header)
    headers = upload.file_report.get("columns", {})  # canonical name -> the header as the file writes it (邮编, zip...)
    rows = []
    for failed in upload.row_errors.order_by("row"):
        cells = list(failed.cells)[:width] + [""] * max(0, width - len(failed.cells))
        rows.append(cells + [describe_errors(failed.errors, headers)])
    return header, rows


def error_file(upload: Upload) -> tuple[bytes, str, str]:
    """(content, file name, content type) of the upload's error file."""
    header, rows = error_rows(upload)
    stem = upload.original_name.rsplit(".", 1)[0] or "manifest"
    if upload.is_xlsx:
        return _xlsx(header, rows), f"{stem}-errors.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=upload.delimiter or ",", lineterminator="\r\n")
    writer.writerow([formula_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([formula_safe(cell) for cell in row])
    encoding = upload.encoding or "utf-8"
    try:
        content = buffer.getvalue().encode(encoding)
    except (UnicodeEncodeError, LookupError):
        content = buffer.getvalue().encode("utf-8-sig")  # the messages do not fit the original encoding
        encoding = "utf-8"
    return content, f"{stem}-errors.csv", f"text/csv; charset={encoding}"


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("errors")
    for values in [header, *rows]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=formula_safe(value))
            cell.data_type = "s"  # never a formula
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
