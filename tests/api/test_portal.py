"""The portal's API pages: an organization's administrator manages keys and webhooks; a member gets 403; another tenant 404."""

import pytest

from api import webhooks
from api.keys import api_key_authenticate, api_key_create
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from shipments import lifecycle
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db

PAGES = ["/api/keys/", "/api/webhooks/"]


def test_the_owner_creates_a_key_that_is_shown_once_and_works(client_for, owner, forwarder_org):
    client = client_for(owner)
    response = client.post("/api/keys/", {"name": "Warehouse system", "read_only": ""})
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    raw = response.context["raw"]
    assert raw in response.content.decode()
    assert api_key_authenticate(raw).organization == forwarder_org
    listing = client.get("/api/keys/").content.decode()
    assert "Warehouse system" in listing and raw not in listing and f"cal_{raw.split('_')[1]}_" in listing


def test_the_owner_creates_a_read_only_key(client_for, owner):
    client_for(owner).post("/api/keys/", {"name": "Dashboard", "read_only": "on"})
    assert ApiKey.objects.get().scope == ApiKey.Scope.READ_ONLY


def test_a_key_without_a_name_is_refused_on_the_form(client_for, owner):
    response = client_for(owner).post("/api/keys/", {"name": ""})
    assert response.status_code == 400 and ApiKey.objects.count() == 0


def test_the_owner_revokes_a_key_and_an_outsider_cannot(client_for, owner, outsider, forwarder_org):
    key, raw = api_key_create(organization=forwarder_org, name="Old system")
    assert client_for(outsider).post(f"/api/keys/{key.pk}/revoke/").status_code == 404
    assert api_key_authenticate(raw) is not None
    response = client_for(owner).post(f"/api/keys/{key.pk}/revoke/")
    assert response.status_code == 302 and api_key_authenticate(raw) is None


@pytest.mark.parametrize("page", PAGES)
def test_a_colleague_who_is_not_an_administrator_gets_403(client_for, colleague, page):
    assert client_for(colleague).get(page).status_code == 403


def test_an_outsider_sees_only_their_own_keys(client_for, owner, outsider, forwarder_org):
    api_key_create(organization=forwarder_org, name="Forwarder A's ERP")
    assert "Forwarder A's ERP" not in client_for(outsider).get("/api/keys/").content.decode()


def test_the_owner_registers_an_endpoint_and_sees_its_secret(client_for, owner, forwarder_org, settings):
    response = client_for(owner).post("/api/webhooks/", {"url": "https://erp.example.com/calista", "description": "ERP",
                                                         "events": ["shipment.released", "manifest.processed"]})
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/api/webhooks/{endpoint.pk}/"
    assert endpoint.organization == forwarder_org and endpoint.events == ["shipment.released", "manifest.processed"]
    page = client_for(owner).get(f"/api/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in page and "https://erp.example.com/calista" in page


@pytest.mark.parametrize(("form", "field"), [
    ({"url": "https://erp.example.com/x"}, "events"),
    ({"url": "ftp://erp.example.com/x", "events": ["shipment.released"]}, "url"),
    ({"url": "http://192.168.1.10/x", "events": ["shipment.released"]}, "url"),
])
def test_a_bad_endpoint_is_refused_on_the_form(client_for, owner, form, field):
    response = client_for(owner).post("/api/webhooks/", form)
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert WebhookEndpoint.objects.count() == 0


@pytest.fixture
def delivered(forwarder_org, owner):
    """An endpoint of the owner's forwarder with one delivery that failed with 500 and one that succeeded."""
    endpoint = webhooks.webhook_endpoint_create(organization=forwarder_org, url="https://erp.example.com/calista",
                                                events=list(webhooks.EVENT_TYPES))
    shipment = shipment_for(manifest_for(forwarder_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    from django.utils import timezone

    now = timezone.now()
    failed = WebhookDelivery.objects.create(endpoint=endpoint, event_key="shipment.status_changed:1", event_type="shipment.status_changed",
                                            payload={"type": "shipment.status_changed"}, created_at=now, state="failed", attempts=1,
                                            response_status=500)
    failed.tries.create(number=1, at=now, status_code=500, response_snippet="Internal error at the ERP")
    ok = WebhookDelivery.objects.create(endpoint=endpoint, event_key="shipment.released:1", event_type="shipment.released",
                                        payload={"type": "shipment.released"}, created_at=now, state="succeeded", attempts=1,
                                        response_status=204)
    return endpoint, failed, ok


def test_the_owner_sees_deliveries_with_their_response_codes_and_filters_them(client_for, owner, delivered):
    endpoint, failed, ok = delivered
    page = client_for(owner).get(f"/api/webhooks/{endpoint.pk}/").content.decode()
    assert "shipment.status_changed:1" in page and ">500<" in page and ">204<" in page
    only_failed = client_for(owner).get(f"/api/webhooks/{endpoint.pk}/", {"state": "failed"}).content.decode()
    assert "shipment.status_changed:1" in only_failed and "shipment.released:1" not in only_failed
    detail = client_for(owner).get(f"/api/webhooks/deliveries/{failed.pk}/").content.decode()
    assert "Internal error at the ERP" in detail and "shipment.status_changed" in detail


def test_the_owner_sends_a_delivery_again_by_hand(client_for, owner, delivered, django_capture_on_commit_callbacks, monkeypatch):
    _endpoint, failed, _ok = delivered
    sent = []
    monkeypatch.setattr("api.tasks.webhook_deliver_task.delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/api/webhooks/deliveries/{failed.pk}/redeliver/")
    assert response.status_code == 302 and sent == [(failed.pk, 2, True)]
    assert WebhookDelivery.objects.get(pk=failed.pk).state == "pending"


def test_another_tenant_cannot_see_or_touch_the_endpoint_or_its_deliveries(client_for, outsider, colleague, delivered):
    endpoint, failed, _ok = delivered
    for url in (f"/api/webhooks/{endpoint.pk}/", f"/api/webhooks/deliveries/{failed.pk}/"):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(colleague).get(url).status_code == 403
    for url in (f"/api/webhooks/{endpoint.pk}/enable/", f"/api/webhooks/{endpoint.pk}/delete/", f"/api/webhooks/{endpoint.pk}/secret/",
                f"/api/webhooks/deliveries/{failed.pk}/redeliver/"):
        assert client_for(outsider).post(url).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_owner_edits_enables_rolls_the_secret_of_and_removes_an_endpoint(client_for, owner, delivered):
    endpoint, _failed, _ok = delivered
    client = client_for(owner)
    client.post(f"/api/webhooks/{endpoint.pk}/", {"url": "https://erp.example.com/v2", "events": ["shipment.handed_off"]})
    endpoint.refresh_from_db()
    assert endpoint.url == "https://erp.example.com/v2" and endpoint.events == ["shipment.handed_off"]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at="2026-11-27T00:00:00Z", consecutive_failures=20)
    assert "endpoint-disabled" in client.get(f"/api/webhooks/{endpoint.pk}/").content.decode()
    client.post(f"/api/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None and endpoint.consecutive_failures == 0
    old = endpoint.secret
    client.post(f"/api/webhooks/{endpoint.pk}/secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    client.post(f"/api/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()


def test_the_profile_page_links_an_administrator_to_the_api_pages(client_for, owner, colleague):
    assert "/api/keys/" in client_for(owner).get("/accounts/profile/").content.decode()
    assert "/api/keys/" not in client_for(colleague).get("/accounts/profile/").content.decode()

