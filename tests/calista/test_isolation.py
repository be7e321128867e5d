"""No tenant ever sees another's data: a crawler tries every URL that names an object, with another tenant's ids, as
every role of a different tenant. Anything but 404 fails (405, refused for the method before any lookup, says nothing
about the object and is accepted).

New URLs are covered without touching this test: the crawler enumerates the URL patterns. A pattern whose parameter
is not an object (a language, an airport, a date) must be listed in NOT_OBJECTS with the reason.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.factories import OrganizationFactory, UserFactory, member

pytestmark = pytest.mark.django_db

NOT_OBJECTS = {
    "api:v1:docs-asset": "a file of the API documentation's assets",
    # url name: why its parameter is not another tenant's object
    "shipments:template_csv": "the template's language",
    "accounts:password_reset_confirm": "a signed, expiring reset token, checked by Django itself",
    "dashboards:airport": "an airport code: every role sees its own slice of it",
    "dashboards:board": "an airport code: every role sees its own slice of it",
}


def patterns(resolver=None, prefix="", namespace=""):
    """(route, url name, converters) of every URL pattern, recursively."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else "", entry.pattern.converters


def object_routes():
    for route, name, converters in patterns():
        if not converters or route.startswith(("admin/", "^admin")) or name in NOT_OBJECTS:
            continue
        yield route, name, converters


@pytest.fixture
def world_a(owner, broker_user, cfs_user, forwarder_org, broker_org, cfs_org, settings, django_capture_on_commit_callbacks):
    """Tenant A with at least one object of every kind the portal shows."""
    from cfs.services import manifest_arrival_record, manifest_breakdown, manifests_collect_record, shipment_hand_off
    from customs import filing, review
    from customs.ace.inbox import notices_receive
    from customs.models import Hold, InfoRequest
    from shipments import lifecycle
    from shipments.models import Manifest, Shipment
    from shipments.services import manifest_ingest, upload_create
    from tests.shipments.conftest import sample

    settings.ACE_DELAY_SECONDS = 0
    settings.ACE_HOLD_RATE = 0.3
    settings.ACE_SEIZE_RATE = 1.0
    upload = upload_create(forwarder=forwarder_org, user=owner, file=ContentFile(sample("sample_chinese_gb18030.csv")),
                           name="a.csv", queue=False)
    manifest_ingest(upload_id=upload.pk)
    shipments = Shipment.objects.filter(upload=upload)
    lifecycle.shipments_approve(list(shipments.values_list("id", flat=True)), actor=lifecycle.Actor.of(broker_user, broker_org))
    filing.entries_build(broker=broker_org)
    while claimed := filing.transmissions_claim(limit=500):
        filing.transmissions_deliver(transmission_ids=claimed)
    while notices_receive():
        pass
    manifest = Manifest.objects.get(forwarder=forwarder_org, destination_airport="LAX")
    manifests_collect_record(cfs=cfs_org, user=cfs_user, manifest_ids=[manifest.pk], driver="D", truck="T", bonded_carrier="B")
    manifest_arrival_record(cfs=cfs_org, user=cfs_user, manifest_id=manifest.pk, pieces_received=manifest.pieces_expected)
    manifest_breakdown(cfs=cfs_org, user=cfs_user, manifest_id=manifest.pk)
    released = manifest.shipments.filter(status="released").first()
    from cfs.models import Carrier

    ups = Carrier.objects.get(code="ups")
    shipment_hand_off(cfs=cfs_org, user=cfs_user, shipment_id=released.pk, carrier_id=ups.pk, tracking_number="1Z999AA10123456784")
    held = Hold.objects.filter(shipment__forwarder=forwarder_org).first()
    assert held is not None
    asked = shipments.exclude(status__in=["released", "seized", "cancelled"]).first()
    review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=asked.pk, question="Invoice?",
                            deadline=timezone.localdate() + timedelta(days=3))
    assert InfoRequest.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        job = review.bulk_start(org=broker_org, user=broker_user, action="approve", reason="",
                                shipment_ids=list(shipments.values_list("id", flat=True)))
    return {"job": job}


def id_pool(world) -> list[int]:
    """The id of one object tenant A holds in every table of the portal's apps (whatever a URL names, A has one)."""
    from django.apps import apps

    ids = {world["job"]}
    for model in apps.get_models():
        if model._meta.app_label in ("accounts", "shipments", "customs", "cfs", "dashboards", "api"):
            ids.update(model.objects.order_by("pk").values_list("pk", flat=True)[:1])
            ids.update(model.objects.order_by("-pk").values_list("pk", flat=True)[:1])
    return sorted(i for i in ids if isinstance(i, int))


@pytest.fixture
def tenant_b(db):
    """Another forwarder, its own broker, the JFK station: a different tenant for every role. They own nothing yet."""
    broker = OrganizationFactory(kind="broker", slug="b-broker", name="B broker", filer_code="BBB")
    forwarder = OrganizationFactory(kind="forwarder", slug="b-fwd", name="B forwarder", default_broker=broker)
    cfs = OrganizationFactory(kind="cfs", slug="b-cfs", name="B CFS", airport="JFK", firms_code="J999")
    return {
        "forwarder": member(UserFactory(username="b-forwarder"), forwarder, "admin"),
        "broker": member(UserFactory(username="b-broker"), broker, "admin"),
        "cfs": member(UserFactory(username="b-cfs"), cfs, "admin"),
    }


def fill(route: str, converters, value) -> str:
    path = route
    for name in converters:
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_object_url_answers_404_to_every_role_of_another_tenant(world_a, tenant_b):
    routes = list(object_routes())
    assert len(routes) >= 15  # the crawler really found the portal's object pages
    pool = id_pool(world_a)
    failures = []
    for role, user in tenant_b.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for route, name, converters in routes:
            if route.startswith("api/"):
                continue  # the API authenticates by key: test_api_isolation below
            for value in pool:
                url = fill(route, converters, value)
                got = client.get(url).status_code
                if got not in (404, 405):
                    failures.append((role, "GET", url, name, got))
                posted = client.post(url, {}).status_code
                if posted not in (404, 405):
                    failures.append((role, "POST", url, name, posted))
    assert not failures, failures[:30]


def test_the_crawler_refuses_a_parameter_it_does_not_know_as_an_object():
    """Every parameterised URL is either crawled or explained: a new one cannot slip through unlisted."""
    for _route, name, converters in patterns():
        for converter in converters.values():
            assert converter.__class__.__name__ in ("IntConverter", "StringConverter", "PathConverter", "SlugConverter",
                                                    "UUIDConverter"), name


def test_every_api_object_url_answers_404_to_every_role_of_another_tenant(world_a, tenant_b):
    """The same crawl through the REST API, with a read-write key of each of the other tenant's organizations."""
    from api.keys import api_key_create

    routes = [(route, name, converters) for route, name, converters in object_routes() if route.startswith("api/v1/")]
    assert len(routes) >= 5
    pool = id_pool(world_a)
    failures = []
    for role, user in tenant_b.items():
        _key, raw = api_key_create(organization=user.membership.organization, name="crawler")
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
        for route, name, converters in routes:
            for value in pool:
                url = fill(route, converters, value)
                for method in ("get", "post"):
                    got = getattr(client, method)(url, {}, content_type="application/json").status_code
                    if got not in (404, 405):
                        failures.append((role, method.upper(), url, name, got))
    assert not failures, failures[:30]
