"""A station's world: MAWBs with a permit to transfer to the CFS, parcels released or held, and the people who look at them.

For CFS pages the three people are the station's administrator (`cfs_user`, the owner),
another member of the same station (`cfs_colleague`) and the other airport's station
(`other_cfs_user`, the outsider).
"""

from datetime import date

import pytest
from django.db.models import F
from django.utils import timezone

from cfs import services
from customs.models import Hold
from shipments import lifecycle
from shipments.models import Shipment
from tests.factories import UserFactory, manifest_for, member, shipment_for


@pytest.fixture
def cfs_colleague(cfs_org):
    return member(UserFactory(username="cfs-colleague"), cfs_org, "member")


def mawb_at(forwarder, cfs, *, mawb="16012345675", hawbs=("H0001", "H0002", "H0003"), arrival_date: date | None = None,
            arrived=True, arrived_on: date | None = None, permit=True):
    """A MAWB of `forwarder` for the station `cfs`, arrived at the terminal and (with permit) authorized for transfer to it.

    The flight lands on its scheduled date, or on `arrived_on` (early or late), as ACE's arrival notice says."""
    fields = {"arrival_date": arrival_date} if arrival_date else {}
    manifest = manifest_for(forwarder, mawb=mawb, airport=cfs.airport, cfs=cfs, pieces_expected=len(hawbs),
                            shipments_count=len(hawbs), **fields)
    for hawb in hawbs:
        shipment_for(manifest, hawb=hawb)
    if not arrived:
        return manifest
    lifecycle.manifests_arrived([manifest.pk], on=arrived_on or manifest.arrival_date)
    if permit:
        lifecycle.manifests_transfer_authorized([manifest.pk], firms_code=cfs.firms_code)
    return manifest


def parcel(manifest, hawb) -> Shipment:
    return manifest.shipments.get(hawb=hawb)


def release(*shipments):
    """CBP releases the parcels, the way the broker and ACE get them there."""
    ids = [s.pk for s in shipments]
    lifecycle.shipments_approve(ids, actor=lifecycle.SYSTEM)
    lifecycle.shipments_file({"BRK00000011": ids})
    lifecycle.ace_accepted(ids, message="accepted")
    lifecycle.ace_released(ids, message="1C released")


def hold(shipment, *, agency="FDA"):
    """A hold placed on an accepted parcel, as the customs side records it (status, the hold, the count of open holds)."""
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    lifecycle.shipments_file({"BRK00000029": [shipment.pk]})
    lifecycle.ace_accepted([shipment.pk], message="accepted")
    lifecycle.hold_placed([shipment.pk], message=f"{agency} hold")
    Hold.objects.create(shipment=shipment, agency=agency, code="H1", reason="Documents required", placed_at=timezone.now())
    Shipment.objects.filter(pk=shipment.pk).update(open_holds=F("open_holds") + 1)


def collect(cfs, user, *manifests):
    return services.manifests_collect_record(cfs=cfs, user=user, manifest_ids=[m.pk for m in manifests], driver="Jane Roe",
                                             truck="7ABC123", bonded_carrier="Pacific Bonded Trucking")


def receive(cfs, user, manifest, pieces=None, note=""):
    manifest.refresh_from_db()
    return services.manifest_arrival_record(cfs=cfs, user=user, manifest_id=manifest.pk,
                                            pieces_received=manifest.pieces_expected if pieces is None else pieces, note=note)


def broken_down(cfs, user, manifest):
    """Collected, received with every piece, and broken down by the station."""
    collect(cfs, user, manifest)
    receive(cfs, user, manifest)
    services.manifest_breakdown(cfs=cfs, user=user, manifest_id=manifest.pk)
    return manifest
