"""API keys: shown once, kept as a hash, scoped to their organization, read-only or read-write, revocable, rate-limited."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from api.keys import ApiKeyError, api_key_authenticate, api_key_create, api_key_revoke
from api.models import ApiKey
from tests.api.conftest import codes_of, key_for

pytestmark = pytest.mark.django_db


def test_a_new_key_is_returned_once_and_only_its_hash_is_kept(forwarder_org, owner):
    key, raw = api_key_create(organization=forwarder_org, name="  Warehouse   system ", user=owner)
    assert raw.startswith(f"cal_{key.prefix}_") and len(raw) > 40
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.name == "Warehouse system" and stored.created_by == owner and stored.scope == ApiKey.Scope.READ_WRITE
    assert stored.hashed_key == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(value) for value in ApiKey.objects.values().get(pk=key.pk).values()}


def test_a_key_needs_a_name(forwarder_org):
    with pytest.raises(ApiKeyError):
        api_key_create(organization=forwarder_org, name="   ")


def test_the_key_authenticates_as_its_organization_until_it_is_revoked(forwarder_org, other_forwarder_org, owner):
    key, raw = api_key_create(organization=forwarder_org, name="ERP")
    assert api_key_authenticate(raw).organization == forwarder_org
    with pytest.raises(ApiKeyError):
        api_key_revoke(organization=other_forwarder_org, key_id=key.pk)  # another tenant's key is not found
    assert api_key_authenticate(raw) is not None
    api_key_revoke(organization=forwarder_org, key_id=key.pk, user=owner)
    assert api_key_authenticate(raw) is None
    assert ApiKey.objects.get(pk=key.pk).revoked_by == owner


@pytest.mark.parametrize("header", [
    "Bearer cal_00000000_not-a-real-secret", "Bearer nonsense", "Bearer", "Bearer a b", "Bearer caf\u00e9_x_y",
])
def test_a_call_with_an_unknown_or_malformed_key_answers_401(api, owner_key, header):
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/shipments/")
    assert response.status_code == 401
    assert codes_of(response) == ["authentication_failed"]


def test_a_call_without_a_key_answers_401_with_a_bearer_challenge(api, owner_key):
    response = api(None).get("/api/v1/shipments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert codes_of(response) == ["not_authenticated"]


def test_a_logged_in_browser_session_is_not_an_api_key(client, owner):
    client.force_login(owner)
    response = client.get("/api/v1/shipments/", HTTP_HOST="localhost")
    assert response.status_code == 401


def test_a_tampered_key_with_a_real_prefix_is_refused(api, owner_key):
    response = api(owner_key[:-3] + "xyz").get("/api/v1/shipments/")
    assert response.status_code == 401


def test_a_revoked_key_answers_401(api, forwarder_org, owner_key):
    assert api(owner_key).get("/api/v1/shipments/").status_code == 200
    ApiKey.objects.filter(organization=forwarder_org).update(revoked_at=timezone.now())
    assert api(owner_key).get("/api/v1/shipments/").status_code == 401


def test_the_key_records_when_it_was_last_used_at_most_once_a_minute(api, owner_key):
    key = ApiKey.objects.get(prefix=owner_key.split("_")[1])
    assert key.last_used_at is None
    api(owner_key).get("/api/v1/shipments/")
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    api(owner_key).get("/api/v1/shipments/")
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=5))
    api(owner_key).get("/api/v1/shipments/")
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first - timedelta(minutes=1)


WRITES = [
    ("/api/v1/manifests/", {"rows": [{"mawb": "16012345675"}]}),
    ("/api/v1/shipments/approve/", {"shipments": [1]}),
    ("/api/v1/shipments/reject/", {"shipments": [1], "reason": "x"}),
    ("/api/v1/shipments/1/correct/", {"field": "description", "value": "x"}),
    ("/api/v1/mawbs/collect/", {"mawbs": [1], "driver": "a", "truck": "b", "bonded_carrier": "c"}),
    ("/api/v1/mawbs/1/arrival/", {"pieces_received": 1}),
    ("/api/v1/mawbs/1/breakdown/", {}),
    ("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": [{"shipment": 1, "tracking_number": "1Z999"}]}),
]


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_a_read_only_key_gets_403_on_every_write(api, colleague_key, broker_read_key, cfs_read_key, path, body):
    for key in (colleague_key, broker_read_key, cfs_read_key):
        response = api(key).post(path, body, format="json")
        assert response.status_code == 403, (path, response.content)
        assert codes_of(response) == ["read_only_key"]


def test_a_read_only_key_reads(api, colleague_key):
    assert api(colleague_key).get("/api/v1/shipments/").status_code == 200


def test_each_key_has_its_own_rate_limit(api, settings, forwarder_org, owner_key):
    settings.API_RATE_LIMIT = "3/minute"
    other = key_for(forwarder_org, name="Other system")
    for _ in range(3):
        assert api(owner_key).get("/api/v1/shipments/").status_code == 200
    throttled = api(owner_key).get("/api/v1/shipments/")
    assert throttled.status_code == 429
    assert codes_of(throttled) == ["throttled"] and int(throttled["Retry-After"]) > 0
    assert api(other).get("/api/v1/shipments/").status_code == 200


def test_create_api_key_prints_a_key_that_works(api, forwarder_org):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "--org", forwarder_org.slug, stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert api(raw).get("/api/v1/shipments/").status_code == 200
    assert "Read and write" in err.getvalue()


def test_create_api_key_makes_a_read_only_key_when_asked(api, forwarder_org):
    out = StringIO()
    call_command("create_api_key", "--org", forwarder_org.slug, "--read-only", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    assert api(raw).get("/api/v1/shipments/").status_code == 200
    assert api(raw).post("/api/v1/shipments/approve/", {"shipments": [1]}, format="json").status_code == 403


def test_create_api_key_refuses_an_unknown_organization(db):
    with pytest.raises(CommandError, match="No organization"):
        call_command("create_api_key", "--org", "nobody", stdout=StringIO())


def test_calls_that_arrive_together_never_pass_the_limit(settings, forwarder_org, owner_key, monkeypatch):
    """Many threads at once: each call takes its own number from the counter, so exactly the limit passes.

    On Redis (CI) DRF's own throttle let 168 of these 200 through.
    """
    from concurrent.futures import ThreadPoolExecutor

    from rest_framework.test import APIRequestFactory

    from api.models import ApiKey
    from api.throttles import ApiKeyRateThrottle

    settings.API_RATE_LIMIT = "20/minute"
    monkeypatch.setattr("api.throttles._clock", lambda: 1_000_020.0)  # one window, whatever the clock says
    key = ApiKey.objects.get(organization=forwarder_org)
    request = APIRequestFactory().get("/api/v1/shipments/")
    request.auth = key

    def one_call(_):
        return ApiKeyRateThrottle().allow_request(request, None)

    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = sum(pool.map(one_call, range(200)))
    assert allowed == 20
