"""The one interface between the portal and CBP's ACE.

The workflow (customs/filing.py, customs/ace/inbox.py) talks only to an `AceAdapter`:
transmit a batch of entries and get ACE's immediate replies, look up entries ACE already
has (for recovery after a crash), and receive the status notices that have arrived. The
simulator implements it; a real ABI / Air AMS connection would implement the same three
methods and the workflow would not change.

Which law an adapter's ACE judges by is part of the interface (`follows_regime_pin`): CBP
judges every entry by the law in force on its arrival date, whatever regime the portal's
operator pinned, so a real connection never follows the pin. The simulator stands in for CBP
in training and simulation, where the pin is the law of the exercise: it judges by the pinned
regime, as the portal's decisions do (customs/policy.py), so that a training run is not rejected
by dates the exercise set aside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.conf import settings


@dataclass
class Reply:
    """ACE's immediate answer to one entry (as ABI's SX)."""

    entry: str
    accepted: bool
    codes: list[str] = field(default_factory=list)
    raw: str = ""
    attempt: int = 1  # which transmission of the entry this answers (a rejected entry may be sent again)


@dataclass
class Notice:
    """A status notice (as ABI's SO or Air AMS's FSN): a disposition code for an entry or a MAWB."""

    code: str
    raw: str
    entry: str = ""
    mawb: str = ""
    hawbs: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    at: datetime | None = None  # when it happened, as ACE says (an arrival's day starts the general-order clock)


class AceAdapter:
    # True only for a stand-in for CBP (the simulator): it judges entries by the regime the operator pinned (customs/policy.py
    # pinned_regime) instead of the law of the arrival date. A real ACE connection is CBP and keeps False.
    follows_regime_pin: bool = False

    def transmit(self, payloads: list[dict]) -> list[Reply]:
        """Send entries; one reply per payload, in order."""
        raise NotImplementedError

    def lookup(self, entry_numbers: list[str]) -> dict[str, Reply]:
        """The replies ACE gave for the entries it has on file (entries it never received are absent)."""
        raise NotImplementedError

    def receive(self, limit: int = 2000) -> list[Notice]:
        """Status notices that have arrived since the last call, oldest first."""
        raise NotImplementedError


@cache
def _adapter(name: str) -> AceAdapter:
    if name == "simulator":
        from customs.ace.simulator import Simulator

        return Simulator()
    raise ValueError(f"unknown ACE adapter {name!r}")


def adapter() -> AceAdapter:
    return _adapter(settings.ACE_ADAPTER)
