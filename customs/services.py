"""Customs operations that write: refreshing decisions when the totals they rest on, or the regime pin, change."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from calista.db import retry_on_conflict
from customs import policy
from customs.models import Entry
from customs.notify import shipments_notify
from shipments import lifecycle
from shipments.lifecycle import in_english
from shipments.models import CustomsStatus, Shipment, ShipmentEvent

# A later upload can change the decision of a person's parcels of that day (policy.md, rule 5). Parcels not yet with
# ACE are decided again: waiting for review, approved and not yet in an entry, or rejected by ACE and waiting for the
# broker to file them again (the broker is told: the entry will go as the law now says). Parcels already with ACE keep
# their entry; their timeline and their broker are told.
OUTBOX = Entry.objects.filter(state=Entry.State.PENDING)  # entries built and not yet transmitted (a subquery, no join)
DECIDED_AGAIN = (Q(status=CustomsStatus.RECEIVED) | Q(status=CustomsStatus.APPROVED, entry__isnull=True)
                 | Q(status=CustomsStatus.ACE_REJECTED) & ~Q(entry__in=OUTBOX))
# Parcels whose entry is built and waits in the outbox, approved or re-filed after ACE's rejection (the claim that
# transmits it files them in the same transaction). When a new regime or a later upload changes their entry type, the
# entry is taken apart before ACE sees it.
QUEUED = Q(status=CustomsStatus.APPROVED, entry__isnull=False) | Q(status=CustomsStatus.ACE_REJECTED, entry__in=OUTBOX)
STORED = ("id", "arrival_date", "country_of_origin", "hts_code", "value_usd", "consignee_key", "flight_number", "entry_type",
          "reasons", "forwarder_id", "broker_id", "status", "duty_estimate_usd", "day_total_usd", "conveyance_total_usd")
BROKER_FILES = (CustomsStatus.APPROVED, CustomsStatus.ACE_REJECTED)  # a changed decision of these is told to their broker
FIGURES = ("duty_estimate_usd", "day_total_usd", "conveyance_total_usd")  # what a re-decide updates where the decision stays


def _decide_stored(rows: list[dict]):
    """Stored shipments decided now, counting the portal's totals and keeping the broker's choices of a stricter entry
    type: (frame, verdict, day totals, conveyance totals)."""
    frame = pd.DataFrame.from_records(rows)
    frame["arrival_date"] = pd.to_datetime(frame["arrival_date"])
    frame["value_usd"] = frame["value_usd"].astype(float)
    from customs.review import broker_choices_apply

    day_totals, conveyance_totals, _held = policy.totals_for(frame, include_rows=False)
    snap, peers = policy.snapshot(), policy.entry_peers(frame)
    verdict = policy.decide(frame, snap=snap, day_totals=day_totals, conveyance_totals=conveyance_totals, peers=peers)
    broker_choices_apply(frame, verdict, snap=snap, peers=peers)  # a stricter type the broker chose stays chosen
    return frame, verdict, day_totals, conveyance_totals


def estimates_refresh(*, shipment_ids) -> int:
    """The MPF shares in every entry these shipments will be filed in, computed again. Returns how many changed.

    A parcel's share depends on the other parcels of its entry: when one joins (a later upload),
    leaves (cancelled, or decided as another entry type) or changes its value, the others' shares
    change too. Their decisions stay as they are; only the estimate is written.
    """
    fields = ("id", "value_usd", "entry_type", "status", "mpf_estimate_usd", *policy.ENTRY_KEY)
    rows = list(Shipment.objects.filter(policy.to_be_filed(), pk__in=list(shipment_ids)).values(*fields))
    if not rows:
        return 0
    frame = pd.DataFrame.from_records(rows, columns=list(fields))
    peers = policy.entry_peers(frame)
    stored = dict(zip(frame["id"].tolist(), frame["mpf_estimate_usd"].tolist(), strict=True))
    stored.update(Shipment.objects.filter(pk__in=peers["id"].tolist()).values_list("id", "mpf_estimate_usd"))
    return _shares_write(pd.concat([frame.drop(columns="mpf_estimate_usd"), peers], ignore_index=True), stored)


def estimates_settle(*, shipment_ids) -> int:
    """Entries were just built from these shipments (customs/filing.py): each gets its share of the fee of the entry it
    is in, and the parcels of the same groups left to be filed share theirs again. They differ from the estimates when
    the broker filed part of a group (approved some of a consignee's parcels, or filed a selection): the entry filed
    holds fewer parcels, and the ones left behind will go in an entry of their own. Returns how many of the entries'
    parcels changed; the parcels left behind are shared again after the commit."""
    fields = ("id", "value_usd", "entry_type", "status", "mpf_estimate_usd", *policy.ENTRY_KEY)
    rows = list(Shipment.objects.filter(pk__in=list(shipment_ids)).values(*fields))
    if not rows:
        return 0
    frame = pd.DataFrame.from_records(rows, columns=list(fields))
    stored = dict(zip(frame["id"].tolist(), frame["mpf_estimate_usd"].tolist(), strict=True))
    changed = _shares_write(frame.drop(columns="mpf_estimate_usd"), stored)  # the entries built: these rows and no others
    left = policy.entry_peers(frame)["id"].tolist()
    if left:  # not locked by filing: shared again once it commits, never while it holds its locks (as _decide_again orders them)
        transaction.on_commit(lambda: estimates_refresh(shipment_ids=left))
    return changed


def _shares_write(members: pd.DataFrame, stored: dict) -> int:
    """Each member's share of its entry's MPF (entry_groups over `members`), written where it differs from `stored`."""
    members = members.assign(value_usd=members["value_usd"].astype(float))
    shares = policy.mpf_shares(members, members["entry_type"], policy.snapshot())
    changed = [Shipment(id=int(i), mpf_estimate_usd=None if kind == policy.ENTRY_86 else Decimal(cents) / 100)
               for i, kind, cents in zip(members["id"].tolist(), members["entry_type"].tolist(), shares.tolist(), strict=True)
               if stored[i] != (None if kind == policy.ENTRY_86 else Decimal(cents) / 100)]
    changed.sort(key=lambda shipment: shipment.id)  # two refreshes of the same entries lock their rows in one order
    Shipment.objects.bulk_update(changed, ["mpf_estimate_usd"], batch_size=500)
    return len(changed)


@in_english
def decisions_refresh(*, keys: set[str], days: set[date], skip_upload: int | None = None) -> int:
    """Decide again the parcels not yet with ACE whose consignee-day totals may have changed. Returns how many changed.
    An entry built and not yet transmitted whose parcels' entry type changes is taken apart (_redecide)."""
    if not keys or not days:
        return 0
    mine = Shipment.objects.filter(consignee_key__in=keys, arrival_date__in=days)
    ids = list(mine.filter(DECIDED_AGAIN | QUEUED).order_by("id").values_list("id", flat=True))
    changed = _redecide(
        ids, skip_upload=skip_upload,
        reason=_("the consignee's total for the day changed, and with it the entry type of its parcels. Review them and "
                 "file them again."),
        broker_text=_("decided again after your approval (the consignee's total for the day changed): check them before "
                      "they are filed"),
        withdrawn_text=_("taken out of entries not yet transmitted to ACE, as the consignee's total for the day changed: "
                         "review them and file them again"))
    # After the entries were taken apart: an entry a transmission claimed meanwhile is with ACE now, and its broker is told.
    _with_ace_tell(mine.filter(status__in=lifecycle.WITH_ACE, entry_type="86"))
    # Parcels still to be filed that are not decided again (rejected by the broker, or by ACE) share their entry's fee too:
    # a parcel that joined or left their entry (this upload, a cancellation) changes their share, even with none waiting.
    others = list(mine.filter(policy.to_be_filed()).exclude(DECIDED_AGAIN).values_list("id", flat=True))
    if others:  # after the commit, as _decide_again's: never while the caller's rows are locked
        transaction.on_commit(lambda: estimates_refresh(shipment_ids=others))
    return changed


REGIME_BATCH = 2000


@retry_on_conflict
@in_english
def decisions_refresh_for_regime(*, after_id: int = 0, limit: int | None = None) -> tuple[int, int | None]:
    """Decide again, under the regime now pinned (or the law of the arrival date), one batch of the parcels not yet with
    ACE: those with an id above `after_id`, in id order. Returns (how many changed, the last id looked at, or None when
    no parcel was left). An entry built and not yet transmitted whose parcels' entry type changes is taken apart first
    (_entries_decide_again); parcels already with ACE keep their entry: a regime is chosen for new decisions."""
    ids = list(Shipment.objects.filter(DECIDED_AGAIN | QUEUED, pk__gt=after_id).order_by("id").values_list("id", flat=True)
               [:limit or REGIME_BATCH])
    if not ids:
        return 0, None
    changed = _redecide(
        ids, reason=_("the customs regime was changed, and with it the entry type of its parcels. Review them and file them "
                      "again."),
        broker_text=_("decided again after your approval (the customs regime was changed): check them before they are filed"),
        withdrawn_text=_("taken out of entries not yet transmitted to ACE, as the customs regime was changed: review them and "
                         "file them again"))
    return changed, ids[-1]


def _redecide(ids: list[int], *, reason: str, broker_text: str, withdrawn_text: str, skip_upload: int | None = None) -> int:
    """Decide again these parcels not yet with ACE (DECIDED_AGAIN or QUEUED; those of upload `skip_upload` were just
    decided): first the entries built from them and still in the outbox, taken apart where their parcels' entry type
    changes (`reason` on each timeline, the broker told `withdrawn_text` once), then the parcels waiting, with those taken
    out (the broker of an approved one told `broker_text`). Returns how many decisions changed."""
    with transaction.atomic():
        withdrawn = _entries_decide_again(ids, reason=reason)
        waiting = Shipment.objects.filter(DECIDED_AGAIN, pk__in=[*ids, *withdrawn])
        if skip_upload is not None:
            waiting = waiting.exclude(upload_id=skip_upload)
        changed = _decide_again(waiting, told=set(withdrawn), broker_text=broker_text)
        if withdrawn:
            shipments_notify(shipment_ids=withdrawn, kind="redecided", audience="broker", text=withdrawn_text)
    return changed


def _entries_decide_again(ids: list[int], *, reason: str) -> list[int]:
    """The entries built from these parcels and still waiting in the outbox, decided again: those whose parcels' entry type
    changes are taken apart (customs.filing.entries_withdraw, with `reason` on each timeline). Returns the parcels freed.
    Runs in the caller's transaction and leaves locked, in the order a transmission claim locks them, the outbox rows of
    those entries first, then every parcel of the batch still to be decided and of those entries: an entry is never
    transmitted from a decision this replaces, and one a claim is already taking is left to ACE."""
    from customs import filing

    entries: set[int] = set()
    for round_ in itertools.count():
        fresh = set(filing.entries_pending_lock(shipment_ids=ids)) - entries
        if round_ and not fresh:
            break  # what is left has no transmission pending: nothing a claim could send
        entries |= fresh
        list(Shipment.objects.filter(Q(DECIDED_AGAIN, pk__in=ids) | Q(QUEUED, entry_id__in=entries))
             .select_for_update(no_key=True).order_by("id").values_list("id", flat=True))
        # Parcels of the batch built into an entry after its outbox rows were looked for (entries_build committed in
        # between, so they were not locked above) have their turn: their entries' outbox rows are locked next.
        if not Shipment.objects.filter(QUEUED, pk__in=ids).exclude(entry_id__in=entries).exists():
            break
    rows = list(Shipment.objects.filter(QUEUED, entry_id__in=entries).order_by("id").values(*STORED, "entry_id"))
    if not rows:
        return []
    frame, verdict, _day_totals, _conveyance_totals = _decide_stored(rows)
    changed = sorted({int(entry) for entry, old, new in zip(frame["entry_id"], frame["entry_type"], verdict["entry_type"], strict=True)
                      if old != new})
    return filing.entries_withdraw(entry_ids=changed, reason=reason)


def _decide_again(waiting, *, broker_text: str, told: set[int] = frozenset()) -> int:
    """Decide the parcels of `waiting` (not yet with ACE) again; a changed decision is stored with a note on the timeline,
    the broker of a parcel it files (BROKER_FILES) is told `broker_text`, and the MPF shares of the entries they go in are
    computed again (a parcel that joins, leaves or changes type changes the others' shares). Returns how many decisions
    changed.

    The rows are locked (in id order) while they are decided, so that an entry is never built from a decision this
    replaces: filing locks the parcels it takes too (approved and not yet in an entry, or re-filed after ACE's rejection),
    and an entry built meanwhile is taken apart (_entries_decide_again). The broker is not
    told again of the parcels in `told` (taken out of their entry, they were told just now)."""
    with transaction.atomic():
        rows = list(waiting.select_for_update(no_key=True).order_by("id").values(*STORED))
        if not rows:
            return 0
        frame, verdict, day_totals, conveyance_totals = _decide_stored(rows)
        changed = _decisions_write(frame, verdict, day_totals, conveyance_totals, broker_text=broker_text, told=told)
    # The other parcels of their entries are not locked here: their shares are computed again once this commits, not
    # while these rows are locked (two re-decides holding rows of each other's entries would wait on each other).
    ids = frame["id"].tolist()
    transaction.on_commit(lambda: estimates_refresh(shipment_ids=ids))
    return changed


def _decisions_write(frame, verdict, day_totals, conveyance_totals, *, broker_text: str, told: set[int] = frozenset()) -> int:
    """The decisions that changed, written with a note on each timeline and the broker told of the parcels it files
    (approved, or rejected by ACE and to be filed again). Where the decision stays, its figures are brought up to date
    quietly: the consignee's totals (a later upload added to them without crossing a limit) and the duty estimate (a
    regime pinned to another day takes that day's rates)."""
    changed = [
        i for i in range(len(frame))
        if verdict["entry_type"].iat[i] != frame["entry_type"].iat[i] or verdict["reasons"].iat[i] != frame["reasons"].iat[i]
    ]
    _figures_write(frame, verdict, day_totals, conveyance_totals, skip=set(changed))
    if not changed:
        return 0
    now = timezone.now()
    shipments = []
    events = []
    for i in changed:
        shipment = Shipment(
            id=int(frame["id"].iat[i]), entry_type=verdict["entry_type"].iat[i], reasons=verdict["reasons"].iat[i],
            duty_estimate_usd=policy.money(verdict["duty_estimate"].iat[i]), mpf_estimate_usd=policy.money(verdict["mpf_estimate"].iat[i]),
            day_total_usd=round(float(day_totals[i]), 2), conveyance_total_usd=round(float(conveyance_totals[i]), 2),
            decided_at=now,
        )
        shipments.append(shipment)
        events.append(ShipmentEvent(
            shipment_id=shipment.id, dimension=ShipmentEvent.Dimension.NOTE, actor=ShipmentEvent.Actor.SYSTEM, at=now,
            organization_id=int(frame["forwarder_id"].iat[i]),
            message=_("Entry decision changed from Type %(old)s to Type %(new)s: %(reason)s") % {
                "old": frame["entry_type"].iat[i], "new": shipment.entry_type, "reason": policy.reason_text(shipment.reasons[0])},
            data={"entry_type": [frame["entry_type"].iat[i], shipment.entry_type], "reasons": shipment.reasons},
        ))
    Shipment.objects.bulk_update(shipments, ["entry_type", "reasons", "duty_estimate_usd", "mpf_estimate_usd", "day_total_usd",
                                             "conveyance_total_usd", "decided_at"], batch_size=500)
    ShipmentEvent.objects.bulk_create(events, batch_size=500)
    approved = [int(frame["id"].iat[i]) for i in changed if frame["status"].iat[i] in BROKER_FILES
                and int(frame["id"].iat[i]) not in told]
    if approved:
        shipments_notify(shipment_ids=approved, kind="redecided", audience="broker", text=broker_text)
    return len(changed)


def _figures_write(frame, verdict, day_totals, conveyance_totals, *, skip: set[int]) -> None:
    stale = []
    for i in range(len(frame)):
        if i in skip:
            continue
        now = {"duty_estimate_usd": policy.money(verdict["duty_estimate"].iat[i]),
               "day_total_usd": Decimal(f"{float(day_totals[i]):.2f}"),
               "conveyance_total_usd": Decimal(f"{float(conveyance_totals[i]):.2f}")}
        if any(now[name] != (None if pd.isna(frame[name].iat[i]) else frame[name].iat[i]) for name in FIGURES):
            stale.append(Shipment(id=int(frame["id"].iat[i]), **now))
    Shipment.objects.bulk_update(stale, list(FIGURES), batch_size=500)


def _with_ace_tell(filed) -> None:
    """Type 86 entries already with ACE whose consignee's day is now over the de minimis limit: a note and the broker told."""
    rows = list(filed.values(*STORED))
    if not rows:
        return
    frame, verdict, _day_totals, _conveyance_totals = _decide_stored(rows)
    lost = [int(frame["id"].iat[i]) for i in range(len(frame)) if verdict["entry_type"].iat[i] != "86"]
    already = set(ShipmentEvent.objects.filter(shipment_id__in=lost, data__de_minimis_lost_after_filing=True)
                  .values_list("shipment_id", flat=True))
    lost = [i for i in lost if i not in already]
    if not lost:
        return
    lifecycle.note(shipment_ids=lost, actor=lifecycle.SYSTEM, data={"de_minimis_lost_after_filing": True},
                   message=_("A later upload put this consignee's parcels of the day over the de minimis limit: "
                             "the Type 86 entry filed may need correcting."))
    shipments_notify(shipment_ids=lost, kind="redecided", audience="broker",
                     text=_("filed as Type 86, but the consignee's total for the day is now over the de minimis limit: "
                            "the entries may need correcting"))


def regime_pin_set(*, active: bool, as_of: date | None, note: str, user) -> None:
    """Pin (or unpin) the regime every new decision uses; the history of pins stays in the table."""
    from customs.models import RegimePin

    with transaction.atomic():
        RegimePin.objects.filter(active=True).update(active=False)
        if active:
            RegimePin.objects.create(active=True, as_of=as_of, note=note, set_by=user)
        regime_changed()


def regime_pin_saved(pin) -> None:
    """A pin saved in the admin: an active one becomes the only active pin (as regime_pin_set makes it), then the waiting
    parcels are decided again."""
    from customs.models import RegimePin

    if pin.active:
        RegimePin.objects.filter(active=True).exclude(pk=pin.pk).update(active=False)
    regime_changed()


def regime_changed() -> None:
    """The pin was set, changed or removed (on the regime page or in the admin): the parcels not yet with ACE (DECIDED_AGAIN
    and QUEUED) are decided again under the new regime, in batches by a task, once this commits."""
    from calista.queueing import enqueue
    from customs.tasks import decisions_refresh_for_regime_task

    enqueue(decisions_refresh_for_regime_task)
