"""The lifecycle owns both dimensions of status: allowed moves happen with one event each, the rest are refused."""

import itertools

import pytest
from django.utils import translation

from calista import clocks
from shipments import lifecycle
from shipments.lifecycle import CUSTODY_MOVES, CUSTOMS_MOVES
from shipments.models import Custody, CustomsStatus, Manifest, Shipment, ShipmentEvent
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def manifest(forwarder_org, cfs_org):
    return manifest_for(forwarder_org, cfs=cfs_org)


def parcel(manifest, n=1, **fields):
    return shipment_for(manifest, hawb=f"H{n:05d}", **fields)


ALL_STATUSES = [s.value for s in CustomsStatus]
ALL_CUSTODY = [c.value for c in Custody]


@pytest.mark.parametrize(("current", "to"), list(itertools.product(ALL_STATUSES, ALL_STATUSES)))
def test_every_customs_move_is_allowed_exactly_as_the_table_says(manifest, user_actor, current, to):
    shipment = parcel(manifest, status=current)
    outcome = lifecycle.move(shipment_ids=[shipment.pk], dimension="customs", to=to, actor=user_actor, message="test")
    shipment.refresh_from_db()
    if to in CUSTOMS_MOVES.get(current, ()):
        assert outcome.moved == [shipment.pk] and shipment.status == to
        event = shipment.events.get()
        assert (event.dimension, event.from_state, event.to_state, event.actor) == ("customs", current, to, "user")
    else:
        assert outcome.refused and shipment.status == current and not shipment.events.exists()


@pytest.mark.parametrize(("current", "to"), list(itertools.product(ALL_CUSTODY, ALL_CUSTODY)))
def test_every_custody_move_is_allowed_exactly_as_the_table_says(manifest, user_actor, current, to):
    shipment = parcel(manifest, custody=current)
    outcome = lifecycle.move(shipment_ids=[shipment.pk], dimension="custody", to=to, actor=user_actor, message="test")
    shipment.refresh_from_db()
    allowed = to in CUSTODY_MOVES.get(current, ())
    assert bool(outcome.moved) == allowed
    assert shipment.custody == (to if allowed else current)
    assert shipment.events.count() == int(allowed)


@pytest.fixture
def user_actor(broker_user, broker_org):
    return lifecycle.Actor.of(broker_user, broker_org)


def test_a_refused_move_says_why_and_changes_nothing(manifest, user_actor):
    shipment = parcel(manifest, status="released")
    outcome = lifecycle.shipments_approve([shipment.pk], actor=user_actor)
    assert outcome.refused[shipment.pk] == "cannot go from Released to Approved"
    assert outcome.reasons() == ["cannot go from Released to Approved"]
    assert Shipment.objects.get(pk=shipment.pk).status == "released"


def test_a_mixed_selection_moves_what_may_move_and_refuses_the_rest(manifest, user_actor):
    waiting = [parcel(manifest, n) for n in range(1, 4)]
    filed = parcel(manifest, 9, status="filed")
    outcome = lifecycle.shipments_approve([s.pk for s in waiting] + [filed.pk, 999999], actor=user_actor)
    assert sorted(outcome.moved) == sorted(s.pk for s in waiting)
    assert set(outcome.refused) == {filed.pk, 999999}
    assert outcome.refused[999999] == "no such shipment"


def test_thousands_of_shipments_move_in_a_handful_of_queries(manifest, user_actor, django_assert_max_num_queries):
    Shipment.objects.bulk_create([
        Shipment(manifest=manifest, forwarder=manifest.forwarder, broker=manifest.broker, mawb=manifest.mawb, hawb=f"B{n:06d}",
                 origin_airport="HKG", destination_airport="LAX", flight_number="CX880", arrival_date=manifest.arrival_date,
                 shipper_name="S", shipper_address="A", shipper_country="HK", consignee_name="C", consignee_address1="A",
                 consignee_city="X", consignee_state="CA", consignee_zip="90210", description="Phone case", hts_code="3926909985",
                 country_of_origin="VN", pieces=1, weight_kg=1, weight_original="1 K", value_usd=10, consignee_key="k", entry_type="11")
        for n in range(3000)
    ])
    ids = list(Shipment.objects.values_list("id", flat=True))
    with django_assert_max_num_queries(60):  # not one per shipment: SQLite splits bulk inserts by its variable limit
        outcome = lifecycle.shipments_approve(ids, actor=user_actor)
    assert len(outcome.moved) == 3000
    assert ShipmentEvent.objects.filter(to_state="approved").count() == 3000


