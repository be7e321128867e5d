"""Progress of long work (an upload being read, checked and stored), kept in the cache.

Progress lives outside the database on purpose: the store phase runs in one
transaction, and the page showing the bar must see the counts while it runs.
"""

from __future__ import annotations

import time

from django.core.cache import cache

PHASES = ("queued", "read", "check", "store", "done")
TTL = 6 * 3600


def _key(kind: str, ident: int) -> str:
    return f"calista:progress:{kind}:{ident}"


def progress_set(kind: str, ident: int, *, phase: str, done: int = 0, total: int = 0, **extra) -> None:
    state = cache.get(_key(kind, ident)) or {}
    state.update(extra)
    state.update({"phase": phase, "updated": time.time()})
    state[f"{phase}_done"] = done
    if total:
        state["total"] = total  # the latest phase's
        state[f"{phase}_total"] = total  # each phase's own: rows read and checked, valid rows stored
    cache.set(_key(kind, ident), state, TTL)


def phase_total(state: dict, phase: str) -> int:
    """What one phase counts up to (0 while unknown)."""
    return state.get(f"{phase}_total") or state.get("total") or 0


def progress_get(kind: str, ident: int) -> dict:
    return cache.get(_key(kind, ident)) or {}


def percent(state: dict, phase: str) -> int:
    """How far one phase has come, 0 to 100 (a later phase counts as finished)."""
    current = state.get("phase", "queued")
    if current in PHASES and phase in PHASES and PHASES.index(current) > PHASES.index(phase):
        return 100
    total = phase_total(state, phase)
    done = state.get(f"{phase}_done", 0)
    return min(100, int(100 * done / total)) if total else 0
