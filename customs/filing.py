"""Filing: approved shipments become numbered entries, transmitted to ACE exactly once, in rate-limited batches.

1. `entries_build` groups approved shipments into entries as the entry type requires
   (customs.policy.entry_groups: Type 86 one bill per entry; Type 11 and 01 one entry per
   forwarder, consignee and conveyance),
   numbers them (filer code, serial, check digit) and writes one pending Transmission per
   entry: the outbox.
2. `transmissions_claim` takes a batch of pending transmissions (as the rate limit allows),
   marks them `sending` and the shipments `filed`, and records the outgoing messages, in one
   transaction: what is about to be sent is on record before it is sent.
3. `transmissions_deliver` sends the batch through the ACE adapter (outside any transaction)
   and records the replies (accepted, or rejected with codes). Recording is guarded
   (`sending` -> `done`), so a reply is recorded once however often it arrives.
4. `transmissions_recover` finds batches left `sending` by a crash and asks ACE what it has:
   what ACE has is recorded from ACE's answer, what it never got is sent. Nothing is sent twice.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import timedelta

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from customs import policy, services
from customs.ace.adapter import Reply, adapter
from customs.ace.explain import codes_text
from customs.models import AceMessage, Entry, FilerSequence, Transmission
from shipments import lifecycle
from shipments.models import CustomsStatus, Shipment, ShipmentEvent

# --- Entry numbers ----------------------------------------------------------------------------


def _digit_of(char: str) -> int:
    """Letters of a filer code count as digits for the check digit: A=1 ... I=9, J=1 ... R=9, S=2 ... Z=9."""
    if char.isdigit():
        return int(char)
    return (ord(char.upper()) - ord("A")) % 9 + 1


def check_digit(filer_code: str, serial: str) -> int:
    """The entry number's check digit: Luhn (mod 10, double every other digit from the right)."""
    digits = [_digit_of(c) for c in filer_code + serial]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


def entry_number(filer_code: str, serial: int) -> str:
    text = f"{serial:07d}"
    return f"{filer_code}{text}{check_digit(filer_code, text)}"


def _serials(broker: Organization, count: int) -> range:
    """Reserve `count` serials of the broker's filer code (under a row lock: never reused)."""
    sequence, _ = FilerSequence.objects.select_for_update().get_or_create(broker=broker)
    start = sequence.last + 1
    FilerSequence.objects.filter(pk=sequence.pk).update(last=F("last") + count)
    return range(start, start + count)


# --- 1. Building entries ----------------------------------------------------------------------


def entries_build(*, broker: Organization, shipment_ids=None, refile: bool = False) -> list[int]:
    """Entries (and their pending transmissions) for the broker's approved shipments not yet in an entry.

    refile: for shipments ACE rejected and the broker corrected; they get a new entry (the
    entry type may have changed), the rejected one stays on record. One already re-filed in an
    entry still in the outbox is left out: the same goods are never filed twice.
    """
    with transaction.atomic():
        if refile:
            chosen = Shipment.objects.filter(broker=broker, status=CustomsStatus.ACE_REJECTED)
        else:
            chosen = Shipment.objects.filter(broker=broker, status=CustomsStatus.APPROVED, entry__isnull=True)
        approved = chosen.select_for_update(no_key=True).order_by("id")
        if shipment_ids is not None:
            approved = approved.filter(pk__in=list(shipment_ids))
        if refile:  # read again once locked: a re-filing built meanwhile is in an entry this statement's snapshot never saw
            locked = list(approved.values_list("id", flat=True))
            approved = Shipment.objects.filter(pk__in=locked).exclude(refiling_waits()).order_by("id")
        rows = list(approved.values("id", "entry_type", "forwarder_id", "consignee_key", "flight_number", "arrival_date",
                                    "manifest_id"))
        if not rows:
            return []
        groups: dict[int, list[dict]] = defaultdict(list)
        frame = pd.DataFrame.from_records(rows)  # one broker's, never filed or all to be filed again: entry_groups' other keys
        for row, group in zip(rows, policy.entry_groups(frame, frame["entry_type"]).tolist(), strict=True):
            groups[group].append(row)
        serials = _serials(broker, len(groups))
        entries = [
            Entry(broker=broker, forwarder_id=members[0]["forwarder_id"], manifest_id=members[0]["manifest_id"],
                  number=entry_number(broker.filer_code, serial), entry_type=members[0]["entry_type"],
                  consignee_key=members[0]["consignee_key"])
            for serial, members in zip(serials, groups.values(), strict=True)
        ]
        Entry.objects.bulk_create(entries, batch_size=1000)
        numbers = [e.number for e in entries]
        by_number = dict(Entry.objects.filter(number__in=numbers).values_list("number", "id"))
        links = [(row["id"], by_number[entry.number]) for entry, members in zip(entries, groups.values(), strict=True)
                 for row in members]
        _link(links)
        Transmission.objects.bulk_create([Transmission(entry_id=by_number[n]) for n in numbers], batch_size=1000)
        services.estimates_settle(shipment_ids=[row["id"] for row in rows])  # a group filed in part pays more than one fee
        return list(by_number.values())


