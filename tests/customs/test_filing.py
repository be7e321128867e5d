"""From approval to release: entries, numbers, the outbox, ACE's replies and notices, exactly once."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from customs import filing
from customs.ace.inbox import notices_receive
from customs.models import AceMessage, Entry, Hold, SimulatorEntry, Transmission
from shipments import lifecycle
from shipments.models import Shipment
from shipments.services import manifest_ingest, upload_create
from tests.shipments.conftest import sample

pytestmark = pytest.mark.django_db



def ingest(forwarder, name):
    upload = upload_create(forwarder=forwarder, user=None, file=ContentFile(sample(name)), name=name, queue=False)
    manifest_ingest(upload_id=upload.pk)
    return Shipment.objects.filter(upload=upload)


def approve_all(shipments, broker_user):
    return lifecycle.shipments_approve(list(shipments.values_list("id", flat=True)), actor=lifecycle.Actor.of(broker_user))


def filed_sample(forwarder, broker_user, broker):
    """The Chinese sample uploaded, every shipment approved, filed and answered by the simulator."""
    shipments = ingest(forwarder, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    file_everything(broker)
    return shipments


def file_everything(broker):
    filing.entries_build(broker=broker)
    while claimed := filing.transmissions_claim(limit=500):
        filing.transmissions_deliver(transmission_ids=claimed)
    while notices_receive():
        pass


def test_entry_numbers_carry_the_filer_code_a_serial_and_a_check_digit():
    number = filing.entry_number("GGB", 1234567)
    assert number[:3] == "GGB" and number[3:10] == "1234567" and len(number) == 11
    assert int(number[10]) == filing.check_digit("GGB", "1234567")
    assert filing.entry_number("GGB", 1234568) != number


def test_type_86_gets_one_entry_per_bill_and_type_11_one_per_consignee_and_flight(ace, forwarder_org, broker_user, broker_org):
    shipments = ingest(forwarder_org, "sample_edge.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    for entry in Entry.objects.filter(entry_type="86"):
        assert entry.shipments.count() == 1
    grouped = Entry.objects.filter(entry_type="11", consignee_key=Shipment.objects.get(hawb="SE0022").consignee_key)
    assert grouped.count() == 1 and set(grouped.get().shipments.values_list("hawb", flat=True)) == {"SE0021", "SE0022", "SE0023"}
    assert Transmission.objects.filter(state="pending").count() == Entry.objects.count()


def test_approved_shipments_are_filed_accepted_and_released_with_every_event(ace, forwarder_org, cfs_org, broker_user, broker_org):
    shipments = filed_sample(forwarder_org, broker_user, broker_org)  # LAX manifest goes to cfs_org (L101)
    assert set(shipments.values_list("status", flat=True)) == {"released"}
    lax = shipments.filter(destination_airport="LAX").first()
    assert lax.custody == "transfer_authorized"  # arrival, then the permit to transfer to FIRMS L101
    steps = list(lax.events.filter(dimension="customs").values_list("to_state", flat=True))
    assert steps == ["received", "approved", "filed", "accepted", "released"]
    custody = list(lax.events.filter(dimension="custody").values_list("to_state", flat=True))
    assert custody == ["at_terminal", "transfer_authorized"]
    assert "1C" in lax.events.get(to_state="released").message
    assert AceMessage.objects.filter(direction="out").count() == Entry.objects.count()
    assert AceMessage.objects.filter(direction="in", kind="reply").count() == Entry.objects.count()


def test_type_86_after_the_suspension_is_rejected_by_ace_with_code_181(ace, forwarder_org, broker_user, broker_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.first()
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])  # as if wrongly decided
    approve_all(shipments.filter(pk=one.pk), broker_user)
    file_everything(broker_org)
    one.refresh_from_db()
    assert one.status == "ace_rejected"
    event = one.events.get(to_state="ace_rejected")
    assert event.data["codes"] == ["181"] and "de minimis is suspended" in event.message


def test_an_ace_rejection_tells_the_broker_and_leads_to_its_rejections_page(ace, forwarder_org, broker_user, broker_org):
    from accounts.models import Notification

    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.first()
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])
    approve_all(shipments.filter(pk=one.pk), broker_user)
    file_everything(broker_org)
    note = Notification.objects.get(user=broker_user, kind="ace_rejected")
    assert "1 shipment(s) rejected by ACE" in note.message
    assert note.url == "/customs/rejections/"  # where it is corrected and re-filed, not the MAWB's hundreds of parcels


def test_a_hold_is_recorded_with_its_agency_and_ends_in_release(ace, forwarder_org, broker_user, broker_org):
    ace.ACE_HOLD_RATE = 1.0
    ace.ACE_SEIZE_RATE = 0.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    flagged = shipments.filter(hawb="SC00000007").get()  # green tea: FDA
    hold = Hold.objects.get(shipment=flagged)
    assert (hold.agency, hold.code, hold.outcome) == ("FDA", "FH", "released") and hold.removed_at
    assert flagged.status == "released" and flagged.open_holds == 0
    steps = list(flagged.events.filter(dimension="customs").values_list("to_state", flat=True))
    assert steps == ["received", "approved", "filed", "accepted", "on_hold", "accepted", "released"]


def test_the_event_of_a_removed_hold_names_the_hold_and_its_agency(ace, forwarder_org, broker_user, broker_org):
    ace.ACE_HOLD_RATE = 1.0
    ace.ACE_SEIZE_RATE = 0.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    flagged = shipments.get(hawb="SC00000007")  # green tea: FDA
    hold = Hold.objects.get(shipment=flagged)
    lifted = flagged.events.get(dimension="customs", from_state="on_hold", to_state="accepted")
    assert lifted.data["code"] == "HR"
    assert lifted.data["holds"] == [{"id": hold.pk, "agency": "FDA", "code": "FH"}]


def test_the_end_of_an_exam_names_the_exam_hold_on_the_events(ace, forwarder_org, cfs_org, broker_user, broker_org):
    from django.utils import timezone

    from cfs.services import cfs_simulate_step

    ace.ACE_EXAM_RATE = 1.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    cfs_simulate_step(cfs=cfs_org, now=timezone.now())  # the exam ends once the station has presented the goods
    while notices_receive():
        pass
    parcel = shipments.filter(destination_airport="LAX").first()
    lifted = parcel.events.get(dimension="customs", from_state="on_hold", to_state="accepted")
    assert [(h["agency"], h["code"]) for h in lifted.data["holds"]] == [("CBP", "1X")]


def test_a_hold_that_ends_in_seizure_stays_open_for_the_broker(ace, forwarder_org, broker_user, broker_org):
    ace.ACE_HOLD_RATE = 1.0
    ace.ACE_SEIZE_RATE = 1.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    assert set(shipments.values_list("status", flat=True)) == {"on_hold"}
    assert not Hold.objects.filter(removed_at__isnull=False).exists()


def test_the_outcome_of_each_hawb_is_the_same_for_the_same_seed(ace, forwarder_org, broker_user, broker_org):
    from customs.ace.simulator import draw

    assert draw("SC00000007", "outcome") == draw("SC00000007", "outcome")
    ace.ACE_SEED = 1
    first = draw("SC00000007", "outcome")
    ace.ACE_SEED = 2
    assert draw("SC00000007", "outcome") != first


def test_a_crash_after_sending_is_recovered_without_filing_twice(ace, forwarder_org, broker_user, broker_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    claimed = filing.transmissions_claim(limit=500)
    # ACE received and answered, but the worker died before recording the replies:
    from customs.ace.adapter import adapter

    adapter().transmit(filing.payloads_for(list(Transmission.objects.filter(pk__in=claimed).values_list("entry_id", flat=True))))
    received = SimulatorEntry.objects.count()
    assert set(shipments.values_list("status", flat=True)) == {"filed"}
    filing.transmissions_recover(older_than=timedelta(0))
    assert SimulatorEntry.objects.count() == received  # nothing sent again
    assert set(shipments.values_list("status", flat=True)) == {"accepted"}
    assert not Transmission.objects.exclude(state="done").exists()


def test_a_notice_that_overtakes_the_reply_is_applied_not_lost(ace, forwarder_org, broker_user, broker_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    claimed = filing.transmissions_claim(limit=500)
    from customs.ace.adapter import adapter

    # ACE answered and its release notices are due, but the worker has not recorded the replies yet:
    replies = adapter().transmit(filing.payloads_for(list(Transmission.objects.filter(pk__in=claimed).values_list("entry_id", flat=True))))
    while notices_receive():  # another worker collects the notices meanwhile
        pass
    assert set(shipments.values_list("status", flat=True)) == {"released"}
    filing.transmissions_record(list(Transmission.objects.filter(pk__in=claimed).select_related("entry")),
                                {reply.entry: reply for reply in replies})
    assert set(shipments.values_list("status", flat=True)) == {"released"}
    assert not Transmission.objects.exclude(state="done").exists()
    steps = list(shipments.first().events.filter(dimension="customs").values_list("to_state", flat=True))
    assert steps == ["received", "approved", "filed", "accepted", "released"]


def test_a_crash_before_sending_is_recovered_by_sending_once(ace, forwarder_org, broker_user, broker_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    filing.transmissions_claim(limit=500)  # claimed, then the worker died before sending
    assert SimulatorEntry.objects.count() == 0
    filing.transmissions_recover(older_than=timedelta(0))
    assert SimulatorEntry.objects.count() == Entry.objects.count()
    assert set(shipments.values_list("status", flat=True)) == {"accepted"}


def test_recording_the_same_replies_twice_changes_nothing(ace, forwarder_org, broker_user, broker_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    claimed = filing.transmissions_claim(limit=500)
    filing.transmissions_deliver(transmission_ids=claimed)
    events = lifecycle.ShipmentEvent.objects.count()
    filing.transmissions_deliver(transmission_ids=claimed)
    assert lifecycle.ShipmentEvent.objects.count() == events


def test_the_rate_limit_holds_back_what_is_over_the_budget(ace, forwarder_org, broker_user, broker_org, monkeypatch):
    from django.core.cache import cache

    ace.ACE_RATE_LIMIT_PER_HOUR = 600  # 10 a minute
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    monkeypatch.setattr(filing.time, "time", lambda: 3_000_000_000.0)  # a minute of its own: no budget used by another run
    cache.delete(f"calista:ace-rate:{3_000_000_000 // 60}")
    assert len(filing.transmissions_claim(limit=500)) == 10
    assert filing.transmissions_claim(limit=500) == []


def test_an_entry_filed_from_part_of_a_consignees_parcels_leaves_each_entry_with_shares_that_add_up_to_its_own_fee(
        forwarder_org, broker_org, broker_user, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from tests.customs.test_estimates import ingest as ingest_rows
    from tests.customs.test_estimates import mpf, row

    ingest_rows(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "10.00"))
    assert mpf("H1", "H2", "H3") == [Decimal("0.90"), Decimal("0.90"), Decimal("0.89")]
    approve_all(Shipment.objects.filter(hawb__in=["H1", "H2"]), broker_user)
    with django_capture_on_commit_callbacks(execute=True):
        filing.entries_build(broker=broker_org)  # H3 is still waiting for review: it will be filed in an entry of its own
    assert mpf("H1", "H2") == [Decimal("1.35"), Decimal("1.34")]  # the entry filed: its fee, shared by its two parcels
    assert mpf("H3") == [Decimal("2.69")]  # left alone, it pays a whole informal fee


def test_a_re_filing_built_twice_gives_one_entry_the_second_build_takes_nothing(rejected_by_ace, broker_org):
    rejected = rejected_by_ace.entry_id
    (refiled,) = filing.entries_build(broker=broker_org, shipment_ids=[rejected_by_ace.pk], refile=True)
    assert filing.entries_build(broker=broker_org, shipment_ids=[rejected_by_ace.pk], refile=True) == []
    rejected_by_ace.refresh_from_db()
    assert rejected_by_ace.entry_id == refiled != rejected
    assert list(Transmission.objects.filter(state="pending").values_list("entry_id", flat=True)) == [refiled]
