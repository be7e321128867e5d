"""Schemathesis against the generated schema: every operation, valid and invalid requests, a bounded number of each.

Each operation is called with a real key of the organization that may do it (a forwarder uploads,
a broker approves, a station hands off), on a portal holding their data, and must answer without
a server error and exactly as the schema says (status code, content type, body).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shipments import lifecycle
from tests.api.conftest import key_for
from tests.cfs.conftest import mawb_at
from tests.factories import manifest_for, shipment_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXAMPLES = 25  # per operation; derandomized, so every run (and CI) tries the same requests


# Loaded when the tests are collected, from the portal itself (the schema view reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())


@pytest.fixture
def in_the_tests_transaction(db, settings):
    """As Django's test client does: a request must not close the connection that holds the test's transaction."""
    settings.API_RATE_LIMIT = ""  # the fuzzer sends hundreds of calls a minute on one key
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def keys(forwarder_org, broker_org, cfs_org):
    """Keys of each kind, and data for them to find: MAWBs at the station, parcels waiting, approved and released."""
    at_station = mawb_at(forwarder_org, cfs_org)
    lifecycle.shipments_approve([at_station.shipments.first().pk], actor=lifecycle.SYSTEM)
    waiting = manifest_for(forwarder_org, mawb="16011111112")
    for i in range(3):
        shipment_for(waiting, hawb=f"W{i:04d}")
    return {"forwarder": key_for(forwarder_org), "broker": key_for(broker_org), "cfs": key_for(cfs_org)}


def kind_for(path: str) -> str:
    if path.startswith(("/api/v1/mawbs/collect/", "/api/v1/shipments/hand-off/")) or path.endswith(("/arrival/", "/breakdown/")):
        return "cfs"
    if path.startswith(("/api/v1/shipments/approve/", "/api/v1/shipments/reject/")) or path.endswith("/correct/"):
        return "broker"
    return "forwarder"


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says_and_never_with_a_server_error(case, keys, in_the_tests_transaction):
    key = keys[kind_for(case.operation.path)]
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
