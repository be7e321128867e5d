"""Reading a manifest file: manifest-csv.md §1 (files), §2 (header matching) and §3 (file-level errors)."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from shipments.ingest import columns as columns_module
from shipments.ingest.checks import check_table
from shipments.ingest.columns import canonical_for, normalise_header
from shipments.ingest.reader import detect_delimiter, read_table
from tests.shipments.manifests import (
    ALL_COLUMNS,
    BASE,
    REQUIRED_COLUMNS,
    SERVED,
    SIGNATURES,
    SPEC_ALIASES,
    TODAY,
    VAGUE,
    error_codes,
    full_row,
    manifest_bytes,
    manifest_text,
    read,
    refused,
)

ALIAS_PAIRS = [(alias, name) for name, aliases in SPEC_ALIASES.items() for alias in aliases]

# The first Chinese alias of each column (columns without one keep their English name).
CHINESE_HEADER = [next((a for a in SPEC_ALIASES[name] if not a.isascii()), name) for name in ALL_COLUMNS]



def cell(table, index: int, name: str) -> str:
    """The text of one column of one data record, as read."""
    return table.records[index][table.columns[name]]


def xlsx_bytes(rows_by_sheet: dict[str, dict[int, list]], *, active: int = 0) -> bytes:
    """A workbook whose sheets (in this order) hold cells at the given sheet row numbers."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in rows_by_sheet.items():
        sheet = workbook.create_sheet(title)
        for number, cells in rows.items():
            for column, value in enumerate(cells, start=1):
                sheet.cell(row=number, column=column, value=value)
    workbook.active = active
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def manifest_sheet(*rows: dict) -> dict[int, list]:
    """Sheet rows: the canonical header in row 1 and one base row (with overrides) per following row."""
    sheet = {1: list(ALL_COLUMNS)}
    for index, overrides in enumerate(rows or ({},)):
        values = full_row(index, **overrides)
        sheet[2 + index] = [values[name] for name in ALL_COLUMNS]
    return sheet


# ---------------------------------------------------------------------------------------------------------------
# §1 files and encodings


def test_a_plain_utf8_file_is_read_and_reported_as_utf_8():
    table = read(manifest_bytes([{"shipper_name": "Café Zoë"}]))
    assert table.encoding == "utf-8"
    assert cell(table, 0, "shipper_name") == "Café Zoë"


def test_a_utf8_file_with_a_bom_is_reported_as_utf_8_sig_and_the_bom_is_not_part_of_the_first_header():
    table = read(codecs.BOM_UTF8 + manifest_bytes())
    assert table.encoding == "utf-8-sig"
    assert table.columns["mawb"] == 0
    assert table.warnings == []


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_utf16_with_a_bom_is_read_whatever_its_byte_order_and_reported_as_utf_16(encoding, bom):
    data = bom + manifest_text([{"consignee_name": "Zoë Müller"}]).encode(encoding)
    table = read(data)
    assert table.encoding == "utf-16"
    assert table.columns["mawb"] == 0
    assert cell(table, 0, "consignee_name") == "Zoë Müller"
    assert cell(table, 0, "currency") == "USD"


def test_a_gb18030_file_with_chinese_headers_is_detected_as_gb18030():
    data = manifest_text(header=CHINESE_HEADER).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read(data)
    assert table.encoding == "gb18030"
    assert set(table.columns) == set(ALL_COLUMNS)
    assert table.column_headers["mawb"] == "主单号"
    assert table.column_headers["hawb"] == "分单号"
    assert cell(table, 0, "mawb") == BASE["mawb"]


def test_chinese_text_in_gb18030_values_is_decoded():
    data = manifest_text([{"shipper_name": "深圳光明贸易有限公司"}], header=CHINESE_HEADER).encode("gb18030")
    table = read(data)
    assert cell(table, 0, "shipper_name") == "深圳光明贸易有限公司"


def test_utf8_is_preferred_to_gb18030_when_the_bytes_are_valid_utf8():
    data = manifest_text([{"shipper_name": "深圳"}], header=CHINESE_HEADER).encode("utf-8")
    table = read(data)
    assert table.encoding == "utf-8"
    assert cell(table, 0, "shipper_name") == "深圳"


def test_an_explicit_encoding_overrides_detection():
    data = manifest_bytes([{"shipper_name": "Café"}])  # valid UTF-8, read as Latin-1 because the user says so
    table = read(data, encoding="latin-1")
    assert table.encoding == "iso8859-1"
    assert cell(table, 0, "shipper_name") == "CafÃ©"


