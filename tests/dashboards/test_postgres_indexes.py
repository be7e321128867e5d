"""On PostgreSQL, the queries that must stay fast over a million shipments can use the indexes made for them.

(Speed itself is measured by `make bench PART=dashboards`, never asserted here; these tests check that each
query has the shape its index serves, so a change to either is caught.)
"""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from calista.db import fold
from cfs.queues import general_order_due
from dashboards import support, tallies
from shipments.models import Shipment
from tests.conftest import services_required, unavailable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        unavailable("these tests need PostgreSQL (DATABASE_URL)", required=services_required())


def plan(queryset) -> str:
    """PostgreSQL's plan for the query, with sequential scans priced out so that any usable index shows."""
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_trigram_extension_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()


def test_a_search_by_part_of_a_name_uses_the_trigram_index(world, support_user):
    (_label, condition, _cost), = [c for c in support._lookups("ana lop") if c[0] == "consignee name"]
    assert "shipment_consignee_trgm" in plan(Shipment.objects.filter(condition).values("id")[:51])


def test_a_search_by_a_name_without_its_accents_uses_the_trigram_index_of_folded_names(world, support_user):
    (_label, condition, _cost), = [c for c in support._lookups("pena maria") if c[0] == "consignee name"]
    assert "shipment_consignee_trgm" in plan(Shipment.objects.filter(condition).values("id")[:51])


def test_names_are_folded_by_the_unaccent_extension_as_in_python():
    name = "María Peña ANDRÉS Nguyễn Văn Đức Straße Søren Łukasz 王小明"
    with connection.cursor() as cursor:
        cursor.execute("SELECT calista_fold(%s)", [name])
        assert cursor.fetchone()[0] == fold(name) == "Maria Pena ANDRES Nguyen Van Duc Strasse Soren Lukasz 王小明"


def test_a_search_by_hawb_uses_its_index(world):
    (_label, condition, _cost), *_rest = support._lookups("A13")
    assert "Index" in plan(Shipment.objects.filter(condition).values("id"))


@pytest.mark.parametrize("level", ["", "warning", "overdue"])
def test_the_general_order_watch_uses_its_partial_index_on_the_actual_arrival(world, level):
    assert "shipment_go_watch" in plan(Shipment.objects.filter(general_order_due(timezone.localdate(), level)).values("id"))


def test_the_daily_flows_read_recent_events_through_their_partial_index(world):
    for queryset in tallies.flow_rows(since=timezone.localdate() - timedelta(days=1)):
        assert "event_flow_at" in plan(queryset)


def test_the_arrivals_of_a_day_and_the_landed_part_of_a_period_read_the_index_of_landed_parcels(world, support_user):
    from dashboards.boards import BoardFilter, shipments_filter

    day = timezone.localdate()
    org = support_user.membership.organization
    assert "shipment_landed" in plan(shipments_filter(org=org, criteria=BoardFilter(arrived_from=day, arrived_to=day)).values("id"))
    assert "shipment_landed" in plan(shipments_filter(org=org, criteria=BoardFilter(arriving_from=day)).values("id"))


def test_a_period_is_counted_from_the_indexes_of_landed_and_of_awaited_parcels_not_from_the_whole_table(world, support_user):
    from dashboards.boards import BoardFilter, shipments_filter

    org = support_user.membership.organization
    found = plan(shipments_filter(org=org, criteria=BoardFilter(arriving_from=timezone.localdate())).values("id"))
    assert "shipment_landed" in found and "shipment_awaited" in found


def test_the_first_page_of_a_days_arrivals_is_read_in_the_lists_order_from_the_index_of_landed_parcels(world, support_user):
    from dashboards.boards import BoardFilter, shipments_filter

    day = timezone.localdate()
    org = support_user.membership.organization
    page = shipments_filter(org=org, criteria=BoardFilter(arrived_from=day, arrived_to=day)).order_by("-arrival_date", "mawb", "hawb")
    found = plan(page[:50])
    assert "shipment_landed" in found and "Sort" not in found
