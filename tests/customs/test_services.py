"""Decisions decided again when a later upload changes a consignee's total for the day (policy.md, rule 5)."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Notification
from customs.services import decisions_refresh
from shipments.models import Shipment
from tests.customs.test_regime import postgresql  # noqa: F401 - the postgresql fixture, used by usefixtures
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


def test_a_parcel_ace_rejected_and_waiting_to_be_filed_again_loses_de_minimis_and_its_broker_is_told(forwarder_org, broker_user):
    first = parcel(forwarder_org, "AR1", "500.00", status="ace_rejected")
    parcel(forwarder_org, "AR2", "400.00", mawb="16012345686")  # a later upload, same person and day
    decisions_refresh(keys={first.consignee_key}, days={DAY})
    first.refresh_from_db()
    assert (first.status, first.entry_type, first.reasons) == ("ace_rejected", "11", ["DM_AGGREGATE_OVER"])  # re-filed as 11
    assert "decided again after your approval" in Notification.objects.get(user=broker_user).message


# --- An entry built and not yet transmitted -------------------------------------------------------------------------


def later_upload(forwarder, hawb, value, *, mawb="16012345686"):
    """A file that adds a parcel for the consignee of estimates.row (Ana Lopez) on 10 June 2025, not yet ingested."""
    from django.core.files.base import ContentFile

    from shipments.services import upload_create
    from tests.customs.test_estimates import HEADER, row

    return upload_create(forwarder=forwarder, user=None, file=ContentFile((HEADER + row(hawb, value, mawb=mawb, day=str(DAY))).encode()),
                         name="later.csv", queue=False)


@pytest.fixture
def type_86_in_the_outbox(forwarder_org, broker_org, broker_user):
    """Ana Lopez's $500 parcel of 10 June 2025, Type 86, approved and built into an entry that waits to be transmitted."""
    from customs import filing
    from shipments import lifecycle
    from tests.customs.test_estimates import ingest, row

    ingest(forwarder_org, row("H1", "500.00", day=str(DAY)))
    first = Shipment.objects.get(hawb="H1")
    lifecycle.shipments_approve([first.pk], actor=lifecycle.Actor.of(broker_user))
    (entry_id,) = filing.entries_build(broker=broker_org)
    first.refresh_from_db()
    assert (first.entry_type, first.entry_id) == ("86", entry_id)
    return first


def test_a_later_upload_over_the_limit_takes_apart_a_type_86_entry_not_yet_transmitted_and_it_is_filed_as_type_11(
        ace, type_86_in_the_outbox, forwarder_org, broker_org, broker_user):
    from customs.models import Entry, Transmission
    from shipments.services import manifest_ingest
    from tests.customs.test_filing import file_everything

    first, entry = type_86_in_the_outbox, Entry.objects.get(pk=type_86_in_the_outbox.entry_id)
    manifest_ingest(upload_id=later_upload(forwarder_org, "H2", "400.00").pk, today=date(2026, 11, 27))  # $900 that day
    first.refresh_from_db()
    assert (first.status, first.entry_id, first.entry_type, first.reasons) == ("approved", None, "11", ["DM_AGGREGATE_OVER"])
    entry.refresh_from_db()
    assert entry.state == "cancelled" and not Transmission.objects.filter(entry=entry).exists()  # never reaches ACE as Type 86
    assert first.events.get(data__entry_withdrawn=True).message == (
        f"Entry {entry.display_number} taken apart before it was transmitted to ACE: the consignee's total for the day "
        "changed, and with it the entry type of its parcels. Review them and file them again.")
    told = list(Notification.objects.filter(user=broker_user).values_list("message", flat=True))
    assert told == ["1 shipment(s) taken out of entries not yet transmitted to ACE, as the consignee's total for the day "
                    "changed: review them and file them again (MAWB 160-12345675)"]  # once, not as "decided again" too

    file_everything(broker_org)  # the broker files it again: as the law now says
    first.refresh_from_db()
    assert first.status in ("accepted", "released") and first.entry.entry_type == "11"


def test_a_later_upload_under_the_limit_leaves_the_entry_waiting_in_the_outbox(type_86_in_the_outbox, forwarder_org):
    from shipments.services import manifest_ingest

    first = type_86_in_the_outbox
    manifest_ingest(upload_id=later_upload(forwarder_org, "H2", "200.00").pk, today=date(2026, 11, 27))  # $700: still de minimis
    entry_id = first.entry_id
    first.refresh_from_db()
    assert (first.entry_id, first.entry.state, first.entry_type) == (entry_id, "pending", "86")
    assert not first.events.filter(data__entry_withdrawn=True).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql")
def test_an_entry_a_transmission_is_claiming_while_a_later_upload_is_stored_goes_to_ace_and_its_broker_is_told(
        ace, type_86_in_the_outbox, forwarder_org, broker_user, monkeypatch):
    from shipments.services import manifest_ingest
    from tests.customs.test_regime import while_a_claim_is_held

    first = type_86_in_the_outbox
    upload = later_upload(forwarder_org, "H2", "400.00")
    claimed, _ingested = while_a_claim_is_held(monkeypatch, lambda: manifest_ingest(upload_id=upload.pk, today=date(2026, 11, 27)))
    assert len(claimed[0]) == 1
    first.refresh_from_db()
    assert (first.status, first.entry_type, first.entry.state) == ("filed", "86", "transmitted")  # with ACE as it was filed
    assert not first.events.filter(data__entry_withdrawn=True).exists()
    assert first.events.filter(message__contains="the Type 86 entry filed may need correcting").count() == 1
    assert Notification.objects.filter(user=broker_user, message__contains="may need correcting").count() == 1
