"""A real worker process runs tasks sent through the real broker (Redis in CI, the filesystem otherwise)."""

import os

from django.core.cache import cache
from django.db import connection

from calista.tasks import HEARTBEAT_KEY, worker_heartbeat
from tests.conftest import services_required
from tests.workers import wait_for


def test_a_worker_process_runs_a_task_sent_through_the_broker(worker):
    cache.delete(HEARTBEAT_KEY)
    worker_heartbeat.delay()
    assert wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=30, what="the heartbeat written by the worker")


def test_healthz_reports_the_workers_last_heartbeat(worker, client):
    worker_heartbeat.delay()
    wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=30, what="heartbeat")
    assert client.get("/healthz").json()["worker_heartbeat_age_s"] is not None


def test_the_suite_runs_on_the_services_the_environment_names(db):
    """With REQUIRE_SERVICES=1 (CI), the database is PostgreSQL and the broker is Redis."""
    if not services_required():
        return
    assert connection.vendor == "postgresql"
    assert os.environ["CELERY_BROKER_URL"].startswith("redis://")
