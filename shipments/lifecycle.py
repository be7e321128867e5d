"""The shipment lifecycle: customs status and custody, and the events that record every change (lifecycle.md).

The only module that writes a shipment's status or custody (or a MAWB's custody). Each
move is checked against the tables below, done as a guarded, set-based update
(`filter(pk__in=ids, status=old).update(...)`) and recorded as one event per shipment,
in the same transaction, for one shipment or thousands at once. A refused move changes
nothing for that shipment and says why.

Views, tasks, the API and the ACE message handling call the named functions at the
bottom (`shipments_approve`, `ace_released`, `manifests_collect`...); none of them sets a
status itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from calista import clocks
from calista.i18n import Text
from shipments.bulk import repeat
from shipments.models import Custody, CustomsStatus, Manifest, Shipment, ShipmentEvent

S, C = CustomsStatus, Custody

CUSTOMS_MOVES: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.REJECTED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.FILED, S.CANCELLED}),
    S.FILED: frozenset({S.ACCEPTED, S.ACE_REJECTED, S.ON_HOLD}),
    S.ACE_REJECTED: frozenset({S.FILED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.RELEASED, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.ACCEPTED, S.RELEASED, S.SEIZED}),
    S.RELEASED: frozenset({S.ON_HOLD}),
}

CUSTODY_MOVES: dict[str, frozenset[str]] = {
    C.AWAITING_ARRIVAL: frozenset({C.AT_TERMINAL}),
    C.AT_TERMINAL: frozenset({C.TRANSFER_AUTHORIZED}),
    C.TRANSFER_AUTHORIZED: frozenset({C.IN_TRANSIT}),
    C.IN_TRANSIT: frozenset({C.AT_CFS}),
    C.AT_CFS: frozenset({C.BROKEN_DOWN}),
    C.BROKEN_DOWN: frozenset({C.AT_EXAM, C.HANDED_OFF}),
    C.AT_EXAM: frozenset({C.BROKEN_DOWN}),
}

# Custody is per MAWB until breakdown: these moves apply to a manifest and every HAWB still with it.
MANIFEST_CUSTODY = (C.AWAITING_ARRIVAL, C.AT_TERMINAL, C.TRANSFER_AUTHORIZED, C.IN_TRANSIT, C.AT_CFS)
WITH_ACE = (S.FILED, S.ACCEPTED, S.ON_HOLD, S.RELEASED)  # an entry ACE has: it may hold it; its decision stays
CHUNK = 5000
EVENT_COLUMNS = ("shipment", "dimension", "from_state", "to_state", "actor", "user", "organization", "at", "message", "data")


def in_english(function):
    """Event messages are stored in English, whatever language the request that caused them speaks."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with translation.override("en"):
            return function(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user (with their organization), ACE, or the system."""

    kind: str
    user: object = None
    organization: object = None

    @classmethod
    def of(cls, user, organization=None) -> Actor:
        return cls(ShipmentEvent.Actor.USER, user, organization)


ACE = Actor(ShipmentEvent.Actor.ACE)
SYSTEM = Actor(ShipmentEvent.Actor.SYSTEM)

# The API key of the request being served, if it came through the API (api/views.py sets it): every event
# written meanwhile names the key as its actor, so the audit trail says which machine did what.
_acting_key: ContextVar = ContextVar("calista_acting_api_key", default=None)


def acting_key_set(api_key):
    """From now on (in this request's context) events name this key; returns the token acting_key_reset takes."""
    return _acting_key.set(api_key)


def acting_key_reset(token) -> None:
    _acting_key.reset(token)


def _by_key(actor: Actor) -> tuple[str, object]:
    """The actor's kind and API key: "api" while a key acts for its organization's people (user actions, station work)."""
    key = _acting_key.get()
    acts_for_people = actor.kind == ShipmentEvent.Actor.USER or (actor.kind == ShipmentEvent.Actor.SYSTEM and actor.organization)
    if key is None or not acts_for_people or actor.user is not None:
        return actor.kind, None
    return ShipmentEvent.Actor.API, key


@dataclass
class Outcome:
    """What a move did: the shipments moved, and for each refused one, why."""

    moved: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused

    def reasons(self) -> list[str]:
        """The distinct reasons for refusals, in the reader's language, for a message to the user."""
        return sorted({str(reason) for reason in self.refused.values()})


class Refused(Exception):
    """Raised by the *_one helpers when the single shipment asked for could not move."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _label(dimension: str, state: str) -> str:
    choices = CustomsStatus if dimension == ShipmentEvent.Dimension.CUSTOMS else Custody
    try:
        return str(choices(state).label)
    except ValueError:
        return state


def _reason(text: str, dimension: str = "", current: str = "", to: str = "") -> str:
    if dimension:
        return _(text) % {"from": _label(dimension, current), "to": _label(dimension, to)}
    return _(text)


# Why a move was refused: a lazy string, translated when shown (in the language of whoever reads it).
Reason = lazy(_reason, str)


NO_SUCH_SHIPMENT = gettext_noop("no such shipment")
NOT_RELEASED = gettext_noop("not released by CBP")
HOLD_OPEN = gettext_noop("a hold is still open")
NOT_BROKEN_DOWN = gettext_noop("not broken down")


def _joined(*reasons) -> str:
    return "; ".join(str(r) for r in reasons)


Reasons = lazy(_joined, str)  # several at once ("not released by CBP; not broken down")


HAND_OFF_REQUIREMENTS = {  # CBP lets the holder deliver only what is released, free of holds, and broken down
    "status": (S.RELEASED, NOT_RELEASED),
    "open_holds": (0, HOLD_OPEN),
    "custody": (C.BROKEN_DOWN, NOT_BROKEN_DOWN),
}


def hand_off_blockers(shipment) -> list:
    """Why this shipment may not be handed off (empty: it may), from the same table the hand-off itself checks."""
    return [Reason(text) for name, (wanted, text) in HAND_OFF_REQUIREMENTS.items() if getattr(shipment, name) != wanted]


def refusal(dimension: str, current: str, to: str):
    if current == to:  # the same move twice (a double click, a colleague first): say so plainly
        return Reason(gettext_noop("already %(to)s"), dimension, current, to)
    return Reason(gettext_noop("cannot go from %(from)s to %(to)s"), dimension, current, to)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _events(rows: list[tuple[int, str]], *, dimension: str, to: str, actor: Actor, message: str, data: dict | None,
            at, each: dict[int, tuple[str, dict]] | None = None) -> None:
    """One event per (shipment, state it left); `each` gives some shipments their own message and data."""
    each = each or {}
    kind, key = _by_key(actor)
    ShipmentEvent.objects.bulk_create([
        ShipmentEvent(shipment_id=shipment_id, dimension=dimension, from_state=current, to_state=to, actor=kind,
                      user=actor.user, organization=actor.organization, api_key=key, at=at,
                      message=each.get(shipment_id, (message, None))[0], data=each.get(shipment_id, (None, data or {}))[1] or {})
        for shipment_id, current in rows
    ], batch_size=1000)


def move(*, shipment_ids: Iterable[int], dimension: str, to: str, actor: Actor, message: str = "", data: dict | None = None,
         allowed_from: Iterable[str] | None = None, also: dict | None = None,
         require: dict[str, tuple[object, str]] | None = None, after=None,
         each: dict[int, tuple[str, dict]] | None = None) -> Outcome:
    """Move shipments to `to` in one dimension, where the tables allow it.

    allowed_from narrows the moves further (e.g. a hold removed returns only from on_hold);
    also: more fields to set on the moved rows in the same update;
    require: {field: (value, reason)} conditions each shipment must meet, checked under the row lock;
    after: called with the moved ids inside the same transaction (e.g. to close finished MAWBs);
    each: {shipment id: (message, data)} for shipments whose event says something of its own.
    """
    ids = sorted({int(i) for i in shipment_ids})
    column = "status" if dimension == ShipmentEvent.Dimension.CUSTOMS else "custody"
    table = CUSTOMS_MOVES if dimension == ShipmentEvent.Dimension.CUSTOMS else CUSTODY_MOVES
    narrowed = set(allowed_from) if allowed_from is not None else None
    outcome = Outcome()
    now = timezone.now()
    with transaction.atomic():
        fields = [column, *(require or {})]
        current: dict[int, tuple] = {}
        for chunk in _chunks(ids):
            # Rows are locked in id order, here and below, so that two moves over overlapping shipments never deadlock;
            # and FOR NO KEY UPDATE, so that another transaction's commit-time foreign-key checks (a hold, an event,
            # a hand-off referring to the shipment: FOR KEY SHARE) are not blocked by it.
            for row in Shipment.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk").values_list("id", *fields):
                current[row[0]] = row[1:]
        by_state: dict[str, list[int]] = defaultdict(list)
        for shipment_id in ids:
            values = current.get(shipment_id)
            if values is None:
                outcome.refused[shipment_id] = Reason(NO_SUCH_SHIPMENT)
                continue
            state = values[0]
            unmet = [reason for (name, (wanted, reason)), value in zip((require or {}).items(), values[1:], strict=True)
                     if value != wanted]
            if unmet:  # the conditions first: they say what is missing in the user's terms
                outcome.refused[shipment_id] = unmet[0] if len(unmet) == 1 else Reasons(*unmet)
            elif to not in table.get(state, ()) or (narrowed is not None and state not in narrowed):
                outcome.refused[shipment_id] = refusal(dimension, state, to)
            else:
                by_state[state].append(shipment_id)
        changes = {column: to, **(also or {})}
        if column == "status":
            changes["status_changed_at"] = now
        for state, group in by_state.items():
            for chunk in _chunks(group):
                Shipment.objects.filter(pk__in=chunk, **{column: state}).update(**changes)
            outcome.moved.extend(group)
            _events([(i, state) for i in group], dimension=dimension, to=to, actor=actor, message=message, data=data, at=now,
                    each=each)
        if after and outcome.moved:
            after(outcome.moved)
    return outcome


def manifests_close_if_done(shipment_ids) -> None:
    """A MAWB is closed when every HAWB is handed off, cancelled or seized (lifecycle.md)."""
    from django.db.models import Exists, OuterRef

    manifest_ids = set(Shipment.objects.filter(pk__in=list(shipment_ids)).values_list("manifest_id", flat=True))
    open_parcels = (Shipment.objects.filter(manifest_id=OuterRef("pk")).exclude(custody=C.HANDED_OFF)
                    .exclude(status__in=[S.CANCELLED, S.SEIZED]))
    Manifest.objects.filter(pk__in=manifest_ids, closed_at__isnull=True).exclude(Exists(open_parcels)).update(
        closed_at=timezone.now())


def move_one(shipment_id: int, **kwargs) -> None:
    """move() for one shipment; raises Refused with the reason when it cannot move."""
    outcome = move(shipment_ids=[shipment_id], **kwargs)
    if not outcome.ok:
        raise Refused(outcome.refused[shipment_id])


def manifests_custody_move(*, manifest_ids: Iterable[int], to: str, actor: Actor, message: str = "", data: dict | None = None,
                           also: dict | None = None, arrived_on: date | None = None,
                           arrived_at: datetime | None = None) -> Outcome:
    """Move MAWBs (and every HAWB still in the MAWB's custody) to `to`. Outcome ids are manifest ids.

    Leaving awaiting_arrival is the flight's arrival: its day is recorded on the MAWB and its parcels in the same
    updates, and the general-order clock runs from it (cfs/queues.py). The day is `arrived_on` when given, else the
    day it was at the MAWB's destination airport at `arrived_at` (the moment the notice names; a moment still to come
    counts as now), else today there. The first record of the arrival is the one kept: a later one finds the MAWB
    past awaiting_arrival and is refused."""
    ids = sorted({int(i) for i in manifest_ids})
    outcome = Outcome()
    now = timezone.now()
    landed = min(arrived_at, now) if arrived_at is not None else now
    dimension = ShipmentEvent.Dimension.CUSTODY
    with transaction.atomic():
        current = {pk: (custody, airport) for pk, custody, airport in Manifest.objects.select_for_update(no_key=True)
                   .filter(pk__in=ids).order_by("pk").values_list("id", "custody", "destination_airport")}
        by_move: dict[tuple[str, date | None], list[int]] = defaultdict(list)
        for manifest_id in ids:
            state, airport = current.get(manifest_id, (None, ""))
            if state is None:
                outcome.refused[manifest_id] = Reason(gettext_noop("no such MAWB"))
            elif to not in CUSTODY_MOVES.get(state, ()) or state not in MANIFEST_CUSTODY:
                outcome.refused[manifest_id] = refusal(dimension, state, to)
            else:
                day = (arrived_on or clocks.airport_date(airport, landed)) if state == C.AWAITING_ARRIVAL else None
                by_move[(state, day)].append(manifest_id)
        for (state, day), group in by_move.items():
            arrival = {"arrived_on": day} if day is not None else {}
            Manifest.objects.filter(pk__in=group, custody=state).update(custody=to, **arrival, **(also or {}))
            followers = list(Shipment.objects.select_for_update(no_key=True).filter(manifest_id__in=group, custody=state)
                             .order_by("pk").values_list("id", flat=True))
            for chunk in _chunks(followers):
                Shipment.objects.filter(pk__in=chunk, custody=state).update(custody=to, **arrival)
            _events([(i, state) for i in followers], dimension=dimension, to=to, actor=actor, message=message, data=data, at=now)
            outcome.moved.extend(group)
    return outcome


# --- New shipments ---------------------------------------------------------------------------


@in_english
def received_events(*, shipment_ids: pa.Array, rows: pa.Array, upload, at) -> pa.Table:
    """One `received` event per new shipment of an upload, as a table for shipments.bulk.insert_table."""
    n = len(shipment_ids)
    actor = ShipmentEvent.Actor.USER if upload.uploaded_by_id else ShipmentEvent.Actor.SYSTEM

    def const(value, kind=None):
        return repeat(value, n, kind)

    row_text = pc.cast(rows, pa.string())
    before, after = str(gettext_lazy("Accepted from %(file)s, row %(row)s")).replace("%(file)s", upload.original_name).split("%(row)s")
    return pa.table({
        "shipment_id": shipment_ids,
        "dimension": const(ShipmentEvent.Dimension.CUSTOMS.value),
        "from_state": const(""),
        "to_state": const(CustomsStatus.RECEIVED.value),
        "actor": const(actor.value),
        "user_id": const(upload.uploaded_by_id, pa.int64()),
        "organization_id": const(upload.forwarder_id, pa.int64()),
        "at": const(at, pa.timestamp("us", tz="UTC")),
        "message": pc.binary_join_element_wise(before, row_text, after, ""),
        "data": pc.binary_join_element_wise(f'{{"upload": {upload.pk}, "row": ', row_text, "}", ""),
    })


@in_english
def note(*, shipment_ids: Iterable[int], actor: Actor, message: str | Text, data: dict | None = None) -> None:
    """A timeline entry that changes neither dimension (a correction, a request for information...).

    A message with parameters (what a user typed) is best given as a `Text`: it is formatted here, in English; a string
    formatted by the caller is in the language of the caller's request."""
    now = timezone.now()
    _events([(i, "") for i in shipment_ids], dimension=ShipmentEvent.Dimension.NOTE, to="", actor=actor, message=str(message),
            data=data, at=now)


# --- Named transitions: the vocabulary the rest of the portal uses ----------------------------

CUSTOMS = ShipmentEvent.Dimension.CUSTOMS
CUSTODY = ShipmentEvent.Dimension.CUSTODY


@in_english
def shipments_approve(ids, *, actor: Actor, message: str = "") -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.APPROVED, actor=actor, message=message or _("Approved by the broker"))


@in_english
def shipments_reject(ids, *, actor: Actor, reason: str) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.REJECTED, actor=actor, message=reason, data={"reason": reason})


