"""Every custody move a station makes, the refusal of each forbidden hand-off, piece counts, events, CSV and demo traffic."""

import itertools
import re
import time

import pytest

from cfs import services
from cfs.models import Arrival, Carrier, Collection, Handoff
from shipments import lifecycle
from shipments.models import Manifest, Shipment, ShipmentEvent
from tests.cfs.conftest import broken_down, collect, hold, mawb_at, parcel, receive, release

pytestmark = pytest.mark.django_db

UPS_TRACKING = "1Z999AA10123456784"
USPS_TRACKING = "9400111899223197428490"


@pytest.fixture
def ups():
    return Carrier.objects.get(cfs=None, code="ups")


@pytest.fixture
def usps():
    return Carrier.objects.get(cfs=None, code="usps")


def custody_events(shipment):
    return list(shipment.events.filter(dimension="custody").order_by("at", "id"))


def hand_off(cfs, user, shipment, carrier, tracking=UPS_TRACKING):
    return services.shipment_hand_off(cfs=cfs, user=user, shipment_id=shipment.pk, carrier_id=carrier.pk, tracking_number=tracking)


# --- Pick-up -------------------------------------------------------------------------------------


def test_a_collection_takes_several_mawbs_in_transit_with_driver_truck_and_bonded_carrier(forwarder_org, cfs_org, cfs_user):
    first = mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    second = mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("J0001",))
    done = collect(cfs_org, cfs_user, first, second)
    assert sorted(done.outcome.moved) == sorted([first.pk, second.pk])
    assert set(Manifest.objects.values_list("custody", flat=True)) == {"in_transit"}
    assert set(Shipment.objects.values_list("custody", flat=True)) == {"in_transit"}
    collection = Collection.objects.get()
    assert (collection.driver, collection.truck, collection.bonded_carrier) == ("Jane Roe", "7ABC123", "Pacific Bonded Trucking")
    assert set(collection.manifests.all()) == {first, second} and collection.collected_by == cfs_user


def test_a_mawb_without_a_permit_to_transfer_is_not_collected(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org, permit=False)
    done = collect(cfs_org, cfs_user, manifest)
    assert done.collection is None and "At airline terminal" in done.outcome.refused[manifest.pk]
    manifest.refresh_from_db()
    assert manifest.custody == "at_terminal" and not Collection.objects.exists()


