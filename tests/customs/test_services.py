"""Decisions decided again when a later upload changes a consignee's total for the day (policy.md, rule 5)."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Notification
from customs.services import decisions_refresh
from shipments.models import Shipment
from tests.customs.test_review import person
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db

DAY = date(2025, 6, 10)  # de minimis still open for Vietnamese goods


def parcel(forwarder, hawb, value, **fields):
    manifest = manifest_for(forwarder, mawb=fields.pop("mawb", "16012345675"), arrival_date=DAY)
    decision = {"entry_type": "86", "reasons": ["DM_ELIGIBLE"], **fields}
    return shipment_for(manifest, hawb=hawb, value_usd=Decimal(value), country_of_origin="VN", **person(), **decision)


def test_an_approved_parcel_not_yet_filed_loses_de_minimis_and_its_broker_is_told(forwarder_org, broker_user):
    first = parcel(forwarder_org, "AP1", "500.00", status="approved")
    parcel(forwarder_org, "AP2", "400.00", mawb="16012345686")  # a later upload, same person and day
    assert decisions_refresh(keys={first.consignee_key}, days={DAY}) == 2
    first.refresh_from_db()
    assert (first.status, first.entry_type, first.reasons) == ("approved", "11", ["DM_AGGREGATE_OVER"])
    assert "decided again after your approval" in Notification.objects.get(user=broker_user).message


def test_a_parcel_already_with_ace_keeps_its_entry_and_its_timeline_and_broker_are_told_once(forwarder_org, broker_user):
    filed = parcel(forwarder_org, "AP1", "500.00", status="accepted")
    parcel(forwarder_org, "AP2", "400.00", mawb="16012345686")
    decisions_refresh(keys={filed.consignee_key}, days={DAY})
    decisions_refresh(keys={filed.consignee_key}, days={DAY})  # another upload the same day: told once
    filed.refresh_from_db()
    assert (filed.status, filed.entry_type) == ("accepted", "86")
    assert filed.events.filter(message__contains="the Type 86 entry filed may need correcting").count() == 1
    assert Notification.objects.filter(user=broker_user, message__contains="may need correcting").count() == 1
    assert Shipment.objects.get(hawb="AP2").entry_type == "11"


def test_cancelling_a_parcel_gives_the_consignees_other_parcels_their_de_minimis_back(forwarder_org, owner, broker_org,
                                                                                      broker_user):
    from customs import review

    kept = parcel(forwarder_org, "CX1", "500.00", entry_type="11", reasons=["DM_AGGREGATE_OVER"])
    dropped = parcel(forwarder_org, "CX2", "400.00", mawb="16012345686", entry_type="11", reasons=["DM_AGGREGATE_OVER"])
    review.review_cancel(org=forwarder_org, user=owner, shipment_ids=[dropped.pk], reason="Parcel withdrawn")
    kept.refresh_from_db()
    assert (kept.entry_type, kept.reasons) == ("86", ["DM_ELIGIBLE"])


def test_a_parcel_that_joins_an_entry_whose_only_other_parcel_the_broker_rejected_shares_the_fee_with_it(
        forwarder_org, broker_user, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from shipments import lifecycle
    from tests.customs.test_estimates import ingest as ingest_rows
    from tests.customs.test_estimates import mpf, row

    ingest_rows(forwarder_org, row("H1", "10.00"))
    lifecycle.shipments_reject([Shipment.objects.get(hawb="H1").pk], actor=lifecycle.Actor.of(broker_user), reason="Check HTS")
    with django_capture_on_commit_callbacks(execute=True):  # the earlier parcel is shared again once the upload commits
        ingest_rows(forwarder_org, row("H2", "10.00"), name="more.csv")  # still one entry: a rejected parcel is to be filed
    assert sum(mpf("H1", "H2")) == Decimal("2.69")
    assert mpf("H1", "H2") == [Decimal("1.35"), Decimal("1.34")]


def test_a_later_parcel_that_leaves_the_decision_as_it_was_still_brings_the_consignees_totals_up_to_date(forwarder_org):
    first = parcel(forwarder_org, "TT1", "300.00", day_total_usd=Decimal("300.00"), conveyance_total_usd=Decimal("300.00"))
    parcel(forwarder_org, "TT2", "200.00", mawb="16012345686")  # a later upload, same flight: $500, still de minimis
    assert decisions_refresh(keys={first.consignee_key}, days={DAY}) == 0  # no decision changed: no note, no message
    first.refresh_from_db()
    assert (first.entry_type, first.day_total_usd, first.conveyance_total_usd) == ("86", Decimal("500.00"), Decimal("500.00"))
    assert not first.events.filter(message__contains="Entry decision changed").exists()
