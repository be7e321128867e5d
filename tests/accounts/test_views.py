"""My settings: an organization's administrator chooses the time zone its people read times in."""

import pytest

from accounts.models import Organization

pytestmark = pytest.mark.django_db

URL = "/accounts/profile/time-zone/"


def test_the_administrator_chooses_the_organizations_time_zone(client, owner, forwarder_org):
    client.force_login(owner)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-testid="time-zone-form"' in page and '<option value="Asia/Shanghai"' in page
    response = client.post(URL, {"time_zone": "Asia/Shanghai"}, follow=True)
    assert "Times are now shown in Asia/Shanghai." in response.content.decode()
    assert Organization.objects.get(pk=forwarder_org.pk).time_zone == "Asia/Shanghai"
    assert 'data-testid="time-zone">Times in Asia/Shanghai<' in response.content.decode()
    client.post(URL, {"time_zone": ""})
    assert Organization.objects.get(pk=forwarder_org.pk).time_zone == ""  # back to the portal's


def test_a_time_zone_that_does_not_exist_is_refused(client, owner, forwarder_org):
    client.force_login(owner)
    response = client.post(URL, {"time_zone": "Asia/Beijing"})
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()
    assert Organization.objects.get(pk=forwarder_org.pk).time_zone == ""


def test_a_colleague_reads_the_zone_but_does_not_change_it(client, colleague, forwarder_org):
    client.force_login(colleague)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-testid="time-zone-form"' not in page and 'data-testid="org-time-zone">UTC<' in page
    assert client.post(URL, {"time_zone": "Asia/Shanghai"}).status_code == 403
    assert Organization.objects.get(pk=forwarder_org.pk).time_zone == ""


def test_another_forwarders_choice_is_its_own(client, owner, outsider, forwarder_org, other_forwarder_org):
    client.force_login(outsider)
    client.post(URL, {"time_zone": "Asia/Tokyo"})
    assert Organization.objects.get(pk=other_forwarder_org.pk).time_zone == "Asia/Tokyo"
    assert Organization.objects.get(pk=forwarder_org.pk).time_zone == ""


def test_a_station_keeps_its_airports_time_and_has_nothing_to_choose(client, cfs_user, cfs_org):
    client.force_login(cfs_user)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-testid="time-zone-form"' not in page
    assert 'data-testid="org-time-zone">America/Los_Angeles (the time at LAX)<' in page
    assert client.post(URL, {"time_zone": "Asia/Shanghai"}).status_code == 403