def test_a_station_cannot_collect_another_stations_mawb(forwarder_org, cfs_org, other_cfs_org, other_cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    done = collect(other_cfs_org, other_cfs_user, manifest)
    assert done.outcome.refused == {manifest.pk: "no such MAWB"}
    manifest.refresh_from_db()
    assert manifest.custody == "transfer_authorized"


def test_a_collection_needs_driver_truck_and_bonded_carrier(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    with pytest.raises(services.CfsError):
        services.manifests_collect_record(cfs=cfs_org, user=cfs_user, manifest_ids=[manifest.pk], driver="Jane", truck=" ",
                                          bonded_carrier="X")


def collect_scan(cfs, code, *chosen):
    return services.manifest_collect_scan(cfs=cfs, code=code, chosen=[m.pk for m in chosen])


def test_a_mawb_scanned_with_or_without_its_dash_is_chosen_for_the_truck_and_nothing_is_recorded(forwarder_org, cfs_org):
    manifest = mawb_at(forwarder_org, cfs_org, mawb="02304726304")
    for code in ("023-04726304", "02304726304\r"):
        answer = collect_scan(cfs_org, code)
        assert answer.state == "ok" and answer.manifest == manifest
        assert answer.message.startswith("MAWB 023-04726304 chosen for this truck")
    assert collect_scan(cfs_org, "02304726304", manifest).message == "MAWB 023-04726304 is already chosen for this truck."
    manifest.refresh_from_db()
    assert manifest.custody == "transfer_authorized" and not Collection.objects.exists()


def test_a_mawb_scan_says_why_a_mawb_may_not_be_collected(forwarder_org, cfs_org, cfs_user, other_cfs_org):
    mawb_at(forwarder_org, cfs_org, mawb="16012345675", arrived=False)
    mawb_at(forwarder_org, cfs_org, mawb="16012345686", permit=False)
    collect(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345690"))
    mawb_at(forwarder_org, other_cfs_org, mawb="16012345701")
    answers = {code: collect_scan(cfs_org, code) for code in ("160-12345675", "160-12345686", "160-12345690",
                                                              "160-12345701", " ")}
    assert {answer.state for answer in answers.values()} == {"bad"}
    assert answers["160-12345675"].message == ("MAWB 160-12345675 has not arrived at the airline terminal yet: "
                                               "it may not be collected.")
    assert answers["160-12345686"].message == ("MAWB 160-12345686 has no permit to transfer to this station yet: it stays "
                                               "at the terminal until CBP grants it.")
    assert re.fullmatch(r"MAWB 160-12345690 was already collected: truck 7ABC123, \d{4}-\d\d-\d\d \d\d:\d\d "
                        r"\(In transit to CFS\)\.", answers["160-12345690"].message)
    assert answers["160-12345701"].message == "16012345701: no such MAWB at this station."
    assert answers[" "].message == "Scan or type the MAWB."


@pytest.mark.parametrize("code", ["16012345675", "160-12345675", "1601234567500001", "160-12345675-00001",
                                  "160-12345675 00012", "160123456750001", "160-12345675 0001\r"])
def test_a_mawb_is_read_from_its_number_or_from_an_airline_piece_label(code):
    assert services.mawb_scanned(code) == "16012345675"


@pytest.mark.parametrize("code", [
    "1601234567600001",  # the first 11 digits are no MAWB: 6 is not the check digit of 1234567
    "16012345675000012", "16012345675001",  # a piece number of 6 or 3 digits is no airline label
    "1Z999AA10123456784", "9400111899223197428490", "123456789012", "H0001",  # tracking numbers, a HAWB
    "160123456A500001",
])
def test_a_code_of_another_kind_is_not_read_as_a_piece_label(code):
    assert services.mawb_scanned(code) == services.scan_normalize(code)


def test_an_airline_piece_label_chooses_its_mawb_for_the_truck_and_a_second_piece_changes_nothing(forwarder_org, cfs_org):
    manifest = mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    answer = collect_scan(cfs_org, "1601234567500001")
    assert answer.state == "ok" and answer.manifest == manifest
    assert answer.message.startswith("MAWB 160-12345675 chosen for this truck")
    again = collect_scan(cfs_org, "160-12345675-00002", manifest)
    assert again.state == "ok" and again.message == "MAWB 160-12345675 is already chosen for this truck."


def test_a_piece_label_of_a_mawb_not_at_this_station_says_which_mawb_it_read(forwarder_org, cfs_org, other_cfs_org):
    mawb_at(forwarder_org, other_cfs_org, mawb="16012345701")
    answer = collect_scan(cfs_org, "1601234570100003")
    assert answer.state == "bad" and answer.manifest is None
    assert answer.message == "1601234570100003 is a piece label of MAWB 160-12345701: no such MAWB at this station."
    assert collect_scan(cfs_org, "1601234567600001").message == "1601234567600001: no such MAWB at this station."


def test_a_mawb_number_two_forwarders_use_is_ticked_by_hand(forwarder_org, other_forwarder_org, cfs_org):
    mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    mawb_at(other_forwarder_org, cfs_org, mawb="16012345675", hawbs=("K0001",))
    answer = collect_scan(cfs_org, "16012345675")
    assert answer.state == "bad" and "is listed for several forwarders" in answer.message and answer.manifest is None


# --- Arrival and piece counts -------------------------------------------------------------------


def test_arrival_with_every_piece_puts_the_mawb_and_its_parcels_at_the_cfs(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    arrival = receive(cfs_org, cfs_user, manifest, pieces=3)
    manifest.refresh_from_db()
    assert manifest.custody == "at_cfs" and manifest.pieces_received == 3
    assert arrival.difference == 0 and arrival.shortage == 0 and arrival.overage == 0
    assert set(manifest.shipments.values_list("custody", flat=True)) == {"at_cfs"}
    assert "3 of 3 pieces" in custody_events(parcel(manifest, "H0001"))[-1].message


def test_a_shortage_is_refused_without_a_note_and_recorded_with_one(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    with pytest.raises(services.CfsError, match="2 pieces counted against 3"):
        receive(cfs_org, cfs_user, manifest, pieces=2)
    manifest.refresh_from_db()
    assert manifest.custody == "in_transit" and not Arrival.objects.exists()
    arrival = receive(cfs_org, cfs_user, manifest, pieces=2, note="One carton missing at the terminal")
    assert (arrival.difference, arrival.shortage, arrival.overage) == (-1, 1, 0)
    event = custody_events(parcel(manifest, "H0002"))[-1]
    assert "a shortage of 1 (One carton missing at the terminal)" in event.message
    assert event.data["difference"] == -1 and event.data["pieces_received"] == 2


def test_an_overage_is_recorded_with_its_note(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    arrival = receive(cfs_org, cfs_user, manifest, pieces=5, note="Two extra cartons labelled for this MAWB")
    assert (arrival.difference, arrival.shortage, arrival.overage) == (2, 0, 2)
    manifest.refresh_from_db()
    assert manifest.pieces_received == 5
    assert "an overage of 2" in custody_events(parcel(manifest, "H0001"))[-1].message


def test_a_mawb_not_collected_cannot_be_received(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    with pytest.raises(services.CfsError, match=r"^MAWB 160-12345675 is not in transit to the station \(Transfer authorized\): only "
                                                r"a MAWB collected from the terminal can be received\.$"):
        receive(cfs_org, cfs_user, manifest)
    assert not Arrival.objects.exists()


# --- Breakdown and exam ------------------------------------------------------------------------


def test_breakdown_gives_every_hawb_its_own_custody(forwarder_org, cfs_org, cfs_user):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    manifest.refresh_from_db()
    assert manifest.custody == "broken_down"
    assert set(manifest.shipments.values_list("custody", flat=True)) == {"broken_down"}


def test_a_mawb_still_in_transit_cannot_be_broken_down(forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    with pytest.raises(services.CfsError, match="cannot go from In transit to CFS to Broken down"):
        services.manifest_breakdown(cfs=cfs_org, user=cfs_user, manifest_id=manifest.pk)


def test_an_exam_transfer_moves_a_hawb_to_exam_and_the_station_brings_it_back(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    lifecycle.shipments_to_exam([shipment.pk], message="1X transfer for exam")
    shipment.refresh_from_db()
    assert shipment.custody == "at_exam"
    refused = hand_off(cfs_org, cfs_user, shipment, ups)
    assert refused.refusal == "not broken down"
    outcome = services.shipments_exam_return(cfs=cfs_org, user=cfs_user, shipment_ids=[shipment.pk, parcel(manifest, "H0002").pk])
    assert outcome.moved == [shipment.pk] and outcome.refused == {parcel(manifest, "H0002").pk: "HAWB H0002 is not at exam."}
    shipment.refresh_from_db()
    assert shipment.custody == "broken_down"
    assert hand_off(cfs_org, cfs_user, shipment, ups).ok


def test_bringing_back_from_exam_with_nothing_chosen_asks_to_select_a_parcel(cfs_org, cfs_user):
    with pytest.raises(services.CfsError, match=r"^Select at least one parcel\.$"):
        services.shipments_exam_return(cfs=cfs_org, user=cfs_user, shipment_ids=[])


def test_bringing_back_another_stations_parcel_from_exam_says_it_is_not_here_and_moves_nothing(
        forwarder_org, cfs_org, cfs_user, other_cfs_org, other_cfs_user):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    lifecycle.shipments_to_exam([shipment.pk], message="1X transfer for exam")
    outcome = services.shipments_exam_return(cfs=other_cfs_org, user=other_cfs_user, shipment_ids=[shipment.pk])
    assert outcome.moved == [] and outcome.reasons() == ["One of the parcels chosen is not at this station."]
    shipment.refresh_from_db()
    assert shipment.custody == "at_exam"


# --- Hand-off and its refusals ------------------------------------------------------------------


def test_a_released_broken_down_parcel_is_handed_off_with_its_tracking_number(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    result = hand_off(cfs_org, cfs_user, shipment, ups, tracking=" 1z999aa1 0123456784 ")
    assert result.ok and result.refusal == ""
    shipment.refresh_from_db()
    assert shipment.custody == "handed_off"
    handoff = Handoff.objects.get(shipment=shipment)
    assert (handoff.carrier, handoff.tracking_number, handoff.cfs, handoff.handed_by) == (ups, UPS_TRACKING, cfs_org, cfs_user)


def test_a_parcel_not_released_is_refused_and_stays_in_bond(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    result = hand_off(cfs_org, cfs_user, shipment, ups)
    assert result.refusal == "not released by CBP"
    shipment.refresh_from_db()
    assert shipment.custody == "broken_down" and not Handoff.objects.exists()


def test_a_parcel_on_hold_is_refused_saying_the_hold_is_open(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    hold(shipment)
    result = hand_off(cfs_org, cfs_user, shipment, ups)
    assert result.refusal == "not released by CBP; a hold is still open"
    shipment.refresh_from_db()
    assert shipment.custody == "broken_down" and not Handoff.objects.exists()


def test_a_released_parcel_with_a_hold_still_open_is_refused(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    Shipment.objects.filter(pk=shipment.pk).update(open_holds=1)  # a partner agency's hold not yet removed
    assert hand_off(cfs_org, cfs_user, shipment, ups).refusal == "a hold is still open"


def test_a_released_parcel_not_broken_down_is_refused(forwarder_org, cfs_org, cfs_user, ups):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    receive(cfs_org, cfs_user, manifest)
    shipment = parcel(manifest, "H0001")
    release(shipment)
    assert hand_off(cfs_org, cfs_user, shipment, ups).refusal == "not broken down"
    shipment.refresh_from_db()
    assert shipment.custody == "at_cfs"


def test_a_tracking_number_of_another_carrier_is_refused(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    assert hand_off(cfs_org, cfs_user, shipment, ups, tracking=USPS_TRACKING).refusal == f"{USPS_TRACKING} is not a UPS tracking number"
    assert hand_off(cfs_org, cfs_user, shipment, ups, tracking="12").refusal == "12 is not a tracking number"


def test_a_tracking_number_is_used_once_per_carrier(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    first, second = parcel(manifest, "H0001"), parcel(manifest, "H0002")
    release(first, second)
    assert hand_off(cfs_org, cfs_user, first, ups).ok
    result = hand_off(cfs_org, cfs_user, second, ups)
    assert result.refusal == f"UPS tracking number {UPS_TRACKING} is already on another parcel"
    second.refresh_from_db()
    assert second.custody == "broken_down"


def test_a_parcel_handed_off_is_not_handed_off_twice(forwarder_org, cfs_org, cfs_user, ups, usps):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    hand_off(cfs_org, cfs_user, shipment, ups)
    result = hand_off(cfs_org, cfs_user, shipment, usps, tracking=USPS_TRACKING)
    assert result.refusal == f"already handed off to UPS ({UPS_TRACKING})"
    assert Handoff.objects.count() == 1


def test_another_station_cannot_hand_off_this_stations_parcel(forwarder_org, cfs_org, cfs_user, other_cfs_org, other_cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    assert hand_off(other_cfs_org, other_cfs_user, shipment, ups).refusal == "no such HAWB at this station"
    shipment.refresh_from_db()
    assert shipment.custody == "broken_down"


def test_a_carrier_of_another_station_cannot_be_used(forwarder_org, cfs_org, cfs_user, other_cfs_org):
    theirs = services.carrier_add(cfs=other_cfs_org, name="Big Apple Couriers")
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    assert hand_off(cfs_org, cfs_user, shipment, theirs, tracking="BAC123456").refusal == "choose the carrier"


def test_a_station_adds_its_own_carrier_and_hands_off_to_it(forwarder_org, cfs_org, cfs_user):
    ontrac = services.carrier_add(cfs=cfs_org, name="OnTrac", tracking_pattern=r"C[0-9]{14}")
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    refused = hand_off(cfs_org, cfs_user, shipment, ontrac, tracking="D12345678901234")
    assert refused.refusal == "D12345678901234 is not a OnTrac tracking number"
    assert hand_off(cfs_org, cfs_user, shipment, ontrac, tracking="C12345678901234").ok
    with pytest.raises(services.CfsError, match="already on the list"):
        services.carrier_add(cfs=cfs_org, name="ups")
    with pytest.raises(services.CfsError, match="not a valid regular expression"):
        services.carrier_add(cfs=cfs_org, name="Broken", tracking_pattern="([")


def test_a_carrier_with_a_chinese_name_is_added_with_its_name_as_code(forwarder_org, cfs_org, cfs_user):
    carrier = services.carrier_add(cfs=cfs_org, name="顺丰速运", tracking_pattern=r"SF[0-9]{12}")
    assert (carrier.name, carrier.code) == ("顺丰速运", "顺丰速运")
    with pytest.raises(services.CfsError, match="^顺丰速运 is already on the list.$"):
        services.carrier_add(cfs=cfs_org, name="顺丰速运")
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    content = "hawb,carrier,tracking\nH0001,顺丰速运,SF123456789012\n".encode()
    assert services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=content).handed_off == 1


def test_two_long_names_that_begin_alike_are_both_added_with_different_codes(cfs_org):
    first = services.carrier_add(cfs=cfs_org, name="Pacific Coast Express Couriers")
    second = services.carrier_add(cfs=cfs_org, name="Pacific Coast Express Logistics")
    assert first.code == "pacific-coast-expres" and second.code == "pacific-coast-expr-2"


def test_a_name_of_signs_only_still_gets_a_code(cfs_org):
    assert services.carrier_add(cfs=cfs_org, name="★★★").code == "carrier"


def test_a_blank_name_is_refused(cfs_org):
    with pytest.raises(services.CfsError, match="^Give the carrier a name.$"):
        services.carrier_add(cfs=cfs_org, name="  ")


@pytest.mark.parametrize("pattern", [r"(A|AA)+B", r"(0|00)+X"])
def test_a_pattern_that_backtracks_catastrophically_is_refused_when_the_carrier_is_added(cfs_org, pattern):
    with pytest.raises(services.CfsError, match="takes too long to check"):
        services.carrier_add(cfs=cfs_org, name="Slowpoke", tracking_pattern=pattern)
    assert not Carrier.objects.filter(name="Slowpoke").exists()


def test_the_nested_pattern_from_qa_answers_at_once_that_a_run_of_letters_is_not_its_tracking_number(
        forwarder_org, cfs_org, cfs_user):
    nested = services.carrier_add(cfs=cfs_org, name="Nested", tracking_pattern=r"(A+)+B")  # harmless for the regex engine
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    started = time.monotonic()
    refused = hand_off(cfs_org, cfs_user, parcel(manifest, "H0001"), nested, tracking="A" * 25)
    assert time.monotonic() - started < 1
    assert refused.refusal == f"{'A' * 25} is not a Nested tracking number"
    assert hand_off(cfs_org, cfs_user, parcel(manifest, "H0001"), nested, tracking="AAAAAB").ok


def test_a_slow_pattern_on_file_refuses_the_tracking_number_at_once_on_every_path(forwarder_org, cfs_org, cfs_user):
    slow = Carrier.objects.create(cfs=cfs_org, code="slow", name="Slowpoke", tracking_pattern=r"(A|AA)+B")  # added before the check
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    label = "A" * 35
    started = time.monotonic()
    pending = scan(cfs_org, cfs_user, "H0001", carrier=slow).pending
    scanned = scan(cfs_org, cfs_user, label, pending=pending, carrier=slow)
    selected = services.shipments_hand_off_select(cfs=cfs_org, user=cfs_user, carrier_id=slow.pk,
                                                  tracking_by_shipment={pending.pk: label})
    report = services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=f"hawb,carrier,tracking\nH0001,slow,{label}\n".encode())
    assert time.monotonic() - started < 2
    too_slow = f"{label} is not a Slowpoke tracking number: the carrier's tracking number pattern takes too long to check"
    assert scanned.state == "bad" and scanned.message.startswith(too_slow)
    assert selected[0].refusal.startswith(too_slow) and report.lines[0].refusal.startswith(too_slow)
    assert not Handoff.objects.exists()


def test_a_blank_tracking_number_asks_for_one(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    assert hand_off(cfs_org, cfs_user, parcel(manifest, "H0001"), ups, tracking=" ").refusal == "Scan or type the tracking number."
    report = services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=b"hawb,carrier,tracking\nH0001,UPS,\n,UPS,1Z1\n")
    assert [line.refusal for line in report.lines] == ["no tracking number on this line", "no HAWB on this line"]


def test_choosing_a_parcel_that_is_not_at_the_station_says_so_without_a_hawb(forwarder_org, cfs_org, cfs_user, other_cfs_org, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    [result] = services.shipments_hand_off_select(cfs=other_cfs_org, user=None, carrier_id=ups.pk,
                                                  tracking_by_shipment={parcel(manifest, "H0001").pk: UPS_TRACKING})
    assert result.shipment is None and result.refusal == "One of the parcels chosen is not at this station."


@pytest.mark.parametrize(("status", "open_holds", "custody"),
                         list(itertools.product(["accepted", "on_hold", "released"], [0, 1], ["at_cfs", "broken_down", "at_exam"])))
def test_the_scan_preview_refuses_exactly_what_the_lifecycle_refuses(forwarder_org, cfs_org, cfs_user, ups, status, open_holds, custody):
    manifest = mawb_at(forwarder_org, cfs_org, hawbs=("H0001",))
    shipment = parcel(manifest, "H0001")
    # A parcel put straight into the combination under test; only the lifecycle's own checks are exercised.
    Shipment.objects.filter(pk=shipment.pk).update(status=status, open_holds=open_holds, custody=custody)
    shipment.refresh_from_db()
    preview = "; ".join(services.handoff_blockers(shipment))
    outcome = lifecycle.shipments_hand_off([shipment.pk], actor=lifecycle.SYSTEM, message="test")
    assert preview == outcome.refused.get(shipment.pk, "")


# --- Events: who, when, where, and what the forwarder sees ----------------------------------------


def test_every_custody_move_is_an_event_saying_who_when_and_where(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    hand_off(cfs_org, cfs_user, shipment, ups)
    moves = [(e.from_state, e.to_state) for e in custody_events(shipment)]
    assert moves == [("awaiting_arrival", "at_terminal"), ("at_terminal", "transfer_authorized"), ("transfer_authorized", "in_transit"),
                     ("in_transit", "at_cfs"), ("at_cfs", "broken_down"), ("broken_down", "handed_off")]
    for event in custody_events(shipment)[2:]:
        assert event.actor == "user" and event.user == cfs_user and event.organization == cfs_org and event.at is not None
        assert "CFS LAX (FIRMS L101, LAX)" in event.message
        if event.to_state != "broken_down":  # lifecycle.manifests_break_down takes a message, no data
            assert event.data["firms"] == "L101"
    collected, *_, handed = custody_events(shipment)[2:]
    assert "driver Jane Roe, truck 7ABC123, bonded carrier Pacific Bonded Trucking" in collected.message
    assert handed.message == f"Handed off to UPS, tracking number {UPS_TRACKING}, at CFS LAX (FIRMS L101, LAX)"
    assert handed.data["tracking"] == UPS_TRACKING and handed.data["carrier"] == "UPS"


# --- Scanning -----------------------------------------------------------------------------------


def scan(cfs, user, code, pending=None, carrier=None, manifest=None):
    return services.shipment_hand_off_scan(cfs=cfs, user=user, code=code, pending_id=pending.pk if pending else None,
                                           carrier_id=carrier.pk if carrier else None, manifest_id=manifest.pk if manifest else None)


def test_a_hawb_scan_then_a_tracking_scan_hands_the_parcel_off(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    first = scan(cfs_org, cfs_user, "h0001\r", carrier=ups)
    assert first.state == "wait" and first.pending.hawb == "H0001"
    second = scan(cfs_org, cfs_user, UPS_TRACKING, pending=first.pending, carrier=ups)
    assert second.state == "ok" and second.message == f"HAWB H0001 handed off to UPS, tracking number {UPS_TRACKING}"
    assert second.result.handoff.method == "scan"
    assert Shipment.objects.get(hawb="H0001").custody == "handed_off"


def test_a_hawb_that_may_not_go_is_refused_at_its_first_scan_saying_why(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    hold(parcel(manifest, "H0002"))
    result = scan(cfs_org, cfs_user, "H0002", carrier=ups)
    assert result.state == "bad" and result.pending is None
    assert result.message == "HAWB H0002 may not be handed off: not released by CBP; a hold is still open (On hold, Broken down)"


def test_a_scan_of_an_unknown_or_foreign_hawb_says_it_is_not_here(forwarder_org, cfs_org, cfs_user, other_cfs_user, other_cfs_org, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    assert scan(other_cfs_org, other_cfs_user, "H0001", carrier=ups).message == "H0001: no such HAWB at this station"


def test_an_empty_scan_asks_for_the_hawb(cfs_org, cfs_user, ups):
    assert scan(cfs_org, cfs_user, " \r", carrier=ups).message == "Scan or type the HAWB."


def test_a_wrong_label_keeps_the_hawb_pending(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    pending = scan(cfs_org, cfs_user, "H0001", carrier=ups).pending
    wrong = scan(cfs_org, cfs_user, USPS_TRACKING, pending=pending, carrier=ups)
    assert wrong.state == "bad" and wrong.pending == pending and "is not a UPS tracking number" in wrong.message


def test_another_hawb_scanned_for_the_label_is_called_a_parcel_and_the_first_keeps_waiting_for_its_label(
        forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"), parcel(manifest, "H0002"))
    pending = scan(cfs_org, cfs_user, "H0001", carrier=ups).pending
    stray = scan(cfs_org, cfs_user, "H0002", pending=pending, carrier=ups)
    assert stray.state == "bad" and stray.pending == pending
    assert stray.message == ("HAWB H0002 is a parcel, not a tracking label: scan the UPS tracking label of HAWB H0001, "
                             "or press Esc to start over")
    labelled = scan(cfs_org, cfs_user, UPS_TRACKING, pending=stray.pending, carrier=ups)
    assert labelled.state == "ok" and labelled.result.shipment.hawb == "H0001"
    assert Shipment.objects.get(hawb="H0002").custody == "broken_down"


def test_a_hawb_of_another_mawb_scanned_on_a_mawbs_scan_page_is_called_a_parcel_not_a_bad_label(
        forwarder_org, cfs_org, cfs_user, ups):
    first = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("H0001",)))
    other = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("1234567890",)))
    release(parcel(first, "H0001"), parcel(other, "1234567890"))
    dhl = Carrier.objects.get(cfs=None, code="dhl")  # whose ten-digit numbers look like that HAWB
    pending = scan(cfs_org, cfs_user, "H0001", carrier=dhl, manifest=first).pending
    stray = scan(cfs_org, cfs_user, "1234567890", pending=pending, carrier=dhl, manifest=first)
    assert stray.state == "bad" and stray.pending == pending
    assert stray.message.startswith("HAWB 1234567890 is a parcel, not a tracking label: scan the DHL tracking label of HAWB H0001")
    assert not Handoff.objects.exists()


def test_a_hawb_of_another_mawb_scanned_on_a_mawbs_scan_page_says_which_mawb_it_is_on_and_is_not_handed_off(
        forwarder_org, cfs_org, cfs_user, ups):
    first = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("H0001",)))
    other = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("H0101",)))
    release(parcel(other, "H0101"))
    result = scan(cfs_org, cfs_user, "h0101\r", carrier=ups, manifest=first)
    assert result.state == "bad" and result.pending is None and result.elsewhere == [other]
    assert result.message == ("HAWB H0101 is on MAWB 160-12345686, not this one: open that MAWB's scan, "
                              "or the station's scan page")
    assert scan(cfs_org, cfs_user, "H0101", carrier=ups, manifest=other).pending == parcel(other, "H0101")
    assert not Handoff.objects.exists()


def test_a_hawb_on_two_other_mawbs_scanned_on_a_mawbs_scan_page_names_both(forwarder_org, cfs_org, cfs_user, ups):
    first = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("H0001",)))
    second = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345690", hawbs=("H0101",)))
    third = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("H0101",)))
    result = scan(cfs_org, cfs_user, "H0101", carrier=ups, manifest=first)
    assert result.state == "bad" and result.elsewhere == [third, second]
    assert result.message == ("HAWB H0101 is on MAWBs 160-12345686, 160-12345690, not this one: open the scan of the MAWB "
                              "the parcel is on")


def test_a_hawb_of_another_station_scanned_on_a_mawbs_scan_page_is_unknown_there(
        forwarder_org, cfs_org, cfs_user, other_cfs_org, other_cfs_user, ups):
    here = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("H0001",)))
    there = broken_down(other_cfs_org, other_cfs_user, mawb_at(forwarder_org, other_cfs_org, mawb="16012345686",
                                                                hawbs=("H0101",)))
    release(parcel(here, "H0001"), parcel(there, "H0101"))
    seen_here = scan(cfs_org, cfs_user, "H0101", carrier=ups, manifest=here)
    seen_there = scan(other_cfs_org, other_cfs_user, "H0001", carrier=ups, manifest=there)
    assert (seen_here.message, seen_here.elsewhere) == ("H0101: no such HAWB at this station", [])
    assert (seen_there.message, seen_there.elsewhere) == ("H0001: no such HAWB at this station", [])


def test_scanning_a_carriers_name_chooses_it_and_the_pending_hawb_keeps_waiting_for_that_carriers_label(
        forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    dhl = Carrier.objects.get(cfs=None, code="dhl")
    pending = scan(cfs_org, cfs_user, "H0001", carrier=ups).pending
    chosen = scan(cfs_org, cfs_user, "dhl\r", pending=pending, carrier=ups)
    assert chosen.state == "wait" and chosen.carrier == dhl and chosen.pending == pending
    assert chosen.message == "Carrier: DHL. Now scan the DHL tracking label of HAWB H0001"
    done = scan(cfs_org, cfs_user, "1234567890", pending=chosen.pending, carrier=chosen.carrier)
    assert done.state == "ok" and done.result.handoff.carrier == dhl


def test_a_carrier_is_chosen_by_its_code_or_its_name_before_any_hawb(cfs_org, cfs_user, ups):
    local = services.carrier_add(cfs=cfs_org, name="West Coast Express")
    assert scan(cfs_org, cfs_user, "FEDEX").carrier.code == "fedex"
    assert scan(cfs_org, cfs_user, "West Coast Express").carrier == local
    assert scan(cfs_org, cfs_user, "WESTCOASTEXPRESS").message == "Carrier: West Coast Express. Scan a HAWB."
    assert services.carrier_scan_code(local) == "WESTCOASTEXPRESS"


def test_another_stations_carrier_is_not_chosen_by_its_name(cfs_org, cfs_user, other_cfs_org, ups):
    services.carrier_add(cfs=other_cfs_org, name="Bay Couriers")
    result = scan(cfs_org, cfs_user, "BAYCOURIERS")
    assert result.carrier is None and result.message == "BAYCOURIERS: no such HAWB at this station"


def test_a_hawb_on_two_mawbs_is_scanned_from_its_mawbs_page(forwarder_org, cfs_org, cfs_user, ups):
    first = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("H0001",)))
    broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("H0001",)))
    assert "is on several MAWBs" in scan(cfs_org, cfs_user, "H0001", carrier=ups).message
    release(parcel(first, "H0001"))
    assert scan(cfs_org, cfs_user, "H0001", carrier=ups, manifest=first).pending == parcel(first, "H0001")


# --- CSV ----------------------------------------------------------------------------------------


def test_a_csv_hands_off_the_lines_that_may_go_and_says_why_the_others_may_not(forwarder_org, cfs_org, cfs_user):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, hawbs=("H0001", "H0002", "H0003", "H0004")))
    release(parcel(manifest, "H0001"), parcel(manifest, "H0003"))
    hold(parcel(manifest, "H0002"))
    content = ("HAWB;Carrier;Tracking Number\n"
               f"H0001;UPS;{UPS_TRACKING}\n"
               "H0002;fedex;123456789012\n"
               f"H0003;usps;{USPS_TRACKING}\n"
               "H0004;DHL;1234567890\n"
               "H0009;UPS;1Z999AA10123456785\n"
               "H0003;Pony Express;123456\n").encode()
    report = services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=content)
    assert report.error == ""
    assert [(line.line, line.ok, line.refusal) for line in report.lines] == [
        (2, True, ""),
        (3, False, "not released by CBP; a hold is still open"),
        (4, True, ""),
        (5, False, "not released by CBP"),
        (6, False, "no such HAWB at this station"),
        (7, False, "unknown carrier Pony Express"),
    ]
    assert (report.handed_off, report.refused) == (2, 4)
    assert dict(Handoff.objects.values_list("shipment__hawb", "carrier__code")) == {"H0001": "ups", "H0003": "usps"}
    assert set(Handoff.objects.values_list("method", flat=True)) == {"csv"}


def test_a_csv_without_the_needed_columns_is_refused_whole(cfs_org, cfs_user):
    report = services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=b"hawb,tracking\nH0001,1Z\n")
    assert report.error == "The first line must name the columns hawb, carrier and tracking_number (missing: carrier)."
    assert report.lines == []


