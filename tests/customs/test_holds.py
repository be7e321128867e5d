"""Holds placed and removed by ACE's notices: the count of open holds follows the holds themselves, and a shipment
returns to where it stood when the hold came (lifecycle.md: "returns to where the notice says")."""

import pytest

from accounts.models import Notification
from customs.ace import inbox
from customs.ace.adapter import Notice
from customs.models import Hold
from shipments.models import Shipment
from tests.customs.test_filing import filed_sample

pytestmark = pytest.mark.django_db


class ScriptedAce:
    """ACE's side of the notices, as a test writes them (the adapter is where a real ACE connection plugs in)."""

    def __init__(self):
        self.waiting: list[Notice] = []

    def receive(self, limit=2000):
        sent, self.waiting = self.waiting[:limit], self.waiting[limit:]
        return sent


@pytest.fixture
def released(ace, forwarder_org, broker_user, broker_org):
    """One released parcel and its entry number, filed through the simulator."""
    shipments = filed_sample(forwarder_org, broker_user, broker_org)
    parcel = shipments.select_related("entry").filter(status="released").first()
    return parcel, parcel.entry.number


def tell(monkeypatch, *notices):
    script = ScriptedAce()
    script.waiting = list(notices)
    monkeypatch.setattr(inbox, "adapter", lambda: script)
    while inbox.notices_receive():
        pass


def state(parcel):
    parcel = Shipment.objects.get(pk=parcel.pk)
    return parcel.status, parcel.open_holds, Hold.objects.filter(shipment=parcel, removed_at__isnull=True).count()


def test_a_hold_after_release_returns_the_parcel_to_released_when_removed(monkeypatch, released):
    parcel, entry = released
    tell(monkeypatch, Notice(code="FH", raw="FH", entry=entry))
    assert state(parcel) == ("on_hold", 1, 1)
    tell(monkeypatch, Notice(code="HR", raw="HR", entry=entry, data={"hold": "FH"}))
    assert state(parcel) == ("released", 0, 0)  # not back to accepted, where no second release would ever come


def test_one_removal_that_closes_two_holds_leaves_no_hold_counted(monkeypatch, released):
    parcel, entry = released
    tell(monkeypatch, Notice(code="BH", raw="BH", entry=entry))
    tell(monkeypatch, Notice(code="BH", raw="BH 2", entry=entry))  # a second CBP hold, later
    assert state(parcel) == ("on_hold", 2, 2)
    tell(monkeypatch, Notice(code="HR", raw="HR", entry=entry, data={"hold": "BH"}))
    assert state(parcel) == ("released", 0, 0)


def test_a_removal_naming_no_hold_closes_every_hold_and_the_count_follows(monkeypatch, released):
    parcel, entry = released
    tell(monkeypatch, Notice(code="FH", raw="FH", entry=entry), Notice(code="CH", raw="CH", entry=entry))
    tell(monkeypatch, Notice(code="HR", raw="HR", entry=entry), Notice(code="HR", raw="HR", entry=entry))  # and delivered twice
    assert state(parcel) == ("released", 0, 0)


def test_a_hold_on_an_accepted_parcel_returns_it_to_accepted(monkeypatch, released):
    parcel, entry = released
    Shipment.objects.filter(pk=parcel.pk).update(status="accepted")  # as if the release had not come yet
    tell(monkeypatch, Notice(code="FH", raw="FH", entry=entry), Notice(code="HR", raw="HR", entry=entry, data={"hold": "FH"}))
    assert state(parcel) == ("accepted", 0, 0)


def test_a_hold_notice_for_a_cancelled_parcel_places_no_hold(monkeypatch, released):
    parcel, entry = released
    Shipment.objects.filter(pk=parcel.pk).update(status="cancelled")
    tell(monkeypatch, Notice(code="FH", raw="FH", entry=entry))
    assert state(parcel) == ("cancelled", 0, 0)


def test_a_hold_rings_the_bell_of_the_broker_who_answers_the_agency_and_of_the_forwarder(monkeypatch, released, broker_user,
                                                                                      owner, other_broker_user):
    parcel, entry = released
    tell(monkeypatch, Notice(code="FH", raw="FH", entry=entry))
    to_broker = Notification.objects.get(user=broker_user, kind="hold")
    assert "put on hold by FDA" in to_broker.message and to_broker.url == "/customs/holds/"  # where the broker works it
    assert "put on hold by FDA" in Notification.objects.get(user=owner, kind="hold").message
    assert not Notification.objects.filter(user=other_broker_user).exists()
