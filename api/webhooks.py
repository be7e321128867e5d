"""Webhooks: an organization's endpoints, the events they receive, and the signed deliveries to them.

The feed is what the portal already writes, not a hook in the lifecycle: the append-only
ShipmentEvent table (status and custody changes) and the uploads that finish. `webhooks_dispatch`
(beat, every few seconds) reads both after a stored cursor, turns each change into event types,
and creates one delivery per endpoint and event, exactly once (a unique constraint), for the
organizations that may see it by accounts.access: the forwarder, its broker, the CFS, operators.

Each delivery is sent by a Celery task outside any transaction, signed with the endpoint's
secret (HMAC-SHA256 over "<timestamp>.<body>"), every attempt logged with the status code and the
start of the answer. A failed attempt is retried with exponential backoff (countdown); after
WEBHOOK_DISABLE_AFTER failed attempts in a row the endpoint is disabled and its organization told.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts import access
from accounts.models import Organization
from api.models import FeedCursor, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from calista.i18n import Text
from shipments.models import Custody, CustomsStatus, Shipment, ShipmentEvent, Upload

EVENT_TYPES = {
    "shipment.status_changed": gettext_lazy("Shipment status changed"),
    "shipment.hold_placed": gettext_lazy("Hold placed"),
    "shipment.hold_removed": gettext_lazy("Hold removed"),
    "shipment.released": gettext_lazy("Released by CBP"),
    "shipment.handed_off": gettext_lazy("Handed off to the last-mile carrier"),
    "manifest.processed": gettext_lazy("Manifest processed"),
}
SHIPMENT_TYPES = frozenset(t for t in EVENT_TYPES if t.startswith("shipment."))
SIGNATURE_HEADER = "Calista-Signature"
SNIPPET = 500  # characters of an answer kept with each attempt
FINISHED = (Upload.State.DONE, Upload.State.FAILED, Upload.State.CRASHED)
BATCH = 5000  # rows of a feed read per round
ROUNDS = 20  # rounds per dispatch, so one run ends even when a big ingest just committed
PENDING_RANGES = 200  # at most this many unread ranges are remembered per feed
UPLOAD_WAIT = timedelta(hours=24)  # an upload still being read is waited for this long


def _setting(name: str, default):
    return getattr(settings, name, default)


class WebhookError(Exception):
    """A request about webhooks that cannot be done; says why in the user's words."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Signing ------------------------------------------------------------------------------------


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret, in hex."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def signature_verify(*, secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (README): the header's signature matches, and its timestamp is recent (no replay)."""
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret=secret, timestamp=timestamp, body=body))


# --- Endpoints ----------------------------------------------------------------------------------


def endpoints_for(org: Organization | None) -> QuerySet:
    """The organization's own endpoints."""
    if org is None:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(organization=org)


def deliveries_for(org: Organization | None) -> QuerySet:
    if org is None:
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(endpoint__organization=org)


NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo's client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = address.packed
    if any(address in network for network in NAT64) or (packed[:12] == bytes(12) and int(address) > 1):
        return ipaddress.IPv4Address(packed[12:])
    return None


def _address_is_public(address: str) -> bool:
    """A global address, and so is any IPv4 address it carries (::ffff:127.0.0.1 and 64:ff9b::a9fe:a9fe are not)."""
    try:
        parsed = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and (inner := _embedded_ipv4(parsed)) is not None and not inner.is_global:
        return False
    return parsed.is_global


