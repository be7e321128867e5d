"""The pipeline through real worker processes and the real broker (Redis and PostgreSQL in CI)."""

import os
import signal

from django.core.files.base import ContentFile
from django.db.models import Count

from customs.models import AceMessage, Entry, Hold, SimulatorEntry, Transmission
from customs.tasks import entries_build_task, transmissions_recover_task, transmissions_send_task
from shipments import lifecycle
from shipments.models import Shipment, Upload
from shipments.services import upload_create
from tests.shipments.conftest import sample
from tests.workers import wait_for

QUIET = {"ACE_DELAY_SECONDS": 0, "ACE_RATE_LIMIT_PER_HOUR": 0, "ACE_REJECT_RATE": 0, "ACE_EXAM_RATE": 0}


def uploaded(forwarder, name="sample_chinese_gb18030.csv", data=None):
    upload = upload_create(forwarder=forwarder, user=None, file=ContentFile(data or sample(name)), name=name)
    from shipments.tasks import manifest_ingest_task

    manifest_ingest_task.delay(upload.pk)
    wait_for(lambda: Upload.objects.get(pk=upload.pk).is_finished, timeout=90, what="the upload to be ingested")
    return Shipment.objects.filter(upload=upload)


def customs_steps(shipment):
    return list(shipment.events.filter(dimension="customs").order_by("at", "id").values_list("to_state", flat=True))


def test_a_manifest_goes_from_upload_to_released_and_a_hold_to_its_outcome(worker_with, forwarder_org, cfs_org, broker_user,
                                                                           broker_org):
    worker_with(**QUIET, ACE_HOLD_RATE=0.4, ACE_SEIZE_RATE=0)
    shipments = uploaded(forwarder_org)
    ids = list(shipments.values_list("id", flat=True))
    lifecycle.shipments_approve(ids, actor=lifecycle.Actor.of(broker_user, broker_org))
    entries_build_task.delay(broker_org.pk)
    wait_for(lambda: not shipments.exclude(status="released").exists(), timeout=120, what="every shipment to be released")

    held = Shipment.objects.filter(pk__in=Hold.objects.values("shipment_id"))
    assert held.exists() and shipments.exclude(pk__in=held).exists()
    for shipment in held:
        assert customs_steps(shipment) == ["received", "approved", "filed", "accepted", "on_hold", "accepted", "released"]
        hold = shipment.holds.get()
        assert hold.outcome == "released" and hold.removed_at and shipment.open_holds == 0
    for shipment in shipments.exclude(pk__in=held):
        assert customs_steps(shipment) == ["received", "approved", "filed", "accepted", "released"]
    lax = shipments.filter(destination_airport="LAX").first()
    assert list(lax.events.filter(dimension="custody").values_list("to_state", flat=True)) == ["at_terminal", "transfer_authorized"]
    assert all(e.actor == "ace" for e in lax.events.filter(to_state__in=["accepted", "released", "at_terminal"]))
    assert lax.events.get(to_state="approved").user == broker_user
    assert AceMessage.objects.filter(direction="in", kind="notice", codes__isnull=False).exists()


def test_a_worker_killed_in_the_middle_of_filing_files_every_shipment_exactly_once(worker_with, forwarder_org, broker_user,
                                                                                  broker_org):
    from shipments.generator import manifest_generate, write_manifest

    settings_env = {**QUIET, "ACE_HOLD_RATE": 0, "ACE_BATCH_SIZE": 40, "ACE_LATENCY_SECONDS": 0.5, "ACE_STALE_SECONDS": 3}
    first = worker_with(**settings_env)
    manifest = manifest_generate(rows=600, arrival=__import__("datetime").date(2026, 12, 1), seed=11)
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"kill-{os.getpid()}.csv")
    write_manifest(path, header=manifest.header, rows=manifest.rows)
    with open(path, "rb") as handle:
        shipments = uploaded(forwarder_org, "kill.csv", handle.read())
    ids = list(shipments.values_list("id", flat=True))
    lifecycle.shipments_approve(ids, actor=lifecycle.Actor.of(broker_user, broker_org))
    entries_build_task.delay(broker_org.pk)

    # Kill the worker while a batch is on its way to ACE and others are still waiting.
    wait_for(lambda: Transmission.objects.filter(state="sending").exists() and Transmission.objects.filter(state="done").exists(),
             timeout=120, what="a batch in flight after another was replied")
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    assert Transmission.objects.exclude(state="done").exists()

    worker_with(**settings_env)
    transmissions_recover_task.delay()
    transmissions_send_task.delay()

    def finished():
        if Transmission.objects.exclude(state="done").exists():
            transmissions_recover_task.delay()
            transmissions_send_task.delay()
            return False
        return True

    wait_for(finished, timeout=180, interval=2, what="every transmission to be replied")
    assert not AceMessage.objects.filter(kind="reply").values("entry").annotate(n=Count("id")).filter(n__gt=1).exists()
    entries = Entry.objects.all()
    assert Shipment.objects.filter(pk__in=ids, entry__isnull=True).count() == 0
    assert SimulatorEntry.objects.count() == entries.count()  # ACE got each entry once
    replies = AceMessage.objects.filter(kind="reply")
    assert replies.count() == entries.count()
    assert all("E03" not in codes for codes in replies.values_list("codes", flat=True))
    assert Transmission.objects.count() == entries.count()  # one transmission per entry, none repeated
    statuses = set(Shipment.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses <= {"accepted", "released"}, (statuses, list(replies.values_list("codes", flat=True))[:5])
    for shipment in Shipment.objects.filter(pk__in=ids)[:50]:
        assert customs_steps(shipment).count("filed") == 1
