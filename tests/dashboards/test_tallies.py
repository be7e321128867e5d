"""The boards' summary tables: recomputed from the shipments and events, idempotent, fresh within a refresh."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q

from calista import clocks
from cfs.queues import WATCHED
from dashboards import boards, tallies
from dashboards.models import FlowTally, StatusTally, TallyRun
from dashboards.tasks import tallies_refresh_task
from shipments.models import Shipment, ShipmentEvent
from tests.dashboards.conftest import D, H, ago, arrived, handed_off, released
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


def rows(model) -> list[tuple]:
    return sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields if f.name != "id"]))


def test_a_refresh_run_twice_leaves_the_same_tallies(world):
    first = (rows(StatusTally), rows(FlowTally))
    tallies.tallies_refresh()
    assert (rows(StatusTally), rows(FlowTally)) == first
    assert TallyRun.objects.get().finished_at is not None


def test_the_first_run_builds_every_kept_day_and_later_runs_only_since_yesterday(world):
    today = clocks.airport_today("LAX")  # the westernmost airport's: its yesterday is the earliest
    assert TallyRun.objects.get().flows_from == today - timedelta(days=tallies.KEEP_DAYS)
    result = tallies.tallies_refresh()
    assert not result["full"] and result["flows_from"] == (today - timedelta(days=1)).isoformat()


def test_a_change_reaches_the_board_at_the_next_refresh(world, owner):
    org = owner.membership.organization
    a3 = world["A3"].shipment
    Shipment.objects.filter(pk=a3.pk).update(status="released")
    released(a3, ago(H))
    assert boards.board_read(org=org, period="7d").durations[0].count == 5  # not yet: the tallies are a minute behind
    tallies_refresh_task.delay()
    board = boards.board_read(org=org, period="7d")
    assert board.durations[0].count == 6 and {f.key: f.count for f in board.statuses}["released"] == 5


def test_days_that_are_over_stay_as_they_were_unless_everything_is_recomputed(world, owner):
    """An event's time is when it was written, so no new event falls on a past day; a full run is there for repairs."""
    org = owner.membership.organization
    late = world["A5"].shipment
    arrived(late, ago(5 * D))
    released(late, ago(5 * D) + 2 * H)
    tallies.tallies_refresh()
    assert boards.board_read(org=org, period="7d").durations[0].count == 5
    call_command("boards_refresh", "--full", verbosity=0)
    assert boards.board_read(org=org, period="7d").durations[0].count == 6


def test_days_older_than_kept_are_dropped(world):
    old = clocks.airport_today("LAX") - timedelta(days=tallies.KEEP_DAYS + 3)
    FlowTally.objects.create(airport="LAX", forwarder_org=1, broker_org=0, cfs_org=0, day=old, metric="rejected", code="E01", count=1)
    tallies.tallies_refresh()
    assert not FlowTally.objects.filter(day__lt=clocks.airport_today("LAX") - timedelta(days=tallies.KEEP_DAYS)).exists()


@pytest.mark.parametrize("minutes", [0, 0.5, 1, 59, 60, 61, 125, 24 * 60, 3 * 24 * 60 + 7, 40 * 24 * 60])
def test_the_database_puts_a_duration_in_the_band_the_python_mirror_says(forwarder_org, minutes):
    shipment = shipment_for(manifest_for(forwarder_org), hawb="D1", status="released")
    start = ago(45 * D)
    arrived(shipment, start)
    released(shipment, start + timedelta(minutes=minutes))
    tallies.tallies_refresh(full=True)
    band = FlowTally.objects.get(metric="released")
    assert band.bucket == tallies.bucket_of(minutes * 60)
    assert band.seconds == round(minutes * 60)


def test_a_release_before_the_flight_landed_counts_as_released_on_arrival(forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org), hawb="E1", status="released", custody="handed_off")
    released(shipment, ago(10 * H))
    arrived(shipment, ago(8 * H))
    handed_off(shipment, ago(4 * H))
    tallies.tallies_refresh()
    to_release = FlowTally.objects.get(metric="released")
    to_hand_off = FlowTally.objects.get(metric="handed_off")
    assert (to_release.count, to_release.seconds) == (1, 0)
    assert (to_hand_off.count, to_hand_off.seconds) == (1, 6 * 3600)


def test_a_release_with_no_arrival_yet_counts_as_released_on_arrival(forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org), hawb="E2", status="released", custody="awaiting_arrival")
    released(shipment, ago(2 * H))
    tallies.tallies_refresh()
    assert FlowTally.objects.get(metric="released").seconds == 0