def _literal_address(host: str) -> str | None:
    """The address a host names by itself, however written: 127.0.0.1, [::1], but also 2130706433, 0x7f000001 or 127.1,
    which the resolver reads as addresses (inet_aton). None for a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return str(ipaddress.IPv4Address(socket.inet_aton(host)))
    except (OSError, ValueError):
        return None


def webhook_url_check(url: str) -> str:
    """An endpoint URL: http(s), a host, no credentials, and (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES) not a private address."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise WebhookError(_("Enter a valid URL."), "url")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(_("The URL must start with https:// (or http://) and name a host."), "url")
    if parts.username or parts.password:
        raise WebhookError(_("Leave credentials out of the URL: every delivery is signed instead."), "url")
    if len(url) > 500:
        raise WebhookError(_("The URL is too long (500 characters at most)."), "url")
    host = parts.hostname
    address = "127.0.0.1" if host == "localhost" or host.endswith(".localhost") else _literal_address(host)
    if address is not None and not _setting("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False) and not _address_is_public(address):
        raise WebhookError(_("The URL points to a private or local address; webhooks go to public addresses only."), "url")
    return url


def _events_check(events) -> list[str]:
    chosen = [e for e in EVENT_TYPES if e in set(events or [])]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookError(_("Choose at least one event, from the list."), "events")
    return chosen


def webhook_endpoint_create(*, organization: Organization, url: str, events: list[str], description: str = "",
                            user=None) -> WebhookEndpoint:
    """Register an endpoint; its signing secret is made here."""
    return WebhookEndpoint.objects.create(
        organization=organization, url=webhook_url_check(url), events=_events_check(events), description=(description or "")[:200],
        secret=f"whsec_{secrets.token_urlsafe(32)}", created_by=user, created_at=timezone.now())


def webhook_endpoint_update(*, organization: Organization, endpoint_id: int, url: str, events: list[str],
                            description: str = "") -> WebhookEndpoint:
    endpoint = _endpoint(organization, endpoint_id)
    endpoint.url, endpoint.events = webhook_url_check(url), _events_check(events)
    endpoint.description = (description or "")[:200]
    endpoint.save(update_fields=["url", "events", "description"])
    return endpoint


def webhook_endpoint_enable(*, organization: Organization, endpoint_id: int) -> WebhookEndpoint:
    """Enable a disabled endpoint again; the deliveries still pending are sent now."""
    endpoint = _endpoint(organization, endpoint_id)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=None, disabled_reason="", disabled_text=None,
                                                          consecutive_failures=0)
    waiting = list(WebhookDelivery.objects.filter(endpoint=endpoint, state=WebhookDelivery.State.PENDING).values_list("id", "attempts"))
    _queue(waiting)
    endpoint.refresh_from_db()
    return endpoint


def webhook_endpoint_delete(*, organization: Organization, endpoint_id: int) -> None:
    _endpoint(organization, endpoint_id).delete()


def webhook_secret_roll(*, organization: Organization, endpoint_id: int) -> WebhookEndpoint:
    """A new signing secret: deliveries from now on are signed with it."""
    endpoint = _endpoint(organization, endpoint_id)
    endpoint.secret = f"whsec_{secrets.token_urlsafe(32)}"
    endpoint.save(update_fields=["secret"])
    return endpoint


