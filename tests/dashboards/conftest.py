"""A small world made for the boards: shipments whose figures are known in advance, for every role.

Tenancy:
- forwarder A (`forwarder_org`, people: owner, colleague) and forwarder B (`other_forwarder_org`, outsider) use
  the broker BRK (`broker_org`); forwarder C uses another broker (`other_broker_org`);
- the LAX station (`cfs_org`) and the JFK station (`other_cfs_org`);
- support (`operator_org`) sees everything.

Every shipment's state is written as it would be after its history: events with their times (so the flows and
their durations are known), holds, and the status and custody the events lead to.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from calista import clocks
from customs.models import Hold
from dashboards.boards import airports
from dashboards.tallies import tallies_refresh
from shipments.models import Shipment, ShipmentEvent
from tests.factories import OrganizationFactory, UserFactory, manifest_for, member, shipment_for

H = timedelta(hours=1)
D = timedelta(days=1)


def ago(delta: timedelta):
    return timezone.now() - delta


def event(shipment, dimension, to_state, at, *, from_state="", data=None, message=""):
    """An event as the lifecycle writes it, at a chosen moment of the past."""
    return ShipmentEvent.objects.create(shipment=shipment, dimension=dimension, from_state=from_state, to_state=to_state,
                                        actor="ace", at=at, message=message or to_state, data=data or {})


def arrived(shipment, at):
    event(shipment, "custody", "at_terminal", at, from_state="awaiting_arrival", data={"code": "ARR"})


def released(shipment, at):
    event(shipment, "customs", "released", at, from_state="accepted", data={"code": "1C"})


def handed_off(shipment, at):
    event(shipment, "custody", "handed_off", at, from_state="broken_down", data={"carrier": "UPS", "tracking": "1Z" + shipment.hawb})


def rejected_by_ace(shipment, at, codes):
    event(shipment, "customs", "ace_rejected", at, from_state="filed", data={"codes": codes})


def hold(shipment, agency, code, placed_at):
    Hold.objects.create(shipment=shipment, agency=agency, code=code, reason="documents requested", placed_at=placed_at)
    Shipment.objects.filter(pk=shipment.pk).update(open_holds=1)


@pytest.fixture(autouse=True)
def in_english():
    """Services speak the active language: every test here reads English unless it asks for Chinese."""
    with translation.override("en"):
        yield


@dataclass
class Parcel:
    shipment: Shipment
    forwarder: str  # "A", "B" or "C"
    broker: str  # "BRK" or "OTB"
    cfs: str  # "LAX", "JFK" or ""


@pytest.fixture
def third_forwarder_org(db, other_broker_org):
    return OrganizationFactory(kind="forwarder", slug="fwd-c", name="Forwarder C", default_broker=other_broker_org)


@pytest.fixture
def cfs_colleague(cfs_org):
    return member(UserFactory(username="cfs-colleague"), cfs_org, "member")


@pytest.fixture
def world(forwarder_org, other_forwarder_org, third_forwarder_org, cfs_org, other_cfs_org, operator_org):
    """The shipments every board test counts. Durations of A's releases from arrival: 1, 2, 3, 4 and 10 hours.
    Scheduled days count from the all-airports board's today (the newest of the airports' days)."""
    today = clocks.latest_today(airports())
    brokers = {"A": "BRK", "B": "BRK", "C": "OTB"}
    stations = {"LAX": cfs_org, "JFK": other_cfs_org}
    parcels: dict[str, Parcel] = {}

    def mawb(forwarder, number, airport, days_ago, custody="broken_down", closed=False):
        org = {"A": forwarder_org, "B": other_forwarder_org, "C": third_forwarder_org}[forwarder]
        manifest = manifest_for(org, mawb=number, airport=airport, cfs=stations[airport], arrival_date=today - timedelta(days=days_ago),
                                custody=custody, closed_at=timezone.now() if closed else None)
        manifest.key = forwarder
        return manifest

    def parcel(name, manifest, status, custody, **fields):
        fields = {"consignee_name": f"Person {name}", "consignee_phone": "", "consignee_email": "", **fields}
        shipment = shipment_for(manifest, hawb=name, status=status, custody=custody, **fields)
        parcels[name] = Parcel(shipment, manifest.key, brokers[manifest.key], manifest.destination_airport)
        return shipment

    # Forwarder A at LAX, arriving today: released, on hold (FDA, 2 days), accepted.
    a_today = mawb("A", "16012345675", "LAX", 0)
    a1 = parcel("A1", a_today, "released", "broken_down", consignee_name="Ana Lopez", consignee_phone="(310) 555-0101",
                consignee_email="ana.lopez@example.com")
    a2 = parcel("A2", a_today, "on_hold", "broken_down", consignee_name="Wei Chen", consignee_phone="+1 415 555 0102")
    parcel("A3", a_today, "accepted", "broken_down", consignee_name="Mary Smith")
    hold(a2, "FDA", "FH", ago(2 * D))
    # Forwarder A at LAX, five days ago: one handed off (6 h after release), one rejected by ACE with 181.
    a_five = mawb("A", "16012345686", "LAX", 5)
    a4 = parcel("A4", a_five, "released", "handed_off", consignee_name="José Muñoz")
    a5 = parcel("A5", a_five, "ace_rejected", "broken_down", consignee_name="Linh Tran")
    a13 = parcel("A13", a_five, "released", "broken_down", consignee_name="Omar Okafor")
    a14 = parcel("A14", a_five, "released", "broken_down", consignee_name="Emma Wilson", consignee_email="emma.wilson80@example.org")
    # Forwarder A at LAX, twelve days ago: a CBP hold waiting for eleven days (general order: warning).
    a_twelve = mawb("A", "16012345690", "LAX", 12)
    a6 = parcel("A6", a_twelve, "on_hold", "broken_down")
    hold(a6, "CBP", "BH", ago(11 * D))
    # Forwarder A at JFK, twenty days ago: accepted and still at the station (general order: overdue).
    a_twenty = mawb("A", "16012345701", "JFK", 20, custody="at_cfs")
    parcel("A7", a_twenty, "accepted", "at_cfs")
    # Forwarder A at LAX, forty days ago: all handed off, MAWB closed (outside every window).
    a_forty = mawb("A", "16012345712", "LAX", 40, closed=True)
    parcel("A9", a_forty, "released", "handed_off")
    # Forwarder B at LAX today: one waiting for review, one held by the FDA.
    b_today = mawb("B", "16012345723", "LAX", 0, custody="awaiting_arrival")
    parcel("B1", b_today, "received", "awaiting_arrival", consignee_name="Ana Lopez", consignee_phone="310-555-0199")
    b2 = parcel("B2", b_today, "on_hold", "awaiting_arrival", consignee_name="Peter Brown")
    hold(b2, "FDA", "FH", ago(3 * H))
    # Forwarder C (another broker) at JFK three days ago: released; rejected once by ACE with E01 and E02.
    c_three = mawb("C", "16012345734", "JFK", 3)
    c1 = parcel("C1", c_three, "released", "broken_down", consignee_name="Ana Lopez")

    # Histories: A's releases 1, 2, 3, 4 and 10 h after arrival (A2 was held after its release); A4 handed off 6 h after
    # its release; C1 released 5 h after arrival; ACE rejections.
    for shipment, hours in ((a1, 1), (a14, 2), (a4, 3), (a13, 4), (a2, 10)):
        arrived(shipment, ago(30 * H))
        released(shipment, ago(30 * H) + hours * H)
    event(a2, "customs", "on_hold", ago(19 * H), from_state="released", data={"code": "FH"})
    handed_off(a4, ago(27 * H) + 6 * H)
    rejected_by_ace(a5, ago(40 * H), ["181"])
    rejected_by_ace(c1, ago(40 * H), ["E01", "E02"])
    arrived(c1, ago(50 * H))
    released(c1, ago(50 * H) + 5 * H)
    tallies_refresh()
    return parcels


def visible(parcels: dict[str, Parcel], role: str) -> set[str]:
    """The names of the parcels a role may see, by the rules of lifecycle.md and accounts.access, written out."""
    rule = {
        "owner": lambda p: p.forwarder == "A", "colleague": lambda p: p.forwarder == "A", "outsider": lambda p: p.forwarder == "B",
        "third": lambda p: p.forwarder == "C", "broker_user": lambda p: p.broker == "BRK", "other_broker_user": lambda p: p.broker == "OTB",
        "cfs_user": lambda p: p.cfs == "LAX", "other_cfs_user": lambda p: p.cfs == "JFK", "support_user": lambda p: True,
    }[role]
    return {name for name, p in parcels.items() if rule(p)}


@pytest.fixture
def third(third_forwarder_org):
    return member(UserFactory(username="third"), third_forwarder_org, "admin")


ROLES = ("owner", "colleague", "outsider", "third", "broker_user", "other_broker_user", "cfs_user", "other_cfs_user", "support_user")