def test_an_explicit_encoding_still_strips_a_utf8_bom():
    table = read(codecs.BOM_UTF8 + manifest_bytes(), encoding="utf-8")
    assert table.encoding == "utf-8"
    assert table.columns["mawb"] == 0
    assert table.warnings == []


def test_an_explicit_encoding_still_strips_a_utf16_bom():
    data = codecs.BOM_UTF16_LE + manifest_text().encode("utf-16-le")
    table = read(data, encoding="utf-16-le")
    assert table.encoding == "utf-16-le"
    assert table.columns["mawb"] == 0
    assert table.warnings == []


@pytest.mark.parametrize("chosen, reported", [("UTF8", "utf-8"), ("utf_8", "utf-8"), ("GB18030", "gb18030"),
                                              ("latin1", "iso8859-1"), ("UTF-8-SIG", "utf-8-sig")])
def test_the_report_names_a_chosen_encoding_by_its_python_codec_name(chosen, reported):
    assert read(manifest_bytes(), encoding=chosen).encoding == reported


# ---------------------------------------------------------------------------------------------------------------
# §3 F_ENCODING


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_with_F_ENCODING():
    data = manifest_bytes().replace(b"Ana Lopez", b"Ana \xff\xff Lopez")
    problem = refused(data)
    assert error_codes(problem) == ["F_ENCODING"]
    assert problem.errors[0]["message"]


def test_an_unknown_encoding_name_is_refused_with_F_ENCODING():
    assert error_codes(refused(manifest_bytes(), encoding="no-such-encoding")) == ["F_ENCODING"]


@pytest.mark.parametrize("name", ["base64", "rot13", "hex", "utf-8\x00"])
def test_a_name_that_is_not_a_text_encoding_is_refused_with_F_ENCODING(name):
    assert error_codes(refused(manifest_bytes(), encoding=name)) == ["F_ENCODING"]


def test_bytes_that_do_not_decode_in_the_chosen_encoding_are_refused_with_F_ENCODING():
    data = manifest_bytes([{"shipper_name": "Café"}])
    assert error_codes(refused(data, encoding="ascii")) == ["F_ENCODING"]


def test_gb18030_bytes_read_as_chosen_utf8_are_refused_with_F_ENCODING():
    data = manifest_text(header=CHINESE_HEADER).encode("gb18030")
    assert error_codes(refused(data, encoding="utf-8")) == ["F_ENCODING"]


def test_utf16_with_a_bom_that_does_not_decode_is_F_ENCODING():
    data = codecs.BOM_UTF16_LE + "mawb,hawb\r\n".encode("utf-16-le") + b"\x00\xd8a\x00"  # a lone high surrogate
    assert error_codes(refused(data)) == ["F_ENCODING"]


def test_a_utf8_bom_decides_the_encoding_so_invalid_utf8_after_it_is_F_ENCODING():
    # Reading of §1: a BOM names the encoding; the text after it is not tried as GB18030.
    data = codecs.BOM_UTF8 + manifest_text(header=CHINESE_HEADER).encode("gb18030")
    assert error_codes(refused(data)) == ["F_ENCODING"]


def test_F_ENCODING_is_reported_alone_even_when_the_header_is_also_wrong():
    data = b"remark,notes\r\n\xff\xfa\xff,1\r\n"
    problem = refused(data)
    assert error_codes(problem) == ["F_ENCODING"]


def test_F_ENCODING_comes_before_the_record_limit():
    data = manifest_bytes([{}] * 5).replace(b"Ana Lopez", b"Ana \xff Lopez")
    assert error_codes(refused(data, max_records=2)) == ["F_ENCODING"]


# ---------------------------------------------------------------------------------------------------------------
# §1/§3 F_NOT_TABULAR


@pytest.mark.parametrize("signature", SIGNATURES.values(), ids=SIGNATURES.keys())
def test_text_that_starts_with_a_binary_signature_is_not_tabular(signature):
    problem = refused(signature + b"\n" + manifest_bytes())
    assert error_codes(problem) == ["F_NOT_TABULAR"]


def test_a_nul_byte_without_a_utf16_bom_is_not_tabular():
    data = manifest_bytes().replace(b"Ana Lopez", b"Ana\x00Lopez")
    assert error_codes(refused(data)) == ["F_NOT_TABULAR"]


def test_utf16_without_a_bom_is_not_tabular_because_of_its_nul_bytes():
    assert error_codes(refused(manifest_text().encode("utf-16-le"))) == ["F_NOT_TABULAR"]


