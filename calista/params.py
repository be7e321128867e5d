"""Ids and numbers typed into query strings and forms.

Only ASCII digits count: "²".isdigit() is True but int("²") fails, and an id longer than PostgreSQL's bigint
fails in the database. Anything else is simply no id (the view answers 404, a form error or the default).
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_DIGITS = 18  # every such number fits a bigint


def id_or_none(value) -> int | None:
    text = str(value if value is not None else "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS else None


def ids(values: Iterable) -> list[int]:
    """The well-formed ids among `values`, in their order."""
    return [number for number in map(id_or_none, values) if number is not None]


def is_id(value) -> bool:
    return id_or_none(value) is not None