def test_status_tallies_keep_only_recent_arrivals(forwarder_org):
    today = clocks.airport_today("LAX")
    shipment_for(manifest_for(forwarder_org, arrival_date=today - timedelta(days=tallies.STATUS_DAYS + 1)), hawb="OLD")
    shipment_for(manifest_for(forwarder_org, mawb="16012345686", arrival_date=today + timedelta(days=2)), hawb="NEXT")
    late = manifest_for(forwarder_org, mawb="16012345690", arrival_date=today - timedelta(days=tallies.STATUS_DAYS + 2),
                        custody="at_terminal", arrived_on=today - timedelta(days=tallies.STATUS_DAYS))
    shipment_for(late, hawb="LATE", custody="at_terminal")  # due long ago, landed recently: a recent arrival
    tallies.tallies_refresh()
    assert sorted(StatusTally.objects.values_list("arrival_date", "arrived_on", "count")) == [
        (late.arrival_date, late.arrived_on, 1), (today + timedelta(days=2), None, 1)]


def test_a_flight_that_lands_is_counted_at_the_next_refresh_on_the_day_its_arrival_notice_names(forwarder_org, owner):
    from shipments import lifecycle

    today = clocks.airport_today("LAX")
    manifest = manifest_for(forwarder_org, arrival_date=today - timedelta(days=3))  # due three days ago, not landed
    shipment_for(manifest, hawb="L1")
    tallies.tallies_refresh()

    def arrived_by_day():
        board = boards.board_read(org=owner.membership.organization, period="7d")
        return {d["day"]: d["arrived"] for d in board.days if d["arrived"]}

    assert arrived_by_day() == {}
    lifecycle.manifests_arrived([manifest.pk], on=today - timedelta(days=1))  # read today, from a backlog: landed yesterday
    assert arrived_by_day() == {}  # the tallies are a minute behind
    tallies.tallies_refresh()
    assert arrived_by_day() == {today - timedelta(days=1): 1}


def test_the_percentile_of_a_histogram_is_the_mean_of_the_band_holding_its_rank():
    assert boards.percentile([], 0.5) is None
    assert boards.percentile([(1, 60), (1, 120), (1, 180)], 0.5) == 120
    assert boards.percentile([(2, 100), (8, 8000)], 0.1) == 50
    assert boards.percentile([(2, 100), (8, 8000)], 0.9) == 1000


def test_the_indexes_the_boards_rely_on_match_the_conditions_they_serve():
    go_watch = next(i for i in Shipment._meta.indexes if i.name == "shipment_go_watch")
    assert go_watch.condition == WATCHED  # the general-order watch of cfs.queues, exactly, or PostgreSQL will not use it
    landed = next(i for i in Shipment._meta.indexes if i.name == "shipment_landed")
    assert landed.condition == Q(arrived_on__isnull=False) and landed.fields[0] == "arrived_on"  # as arriving_since asks
    awaited = next(i for i in Shipment._meta.indexes if i.name == "shipment_awaited")
    assert awaited.condition == Q(arrived_on__isnull=True) and awaited.fields[0] == "arrival_date"  # its other branch
    flow = next(i for i in ShipmentEvent._meta.indexes if i.name == "event_flow_at")
    assert flow.condition.children[0][1] == list(tallies.FLOW_STATES)


def test_a_day_of_releases_is_the_day_at_the_airport_where_they_happened(forwarder_org, clock):
    clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    lax = shipment_for(manifest_for(forwarder_org, airport="LAX"), hawb="L1", status="released")
    jfk = shipment_for(manifest_for(forwarder_org, mawb="16012345686", airport="JFK"), hawb="J1", status="released")
    released(lax, datetime(2026, 3, 10, 5, 30, tzinfo=UTC))  # 22:30 PDT on the 9th at LAX
    released(jfk, datetime(2026, 3, 10, 5, 30, tzinfo=UTC))  # 01:30 EDT on the 10th at JFK
    tallies.tallies_refresh(full=True)
    assert sorted(FlowTally.objects.filter(metric="released").values_list("airport", "day")) == [
        ("JFK", date(2026, 3, 10)), ("LAX", date(2026, 3, 9))]


def test_a_refresh_just_after_midnight_at_lax_recomputes_lax_s_yesterday(forwarder_org, clock):
    clock(datetime(2026, 3, 10, 7, 5, tzinfo=UTC))  # 00:05 PDT on the 10th at LAX, 03:05 EDT at JFK
    assert tallies.tallies_refresh(full=True)["flows_from"] == (date(2026, 3, 10) - timedelta(days=tallies.KEEP_DAYS)).isoformat()
    assert tallies.tallies_refresh()["flows_from"] == "2026-03-09"
    clock(datetime(2026, 3, 10, 4, 5, tzinfo=UTC))  # 00:05 EDT at JFK, still 21:05 PDT on the 9th at LAX
    assert tallies.tallies_refresh()["flows_from"] == "2026-03-08"