def refiling_waits() -> Q:
    """Shipments ACE rejected whose re-filing is built and waits in the outbox (transmissions_claim has not taken it)."""
    return Q(status=CustomsStatus.ACE_REJECTED, entry__state=Entry.State.PENDING)


def _link(pairs: list[tuple[int, int]]) -> None:
    """Set shipment.entry for many shipments at once."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for start in range(0, len(pairs), 5000):
                chunk = pairs[start:start + 5000]
                cursor.execute(
                    f"UPDATE {Shipment._meta.db_table} AS s SET entry_id = v.entry "  # noqa: S608 - the model's own table
                    "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, entry) WHERE s.id = v.id",
                    [[p[0] for p in chunk], [p[1] for p in chunk]])
        return
    Shipment.objects.bulk_update([Shipment(id=s, entry_id=e) for s, e in pairs], ["entry"], batch_size=500)


# --- Taking apart an entry not yet transmitted ------------------------------------------------
# An entry waits in the outbox between entries_build and transmissions_claim. When the decision of its parcels changes
# in that time (the operator pinned or unpinned the regime, or a later upload changed the consignee's day total:
# customs/services.py), it is taken apart before ACE sees it and its parcels wait for the broker again. An entry a
# claim has taken is with ACE, and is never touched here.


def entries_pending_lock(*, shipment_ids) -> list[int]:
    """The entries of these shipments still waiting in the outbox, their pending transmissions locked until the caller's
    transaction ends: a claim then skips them (it locks with SKIP LOCKED), and a claim already taking one is waited for
    (that entry is then transmitted, and left out). Lock them before the shipments, as a claim does."""
    ids = list(shipment_ids)
    if not ids:
        return []
    pending = (Transmission.objects.select_for_update(of=("self",)).filter(state=Transmission.State.PENDING, entry__shipments__in=ids)
               .order_by("id").values_list("entry_id", flat=True))
    return sorted(set(pending))


@lifecycle.in_english
def entries_withdraw(*, entry_ids: list[int], reason: str) -> list[int]:
    """Take apart entries not yet transmitted, whose transmissions the caller locked (entries_pending_lock): each entry is
    cancelled and leaves the outbox, and its parcels wait for the broker to file them again, with a note on each timeline
    that names the entry and says why (`reason`): approved ones in no entry, ones re-filed after ACE's rejection with the
    entry ACE rejected, as before the broker re-filed them. Returns the parcels, in id order."""
    if not entry_ids:
        return []
    Transmission.objects.filter(entry_id__in=entry_ids, state=Transmission.State.PENDING).delete()  # never sent: nothing to keep
    Entry.objects.filter(pk__in=entry_ids, state=Entry.State.PENDING).update(state=Entry.State.CANCELLED)
    members = list(Shipment.objects.filter(entry_id__in=entry_ids).order_by("id")
                   .values_list("id", "entry_id", "entry__number", "status"))
    Shipment.objects.filter(pk__in=[shipment_id for shipment_id, *_rest in members]).update(entry=None)
    rejected = _entries_rejected([shipment_id for shipment_id, *_rest, status in members if status == CustomsStatus.ACE_REJECTED])
    Shipment.objects.bulk_update([Shipment(id=shipment_id, entry_id=entry_id) for shipment_id, entry_id in rejected.items()],
                                 ["entry"], batch_size=500)
    by_entry: dict[tuple[int, str], list[int]] = defaultdict(list)
    for shipment_id, entry_id, number, _status in members:
        by_entry[(entry_id, number)].append(shipment_id)
    for (entry_id, number), ids in by_entry.items():  # the entry stays on record; the timeline says which it was
        lifecycle.note(shipment_ids=ids, actor=lifecycle.SYSTEM, data={"entry_withdrawn": True, "entry": entry_id},
                       message=_("Entry %(entry)s taken apart before it was transmitted to ACE: %(reason)s") % {
                           "entry": f"{number[:3]}-{number[3:10]}-{number[10:]}", "reason": reason})
    return [shipment_id for shipment_id, *_rest in members]


def _entries_rejected(shipment_ids: list[int]) -> dict[int, int]:
    """The entry ACE last rejected of each of these shipments, as the broker's re-filing noted it (review.shipments_refile)."""
    if not shipment_ids:
        return {}
    notes = (ShipmentEvent.objects.filter(shipment_id__in=shipment_ids, dimension=ShipmentEvent.Dimension.NOTE, data__refile=True)
             .order_by("shipment_id", "at", "id").values_list("shipment_id", "data"))
    return {shipment_id: data["entry"] for shipment_id, data in notes if data.get("entry")}


