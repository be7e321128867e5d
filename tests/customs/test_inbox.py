"""ACE's notices read by the portal (customs/ace/inbox.py): an arrival notice starts the general-order clock on the day
ACE says the flight arrived, however late the notice is read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customs.ace.adapter import Notice
from shipments.models import Manifest, Shipment
from tests.customs.test_holds import tell
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def flight(forwarder_org):
    manifest = manifest_for(forwarder_org, arrival_date=timezone.localdate())
    shipment_for(manifest)
    return manifest


def arrived_on(manifest):
    return Manifest.objects.get(pk=manifest.pk).arrived_on, set(Shipment.objects.filter(manifest=manifest)
                                                                   .values_list("arrived_on", flat=True))


def test_an_arrival_notice_read_two_days_late_starts_the_clock_on_the_day_it_says(monkeypatch, flight):
    landed = timezone.now() - timedelta(days=2)
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=flight.mawb, at=landed))
    assert arrived_on(flight) == (timezone.localdate(landed), {timezone.localdate(landed)})


def test_an_arrival_notice_without_a_time_starts_the_clock_on_the_day_it_is_read(monkeypatch, flight):
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=flight.mawb))
    assert arrived_on(flight) == (timezone.localdate(), {timezone.localdate()})


def test_an_arrival_time_ahead_of_the_portals_clock_counts_as_today(monkeypatch, flight):
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=flight.mawb, at=timezone.now() + timedelta(days=3)))
    assert arrived_on(flight) == (timezone.localdate(), {timezone.localdate()})


def test_arrivals_read_together_keep_each_flights_own_day(monkeypatch, forwarder_org, flight):
    other = manifest_for(forwarder_org, mawb="16012345686", arrival_date=timezone.localdate())
    shipment_for(other, hawb="H0002")
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR 1", mawb=flight.mawb, at=timezone.now() - timedelta(days=1)),
         Notice(code="ARR", raw="FSN|ARR 2", mawb=other.mawb, at=timezone.now() - timedelta(days=4)))
    assert arrived_on(flight)[0] == timezone.localdate() - timedelta(days=1)
    assert arrived_on(other)[0] == timezone.localdate() - timedelta(days=4)
