"""A simulated ACE: behaves like CBP's system, behind the same adapter interface a real connection would use.

- `transmit`: an immediate reply per entry (as ABI's SX): accepted, or rejected with error codes
  for what it can detect (Type 86 where the law no longer allows de minimis: 181 suspended,
  110 excluded origin; bad HTS E01; missing consignee E02), plus a share of rejections for
  bills not yet on the air manifest (E04; filed again, they are accepted). The law it judges by is that of the arrival
  date, or, when the operator pinned a regime, the law of the pinned day: the simulator stands in
  for CBP in training, where the pin is the law of the exercise (`follows_regime_pin`; a real
  connection never does this).
- Then status notices over time (as ABI's SO and Air AMS's FSN), planned when the entry is
  received and handed out by `receive` once due: arrival (ARR) and permit to transfer (07) per
  MAWB, then per entry a release (1C), or first a hold by an agency (with a hold removed, HR,
  unless it ends in seizure, which the broker records), or a transfer for exam (1X) and its end.
  CBP can only finish an exam on goods presented to it: the exam's end (HR of the 1X hold) and the
  release after it wait until every parcel of the entry held for the exam is at the exam station
  (custody at_exam, where the CFS puts it at breakdown), and come a few steps after that. Goods the
  CFS never presents are never released.
  Type 86 entries for a consignee with more Type 86 parcels that day get the 2M notice.
- Deterministic: every draw comes from the seed and the HAWB, so a run can be repeated.
  Rates and delays are settings (ACE_*); tests run with no delay.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customs.ace.adapter import AceAdapter, Notice, Reply
from customs.models import Hold, SimulatorEntry, SimulatorNotice
from customs.policy import pinned_regime
from shipments.models import Custody, Shipment

DE_MINIMIS_SUSPENDED = date(2025, 8, 29)
ORIGIN_EXCLUDED = date(2025, 5, 2)
EXCLUDED_ORIGINS = {"CN", "HK"}
AGENCY_HOLDS = {"FDA": "FH", "USDA": "UH", "CPSC": "CH", "FCC": "TH"}


def draw(hawb: str, salt: str) -> float:
    """A number in [0, 1) fixed by the seed, the HAWB and what it is drawn for."""
    digest = hashlib.sha256(f"{settings.ACE_SEED}:{hawb}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _errors(payload: dict, *, regime: date | None = None, matched: frozenset[str] = frozenset()) -> list[str]:
    """What ACE refuses in this entry; `regime`: judge de minimis by the law of that day instead of the arrival date;
    `matched`: HAWBs ACE has received before (see `_received_before`)."""
    codes: list[str] = []
    for bill in payload["bills"]:
        arrival = regime or date.fromisoformat(bill["arrival"])
        if payload["type"] == "86":
            if arrival >= DE_MINIMIS_SUSPENDED:
                codes.append("181")
            elif arrival >= ORIGIN_EXCLUDED and bill["origin"] in EXCLUDED_ORIGINS:
                codes.append("110")
        hts = bill.get("hts", "")
        if len(hts) != 10 or not hts.isdigit():
            codes.append("E01")
        consignee = bill.get("consignee", {})
        if not consignee.get("name") or not consignee.get("address1"):
            codes.append("E02")
    first = payload["bills"][0]["hawb"]
    if not codes and first not in matched and draw(first, "reject") < settings.ACE_REJECT_RATE:
        codes.append("E04")
    return sorted(set(codes))


def _received_before(payloads: list[dict]) -> frozenset[str]:
    """The HAWBs (first bills) of these entries that ACE already received in an earlier entry.

    E04 stands for a bill the airline had not yet put on its air manifest when the entry came: by the time the broker
    files it again, the manifest has it. Drawn from the HAWB alone, it came back on every re-filing, and the broker,
    who cannot change what ACE compared, could only cancel the parcel."""
    drawn = [p["bills"][0]["hawb"] for p in payloads if draw(p["bills"][0]["hawb"], "reject") < settings.ACE_REJECT_RATE]
    if not drawn:
        return frozenset()
    numbers = [p["entry"] for p in payloads]
    return frozenset(SimulatorEntry.objects.filter(payload__bills__0__hawb__in=drawn).exclude(number__in=numbers)
                     .values_list("payload__bills__0__hawb", flat=True))


def _utc(moment) -> str:
    """A moment as the simulator's messages write it: in UTC, marked Z, never in whatever zone is active."""
    return f"{moment.astimezone(UTC):%Y%m%d%H%M%S}Z"


