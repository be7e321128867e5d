"""The consignee's totals count every forwarder's parcels (policy.md), but nothing a forwarder reads may reveal another
forwarder's parcels or values: the processing-fee estimate is this forwarder's share of its own entry (filing groups an
entry by forwarder, consignee and flight), never a share of a sum that includes other forwarders' values."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from shipments.models import Shipment
from shipments.services import manifest_ingest, upload_create
from tests.factories import manifest_for, shipment_for
from tests.shipments.manifests import manifest_bytes

pytestmark = pytest.mark.django_db

INFORMAL_FEE = Decimal("2.69")  # policy.json, FY2026: one informal entry's fee
ANA = hashlib.sha1(b"ANALOPEZ|4377MAPLEDR|90210", usedforsecurity=False).hexdigest()  # the base row's consignee (policy.consignee_keys)


def _theirs(other_forwarder_org, value="300.00"):
    """Another forwarder's parcel for the same person, on the same flight and day as the upload below."""
    manifest = manifest_for(other_forwarder_org, mawb="16012345686", flight_number="CX880", arrival_date=date(2026, 12, 2))
    return shipment_for(manifest, hawb="THEIRS1", value_usd=Decimal(value), consignee_key=ANA)


def _ingest(forwarder_org, owner, rows):
    upload = upload_create(forwarder=forwarder_org, user=owner, file=ContentFile(manifest_bytes(rows)), name="m.csv", queue=False)
    manifest_ingest(upload_id=upload.pk)
    return Shipment.objects.filter(upload=upload).order_by("hawb")


def test_an_uploading_forwarder_cannot_work_out_another_forwarders_value_from_its_fee_estimate(
        forwarder_org, other_forwarder_org, owner):
    _theirs(other_forwarder_org, value="300.00")
    mine = _ingest(forwarder_org, owner, [{"value": "100.00"}]).get()
    assert mine.entry_type == "11"
    # Its own entry holds only this parcel: the whole informal fee, as if the other forwarder's $300 were not there.
    assert mine.mpf_estimate_usd == INFORMAL_FEE


def test_the_fee_is_shared_among_the_forwarders_own_parcels_of_the_entry(forwarder_org, other_forwarder_org, owner):
    _theirs(other_forwarder_org, value="300.00")
    mine = list(_ingest(forwarder_org, owner, [{"value": "100.00"}, {"value": "300.00"}]))
    assert [s.mpf_estimate_usd for s in mine] == [Decimal("0.67"), Decimal("2.02")]  # 2.69 × 100/400 and × 300/400


def test_a_parcel_decided_again_keeps_a_fee_estimate_that_ignores_other_forwarders(forwarder_org, other_forwarder_org, owner,
                                                                                  broker_org, broker_user):
    from customs import review

    mine = _ingest(forwarder_org, owner, [{"value": "100.00"}]).get()
    _theirs(other_forwarder_org, value="300.00")
    review.shipment_correct(shipment_id=mine.pk, org=broker_org, user=broker_user, field="description", value="Silicone phone cover")
    mine.refresh_from_db()
    assert mine.mpf_estimate_usd == INFORMAL_FEE
