"""A service broken off by a deadlock runs again; nothing else is retried."""

import pytest
from django.db import OperationalError, transaction

from calista.db import retry_on_conflict, statistics_refresh


class Deadlock(Exception):
    sqlstate = "40P01"


class Other(Exception):
    sqlstate = "23505"


def failing(times: int, cause: type[Exception]):
    calls = []

    @retry_on_conflict
    def service():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("deadlock detected") from cause()
        return "done"

    return service, calls


def test_a_service_broken_off_by_a_deadlock_runs_again_until_it_succeeds():
    service, calls = failing(2, Deadlock)
    assert service() == "done" and len(calls) == 3


def test_a_service_that_keeps_deadlocking_gives_up_after_three_tries():
    service, calls = failing(5, Deadlock)
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 3


def test_another_database_error_is_not_retried():
    service, calls = failing(1, Other)
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_deadlock_goes_up_at_once():
    service, calls = failing(1, Deadlock)
    with pytest.raises(OperationalError), transaction.atomic():
        service()
    assert len(calls) == 1


@pytest.mark.django_db
def test_a_table_that_grew_by_a_tenth_or_more_is_analysed_at_once_on_postgresql(forwarder_org):
    from django.core.files.base import ContentFile
    from django.db import connection

    from shipments.models import Shipment
    from shipments.services import manifest_ingest, upload_create
    from tests.shipments.conftest import sample

    upload = upload_create(forwarder=forwarder_org, user=None, file=ContentFile(sample("sample_small.csv")), name="small.csv",
                           queue=False)
    manifest_ingest(upload_id=upload.pk)
    table = Shipment._meta.db_table
    stored = Shipment.objects.count()
    if connection.vendor != "postgresql":  # SQLite has no planner statistics to refresh
        assert statistics_refresh({table: stored}) == []
        return
    assert statistics_refresh({table: stored}) == [table]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        assert cursor.fetchone()[0] == stored  # the planner now knows every row
    assert statistics_refresh({table: 1}) == []  # one row more than thousands: autovacuum will do
