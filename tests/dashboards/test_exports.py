"""Exports: any filtered list as CSV or Excel, formula-safe, streamed, and never more than the user may see."""

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from dashboards import exports
from dashboards.boards import BoardFilter
from shipments.models import Shipment

pytestmark = pytest.mark.django_db


def content(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    data = content(response)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the UTF-8 right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(content(response)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_list_behind_a_number_exports_as_csv(world, owner, client):
    client.force_login(owner)
    response = client.get(BoardFilter(status="released", arrived_from=None).url() + "&export=csv")
    assert response["Content-Type"].startswith("text/csv") and "attachment;" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:3] == ["HAWB", "MAWB", "Forwarder"] and "Customs status" in header
    assert sorted(row[0] for row in rows) == ["A1", "A13", "A14", "A4", "A9"]
    assert {row[header.index("Customs status")] for row in rows} == {"Released"}


def test_the_same_list_exports_as_an_excel_workbook(world, owner, client):
    client.force_login(owner)
    response = client.get(BoardFilter(airport="LAX").url() + "&export=xlsx")
    assert response["Content-Type"] == exports.XLSX_TYPE
    header, *rows = xlsx_rows(response)
    assert header[0] == "HAWB" and len(rows) == 9
    value = header.index("Value (USD)")
    assert all(isinstance(row[value], float | int) for row in rows)  # numbers stay numbers


def test_cells_a_spreadsheet_would_run_are_made_safe_in_both_formats(world, owner, client):
    Shipment.objects.filter(hawb="A1").update(consignee_name='=HYPERLINK("http://evil.example","x")', consignee_phone="+1 310 555 0101",
                                             description="@SUM(1+1)")
    client.force_login(owner)
    url = BoardFilter(airport="LAX", status="released").url()
    header, *rows = csv_rows(client.get(url + "&export=csv"))
    row = next(r for r in rows if r[0] == "A1")
    assert row[header.index("Consignee")] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert row[header.index("Phone")] == "'+1 310 555 0101" and row[header.index("Description")] == "'@SUM(1+1)"
    book = openpyxl.load_workbook(io.BytesIO(content(client.get(url + "&export=xlsx"))))
    cells = [c for c in book.active.iter_rows() if c[0].value == "A1"][0]
    consignee = cells[header.index("Consignee")]
    assert consignee.data_type == "s" and consignee.value.startswith("'=")


def test_an_export_never_holds_another_tenants_shipments(world, outsider, client):
    client.force_login(outsider)
    _header, *rows = csv_rows(client.get("/boards/list/?export=csv"))
    assert sorted(row[0] for row in rows) == ["B1", "B2"]


def test_the_shipment_list_exports_what_its_filters_show(world, owner, client):
    client.force_login(owner)
    page = client.get("/shipments/", {"status": "on_hold"})
    assert 'data-testid="export-csv"' in page.content.decode()
    _header, *rows = csv_rows(client.get("/shipments/", {"status": "on_hold", "export": "csv"}))
    assert sorted(row[0] for row in rows) == ["A2", "A6"]
    _header, *rows = xlsx_rows(client.get("/shipments/", {"q": "A13", "export": "xlsx"}))
    assert [row[0] for row in rows] == ["A13"]


def test_the_open_mawbs_export_too(world, owner, client):
    client.force_login(owner)
    header, *rows = csv_rows(client.get("/boards/mawbs/", {"export": "csv"}))
    assert header[0] == "MAWB" and sorted(row[0] for row in rows) == ["160-12345675", "160-12345686", "160-12345690", "160-12345701"]


def test_an_export_says_the_day_each_flight_landed_beside_the_day_it_was_due(world, owner, outsider, client):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    late = world["A13"].shipment.manifest  # due five days ago; ACE's notice said it landed four days ago
    late.shipments.update(arrived_on=today - timedelta(days=4))
    type(late).objects.filter(pk=late.pk).update(arrived_on=today - timedelta(days=4))
    client.force_login(owner)
    header, *rows = csv_rows(client.get(BoardFilter(airport="LAX").url() + "&export=csv"))
    days = {row[0]: (row[header.index("Arrival date")], row[header.index("Landed on")]) for row in rows}
    assert days["A13"] == (str(today - timedelta(days=5)), str(today - timedelta(days=4)))
    assert days["A1"] == (str(today), str(today))
    header, *rows = csv_rows(client.get("/boards/mawbs/", {"export": "csv"}))
    assert {row[0]: row[header.index("Landed on")] for row in rows}["160-12345686"] == str(today - timedelta(days=4))
    client.force_login(outsider)
    header, *rows = csv_rows(client.get("/boards/list/?export=csv"))
    assert {row[header.index("Landed on")] for row in rows} == {""}  # B's flight has not landed


def test_a_us_state_is_not_called_a_status_in_chinese(world, owner, client):
    client.force_login(owner)
    header, *_rows = csv_rows(client.get(BoardFilter(airport="LAX").url() + "&export=csv", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    with translation.override("zh-hans"):
        assert header[8] == gettext("Consignee") != "Consignee"  # the file speaks Chinese
        assert header[10] == pgettext("US state", "State") and header[10] != gettext("State")


def test_the_open_mawbs_count_their_shipments_in_words_of_their_own(world, owner, client):
    client.force_login(owner)
    header, *_rows = csv_rows(client.get("/boards/mawbs/", {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    with translation.override("zh-hans"):
        assert header[1] == gettext("Forwarder") != "Forwarder"
        assert header[-1] == pgettext("number of shipments", "Shipments") and header[-1] != gettext("Shipments")


def test_a_long_list_is_written_in_chunks_as_it_streams():
    def many():
        for n in range(5 * exports.CHUNK):
            yield [f"H{n:06d}", n, "Ana Lopez"]

    for file_format in exports.FORMATS:
        response = exports.rows_export(header=["HAWB", "n", "name"], rows=many(), file_format=file_format, filename="big")
        chunks = list(response.streaming_content)
        assert len(chunks) >= 5, file_format  # written while the rows come, not all at the end
        data = b"".join(chunks)
        if file_format == "csv":
            assert data.decode("utf-8-sig").count("\r\n") == 5 * exports.CHUNK + 1
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(data)).active
            assert sheet.max_row == 5 * exports.CHUNK + 1 and sheet.cell(row=3, column=2).value == 1


def test_chinese_text_and_dates_survive_both_formats(world, owner, client):
    Shipment.objects.filter(hawb="A3").update(consignee_name="王小明")
    client.force_login(owner)
    url = BoardFilter(status="accepted", airport="LAX").url()
    header, *rows = csv_rows(client.get(url + "&export=csv"))
    assert rows[0][header.index("Consignee")] == "王小明" and rows[0][header.index("Arrival date")].count("-") == 2
    _header, *rows = xlsx_rows(client.get(url + "&export=xlsx"))
    assert rows[0][header.index("Consignee")] == "王小明"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        exports.rows_export(header=["a"], rows=[], file_format="pdf", filename="x")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_times_are_written_in_the_readers_zone_and_the_header_names_it(world, owner, forwarder_org, client, file_format):
    forwarder_org.time_zone = "Asia/Shanghai"
    forwarder_org.save()
    Shipment.objects.filter(hawb="A1").update(status_changed_at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC))
    client.force_login(owner)
    response = client.get(BoardFilter(airport="LAX", status="released").url() + f"&export={file_format}")
    header, *rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
    column = header.index("Status changed (Asia/Shanghai)")
    assert [row[column] for row in rows if row[0] == "A1"] == ["2026-03-10 09:00:00"]
