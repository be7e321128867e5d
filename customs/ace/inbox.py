"""Status notices from ACE: stored as they came, then applied through the lifecycle, in order and in sets.

Each notice carries a disposition code; the AceCode table says what it does (release,
hold, hold removed, exam, permit to transfer, arrival, information). Consecutive notices
with the same code are applied together, so thousands of releases are one set-based move.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from calista.i18n import Text
from customs import holds
from customs.ace.adapter import Notice, adapter
from customs.ace.explain import code_table, codes_text
from customs.models import AceCode, AceMessage, Entry, Hold
from customs.notify import shipments_notify
from shipments import lifecycle
from shipments.models import Custody, CustomsStatus, Manifest, Shipment

Effect = AceCode.Effect

# Notices for information only (they change no status) that still ask the broker to act: besides the note on each
# timeline, the broker is told, with a link to the parcel where it acts. The forwarder is not: the entry is the broker's,
# and the broker asks the forwarder (an information request) when it needs something from them.
BROKER_TOLD = {
    "2M": gettext_noop("flagged by CBP (2M): the consignee's daily de minimis maximum may be exceeded; check the consignee's "
                       "other parcels of the day"),
}


def notices_receive(*, limit: int = 2000) -> int:
    """Collect the notices that have arrived, store them, apply them. Returns how many were applied."""
    notices = adapter().receive(limit=limit)
    if not notices:
        return 0
    with transaction.atomic():
        messages = _store(notices)
        _acceptance_implied(notices)
        table = code_table()
        for code, group in groupby(zip(notices, messages, strict=True), key=lambda pair: pair[0].code):
            _apply(code, list(group), table)
        AceMessage.objects.filter(pk__in=[m.pk for m in messages]).update(processed_at=timezone.now())
    return len(notices)


def _store(notices: list[Notice]) -> list[AceMessage]:
    now = timezone.now()
    entries = dict(Entry.objects.filter(number__in={n.entry for n in notices if n.entry}).values_list("number", "id"))
    manifests = dict(Manifest.objects.filter(mawb__in={n.mawb for n in notices if n.mawb}).values_list("mawb", "id"))
    messages = [
        AceMessage(direction=AceMessage.Direction.IN, kind=AceMessage.Kind.NOTICE, entry_id=entries.get(n.entry),
                   manifest_id=manifests.get(n.mawb), codes=[n.code], raw=n.raw, at=now)
        for n in notices
    ]
    AceMessage.objects.bulk_create(messages, batch_size=1000)
    if not all(m.pk for m in messages):  # backends without ids from bulk_create: read them back in order
        fresh = list(AceMessage.objects.filter(at=now, direction=AceMessage.Direction.IN).order_by("id"))
        messages = fresh[-len(notices):]
    return messages


def _acceptance_implied(notices: list[Notice]) -> None:
    """ACE sends status notices only for entries it accepted. A notice can overtake the reply (another worker
    is still recording it): its shipments are accepted first, so that the notice is applied, not lost."""
    numbers = {n.entry for n in notices if n.entry}
    if not numbers:
        return
    filed = list(Shipment.objects.filter(entry__number__in=numbers, status=CustomsStatus.FILED).values_list("id", flat=True))
    if filed:
        lifecycle.ace_accepted(filed, message=codes_text(["00"]), data={"implied_by": "notice"})


def _shipments_by_entry(pairs) -> dict[str, list[int]]:
    """The shipments of each entry the notices are about, in one query."""
    numbers = {n.entry for n, _ in pairs if n.entry}
    found: dict[str, list[int]] = defaultdict(list)
    if numbers:
        for shipment_id, number in Shipment.objects.filter(entry__number__in=numbers).values_list("id", "entry__number"):
            found[number].append(shipment_id)
    return found


def _shipments_of(pairs) -> list[int]:
    return [i for ids in _shipments_by_entry(pairs).values() for i in ids]


def _manifests_of(pairs) -> list[int]:
    mawbs = {n.mawb for n, _ in pairs if n.mawb}
    firms = {n.data.get("firms") for n, _ in pairs if n.data.get("firms")}
    query = Manifest.objects.filter(mawb__in=mawbs)
    if firms:
        query = query.filter(cfs__firms_code__in=firms)
    return list(query.values_list("id", flat=True))


def _by_moment(pairs) -> dict:
    """The notices by the moment they say it happened (None: they do not say; the moment they are read counts). The
    lifecycle reads the landing day at each MAWB's airport from it, so a notice read late (a backlog of notices) still
    starts the general-order clock on the right day there."""
    moments: dict = defaultdict(list)
    for notice, message in pairs:
        at = notice.at
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at, timezone.get_default_timezone())
        moments[at].append((notice, message))
    return moments


def _apply(code: str, pairs: list, table: dict) -> None:
    known = table.get(code)
    effect = known.effect if known else Effect.INFO
    text = codes_text([code])
    data = {"code": code, "messages": [m.pk for _, m in pairs][:50]}
    if effect == Effect.ARRIVAL:
        for moment, same_moment in _by_moment(pairs).items():
            lifecycle.manifests_arrived(_manifests_of(same_moment), message=text, at=moment)
    elif effect == Effect.TRANSFER:
        firms = pairs[0][0].data.get("firms", "")
        lifecycle.manifests_transfer_authorized(_manifests_of(pairs), firms_code=firms, message=text)
    elif effect == Effect.ACCEPTED:
        lifecycle.ace_accepted(_shipments_of(pairs), message=text, data=data)
    elif effect == Effect.RELEASE:
        ids = _shipments_of(pairs)
        outcome = lifecycle.move(shipment_ids=ids, dimension=lifecycle.CUSTOMS, to=CustomsStatus.RELEASED, actor=lifecycle.ACE,
                                 message=text, data=data, require={"open_holds": (0, lifecycle.Reason(lifecycle.HOLD_OPEN))})
        if outcome.moved:
            shipments_notify(shipment_ids=outcome.moved, kind="released", text=gettext_noop("released by CBP"))
    elif effect in (Effect.HOLD, Effect.EXAM):
        _holds_place(code, pairs, known, text, data)
    elif effect == Effect.HOLD_REMOVED:
        _holds_remove(pairs, text, data)
    else:
        ids = _shipments_of(pairs)
        lifecycle.note(shipment_ids=ids, actor=lifecycle.ACE, message=text, data=data)
        if code in BROKER_TOLD:
            with_ace = Shipment.objects.filter(pk__in=ids, status__in=lifecycle.WITH_ACE).values_list("id", flat=True)  # not cancelled
            shipments_notify(shipment_ids=with_ace, kind="ace_notice", text=BROKER_TOLD[code], audience="broker")


def _holds_place(code: str, pairs: list, known: AceCode | None, text: str, data: dict) -> None:
    by_entry = _shipments_by_entry(pairs)
    ids = holds.holdable([i for group in by_entry.values() for i in group])  # not on a cancelled or seized shipment
    if not ids:
        return
    now = timezone.now()
    message_of = {i: message.pk for notice, message in pairs for i in by_entry.get(notice.entry, [])}
    agency = known.agency if known else "CBP"
    reason = pairs[0][0].data.get("reason", "")
    Hold.objects.bulk_create([Hold(shipment_id=i, agency=agency or "CBP", code=code, reason=reason, placed_at=now,
                                   message_id=message_of.get(i)) for i in ids])
    holds.open_holds_recount(ids)
    lifecycle.hold_placed(ids, message=text, data=data)
    if known and known.effect == Effect.EXAM:
        at_cfs = list(Shipment.objects.filter(pk__in=ids, custody=Custody.BROKEN_DOWN).values_list("id", flat=True))
        lifecycle.shipments_to_exam(at_cfs, message=text, data=data)
    held = Text(gettext_noop("put on hold by %(agency)s"), {"agency": agency or "CBP"})
    shipments_notify(shipment_ids=ids, kind="hold", text=held)
    # The broker answers the agency (or sees the exam through): the hold is its work, on its holds page.
    shipments_notify(shipment_ids=ids, kind="hold", text=held, audience="broker", url=reverse("customs:holds"))


def _holds_remove(pairs: list, text: str, data: dict) -> None:
    """Close the hold each notice names; shipments with no hold left return to where they stood (customs/holds.py), and
    parcels at exam come back to the station when the exam's hold (1X) is removed.

    The notice's own code is only HR: each shipment's events name the holds that were removed (agency and code),
    so that its timeline can say whose hold it was."""
    now = timezone.now()
    by_entry = _shipments_by_entry(pairs)
    by_code: dict[str, list[int]] = defaultdict(list)
    for notice, _message in pairs:
        by_code[notice.data.get("hold", "")].extend(by_entry.get(notice.entry, []))
    removed: dict[int, list[dict]] = defaultdict(list)  # shipment id: the holds this notice removed
    for code, ids in by_code.items():
        still_open = Hold.objects.filter(shipment_id__in=ids, removed_at__isnull=True)
        if code:
            still_open = still_open.filter(code=code)
        closed = list(still_open.values_list("id", "shipment_id", "agency", "code"))
        Hold.objects.filter(pk__in=[hold_id for hold_id, *_rest in closed]).update(removed_at=now, outcome=Hold.Outcome.RELEASED)
        for hold_id, shipment_id, agency, hold_code in closed:
            removed[shipment_id].append({"id": hold_id, "agency": agency, "code": hold_code})
        affected = sorted({shipment_id for _hold, shipment_id, *_rest in closed})
        holds.open_holds_recount(affected)  # one notice may close several holds of a shipment
        if code == "1X":
            at_exam = list(Shipment.objects.filter(pk__in=affected, custody=Custody.AT_EXAM).values_list("id", flat=True))
            lifecycle.move(shipment_ids=at_exam, dimension=lifecycle.CUSTODY, to=Custody.BROKEN_DOWN, actor=lifecycle.ACE,
                           message=text, data=data, allowed_from=[Custody.AT_EXAM], each=_naming(at_exam, removed, text, data))
    clear = list(Shipment.objects.filter(pk__in=list(removed), open_holds=0, status=CustomsStatus.ON_HOLD)
                 .values_list("id", flat=True))
    holds.holds_lifted(clear, message=text, data=data, each=_naming(clear, removed, text, data))


def _naming(ids: list[int], removed: dict[int, list[dict]], text: str, data: dict) -> dict[int, tuple[str, dict]]:
    """Each shipment's event: the notice's message, and its data with the holds removed from that shipment."""
    return {i: (text, {**data, "holds": removed[i]}) for i in ids}