def test_a_mawb_moves_with_every_hawb_still_in_its_custody(manifest, user_actor):
    parcels = [parcel(manifest, n) for n in range(1, 4)]
    lifecycle.manifests_arrived([manifest.pk])
    lifecycle.manifests_transfer_authorized([manifest.pk], firms_code="L101")
    outcome = lifecycle.manifests_collect([manifest.pk], actor=user_actor, message="truck 7")
    assert outcome.moved == [manifest.pk]
    assert Manifest.objects.get(pk=manifest.pk).custody == "in_transit"
    assert set(Shipment.objects.filter(pk__in=[p.pk for p in parcels]).values_list("custody", flat=True)) == {"in_transit"}
    assert ShipmentEvent.objects.filter(dimension="custody", to_state="in_transit").count() == 3


def test_the_arrival_notice_records_the_day_the_flight_arrived_on_the_mawb_and_every_parcel(manifest):
    parcels = [parcel(manifest, n) for n in range(1, 4)]
    lifecycle.manifests_arrived([manifest.pk])
    today = clocks.airport_today("LAX")
    assert Manifest.objects.get(pk=manifest.pk).arrived_on == today
    assert set(Shipment.objects.filter(pk__in=[p.pk for p in parcels]).values_list("arrived_on", flat=True)) == {today}


def test_one_arrival_moment_is_recorded_as_the_day_at_each_mawbs_own_airport(forwarder_org, cfs_org, other_cfs_org):
    from datetime import UTC, date, datetime

    lax, jfk = manifest_for(forwarder_org, cfs=cfs_org), manifest_for(forwarder_org, mawb="16012345686", airport="JFK",
                                                                       cfs=other_cfs_org)
    parcel(lax, 1), parcel(jfk, 2)
    outcome = lifecycle.manifests_arrived([lax.pk, jfk.pk], at=datetime(2026, 3, 10, 5, 30, tzinfo=UTC))
    assert sorted(outcome.moved) == sorted([lax.pk, jfk.pk])
    assert dict(Manifest.objects.values_list("mawb", "arrived_on")) == {lax.mawb: date(2026, 3, 9), jfk.mawb: date(2026, 3, 10)}
    assert dict(Shipment.objects.values_list("hawb", "arrived_on")) == {"H00001": date(2026, 3, 9), "H00002": date(2026, 3, 10)}
    assert ShipmentEvent.objects.filter(dimension="custody", to_state="at_terminal").count() == 2


def test_the_first_record_of_an_arrival_is_kept(manifest, user_actor):
    from datetime import date

    shipment = parcel(manifest)
    lifecycle.manifests_arrived([manifest.pk], on=date(2026, 11, 18))
    again = lifecycle.manifests_arrived([manifest.pk], actor=user_actor, on=date(2026, 11, 21))
    assert again.refused[manifest.pk] == "already At airline terminal"
    lifecycle.manifests_transfer_authorized([manifest.pk], firms_code="L101")
    assert Manifest.objects.get(pk=manifest.pk).arrived_on == date(2026, 11, 18)
    assert Shipment.objects.get(pk=shipment.pk).arrived_on == date(2026, 11, 18)


def test_a_mawb_cannot_skip_a_step(manifest, user_actor):
    outcome = lifecycle.manifests_collect([manifest.pk], actor=user_actor, message="too early")
    assert outcome.refused[manifest.pk] == "cannot go from Awaiting arrival to In transit to CFS"


@pytest.mark.parametrize(("fields", "why"), [
    ({"status": "accepted", "custody": "broken_down"}, "not released by CBP"),
    ({"status": "released", "custody": "broken_down", "open_holds": 1}, "a hold is still open"),
    ({"status": "released", "custody": "at_cfs"}, "not broken down"),
    ({"status": "on_hold", "custody": "at_cfs", "open_holds": 1}, "not released by CBP; a hold is still open; not broken down"),
])
def test_a_hand_off_is_refused_with_every_missing_condition(manifest, user_actor, fields, why):
    shipment = parcel(manifest, **fields)
    outcome = lifecycle.shipments_hand_off([shipment.pk], actor=user_actor, message="UPS 1Z")
    assert outcome.refused[shipment.pk] == why
    assert Shipment.objects.get(pk=shipment.pk).custody == fields["custody"]


def test_a_released_broken_down_parcel_without_holds_is_handed_off(manifest, user_actor):
    shipment = parcel(manifest, status="released", custody="broken_down")
    assert lifecycle.shipments_hand_off([shipment.pk], actor=user_actor, message="UPS 1Z999").moved == [shipment.pk]
    assert Shipment.objects.get(pk=shipment.pk).custody == "handed_off"


def test_events_are_written_in_english_and_refusals_read_in_the_readers_language(manifest, user_actor):
    waiting, released = parcel(manifest, 1), parcel(manifest, 2, status="released")
    with translation.override("zh-hans"):
        outcome = lifecycle.shipments_approve([waiting.pk, released.pk], actor=user_actor)
        assert str(outcome.refused[released.pk]) == "不能从已放行变为已批准"
    assert ShipmentEvent.objects.get(shipment=waiting).message == "Approved by the broker"
    assert str(outcome.refused[released.pk]) == "cannot go from Released to Approved"
