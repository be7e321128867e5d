"""Shared fixtures: organizations of every kind and the three people every access test uses.

- owner: an administrator of the forwarder that owns the data;
- colleague: a plain member of the same forwarder;
- outsider: an administrator of another forwarder.
"""

import os

import pytest

from tests.factories import OrganizationFactory, UserFactory, member


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER") == "1"


def unavailable(reason: str, *, required: bool) -> None:
    """Skip a test whose service is missing, or fail it when the run says the service must be there."""
    if required:
        pytest.fail(f"{reason} (required by this run)")
    pytest.skip(reason)


@pytest.fixture
def broker_org(db):
    return OrganizationFactory(kind="broker", slug="broker", name="Broker", filer_code="BRK")


@pytest.fixture
def forwarder_org(db, broker_org):
    return OrganizationFactory(kind="forwarder", slug="fwd-a", name="Forwarder A", default_broker=broker_org)


@pytest.fixture
def other_forwarder_org(db, broker_org):
    return OrganizationFactory(kind="forwarder", slug="fwd-b", name="Forwarder B", default_broker=broker_org)


@pytest.fixture
def other_broker_org(db):
    return OrganizationFactory(kind="broker", slug="broker-2", name="Other broker", filer_code="OTB")


@pytest.fixture
def cfs_org(db):
    return OrganizationFactory(kind="cfs", slug="cfs-lax", name="CFS LAX", airport="LAX", firms_code="L101")


@pytest.fixture
def other_cfs_org(db):
    return OrganizationFactory(kind="cfs", slug="cfs-jfk", name="CFS JFK", airport="JFK", firms_code="J301")


@pytest.fixture
def operator_org(db):
    return OrganizationFactory(kind="operator", slug="ops", name="Operations")


@pytest.fixture
def owner(forwarder_org):
    return member(UserFactory(username="owner"), forwarder_org, "admin")


@pytest.fixture
def colleague(forwarder_org):
    return member(UserFactory(username="colleague"), forwarder_org, "member")


@pytest.fixture
def outsider(other_forwarder_org):
    return member(UserFactory(username="outsider"), other_forwarder_org, "admin")


@pytest.fixture
def broker_user(broker_org):
    return member(UserFactory(username="chb"), broker_org, "admin")


@pytest.fixture
def other_broker_user(other_broker_org):
    return member(UserFactory(username="chb2"), other_broker_org, "admin")


@pytest.fixture
def cfs_user(cfs_org):
    return member(UserFactory(username="cfs"), cfs_org, "admin")


@pytest.fixture
def other_cfs_user(other_cfs_org):
    return member(UserFactory(username="cfs2"), other_cfs_org, "admin")


@pytest.fixture
def support_user(operator_org):
    return member(UserFactory(username="support"), operator_org, "member")


@pytest.fixture
def client_for(client):
    """client_for(user) logs the test client in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def worker_with(transactional_db, settings):
    """worker_with(**env) starts a real Celery worker process on the test database with these settings in its
    environment; this process publishes to the worker's broker until the test ends."""
    from contextlib import ExitStack

    from tests.workers import PublishToBroker, WorkerProcess, cache_for_tests

    settings.CACHES = {"default": _cache_settings(cache_for_tests())}
    started = []
    with ExitStack() as stack:

        def start(**env):
            process = WorkerProcess(extra_env={k: str(v) for k, v in env.items()})
            if not started:
                stack.enter_context(PublishToBroker(process.broker_url, process.transport_options))
            process.start()
            started.append(process)
            return process

        try:
            yield start
        finally:
            for process in started:
                process.stop()


@pytest.fixture
def worker(worker_with):
    """A real Celery worker process on the test database; this process publishes to its broker meanwhile."""
    return worker_with()


def _cache_settings(url: str) -> dict:
    from calista.settings import _cache

    return _cache(url)


@pytest.fixture
def clock(monkeypatch):
    """clock(moment) stops the portal's clock (django.utils.timezone.now) at that aware moment, for the days that depend
    on the hour: 17:00 at LAX is already tomorrow in UTC."""
    from django.utils import timezone

    def stop_at(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return stop_at


@pytest.fixture(autouse=True)
def english_unless_asked():
    """Every test starts in English: a test that switches to Chinese does not leak it into the next one."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def seeded_reference_data(request):
    """Transactional tests flush every table, the rows data migrations seeded too: put the policy and ACE code
    tables back, as a migrated database has them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not transactional and not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper" if transactional else "transactional_db")
    from django.core.management import call_command

    from cfs.models import Carrier
    from customs.models import AceCode, PolicyRule

    if not PolicyRule.objects.exists():
        call_command("loaddata", "policy", "ace_codes", verbosity=0)
    if not Carrier.objects.exists():
        call_command("loaddata", "carriers", verbosity=0)
    assert AceCode.objects.exists()
