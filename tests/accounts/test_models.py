import pytest
from django.core.exceptions import ValidationError

from accounts.models import Organization

pytestmark = pytest.mark.django_db


def test_a_cfs_needs_a_served_airport_and_a_firms_code():
    org = Organization(slug="x", name="X", kind="cfs", airport="ORD", firms_code="")
    with pytest.raises(ValidationError) as caught:
        org.full_clean()
    assert {"airport", "firms_code"} <= set(caught.value.message_dict)


@pytest.mark.parametrize("code", ["L10", "l101", "L10!", "L1011"])
def test_a_firms_code_is_four_capital_letters_or_digits(code):
    org = Organization(slug="x", name="X", kind="cfs", airport="LAX", firms_code=code)
    with pytest.raises(ValidationError):
        org.full_clean()


def test_a_valid_cfs_passes():
    Organization(slug="x", name="X", kind="cfs", airport="LAX", firms_code="L101").full_clean()


def test_only_a_forwarder_has_a_default_broker(broker_org):
    org = Organization(slug="x", name="X", kind="cfs", airport="LAX", firms_code="L101", default_broker=broker_org)
    with pytest.raises(ValidationError) as caught:
        org.full_clean()
    assert "default_broker" in caught.value.message_dict


def test_a_forwarder_needs_the_broker_who_reviews_its_shipments(broker_org):
    # Without one, every parcel it uploads waits for a review no broker can see.
    with pytest.raises(ValidationError) as caught:
        Organization(slug="x", name="X", kind="forwarder").full_clean()
    assert "default_broker" in caught.value.message_dict
    Organization(slug="x", name="X", kind="forwarder", default_broker=broker_org).full_clean()


def test_a_broker_needs_its_filer_code():
    with pytest.raises(ValidationError) as caught:
        Organization(slug="x", name="X", kind="broker").full_clean()
    assert "filer_code" in caught.value.message_dict


def test_an_organization_may_choose_the_time_zone_its_people_read_times_in(settings, broker_org):
    settings.TIME_ZONE = "UTC"
    forwarder = Organization(slug="x", name="X", kind="forwarder", time_zone="Asia/Shanghai", default_broker=broker_org)
    forwarder.full_clean()
    assert forwarder.zone.key == "Asia/Shanghai"
    assert Organization(slug="y", name="Y", kind="broker", filer_code="BRK").zone.key == "UTC"  # none chosen: the portal's


@pytest.mark.parametrize("name", ["Beijing", "CST", "localtime", "Asia/Shanghai/"])
def test_a_time_zone_must_be_an_iana_name(name):
    with pytest.raises(ValidationError) as caught:
        Organization(slug="x", name="X", kind="forwarder", time_zone=name).full_clean()
    assert "is not a time zone" in caught.value.message_dict["time_zone"][0]


def test_a_station_keeps_its_airports_time():
    station = Organization(slug="x", name="X", kind="cfs", airport="JFK", firms_code="J101")
    assert station.zone.key == "America/New_York"
    station.time_zone = "Asia/Shanghai"
    with pytest.raises(ValidationError) as caught:
        station.full_clean()
    assert "time_zone" in caught.value.message_dict