def _endpoint(organization: Organization, endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoints_for(organization).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise WebhookError(_("No such endpoint."))
    return endpoint


# --- What a change means ---------------------------------------------------------------------------

# The events that can mean something to a webhook (in SQL, for re-reading what was skipped earlier).
RELEVANT_EVENTS = (Q(dimension=ShipmentEvent.Dimension.CUSTOMS) & ~Q(from_state="")) | Q(
    dimension=ShipmentEvent.Dimension.CUSTODY, to_state=Custody.HANDED_OFF)


def event_types_for(*, dimension: str, from_state: str, to_state: str) -> list[str]:
    """The webhook event types one timeline event stands for (a shipment's first `received` is none:
    `manifest.processed` tells about new shipments)."""
    types = []
    if dimension == ShipmentEvent.Dimension.CUSTOMS and from_state:
        types.append("shipment.status_changed")
        if to_state == CustomsStatus.ON_HOLD:
            types.append("shipment.hold_placed")
        if from_state == CustomsStatus.ON_HOLD:
            types.append("shipment.hold_removed")
        if to_state == CustomsStatus.RELEASED:
            types.append("shipment.released")
    elif dimension == ShipmentEvent.Dimension.CUSTODY and to_state == Custody.HANDED_OFF:
        types.append("shipment.handed_off")
    return types


def _site(path: str) -> str:
    return _setting("SITE_URL", "http://localhost:8000").rstrip("/") + path


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# --- Reading the feeds ---------------------------------------------------------------------------------


def _ranges_without(ranges: list[list], ids: set[int]) -> list[list]:
    """The ranges with these ids taken out (each range keeps its give-up time)."""
    out = []
    for low, high, until in ranges:
        start = low
        for found in sorted(i for i in ids if low <= i <= high):
            if found > start:
                out.append([start, found - 1, until])
            start = found + 1
        if start <= high:
            out.append([start, high, until])
    return out


@dataclass(frozen=True)
class _Feed:
    name: str
    model: type
    fields: tuple[str, ...]
    ready: Q  # rows that can be sent now (as SQL, for rows skipped earlier)
    wait: timedelta | None  # how long a row that is not ready yet is waited for (None: not ready means nothing to send)

    def is_ready(self, row: dict) -> bool:
        if self.model is Upload:
            return row["state"] in FINISHED
        return bool(event_types_for(dimension=row["dimension"], from_state=row["from_state"], to_state=row["to_state"]))


SHIPMENT_FEED = _Feed("shipment_events", ShipmentEvent, ("id", "shipment_id", "dimension", "from_state", "to_state", "actor", "at",
                                                         "message"), RELEVANT_EVENTS, None)
UPLOAD_FEED = _Feed("uploads", Upload, ("id", "forwarder_id", "state", "original_name", "rows_total", "rows_valid", "rows_invalid",
                                        "created_at", "finished_at"), Q(state__in=FINISHED), UPLOAD_WAIT)


def _feed_read(feed: _Feed, cursor: FeedCursor, now: datetime) -> tuple[list[dict], bool]:
    """The rows to send since the cursor (and those skipped before); moves the cursor. Returns (rows, more to read).

    Ids are handed out before their transaction commits, so a row can appear after a higher id was
    read. An id missing when passed is remembered for WEBHOOK_GAP_SECONDS and read again, as is an
    upload still being read (for a day), so nothing committed late is lost.
    """
    stamp = now.timestamp()
    pending = [r for r in cursor.pending if r[2] > stamp]
    rows: list[dict] = []
    if pending:
        late = Q()
        for low, high, _until in pending:
            late |= Q(id__range=(low, high))
        rows = list(feed.model.objects.filter(late).filter(feed.ready).order_by("id").values(*feed.fields)[:BATCH])
        pending = _ranges_without(pending, {row["id"] for row in rows})
    new = list(feed.model.objects.filter(id__gt=cursor.position).order_by("id").values(*feed.fields)[:BATCH])
    gap_until = stamp + _setting("WEBHOOK_GAP_SECONDS", 300)
    # A cursor's first read has nothing behind it to wait for: ids below the first row were never handed out here.
    expected = cursor.position + 1 if cursor.position or not new else new[0]["id"]
    for row in new:
        if row["id"] > expected:
            pending.append([expected, row["id"] - 1, gap_until])
        expected = row["id"] + 1
        if feed.is_ready(row):
            rows.append(row)
        elif feed.wait is not None:
            pending.append([row["id"], row["id"], stamp + feed.wait.total_seconds()])
    if new:
        cursor.position = new[-1]["id"]
    cursor.pending = sorted(pending)[-PENDING_RANGES:]
    cursor.save(update_fields=["position", "pending", "updated_at"])
    return rows, len(new) == BATCH


def _cursor(name: str) -> FeedCursor:
    FeedCursor.objects.get_or_create(name=name)
    return FeedCursor.objects.select_for_update().get(name=name)


# --- Dispatch: feed rows to deliveries ----------------------------------------------------------------------


def _subscribers(types: frozenset[str]) -> dict[int, list[WebhookEndpoint]]:
    """The active endpoints that want any of these types, by organization."""
    by_org: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(disabled_at__isnull=True).select_related("organization"):
        if types & set(endpoint.events):
            by_org[endpoint.organization_id].append(endpoint)
    return by_org


def _visible(queryset: QuerySet, ids: list[int]) -> set[int]:
    seen: set[int] = set()
    for start in range(0, len(ids), 1000):
        seen.update(queryset.filter(id__in=ids[start:start + 1000]).values_list("id", flat=True))
    return seen


def _shipment_deliveries(rows: list[dict], now: datetime) -> list[WebhookDelivery]:
    subscribers = _subscribers(SHIPMENT_TYPES)
    typed = {row["id"]: (row, event_types_for(dimension=row["dimension"], from_state=row["from_state"], to_state=row["to_state"]))
             for row in rows}
    if not subscribers or not typed:
        return []
    shipments = {s["id"]: s for s in Shipment.objects.filter(id__in={row["shipment_id"] for row in rows}).values(
        "id", "mawb", "hawb", "status", "custody", "manifest_id", "upload_id")}
    deliveries = []
    ids = sorted(typed)
    for endpoints in subscribers.values():
        # Who may see a shipment is accounts.access's to say: one query per subscribing organization and batch.
        for event_id in sorted(_visible(access.events_for(endpoints[0].organization), ids)):
            row, types = typed[event_id]
            shipment = shipments[row["shipment_id"]]
            for endpoint in endpoints:
                if endpoint.created_at > row["at"]:
                    continue  # an endpoint hears about what happens after it was registered
                for kind in types:
                    if kind in endpoint.events:
                        deliveries.append(_delivery(endpoint, kind, event_id, _shipment_payload(kind, event_id, row, shipment), now))
    return deliveries


def _shipment_payload(kind: str, event_id: int, row: dict, shipment: dict) -> dict:
    return {
        "id": f"{kind}:{event_id}", "type": kind, "created_at": _iso(row["at"]),
        "data": {
            "shipment": {"id": shipment["id"], "url": _site(reverse("api:v1:shipment-detail", args=[shipment["id"]])),
                         "mawb": shipment["mawb"], "hawb": shipment["hawb"], "mawb_id": shipment["manifest_id"],
                         "manifest": shipment["upload_id"], "status": shipment["status"], "custody": shipment["custody"]},
            "change": {"event": event_id, "dimension": row["dimension"], "from": row["from_state"], "to": row["to_state"],
                       "actor": row["actor"], "at": _iso(row["at"]), "message": row["message"]},
        },
    }


def _upload_deliveries(rows: list[dict], now: datetime) -> list[WebhookDelivery]:
    subscribers = _subscribers(frozenset({"manifest.processed"}))
    if not subscribers or not rows:
        return []
    by_id = {row["id"]: row for row in rows}
    deliveries = []
    for endpoints in subscribers.values():
        for upload_id in sorted(_visible(access.uploads_for(endpoints[0].organization), sorted(by_id))):
            row = by_id[upload_id]
            for endpoint in endpoints:
                if endpoint.created_at <= (row["finished_at"] or row["created_at"]):
                    deliveries.append(_delivery(endpoint, "manifest.processed", upload_id, _upload_payload(row), now))
    return deliveries


def _upload_payload(row: dict) -> dict:
    return {
        "id": f"manifest.processed:{row['id']}", "type": "manifest.processed", "created_at": _iso(row["finished_at"]),
        "data": {"manifest": {
            "id": row["id"], "url": _site(reverse("api:v1:manifest-detail", args=[row["id"]])),
            "report_url": _site(reverse("api:v1:manifest-report", args=[row["id"]])), "name": row["original_name"],
            "state": row["state"], "rows_total": row["rows_total"], "rows_valid": row["rows_valid"],
            "rows_invalid": row["rows_invalid"], "finished_at": _iso(row["finished_at"]),
        }},
    }


def _delivery(endpoint: WebhookEndpoint, kind: str, subject: int, payload: dict, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(endpoint=endpoint, event_key=f"{kind}:{subject}", event_type=kind, payload=payload, created_at=now,
                           next_attempt_at=now)


def _queue(deliveries: list[tuple[int, int]], *, manual: bool = False) -> None:
    """Send these (delivery id, attempts so far) once the transaction commits."""
    if not deliveries:
        return

    def send():
        from api.tasks import webhook_deliver_task

        for delivery_id, attempts in deliveries:
            webhook_deliver_task.delay(delivery_id, attempts + 1, manual)

    transaction.on_commit(send)


def _dispatch_feed(feed: _Feed, build, now: datetime) -> int:
    created = 0
    for _round in range(ROUNDS):
        with transaction.atomic():
            cursor = _cursor(feed.name)
            rows, more = _feed_read(feed, cursor, now)
            deliveries = build(rows, now)
            if deliveries:
                WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
                fresh = list(WebhookDelivery.objects.filter(queued_at__isnull=True, state=WebhookDelivery.State.PENDING)
                             .order_by("id").values_list("id", "attempts")[:10_000])
                WebhookDelivery.objects.filter(pk__in=[i for i, _a in fresh]).update(queued_at=now)
                _queue(fresh)
                created += len(fresh)
        if not more:
            break
    return created


def _skip_to_end(feed: _Feed) -> None:
    """No endpoint listens: nothing to send, so the cursor moves to the end at once (nothing is sent from the past later)."""
    with transaction.atomic():
        cursor = _cursor(feed.name)
        cursor.position = max(cursor.position, feed.model.objects.aggregate(top=Max("id"))["top"] or 0)
        cursor.pending = []
        cursor.save(update_fields=["position", "pending", "updated_at"])


def _deliveries_requeue(now: datetime) -> int:
    """Deliveries whose task was lost (a worker died, a broker restarted) are queued again."""
    stale = now - timedelta(seconds=_setting("WEBHOOK_STALE_SECONDS", 300))
    with transaction.atomic():
        lost = list(WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, endpoint__disabled_at__isnull=True,
                                                   next_attempt_at__lt=stale)
                    .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now)).order_by("id").values_list("id", "attempts")[:1000])
        WebhookDelivery.objects.filter(pk__in=[i for i, _a in lost]).update(next_attempt_at=now, queued_at=now)
        _queue(lost)
    return len(lost)