def test_a_nul_byte_without_a_utf16_bom_is_not_tabular_even_with_a_chosen_encoding():
    # §1: "holds a NUL byte without a UTF-16 BOM is F_NOT_TABULAR. Otherwise the encoding is detected";
    # the user's choice overrides detection, not the NUL rule.
    data = manifest_text().encode("utf-16-le")
    assert error_codes(refused(data, encoding="utf-16-le")) == ["F_NOT_TABULAR"]


def test_a_nul_byte_in_a_utf8_file_with_a_bom_is_not_tabular():
    data = codecs.BOM_UTF8 + manifest_bytes().replace(b"Ana Lopez", b"Ana\x00Lopez")
    assert error_codes(refused(data)) == ["F_NOT_TABULAR"]


@pytest.mark.parametrize("name", ["manifest.xls", "MANIFEST.XLS"])
def test_a_legacy_xls_is_refused_with_a_message_asking_for_xlsx_or_csv(name):
    problem = refused(manifest_bytes(), filename=name)
    assert error_codes(problem) == ["F_NOT_TABULAR"]
    message = problem.errors[0]["message"].lower()
    assert ".xlsx" in message and "csv" in message


def test_a_legacy_xls_workbook_is_refused_with_F_NOT_TABULAR():
    data = SIGNATURES["ole2"] + b"\x00" * 504
    assert error_codes(refused(data, filename="manifest.xls")) == ["F_NOT_TABULAR"]


def test_a_damaged_xlsx_is_not_tabular():
    data = manifest_sheet_bytes()[:300]
    assert error_codes(refused(data, filename="manifest.xlsx")) == ["F_NOT_TABULAR"]


def test_csv_text_named_xlsx_is_not_tabular():
    assert error_codes(refused(manifest_bytes(), filename="manifest.xlsx")) == ["F_NOT_TABULAR"]


def test_a_zip_that_is_not_a_workbook_named_xlsx_is_not_tabular():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert error_codes(refused(out.getvalue(), filename="manifest.xlsx")) == ["F_NOT_TABULAR"]


def test_a_workbook_renamed_csv_is_not_tabular():
    assert error_codes(refused(manifest_sheet_bytes(), filename="manifest.csv")) == ["F_NOT_TABULAR"]


def test_a_file_without_extension_is_read_as_delimited_text():
    table = read(manifest_bytes(), filename="manifest")
    assert table.delimiter == "," and len(table.records) == 1


def test_F_NOT_TABULAR_is_reported_alone():
    problem = refused(SIGNATURES["pdf"] + b"remark\n1\n")
    assert error_codes(problem) == ["F_NOT_TABULAR"]


# ---------------------------------------------------------------------------------------------------------------
# §3 F_EMPTY, F_MISSING_COLUMNS, F_DUPLICATE_COLUMNS


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"  \r\n\t\r\n", b",,,\r\n , ,\t\r\n", b"\t\t\r\n", "\u3000,\u00a0\n".encode()],
                         ids=["nothing", "blank-lines", "white-space", "only-commas", "only-tabs", "unicode-space"])
def test_a_file_with_no_header_at_all_gets_F_EMPTY_alone(data):
    assert error_codes(refused(data)) == ["F_EMPTY"]


def test_a_header_and_no_data_records_is_F_EMPTY():
    problem = refused(manifest_text([]).encode())
    assert error_codes(problem) == ["F_EMPTY"]


def test_a_header_followed_only_by_blank_records_is_F_EMPTY():
    data = (manifest_text([]) + "\r\n ,  ,\r\n\r\n").encode()
    assert error_codes(refused(data)) == ["F_EMPTY"]


def with_declared_size(data: bytes, size: str) -> bytes:
    """The workbook with its first sheet's declared size (<dimension ref=...>) rewritten, as other tools write it."""
    import re

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{size}"'.encode(), content)
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("size", ["A1:AA10", "A1", "A1:XFD41"])
def test_an_xlsx_is_read_whole_whatever_size_it_declares(size):
    """A stale size lost rows (or columns); Excel's XFD after a stray formatted cell padded every row to 16,384 cells."""
    data = with_declared_size(xlsx_bytes({"Sheet1": manifest_sheet(*({} for _ in range(40)))}), size)
    table = read(data, filename="manifest.xlsx")
    assert len(table.records) == 40 and set(table.columns) == set(ALL_COLUMNS)
    assert max(len(record) for record in table.records) == len(ALL_COLUMNS)


