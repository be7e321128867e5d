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


def day(n: int) -> date:
    """n days before TODAY."""
    return TODAY - timedelta(days=n)


def due(cfs, level="", today=TODAY) -> set[str]:
    """The HAWBs a station's general-order list shows at a level ("": day 10 or later)."""
    shipments = queues.station_shipments(cfs, cfs).filter(queues.general_order_due(today, level))
    return set(shipments.values_list("hawb", flat=True))


def days_on_clock(manifest, hawb, today=TODAY) -> int:
    return queues.countdown(queues.clock_start(parcel(manifest, hawb)), today=today).days


def test_a_flight_that_arrived_two_days_early_counts_its_general_order_days_from_its_arrival(forwarder_org, cfs_org):
    early = mawb_at(forwarder_org, cfs_org, hawbs=("E1",), arrival_date=day(8), arrived_on=day(10))
    assert days_on_clock(early, "E1") == 10
    found = counts(cfs_org)
    assert (found["go_warning"], found["go_overdue"]) == (1, 0)  # scheduled eight days ago, landed ten days ago
    assert due(cfs_org, "warning") == due(cfs_org) == {"E1"}


def test_a_flight_that_arrived_early_goes_overdue_on_day_15_of_its_arrival_not_of_its_schedule(forwarder_org, cfs_org):
    mawb_at(forwarder_org, cfs_org, hawbs=("E1", "E2"), arrival_date=day(13), arrived_on=day(15))
    found = counts(cfs_org)
    assert (found["go_warning"], found["go_overdue"]) == (0, 2)
    assert due(cfs_org, "overdue") == {"E1", "E2"} and due(cfs_org, "warning") == set()


def test_a_flight_that_landed_three_days_late_starts_its_clock_on_the_day_it_landed(forwarder_org, cfs_org):
    late = mawb_at(forwarder_org, cfs_org, hawbs=("L1",), arrival_date=day(12), arrived_on=day(9))
    later = mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("L2",), arrival_date=day(17), arrived_on=day(14))
    assert (days_on_clock(late, "L1"), days_on_clock(later, "L2")) == (9, 14)
    found = counts(cfs_org)
    assert (found["go_warning"], found["go_overdue"]) == (1, 0)  # by the schedule: one warning and one overdue
    assert due(cfs_org) == due(cfs_org, "warning") == {"L2"}


def test_parcels_whose_flight_has_not_arrived_are_off_the_clock_even_past_their_scheduled_date(forwarder_org, cfs_org):
    mawb_at(forwarder_org, cfs_org, hawbs=("N1",), arrival_date=day(16), arrived=False)
    assert parcel(queues.station_manifests(cfs_org, cfs_org).get(), "N1").arrived_on is None
    assert (counts(cfs_org)["go_warning"], counts(cfs_org)["go_overdue"]) == (0, 0)
    assert due(cfs_org) == set() and not queues.general_order_watch(queues.station_shipments(cfs_org, cfs_org)).exists()


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