def webhooks_dispatch(*, now: datetime | None = None) -> int:
    """Turn new shipment events and finished uploads into deliveries, and queue them. Returns how many were created.

    Safe to run twice and side by side: each feed's cursor row is locked while it is read, and a
    delivery exists once per endpoint and event.
    """
    now = now or timezone.now()
    listening = WebhookEndpoint.objects.filter(disabled_at__isnull=True).exists()
    created = 0
    for feed, build in ((SHIPMENT_FEED, _shipment_deliveries), (UPLOAD_FEED, _upload_deliveries)):
        if listening:
            created += _dispatch_feed(feed, build, now)
        else:
            _skip_to_end(feed)
    _deliveries_requeue(now)
    return created


# --- Sending ---------------------------------------------------------------------------------------


def backoff_seconds(attempt: int) -> float:
    """How long to wait after failed attempt number `attempt` (1, 2, ...): doubling from WEBHOOK_BACKOFF_SECONDS, capped."""
    base = float(_setting("WEBHOOK_BACKOFF_SECONDS", 30))
    return min(float(_setting("WEBHOOK_BACKOFF_MAX_SECONDS", 1800)), base * 2 ** (attempt - 1))


@dataclass
class Sent:
    status: int | None
    snippet: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other (not a success): deliveries go to the URL registered."""

    def redirect_request(self, *args, **kwargs):
        return None


def _host_allowed(url: str) -> bool:
    if _setting("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False):
        return True
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), proto=socket.IPPROTO_TCP)
    except OSError:
        return True  # unresolvable: the request fails on its own, with the resolver's message
    return all(_address_is_public(info[4][0]) for info in infos)


class PrivateAddressRefused(OSError):
    """The endpoint's host resolved to a private or local address when the delivery connected."""