def test_empty_formatted_cells_at_the_end_of_xlsx_rows_are_not_read():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number, cells in manifest_sheet({}, {}).items():
        for column, value in enumerate(cells, start=1):
            sheet.cell(row=number, column=column, value=value)
    sheet.cell(row=2, column=16_000).number_format = "0.00"  # a stray formatted, empty cell far to the right
    out = io.BytesIO()
    workbook.save(out)
    table = read(out.getvalue(), filename="manifest.xlsx")
    assert [len(record) for record in table.records] == [len(ALL_COLUMNS)] * 2


def test_an_xlsx_without_any_cells_is_F_EMPTY():
    data = xlsx_bytes({"Sheet1": {}})
    assert error_codes(refused(data, filename="manifest.xlsx")) == ["F_EMPTY"]


def test_an_xlsx_with_a_header_only_is_F_EMPTY():
    data = xlsx_bytes({"Sheet1": {1: list(ALL_COLUMNS)}})
    assert error_codes(refused(data, filename="manifest.xlsx")) == ["F_EMPTY"]


@pytest.mark.parametrize("missing", REQUIRED_COLUMNS)
def test_a_missing_required_column_is_F_MISSING_COLUMNS_naming_it(missing):
    columns = [name for name in ALL_COLUMNS if name != missing]
    problem = refused(manifest_bytes(columns=columns))
    assert error_codes(problem) == ["F_MISSING_COLUMNS"]
    assert problem.errors[0]["columns"] == [missing]
    assert missing in problem.errors[0]["message"]


def test_F_MISSING_COLUMNS_lists_every_missing_canonical_name():
    gone = {"hawb", "arrival_date", "value", "consignee_zip"}
    problem = refused(manifest_bytes(columns=[name for name in ALL_COLUMNS if name not in gone]))
    assert error_codes(problem) == ["F_MISSING_COLUMNS"]
    assert sorted(problem.errors[0]["columns"]) == sorted(gone)


def test_a_header_of_only_unknown_names_misses_every_required_column():
    problem = refused(b"remark,notes\r\n1,2\r\n")
    assert error_codes(problem) == ["F_MISSING_COLUMNS"]
    assert sorted(problem.errors[0]["columns"]) == sorted(REQUIRED_COLUMNS)


@pytest.mark.parametrize("optional", ["shipper_city", "consignee_address2", "consignee_country", "consignee_phone",
                                      "consignee_email", "weight_unit", "currency"])
def test_an_optional_column_may_be_absent(optional):
    table = read(manifest_bytes(columns=[name for name in ALL_COLUMNS if name != optional]))
    assert optional not in table.columns
    assert len(table.records) == 1


def test_two_headers_for_the_same_column_are_F_DUPLICATE_COLUMNS_with_the_headers_as_written():
    header = [" MAWB No " if name == "mawb" else name for name in ALL_COLUMNS] + ["Master AWB"]
    data = manifest_bytes([list(full_row().values()) + ["16012345675"]], header=header)
    problem = refused(data)
    assert error_codes(problem) == ["F_DUPLICATE_COLUMNS"]
    entry = problem.errors[0]
    assert entry["columns"] == ["mawb"]
    assert "MAWB No" in entry["message"] and "Master AWB" in entry["message"]


def test_F_DUPLICATE_COLUMNS_lists_every_duplicated_canonical_name():
    header = list(ALL_COLUMNS) + ["分单号", "QTY"]
    data = manifest_bytes([list(full_row().values()) + ["X1", "2"]], header=header)
    problem = refused(data)
    assert error_codes(problem) == ["F_DUPLICATE_COLUMNS"]
    assert sorted(problem.errors[0]["columns"]) == ["hawb", "pieces"]
    assert "分单号" in problem.errors[0]["message"] and "QTY" in problem.errors[0]["message"]


def test_the_same_header_written_twice_is_F_DUPLICATE_COLUMNS():
    header = list(ALL_COLUMNS) + ["weight"]
    problem = refused(manifest_bytes([list(full_row().values()) + ["1"]], header=header))
    assert error_codes(problem) == ["F_DUPLICATE_COLUMNS"]
    assert problem.errors[0]["columns"] == ["weight"]


def test_missing_and_duplicate_columns_are_reported_together():
    columns = [name for name in ALL_COLUMNS if name != "value"]
    header = columns + ["HAWB No"]
    row = [full_row()[name] for name in columns] + ["HK9"]
    problem = refused(manifest_bytes([row], header=header))
    assert sorted(error_codes(problem)) == ["F_DUPLICATE_COLUMNS", "F_MISSING_COLUMNS"]


