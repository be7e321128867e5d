"""Read a manifest file into a header and data records (manifest-csv.md §1 and §3).

The extension decides: `.xlsx` is read as a workbook, anything else as delimited text
(encoding and delimiter detected). File-level problems raise `FileProblem` with the
spec's code; nothing here looks at the values of the rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from shipments.ingest.codes import message_for
from shipments.ingest.columns import REQUIRED, canonical_for

csv.field_size_limit(2**31 - 1)

BINARY_SIGNATURES = (
    b"%PDF",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2: legacy .xls, .doc, encrypted .xlsx
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"\x1f\x8b",
)
DELIMITERS = (",", ";", "\t")  # in the order that breaks ties
LEGACY_XLS = _("Legacy .xls workbooks cannot be read: save the file as .xlsx or .csv and upload it again.")


class FileProblem(Exception):
    """A file-level error: nothing from the file is stored."""

    def __init__(self, errors: list[dict], warnings: list[dict] | None = None, **facts):
        super().__init__(", ".join(e["code"] for e in errors))
        self.errors = errors
        self.warnings = warnings or []
        self.facts = facts  # what was learnt before the problem: encoding, delimiter, records, columns


def problem(code: str, columns: list[str] | None = None, message: str | None = None, **params) -> dict:
    if columns is not None:
        params.setdefault("columns", ", ".join(columns))
    entry = {"code": code, "message": message or message_for(code, **params)}
    if columns is not None:
        entry["columns"] = columns
    return entry


@dataclass
class Table:
    """The records of a file: its header, and every non-blank data record with its spreadsheet row number."""

    encoding: str | None
    delimiter: str | None
    header: list[str]
    header_row: int
    records: list[list[str]]
    row_numbers: list[int]
    columns: dict[str, int] = field(default_factory=dict)  # canonical name -> header position
    warnings: list[dict] = field(default_factory=list)

    @property
    def column_headers(self) -> dict[str, str]:
        return {name: self.header[index].strip() for name, index in self.columns.items()}


Progress = Callable[..., None]  # (done, about how many in all: 0 when unknown)


def human_bytes(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def read_table(data: bytes, *, filename: str, encoding: str | None = None, max_bytes: int,
               max_records: int, progress: Progress | None = None) -> Table:
    """Read and check the file as a whole; raise FileProblem for any file-level error."""
    if len(data) > max_bytes:
        raise FileProblem([problem("F_TOO_LARGE", limit=human_bytes(max_bytes))])
    lower = filename.lower()
    if lower.endswith(".xls"):
        raise FileProblem([problem("F_NOT_TABULAR", message=str(LEGACY_XLS))])
    if lower.endswith(".xlsx"):
        records, numbers = _xlsx_records(data, max_records, progress)
        return _table(records, numbers, encoding=None, delimiter=None, max_records=max_records)
    text, detected = _decode(data, encoding)
    delimiter = detect_delimiter(text)
    records, numbers = _csv_records(text, delimiter, max_records, progress)
    return _table(records, numbers, encoding=detected, delimiter=delimiter, max_records=max_records)


def text_codec(name: str) -> str | None:
    """Python's name for a text encoding, or None for an unknown name or a codec that is not a text
    encoding (base64, rot13, zlib...)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode(data: bytes, chosen: str | None) -> tuple[str, str]:
    """Decode the bytes: the user's encoding if chosen, else BOM, strict UTF-8, strict GB18030."""
    if data.startswith(BINARY_SIGNATURES):
        raise FileProblem([problem("F_NOT_TABULAR")])
    has_utf16_bom = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in data and not has_utf16_bom:
        raise FileProblem([problem("F_NOT_TABULAR")])
    if chosen:
        codec = text_codec(chosen)
        if codec is None:
            raise FileProblem([problem("F_ENCODING")])
        try:
            text = data.decode(codec)
        except (UnicodeError, ValueError, TypeError, LookupError):
            raise FileProblem([problem("F_ENCODING")], encoding=codec)
        return text.removeprefix("\ufeff"), codec
    if data.startswith(codecs.BOM_UTF8):
        attempts = ["utf-8-sig"]
    elif has_utf16_bom:
        attempts = ["utf-16"]
    else:
        attempts = ["utf-8", "gb18030"]
    for name in attempts:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise FileProblem([problem("F_ENCODING")])


_LINES = re.compile(r"[^\r\n]*")


def detect_delimiter(text: str) -> str:
    """The most frequent of , ; TAB outside quotes in the first line with anything else on it."""
    for match in _LINES.finditer(text):
        line = match.group()
        if all(ch.isspace() or ch in ",;" for ch in line):
            continue
        counts = dict.fromkeys(DELIMITERS, 0)
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in counts:
                counts[ch] += 1
        best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals: the tie order
        return best if counts[best] else ","
    return ","


def _csv_records(text: str, delimiter: str, max_records: int, progress: Progress | None):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines = text.count("\n") or text.count("\r")  # about the number of records: the progress bar's scale while reading
    return _collect(enumerate(reader, start=1), max_records, progress, expected=lines)


