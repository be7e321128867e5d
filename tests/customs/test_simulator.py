"""The ACE simulator as a training stand-in for CBP: the regime it judges by, and exams that wait for the goods."""

import zoneinfo
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from cfs import services as cfs_services
from customs.ace.adapter import AceAdapter
from customs.ace.inbox import notices_receive
from customs.ace.simulator import Simulator
from customs.models import Hold, RegimePin, SimulatorNotice
from shipments.models import Shipment
from tests.customs.test_filing import approve_all, file_everything, filed_sample, ingest

pytestmark = pytest.mark.django_db



# --- The regime pin ------------------------------------------------------------------------------


def test_a_training_portal_pinned_before_suspension_gets_type_86_accepted_by_the_simulator(ace, forwarder_org, broker_user,
                                                                                           broker_org):
    RegimePin.objects.create(active=True, as_of=date(2025, 4, 30), note="training")
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")  # November 2026 arrivals, decided as in April 2025
    type86 = shipments.filter(entry_type="86")
    assert type86.exists()
    approve_all(shipments, broker_user)
    file_everything(broker_org)
    assert set(type86.values_list("status", flat=True)) == {"released"}
    assert not shipments.filter(status="ace_rejected").exists()


def test_the_simulator_judges_a_pinned_regime_by_its_own_rules_chinese_goods_after_2_may_2025(ace, forwarder_org, broker_user,
                                                                                               broker_org):
    RegimePin.objects.create(active=True, as_of=date(2025, 6, 1), note="training")
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.get(hawb="SC00000001")  # made in China
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])  # as if wrongly decided
    approve_all(shipments.filter(pk=one.pk), broker_user)
    file_everything(broker_org)
    one.refresh_from_db()
    assert one.status == "ace_rejected"
    assert one.events.get(to_state="ace_rejected").data["codes"] == ["110"]  # origin excluded, not 181 (suspended)


def test_without_a_pin_the_simulator_still_rejects_type_86_by_the_arrival_date(ace, forwarder_org, broker_user, broker_org):
    RegimePin.objects.create(active=False, as_of=date(2025, 4, 30))
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.first()
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])
    approve_all(shipments.filter(pk=one.pk), broker_user)
    file_everything(broker_org)
    assert one.events.get(to_state="ace_rejected").data["codes"] == ["181"]


def test_only_the_simulator_follows_the_regime_pin_a_real_ace_connection_never_does():
    assert Simulator.follows_regime_pin is True
    assert AceAdapter.follows_regime_pin is False


# --- Exams wait for the goods --------------------------------------------------------------------


def lax_parcels(shipments):
    return shipments.filter(destination_airport="LAX")


def test_an_exam_does_not_end_before_the_parcel_is_at_the_exam_station(ace, forwarder_org, cfs_org, broker_user, broker_org):
    ace.ACE_EXAM_RATE = 1.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)  # the notices ran dry: the MAWB is still at the terminal
    parcel = lax_parcels(shipments).first()
    assert (parcel.status, parcel.custody) == ("on_hold", "transfer_authorized")
    assert Hold.objects.get(shipment=parcel).removed_at is None  # the exam has not ended
    assert SimulatorNotice.objects.filter(entry_number=parcel.entry.number, code="HR", emitted_at__isnull=True).exists()

    cfs_services.cfs_simulate_step(cfs=cfs_org, now=timezone.now())  # collected, received, broken down: to the exam station
    parcel.refresh_from_db()
    assert parcel.custody == "at_exam"
    while notices_receive():
        pass
    parcel.refresh_from_db()
    assert (parcel.status, parcel.custody, parcel.open_holds) == ("released", "broken_down", 0)
    custody = list(parcel.events.filter(dimension="custody").values_list("to_state", flat=True))
    assert custody[-2:] == ["at_exam", "broken_down"]
    at_exam = parcel.events.get(dimension="custody", to_state="at_exam")
    exam_ended = parcel.events.get(dimension="customs", from_state="on_hold", to_state="accepted")
    assert (at_exam.at, at_exam.id) < (exam_ended.at, exam_ended.id)
    assert [(h["agency"], h["code"]) for h in exam_ended.data["holds"]] == [("CBP", "1X")]