def test_missing_and_duplicate_columns_and_no_data_are_all_reported():
    header = [name for name in ALL_COLUMNS if name != "value"] + ["HAWB No"]
    problem = refused(manifest_bytes([], header=header))
    assert sorted(error_codes(problem)) == ["F_DUPLICATE_COLUMNS", "F_EMPTY", "F_MISSING_COLUMNS"]


def test_missing_columns_and_no_data_are_reported_together():
    problem = refused(manifest_bytes([], columns=[name for name in ALL_COLUMNS if name != "mawb"]))
    assert sorted(error_codes(problem)) == ["F_EMPTY", "F_MISSING_COLUMNS"]


# ---------------------------------------------------------------------------------------------------------------
# §1/§3 F_TOO_LARGE and the order of the checks


def test_a_file_of_exactly_the_byte_limit_is_read():
    data = manifest_bytes()
    assert len(read(data, max_bytes=len(data)).records) == 1


def test_a_file_over_the_byte_limit_is_F_TOO_LARGE():
    data = manifest_bytes()
    problem = refused(data, max_bytes=len(data) - 1)
    assert error_codes(problem) == ["F_TOO_LARGE"]


def test_the_byte_limit_comes_first_and_is_reported_alone():
    data = SIGNATURES["pdf"] + b"\x00" * 2000
    assert error_codes(refused(data, max_bytes=1024)) == ["F_TOO_LARGE"]


def test_the_byte_limit_applies_to_xlsx_files():
    data = manifest_sheet_bytes()
    assert error_codes(refused(data, filename="manifest.xlsx", max_bytes=len(data) - 1)) == ["F_TOO_LARGE"]


def test_exactly_the_record_limit_is_read():
    assert len(read(manifest_bytes([{}, {}, {}]), max_records=3).records) == 3


def test_one_record_over_the_record_limit_is_F_TOO_LARGE():
    assert error_codes(refused(manifest_bytes([{}, {}, {}, {}]), max_records=3)) == ["F_TOO_LARGE"]


def test_blank_records_do_not_count_towards_the_record_limit():
    lines = manifest_text([{}, {}, {}]).split("\r\n")
    text = "\r\n".join([lines[0], lines[1], "", ",,,", "  ", lines[2], lines[3], "", ""])
    table = read(text.encode(), max_records=3)
    assert len(table.records) == 3


def test_the_record_limit_is_reported_alone_before_the_header_is_looked_at():
    data = b"remark\r\n1\r\n2\r\n3\r\n"
    assert error_codes(refused(data, max_records=2)) == ["F_TOO_LARGE"]


def test_the_record_limit_applies_to_xlsx_files():
    data = xlsx_bytes({"Sheet1": manifest_sheet({}, {}, {})})
    assert error_codes(refused(data, filename="manifest.xlsx", max_records=2)) == ["F_TOO_LARGE"]


def test_F_NOT_TABULAR_comes_before_the_record_limit():
    data = SIGNATURES["gzip"] + b"\n" + manifest_bytes([{}] * 5)
    assert error_codes(refused(data, max_records=2)) == ["F_NOT_TABULAR"]


# ---------------------------------------------------------------------------------------------------------------
# §1 delimiter


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_the_delimiter_is_detected_and_splits_the_records(delimiter):
    table = read(manifest_bytes([{"shipper_address": "Bldg 5, Park; Gate\t2"}], delimiter=delimiter))
    assert table.delimiter == delimiter
    assert set(table.columns) == set(ALL_COLUMNS)
    assert cell(table, 0, "shipper_address") == "Bldg 5, Park; Gate\t2"


def test_a_semicolon_wins_when_it_occurs_most_often():
    assert detect_delimiter("a,b;c;d\n") == ";"


def test_a_tab_wins_when_it_occurs_most_often():
    assert detect_delimiter("a,b\tc\td;e\n") == "\t"


def test_a_comma_wins_when_it_occurs_most_often():
    assert detect_delimiter("a,b,c;d\te\n") == ","


def test_a_tie_between_comma_and_semicolon_goes_to_the_comma():
    assert detect_delimiter("a,b;c\n") == ","


def test_a_tie_between_semicolon_and_tab_goes_to_the_semicolon():
    assert detect_delimiter("a;b\tc\n") == ";"


def test_a_tie_between_comma_and_tab_goes_to_the_comma():
    assert detect_delimiter("a\tb,c\n") == ","


def test_a_line_without_any_delimiter_means_comma():
    assert detect_delimiter("mawb\n1;2;3\n") == ","


def test_delimiters_inside_quotes_are_not_counted():
    assert detect_delimiter('"x,y,z";a;b\n') == ";"


def test_only_the_first_line_with_other_content_decides_the_delimiter():
    assert detect_delimiter("a;b\nc,d,e,f\n") == ";"


