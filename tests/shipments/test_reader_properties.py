"""Whatever bytes arrive, the pipeline ends in a report (manifest-csv.md §1, §3 and §8): it never raises."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shipments.ingest.pipeline import manifest_evaluate, manifest_report
from tests.shipments.manifests import ALL_COLUMNS, BASE, SIGNATURES, SPEC_ALIASES, full_row, manifest_text

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
PROPERTY = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                               HealthCheck.too_slow])
FILE_CODES = {"F_ENCODING", "F_NOT_TABULAR", "F_EMPTY", "F_MISSING_COLUMNS", "F_DUPLICATE_COLUMNS", "F_TOO_LARGE"}
ROW_CODES = {"R_REQUIRED", "R_MAWB_FORMAT", "R_MAWB_CHECK_DIGIT", "R_HAWB_FORMAT", "R_HAWB_DUPLICATE", "R_HAWB_EXISTS",
             "R_AIRPORT", "R_FLIGHT", "R_DATE", "R_MAWB_INCONSISTENT", "R_COUNTRY", "R_STATE", "R_ZIP", "R_HTS_FORMAT",
             "R_DESCRIPTION_VAGUE", "R_NON_LATIN", "R_PIECES", "R_WEIGHT", "R_VALUE", "R_CURRENCY", "R_EMAIL"}


def evaluate(data: bytes, filename: str = "manifest.csv", encoding: str | None = None) -> dict:
    """Evaluate and report, checking the invariants of §8 that hold for every file."""
    evaluation = manifest_evaluate(data, filename=filename, encoding=encoding, today=TODAY)
    report = manifest_report(evaluation)
    assert isinstance(report, dict)
    assert set(report) >= {"file", "summary", "rows"}
    assert evaluation.exit_code in (0, 1, 2)
    json.dumps(report)  # the command prints it as JSON
    file, summary, rows = report["file"], report["summary"], report["rows"]
    if file["errors"]:
        assert evaluation.exit_code == 2
        assert rows == []
        assert {e["code"] for e in file["errors"]} <= FILE_CODES
        if {e["code"] for e in file["errors"]} & {"F_TOO_LARGE", "F_NOT_TABULAR", "F_ENCODING"}:
            assert len(file["errors"]) == 1  # reported alone
    else:
        assert evaluation.exit_code == (0 if all(row["valid"] for row in rows) else 1)
        assert summary["rows"] == len(rows) == file["records"] > 0
        assert summary["valid"] + summary["invalid"] == summary["rows"]
        assert summary["valid"] == sum(row["valid"] for row in rows)
        assert sum(summary["entry_types"].values()) == summary["valid"]
        numbers = [row["row"] for row in rows]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        for row in rows:
            assert row["valid"] == (row["errors"] == [])
            assert {e["code"] for e in row["errors"]} <= ROW_CODES
            assert len({(e["code"], e["column"]) for e in row["errors"]}) == len(row["errors"])
            if not row["valid"]:
                assert (row["entry_type"], row["reasons"], row["pga"]) == (None, [], [])
            else:
                assert row["entry_type"] in ("86", "11", "01")
    return report


# ---------------------------------------------------------------------------------------------------------------
# Arbitrary input


@PROPERTY
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_end_in_a_report(data):
    evaluate(data)


@PROPERTY
@given(data=st.binary(max_size=2000), name=st.sampled_from(["m.xlsx", "m.xls", "m.txt", "m", "M.CSV"]))
def test_arbitrary_bytes_under_any_file_name_end_in_a_report(data, name):
    evaluate(data, filename=name)


@PROPERTY
@given(signature=st.sampled_from(list(SIGNATURES.values())), rest=st.binary(max_size=500))
def test_bytes_with_a_binary_signature_are_not_tabular(signature, rest):
    report = evaluate(signature + rest)
    assert [e["code"] for e in report["file"]["errors"]] == ["F_NOT_TABULAR"]


@PROPERTY
@given(text=st.text(max_size=1000), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]))
def test_arbitrary_text_in_a_supported_encoding_ends_in_a_report(text, encoding):
    evaluate(text.encode(encoding))


@PROPERTY
@given(text=st.text(max_size=300), chosen=st.one_of(st.text(max_size=20),
                                                      st.sampled_from(["utf-8", "gbk", "latin-1", "cp1252", "utf-16", "utf-32",
                                                                       "ascii", "base64", "rot13", "hex", "zlib", "idna",
                                                                       "punycode", "undefined", "mbcs"])))
def test_any_chosen_encoding_name_ends_in_a_report(text, chosen):
    evaluate(text.encode("utf-8"), encoding=chosen or None)


# ---------------------------------------------------------------------------------------------------------------
# CSV-like text from a grammar of cells, delimiters, quotes and line ends

TRICKY = ["", " ", "\u00a0", "\u3000", '"', '""', ",", ";", "\t", "\r", "\n", "\r\n", "0", "-1", "1e3", "NaN", "inf", "9" * 30,
          "002", "2.0", "$1,234.50", "12,50", "02DEC2026", "20261202", "2019-09-27", "9999-12-31", "0000-00-00", "hk0001",
          "160-12345675", "LB", "usd", "gift", "深圳", "é", "\ufeff", "\x00", "\u2028", "=1+1", "XK", "PR"]
HEADERS = list(ALL_COLUMNS) + [alias for aliases in SPEC_ALIASES.values() for alias in aliases] + ["remark", "", "  ", "ＭＡＷＢ"]


@st.composite
def cells(draw, column: str | None = None):
    choice = draw(st.integers(0, 9))
    if column is not None and choice < 5:
        return BASE.get(column, "")
    if choice < 8:
        return draw(st.sampled_from(TRICKY))
    return draw(st.text(max_size=12))


@st.composite
def manifest_texts(draw):
    """Text shaped like a manifest: a header from names and aliases, rows mostly of good values, odd cells between."""
    if draw(st.booleans()):
        header = list(ALL_COLUMNS)
        draw(st.randoms()).shuffle(header)
        header += draw(st.lists(st.sampled_from(HEADERS), max_size=3))
    else:
        header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=30))
    count = draw(st.integers(0, 8))
    rows = []
    for index in range(count):
        if draw(st.integers(0, 9)) == 0:
            rows.append([draw(st.sampled_from(["", " ", ",,,"]))])
            continue
        values = full_row(draw(st.integers(0, 3)) if draw(st.booleans()) else index)
        row = [values.get(name, "") if draw(st.integers(0, 3)) else draw(cells(name)) for name in header]
        extra = draw(st.integers(-2, 2))
        row = row[:extra] if extra < 0 else row + [draw(cells()) for _ in range(extra)]
        rows.append(row)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    line_end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    quote_all = draw(st.booleans())

    def field(value: str) -> str:
        if quote_all or any(ch in value for ch in (delimiter, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(field(c) for c in header)] + [delimiter.join(field(c) for c in row) for row in rows]
    lines = [draw(st.sampled_from(["", " ", delimiter * 3]))] * draw(st.integers(0, 2)) + lines
    text = line_end.join(lines) + (line_end if draw(st.booleans()) else "")
    if draw(st.integers(0, 9)) == 0:  # damage it: an unbalanced quote, a cut, a stray delimiter
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(['"', "", delimiter, "\r", "\x00"])) + text[position:]
    return text


@PROPERTY
@given(text=manifest_texts(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_csv_like_text_ends_in_a_report(text, encoding):
    evaluate(text.encode(encoding))


@PROPERTY
@given(rows=st.lists(st.dictionaries(st.sampled_from(list(ALL_COLUMNS)), st.sampled_from(TRICKY), max_size=4), min_size=1, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_a_well_formed_file_with_odd_values_reports_one_row_per_record(rows, delimiter):
    text = manifest_text(rows, delimiter=delimiter)
    data = text.encode("utf-8")
    assume(b"\x00" not in data)
    report = evaluate(data)
    if not report["file"]["errors"]:
        assert len(report["rows"]) <= len(rows)
        assert report["rows"][0]["row"] >= 2


# ---------------------------------------------------------------------------------------------------------------
# Workbooks


def _workbook(rows: list[list]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_CELL = st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                      st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
                      st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), st.booleans())


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(XLSX_CELL, max_size=6), max_size=5), keep_header=st.booleans())
def test_any_workbook_ends_in_a_report(rows, keep_header):
    if keep_header:
        rows = [list(ALL_COLUMNS)] + [[*full_row(i).values()][: len(row)] + row for i, row in enumerate(rows)]
    evaluate(_workbook(rows), filename="m.xlsx")


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(position=st.integers(0, 10_000), junk=st.binary(min_size=1, max_size=8))
def test_a_damaged_workbook_ends_in_a_report(position, junk):
    data = _workbook([list(ALL_COLUMNS), list(full_row().values())])
    position %= len(data)
    evaluate(data[:position] + junk + data[position + len(junk):], filename="m.xlsx")
