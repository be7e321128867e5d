"""Insert many rows fast: PostgreSQL COPY where available, bulk_create elsewhere (SQLite).

Used by the ingest to store tens of thousands of shipments and their events in one
short transaction. Ids are taken from the table's sequence first, so the events
can point at shipments that COPY itself does not return.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from django.db import connection, models

CHUNK = 5000


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def _copy_value(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys from the model's sequence (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence],
                progress: Callable[[int], None] | None = None) -> None:
    """Insert rows (values in `columns` order, `id` included) in chunks; report the count after each chunk."""
    if not rows:
        return
    if uses_copy():
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
        json_columns = [i for i, c in enumerate(columns) if isinstance(model._meta.get_field(c), models.JSONField)]
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            for start in range(0, len(rows), CHUNK):
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows[start:start + CHUNK]:
                        if json_columns:
                            row = list(row)
                            for i in json_columns:
                                row[i] = _copy_value(row[i])
                        copy.write_row(row)
                if progress:
                    progress(min(len(rows), start + CHUNK))
        return
    fields = [model._meta.get_field(c).attname for c in columns]
    for start in range(0, len(rows), CHUNK):
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows[start:start + CHUNK]],
                                  batch_size=500)
        if progress:
            progress(min(len(rows), start + CHUNK))


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """Fresh primary keys for `count` rows: from the sequence on PostgreSQL, after the current maximum elsewhere.

    Outside PostgreSQL the caller must hold the database's write lock (SQLite's IMMEDIATE
    transactions do), so that no one else takes the same numbers.
    """
    if count == 0:
        return []
    if uses_copy():
        return reserve_ids(model, count)
    top = model.objects.aggregate(top=models.Max("id"))["top"] or 0
    return list(range(top + 1, top + 1 + count))