def test_leading_lines_of_only_delimiters_and_white_space_are_skipped_when_detecting():
    assert detect_delimiter(",,,,,,\n \t \n;;\n\na;b;c\n") == ";"


def test_a_leading_line_of_only_delimiters_does_not_become_the_header():
    text = ";;;;;;;;\r\n" + manifest_text(delimiter=";")
    table = read(text.encode())
    assert table.delimiter == ";"
    assert table.header_row == 2
    assert table.row_numbers == [3]


# ---------------------------------------------------------------------------------------------------------------
# §1 line ends, quoting, row numbers, header cells


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"], ids=["CRLF", "LF", "CR"])
def test_every_line_end_is_read(line_end):
    table = read(manifest_bytes([{}, {}], line_end=line_end))
    assert len(table.records) == 2
    assert table.row_numbers == [2, 3]
    assert cell(table, 1, "currency") == "USD"
    assert cell(table, 1, "hawb") == "HK0002"


def test_quoted_fields_hold_delimiters_quotes_and_newlines():
    address = 'Bldg 5, "Tower" A\nFloor 3\r\nRoom 9'
    table = read(manifest_bytes([{"shipper_address": address}]))
    assert cell(table, 0, "shipper_address") == address


def test_a_record_spanning_several_lines_is_numbered_once():
    table = read(manifest_bytes([{"consignee_address1": "7 Canal St\nFloor 3\nBack door"}, {}]))
    assert table.row_numbers == [2, 3]


def test_blank_records_are_skipped_but_counted_in_row_numbers():
    lines = manifest_text([{}, {}, {}]).split("\r\n")
    text = "\r\n".join([lines[0], lines[1], "", " , ,\t", lines[2], ",,,,", lines[3]]) + "\r\n"
    table = read(text.encode())
    assert table.row_numbers == [2, 5, 7]
    assert [cell(table, i, "hawb") for i in range(3)] == ["HK0001", "HK0002", "HK0003"]


def test_the_header_is_the_first_non_blank_record_and_keeps_its_row_number():
    table = read(("\r\n  \r\n" + manifest_text()).encode())
    assert table.header_row == 3
    assert table.row_numbers == [4]


def test_with_no_blank_lines_the_header_is_row_1_and_the_first_data_row_is_2():
    table = read(manifest_bytes([{}, {}]))
    assert table.header_row == 1
    assert table.row_numbers == [2, 3]


def test_a_blank_header_cell_is_ignored():
    header = list(ALL_COLUMNS[:3]) + ["  "] + list(ALL_COLUMNS[3:]) + [""]
    values = full_row()
    row = [values[name] for name in ALL_COLUMNS[:3]] + ["whatever"] + [values[name] for name in ALL_COLUMNS[3:]] + ["x"]
    table = read(manifest_bytes([row], header=header))
    assert table.warnings == []
    assert set(table.columns) == set(ALL_COLUMNS)
    assert cell(table, 0, "origin_airport") == "HKG"


# ---------------------------------------------------------------------------------------------------------------
# §2 header matching and W_UNKNOWN_COLUMN


def test_the_alias_table_is_exactly_the_one_of_the_spec():
    expected = {alias: name for name, aliases in SPEC_ALIASES.items() for alias in aliases}
    assert columns_module.ALIASES == expected


def test_the_required_columns_are_those_of_the_spec():
    assert set(columns_module.REQUIRED) == set(REQUIRED_COLUMNS)


@pytest.mark.parametrize("alias, name", ALIAS_PAIRS)
def test_every_alias_of_the_spec_names_its_column(alias, name):
    assert canonical_for(alias) == name


@pytest.mark.parametrize("written, name", [
    ("MAWB No.", "mawb"), ("Master AWB", "mawb"), ("master-air-waybill", "mawb"), ("  HAWB   Number  ", "hawb"),
    ("House AWB #", "hawb"), ("Flight No.", "flight_number"), ("ETA", "arrival_date"), ("Zip Code", "consignee_zip"),
    ("Postal-Code", "consignee_zip"), ("HS Code", "hts_code"), ("HS编码", "hts_code"), ("(Origin Country)", "country_of_origin"),
    ("Declared Value (USD)", None), ("Declared__Value", "value"), ("Fair Retail Value", "value"), ("E-mail", None),
    ("ＭＡＷＢ", "mawb"), ("ｈａｗｂ＿ｎｏ", "hawb"), ("Ｑｔｙ", "pieces"), ("ｈｓ编码", "hts_code"), (" 主单号 ", "mawb"),
    ("分单号：", "hawb"), ("【重量】", "weight"),
])
def test_headers_are_matched_after_nfkc_case_and_punctuation_normalisation(written, name):
    assert canonical_for(written) == name


