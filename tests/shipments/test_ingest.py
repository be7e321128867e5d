"""The ingest stores valid rows as shipments with their events, and nothing at all from a refused or failed file."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db.models import NOT_PROVIDED

from shipments import services
from shipments.models import Manifest, Shipment, ShipmentEvent, Upload, UploadRowError
from tests.shipments.conftest import sample

pytestmark = pytest.mark.django_db

HEADER = ("mawb,hawb,origin,destination,flight,arrival_date,shipper,shipper_address,shipper_country,consignee,"
          "consignee_address,consignee_city,state,zip,description,hts,coo,pieces,weight,value\n")


def row(hawb, *, mawb="16012345675", flight="CX880", day="2026-11-20", consignee="Ana Lopez", value="25.00", coo="VN",
        dest="LAX"):
    return (f"{mawb},{hawb},HKG,{dest},{flight},{day},Kowloon Gadget Supply Ltd,12 Nathan Road,HK,{consignee},"
            f"4377 Maple Dr,Fairview,CA,90210,Silicone phone case,3926909985,{coo},1,0.5,{value}\n")


def ingest(forwarder, name, data, user=None):
    upload = services.upload_create(forwarder=forwarder, user=user, file=ContentFile(data), name=name, queue=False)
    evaluation = services.manifest_ingest(upload_id=upload.pk, today=date(2026, 11, 27))
    upload.refresh_from_db()
    return upload, evaluation


def test_valid_rows_become_received_shipments_with_one_event_each(forwarder_org, owner):
    upload, _ = ingest(forwarder_org, "small.csv", sample("sample_small.csv"), user=owner)
    shipments = Shipment.objects.filter(upload=upload)
    assert upload.state == "done" and upload.rows_valid == 35 and upload.rows_invalid == 25
    assert shipments.count() == 35
    assert set(shipments.values_list("status", "custody").distinct()) == {("received", "awaiting_arrival")}
    events = ShipmentEvent.objects.filter(shipment__upload=upload)
    assert events.count() == 35
    event = events.first()
    assert (event.dimension, event.from_state, event.to_state, event.actor, event.user) == ("customs", "", "received", "user", owner)


def test_shipments_keep_normalised_values_and_the_original_text(forwarder_org):
    ingest(forwarder_org, "small.csv", sample("sample_small.csv"))
    shipment = Shipment.objects.get(hawb="SM00000002")
    assert shipment.mawb == "16038747531"  # written 160-38747531
    assert str(shipment.weight_kg) == "0.277"  # 0.61 LB
    assert shipment.weight_original == "0.61 LB"
    assert shipment.consignee_country == "US"  # written "us"
    assert shipment.original == {"mawb": "160-38747531", "arrival_date": "07JUN2025", "consignee_country": "us"}
    assert (shipment.entry_type, shipment.reasons, shipment.pga) == ("11", ["DM_ORIGIN_EXCLUDED"], ["FDA"])
    assert shipment.duty_estimate_usd is not None and shipment.mpf_estimate_usd is not None


def test_invalid_rows_are_kept_only_as_rows_to_fix(forwarder_org):
    upload, _ = ingest(forwarder_org, "small.csv", sample("sample_small.csv"))
    assert not Shipment.objects.filter(hawb="SM00000001").exists()
    failed = UploadRowError.objects.get(upload=upload, row=2)
    assert failed.codes == "R_CURRENCY" and failed.cells[1] == "SM00000001"


def test_each_mawb_becomes_a_manifest_with_the_forwarders_broker_and_the_airports_cfs(forwarder_org, broker_org, cfs_org):
    ingest(forwarder_org, "small.csv", sample("sample_small.csv"))
    atl = Manifest.objects.get(mawb="16038747531")
    assert atl.broker == broker_org and atl.cfs is None  # no CFS at ATL in this test
    jfk = Manifest.objects.get(mawb="99975082033")
    assert jfk.shipments_count == 4 and jfk.pieces_expected == 4
    ingest(forwarder_org, "lax.csv", (HEADER + row("LAX1", mawb="16012345675")).encode())
    assert Manifest.objects.get(mawb="16012345675").cfs == cfs_org


def test_a_file_level_error_stores_nothing(forwarder_org):
    upload, evaluation = ingest(forwarder_org, "x.csv", b"mawb,hawb\n1,2\n")
    assert upload.state == "failed" and evaluation.exit_code == 2
    assert upload.file_report["errors"][0]["code"] == "F_MISSING_COLUMNS"
    assert not Shipment.objects.exists() and not Manifest.objects.exists() and not UploadRowError.objects.exists()


def test_a_crash_in_the_middle_of_storing_stores_nothing(forwarder_org, monkeypatch):
    from shipments import bulk

    real = bulk.insert_table

    def fail_on_events(model, *args, **kwargs):
        if model is ShipmentEvent:  # the shipments are in; the events are not
            raise RuntimeError("disk full")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(services, "insert_table", fail_on_events)
    upload = services.upload_create(forwarder=forwarder_org, user=None, file=ContentFile(sample("sample_small.csv")),
                                    name="small.csv", queue=False)
    with pytest.raises(RuntimeError):
        services.manifest_ingest(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.state == "crashed" and "disk full" in upload.failure
    assert not Shipment.objects.exists() and not Manifest.objects.exists() and not UploadRowError.objects.exists()


def test_running_the_ingest_twice_stores_the_rows_once(forwarder_org):
    upload, _ = ingest(forwarder_org, "small.csv", sample("sample_small.csv"))
    assert services.manifest_ingest(upload_id=upload.pk) is None
    assert Shipment.objects.count() == 35


def test_an_interrupted_ingest_starts_over(forwarder_org):
    upload = services.upload_create(forwarder=forwarder_org, user=None, file=ContentFile(sample("sample_small.csv")),
                                    name="small.csv", queue=False)
    Upload.objects.filter(pk=upload.pk).update(state="processing")  # a worker died here
    services.manifest_ingest(upload_id=upload.pk)
    assert Shipment.objects.count() == 35


def test_the_same_file_twice_is_recognised_and_its_rows_exist_already(forwarder_org):
    first, _ = ingest(forwarder_org, "small.csv", sample("sample_small.csv"))
    second, evaluation = ingest(forwarder_org, "small-again.csv", sample("sample_small.csv"))
    assert second.duplicate_of == first
    assert second.rows_valid == 0 and Shipment.objects.count() == 35
    codes = {code for errors in evaluation.checked.errors for code, _ in errors}
    assert "R_HAWB_EXISTS" in codes


def test_a_cancelled_shipment_does_not_block_its_hawb(forwarder_org):
    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1")).encode())
    Shipment.objects.filter(hawb="AAA1").update(status="cancelled")
    upload, _ = ingest(forwarder_org, "b.csv", (HEADER + row("AAA1")).encode())
    assert upload.rows_valid == 1


def test_corrected_rows_join_the_same_mawb(forwarder_org):
    first, _ = ingest(forwarder_org, "a.csv", (HEADER + row("AAA1") + row("AAA2", value="12.5O")).encode())
    assert first.rows_invalid == 1
    ingest(forwarder_org, "fixed.csv", (HEADER + row("AAA2", value="12.50")).encode())
    manifest = Manifest.objects.get(mawb="16012345675")
    assert manifest.shipments.count() == 2 and manifest.shipments_count == 2


def test_rows_joining_a_mawb_already_at_the_terminal_start_their_general_order_clock_on_its_arrival_day(forwarder_org):
    from shipments import lifecycle

    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1")).encode())
    manifest = Manifest.objects.get(mawb="16012345675")
    lifecycle.manifests_arrived([manifest.pk], on=date(2026, 11, 18))  # two days before its scheduled date
    ingest(forwarder_org, "late.csv", (HEADER + row("AAA2")).encode())
    assert Shipment.objects.get(hawb="AAA2").custody == "at_terminal"
    assert set(manifest.shipments.values_list("arrived_on", flat=True)) == {date(2026, 11, 18)}


def test_rows_of_a_mawb_not_yet_arrived_have_no_arrival_day(forwarder_org):
    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1")).encode())
    assert Shipment.objects.get(hawb="AAA1").arrived_on is None and Manifest.objects.get().arrived_on is None


def test_rows_that_disagree_with_the_mawb_the_portal_holds_are_inconsistent(forwarder_org):
    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1", flight="CX880")).encode())
    upload, evaluation = ingest(forwarder_org, "b.csv", (HEADER + row("AAA2", flight="CX882")).encode())
    assert upload.rows_valid == 0
    assert evaluation.checked.errors[0] == [("R_MAWB_INCONSISTENT", "mawb")]


def test_the_day_total_counts_every_forwarders_parcels_and_refreshes_earlier_decisions(forwarder_org, other_forwarder_org):
    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1", value="500", day="2025-03-01")).encode())
    first = Shipment.objects.get(hawb="AAA1")
    assert first.entry_type == "86"
    ingest(other_forwarder_org, "b.csv", (HEADER + row("BBB1", mawb="16012345686", value="400", day="2025-03-01")).encode())
    second = Shipment.objects.get(hawb="BBB1")
    assert (second.entry_type, second.reasons) == ("11", ["DM_AGGREGATE_OVER"])
    first.refresh_from_db()
    assert (first.entry_type, first.reasons) == ("11", ["DM_AGGREGATE_OVER"])
    note = first.events.get(dimension="note")
    assert "Type 86 to Type 11" in note.message and "BBB1" not in note.message


def test_an_approved_shipment_not_yet_filed_is_decided_again_and_a_filed_one_keeps_its_entry(forwarder_org, other_forwarder_org):
    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1", value="500", day="2025-03-01")
                                    + row("AAA2", mawb="16012345690", value="300", day="2025-03-02")).encode())
    Shipment.objects.filter(hawb="AAA1").update(status="approved")
    Shipment.objects.filter(hawb="AAA2").update(status="filed")
    ingest(other_forwarder_org, "b.csv", (HEADER + row("BBB1", mawb="16012345686", value="400", day="2025-03-01")
                                          + row("BBB2", mawb="16012345701", value="600", day="2025-03-02")).encode())
    assert Shipment.objects.get(hawb="AAA1").entry_type == "11"  # approved, not in an entry: the entry goes as the law says
    filed = Shipment.objects.get(hawb="AAA2")
    assert filed.entry_type == "86" and filed.events.filter(message__contains="may need correcting").exists()


def test_a_real_worker_ingests_an_upload(worker, forwarder_org):
    from tests.workers import wait_for

    upload = services.upload_create(forwarder=forwarder_org, user=None, file=ContentFile(sample("sample_alias.xlsx")),
                                    name="sample_alias.xlsx")
    from shipments.tasks import manifest_ingest_task

    manifest_ingest_task.delay(upload.pk)
    wait_for(lambda: Upload.objects.get(pk=upload.pk).is_finished, timeout=60, what="the worker to finish the upload")
    upload.refresh_from_db()
    assert upload.state == "done" and upload.rows_valid == 39
    assert Shipment.objects.filter(upload=upload).count() == 39


def test_the_bulk_insert_sets_every_column_that_has_no_database_default(forwarder_org, monkeypatch):
    """COPY does not apply Django's defaults: every NOT NULL column must be in the table the ingest writes."""
    captured = {}
    real = services._shipments_table

    def spy(*args, **kwargs):
        captured["table"] = real(*args, **kwargs)
        return captured["table"]

    monkeypatch.setattr(services, "_shipments_table", spy)
    ingest(forwarder_org, "a.csv", (HEADER + row("AAA1")).encode())
    required = {f.attname for f in Shipment._meta.concrete_fields if not f.null and f.db_default is NOT_PROVIDED}
    assert required <= set(captured["table"].column_names), required - set(captured["table"].column_names)