# --- 2. Claiming a batch ----------------------------------------------------------------------


def _allowance(wanted: int) -> int:
    """How many entries may be sent now under ACE_RATE_LIMIT_PER_HOUR (a per-minute budget in the cache)."""
    limit = settings.ACE_RATE_LIMIT_PER_HOUR
    if not limit:
        return wanted
    per_minute = max(1, limit // 60)
    key = f"calista:ace-rate:{int(time.time() // 60)}"
    cache.add(key, 0, 120)
    used = cache.incr(key, wanted)
    granted = max(0, min(wanted, per_minute - (used - wanted)))
    if granted < wanted:
        cache.decr(key, wanted - granted)
    return granted


def payloads_for(entry_ids: list[int], attempts: dict[str, int] | None = None) -> list[dict]:
    """What is sent to ACE for each entry: its bills, with the data an entry carries."""
    entries = {e.pk: e for e in Entry.objects.filter(pk__in=entry_ids).select_related("manifest__cfs")}
    bills: dict[int, list[dict]] = defaultdict(list)
    fields = ("entry_id", "mawb", "hawb", "hts_code", "country_of_origin", "value_usd", "arrival_date", "destination_airport",
              "consignee_name", "consignee_address1", "consignee_city", "consignee_state", "consignee_zip", "pga", "consignee_key")
    for row in Shipment.objects.filter(entry_id__in=entry_ids).order_by("id").values(*fields):
        bills[row["entry_id"]].append({
            "mawb": row["mawb"], "hawb": row["hawb"], "hts": row["hts_code"], "origin": row["country_of_origin"],
            "value": str(row["value_usd"]), "arrival": row["arrival_date"].isoformat(), "port": row["destination_airport"],
            "pga": row["pga"], "consignee": {"name": row["consignee_name"], "address1": row["consignee_address1"],
                                             "city": row["consignee_city"], "state": row["consignee_state"],
                                             "zip": row["consignee_zip"], "key": row["consignee_key"]},
        })
    same_day: dict[tuple, int] = defaultdict(int)
    for entry_id in entry_ids:
        if entries[entry_id].entry_type == "86":
            bill = bills[entry_id][0]
            same_day[(bill["consignee"]["key"], bill["arrival"])] += 1
    payloads = []
    for entry_id in entry_ids:
        entry = entries[entry_id]
        manifest = entry.manifest
        first = bills[entry_id][0]
        payloads.append({
            "entry": entry.number, "attempt": (attempts or {}).get(entry.number, 1), "type": entry.entry_type,
            "filer": entry.number[:3], "bills": bills[entry_id],
            "manifest": {"mawb": manifest.mawb, "flight": manifest.flight_number, "arrival": manifest.arrival_date.isoformat(),
                         "port": manifest.destination_airport, "firms": manifest.cfs.firms_code if manifest.cfs else ""},
            "consignee_parcels_that_day": same_day.get((first["consignee"]["key"], first["arrival"]), 1),
        })
    return payloads


def transmissions_claim(*, limit: int) -> list[int]:
    """Take up to `limit` pending transmissions (fewer if the rate limit says so) and mark them sending."""
    limit = _allowance(limit)
    if not limit:
        return []
    now = timezone.now()
    with transaction.atomic():
        claimed = list(Transmission.objects.select_for_update(skip_locked=True).filter(state=Transmission.State.PENDING)
                       .order_by("created_at", "id").values_list("id", "entry_id")[:limit])
        if not claimed:
            return []
        ids = [t for t, _ in claimed]
        Transmission.objects.filter(pk__in=ids, state=Transmission.State.PENDING).update(state=Transmission.State.SENDING, sent_at=now)
        entry_ids = [e for _, e in claimed]
        Entry.objects.filter(pk__in=entry_ids).update(state=Entry.State.TRANSMITTED)
        attempts = dict(Transmission.objects.filter(pk__in=ids).values_list("entry__number", "attempt"))
        payloads = payloads_for(entry_ids, attempts=attempts)
        AceMessage.objects.bulk_create([
            AceMessage(direction=AceMessage.Direction.OUT, kind=AceMessage.Kind.ENTRY, entry_id=entry_id, transmission_id=t,
                       raw=json.dumps(p, ensure_ascii=False), at=now)
            for (t, entry_id), p in zip(claimed, payloads, strict=True)
        ], batch_size=1000)
        by_entry: dict[str, list[int]] = defaultdict(list)
        for shipment_id, number in Shipment.objects.filter(entry_id__in=entry_ids).values_list("id", "entry__number"):
            by_entry[number].append(shipment_id)
        lifecycle.shipments_file(by_entry)
    return ids


# --- 3. Sending and recording -----------------------------------------------------------------


def transmissions_deliver(*, transmission_ids: list[int], ask_first: bool = False) -> dict[str, int]:
    """Send claimed transmissions and record the replies. With ask_first, ACE is asked what it already has."""
    sending = list(Transmission.objects.filter(pk__in=transmission_ids, state=Transmission.State.SENDING)
                   .select_related("entry").order_by("id"))
    if not sending:
        return {"accepted": 0, "rejected": 0}
    ace = adapter()
    attempts = {t.entry.number: t.attempt for t in sending}
    replies: dict[str, Reply] = {}
    if ask_first:
        replies = {n: r for n, r in ace.lookup(list(attempts)).items() if r.attempt == attempts[n]}
    unsent = [t for t in sending if t.entry.number not in replies]
    if unsent:
        payloads = payloads_for([t.entry_id for t in unsent], attempts=attempts)
        for reply in ace.transmit(payloads):
            replies[reply.entry] = reply
    return transmissions_record(sending, replies)


def transmissions_record(sending: list[Transmission], replies: dict[str, Reply]) -> dict[str, int]:
    now = timezone.now()
    counts = {"accepted": 0, "rejected": 0}
    with transaction.atomic():
        # Locked: of two workers recording the same batch (a recovery and a late original), one records, the other waits
        # and then finds nothing left to record.
        mine = set(Transmission.objects.select_for_update().filter(pk__in=[t.pk for t in sending], state=Transmission.State.SENDING)
                   .values_list("id", flat=True))
        recorded = [t for t in sending if t.pk in mine and t.entry.number in replies]
        if not recorded:
            return counts
        for verdict in ("accepted", "rejected"):
            chosen = [t.pk for t in recorded if replies[t.entry.number].accepted == (verdict == "accepted")]
            Transmission.objects.filter(pk__in=chosen, state=Transmission.State.SENDING).update(
                state=Transmission.State.DONE, replied_at=now, reply=verdict)
        AceMessage.objects.bulk_create([
            AceMessage(direction=AceMessage.Direction.IN, kind=AceMessage.Kind.REPLY, entry_id=t.entry_id, transmission_id=t.pk,
                       codes=replies[t.entry.number].codes, raw=replies[t.entry.number].raw, at=now, processed_at=now)
            for t in recorded
        ], batch_size=1000)
        accepted = [t.entry_id for t in recorded if replies[t.entry.number].accepted]
        rejected = [t for t in recorded if not replies[t.entry.number].accepted]
        Entry.objects.filter(pk__in=accepted).update(state=Entry.State.ACCEPTED)
        if accepted:
            ids = list(Shipment.objects.filter(entry_id__in=accepted).values_list("id", flat=True))
            counts["accepted"] = len(lifecycle.ace_accepted(ids, message=str(codes_text(["00"]))).moved)
        for t in rejected:
            Entry.objects.filter(pk=t.entry_id).update(state=Entry.State.REJECTED)
            codes = replies[t.entry.number].codes
            ids = list(Shipment.objects.filter(entry_id=t.entry_id).values_list("id", flat=True))
            counts["rejected"] += len(lifecycle.ace_rejected(ids, message=codes_text(codes), data={"codes": codes}).moved)
        if rejected:
            from customs.notify import ace_rejections_notify

            ace_rejections_notify(entry_ids=[t.entry_id for t in rejected])
    return counts


# --- 4. Recovery ------------------------------------------------------------------------------


def transmissions_recover(*, older_than: timedelta | None = None) -> dict[str, int]:
    """Complete transmissions left `sending` by a crash: ask ACE first, send only what it never received."""
    age = older_than if older_than is not None else timedelta(seconds=settings.ACE_STALE_SECONDS)
    now = timezone.now()
    with transaction.atomic():  # claim the stale batch, so that two recoveries never send the same entries
        stale = list(Transmission.objects.select_for_update(skip_locked=True)
                     .filter(state=Transmission.State.SENDING, sent_at__lte=now - age)
                     .values_list("id", flat=True)[:settings.ACE_BATCH_SIZE])
        Transmission.objects.filter(pk__in=stale).update(sent_at=now)
    if not stale:
        return {"accepted": 0, "rejected": 0}
    return transmissions_deliver(transmission_ids=stale, ask_first=True)
