"""The API's people are keys: each organization's read-write key (the owner), a read-only key of the same
organization (a colleague's integration, that may only read), and a key of another tenant (the outsider).

`receiver` is a real HTTP server on 127.0.0.1, started by the test, that records what webhooks post
and answers with the status codes the test queues.
"""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from api.keys import api_key_create


def key_for(org, *, read_only=False, name="Test integration") -> str:
    _key, raw = api_key_create(organization=org, name=name, read_only=read_only)
    return raw


@pytest.fixture
def owner_key(owner, forwarder_org):
    return key_for(forwarder_org)


@pytest.fixture
def colleague_key(colleague, forwarder_org):
    return key_for(forwarder_org, read_only=True, name="Colleague's dashboard")


@pytest.fixture
def outsider_key(outsider, other_forwarder_org):
    return key_for(other_forwarder_org)


@pytest.fixture
def broker_key(broker_user, broker_org):
    return key_for(broker_org)


@pytest.fixture
def broker_read_key(broker_org):
    return key_for(broker_org, read_only=True)


@pytest.fixture
def other_broker_key(other_broker_user, other_broker_org):
    return key_for(other_broker_org)


@pytest.fixture
def cfs_key(cfs_user, cfs_org):
    return key_for(cfs_org)


@pytest.fixture
def cfs_read_key(cfs_org):
    return key_for(cfs_org, read_only=True)


@pytest.fixture
def other_cfs_key(other_cfs_user, other_cfs_org):
    return key_for(other_cfs_org)


@pytest.fixture
def api():
    """api(key) is a client that sends `Authorization: Bearer <key>` (none for api(None))."""

    def client_for(key: str | None) -> APIClient:
        client = APIClient(HTTP_HOST="localhost")
        if key:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return client_for


def errors_of(response) -> list[dict]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return body["errors"]


def fields_of(response) -> list[str | None]:
    return [error["field"] for error in errors_of(response)]


def codes_of(response) -> list[str]:
    return [error["code"] for error in errors_of(response)]


# --- A real HTTP server for webhooks -------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to answer, in order; 200 when empty
    default: int = 200

    def next_status(self) -> int:
        return self.answers.pop(0) if self.answers else self.default


@pytest.fixture
def receiver():
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = state.next_status()
            payload = b"ok" if status < 400 else b"server error: try later"
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/calista"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def webhook_settings(settings):
    """Webhooks to the test's own server on 127.0.0.1, retried without waiting."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_BACKOFF_SECONDS = 0.25
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 60
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    return settings