def test_normalising_a_header_joins_runs_of_other_characters_into_one_underscore():
    assert normalise_header("  Master -- Air / Waybill!! ") == "master_air_waybill"


def test_headers_in_any_order_and_any_alias_are_read():
    header = ["Qty", "Declared Value", "ETA", "MAWB No", "House AWB", "Origin", "Destination", "Flight", "Shipper",
              "Shipper Address", "发件国", "Consignee", "Consignee Street", "收件人城市", "State", "ZIP", "Commodity", "HTS",
              "COO", "Gross Weight"]
    names = ["pieces", "value", "arrival_date", "mawb", "hawb", "origin_airport", "destination_airport", "flight_number",
             "shipper_name", "shipper_address", "shipper_country", "consignee_name", "consignee_address1", "consignee_city",
             "consignee_state", "consignee_zip", "description", "hts_code", "country_of_origin", "weight"]
    values = full_row()
    table = read(manifest_bytes([[values[name] for name in names]], header=header))
    assert {name: table.columns[name] for name in names} == {name: i for i, name in enumerate(names)}
    assert table.column_headers["mawb"] == "MAWB No"
    assert cell(table, 0, "value") == "25.00"


def test_an_unknown_header_is_ignored_and_warned_about_once_with_its_trimmed_text():
    header = list(ALL_COLUMNS) + ["  Remark  "]
    table = read(manifest_bytes([list(full_row().values()) + ["fragile"], list(full_row(1).values()) + ["x"]], header=header))
    assert table.warnings == [{"code": "W_UNKNOWN_COLUMN", "column": "Remark"}]
    assert "Remark" not in table.columns.values()


def test_each_unknown_header_gets_its_own_warning():
    header = ["Remark"] + list(ALL_COLUMNS) + ["Internal Ref"]
    table = read(manifest_bytes([["a"] + list(full_row().values()) + ["b"]], header=header))
    assert table.warnings == [{"code": "W_UNKNOWN_COLUMN", "column": "Remark"},
                              {"code": "W_UNKNOWN_COLUMN", "column": "Internal Ref"}]
    assert table.columns["mawb"] == 1


def test_unknown_headers_are_warned_about_even_when_the_file_is_refused():
    problem = refused(b"Remark,mawb\r\n1,2\r\n")
    assert error_codes(problem) == ["F_MISSING_COLUMNS"]
    assert problem.warnings == [{"code": "W_UNKNOWN_COLUMN", "column": "Remark"}]


# ---------------------------------------------------------------------------------------------------------------
# §1 .xlsx


def manifest_sheet_bytes(*rows: dict) -> bytes:
    return xlsx_bytes({"Manifest": manifest_sheet(*rows)})


def test_an_xlsx_workbook_is_read_with_its_headers_and_values():
    table = read(manifest_sheet_bytes({}, {}), filename="manifest.xlsx")
    assert set(table.columns) == set(ALL_COLUMNS)
    assert [cell(table, i, "hawb") for i in range(2)] == ["HK0001", "HK0002"]
    assert table.row_numbers == [2, 3]


def test_the_xlsx_extension_is_recognised_in_any_case():
    table = read(manifest_sheet_bytes(), filename="MANIFEST.XLSX")
    assert len(table.records) == 1


def test_an_integer_number_cell_reads_without_a_decimal_part():
    table = read(manifest_sheet_bytes({"pieces": 2, "mawb": 16012345675, "weight": 3.0}), filename="m.xlsx")
    assert cell(table, 0, "pieces") == "2"
    assert cell(table, 0, "mawb") == "16012345675"
    assert cell(table, 0, "weight") == "3"


@pytest.mark.parametrize("number, text", [(17.53, "17.53"), (0.45, "0.45"), (0.1, "0.1"), (123456.789, "123456.789"), (1234.5, "1234.5")])
def test_a_float_number_cell_reads_as_the_shortest_text_that_round_trips(number, text):
    table = read(manifest_sheet_bytes({"value": number}), filename="m.xlsx")
    assert cell(table, 0, "value") == text


@pytest.mark.parametrize("number, text", [(0.00001, "0.00001"), (0.0000025, "0.0000025")])
def test_a_small_float_number_cell_reads_as_plain_decimal_text_not_exponent_notation(number, text):
    table = read(manifest_sheet_bytes({"weight": number}), filename="m.xlsx")
    assert cell(table, 0, "weight") == text