# The error file (shipments/errorfile.py) puts an apostrophe before a cell that starts like a formula.
# When the fixed rows come back, the apostrophe is the portal's own and is taken off again: a phone
# number "+1 310 555 0100" stays that, not "'+1 310 555 0100".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula (shipments/errorfile.py)
ESCAPED_FORMULA = re.compile("'[" + re.escape("".join(FORMULA_STARTS)) + "]")


def formula_unescape(cells: list[str]) -> list[str]:
    return [cell[1:] if ESCAPED_FORMULA.match(cell) else cell for cell in cells]


def _collect(numbered_rows, max_records: int, progress: Progress | None, expected: int = 0):
    """Keep non-blank records with their row numbers; stop once over the record limit.

    expected: about how many records there are (0: unknown), for the progress bar only."""
    records: list[list[str]] = []
    numbers: list[int] = []
    limit = max_records + 1  # the header plus the data records
    for number, cells in numbered_rows:
        joined = "".join(cells)
        if not joined.strip():  # blank: every cell empty after trimming
            continue
        if "'" in joined and any(cell[:1] == "'" for cell in cells):  # most apostrophes are in names: O'Brien
            cells = formula_unescape(cells)
        records.append(cells)
        numbers.append(number)
        if len(records) > limit:
            raise FileProblem([problem("F_TOO_LARGE", limit=f"{max_records:,} rows")])
        if progress and len(records) % 5000 == 0:
            progress(len(records) - 1, max(expected - 1, len(records) - 1) if expected else 0)
    return records, numbers


def _cell_text(value) -> str:
    """A workbook cell as the text a user sees: integers without .0, floats shortest, dates as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")  # the shortest text that round-trips, never in exponent form
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _xlsx_records(data: bytes, max_records: int, progress: Progress | None):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, EOFError):
        raise FileProblem([problem("F_NOT_TABULAR")])
    except Exception:  # openpyxl raises assorted errors on damaged workbooks; each means "not readable"
        raise FileProblem([problem("F_NOT_TABULAR")])
    try:
        if not workbook.worksheets:
            raise FileProblem([problem("F_EMPTY")])
        sheet = workbook.worksheets[0]
        # The size a workbook declares for its sheet (<dimension>) is not to be trusted: tools other than Excel write a
        # stale one (rows beyond it were lost) and a stray formatted cell in column XFD makes Excel's 16,384 columns wide
        # (every row was padded to it: minutes and gigabytes). Read the cells that are there instead.
        declared = sheet.max_row or 0  # the declared size: not trusted for reading, good enough for the progress bar
        sheet.reset_dimensions()

        def numbered(rows):
            for cells in rows:
                number = next((c.row for c in cells if getattr(c, "row", None)), None)
                if number is None:  # a row of empty cells: nothing to keep
                    continue
                values = [c.value for c in cells]
                end = len(values)
                while end and values[end - 1] is None:  # formatted but empty cells at the end of the row
                    end -= 1
                yield number, [_cell_text(value) for value in values[:end]]

        try:
            return _collect(numbered(sheet.iter_rows()), max_records, progress, expected=declared)
        except FileProblem:
            raise
        except Exception:
            raise FileProblem([problem("F_NOT_TABULAR")])
    finally:
        workbook.close()


def _table(records, numbers, *, encoding, delimiter, max_records) -> Table:
    facts = {"encoding": encoding, "delimiter": delimiter}
    if not records:
        raise FileProblem([problem("F_EMPTY")], records=0, **facts)
    header, header_row = records[0], numbers[0]
    data, data_numbers = records[1:], numbers[1:]
    facts["records"] = len(data)
    facts["header"] = header  # not in the report: the result page shows it when the header is not what it seems
    if len(data) > max_records:
        raise FileProblem([problem("F_TOO_LARGE", limit=f"{max_records:,} rows")], **facts)

    columns: dict[str, int] = {}
    seen: dict[str, list[str]] = {}
    warnings = []
    for index, cell in enumerate(header):
        written = cell.strip()
        if not written:
            continue
        name = canonical_for(written)
        if name is None:
            warnings.append({"code": "W_UNKNOWN_COLUMN", "column": written})
            continue
        seen.setdefault(name, []).append(written)
        columns.setdefault(name, index)
    facts["columns"] = {name: header[index].strip() for name, index in columns.items()}

    errors = []
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        errors.append(problem("F_MISSING_COLUMNS", columns=missing))
    duplicated = [name for name, written in seen.items() if len(written) > 1]
    if duplicated:
        headers = "; ".join(" / ".join(seen[name]) for name in duplicated)
        entry = problem("F_DUPLICATE_COLUMNS", headers=headers)
        entry["columns"] = duplicated
        errors.append(entry)
    if not data:
        errors.append(problem("F_EMPTY"))
    if errors:
        raise FileProblem(errors, warnings, **facts)
    return Table(encoding=encoding, delimiter=delimiter, header=header, header_row=header_row,
                 records=data, row_numbers=data_numbers, columns=columns, warnings=warnings)
