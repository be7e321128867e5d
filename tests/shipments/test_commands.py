"""The command line: validate_manifest (manifest-csv.md §8) and import_manifest, which prints the same report."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shipments.ingest.pipeline import manifest_evaluate, manifest_report
from shipments.models import CustomsStatus, Shipment, Upload
from tests.shipments.manifests import ALL_COLUMNS, TODAY, full_row, manifest_bytes

pytestmark = pytest.mark.django_db

AS_OF = TODAY.isoformat()  # 2026-11-27; the base row arrives on 2026-12-02


def run(command: str, path: Path, *args: str) -> tuple[dict, int]:
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(command, str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue()), exited.value.code


def validate(path: Path, *args: str, as_of: str = AS_OF) -> tuple[dict, int]:
    return run("validate_manifest", path, "--as-of", as_of, *args)


def import_(path: Path, *args: str, org: str = "fwd-a", as_of: str = AS_OF) -> tuple[dict, int]:
    return run("import_manifest", path, "--org", org, "--as-of", as_of, *args)


def write(tmp_path: Path, data: bytes, name: str = "manifest.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def codes(row: dict) -> set[tuple[str, str]]:
    return {(error["code"], error["column"]) for error in row["errors"]}


# ---------------------------------------------------------------------------------------------------------------
# validate_manifest: exit codes and options


def test_validate_manifest_exits_0_when_every_row_is_valid(tmp_path):
    report, code = validate(write(tmp_path, manifest_bytes([{}, {}])))
    assert code == 0
    assert report["file"]["errors"] == []
    assert report["summary"] == {"rows": 2, "valid": 2, "invalid": 0, "entry_types": {"11": 2}}
    assert [row["valid"] for row in report["rows"]] == [True, True]


def test_validate_manifest_exits_1_when_some_rows_are_invalid(tmp_path):
    report, code = validate(write(tmp_path, manifest_bytes([{}, {"consignee_zip": "2134-5678"}, {}])))
    assert code == 1
    assert report["summary"]["rows"] == 3
    assert report["summary"]["valid"] == 2 and report["summary"]["invalid"] == 1
    bad = report["rows"][1]
    assert bad["row"] == 3 and bad["valid"] is False
    assert bad["errors"] == [{"code": "R_ZIP", "column": "consignee_zip", "message": bad["errors"][0]["message"]}]
    assert bad["errors"][0]["message"]


def test_validate_manifest_exits_1_when_every_row_is_invalid(tmp_path):
    _, code = validate(write(tmp_path, manifest_bytes([{"pieces": "0"}])))
    assert code == 1


def test_validate_manifest_exits_2_on_a_file_level_error_and_lists_no_rows(tmp_path):
    data = manifest_bytes(columns=[name for name in ALL_COLUMNS if name not in ("hawb", "value")])
    report, code = validate(write(tmp_path, data))
    assert code == 2
    assert report["rows"] == []
    assert report["summary"] == {"rows": 0, "valid": 0, "invalid": 0, "entry_types": {}}
    (error,) = report["file"]["errors"]
    assert error["code"] == "F_MISSING_COLUMNS"
    assert sorted(error["columns"]) == ["hawb", "value"]
    assert error["message"]


def test_validate_manifest_exits_2_on_a_file_that_is_not_tabular(tmp_path):
    report, code = validate(write(tmp_path, b"%PDF-1.4\n" + manifest_bytes()))
    assert code == 2
    assert [e["code"] for e in report["file"]["errors"]] == ["F_NOT_TABULAR"]


def test_validate_manifest_reads_an_xlsx_file(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(list(ALL_COLUMNS))
    workbook.active.append(list(full_row().values()))
    path = tmp_path / "manifest.xlsx"
    workbook.save(path)
    report, code = validate(path)
    assert code == 0
    assert report["file"]["encoding"] is None or report["file"]["encoding"] == ""
    assert report["summary"]["valid"] == 1


def test_the_encoding_option_reads_the_text_in_that_encoding(tmp_path):
    path = write(tmp_path, manifest_bytes([{"shipper_name": "Café Zoë"}], encoding="latin-1"))
    report, code = validate(path, "--encoding", "latin-1")
    assert code == 0
    assert report["file"]["encoding"] == "iso8859-1"


def test_without_the_encoding_option_latin_1_bytes_are_F_ENCODING(tmp_path):
    path = write(tmp_path, manifest_bytes([{"shipper_name": "Café Zoë"}], encoding="latin-1"))
    report, code = validate(path)
    assert code == 2
    assert [e["code"] for e in report["file"]["errors"]] == ["F_ENCODING"]


def test_an_unknown_encoding_option_is_F_ENCODING(tmp_path):
    report, code = validate(write(tmp_path, manifest_bytes()), "--encoding", "klingon")
    assert code == 2
    assert [e["code"] for e in report["file"]["errors"]] == ["F_ENCODING"]


def test_an_encoding_option_that_is_not_a_text_encoding_is_F_ENCODING(tmp_path):
    report, code = validate(write(tmp_path, manifest_bytes()), "--encoding", "base64")
    assert code == 2
    assert [e["code"] for e in report["file"]["errors"]] == ["F_ENCODING"]


def test_the_as_of_option_is_today_for_the_date_check(tmp_path):
    path = write(tmp_path, manifest_bytes())  # arrives 2026-12-02
    assert validate(path, as_of="2025-12-02")[1] == 0  # exactly 365 days ahead
    report, code = validate(path, as_of="2025-12-01")  # 366 days ahead
    assert code == 1
    assert codes(report["rows"][0]) == {("R_DATE", "arrival_date")}


@pytest.mark.parametrize("as_of", ["27/11/2026", "2026-13-01", "tomorrow", "2026-11-31"])
def test_an_as_of_that_is_not_a_date_is_refused(tmp_path, as_of):
    path = write(tmp_path, manifest_bytes())
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("validate_manifest", str(path), "--json", "--as-of", as_of, stdout=out)
    assert out.getvalue() == ""


def test_a_path_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(CommandError):
        call_command("validate_manifest", str(tmp_path / "nothing.csv"), "--json", stdout=StringIO())


def test_validate_manifest_stores_nothing(tmp_path):
    _, code = validate(write(tmp_path, manifest_bytes([{}, {"pieces": "0"}])))
    assert code == 1
    assert Shipment.objects.count() == 0
    assert Upload.objects.count() == 0


def test_the_byte_limit_is_a_setting(tmp_path, settings):
    settings.MANIFEST_MAX_BYTES = 1024
    data = manifest_bytes([{}] * 5)
    assert len(data) > 1024
    report, code = validate(write(tmp_path, data))
    assert code == 2
    assert [e["code"] for e in report["file"]["errors"]] == ["F_TOO_LARGE"]
    assert report["rows"] == []


def test_the_record_limit_is_a_setting(tmp_path, settings):
    settings.MANIFEST_MAX_RECORDS = 2
    assert validate(write(tmp_path, manifest_bytes([{}, {}])))[1] == 0
    report, code = validate(write(tmp_path, manifest_bytes([{}, {}, {}])))
    assert code == 2
    assert [e["code"] for e in report["file"]["errors"]] == ["F_TOO_LARGE"]


def test_the_default_limits_are_50_mib_and_200000_records():
    from django.conf import settings

    assert settings.MANIFEST_MAX_BYTES == 50 * 1024 * 1024
    assert settings.MANIFEST_MAX_RECORDS == 200_000


def test_the_served_airports_are_a_setting(tmp_path, settings):
    settings.SERVED_AIRPORTS = ["ORD"]
    report, code = validate(write(tmp_path, manifest_bytes([{}, {"destination_airport": "ORD", "mawb": "99975082033"}])))
    assert code == 1
    assert codes(report["rows"][0]) == {("R_AIRPORT", "destination_airport")}
    assert report["rows"][1]["valid"] is True


def test_the_vague_terms_come_from_the_portals_table(tmp_path):
    report, _ = validate(write(tmp_path, manifest_bytes([{"description": "Spare  Parts"}, {"description": "daily use"}])))
    assert [codes(row) for row in report["rows"]] == [{("R_DESCRIPTION_VAGUE", "description")}] * 2


# ---------------------------------------------------------------------------------------------------------------
# §8 the document


def evaluate(data: bytes, filename: str = "manifest.csv"):
    evaluation = manifest_evaluate(data, filename=filename, today=TODAY)
    return evaluation, manifest_report(evaluation)


def test_the_report_describes_the_file():
    header = ["MAWB No"] + list(ALL_COLUMNS[1:]) + ["  remark "]
    data = manifest_bytes([list(full_row().values()) + ["fragile"]], header=header, delimiter=";")
    _, report = evaluate(data)
    file = report["file"]
    assert file["encoding"] == "utf-8"
    assert file["delimiter"] == ";"
    assert file["records"] == 1
    assert file["columns"]["mawb"] == "MAWB No"
    assert file["columns"]["hawb"] == "hawb"
    assert file["errors"] == []
    assert file["warnings"] == [{"code": "W_UNKNOWN_COLUMN", "column": "remark"}]


def test_the_report_lists_every_non_blank_record_in_file_order_with_its_row_number():
    text = manifest_bytes([{}, {"pieces": "0"}, {}]).decode().split("\r\n")
    data = "\r\n".join([text[0], text[1], "", ",,,", text[2], text[3]]).encode()
    _, report = evaluate(data)
    assert [row["row"] for row in report["rows"]] == [2, 5, 6]
    assert [row["hawb"] for row in report["rows"]] == ["HK0001", "HK0002", "HK0003"]
    assert report["file"]["records"] == report["summary"]["rows"] == 3


def test_the_report_gives_the_mawb_as_11_digits_and_the_hawb_upper_cased_where_they_are_well_formed():
    _, report = evaluate(manifest_bytes([{"mawb": "160-1234 5675", "hawb": "hk0001"}]))
    row = report["rows"][0]
    assert (row["mawb"], row["hawb"]) == ("16012345675", "HK0001")


def test_the_report_gives_malformed_mawb_and_hawb_as_trimmed_text():
    _, report = evaluate(manifest_bytes([{"mawb": "  160-1234 ", "hawb": " hk-0001\u00a0"}]))
    row = report["rows"][0]
    assert (row["mawb"], row["hawb"]) == ("160-1234", "hk-0001")


def test_an_11_digit_mawb_with_a_wrong_check_digit_is_still_given_as_its_11_digits():
    _, report = evaluate(manifest_bytes([{"mawb": "160-12345670"}]))
    assert report["rows"][0]["mawb"] == "16012345670"


def test_invalid_rows_have_no_entry_type_reasons_or_pga():
    _, report = evaluate(manifest_bytes([{"hts_code": "0902.10.0000", "pieces": "0"}]))
    row = report["rows"][0]
    assert row["valid"] is False
    assert (row["entry_type"], row["reasons"], row["pga"]) == (None, [], [])


def test_valid_rows_have_an_entry_type_and_reasons():
    _, report = evaluate(manifest_bytes([{"hts_code": "0902.10.0000"}]))
    row = report["rows"][0]
    assert row["valid"] is True and row["errors"] == [] and row["warnings"] == []
    assert row["entry_type"] == "11"
    assert row["reasons"] == ["DM_SUSPENDED"]
    assert row["pga"] == ["FDA"]


def test_row_warnings_are_listed_with_their_column():
    _, report = evaluate(manifest_bytes([{"consignee_zip": "2134", "pieces": "0"}]))
    assert report["rows"][0]["warnings"] == [{"code": "W_ZIP_PADDED", "column": "consignee_zip"}]


def test_the_summary_counts_the_entry_types_of_valid_rows_only():
    rows = [{}, {"arrival_date": "2025-02-11", "mawb": "99975082033", "country_of_origin": "VN"}, {"pieces": "0"}]
    evaluation, report = evaluate(manifest_bytes(rows))
    assert report["summary"]["entry_types"] == {"11": 1, "86": 1}
    assert sum(report["summary"]["entry_types"].values()) == report["summary"]["valid"] == 2
    assert evaluation.exit_code == 1


def test_a_file_level_error_leaves_rows_empty_and_keeps_the_unknown_column_warnings():
    evaluation, report = evaluate(b"remark,mawb\r\n1,2\r\n")
    assert evaluation.exit_code == 2
    assert report["rows"] == []
    assert [e["code"] for e in report["file"]["errors"]] == ["F_MISSING_COLUMNS"]
    assert report["file"]["warnings"] == [{"code": "W_UNKNOWN_COLUMN", "column": "remark"}]


def test_a_file_level_error_still_describes_what_was_read_of_the_file():
    data = manifest_bytes(columns=[name for name in ALL_COLUMNS if name != "value"], delimiter=";")
    _, report = evaluate(data)
    file = report["file"]
    assert [e["code"] for e in file["errors"]] == ["F_MISSING_COLUMNS"]
    assert (file["encoding"], file["delimiter"], file["records"]) == ("utf-8", ";", 1)
    assert file["columns"]["mawb"] == "mawb" and "value" not in file["columns"]


def test_duplicate_columns_are_reported_with_canonical_names_in_columns():
    header = list(ALL_COLUMNS) + ["Master AWB"]
    _, report = evaluate(manifest_bytes([list(full_row().values()) + ["1"]], header=header))
    (error,) = report["file"]["errors"]
    assert error["code"] == "F_DUPLICATE_COLUMNS"
    assert error["columns"] == ["mawb"]
    assert "Master AWB" in error["message"]


def test_the_report_is_json():
    _, report = evaluate(manifest_bytes([{}, {"pieces": "0"}]))
    assert json.loads(json.dumps(report)) == report


# ---------------------------------------------------------------------------------------------------------------
# R_HAWB_EXISTS against the portal


def test_rows_the_portal_already_holds_get_R_HAWB_EXISTS(tmp_path, forwarder_org):
    path = write(tmp_path, manifest_bytes([{}, {}]))
    assert import_(path)[1] == 0
    again = write(tmp_path, manifest_bytes([{}, {}, {}]), "again.csv")
    report, code = validate(again)
    assert code == 1
    assert [codes(row) for row in report["rows"]] == [{("R_HAWB_EXISTS", "hawb")}, {("R_HAWB_EXISTS", "hawb")}, set()]


def test_a_pair_is_matched_however_the_file_writes_it(tmp_path, forwarder_org):
    assert import_(write(tmp_path, manifest_bytes()))[1] == 0
    report, code = validate(write(tmp_path, manifest_bytes([{"mawb": "160-1234 5675", "hawb": "hk0001"}]), "again.csv"))
    assert code == 1
    assert codes(report["rows"][0]) == {("R_HAWB_EXISTS", "hawb")}


def test_cancelled_shipments_do_not_count_as_held(tmp_path, forwarder_org):
    path = write(tmp_path, manifest_bytes())
    assert import_(path)[1] == 0
    Shipment.objects.update(status=CustomsStatus.CANCELLED)
    assert validate(path)[1] == 0


def test_shipments_held_for_another_forwarder_count_as_held(tmp_path, forwarder_org, other_forwarder_org):
    path = write(tmp_path, manifest_bytes())
    assert import_(path, org="fwd-b")[1] == 0
    report, code = import_(write(tmp_path, manifest_bytes(), "mine.csv"))
    assert code == 1
    assert codes(report["rows"][0]) == {("R_HAWB_EXISTS", "hawb")}


# ---------------------------------------------------------------------------------------------------------------
# import_manifest


def test_import_manifest_prints_the_report_validate_manifest_prints(tmp_path, forwarder_org):
    path = write(tmp_path, manifest_bytes([{}, {"value": "12,50"}, {"consignee_zip": "2134"}]))
    before, code_before = validate(path)
    report, code = import_(path)
    assert (report, code) == (before, code_before)
    assert code == 1


def test_import_manifest_stores_the_valid_rows_only(tmp_path, forwarder_org):
    rows = [{"mawb": "160-1234 5675", "hawb": "hk0001", "consignee_zip": "2134", "weight": "10", "weight_unit": "lbs",
             "value": "$1,234.50"}, {"pieces": "0"}, {}]
    _, code = import_(write(tmp_path, manifest_bytes(rows)))
    assert code == 1
    stored = {s.hawb: s for s in Shipment.objects.all()}
    assert set(stored) == {"HK0001", "HK0003"}
    first = stored["HK0001"]
    assert first.forwarder == forwarder_org
    assert first.mawb == "16012345675"
    assert first.consignee_zip == "02134"
    assert first.hts_code == "3926909985"
    assert first.arrival_date.isoformat() == "2026-12-02"
    assert Decimal(first.weight_kg) == Decimal("4.536")
    assert Decimal(first.value_usd) == Decimal("1234.50")
    assert first.row == 2 and stored["HK0003"].row == 4


def test_import_manifest_stores_nothing_on_a_file_level_error(tmp_path, forwarder_org):
    data = manifest_bytes(columns=[name for name in ALL_COLUMNS if name != "value"])
    report, code = import_(write(tmp_path, data))
    assert code == 2
    assert report["rows"] == []
    assert Shipment.objects.count() == 0


def test_import_manifest_exits_0_when_every_row_is_stored(tmp_path, forwarder_org):
    report, code = import_(write(tmp_path, manifest_bytes([{}, {}])))
    assert code == 0
    assert report["summary"]["valid"] == 2
    assert Shipment.objects.count() == 2


def test_import_manifest_honours_the_encoding_and_as_of_options(tmp_path, forwarder_org):
    path = write(tmp_path, manifest_bytes([{"shipper_name": "Café"}], encoding="latin-1"))
    report, code = import_(path, "--encoding", "latin-1", as_of="2025-12-02")
    assert code == 0
    assert report["file"]["encoding"] == "iso8859-1"
    assert Shipment.objects.get().shipper_name == "Café"


def test_import_manifest_refuses_an_unknown_forwarder(tmp_path, forwarder_org):
    with pytest.raises(CommandError):
        call_command("import_manifest", str(write(tmp_path, manifest_bytes())), "--org", "nobody", "--json", stdout=StringIO())
    assert Shipment.objects.count() == 0


def test_import_manifest_refuses_an_organisation_that_is_not_a_forwarder(tmp_path, broker_org):
    with pytest.raises(CommandError):
        call_command("import_manifest", str(write(tmp_path, manifest_bytes())), "--org", "broker", "--json", stdout=StringIO())


def test_import_manifest_reports_a_new_hawb_of_a_held_mawb_as_validate_manifest_does(tmp_path, forwarder_org):
    """§8: the same file gives the same report. Our reading (README): rows added to a MAWB the portal
    already holds must agree with it on flight and date, checked alike by every entry point."""
    assert import_(write(tmp_path, manifest_bytes([{"hawb": "HK0001"}])))[1] == 0
    later = write(tmp_path, manifest_bytes([{"hawb": "HK0002", "flight_number": "CX882"}]), "later.csv")
    before = validate(later)
    assert before[1] == 1
    assert before[0]["rows"][0]["errors"][0]["code"] == "R_MAWB_INCONSISTENT"
    assert import_(later) == before


@pytest.mark.parametrize("cells, field, stored", [
    ({"value": "1,000,000,000,000.00"}, "value_usd", Decimal("1000000000000.00")),
    ({"weight": "100000000000", "weight_unit": "K"}, "weight_kg", Decimal("100000000000.000")),
], ids=["value", "weight"])
def test_import_manifest_stores_a_large_amount_that_the_checks_accept(tmp_path, forwarder_org, cells, field, stored):
    """§4 sets no upper bound on value or weight; §4 partial acceptance: a valid row is stored, as written."""
    report, code = import_(write(tmp_path, manifest_bytes([cells])))
    assert code == 0 and report["rows"][0]["valid"] is True
    assert Shipment.objects.values_list(field, flat=True).get() == stored


def test_validate_manifest_on_a_fresh_checkout_sets_up_its_database_first(tmp_path):
    """As ../shared/tools/check-samples runs it: no `make run` before, no database yet."""
    import os
    import subprocess
    import sys

    from tests.shipments.conftest import SAMPLES

    root = Path(__file__).resolve().parents[2]
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="calista.settings", VAR_DIR=str(tmp_path), SECRET_KEY="x" * 60, HTTPS="0")
    done = subprocess.run([sys.executable, "manage.py", "validate_manifest", str(SAMPLES / "sample_small.csv"), "--json",
                           "--as-of", "2026-11-27"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # the sample has bad rows
    assert "not set up yet" in done.stderr
    assert json.loads(done.stdout)["summary"]["rows"] == 60


def test_a_file_is_checked_on_the_portals_day_whatever_zone_its_reader_is_shown(clock):
    import zoneinfo
    from datetime import UTC, datetime

    from django.utils import timezone

    clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))  # already 11 March at Kiritimati (UTC+14)
    data = manifest_bytes([{"arrival_date": "2027-03-11"}])  # a year and a day after the portal's 10 March
    worker = manifest_report(manifest_evaluate(data, filename="m.csv"))
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Kiritimati")):  # a page read on that island's clock
        page = manifest_report(manifest_evaluate(data, filename="m.csv"))
    assert page == worker and ("R_DATE", "arrival_date") in codes(worker["rows"][0])