def test_a_hawb_twice_in_a_csv_is_handed_off_once(forwarder_org, cfs_org, cfs_user):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    content = f"hawb,carrier,tracking_number\nH0001,UPS,{UPS_TRACKING}\nH0001,USPS,{USPS_TRACKING}\n".encode()
    report = services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=content)
    assert [line.refusal for line in report.lines] == ["", "already handed off on line 2"]


def test_a_line_a_parallel_run_of_the_same_file_did_meanwhile_counts_as_done_not_refused(monkeypatch, forwarder_org, cfs_org,
                                                                                          cfs_user):
    """A retried task can work a file beside the run it replaces; they meet on a parcel's lock, one after the other."""
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    content = f"hawb,carrier,tracking_number\nH0001,UPS,{UPS_TRACKING}\n".encode()
    assert services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=content).handed_off == 1  # the other run
    real, asked = services._same_hand_off_done, []

    def not_yet_committed_when_first_asked(*args):
        asked.append(args)
        return False if len(asked) == 1 else real(*args)

    monkeypatch.setattr(services, "_same_hand_off_done", not_yet_committed_when_first_asked)
    report = services.handoffs_from_csv(cfs=cfs_org, user=cfs_user, content=content)
    assert [(line.ok, line.refusal, line.earlier) for line in report.lines] == [(True, "", True)]
    assert (report.handed_off, report.refused) == (1, 0)
    assert Handoff.objects.count() == 1


