"""Database helpers shared by the apps."""

from __future__ import annotations

import functools
import logging
import time
import unicodedata

from django.db import OperationalError, connection
from django.db.models import Func, TextField

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


# --- Text without its accents, for searching ------------------------------------------------------------------

# Letters that are not a base letter plus marks, folded as PostgreSQL's unaccent folds them.
_LETTERS = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                          "ł": "l", "Ł": "L", "ı": "i", "ħ": "h", "Ħ": "H", "þ": "th", "Þ": "TH"})


def fold(text: str | None) -> str | None:
    """The text without accents ("Peña" → "Pena", "ANDRÉS" → "ANDRES"); other scripts (Chinese) are left as they are."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


class Fold(Func):
    """`calista_fold(text)`: the text without accents, in SQL. On PostgreSQL an immutable wrapper of the unaccent
    extension made by shipments' migration 0011 (a trigram index is built on it); on SQLite `fold` above, registered
    on every connection (`fold_register`)."""

    function = "calista_fold"
    output_field = TextField()


def fold_register(sender, connection, **kwargs) -> None:
    """connection_created: SQLite learns calista_fold (PostgreSQL has it from the migration)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("calista_fold", 1, fold, deterministic=True)