def _public_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, *args, **kwargs):
    """socket.create_connection, to an address checked here: the name is resolved once, every answer must be public,
    and the connection goes to one of those very addresses (a resolver that answers otherwise the second time, as DNS
    rebinding does, cannot send the delivery to 127.0.0.1 or the cloud metadata address)."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos or not all(_address_is_public(info[4][0]) for info in infos):
        raise PrivateAddressRefused(_("refused: the URL resolves to a private or local address"))
    error = None
    for family, kind, proto, _canonical, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error


class _Public:
    """An http.client connection that connects through _public_connection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection


class _PublicHTTPConnection(_Public, http.client.HTTPConnection):
    pass


class _PublicHTTPSConnection(_Public, http.client.HTTPSConnection):
    pass


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)


def _opener():
    """No redirects, and never a proxy of the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY: urllib would follow them
    unasked): a proxy resolves the endpoint's name and connects by itself, where the checks of private and local
    addresses cannot reach. So a delivery connects straight to the public addresses checked when connecting (unless
    private addresses are allowed: tests, a closed network), or, when the operator names one in WEBHOOK_PROXY, through
    that proxy only, whose own egress rules must then refuse private and local destinations (README, Configuration)."""
    proxy = _setting("WEBHOOK_PROXY", "")
    proxies = urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {})
    if proxy or _setting("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False):
        return urllib.request.build_opener(_NoRedirects, proxies)
    return urllib.request.build_opener(_NoRedirects, proxies, _PublicHTTPHandler, _PublicHTTPSHandler)


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def _send(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Sent:
    """POST the payload, signed; never raises (every failure is an answer to log)."""
    if not _host_allowed(endpoint.url):
        return Sent(None, error=_("refused: the URL resolves to a private or local address"))
    body = body_bytes(delivery.payload)
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Calista-Webhooks/1",
        SIGNATURE_HEADER: signature_header(secret=endpoint.secret, timestamp=timestamp, body=body),
        "Calista-Event": delivery.event_type, "Calista-Delivery": str(delivery.pk),
    })
    started = time.monotonic()
    opener = _opener()
    try:
        with opener.open(request, timeout=_setting("WEBHOOK_TIMEOUT_SECONDS", 10)) as response:
            status, answer = response.status, response.read(SNIPPET * 4)
    except urllib.error.HTTPError as error:
        status, answer = error.code, (error.read(SNIPPET * 4) if error.fp else b"")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Sent(None, error=str(reason)[:300], duration_ms=int((time.monotonic() - started) * 1000))
    return Sent(status, answer.decode("utf-8", "replace")[:SNIPPET], duration_ms=int((time.monotonic() - started) * 1000))


