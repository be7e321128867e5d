"""The demo traffic: its flights arrive on days counted from today at their own airport."""

from datetime import UTC, date, datetime

import pytest

from accounts.demo import demo_organizations_ensure
from shipments.demo import demo_shipments_ensure
from shipments.models import Manifest

pytestmark = pytest.mark.django_db


def test_the_demo_flight_arriving_today_arrives_on_lax_s_today_in_its_evening(clock):
    clock(datetime(2026, 3, 10, 1, 0, tzinfo=UTC))  # 18:00 PDT on 9 March at LAX: already the 10th in UTC
    demo_shipments_ensure(demo_organizations_ensure())
    days = dict(Manifest.objects.filter(forwarder__slug="demo-forwarder-2").values_list("destination_airport", "arrival_date"))
    assert days == {"LAX": date(2026, 3, 9)}
