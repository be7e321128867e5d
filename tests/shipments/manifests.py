"""Builders for small manifest files (manifest-csv.md): a clean base row, and rows that override single cells.

`manifest_text()` writes a header with every column of §2 and one base row; `manifest_text([{"pieces": "0"}, {}])`
writes two rows, the first with one cell changed. Rows that do not set `hawb` are numbered HK0001, HK0002, ...
so that several base rows are never duplicates of each other.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from shipments.ingest.checks import CheckedFile, check_table
from shipments.ingest.reader import FileProblem, Table, read_table

TODAY = date(2026, 11, 27)
SERVED = ("LAX", "SFO", "JFK", "ATL")
VAGUE = (
    "gift", "gifts", "sample", "samples", "parts", "spare parts", "accessories", "daily necessities", "daily necessity",
    "daily use", "consolidated", "consolidation", "general merchandise", "merchandise", "goods", "item", "items", "product",
    "products", "stuff", "misc", "miscellaneous", "various", "personal effects", "apparel", "clothing", "electronics",
)
MAX_BYTES = 50 * 1024 * 1024
MAX_RECORDS = 200_000

# The alias table of §2, as the spec writes it.
SPEC_ALIASES = {
    "mawb": ("mawb", "mawb_no", "mawb_number", "master_awb", "master_air_waybill", "主单号", "总运单号"),
    "hawb": ("hawb", "hawb_no", "hawb_number", "house_awb", "house_air_waybill", "分单号", "分运单号"),
    "origin_airport": ("origin", "origin_airport", "departure_airport", "始发港", "起运港"),
    "destination_airport": ("destination", "destination_airport", "arrival_airport", "port_of_arrival", "目的港"),
    "flight_number": ("flight", "flight_no", "flight_number", "航班号"),
    "arrival_date": ("arrival_date", "flight_date", "eta", "到达日期", "航班日期"),
    "shipper_name": ("shipper", "shipper_name", "发件人", "发货人"),
    "shipper_address": ("shipper_address", "发件人地址"),
    "shipper_city": ("shipper_city",),
    "shipper_country": ("shipper_country", "发件国"),
    "consignee_name": ("consignee", "consignee_name", "收件人", "收货人"),
    "consignee_address1": ("consignee_address", "consignee_address1", "consignee_street", "收件人地址"),
    "consignee_address2": ("consignee_address2",),
    "consignee_city": ("consignee_city", "收件人城市"),
    "consignee_state": ("consignee_state", "state", "州"),
    "consignee_zip": ("consignee_zip", "zip", "zipcode", "zip_code", "postal_code", "邮编"),
    "consignee_country": ("consignee_country",),
    "consignee_phone": ("consignee_phone", "phone", "电话"),
    "consignee_email": ("consignee_email", "email"),
    "description": ("description", "goods_description", "commodity", "品名", "货物描述"),
    "hts_code": ("hts", "hts_code", "htsus", "hs_code", "海关编码", "hs编码"),
    "country_of_origin": ("country_of_origin", "origin_country", "coo", "原产国"),
    "pieces": ("pieces", "pcs", "quantity", "qty", "件数"),
    "weight": ("weight", "gross_weight", "重量"),
    "weight_unit": ("weight_unit", "unit", "重量单位"),
    "value": ("value", "declared_value", "fair_retail_value", "申报价值"),
    "currency": ("currency", "币种"),
}
SIGNATURES = {
    "pdf": b"%PDF-1.7\n",
    "zip": b"PK\x03\x04\x14\x00\x00\x00",
    "ole2": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "gif87a": b"GIF87a",
    "gif89a": b"GIF89a",
    "gzip": b"\x1f\x8b\x08\x00",
}

# A clean row: valid, and no warning. 160-12345675: 1234567 mod 7 = 5.
BASE: dict[str, str] = {
    "mawb": "16012345675",
    "hawb": "HK0001",
    "origin_airport": "HKG",
    "destination_airport": "LAX",
    "flight_number": "CX880",
    "arrival_date": "2026-12-02",
    "shipper_name": "Shenzhen Bright Trading Co Ltd",
    "shipper_address": "Bldg 5, Longhua Industrial Park",
    "shipper_city": "Shenzhen",
    "shipper_country": "CN",
    "consignee_name": "Ana Lopez",
    "consignee_address1": "4377 Maple Dr",
    "consignee_address2": "Apt 12",
    "consignee_city": "Fairview",
    "consignee_state": "CA",
    "consignee_zip": "90210",
    "consignee_country": "US",
    "consignee_phone": "310-555-0123",
    "consignee_email": "ana@example.com",
    "description": "Silicone phone case",
    "hts_code": "3926.90.9985",
    "country_of_origin": "CN",
    "pieces": "1",
    "weight": "0.45",
    "weight_unit": "K",
    "value": "25.00",
    "currency": "USD",
}
ALL_COLUMNS = tuple(BASE)
REQUIRED_COLUMNS = (
    "mawb", "hawb", "origin_airport", "destination_airport", "flight_number", "arrival_date", "shipper_name",
    "shipper_address", "shipper_country", "consignee_name", "consignee_address1", "consignee_city", "consignee_state",
    "consignee_zip", "description", "hts_code", "country_of_origin", "pieces", "weight", "value",
)
OPTIONAL_COLUMNS = tuple(c for c in ALL_COLUMNS if c not in REQUIRED_COLUMNS)


def full_row(index: int = 0, **overrides: str) -> dict[str, str]:
    """The base row (numbered by index) with some cells replaced."""
    return {**BASE, "hawb": f"HK{index + 1:04d}", **overrides}


def manifest_text(rows=None, *, columns=None, header=None, delimiter: str = ",", line_end: str = "\r\n") -> str:
    """A delimited manifest: the header (canonical names unless `header` is given) and one line per row.

    A row is a dict of overrides of the base row, or a list of cells written as they are.
    """
    columns = list(ALL_COLUMNS if columns is None else columns)
    header = list(columns if header is None else header)
    rows = [{}] if rows is None else rows
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    for index, row in enumerate(rows):
        if isinstance(row, dict):
            values = full_row(index, **row)
            writer.writerow([values.get(name, "") for name in columns])
        else:
            writer.writerow(row)
    return out.getvalue()


def manifest_bytes(rows=None, *, encoding: str = "utf-8", **options) -> bytes:
    return manifest_text(rows, **options).encode(encoding)


def read(data: bytes, *, filename: str = "manifest.csv", encoding: str | None = None, max_bytes: int = MAX_BYTES,
         max_records: int = MAX_RECORDS) -> Table:
    return read_table(data, filename=filename, encoding=encoding, max_bytes=max_bytes, max_records=max_records)


def refused(data: bytes, **options) -> FileProblem:
    """The FileProblem that reading these bytes raises."""
    with pytest.raises(FileProblem) as raised:
        read(data, **options)
    return raised.value


def error_codes(problem: FileProblem) -> list[str]:
    return [error["code"] for error in problem.errors]


def check(*rows, today: date = TODAY, columns=None, served=SERVED, vague=VAGUE) -> CheckedFile:
    """Check a file of these rows (override dicts; none means one base row)."""
    table = read(manifest_bytes(list(rows) if rows else None, columns=columns))
    return check_table(table, today=today, served_airports=served, vague_terms=vague)


def check_one(column: str, value: str, **options) -> CheckedFile:
    return check({column: value}, **options)


def errors(checked: CheckedFile, index: int = 0) -> set[tuple[str, str]]:
    return set(checked.errors[index])


def error_list(checked: CheckedFile, index: int = 0) -> list[tuple[str, str]]:
    return list(checked.errors[index])


def warnings(checked: CheckedFile, index: int = 0) -> set[tuple[str, str]]:
    return set(checked.warnings[index])


def all_errors(checked: CheckedFile) -> list[list[tuple[str, str]]]:
    """Every row's errors, as lists."""
    return [list(row) for row in checked.errors]


def all_warnings(checked: CheckedFile) -> list[list[tuple[str, str]]]:
    return [list(row) for row in checked.warnings]