@in_english
def shipments_resubmit(ids, *, actor: Actor, message: str = "") -> Outcome:
    """A rejected shipment, corrected by the forwarder, goes back to the broker's review."""
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.RECEIVED, actor=actor, message=message or _("Corrected and resubmitted"))


@in_english
def shipments_cancel(ids, *, actor: Actor, reason: str, allowed_from: Iterable[str] | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.CANCELLED, actor=actor, message=reason, data={"reason": reason},
                allowed_from=allowed_from, after=manifests_close_if_done)


@in_english
def shipments_file(entries: dict[str, list[int]], *, actor: Actor = SYSTEM) -> Outcome:
    """Transmitted to ACE (first filing, or a re-filing after an ACE rejection): {entry number: shipment ids}."""
    template = _("Entry %(entry)s transmitted to ACE")
    each = {i: (template % {"entry": f"{n[:3]}-{n[3:10]}-{n[10:]}"}, {"entry": n}) for n, ids in entries.items() for i in ids}
    return move(shipment_ids=list(each), dimension=CUSTOMS, to=S.FILED, actor=actor, message=_("Transmitted to ACE"), each=each)


@in_english
def ace_accepted(ids, *, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.ACCEPTED, actor=ACE, message=message, data=data,
                allowed_from=[S.FILED])