def delivery_attempt(*, delivery_id: int, attempt: int, manual: bool = False) -> str:
    """Make attempt number `attempt` of a delivery: "delivered", "retrying", "failed", or "skipped".

    Safe to run twice: the attempt is claimed first (the delivery must still be pending with
    attempt - 1 tries behind it, its endpoint enabled, and no other attempt under way).
    """
    now = timezone.now()
    lease = now + timedelta(seconds=float(_setting("WEBHOOK_TIMEOUT_SECONDS", 10)) + 60)
    claimed = (WebhookDelivery.objects.filter(pk=delivery_id, state=WebhookDelivery.State.PENDING, attempts=attempt - 1,
                                              endpoint__disabled_at__isnull=True)
               .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now)).update(leased_until=lease))
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    sent = _send(delivery.endpoint, delivery)  # the network, outside any transaction
    return _record(delivery, attempt=attempt, sent=sent, manual=manual)


def _record(delivery: WebhookDelivery, *, attempt: int, sent: Sent, manual: bool) -> str:
    now = timezone.now()
    endpoint = delivery.endpoint
    retry_in = None
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery=delivery, number=attempt, at=now, status_code=sent.status,
                                      response_snippet=sent.snippet, error=sent.error, duration_ms=sent.duration_ms, manual=manual)
        if sent.ok:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                state=WebhookDelivery.State.SUCCEEDED, attempts=attempt, response_status=sent.status, delivered_at=now,
                next_attempt_at=None, leased_until=None)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            return "delivered"
        give_up = attempt >= int(_setting("WEBHOOK_MAX_ATTEMPTS", 8))
        delay = backoff_seconds(attempt)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=WebhookDelivery.State.FAILED if give_up else WebhookDelivery.State.PENDING, attempts=attempt,
            response_status=sent.status, next_attempt_at=None if give_up else now + timedelta(seconds=delay), leased_until=None)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        failures = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("consecutive_failures", flat=True).first() or 0
        disabled = failures >= int(_setting("WEBHOOK_DISABLE_AFTER", 15)) and _endpoint_disable(endpoint, failures)
        if not give_up and not disabled:
            retry_in = delay
    if retry_in is not None:
        from api.tasks import webhook_deliver_task

        webhook_deliver_task.apply_async((delivery.pk, attempt + 1, False), countdown=retry_in)
        return "retrying"
    return "failed"


def _endpoint_disable(endpoint: WebhookEndpoint, failures: int) -> bool:
    """Disable an endpoint that keeps failing, once, and tell its organization."""
    from customs.notify import organization_notify

    reason = Text(gettext_noop("%(n)s deliveries in a row failed."), {"n": failures})
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(disabled_at=timezone.now(),
                                                                                           disabled_reason=reason.english(),
                                                                                           disabled_text=reason.to_json()):
        return True  # disabled already (by another attempt)
    organization_notify(organization_id=endpoint.organization_id, kind="webhook_disabled",
                        url=reverse("api:webhook_detail", args=[endpoint.pk]),
                        message=Text(gettext_noop("The webhook endpoint %(url)s was disabled: %(reason)s Fix it, then enable it "
                                                  "again on the Webhooks page."), {"url": endpoint.url, "reason": reason}))
    return True


def delivery_redeliver(*, organization: Organization, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again by hand (one more attempt now), whatever became of it before."""
    delivery = deliveries_for(organization).select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        raise WebhookError(_("No such delivery."))
    if not delivery.endpoint.is_active:
        raise WebhookError(_("The endpoint is disabled: enable it first."))
    now = timezone.now()
    with transaction.atomic():
        if not (WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts)
                .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
                .update(state=WebhookDelivery.State.PENDING, next_attempt_at=now, queued_at=now)):
            raise WebhookError(_("This delivery is being sent right now; look again in a moment."))
        _queue([(delivery.pk, delivery.attempts)], manual=True)
    return delivery
