"""A station's work queues and the general-order countdown (15 days from arrival, warning at day 10)."""

from datetime import date, timedelta

import pytest

from cfs import queues
from shipments import lifecycle
from tests.cfs.conftest import broken_down, collect, hold, mawb_at, parcel, receive, release

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)


def counts(cfs, today=TODAY):
    return queues.queue_counts(cfs, cfs, today=today)


@pytest.mark.parametrize(("days", "level", "left"), [(0, "ok", 15), (9, "ok", 6), (10, "warning", 5), (14, "warning", 1),
                                                      (15, "overdue", 0), (20, "overdue", -5)])
def test_the_countdown_warns_from_day_10_and_is_overdue_from_day_15(days, level, left):
    clock = queues.countdown(TODAY - timedelta(days=days), today=TODAY)
    assert (clock.days, clock.level, clock.left) == (days, level, left)


def test_a_parcel_arrived_before_its_scheduled_date_is_at_day_0_not_a_negative_day():
    clock = queues.countdown(TODAY + timedelta(days=1), today=TODAY)
    assert (clock.days, clock.level, clock.left) == (0, "ok", 15)


def test_each_mawb_is_in_the_queue_of_its_custody(forwarder_org, cfs_org, cfs_user):
    mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    collect(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345686"))
    in_warehouse = mawb_at(forwarder_org, cfs_org, mawb="16012345690")
    collect(cfs_org, cfs_user, in_warehouse)
    receive(cfs_org, cfs_user, in_warehouse)
    broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345701"))
    mawb_at(forwarder_org, cfs_org, mawb="16012345712", permit=False)  # at the terminal, no permit yet: nobody's work
    found = counts(cfs_org)
    assert (found["to_collect"], found["in_transit"], found["in_warehouse"], found["breaking_down"]) == (1, 1, 1, 1)


def test_parcels_are_ready_only_when_released_without_hold_and_broken_down(forwarder_org, cfs_org, cfs_user):
    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, hawbs=("H0001", "H0002", "H0003", "H0004")))
    release(parcel(manifest, "H0001"), parcel(manifest, "H0004"))
    hold(parcel(manifest, "H0002"))
    lifecycle.shipments_to_exam([parcel(manifest, "H0004").pk], message="1X")
    in_warehouse = mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("J0001",))
    release(parcel(in_warehouse, "J0001"))  # released, but its MAWB is not broken down yet
    ready = queues.ready_for_hand_off(queues.station_shipments(cfs_org, cfs_org))
    assert set(ready.values_list("hawb", flat=True)) == {"H0001"}
    held = queues.held_or_at_exam(queues.station_shipments(cfs_org, cfs_org))
    assert set(held.values_list("hawb", flat=True)) == {"H0002", "H0004"}
    found = counts(cfs_org)
    assert (found["ready"], found["held"]) == (1, 2)
    assert queues.breaking_down(queues.station_manifests(cfs_org, cfs_org)).get().ready == 1


def test_the_general_order_clock_counts_arrived_parcels_not_released(forwarder_org, cfs_org):
    mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("A9",), arrival_date=TODAY - timedelta(days=9))
    ten = mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("B10", "B10R"), arrival_date=TODAY - timedelta(days=10))
    fifteen = mawb_at(forwarder_org, cfs_org, mawb="16012345690", hawbs=("C15", "C15H"), arrival_date=TODAY - timedelta(days=15))
    release(parcel(ten, "B10R"))  # released: no general order
    hold(parcel(fifteen, "C15H"))  # held: the clock still runs
    # The arrival notice starts the clock; for this flight it never came.
    mawb_at(forwarder_org, cfs_org, mawb="16012345701", hawbs=("D20",), arrival_date=TODAY - timedelta(days=20), arrived=False)
    found = counts(cfs_org)
    assert (found["go_warning"], found["go_overdue"]) == (1, 2)
    watched = queues.general_order_watch(queues.station_shipments(cfs_org, cfs_org))
    assert set(watched.values_list("hawb", flat=True)) == {"A9", "B10", "C15", "C15H"}
    yesterday = counts(cfs_org, today=TODAY - timedelta(days=1))
    assert (yesterday["go_warning"], yesterday["go_overdue"]) == (2, 0)  # B10 at day 9, C15 and C15H at day 14


def test_handed_off_parcels_leave_the_general_order_clock(forwarder_org, cfs_org, cfs_user):
    from cfs import services
    from cfs.models import Carrier

    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, hawbs=("H0001",), arrival_date=TODAY - timedelta(days=16)))
    shipment = parcel(manifest, "H0001")
    release(shipment)
    services.shipment_hand_off(cfs=cfs_org, user=cfs_user, shipment_id=shipment.pk, carrier_id=Carrier.objects.get(code="dhl").pk,
                               tracking_number="1234567890")
    assert counts(cfs_org)["go_overdue"] == 0
    assert not queues.general_order_watch(queues.station_shipments(cfs_org, cfs_org)).exists()


def test_a_station_counts_only_its_own_work(forwarder_org, cfs_org, other_cfs_org):
    mawb_at(forwarder_org, cfs_org)
    assert counts(cfs_org)["to_collect"] == 1
    assert counts(other_cfs_org)["to_collect"] == 0
