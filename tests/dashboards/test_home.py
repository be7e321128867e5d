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
