"""Upload pages, result page, error file, templates and help, as owner, colleague and outsider."""

import csv
import io

import pytest

from shipments.ingest.codes import CODES
from shipments.models import Shipment, Upload
from tests.shipments.conftest import sample

pytestmark = pytest.mark.django_db


def uploaded(client, upload_file, name="sample_small.csv", **kwargs) -> Upload:
    response = upload_file(client, name, **kwargs)
    assert response.status_code == 302, response.content[:500]
    return Upload.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def test_a_forwarder_uploads_a_file_and_sees_the_result(client, owner, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    upload.refresh_from_db()
    assert upload.state == "done"
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert 'data-testid="count-valid">35<' in page
    assert 'data-testid="count-invalid">25<' in page
    assert "R_CURRENCY" in page and "Only US dollars (USD) are accepted." in page
    assert Shipment.objects.filter(upload=upload).count() == 35


def test_a_mawb_whose_leading_zero_excel_dropped_is_explained_with_the_way_to_keep_it(client, owner, upload_file):
    from openpyxl import Workbook

    from tests.shipments.manifests import ALL_COLUMNS, full_row

    sheet = (book := Workbook()).active
    sheet.append(list(ALL_COLUMNS))
    row = full_row(0)
    sheet.append([1612345675 if name == "mawb" else row[name] for name in ALL_COLUMNS])  # 016-12345675 typed as a number
    data = io.BytesIO()
    book.save(data)
    client.force_login(owner)
    upload = uploaded(client, upload_file, "manifest.xlsx", data=data.getvalue())
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "R_MAWB_FORMAT" in page and "«1612345675»" in page
    assert "Excel drops leading zeros (016…, 001…): keep the dash or format the column as text." in page


def test_the_errors_can_be_filtered_by_code(client, owner, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    page = client.get(f"/uploads/{upload.pk}/?code=R_AIRPORT").content.decode()
    assert page.count('class="badge text-bg-danger mono">R_AIRPORT') == 4
    assert 'class="badge text-bg-danger mono">R_CURRENCY' not in page


def test_the_result_page_speaks_chinese(client, owner, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    page = client.get(f"/uploads/{upload.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "只接受美元" in page
    assert "已接受行" in page and "ACE 已接受" not in page  # rows accepted from the file, not ACE's acceptance


def test_a_colleague_sees_the_upload_and_an_outsider_gets_404(client, owner, colleague, outsider, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    client.force_login(colleague)
    for url in (f"/uploads/{upload.pk}/", f"/uploads/{upload.pk}/progress/", f"/uploads/{upload.pk}/errors/"):
        assert client.get(url).status_code == 200, url
    shipment = Shipment.objects.filter(upload=upload).first()
    assert client.get(f"/shipments/{shipment.pk}/").status_code == 200
    client.force_login(outsider)
    for url in (f"/uploads/{upload.pk}/", f"/uploads/{upload.pk}/progress/", f"/uploads/{upload.pk}/errors/",
                f"/shipments/{shipment.pk}/"):
        assert client.get(url).status_code == 404, url
    assert shipment.hawb not in client.get("/shipments/").content.decode()


def test_the_broker_sees_its_clients_shipments_but_not_their_upload_pages(client, owner, broker_user, other_broker_user, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    shipment = Shipment.objects.filter(upload=upload).first()
    client.force_login(broker_user)
    assert client.get(f"/shipments/{shipment.pk}/").status_code == 200
    assert client.get(f"/uploads/{upload.pk}/").status_code == 404
    assert client.get("/uploads/new/").status_code == 403
    client.force_login(other_broker_user)
    assert client.get(f"/shipments/{shipment.pk}/").status_code == 404


def test_the_error_file_has_the_failed_rows_an_errors_column_and_the_original_shape(client, owner, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file, "sample_chinese_gb18030.csv")
    response = client.get(f"/uploads/{upload.pk}/errors/")
    assert response["Content-Type"] == "text/csv; charset=gb18030"
    rows = list(csv.reader(io.StringIO(response.content.decode("gb18030"))))
    assert rows[0][0] == "主单号" and rows[0][-1] == "errors"
    assert len(rows) == 1 + upload.rows_invalid
    assert any("R_ZIP 邮编:" in row[-1] for row in rows[1:])  # the column named as the file names it
    assert not any("consignee_zip" in row[-1] for row in rows[1:])


def test_a_file_refused_as_a_whole_stores_nothing_and_says_why(client, owner, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file, "notes.csv", data=b"%PDF-1.4 not a manifest")
    upload.refresh_from_db()
    assert upload.state == "failed"
    assert not Shipment.objects.filter(upload=upload).exists()
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "F_NOT_TABULAR" in page and "nothing from it was stored" in page
    page = client.get(f"/uploads/{upload.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "This is not a CSV text file" not in page  # the reason in the reader's language, not the uploader's
    uploaded(client, upload_file)
    again = uploaded(client, upload_file, "sample_small.xls", data=sample("sample_small.csv"))  # the same bytes, refused as .xls
    page = client.get(f"/uploads/{again.pk}/").content.decode()
    assert "already uploaded" in page and "R_HAWB_EXISTS" not in page  # no rows were read: none can be on the portal


def test_an_oversized_file_is_refused_on_the_form_and_nothing_is_stored(client, owner, upload_file, settings):
    settings.MANIFEST_MAX_BYTES = 2048
    client.force_login(owner)
    response = upload_file(client, "big.csv", data=b"mawb,hawb\n" + b"1,2\n" * 4000)
    assert response.status_code == 400
    page = response.content.decode()
    assert "over the limit" in page and "This field is required" not in page  # one error: the reason
    assert not Upload.objects.exists()


def test_the_same_file_uploaded_twice_is_recognised(client, owner, upload_file):
    client.force_login(owner)
    first = uploaded(client, upload_file)
    second = uploaded(client, upload_file)
    second.refresh_from_db()
    assert second.duplicate_of_id == first.pk
    assert second.rows_valid == 0
    page = client.get(f"/uploads/{second.pk}/").content.decode()
    assert "already uploaded" in page and "R_HAWB_EXISTS" in page


@pytest.mark.parametrize(("language", "first_header"), [("en", "mawb"), ("zh", "主单号")])
def test_the_templates_have_english_or_chinese_headers_that_the_portal_reads(client, owner, language, first_header):
    from shipments.ingest.reader import read_table

    client.force_login(owner)
    response = client.get(f"/manifests/template-{language}.csv")
    assert response.status_code == 200
    content = response.content
    assert content.decode("utf-8-sig").splitlines()[0].split(",")[0] == first_header
    table = read_table(content, filename="t.csv", max_bytes=10**6, max_records=10)
    assert len(table.columns) == 27 and not table.warnings


def test_an_unknown_template_language_is_404(client, owner):
    client.force_login(owner)
    assert client.get("/manifests/template-fr.csv").status_code == 404


def test_the_help_page_lists_every_column_and_every_code(client, owner):
    from shipments.ingest.columns import COLUMNS

    client.force_login(owner)
    page = client.get("/manifests/help/").content.decode()
    for code in CODES:
        assert f'id="{code}"' in page, code
    for column in COLUMNS:
        assert column.name in page
        for alias in column.aliases:
            assert alias in page


def test_the_shipment_page_explains_the_decision(client, owner, upload_file):
    client.force_login(owner)
    uploaded(client, upload_file, "sample_edge.csv")
    shipment = Shipment.objects.get(hawb="SE0023")
    page = client.get(f"/shipments/{shipment.pk}/").content.decode()
    assert "DM_AGGREGATE_OVER" in page
    assert "worth more than $800 together" in page
    assert "Accepted from sample_edge.csv, row 27" in page
    assert "Customs: Received" in page  # the timeline names states in words, not codes


def test_the_timeline_names_states_in_the_readers_language(client, owner, upload_file):
    client.force_login(owner)
    uploaded(client, upload_file, "sample_edge.csv")
    shipment = Shipment.objects.get(hawb="SE0023")
    page = client.get(f"/shipments/{shipment.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ": received" not in page and "海关: 已接收" in page
    assert "此货物已从货代的舱单中接收，等待报关行审核。" in page  # what happened, in plain words of the reader's language
    assert 'lang="en">Accepted from sample_edge.csv, row 27<' in page  # and the record as stored, beside it


def test_the_shipment_list_finds_a_parcel_by_hawb_or_mawb(client, owner, upload_file):
    client.force_login(owner)
    uploaded(client, upload_file)
    assert "SM00000002" in client.get("/shipments/?q=sm00000002").content.decode()
    page = client.get("/shipments/?q=160-38747531").content.decode()
    assert "SM00000002" in page and "SM00000060" not in page


def test_the_shipment_list_shows_mawbs_as_printed_on_the_air_waybill(client, owner, upload_file):
    client.force_login(owner)
    uploaded(client, upload_file)
    page = client.get("/shipments/?q=SM00000002").content.decode()
    assert '<td class="mono text-nowrap">160-38747531</td>' in page  # never broken at its dash


def test_a_list_narrowed_to_an_upload_names_the_upload_and_leads_back_to_every_shipment(client, owner, colleague, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    client.force_login(colleague)
    page = client.get(f"/shipments/?upload={upload.pk}&status=received").content.decode()
    assert "From the upload sample_small.csv: 35 shipments accepted" in page
    assert 'href="?status=received" title="Show every upload"' in page  # the other filters stay


def test_a_list_narrowed_to_a_mawb_names_it(client, owner, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    manifest = Shipment.objects.filter(upload=upload).first().manifest
    page = client.get(f"/shipments/?manifest={manifest.pk}").content.decode()
    assert f"MAWB {manifest.mawb[:3]}-{manifest.mawb[3:]}" in page and 'title="Show every MAWB"' in page


def test_an_outsider_narrowing_to_another_forwarders_upload_learns_nothing_of_it(client, owner, outsider, upload_file):
    client.force_login(owner)
    upload = uploaded(client, upload_file)
    client.force_login(outsider)
    page = client.get(f"/shipments/?upload={upload.pk}").content.decode()
    assert "From an upload you cannot see" in page and "sample_small.csv" not in page
    assert "0 shipments" in page


def test_the_shipment_list_counts_up_to_a_cap_and_then_says_more_than(client, owner, upload_file, monkeypatch):
    from calista.paging import CappedPaginator

    client.force_login(owner)
    uploaded(client, upload_file)  # 35 shipments
    page = client.get("/shipments/").content.decode()
    assert "35 shipments" in page and "More than" not in page
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    page = client.get("/shipments/").content.decode()
    assert "More than 30 shipments: filter to narrow the list." in page
    assert page.count('href="/shipments/') - page.count('href="/shipments/?') >= 30  # the first page is whole


def test_a_title_above_the_column_names_is_pointed_out(client, owner, upload_file):
    client.force_login(owner)
    content = sample("sample_small.csv").decode()
    upload = uploaded(client, upload_file, "titled.csv", data=("深圳快递物流 舱单 2026-11-28\n" + content).encode())
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "F_MISSING_COLUMNS" in page and "mawb (主单号)" in page  # the columns in the words of the Chinese template too
    assert "was read as the column names: “深圳快递物流 舱单 2026-11-28”" in page
