import pytest

from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("user_fixture", "title"),
    [("owner", "Forwarder workspace"), ("broker_user", "Broker workbench"),
     ("cfs_user", "CFS operations"), ("support_user", "Operations overview")],
)
def test_each_role_lands_on_its_own_home(request, client, user_fixture, title):
    client.force_login(request.getfixturevalue(user_fixture))
    assert title in client.get("/").content.decode()


def test_the_forwarder_navigation_offers_its_own_work_and_not_the_brokers(client, owner):
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert "Upload manifest" in page
    assert "Review queue" not in page


def test_home_counts_only_the_users_own_shipments(client, owner, outsider, forwarder_org, other_forwarder_org):
    shipment_for(manifest_for(forwarder_org, mawb="16012345675"), hawb="A1")
    theirs = manifest_for(other_forwarder_org, mawb="16012345686")
    shipment_for(theirs, hawb="B1")
    shipment_for(theirs, hawb="B2")
    client.force_login(owner)
    response = client.get("/")
    assert response.context["shipments_total"] == 1
    client.force_login(outsider)
    assert client.get("/").context["shipments_total"] == 2


def test_a_user_without_an_organization_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("lonely", password="x" * 12)
    client.force_login(user)
    assert "not a member of any organization" in client.get("/").content.decode()


def listed(response) -> int:
    """How many shipments the page a tile leads to lists."""
    context = response.context
    return context["total"] if "total" in context else context["page"].paginator.count


def test_each_of_the_brokers_tiles_leads_to_the_list_of_the_shipments_it_counts(client, broker_user, forwarder_org,
                                                                               other_forwarder_org, other_broker_org):
    ours = manifest_for(forwarder_org, mawb="16012345675")
    for hawb, status in [("A1", "received"), ("A2", "received"), ("A3", "ace_rejected"), ("A4", "approved"), ("A5", "on_hold")]:
        shipment_for(ours, hawb=hawb, status=status)
    shipment_for(manifest_for(other_forwarder_org, mawb="16012345686"), hawb="B1", status="received")  # another client's
    shipment_for(manifest_for(forwarder_org, mawb="16012345690", broker=other_broker_org), hawb="C1")  # not this broker's
    client.force_login(broker_user)
    tiles = {tile["value"]: tile for tile in client.get("/").context["status_counts"]}
    assert tiles["received"]["url"] == "/customs/queue/" and tiles["ace_rejected"]["url"] == "/customs/rejections/"
    assert tiles["approved"]["url"] == "/shipments/?status=approved"
    assert [tiles[s]["count"] for s in ("received", "ace_rejected", "approved", "on_hold", "released")] == [3, 1, 1, 1, 0]
    for status, tile in tiles.items():
        assert listed(client.get(tile["url"])) == tile["count"], status


def test_a_forwarders_tiles_lead_to_its_own_shipments_in_that_status(client, owner, forwarder_org, other_forwarder_org):
    shipment_for(manifest_for(forwarder_org, mawb="16012345675"), hawb="A1", status="rejected")
    shipment_for(manifest_for(other_forwarder_org, mawb="16012345686"), hawb="B1", status="rejected")
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert 'href="/shipments/?status=rejected" data-testid="tile-rejected"' in page
    assert listed(client.get("/shipments/?status=rejected")) == 1