@in_english
def ace_rejected(ids, *, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.ACE_REJECTED, actor=ACE, message=message, data=data)


@in_english
def hold_placed(ids, *, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.ON_HOLD, actor=ACE, message=message, data=data)


@in_english
def hold_lifted(ids, *, to: str, actor: Actor = ACE, message: str, data: dict | None = None,
                each: dict[int, tuple[str, dict]] | None = None) -> Outcome:
    """The last open hold is removed: back to accepted or on to released, as the notice says."""
    return move(shipment_ids=ids, dimension=CUSTOMS, to=to, actor=actor, message=message, data=data, allowed_from=[S.ON_HOLD],
                each=each)


@in_english
def ace_released(ids, *, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.RELEASED, actor=ACE, message=message, data=data)


@in_english
def shipments_seize(ids, *, actor: Actor, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTOMS, to=S.SEIZED, actor=actor, message=message, data=data,
                after=manifests_close_if_done)


@in_english
def manifests_arrived(manifest_ids, *, actor: Actor = ACE, message: str = "", on: date | None = None,
                      at: datetime | None = None) -> Outcome:
    """The flight landed (ACE's arrival notice) `at` the moment the notice names, or now; its general-order clock starts
    on that moment's day at each MAWB's airport (or `on`, a day already read at the airport)."""
    return manifests_custody_move(manifest_ids=manifest_ids, to=C.AT_TERMINAL, actor=actor, arrived_on=on, arrived_at=at,
                                  message=message or _("Arrived at the airline terminal"))


