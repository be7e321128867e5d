"""A worker killed in the middle of a long hand-off file: after recovery every parcel is handed off exactly once."""

import os
import signal
from datetime import timedelta

from cfs.models import Carrier, Handoff, HandoffBatch
from cfs.services import handoff_batch_create, handoff_batches_recover
from shipments.models import Shipment, ShipmentEvent
from tests.factories import manifest_for
from tests.workers import wait_for


def released_parcels(manifest, count):
    fields = dict(origin_airport="HKG", destination_airport="LAX", flight_number="CX880", arrival_date=manifest.arrival_date,
                  shipper_name="S", shipper_address="A", shipper_country="HK", consignee_name="C", consignee_address1="A",
                  consignee_city="X", consignee_state="CA", consignee_zip="90210", description="Phone case",
                  hts_code="3926909985", country_of_origin="VN", pieces=1, weight_kg=1, weight_original="1 K", value_usd=10,
                  consignee_key="k", entry_type="11", status="released", custody="broken_down")
    Shipment.objects.bulk_create([Shipment(manifest=manifest, forwarder=manifest.forwarder, broker=manifest.broker,
                                           cfs=manifest.cfs, mawb=manifest.mawb, hawb=f"K{n:06d}", **fields) for n in range(count)])
    return Shipment.objects.filter(manifest=manifest).order_by("hawb")


def test_a_worker_killed_mid_hand_off_is_replaced_and_every_parcel_is_handed_off_once(worker_with, forwarder_org, cfs_org,
                                                                                     cfs_user):
    manifest = manifest_for(forwarder_org, cfs=cfs_org, custody="broken_down")
    parcels = list(released_parcels(manifest, 400))
    carrier = Carrier.objects.create(cfs=cfs_org, code="slow", name="Slow", tracking_pattern="")
    lines = ["hawb,carrier,tracking"] + [f"{p.hawb},slow,SLOW{n:08d}" for n, p in enumerate(parcels)]
    first = worker_with()
    batch = handoff_batch_create(cfs=cfs_org, user=cfs_user, content="\n".join(lines).encode())  # queues its one message
    wait_for(lambda: Handoff.objects.filter(carrier=carrier).count() >= 40, timeout=120, interval=0.05,
             what="the batch to be under way")
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    cut = Handoff.objects.filter(carrier=carrier).count()
    assert 0 < cut < 400 and HandoffBatch.objects.get(pk=batch.pk).state != "done"

    worker_with()
    assert handoff_batches_recover(older_than=timedelta(0)) == [batch.pk]
    wait_for(lambda: HandoffBatch.objects.get(pk=batch.pk).state == "done", timeout=180, what="the batch to finish")
    batch.refresh_from_db()
    assert batch.handed_off == 400 and batch.refused == 0, sorted({line["refusal"] for line in batch.report if not line["ok"]})
    assert Handoff.objects.filter(carrier=carrier).count() == 400
    assert set(Shipment.objects.filter(manifest=manifest).values_list("custody", flat=True)) == {"handed_off"}
    events = ShipmentEvent.objects.filter(shipment__manifest=manifest, to_state="handed_off")
    assert events.count() == 400  # one hand-off event per parcel: nothing done twice