def long_file(hawbs):
    return ("hawb,carrier,tracking_number\n" + "".join(f"{h},UPS,1Z999AA1{n:010d}\n" for n, h in enumerate(hawbs))).encode()


def test_a_file_worked_in_the_background_keeps_every_refused_line_with_its_reason(forwarder_org, cfs_org, cfs_user):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    release(parcel(manifest, "H0001"))
    batch = services.handoff_batch_create(cfs=cfs_org, user=cfs_user, content=long_file(["H0001", "H0002", "NOPE"]))
    services.handoff_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.handed_off, batch.refused, batch.error) == ("done", 1, 2, "")
    refused = [line for line in batch.report if not line["ok"]]
    assert [(line["line"], line["hawb"], line["carrier"], line["tracking"], line["refusal"]) for line in refused] == [
        (3, "H0002", "UPS", "1Z999AA10000000001", "not released by CBP"),
        (4, "NOPE", "UPS", "1Z999AA10000000002", "no such HAWB at this station")]
    assert services.handoff_batch_progress_get(batch) == {"done": 3, "total": 3, "percent": 100}


def test_a_file_worked_in_the_background_says_why_it_was_refused_whole(cfs_org, cfs_user):
    batch = services.handoff_batch_create(cfs=cfs_org, user=cfs_user, content=b"hawb,tracking\nH0001,1Z\n")
    services.handoff_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == "done" and batch.error.startswith("The first line must name the columns")


