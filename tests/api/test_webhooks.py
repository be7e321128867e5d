"""Webhooks against a real HTTP server on 127.0.0.1: who is told what, signed, exactly once; retries with backoff; disabling."""

import json
import socket
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.models import Notification
from api import webhooks
from api.models import FeedCursor, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.tasks import webhook_deliver_task
from shipments import lifecycle
from shipments.models import ShipmentEvent, Upload
from tests.api.conftest import Receiver
from tests.cfs.conftest import hold, mawb_at, parcel, release
from tests.factories import UserFactory, manifest_for, member, shipment_for
from tests.shipments.manifests import manifest_bytes

pytestmark = pytest.mark.django_db

EVERYTHING = list(webhooks.EVENT_TYPES)


@pytest.fixture
def dispatch(django_capture_on_commit_callbacks, webhook_settings):
    """dispatch() runs the beat task once; the deliveries it queues are sent at once (eager tasks)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return webhooks.webhooks_dispatch()

    return run


def endpoint_for(org, receiver: Receiver, events=None, path="") -> WebhookEndpoint:
    return webhooks.webhook_endpoint_create(organization=org, url=receiver.url + path, events=events or EVERYTHING)


def sent_to(receiver: Receiver, path="") -> list[tuple[str, int]]:
    """(event type, shipment or upload id) of what the receiver got on this path, in order."""
    out = []
    for request in receiver.requests:
        if request.path == "/hooks/calista" + path:
            data = request.json["data"]
            subject = data["shipment"]["id"] if "shipment" in data else data["manifest"]["id"]
            out.append((request.json["type"], subject))
    return out


# --- Signing --------------------------------------------------------------------------------------


def test_a_signature_holds_for_the_body_and_recent_timestamp_it_was_made_for():
    body = b'{"type":"shipment.released"}'
    now = int(time.time())
    header = webhooks.signature_header(secret="whsec_abc", timestamp=now, body=body)
    assert webhooks.signature_verify(secret="whsec_abc", header=header, body=body)
    assert not webhooks.signature_verify(secret="whsec_abc", header=header, body=body + b" ")
    assert not webhooks.signature_verify(secret="whsec_other", header=header, body=body)
    assert not webhooks.signature_verify(secret="whsec_abc", header=header, body=body, now=now + 3600)
    assert not webhooks.signature_verify(secret="whsec_abc", header="t=x,v1=y", body=body)
    assert not webhooks.signature_verify(secret="whsec_abc", header="", body=body)


@pytest.mark.parametrize(("dimension", "from_state", "to_state", "types"), [
    ("customs", "", "received", []),
    ("customs", "received", "approved", ["shipment.status_changed"]),
    ("customs", "accepted", "on_hold", ["shipment.status_changed", "shipment.hold_placed"]),
    ("customs", "on_hold", "accepted", ["shipment.status_changed", "shipment.hold_removed"]),
    ("customs", "on_hold", "released", ["shipment.status_changed", "shipment.hold_removed", "shipment.released"]),
    ("customs", "accepted", "released", ["shipment.status_changed", "shipment.released"]),
    ("custody", "broken_down", "handed_off", ["shipment.handed_off"]),
    ("custody", "at_cfs", "broken_down", []),
    ("note", "", "", []),
])
def test_each_change_stands_for_its_event_types(dimension, from_state, to_state, types):
    assert webhooks.event_types_for(dimension=dimension, from_state=from_state, to_state=to_state) == types


# --- Who is told what -------------------------------------------------------------------------------


def test_a_status_change_reaches_every_organization_that_may_see_the_shipment_signed(
        dispatch, receiver, forwarder_org, other_forwarder_org, broker_org, other_broker_org, cfs_org, other_cfs_org):
    endpoints = {org.slug: endpoint_for(org, receiver, path=f"/{org.slug}")
                 for org in (forwarder_org, other_forwarder_org, broker_org, other_broker_org, cfs_org, other_cfs_org)}
    shipment = shipment_for(manifest_for(forwarder_org, cfs=cfs_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    assert dispatch() == 3
    for slug in ("fwd-a", "broker", "cfs-lax"):
        assert sent_to(receiver, f"/{slug}") == [("shipment.status_changed", shipment.pk)]
    assert {r.path for r in receiver.requests} == {"/hooks/calista/fwd-a", "/hooks/calista/broker", "/hooks/calista/cfs-lax"}
    request = next(r for r in receiver.requests if r.path.endswith("/fwd-a"))
    assert webhooks.signature_verify(secret=endpoints["fwd-a"].secret, header=request.headers["calista-signature"], body=request.body)
    assert not webhooks.signature_verify(secret=endpoints["broker"].secret, header=request.headers["calista-signature"],
                                         body=request.body)
    assert request.headers["calista-event"] == "shipment.status_changed" and request.headers["content-type"] == "application/json"
    change = request.json["data"]["change"]
    assert (change["from"], change["to"], change["dimension"]) == ("received", "approved", "customs")
    assert request.json["data"]["shipment"]["url"].endswith(f"/api/v1/shipments/{shipment.pk}/")
    delivery = WebhookDelivery.objects.get(endpoint=endpoints["fwd-a"])
    assert request.headers["calista-delivery"] == str(delivery.pk) and delivery.state == "succeeded"
    assert delivery.response_status == 200 and delivery.tries.get().status_code == 200


def test_dispatching_again_creates_and_sends_each_delivery_once(dispatch, receiver, forwarder_org):
    endpoint_for(forwarder_org, receiver)
    shipment = shipment_for(manifest_for(forwarder_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    assert dispatch() == 1
    FeedCursor.objects.update(position=0, pending=[])  # even when read again from the start
    assert dispatch() == 0
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1


def test_an_endpoint_gets_only_the_events_it_chose(dispatch, receiver, forwarder_org):
    endpoint_for(forwarder_org, receiver, events=["shipment.released"])
    shipment = shipment_for(manifest_for(forwarder_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    dispatch()
    assert receiver.requests == []
    lifecycle.shipments_file({"BRK00000011": [shipment.pk]})
    lifecycle.ace_accepted([shipment.pk], message="accepted")
    lifecycle.ace_released([shipment.pk], message="1C released")
    dispatch()
    assert sent_to(receiver) == [("shipment.released", shipment.pk)]


def test_holds_release_and_hand_off_are_told(api, dispatch, receiver, forwarder_org, cfs_org):
    endpoint_for(forwarder_org, receiver, events=["shipment.hold_placed", "shipment.hold_removed", "shipment.released",
                                                  "shipment.handed_off"])
    manifest = mawb_at(forwarder_org, cfs_org)
    held, free = parcel(manifest, "H0001"), parcel(manifest, "H0002")
    hold(held)
    lifecycle.hold_lifted([held.pk], to="released", message="hold removed, released")
    release(free)
    dispatch()
    assert sent_to(receiver) == [("shipment.hold_placed", held.pk), ("shipment.hold_removed", held.pk), ("shipment.released", held.pk),
                                 ("shipment.released", free.pk)]
    from cfs.models import Carrier
    from cfs.services import manifest_arrival_record, manifest_breakdown, manifests_collect_record, shipment_hand_off

    manifests_collect_record(cfs=cfs_org, user=None, manifest_ids=[manifest.pk], driver="d", truck="t", bonded_carrier="b")
    manifest_arrival_record(cfs=cfs_org, user=None, manifest_id=manifest.pk, pieces_received=3)
    manifest_breakdown(cfs=cfs_org, user=None, manifest_id=manifest.pk)
    shipment_hand_off(cfs=cfs_org, user=None, shipment_id=free.pk, carrier_id=Carrier.objects.get(code="ups").pk,
                      tracking_number="1Z999AA10123456784")
    dispatch()
    assert sent_to(receiver)[-1] == ("shipment.handed_off", free.pk)


def test_a_finished_upload_is_announced_to_its_forwarder_as_manifest_processed(api, dispatch, receiver, forwarder_org, broker_org,
                                                                              owner_key, django_capture_on_commit_callbacks):
    endpoint_for(forwarder_org, receiver, events=["manifest.processed"], path="/fwd")
    endpoint_for(broker_org, receiver, events=["manifest.processed"], path="/broker")
    with django_capture_on_commit_callbacks(execute=True):
        created = api(owner_key).post("/api/v1/manifests/", {"file": SimpleUploadedFile("m.csv", manifest_bytes([{}, {"pieces": "0"}]))},
                                      format="multipart").json()
    dispatch()
    assert sent_to(receiver, "/fwd") == [("manifest.processed", created["id"])] and sent_to(receiver, "/broker") == []
    manifest = receiver.requests[0].json["data"]["manifest"]
    assert (manifest["state"], manifest["rows_total"], manifest["rows_valid"], manifest["rows_invalid"]) == ("done", 2, 1, 1)
    assert manifest["report_url"].endswith(f"/api/v1/manifests/{created['id']}/report/")


def test_an_upload_still_being_read_is_announced_once_it_finishes(dispatch, receiver, forwarder_org):
    endpoint_for(forwarder_org, receiver, events=["manifest.processed"])
    upload = Upload.objects.create(forwarder=forwarder_org, original_name="slow.csv", sha256="0" * 64)
    later = Upload.objects.create(forwarder=forwarder_org, original_name="quick.csv", sha256="1" * 64, state=Upload.State.FAILED,
                                  finished_at=timezone.now())
    dispatch()
    assert sent_to(receiver) == [("manifest.processed", later.pk)]
    Upload.objects.filter(pk=upload.pk).update(state=Upload.State.DONE, finished_at=timezone.now())
    dispatch()
    assert sent_to(receiver) == [("manifest.processed", later.pk), ("manifest.processed", upload.pk)]


def test_changes_from_before_an_endpoint_was_registered_are_not_sent(dispatch, receiver, forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    endpoint = endpoint_for(forwarder_org, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(created_at=timezone.now() + timedelta(seconds=1))
    dispatch()
    assert receiver.requests == []


def test_with_no_endpoint_the_dispatcher_skips_to_the_end(dispatch, receiver, forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    dispatch()
    assert FeedCursor.objects.get(name="shipment_events").position == ShipmentEvent.objects.order_by("id").last().pk


def test_an_event_committed_after_a_later_one_was_read_is_still_sent(dispatch, receiver, forwarder_org):
    endpoint_for(forwarder_org, receiver)
    first, second = shipment_for(manifest_for(forwarder_org), hawb="H0001"), None
    lifecycle.shipments_approve([first.pk], actor=lifecycle.SYSTEM)
    approved = ShipmentEvent.objects.get(shipment=first, to_state="approved")
    dispatch()
    # Another transaction took the next id but had not committed when a later event was read: a gap.
    second = shipment_for(first.manifest, hawb="H0002")
    late_id = approved.pk + 1
    ShipmentEvent.objects.create(id=late_id + 1, shipment=second, dimension="customs", from_state="received", to_state="rejected",
                                 actor="user", at=timezone.now(), message="no invoice")
    dispatch()
    assert [p[:2] for p in FeedCursor.objects.get(name="shipment_events").pending] == [[late_id, late_id]]
    ShipmentEvent.objects.create(id=late_id, shipment=second, dimension="customs", from_state="rejected", to_state="received",
                                 actor="user", at=timezone.now(), message="corrected")
    dispatch()
    assert [json.loads(r.body)["data"]["change"]["event"] for r in receiver.requests] == [approved.pk, late_id + 1, late_id]
    assert FeedCursor.objects.get(name="shipment_events").pending == []


# --- Retries, backoff, giving up, disabling ----------------------------------------------------------------


@pytest.fixture
def countdowns(monkeypatch):
    """The countdown of every retry queued (eager tasks run at once, so the test does not wait for them)."""
    seen = []
    original = webhook_deliver_task.apply_async

    def spy(args=None, kwargs=None, countdown=None, **options):
        if countdown is not None:  # a retry (a first attempt is queued with delay())
            seen.append(countdown)
        return original(args=args, kwargs=kwargs, countdown=countdown, **options)

    monkeypatch.setattr(webhook_deliver_task, "apply_async", spy)
    return seen


def approved_parcel(forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org))
    lifecycle.shipments_approve([shipment.pk], actor=lifecycle.SYSTEM)
    return shipment


def test_a_failed_attempt_is_retried_with_exponential_backoff_until_it_succeeds(dispatch, receiver, forwarder_org, countdowns):
    endpoint = endpoint_for(forwarder_org, receiver)
    receiver.answers = [500, 503, 502]
    approved_parcel(forwarder_org)
    dispatch()
    delivery = WebhookDelivery.objects.get()
    assert countdowns == [0.25, 0.5, 1.0]
    assert list(delivery.tries.values_list("number", "status_code")) == [(1, 500), (2, 503), (3, 502), (4, 200)]
    assert "server error" in delivery.tries.first().response_snippet
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("succeeded", 4, 200)
    assert len({r.headers["calista-signature"] for r in receiver.requests}) >= 1
    assert {r.body for r in receiver.requests} == {receiver.requests[0].body}  # the same event each time
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 0


def test_backoff_doubles_from_its_base_and_is_capped(settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 200
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_a_delivery_gives_up_after_the_last_attempt(dispatch, receiver, forwarder_org, countdowns, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    endpoint_for(forwarder_org, receiver)
    receiver.default = 500
    approved_parcel(forwarder_org)
    dispatch()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, len(receiver.requests)) == ("failed", 3, 3)
    assert countdowns == [0.25, 0.5] and delivery.next_attempt_at is None


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_organization_told(dispatch, receiver, forwarder_org, owner, colleague,
                                                                               settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_DISABLE_AFTER = 4
    endpoint = endpoint_for(forwarder_org, receiver)
    receiver.default = 500
    first = approved_parcel(forwarder_org)
    dispatch()
    second = shipment_for(first.manifest, hawb="H0002")
    lifecycle.shipments_approve([second.pk], actor=lifecycle.SYSTEM)
    dispatch()
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None and "4" in endpoint.disabled_reason
    assert len(receiver.requests) == 4  # three for the first delivery, one for the second, then no more
    assert WebhookDelivery.objects.get(payload__data__shipment__id=second.pk).state == "pending"
    told = Notification.objects.filter(kind="webhook_disabled")
    assert {n.user for n in told} == {owner, colleague} and receiver.url in told[0].message
    assert told[0].url == f"/api/webhooks/{endpoint.pk}/"

    third = shipment_for(first.manifest, hawb="H0003")
    lifecycle.shipments_approve([third.pk], actor=lifecycle.SYSTEM)
    dispatch()
    assert len(receiver.requests) == 4 and WebhookDelivery.objects.count() == 2  # a disabled endpoint gets nothing new

    receiver.default = 200
    with django_capture_on_commit_callbacks(execute=True):  # enabling it again sends what waited
        webhooks.webhook_endpoint_enable(organization=forwarder_org, endpoint_id=endpoint.pk)
    assert WebhookDelivery.objects.get(payload__data__shipment__id=second.pk).state == "succeeded"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 0


def test_why_an_endpoint_was_disabled_is_stored_in_english_and_read_in_the_readers_language(dispatch, receiver, forwarder_org, owner,
                                                                                             client, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_DISABLE_AFTER = 2
    endpoint = endpoint_for(forwarder_org, receiver)
    receiver.default = 500
    approved_parcel(forwarder_org)
    with translation.override("zh-hans"):  # whatever language the worker happens to speak
        dispatch()
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "2 deliveries in a row failed."
    client.force_login(owner)
    page = f"/api/webhooks/{endpoint.pk}/"
    assert "停用：连续 2 次推送失败。" in client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ": 2 deliveries in a row failed." in client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # An endpoint disabled before the reason was kept untranslated still says why, in the English it was stored in.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_text=None, disabled_reason="15 deliveries in a row failed.")
    assert "停用：15 deliveries in a row failed." in client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    webhooks.webhook_endpoint_enable(organization=forwarder_org, endpoint_id=endpoint.pk)
    endpoint.refresh_from_db()
    assert (endpoint.disabled_reason, endpoint.disabled_text) == ("", None)


def test_the_notice_of_a_disabled_endpoint_reads_in_chinese_to_a_member_who_reads_chinese(dispatch, receiver, forwarder_org, owner,
                                                                                           client, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER = 1
    endpoint_for(forwarder_org, receiver)
    receiver.default = 500
    approved_parcel(forwarder_org)
    dispatch()
    client.force_login(owner)
    page = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"Webhook 端点 {receiver.url} 已停用：连续 1 次推送失败。 请修复后在 Webhooks 页面重新启用。" in page


def test_a_delivery_can_be_sent_again_by_hand_by_its_organization_only(dispatch, receiver, forwarder_org, other_forwarder_org,
                                                                       django_capture_on_commit_callbacks):
    endpoint_for(forwarder_org, receiver)
    approved_parcel(forwarder_org)
    dispatch()
    delivery = WebhookDelivery.objects.get()
    with pytest.raises(webhooks.WebhookError):
        webhooks.delivery_redeliver(organization=other_forwarder_org, delivery_id=delivery.pk)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.delivery_redeliver(organization=forwarder_org, delivery_id=delivery.pk)
    assert list(delivery.tries.values_list("number", "manual")) == [(1, False), (2, True)]
    assert len(receiver.requests) == 2 and WebhookDelivery.objects.get().state == "succeeded"


def test_an_attempt_is_claimed_once(dispatch, receiver, forwarder_org):
    endpoint_for(forwarder_org, receiver)
    approved_parcel(forwarder_org)
    dispatch()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.delivery_attempt(delivery_id=delivery.pk, attempt=1) == "skipped"  # sent already: a duplicate task does nothing
    assert len(receiver.requests) == 1


def test_an_unreachable_endpoint_is_a_failed_attempt_with_the_error(dispatch, forwarder_org, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhooks.webhook_endpoint_create(organization=forwarder_org, url=f"http://127.0.0.1:{port}/x", events=EVERYTHING)
    approved_parcel(forwarder_org)
    dispatch()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error
    assert WebhookDelivery.objects.get().state == "failed"


def test_a_redirect_is_an_answer_not_followed(dispatch, receiver, forwarder_org, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint_for(forwarder_org, receiver)
    receiver.answers = [302]
    approved_parcel(forwarder_org)
    dispatch()
    assert WebhookAttempt.objects.get().status_code == 302 and len(receiver.requests) == 1


def test_a_lost_delivery_is_queued_again_by_the_dispatcher(dispatch, receiver, forwarder_org):
    endpoint = endpoint_for(forwarder_org, receiver)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_key="shipment.released:1", event_type="shipment.released",
                                              payload={"type": "shipment.released"}, created_at=timezone.now(),
                                              next_attempt_at=timezone.now() - timedelta(hours=1))
    dispatch()
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "succeeded" and len(receiver.requests) == 1


# --- Endpoints --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost/x", "http://10.1.2.3/x", "http://[::1]/x",
                                 "http://169.254.169.254/latest"])
def test_private_and_local_addresses_are_refused_unless_allowed(forwarder_org, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(webhooks.WebhookError):
        webhooks.webhook_endpoint_create(organization=forwarder_org, url=url, events=EVERYTHING)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/hook", "https://user:pw@example.com/x", "https://"])
def test_an_endpoint_url_is_an_http_url_without_credentials(forwarder_org, url):
    with pytest.raises(webhooks.WebhookError):
        webhooks.webhook_endpoint_create(organization=forwarder_org, url=url, events=EVERYTHING)


def test_an_endpoint_chooses_known_events(forwarder_org):
    with pytest.raises(webhooks.WebhookError):
        webhooks.webhook_endpoint_create(organization=forwarder_org, url="https://example.com/x", events=[])
    with pytest.raises(webhooks.WebhookError):
        webhooks.webhook_endpoint_create(organization=forwarder_org, url="https://example.com/x", events=["shipment.lost"])


def test_a_url_that_resolves_to_a_private_address_is_refused_when_sending(dispatch, receiver, forwarder_org, settings):
    endpoint_for(forwarder_org, receiver)
    approved_parcel(forwarder_org)
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    dispatch()  # the dispatcher creates the delivery; the attempt looks where the URL leads
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "private" in attempt.error and receiver.requests == []


def test_the_readmes_receiver_example_verifies_a_real_delivery(dispatch, receiver, forwarder_org):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("Checking a delivery in a receiver (Python):", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(example, namespace)  # noqa: S102 (the README's own code)
    endpoint = endpoint_for(forwarder_org, receiver)
    approved_parcel(forwarder_org)
    dispatch()
    request = receiver.requests[0]
    assert namespace["verified"](endpoint.secret, request.headers["calista-signature"], request.body)
    assert not namespace["verified"](endpoint.secret, request.headers["calista-signature"], request.body.replace(b"approved", b"released"))


def test_the_beat_task_dispatches_and_the_deliveries_follow(receiver, forwarder_org, webhook_settings, django_capture_on_commit_callbacks):
    from api.tasks import webhooks_dispatch_task

    endpoint_for(forwarder_org, receiver)
    approved_parcel(forwarder_org)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_dispatch_task.delay()
    assert sent_to(receiver)[0][0] == "shipment.status_changed"


@pytest.mark.parametrize("url", [
    "http://2130706433/x",  # 127.0.0.1 written as one number: the resolver reads it as an address
    "http://0x7f000001/x", "http://127.1/x", "http://0/x", "http://017700000001/x",
    "http://[::ffff:127.0.0.1]/x",  # IPv4-mapped
    "http://[::127.0.0.1]/x",  # IPv4-compatible (deprecated, still routed by some stacks)
    "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 of the cloud metadata address 169.254.169.254
    "http://[2002:7f00:1::]/x",  # 6to4 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x",  # Teredo whose client is 127.0.0.1
])
def test_a_private_address_written_another_way_is_refused_too(forwarder_org, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(webhooks.WebhookError):
        webhooks.webhook_endpoint_create(organization=forwarder_org, url=url, events=EVERYTHING)


def test_a_name_that_resolves_to_a_public_address_when_checked_and_a_private_one_when_sending_is_refused(
        dispatch, receiver, forwarder_org, settings, monkeypatch):
    """DNS rebinding: the connection goes to the very address that was checked, not to a second answer of the resolver."""
    endpoint = endpoint_for(forwarder_org, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=endpoint.url.replace("127.0.0.1", "rebind.example"))
    approved_parcel(forwarder_org)
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    public_when_checked_then("127.0.0.1", monkeypatch, host="rebind.example")  # public for the check, then the receiver's loopback
    dispatch()
    attempt = WebhookAttempt.objects.get()
    assert receiver.requests == [] and attempt.status_code is None, attempt.error


def public_when_checked_then(address: str, monkeypatch, *, host: str = "hook.example"):
    """`host` resolves to a public address the first time (the check before sending), to `address` afterwards."""
    answers = iter(["93.184.216.34"] + [address] * 20)
    real = socket.getaddrinfo

    def resolver(name, port, *args, **kwargs):
        if name == host:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (next(answers), port))]
        return real(name, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)


def test_a_proxy_of_the_environment_is_never_used_so_the_checked_connection_still_refuses_a_private_address(
        dispatch, receiver, forwarder_org, settings, monkeypatch):
    """A proxy resolves and connects by itself: through HTTP_PROXY the delivery would reach what the checks refuse."""
    endpoint = endpoint_for(forwarder_org, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://hook.example/hooks/calista")
    approved_parcel(forwarder_org)
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    proxy = receiver.url.removesuffix("/hooks/calista")  # the receiver would answer as a proxy, and forward anywhere
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    public_when_checked_then("127.0.0.1", monkeypatch)
    dispatch()
    attempt = WebhookAttempt.objects.get()
    assert receiver.requests == [] and attempt.status_code is None and "private" in attempt.error


def test_with_webhook_proxy_set_every_delivery_goes_through_that_proxy_alone(dispatch, receiver, forwarder_org, settings,
                                                                            monkeypatch):
    endpoint = endpoint_for(forwarder_org, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://hook.example/hooks/calista")
    approved_parcel(forwarder_org)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_PROXY = receiver.url.removesuffix("/hooks/calista")  # the operator's proxy, on a private address
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the environment's is not the one chosen: never used
    public_when_checked_then("93.184.216.34", monkeypatch)
    dispatch()
    (request,) = receiver.requests
    assert request.path == "http://hook.example/hooks/calista"  # asked of a proxy: the whole URL, for it to connect
    assert WebhookDelivery.objects.get().state == "succeeded"
    assert webhooks.signature_verify(secret=endpoint.secret, header=request.headers["calista-signature"], body=request.body)


def test_a_private_address_is_still_refused_before_anything_is_sent_through_the_proxy(dispatch, receiver, forwarder_org, settings):
    endpoint = endpoint_for(forwarder_org, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://10.1.2.3/hooks/calista")
    approved_parcel(forwarder_org)
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_PROXY = receiver.url.removesuffix("/hooks/calista")
    dispatch()
    assert receiver.requests == [] and "private" in WebhookAttempt.objects.get().error


def test_the_admin_names_webhook_deliveries_in_good_english(client, operator_org):
    client.force_login(member(UserFactory(username="root", is_staff=True, is_superuser=True), operator_org, "admin"))
    page = client.get("/admin/").content.decode()
    assert "Webhook deliveries" in page and "deliverys" not in page
