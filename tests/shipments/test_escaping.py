"""Text from files is data, never markup or formulas: HTML is escaped on every page, formulas defused in every file out."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipments.errorfile import formula_safe
from shipments.models import Shipment, Upload

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HEADER = ("mawb,hawb,origin,destination,flight,arrival_date,shipper,shipper_address,shipper_country,consignee,consignee_address,"
          "consignee_city,state,zip,description,hts,coo,pieces,weight,value\n")


def post(client, content: str, name="x.csv", capture=None):
    with capture(execute=True):
        response = client.post("/uploads/new/", {"file": SimpleUploadedFile(name, content.encode())})
    return Upload.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def test_html_in_every_text_field_is_shown_escaped(client, owner, broker_user, django_capture_on_commit_callbacks):
    client.force_login(owner)
    row = (f'16012345675,HX1,HKG,LAX,CX880,2026-11-20,"{SCRIPT} Ltd","{SCRIPT} Rd",HK,"{SCRIPT}","1 {SCRIPT} St","{SCRIPT}",'
           f'CA,90210,"Phone case {SCRIPT}",3926909985,VN,1,0.5,25\n')
    bad = f'16012345675,HX2,HKG,LAX,CX880,2026-11-20,S,A,HK,"{SCRIPT}",A,C,CA,ABCDE,"{SCRIPT}",3926909985,VN,1,0.5,25\n'
    upload = post(client, HEADER + row + bad, capture=django_capture_on_commit_callbacks)
    shipment = Shipment.objects.get(hawb="HX1")
    assert shipment.consignee_name == SCRIPT  # stored as written
    pages = [f"/shipments/{shipment.pk}/", "/shipments/", f"/uploads/{upload.pk}/", "/shipments/?q=%3Cscript%3E"]
    for user in (owner, broker_user):
        client.force_login(user)
        for url in pages if user == owner else [f"/shipments/{shipment.pk}/", "/shipments/", "/customs/queue/"]:
            page = client.get(url).content.decode()
            assert SCRIPT not in page, url
    client.force_login(owner)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/shipments/{shipment.pk}/").content.decode()


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_a_cell_that_would_run_as_a_formula_is_defused(value):
    assert formula_safe(value) == "'" + value


def test_plain_cells_are_left_alone():
    assert formula_safe("Phone case") == "Phone case" and formula_safe("") == "" and formula_safe(None) == ""


@pytest.mark.parametrize("name", ["x.csv", "x.xlsx"])
def test_the_error_file_defuses_formulas_in_every_cell(client, owner, django_capture_on_commit_callbacks, name):
    client.force_login(owner)
    if name.endswith(".xlsx"):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(HEADER.strip().split(","))
        sheet.append(["16012345675", "HX3", "HKG", "LAX", "CX880", "2026-11-20", "=CMD()", "+A1", "HK", "@x", "-2", "C", "CA",
                      "ABCDE", "Phone case", "3926909985", "VN", "1", "0.5", "25"])
        for cell in sheet[2]:
            cell.data_type = "s"  # text cells that look like formulas, as a forwarder's Excel may hold
        buffer = io.BytesIO()
        book.save(buffer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/uploads/new/", {"file": SimpleUploadedFile(name, buffer.getvalue())})
        upload = Upload.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))
        content = client.get(f"/uploads/{upload.pk}/errors/").content
        cells = [c.value for c in openpyxl.load_workbook(io.BytesIO(content)).active[2]]
        types = [c.data_type for c in openpyxl.load_workbook(io.BytesIO(content)).active[2]]
        assert "f" not in types  # no cell is a formula
    else:
        row = "16012345675,HX3,HKG,LAX,CX880,2026-11-20,=CMD(),+A1,HK,@x,-2,C,CA,ABCDE,Phone case,3926909985,VN,1,0.5,25\n"
        upload = post(client, HEADER + row, capture=django_capture_on_commit_callbacks)
        content = client.get(f"/uploads/{upload.pk}/errors/").content.decode()
        cells = list(csv.reader(io.StringIO(content)))[1]
    assert cells[6:10] == ["'=CMD()", "'+A1", "HK", "'@x"] and cells[10] == "'-2"


@pytest.mark.parametrize("name", ["x.csv", "x.xlsx"])
def test_the_fixed_error_file_comes_back_without_the_portals_apostrophes(client, owner, django_capture_on_commit_callbacks, name):
    """The fix loop: download the error file, correct the bad cell, upload it; the defused cells are stored as first written."""
    client.force_login(owner)
    row = '16012345675,HX4,HKG,LAX,CX880,2026-11-20,+1+1,"-",HK,Ana Lopez,1 Main St,Fairview,CA,9021O,Phone case,3926909985,VN,1,0.5,25\n'
    upload = post(client, HEADER + row, capture=django_capture_on_commit_callbacks)
    content = client.get(f"/uploads/{upload.pk}/errors/").content
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[1][6:8] == ["'+1+1", "'-"]  # defused in the error file
    fixed = [cells[:-1] for cells in rows]  # the forwarder fixes the ZIP and uploads the rows again, errors column and all
    fixed[1][13] = "90210"
    if name.endswith(".xlsx"):
        book = openpyxl.Workbook()
        for cells in fixed:
            book.active.append(cells)
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    else:
        out = io.StringIO()
        csv.writer(out).writerows(fixed)
        data = out.getvalue().encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/uploads/new/", {"file": SimpleUploadedFile(name, data)})
    shipment = Shipment.objects.get(hawb="HX4")
    assert (shipment.shipper_name, shipment.shipper_address) == ("+1+1", "-")