@in_english
def manifests_transfer_authorized(manifest_ids, *, firms_code: str, message: str = "") -> Outcome:
    return manifests_custody_move(manifest_ids=manifest_ids, to=C.TRANSFER_AUTHORIZED, actor=ACE, data={"firms": firms_code},
                                  message=message or _("Permit to transfer to FIRMS %(firms)s") % {"firms": firms_code})


@in_english
def manifests_collect(manifest_ids, *, actor: Actor, message: str, data: dict | None = None) -> Outcome:
    return manifests_custody_move(manifest_ids=manifest_ids, to=C.IN_TRANSIT, actor=actor, message=message, data=data)


@in_english
def manifests_receive(manifest_ids, *, actor: Actor, message: str, data: dict | None = None, also: dict | None = None) -> Outcome:
    return manifests_custody_move(manifest_ids=manifest_ids, to=C.AT_CFS, actor=actor, message=message, data=data, also=also)


@in_english
def manifests_break_down(manifest_ids, *, actor: Actor, message: str = "", data: dict | None = None) -> Outcome:
    return manifests_custody_move(manifest_ids=manifest_ids, to=C.BROKEN_DOWN, actor=actor, data=data,
                                  message=message or _("Broken down into its HAWBs"))


@in_english
def shipments_to_exam(ids, *, actor: Actor = ACE, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTODY, to=C.AT_EXAM, actor=actor, message=message, data=data)


@in_english
def shipments_back_from_exam(ids, *, actor: Actor, message: str, data: dict | None = None) -> Outcome:
    return move(shipment_ids=ids, dimension=CUSTODY, to=C.BROKEN_DOWN, actor=actor, message=message, data=data,
                allowed_from=[C.AT_EXAM])


@in_english
def shipments_hand_off(ids, *, actor: Actor, message: str, data: dict | None = None, also: dict | None = None) -> Outcome:
    """To the last-mile carrier: only released, with no open hold, and broken down (CBP's rule, lifecycle.md)."""
    return move(shipment_ids=ids, dimension=CUSTODY, to=C.HANDED_OFF, actor=actor, message=message, data=data, also=also,
                require={name: (wanted, Reason(text)) for name, (wanted, text) in HAND_OFF_REQUIREMENTS.items()},
                after=manifests_close_if_done)