def test_a_parcel_the_station_never_presents_for_exam_is_never_released(ace, forwarder_org, cfs_org, broker_user, broker_org):
    ace.ACE_EXAM_RATE = 1.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    for _ in range(3):
        while notices_receive():
            pass
    assert not shipments.filter(status="released").exists()
    assert set(lax_parcels(shipments).values_list("status", flat=True)) == {"on_hold"}


def test_an_exam_hold_the_broker_settled_without_an_exam_waits_for_nothing(ace, forwarder_org, cfs_org, broker_user, broker_org):
    from customs import review

    ace.ACE_EXAM_RATE = 1.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    parcel = lax_parcels(shipments).first()
    for hold in Hold.objects.filter(shipment__entry=parcel.entry):  # the exam is the entry's: every parcel of it
        review.hold_close(hold_id=hold.pk, org=broker_org, user=broker_user, outcome=Hold.Outcome.RELEASED, note="waived")
    while notices_receive():
        pass
    parcel.refresh_from_db()
    assert parcel.status == "released"


def test_the_broker_and_the_station_see_that_a_parcel_waits_for_its_exam(ace, client, forwarder_org, cfs_org, cfs_user,
                                                                         broker_user, broker_org):
    ace.ACE_EXAM_RATE = 1.0
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    parcel = lax_parcels(shipments).first()
    client.force_login(broker_user)
    page = client.get("/customs/holds/").content.decode()
    assert 'data-testid="exam-waiting"' in page and "Waiting for the exam" in page

    cfs_services.manifests_collect_record(cfs=cfs_org, user=cfs_user, manifest_ids=[parcel.manifest_id], driver="D", truck="T",
                                          bonded_carrier="B")
    cfs_services.manifest_arrival_record(cfs=cfs_org, user=cfs_user, manifest_id=parcel.manifest_id,
                                         pieces_received=parcel.manifest.pieces_expected)
    client.force_login(cfs_user)
    page = client.get("/cfs/held/").content.decode()
    assert f'data-testid="hawb-row-{parcel.hawb}"' in page and "Waiting for the exam" in page

    cfs_services.manifest_breakdown(cfs=cfs_org, user=cfs_user, manifest_id=parcel.manifest_id)  # now at the exam station
    assert "Waiting for the exam" not in client.get("/cfs/held/").content.decode()


# --- Data that does not match the air manifest (E04) ---------------------------------------------


def test_a_bill_ace_could_not_match_to_the_air_manifest_is_accepted_when_the_broker_files_it_again(
        ace, forwarder_org, broker_user, broker_org, django_capture_on_commit_callbacks):
    from customs import review

    ace.ACE_REJECT_RATE = 1.0  # every first transmission: the airline's manifest does not have the bill yet
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    file_everything(broker_org)
    rejected = list(shipments.filter(status="ace_rejected").values_list("id", flat=True))
    assert len(rejected) == shipments.count()
    assert {tuple(Shipment.objects.get(pk=i).events.get(to_state="ace_rejected").data["codes"]) for i in rejected} == {("E04",)}

    with django_capture_on_commit_callbacks(execute=True):
        review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=rejected)
    file_everything(broker_org)
    assert set(shipments.values_list("status", flat=True)) == {"released"}  # not E04 again, for ever


# --- Its messages ----------------------------------------------------------------------------------


def test_the_simulators_notices_write_their_time_in_utc_marked_z_whatever_zone_is_shown(ace):
    landed = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)
    SimulatorNotice.objects.create(mawb="16012345675", code="ARR", sequence=1, due_at=landed, data={})
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        notice, = Simulator().receive()
    assert notice.raw.endswith("|AT=20260310053000Z") and notice.at == landed