def test_a_zip_number_cell_keeps_its_digits_and_is_then_padded_by_the_checks():
    table = read(manifest_sheet_bytes({"consignee_zip": 2134}), filename="m.xlsx")
    assert cell(table, 0, "consignee_zip") == "2134"
    checked = check_table(table, today=TODAY, served_airports=SERVED, vague_terms=VAGUE)
    assert list(checked.warnings[0]) == [("W_ZIP_PADDED", "consignee_zip")]
    assert checked.norm["consignee_zip"][0] == "02134"


@pytest.mark.parametrize("value", [date(2026, 12, 2), datetime(2026, 12, 2), datetime(2026, 12, 2, 14, 30)])
def test_a_date_cell_reads_as_that_date(value):
    table = read(manifest_sheet_bytes({"arrival_date": value}), filename="m.xlsx")
    assert cell(table, 0, "arrival_date") == "2026-12-02"
    checked = check_table(table, today=TODAY, served_airports=SERVED, vague_terms=VAGUE)
    assert list(checked.errors[0]) == []
    assert checked.norm["arrival_date"][0].date() == date(2026, 12, 2)


def test_a_text_cell_keeps_its_leading_zeros():
    table = read(manifest_sheet_bytes({"consignee_zip": "02134", "hts_code": "0902100000"}), filename="m.xlsx")
    assert cell(table, 0, "consignee_zip") == "02134"
    assert cell(table, 0, "hts_code") == "0902100000"


def test_the_first_sheet_in_workbook_order_is_read_even_when_another_is_active():
    data = xlsx_bytes({"Manifest": manifest_sheet(), "Notes": {1: ["remark"], 2: ["hello"]}}, active=1)
    table = read(data, filename="m.xlsx")
    assert len(table.records) == 1 and set(table.columns) == set(ALL_COLUMNS)


def test_the_first_sheet_is_read_even_when_it_is_not_the_manifest():
    data = xlsx_bytes({"Notes": {1: ["remark"], 2: ["hello"]}, "Manifest": manifest_sheet()}, active=1)
    assert error_codes(refused(data, filename="m.xlsx")) == ["F_MISSING_COLUMNS"]


def test_a_sheet_moved_to_the_front_is_the_first_in_workbook_order():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["remark"])
    sheet = workbook.create_sheet("Manifest")
    for number, cells in manifest_sheet().items():
        sheet.append(cells)
    workbook.move_sheet("Manifest", offset=-1)
    out = io.BytesIO()
    workbook.save(out)
    table = read(out.getvalue(), filename="m.xlsx")
    assert set(table.columns) == set(ALL_COLUMNS)


def test_xlsx_rows_are_numbered_as_the_sheet_numbers_them():
    sheet = manifest_sheet({}, {})
    data = xlsx_bytes({"Manifest": {3: sheet[1], 4: sheet[2], 7: sheet[3]}})
    table = read(data, filename="m.xlsx")
    assert table.header_row == 3
    assert table.row_numbers == [4, 7]


def test_an_xlsx_row_of_blank_text_cells_is_skipped_but_numbering_follows_the_sheet():
    sheet = manifest_sheet({}, {})
    data = xlsx_bytes({"Manifest": {1: sheet[1], 2: sheet[2], 3: ["  ", "", None, "\u3000"], 4: sheet[3]}})
    table = read(data, filename="m.xlsx")
    assert table.row_numbers == [2, 4]


def test_an_xlsx_header_is_matched_like_a_csv_header():
    sheet = manifest_sheet()
    sheet[1] = ["MAWB No", "House AWB"] + sheet[1][2:] + ["Remark"]
    table = read(xlsx_bytes({"Manifest": sheet}), filename="m.xlsx")
    assert table.column_headers["mawb"] == "MAWB No"
    assert table.column_headers["hawb"] == "House AWB"
    assert table.warnings == [{"code": "W_UNKNOWN_COLUMN", "column": "Remark"}]


@pytest.mark.parametrize("name", ["manifest.csv", "manifest.xlsx"])
def test_reading_a_long_file_reports_progress_against_about_how_many_rows_it_has(name):
    rows = [{} for _ in range(5_500)]
    data = xlsx_bytes({"Sheet1": manifest_sheet(*rows)}) if name.endswith(".xlsx") else manifest_bytes(rows)
    seen = []
    read_table(data, filename=name, max_bytes=10**9, max_records=10**6, progress=lambda done, total=0: seen.append((done, total)))
    assert seen and all(total >= 5_500 and done <= total for done, total in seen)  # a scale from the start, not 0 %
