"""Each request shows times on its organization's clock: a station's airport's, the zone an organization chose, or the
portal's; never leaking into the next request the same thread serves."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from shipments.models import ShipmentEvent
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


def zone_shown(client, user) -> str:
    client.force_login(user)
    return re.search(r'data-testid="time-zone">Times in ([\w/]+)<', client.get("/accounts/profile/").content.decode()).group(1)


def test_a_station_reads_its_airports_time(client, cfs_user, other_cfs_user):
    assert zone_shown(client, cfs_user) == "America/Los_Angeles"
    assert zone_shown(client, other_cfs_user) == "America/New_York"


def test_a_forwarder_reads_the_zone_it_chose_and_a_broker_without_one_the_portals(client, owner, colleague, broker_user, settings):
    settings.TIME_ZONE = "UTC"
    owner.membership.organization.time_zone = "Asia/Shanghai"
    owner.membership.organization.save()
    assert zone_shown(client, owner) == zone_shown(client, colleague) == "Asia/Shanghai"
    assert zone_shown(client, broker_user) == "UTC"


def test_support_reads_the_operators_zone(client, support_user, operator_org):
    operator_org.time_zone = "Europe/London"
    operator_org.save()
    assert zone_shown(client, support_user) == "Europe/London"


def test_the_zone_of_a_request_does_not_stay_with_the_thread(client, cfs_user):
    zone_shown(client, cfs_user)
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()


def test_a_forwarder_in_asia_reads_its_mawb_timeline_in_its_own_time_with_the_zone_named(client, owner, forwarder_org):
    forwarder_org.time_zone = "Asia/Shanghai"
    forwarder_org.save()
    shipment = shipment_for(manifest_for(forwarder_org))
    ShipmentEvent.objects.create(shipment=shipment, dimension="custody", from_state="awaiting_arrival", to_state="at_terminal",
                                 actor="ace", at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC), message="Arrived")  # 18:00 PDT at LAX
    client.force_login(owner)
    page = client.get(f"/shipments/{shipment.pk}/").content.decode()
    assert "2026-03-10 09:00 CST" in page  # Shanghai's clock, and says so


def test_a_station_reads_the_same_moment_on_its_airports_clock(client, forwarder_org, cfs_org, cfs_user):
    shipment = shipment_for(manifest_for(forwarder_org, cfs=cfs_org))
    ShipmentEvent.objects.create(shipment=shipment, dimension="custody", from_state="awaiting_arrival", to_state="at_terminal",
                                 actor="ace", at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC), message="Arrived")
    client.force_login(cfs_user)
    assert "2026-03-09 18:00 PDT" in client.get(f"/shipments/{shipment.pk}/").content.decode()

