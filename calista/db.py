"""Database helpers shared by the apps."""

from __future__ import annotations

import functools
import logging
import time

from django.db import OperationalError, connection

log = logging.getLogger(__name__)

# PostgreSQL's answers to two transactions that each wait for the other: deadlock, serialization failure.
CONFLICTS = ("40P01", "40001")


def is_conflict(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in CONFLICTS


def retry_on_conflict(func=None, *, attempts: int = 3):
    """Run a service again when PostgreSQL broke a deadlock by rolling its transaction back.

    Only a function that is its own transaction is retried (nothing of it was kept); inside a caller's
    transaction the error goes up, for the caller's transaction is gone too. Lock ordering avoids most
    deadlocks (shipments/lifecycle.py); this covers the rest, such as two workers' and a person's work
    meeting on the same shipments in different orders.
    """
    if func is None:
        return functools.partial(retry_on_conflict, attempts=attempts)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, attempts):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if connection.in_atomic_block or not is_conflict(error):
                    raise
                log.warning("%s: %s; trying again (%s of %s)", func.__qualname__, error, attempt + 1, attempts)
                time.sleep(0.05 * attempt)
        return func(*args, **kwargs)  # the last try: its error goes up

    return wrapper


def statistics_refresh(grown: dict[str, int], *, share: float = 0.1) -> list[str]:
    """ANALYZE the tables that just grew by `share` or more of what PostgreSQL last counted in them.

    Autovacuum notices such growth only up to a minute later; until then the planner believes the old row
    counts, and on a young table a list sorted by an index becomes a sort of every row. A big upload tells
    PostgreSQL at once. Returns the tables analysed (none on other databases).
    """
    if connection.vendor != "postgresql":
        return []
    analysed = []
    with connection.cursor() as cursor:
        for table, added in grown.items():
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            counted = cursor.fetchone()[0]
            if added and (counted <= 0 or added >= share * counted):
                cursor.execute(f'ANALYZE "{table}"')  # a table name from our own models, not from input
                analysed.append(table)
    return analysed
