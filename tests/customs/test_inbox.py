"""ACE's notices read by the portal (customs/ace/inbox.py): an arrival notice starts the general-order clock on the day
ACE says the flight arrived, at the airport it arrived at, however late the notice is read; a notice that asks the broker to
act (2M) reaches the broker."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from calista import clocks
from customs.ace.adapter import Notice
from customs.models import Entry
from shipments.models import Manifest, Shipment
from tests.customs.test_holds import tell
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def flight(forwarder_org):
    manifest = manifest_for(forwarder_org, airport="LAX", arrival_date=clocks.airport_today("LAX"))
    shipment_for(manifest)
    return manifest


def arrived_on(manifest):
    return Manifest.objects.get(pk=manifest.pk).arrived_on, set(Shipment.objects.filter(manifest=manifest)
                                                                   .values_list("arrived_on", flat=True))


def test_an_arrival_notice_read_two_days_late_starts_the_clock_on_the_day_it_says(monkeypatch, flight):
    landed = timezone.now() - timedelta(days=2)
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=flight.mawb, at=landed))
    assert arrived_on(flight) == (clocks.airport_date("LAX", landed), {clocks.airport_date("LAX", landed)})


def test_an_arrival_notice_without_a_time_starts_the_clock_on_the_day_it_is_read(monkeypatch, flight):
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=flight.mawb))
    assert arrived_on(flight) == (clocks.airport_today("LAX"), {clocks.airport_today("LAX")})


def test_an_arrival_time_ahead_of_the_portals_clock_counts_as_today(monkeypatch, flight):
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=flight.mawb, at=timezone.now() + timedelta(days=3)))
    assert arrived_on(flight) == (clocks.airport_today("LAX"), {clocks.airport_today("LAX")})


def test_arrivals_read_together_keep_each_flights_own_day(monkeypatch, forwarder_org, flight):
    other = manifest_for(forwarder_org, mawb="16012345686", airport="LAX", arrival_date=clocks.airport_today("LAX"))
    shipment_for(other, hawb="H0002")
    one_day, four_days = timezone.now() - timedelta(days=1), timezone.now() - timedelta(days=4)
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR 1", mawb=flight.mawb, at=one_day),
         Notice(code="ARR", raw="FSN|ARR 2", mawb=other.mawb, at=four_days))
    assert arrived_on(flight)[0] == clocks.airport_date("LAX", one_day)
    assert arrived_on(other)[0] == clocks.airport_date("LAX", four_days)


def test_a_flight_landing_at_lax_in_the_evening_arrived_that_day_at_lax_not_on_the_next_utc_day(monkeypatch, forwarder_org):
    evening = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 18:00 PDT on 9 March
    lax = manifest_for(forwarder_org, airport="LAX", arrival_date=date(2026, 3, 9))
    shipment_for(lax)
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=lax.mawb, at=evening))
    assert arrived_on(lax) == (date(2026, 3, 9), {date(2026, 3, 9)})


def test_one_notice_time_near_midnight_is_the_9th_at_lax_and_the_10th_at_jfk(monkeypatch, forwarder_org):
    moment = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)  # 22:30 PDT on the 9th, 01:30 EDT on the 10th
    lax = manifest_for(forwarder_org, airport="LAX", arrival_date=date(2026, 3, 9))
    jfk = manifest_for(forwarder_org, mawb="16012345686", airport="JFK", arrival_date=date(2026, 3, 9))
    shipment_for(lax)
    shipment_for(jfk, hawb="H0002")
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR 1", mawb=lax.mawb, at=moment),
         Notice(code="ARR", raw="FSN|ARR 2", mawb=jfk.mawb, at=moment))
    assert arrived_on(lax) == (date(2026, 3, 9), {date(2026, 3, 9)})
    assert arrived_on(jfk) == (date(2026, 3, 10), {date(2026, 3, 10)})


@pytest.mark.parametrize(("landed", "day"), [
    (datetime(2026, 3, 9, 6, 30, tzinfo=UTC), date(2026, 3, 8)),  # 23:30 PDT on the day the clocks went forward
    (datetime(2026, 3, 9, 7, 30, tzinfo=UTC), date(2026, 3, 9)),  # 00:30 PDT (on PST it would still be the 8th)
    (datetime(2026, 11, 2, 7, 30, tzinfo=UTC), date(2026, 11, 1)),  # 23:30 PST on the day they went back (PDT: the 2nd)
])
def test_the_landing_day_at_lax_follows_daylight_saving_time(monkeypatch, forwarder_org, landed, day):
    lax = manifest_for(forwarder_org, airport="LAX", arrival_date=day)
    shipment_for(lax)
    tell(monkeypatch, Notice(code="ARR", raw="FSN|ARR", mawb=lax.mawb, at=landed))
    assert arrived_on(lax) == (day, {day})


# --- 2M: the consignee's daily maximum may be exceeded -------------------------------------------------


def type_86_filed(forwarder, broker, hawb, number, **fields):
    """A Type 86 parcel ACE accepted, alone in its entry (one bill per Type 86 entry)."""
    manifest = Manifest.objects.filter(mawb="16012345675").first() or manifest_for(forwarder)
    entry = Entry.objects.create(broker=broker, forwarder=forwarder, manifest=manifest, number=number, entry_type="86",
                                 state="accepted")
    return shipment_for(manifest, hawb=hawb, entry=entry, status="accepted", entry_type="86", reasons=["DM_ELIGIBLE"], **fields)


def test_a_2m_notice_tells_the_broker_and_leads_to_the_parcel_where_it_acts(monkeypatch, forwarder_org, broker_org, broker_user,
                                                                             owner, other_broker_user):
    parcel = type_86_filed(forwarder_org, broker_org, "H0001", "BRK00000011")
    tell(monkeypatch, Notice(code="2M", raw="SO|2M", entry="BRK00000011"))
    told = Notification.objects.get(user=broker_user)
    assert told.kind == "ace_notice" and told.url == f"/shipments/{parcel.pk}/"
    assert told.message == ("1 shipment(s) flagged by CBP (2M): the consignee's daily de minimis maximum may be exceeded; check "
                            "the consignee's other parcels of the day (MAWB 160-12345675)")
    assert "2M" in parcel.events.get(dimension="note").message  # and it stays on the timeline
    assert not Notification.objects.filter(user__in=[owner, other_broker_user]).exists()  # the entry is the broker's work


def test_2m_notices_read_together_are_one_notification_per_mawb(monkeypatch, forwarder_org, broker_org, broker_user):
    type_86_filed(forwarder_org, broker_org, "H0001", "BRK00000011")
    type_86_filed(forwarder_org, broker_org, "H0002", "BRK00000022")
    tell(monkeypatch, Notice(code="2M", raw="SO|2M 1", entry="BRK00000011"), Notice(code="2M", raw="SO|2M 2", entry="BRK00000022"))
    told = Notification.objects.get(user=broker_user)
    assert told.message.startswith("2 shipment(s) flagged by CBP (2M)") and told.url == "/shipments/?q=16012345675"


def test_a_2m_notice_for_a_cancelled_parcel_tells_nobody(monkeypatch, forwarder_org, broker_org, broker_user):
    type_86_filed(forwarder_org, broker_org, "H0001", "BRK00000011")
    Shipment.objects.filter(hawb="H0001").update(status="cancelled")
    tell(monkeypatch, Notice(code="2M", raw="SO|2M", entry="BRK00000011"))
    assert not Notification.objects.exists()