def _raw_reply(entry: str, accepted: bool, codes: list[str]) -> str:
    status = "ACCEPTED" if accepted else "REJECTED"
    return f"SX|ENTRY={entry}|STATUS={status}|CODES={','.join(codes)}|AT={_utc(timezone.now())}"


class Simulator(AceAdapter):
    follows_regime_pin = True  # a training stand-in for CBP: the operator's pinned regime is the law it applies

    def transmit(self, payloads: list[dict]) -> list[Reply]:
        """Reply to a batch of entries as ACE would, remembering each (set-based: one batch, a few queries)."""
        if settings.ACE_LATENCY_SECONDS:
            time.sleep(settings.ACE_LATENCY_SECONDS)  # the network and ACE take their time
        now = timezone.now()
        regime = pinned_regime() if self.follows_regime_pin else None
        known = {e.number: e for e in SimulatorEntry.objects.filter(number__in=[p["entry"] for p in payloads])}
        matched = _received_before(payloads)
        replies, fresh, again, accepted = [], [], [], []
        for payload in payloads:
            number, attempt = payload["entry"], payload.get("attempt", 1)
            earlier = known.get(number)
            if earlier is not None and earlier.reply["accepted"]:  # ACE refuses an entry number already on file
                replies.append(Reply(entry=number, accepted=False, codes=["E03"], raw=_raw_reply(number, False, ["E03"]),
                                     attempt=attempt))
                continue
            codes = _errors(payload, regime=regime, matched=matched)
            reply = Reply(entry=number, accepted=not codes, codes=codes, raw=_raw_reply(number, not codes, codes), attempt=attempt)
            memory = {"accepted": reply.accepted, "codes": codes, "raw": reply.raw, "attempt": attempt}
            if earlier is None:
                fresh.append(SimulatorEntry(number=number, payload=payload, received_at=now, reply=memory))
            else:  # a rejected entry is not on file: sending it again is a new submission
                earlier.payload, earlier.received_at, earlier.reply = payload, now, memory
                again.append(earlier)
            if reply.accepted:
                accepted.append(payload)
            replies.append(reply)
        try:
            with transaction.atomic():
                SimulatorEntry.objects.bulk_create(fresh, batch_size=1000)
                SimulatorEntry.objects.bulk_update(again, ["payload", "received_at", "reply"], batch_size=500)
                self._plan(accepted, now)
        except IntegrityError:  # another worker delivered some of these at the same moment: answer one by one
            return [self.transmit([p])[0] for p in payloads]
        return replies

    def lookup(self, entry_numbers: list[str]) -> dict[str, Reply]:
        found = SimulatorEntry.objects.filter(number__in=entry_numbers)
        return {e.number: Reply(entry=e.number, accepted=e.reply["accepted"], codes=e.reply["codes"], raw=e.reply["raw"],
                                attempt=e.reply.get("attempt", 1)) for e in found}

    def receive(self, limit: int = 2000) -> list[Notice]:
        now = timezone.now()
        self._exams_presented(now)
        with transaction.atomic():
            due = list(SimulatorNotice.objects.select_for_update(skip_locked=True)
                       .filter(emitted_at__isnull=True, after_exam__isnull=True, due_at__lte=now)
                       .order_by("due_at", "sequence", "id")[:limit])
            SimulatorNotice.objects.filter(pk__in=[n.pk for n in due]).update(emitted_at=now)
        return [self._notice(n) for n in due]

    def _exams_presented(self, now) -> None:
        """Schedule the end of the exams whose goods are now at the exam station, `after_exam` steps from now.

        CBP learns from the exam station that the goods were presented; in the training environment the
        portal's custody (at_exam, set by the CFS or by the 1X notice) is the record of it."""
        waiting = SimulatorNotice.objects.filter(emitted_at__isnull=True, after_exam__isnull=False)
        numbers = set(waiting.values_list("entry_number", flat=True))
        if not numbers:
            return
        presented = set(Shipment.objects.filter(entry__number__in=numbers, custody=Custody.AT_EXAM)
                        .values_list("entry__number", flat=True))
        exams = Hold.objects.filter(shipment__entry__number__in=numbers, code="1X")
        open_exams = exams.filter(removed_at__isnull=True)
        not_yet = set(open_exams.exclude(shipment__custody=Custody.AT_EXAM).values_list("shipment__entry__number", flat=True))
        # An exam hold settled without an exam (the broker recorded its outcome, or the goods were seized) waits for nothing.
        settled = set(exams.values_list("shipment__entry__number", flat=True)) - set(
            open_exams.values_list("shipment__entry__number", flat=True))
        ready = (presented - not_yet) | settled
        if not ready:
            return
        step = timedelta(seconds=settings.ACE_DELAY_SECONDS)
        with transaction.atomic():
            notices = list(waiting.filter(entry_number__in=ready).select_for_update(skip_locked=True))
            for notice in notices:
                notice.due_at, notice.after_exam = now + notice.after_exam * step, None
            SimulatorNotice.objects.bulk_update(notices, ["due_at", "after_exam"])

    # --- planning ----------------------------------------------------------------------------

    def _plan(self, payloads: list[dict], now) -> None:
        """Every notice these entries (and their MAWBs, the first time) will get, with when each is due."""
        step = timedelta(seconds=settings.ACE_DELAY_SECONDS)
        notices = []
        mawbs = {p["manifest"]["mawb"]: p["manifest"] for p in payloads}
        announced = set(SimulatorNotice.objects.filter(mawb__in=list(mawbs), code="07").values_list("mawb", flat=True))
        for mawb, manifest in mawbs.items():
            if mawb not in announced:
                notices.append(SimulatorNotice(mawb=mawb, code="ARR", sequence=1, due_at=now + step, data=manifest))
                notices.append(SimulatorNotice(mawb=mawb, code="07", sequence=2, due_at=now + 2 * step, data=manifest))
        for payload in payloads:
            notices.extend(self._entry_notices(payload, now, step))
        SimulatorNotice.objects.bulk_create(notices, batch_size=2000)

    @staticmethod
    def _entry_notices(payload: dict, now, step) -> list[SimulatorNotice]:
        number = payload["entry"]
        hawbs = [bill["hawb"] for bill in payload["bills"]]
        first = hawbs[0]
        agencies = sorted({flag for bill in payload["bills"] for flag in bill.get("pga", [])})
        notices = []

        def at(n: int, code: str, after_exam: int | None = None, **data):
            notices.append(SimulatorNotice(entry_number=number, code=code, sequence=2 + n, due_at=now + (2 + n) * step,
                                           after_exam=after_exam, data={"hawbs": hawbs, **data}))

        if payload["type"] == "86" and payload.get("consignee_parcels_that_day", 1) > 1:
            at(1, "2M")
        roll = draw(first, "outcome")
        if roll < settings.ACE_HOLD_RATE:
            agency = next((AGENCY_HOLDS[a] for a in agencies if a in AGENCY_HOLDS), "BH")
            at(1, agency, reason="documents requested")
            if draw(first, "seize") >= settings.ACE_SEIZE_RATE:  # otherwise the hold stays: the broker records the seizure
                at(3, "HR", hold=agency)
                at(4, "1C")
        elif roll < settings.ACE_HOLD_RATE + settings.ACE_EXAM_RATE:
            at(1, "1X", reason="intensive exam")
            at(3, "HR", after_exam=1, hold="1X")  # the exam ends only once the goods are at the exam station
            at(4, "1C", after_exam=2)
        else:
            at(2, "1C")
        return notices

    @staticmethod
    def _notice(n: SimulatorNotice) -> Notice:
        subject = f"ENTRY={n.entry_number}" if n.entry_number else f"MAWB={n.mawb}"
        extra = "".join(f"|{k.upper()}={v if not isinstance(v, list) else ','.join(v)}" for k, v in sorted(n.data.items())
                        if k in ("hawbs", "firms", "reason", "hold"))
        kind = "FSN" if n.mawb else "SO"
        raw = f"{kind}|{subject}|DISP={n.code}{extra}|AT={_utc(n.due_at)}"
        return Notice(code=n.code, raw=raw, entry=n.entry_number, mawb=n.mawb, hawbs=n.data.get("hawbs", []),
                      data=json.loads(json.dumps(n.data)), at=n.due_at)
