"""The access module hands every kind of organization exactly its own slice."""

import pytest

from accounts import access
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(forwarder_org, other_forwarder_org, other_broker_org, cfs_org, other_cfs_org):
    """Two forwarders with one shipment each; the second uses another broker and lands at JFK."""
    mine = shipment_for(manifest_for(forwarder_org, mawb="16012345675", airport="LAX", cfs=cfs_org), hawb="MINE1")
    other_forwarder_org.default_broker = other_broker_org
    other_forwarder_org.save()
    theirs = shipment_for(
        manifest_for(other_forwarder_org, mawb="16012345686", airport="JFK", cfs=other_cfs_org), hawb="THEIRS1",
    )
    return mine, theirs


def hawbs(queryset):
    return set(queryset.values_list("hawb", flat=True))


def test_a_forwarder_sees_only_its_own_shipments(world, forwarder_org, other_forwarder_org):
    assert hawbs(access.shipments_for(forwarder_org)) == {"MINE1"}
    assert hawbs(access.shipments_for(other_forwarder_org)) == {"THEIRS1"}


def test_a_broker_sees_only_its_clients_shipments(world, broker_org, other_broker_org):
    assert hawbs(access.shipments_for(broker_org)) == {"MINE1"}
    assert hawbs(access.shipments_for(other_broker_org)) == {"THEIRS1"}


def test_a_cfs_sees_only_what_is_assigned_to_it(world, cfs_org, other_cfs_org):
    assert hawbs(access.shipments_for(cfs_org)) == {"MINE1"}
    assert hawbs(access.shipments_for(other_cfs_org)) == {"THEIRS1"}
    assert set(access.manifests_for(cfs_org).values_list("mawb", flat=True)) == {"16012345675"}


def test_the_operator_sees_everything(world, operator_org):
    assert hawbs(access.shipments_for(operator_org)) == {"MINE1", "THEIRS1"}


def test_nobody_without_an_organization_sees_anything(world):
    assert not access.shipments_for(None).exists()
    assert not access.manifests_for(None).exists()
    assert not access.uploads_for(None).exists()


def test_only_forwarders_and_the_operator_see_uploads(broker_org, cfs_org, forwarder_org, operator_org):
    assert access.uploads_for(broker_org).query.is_empty()
    assert access.uploads_for(cfs_org).query.is_empty()
    assert not access.uploads_for(forwarder_org).query.is_empty()
    assert not access.uploads_for(operator_org).query.is_empty()


def test_events_follow_their_shipments_scope(world, forwarder_org, other_forwarder_org):
    from django.utils import timezone

    from shipments.models import ShipmentEvent

    mine, theirs = world
    for shipment in world:
        ShipmentEvent.objects.create(shipment=shipment, dimension="note", actor="system", at=timezone.now())
    assert set(access.events_for(forwarder_org).values_list("shipment__hawb", flat=True)) == {"MINE1"}


def test_the_middleware_resolves_the_organization_once_per_request(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/profile/")
    membership_queries = [q for q in queries.captured_queries if 'FROM "accounts_membership"' in q["sql"]]
    assert len(membership_queries) == 1
    assert response.wsgi_request.org.slug == "fwd-a"
    assert response.wsgi_request.membership.role == "admin"
