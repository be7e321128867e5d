"""Faults survived: a worker killed in the middle of an ingest loses nothing and stores nothing twice."""

import os
import signal
from datetime import timedelta

from django.core.files.base import ContentFile

from shipments.models import Shipment, ShipmentEvent, Upload
from shipments.progress import progress_get
from shipments.services import upload_create, uploads_recover
from shipments.tasks import manifest_ingest_task
from tests.workers import wait_for


def test_a_worker_killed_mid_ingest_is_replaced_and_the_file_is_stored_exactly_once(worker_with, forwarder_org, tmp_path):
    from datetime import date

    from shipments.generator import manifest_generate, write_manifest

    manifest = manifest_generate(rows=20_000, arrival=date(2026, 12, 1), seed=5, defects=0.02)
    path = tmp_path / "big.csv"
    write_manifest(path, header=manifest.header, rows=manifest.rows)
    first = worker_with()
    upload = upload_create(forwarder=forwarder_org, user=None, file=ContentFile(path.read_bytes()), name="big.csv",
                           queue=False)
    manifest_ingest_task.delay(upload.pk)  # one message: a second would let the new worker take the file before recovery

    wait_for(lambda: progress_get("upload", upload.pk).get("phase") in ("check", "store"), timeout=120, interval=0.05,
             what="the ingest to be under way")
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    assert not Upload.objects.get(pk=upload.pk).is_finished
    assert not Shipment.objects.filter(upload=upload).exists()  # nothing half-stored

    worker_with()
    assert uploads_recover(older_than=timedelta(0)) == [upload.pk]
    wait_for(lambda: Upload.objects.get(pk=upload.pk).is_finished, timeout=180, what="the ingest to finish after recovery")
    upload.refresh_from_db()
    expected_valid = sum(1 for codes in manifest.codes if not codes)
    assert upload.state == "done" and upload.rows_valid == expected_valid
    assert Shipment.objects.filter(upload=upload).count() == expected_valid
    assert ShipmentEvent.objects.filter(shipment__upload=upload).count() == expected_valid