def test_a_file_worked_in_the_background_reports_in_the_uploaders_language(cfs_org, cfs_user):
    from django.utils import translation

    with translation.override("zh-hans"):
        batch = services.handoff_batch_create(cfs=cfs_org, user=cfs_user, content=long_file(["NOPE"]))
    services.handoff_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.language == "zh-hans" and batch.report[0]["refusal"] != "no such HAWB at this station"


# --- Demo traffic -------------------------------------------------------------------------------


def test_the_demo_step_takes_authorized_mawbs_all_the_way_to_hand_off_for_released_parcels(forwarder_org, cfs_org):
    from django.utils import timezone

    manifest = mawb_at(forwarder_org, cfs_org, hawbs=("H0001", "H0002", "H0003", "H0004", "H0005"))
    release(*(parcel(manifest, h) for h in ("H0001", "H0002", "H0003", "H0004")))
    hold(parcel(manifest, "H0005"))
    step = services.cfs_simulate_step(cfs=cfs_org, now=timezone.now())
    assert (step.collected, step.received, step.broken_down, step.handed_off) == (1, 1, 1, 4)
    custody = dict(manifest.shipments.values_list("hawb", "custody"))
    assert custody == {"H0001": "handed_off", "H0002": "handed_off", "H0003": "handed_off", "H0004": "handed_off", "H0005": "broken_down"}
    for handoff in Handoff.objects.select_related("carrier"):
        assert handoff.carrier.accepts(handoff.tracking_number) and handoff.method == "simulation"
    arrival = Arrival.objects.get(manifest=manifest)
    assert arrival.pieces_received == arrival.pieces_expected == 5
    events = ShipmentEvent.objects.filter(shipment__hawb="H0001", dimension="custody", to_state="handed_off")
    assert events.get().actor == "system" and events.get().organization == cfs_org
    again = services.cfs_simulate_step(cfs=cfs_org, now=timezone.now())
    assert (again.collected, again.received, again.broken_down, again.handed_off) == (0, 0, 0, 0)


