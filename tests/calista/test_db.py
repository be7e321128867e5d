"""A service broken off by a deadlock runs again; nothing else is retried."""

import pytest
from django.db import OperationalError, transaction

from calista.db import retry_on_conflict


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
