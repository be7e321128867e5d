"""Data migrations: what they make of the rows already stored."""

import importlib
from datetime import UTC, date, datetime

import pytest
from django.apps import apps

from shipments.models import Manifest, Shipment, ShipmentEvent
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db

actual_arrival = importlib.import_module("shipments.migrations.0012_actual_arrival")


def test_parcels_that_arrived_before_the_migration_get_the_day_of_their_mawbs_first_arrival_event(forwarder_org):
    scheduled = date(2026, 11, 20)
    landed = manifest_for(forwarder_org, mawb="16012345675", arrival_date=scheduled, custody="broken_down", arrived_on=None)
    with_event = shipment_for(landed, hawb="H1", custody="broken_down", arrived_on=None)
    shipment_for(landed, hawb="H2", custody="broken_down", arrived_on=None)  # no arrival event of its own
    ShipmentEvent.objects.create(shipment=with_event, dimension="custody", from_state="awaiting_arrival", to_state="at_terminal",
                                 actor="ace", at=datetime(2026, 11, 18, 9, 30, tzinfo=UTC))
    no_event = manifest_for(forwarder_org, mawb="16012345686", arrival_date=scheduled, custody="at_cfs", arrived_on=None)
    shipment_for(no_event, hawb="H3", custody="at_cfs", arrived_on=None)
    awaited = manifest_for(forwarder_org, mawb="16012345690", arrival_date=scheduled)
    shipment_for(awaited, hawb="H4")

    actual_arrival.arrivals_backfill(apps, None)

    assert dict(Manifest.objects.values_list("mawb", "arrived_on")) == {
        "16012345675": date(2026, 11, 18), "16012345686": scheduled, "16012345690": None}
    assert dict(Shipment.objects.values_list("hawb", "arrived_on")) == {
        "H1": date(2026, 11, 18), "H2": date(2026, 11, 18), "H3": scheduled, "H4": None}