def test_the_demo_step_brings_back_from_exam_what_cbp_released(forwarder_org, cfs_org, cfs_user):
    from django.utils import timezone

    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, hawbs=("H0001", "H0002")))
    examined, waiting = parcel(manifest, "H0001"), parcel(manifest, "H0002")
    lifecycle.shipments_to_exam([examined.pk, waiting.pk], message="1X")
    release(examined)
    step = services.cfs_simulate_step(cfs=cfs_org, now=timezone.now())
    assert (step.back_from_exam, step.handed_off) == (1, 1)
    assert dict(manifest.shipments.values_list("hawb", "custody")) == {"H0001": "handed_off", "H0002": "at_exam"}


def test_the_demo_step_leaves_other_stations_alone(forwarder_org, cfs_org, other_cfs_org):
    from django.utils import timezone

    manifest = mawb_at(forwarder_org, cfs_org)
    assert services.cfs_simulate_step(cfs=other_cfs_org, now=timezone.now()).collected == 0
    manifest.refresh_from_db()
    assert manifest.custody == "transfer_authorized"


def test_a_parcel_that_may_not_leave_is_refused_for_that_reason_even_with_a_bad_label(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    hold(shipment)
    assert hand_off(cfs_org, cfs_user, shipment, ups, tracking="12").refusal == "not released by CBP; a hold is still open"


def test_a_refused_label_leaves_no_trace_of_the_hand_off(forwarder_org, cfs_org, cfs_user, ups):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    assert hand_off(cfs_org, cfs_user, shipment, ups, tracking=USPS_TRACKING).refusal.endswith("is not a UPS tracking number")
    shipment.refresh_from_db()
    assert shipment.custody == "broken_down" and not Handoff.objects.exists()
    assert not shipment.events.filter(to_state="handed_off").exists()


@pytest.mark.parametrize(("code", "good", "bad"), [
    ("ups", UPS_TRACKING, "1Z999AA1012345678"),
    ("fedex", "123456789012", "12345678901"),
    ("dhl", "1234567890", "12345678901"),
    ("usps", USPS_TRACKING, "EZ123456789CN"),
])
def test_every_station_has_the_four_national_carriers_and_knows_their_tracking_numbers(cfs_org, code, good, bad):
    from cfs.queues import carriers_for

    assert set(carriers_for(cfs_org).values_list("code", flat=True)) == {"ups", "fedex", "dhl", "usps"}
    carrier = carriers_for(cfs_org).get(code=code)
    assert carrier.accepts(good) and not carrier.accepts(bad)
