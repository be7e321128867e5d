"""What a container freight station does: collect, receive, break down, bring back from exam, hand off.

Every custody change goes through shipments/lifecycle.py, which checks the move, writes
it and puts one event on each shipment's timeline (who, when, and here also where: the
station's name, FIRMS code and airport are in the message and the event's data). The
station's own record of the move (Collection, Arrival, Handoff) is written in the same
transaction, so the two never disagree.

Every function takes the station (`cfs`, the CFS organization) and looks objects up
through accounts.access, so another station's MAWB or HAWB is simply not found.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import regex
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from calista import clocks
from calista.db import retry_on_conflict
from calista.params import id_or_none
from cfs.models import PATTERN_TIMEOUT_SECONDS, Arrival, Carrier, Collection, Handoff, HandoffBatch, PatternTooSlow
from cfs.queues import carriers_for, ready_for_hand_off, station_manifests, station_shipments
from customs.models import Hold
from shipments import lifecycle
from shipments.generator import mawb_check_digit
from shipments.lifecycle import Actor, Outcome
from shipments.models import Custody, CustomsStatus, Manifest, Shipment, ShipmentEvent, mawb_display
from shipments.progress import percent, phase_total, progress_get, progress_set

C, S = Custody, CustomsStatus

CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 5000
PROGRESS_EVERY = 25  # lines of a background file between two progress notes
CSV_COLUMNS = {  # accepted headers (lower-cased, spaces and dashes as underscores) -> column
    "hawb": "hawb", "hawb_no": "hawb", "hawb_number": "hawb", "house_awb": "hawb",
    "mawb": "mawb", "mawb_no": "mawb", "mawb_number": "mawb",
    "carrier": "carrier", "last_mile_carrier": "carrier",
    "tracking": "tracking", "tracking_number": "tracking", "tracking_no": "tracking",
}


class CfsError(Exception):
    """A request the station cannot carry out, with the reason in the user's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyReceived(CfsError):
    """The MAWB was received already (a colleague was a moment quicker): the same scan twice changes nothing."""

    def __init__(self, manifest: Manifest, arrival: Arrival):
        super().__init__(_("MAWB %(mawb)s was already received by %(user)s at %(time)s; nothing was changed.") % {
            "mawb": manifest, "user": arrival.received_by or "-",
            "time": formats.time_format(timezone.localtime(arrival.received_at, clocks.airport_zone(manifest.destination_airport)),
                                        "H:i T")})  # the station's clock, named: an API caller may be anywhere
        self.arrival = arrival


def _already_received(manifest: Manifest) -> None:
    earlier = Arrival.objects.filter(manifest=manifest).select_related("received_by").first()
    if earlier is not None:
        raise AlreadyReceived(manifest, earlier)


# --- Who and where ----------------------------------------------------------------------------


def _actor(cfs, user) -> Actor:
    """A station user; or, for demo traffic, the system acting for the station."""
    if user is None:
        return Actor(ShipmentEvent.Actor.SYSTEM, None, cfs)
    return Actor.of(user, cfs)


def _where(cfs) -> str:
    return _("%(name)s (FIRMS %(firms)s, %(airport)s)") % {"name": cfs.name, "firms": cfs.firms_code, "airport": cfs.airport}


def _place(cfs) -> dict:
    return {"cfs": cfs.pk, "firms": cfs.firms_code, "airport": cfs.airport}


def scan_normalize(text: str) -> str:
    """What a scanner sends, as the portal stores numbers: capitals and digits only."""
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


# An airline's piece label: the MAWB's 11 digits, then the piece number in 5 digits (4 on some), dash and spaces dropped.
PIECE_LABEL = re.compile(r"(?P<mawb>[0-9]{11})[0-9]{4,5}")


def mawb_scanned(code: str) -> str:
    """The MAWB number a scan names, as the portal stores it: the code itself (with or without its dash), or the first 11
    digits of an airline's piece label (160-12345675 00001), which the portal reads as its MAWB.

    Only a label whose first 11 digits are a MAWB, check digit and all, is read so: a code of another kind that has the
    length of a label (a 15-digit FedEx tracking number) is left as it is, and is no MAWB at the station. A code that is a
    MAWB itself is never cut (a MAWB has 11 digits, a label 15 or 16). Every scan of a MAWB goes through here.
    """
    code = scan_normalize(code)
    label = PIECE_LABEL.fullmatch(code)
    if label and label["mawb"][10] == mawb_check_digit(label["mawb"][3:10]):
        return label["mawb"]
    return code


def _manifest(cfs, manifest_id) -> Manifest:
    manifest = station_manifests(cfs, cfs).filter(pk=manifest_id).first()
    if manifest is None:
        raise CfsError(_("No such MAWB at this station."))
    return manifest


# --- Carriers ---------------------------------------------------------------------------------


# What a scanned tracking number may hold (scan_normalize) and how long it may be (_tracking_problem).
TRACKING_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TRACKING_MAX_LENGTH = 40


def _pattern_problem(tracking_pattern: str) -> str:
    """Why a station's tracking number pattern cannot be used (empty: it can).

    Every match runs under a timeout anyway (Carrier.accepts); this refuses up front the patterns
    that backtrack catastrophically, so a carrier whose every label would be refused is never added.
    The probes are the worst inputs for such patterns: one character of the pattern (or A, 0) repeated
    to the longest tracking number, with and without a last character that makes the match fail.
    """
    try:
        compiled = regex.compile(tracking_pattern)
    except (regex.error, ValueError, OverflowError):
        return _("The tracking number pattern is not a valid regular expression.")
    characters = sorted({c for c in tracking_pattern.upper() if c in TRACKING_ALPHABET} | {"A", "0"})
    probes = [c * n + end for c in characters for n, end in ((TRACKING_MAX_LENGTH, ""), (TRACKING_MAX_LENGTH - 1, "!"))]
    try:
        for probe in probes:
            compiled.fullmatch(probe, timeout=PATTERN_TIMEOUT_SECONDS)
    except TimeoutError:
        return _("The tracking number pattern takes too long to check (nested repetition such as (A|AA)+): "
                 "write it without a repetition inside a repetition.")
    return ""


def _carrier_code(name: str, taken: set[str]) -> str:
    """A code for the API and CSV files, from the name in any script; numbered when a longer name cut to 20
    characters would give one that is taken."""
    base = slugify(name, allow_unicode=True)[:20].strip("-") or "carrier"
    code, n = base, 1
    while code in taken:
        n += 1
        suffix = f"-{n}"
        code = base[:20 - len(suffix)].rstrip("-") + suffix
    return code


def carrier_add(*, cfs, name: str, tracking_pattern: str = "") -> Carrier:
    """A carrier of the station's own (a regional courier), offered next to UPS, FedEx, DHL and USPS."""
    name = " ".join(name.split())
    if not name:
        raise CfsError(_("Give the carrier a name."))
    if tracking_pattern and (problem := _pattern_problem(tracking_pattern)):
        raise CfsError(problem)
    listed = Carrier.objects.filter(Q(cfs__isnull=True) | Q(cfs=cfs))
    for _attempt in range(3):
        if listed.filter(name__iexact=name).exists():
            raise CfsError(_("%(name)s is already on the list.") % {"name": name})
        code = _carrier_code(name, set(listed.values_list("code", flat=True)))
        try:
            with transaction.atomic():
                return Carrier.objects.create(cfs=cfs, code=code, name=name, tracking_pattern=tracking_pattern)
        except IntegrityError:  # a colleague added a carrier with the same code a moment ago: number this one
            continue
    raise CfsError(_("%(name)s could not be added; try again.") % {"name": name})


# --- Pick-up, arrival, breakdown, exam ------------------------------------------------------


@dataclass
class Collected:
    collection: Collection | None
    outcome: Outcome


@retry_on_conflict
def manifests_collect_record(*, cfs, user, manifest_ids: Iterable[int], driver: str, truck: str, bonded_carrier: str) -> Collected:
    """The station's truck collected these MAWBs from the airline terminal under the permit to transfer."""
    driver, truck, bonded_carrier = (" ".join(v.split()) for v in (driver, truck, bonded_carrier))
    if not (driver and truck and bonded_carrier):
        raise CfsError(_("Give the driver, the truck and the bonded carrier."))
    wanted = {int(i) for i in manifest_ids}
    if not wanted:
        raise CfsError(_("Choose at least one MAWB."))
    found = set(station_manifests(cfs, cfs).filter(pk__in=wanted).values_list("pk", flat=True))
    message = _("Collected at the %(airport)s airline terminal for %(where)s: driver %(driver)s, truck %(truck)s, "
                "bonded carrier %(carrier)s") % {"airport": cfs.airport, "where": _where(cfs), "driver": driver, "truck": truck,
                                                 "carrier": bonded_carrier}
    data = {**_place(cfs), "driver": driver, "truck": truck, "bonded_carrier": bonded_carrier}
    with transaction.atomic():
        outcome = lifecycle.manifests_collect(sorted(found), actor=_actor(cfs, user), message=message, data=data)
        collection = None
        if outcome.moved:
            collection = Collection.objects.create(cfs=cfs, driver=driver, truck=truck, bonded_carrier=bonded_carrier,
                                                   collected_by=user)
            collection.manifests.set(outcome.moved)
    for missing in wanted - found:
        outcome.refused[missing] = _("no such MAWB")
    early = (Custody.AWAITING_ARRIVAL, Custody.AT_TERMINAL, Custody.TRANSFER_AUTHORIZED)
    for manifest in Manifest.objects.filter(pk__in=[pk for pk in outcome.refused if pk in found]).exclude(custody__in=early):
        outcome.refused[manifest.pk] = _("MAWB %(mawb)s was already collected") % {"mawb": manifest}
    return Collected(collection, outcome)


@dataclass
class CollectScan:
    """A MAWB scanned on the collection page. state: ok (chosen for the truck run), bad (refused, with the reason)."""

    state: str
    message: str
    manifest: Manifest | None = None


def manifest_collect_scan(*, cfs, code: str, chosen: Iterable[int] = ()) -> CollectScan:
    """A MAWB scanned (with or without its dash, or a piece label of it) at the airline terminal: chosen for this truck when its permit to
    transfer names the station; otherwise why it cannot be collected. Nothing is recorded until the collection is."""
    code = scan_normalize(code)
    if not code:
        return CollectScan("bad", _("Scan or type the MAWB."))
    number = mawb_scanned(code)
    found = list(station_manifests(cfs, cfs).filter(mawb=number).select_related("forwarder"))
    permitted = [m for m in found if m.custody == C.TRANSFER_AUTHORIZED]
    if len(permitted) > 1:  # the same number from two forwarders: the operator picks by the forwarder on the paperwork
        return CollectScan("bad", _("MAWB %(mawb)s is listed for several forwarders (%(forwarders)s): tick the right one below.")
                           % {"mawb": permitted[0], "forwarders": ", ".join(str(m.forwarder) for m in permitted)})
    if permitted:
        manifest = permitted[0]
        if manifest.pk in set(chosen):
            return CollectScan("ok", _("MAWB %(mawb)s is already chosen for this truck.") % {"mawb": manifest}, manifest)
        return CollectScan("ok", _("MAWB %(mawb)s chosen for this truck (%(forwarder)s): scan the next one, or give the driver, "
                                   "the truck and the bonded carrier.") % {"mawb": manifest, "forwarder": manifest.forwarder},
                           manifest)
    if not found and number != code:  # say what was read from the label, should the number on it be wrong
        return CollectScan("bad", _("%(code)s is a piece label of MAWB %(mawb)s: no such MAWB at this station.") % {
            "code": code, "mawb": mawb_display(number)})
    if not found:
        return CollectScan("bad", _("%(code)s: no such MAWB at this station.") % {"code": code})
    manifest = found[0]
    if manifest.custody == C.AWAITING_ARRIVAL:
        return CollectScan("bad", _("MAWB %(mawb)s has not arrived at the airline terminal yet: it may not be collected.")
                           % {"mawb": manifest}, manifest)
    if manifest.custody == C.AT_TERMINAL:
        return CollectScan("bad", _("MAWB %(mawb)s has no permit to transfer to this station yet: it stays at the terminal "
                                    "until CBP grants it.") % {"mawb": manifest}, manifest)
    collection = manifest.cfs_collections.first()
    if collection is None:
        return CollectScan("bad", _("MAWB %(mawb)s was already collected (%(custody)s).") % {
            "mawb": manifest, "custody": manifest.get_custody_display()}, manifest)
    return CollectScan("bad", _("MAWB %(mawb)s was already collected: truck %(truck)s, %(time)s (%(custody)s).") % {
        "mawb": manifest, "truck": collection.truck, "custody": manifest.get_custody_display(),
        "time": formats.date_format(timezone.localtime(collection.collected_at), "Y-m-d H:i")}, manifest)


@retry_on_conflict
def manifest_arrival_record(*, cfs, user, manifest_id: int, pieces_received: int, note: str = "") -> Arrival:
    """The MAWB is in the bonded warehouse; its pieces were counted. A shortage or an overage needs a note."""
    manifest = _manifest(cfs, manifest_id)
    _already_received(manifest)
    if manifest.custody != C.IN_TRANSIT:
        raise CfsError(_("MAWB %(mawb)s is not in transit to the station (%(custody)s): only a MAWB collected from the "
                         "terminal can be received.") % {"mawb": manifest, "custody": manifest.get_custody_display()})
    note = note.strip()
    if pieces_received < 0:
        raise CfsError(_("Count the pieces: a number of zero or more."))
    expected = manifest.pieces_expected
    difference = pieces_received - expected
    if difference and not note:
        raise CfsError(_("%(received)s pieces counted against %(expected)s on the manifest: add a note on the shortage or "
                         "overage.") % {"received": pieces_received, "expected": expected})
    counts = {"where": _where(cfs), "received": pieces_received, "expected": expected, "n": abs(difference), "note": note}
    if difference < 0:
        message = _("Received at %(where)s: %(received)s of %(expected)s pieces, a shortage of %(n)s (%(note)s)") % counts
    elif difference > 0:
        message = _("Received at %(where)s: %(received)s pieces for %(expected)s on the manifest, an overage of %(n)s "
                    "(%(note)s)") % counts
    else:
        message = _("Received at %(where)s: %(received)s of %(expected)s pieces") % counts
    data = {**_place(cfs), "pieces_expected": expected, "pieces_received": pieces_received, "difference": difference, "note": note}
    with transaction.atomic():
        outcome = lifecycle.manifests_receive([manifest.pk], actor=_actor(cfs, user), message=message, data=data,
                                              also={"pieces_received": pieces_received})
        if not outcome.ok:
            _already_received(manifest)  # received by a colleague while this request waited for the lock
            raise CfsError(outcome.refused[manifest.pk])
        return Arrival.objects.create(manifest=manifest, cfs=cfs, pieces_expected=expected, pieces_received=pieces_received,
                                      note=note, received_by=user)


@retry_on_conflict
def manifest_breakdown(*, cfs, user, manifest_id: int) -> Manifest:
    """Deconsolidate the MAWB: from here custody is per HAWB."""
    manifest = _manifest(cfs, manifest_id)
    actor = _actor(cfs, user)
    with transaction.atomic():
        outcome = lifecycle.manifests_break_down([manifest.pk], actor=actor, data=_place(cfs),
                                                 message=_("Broken down into its HAWBs at %(where)s") % {"where": _where(cfs)})
        if not outcome.ok:
            raise CfsError(outcome.refused[manifest.pk])
        # CBP ordered an exam (1X) before the parcels could be singled out: they go to the exam station now.
        for_exam = list(Hold.objects.filter(shipment__manifest=manifest, code="1X", removed_at__isnull=True)
                        .values_list("shipment_id", flat=True))
        lifecycle.shipments_to_exam(for_exam, actor=actor, data=_place(cfs),
                                    message=_("Moved to the exam station (CBP 1X) from %(where)s") % {"where": _where(cfs)})
    return manifest


@retry_on_conflict
def shipments_exam_return(*, cfs, user, shipment_ids: Iterable[int]) -> Outcome:
    """Parcels back from the centralized examination station (after a 1X transfer)."""
    wanted = {int(i) for i in shipment_ids}
    if not wanted:
        raise CfsError(_("Select at least one parcel."))
    hawbs = dict(station_shipments(cfs, cfs).filter(pk__in=wanted).values_list("pk", "hawb"))
    outcome = lifecycle.shipments_back_from_exam(sorted(hawbs), actor=_actor(cfs, user), data=_place(cfs),
                                                 message=_("Back from exam at %(where)s") % {"where": _where(cfs)})
    for pk in outcome.refused:  # the lifecycle's "cannot go from Broken down to Broken down" names no parcel
        outcome.refused[pk] = _("HAWB %(hawb)s is not at exam.") % {"hawb": hawbs[pk]}
    for pk in wanted - hawbs.keys():
        outcome.refused[pk] = _("One of the parcels chosen is not at this station.")
    return outcome


# --- Hand-off ---------------------------------------------------------------------------------


def handoff_blockers(shipment: Shipment) -> list[str]:
    """Why this parcel may not be handed off yet (empty: it may go), so the scan screen can refuse it at its
    first scan, before a label goes on it. The same table decides the hand-off itself, under the row lock."""
    return [str(reason) for reason in lifecycle.hand_off_blockers(shipment)]


@dataclass
class HandedOff:
    """One hand-off asked for: done (handoff), or refused with the reason."""

    shipment: Shipment | None
    handoff: Handoff | None = None
    refusal: str = ""

    @property
    def ok(self) -> bool:
        return self.handoff is not None


def _tracking_problem(carrier: Carrier, tracking: str) -> str:
    if not tracking:
        return _("Scan or type the tracking number.")
    if not 6 <= len(tracking) <= TRACKING_MAX_LENGTH:
        return _("%(tracking)s is not a tracking number") % {"tracking": tracking}
    try:
        accepted = carrier.accepts(tracking)
    except PatternTooSlow:
        return _("%(tracking)s is not a %(carrier)s tracking number: the carrier's tracking number pattern takes too long "
                 "to check (ask your administrator to correct the pattern)") % {
            "tracking": tracking, "carrier": carrier.name}
    if not accepted:
        return _("%(tracking)s is not a %(carrier)s tracking number") % {"tracking": tracking, "carrier": carrier.name}
    if Handoff.objects.filter(carrier=carrier, tracking_number=tracking).exists():
        return _("%(carrier)s tracking number %(tracking)s is already on another parcel") % {"tracking": tracking,
                                                                                            "carrier": carrier.name}
    return ""


def _already_handed_off(shipment: Shipment) -> str:
    handoff = Handoff.objects.filter(shipment=shipment).select_related("carrier").first()
    if handoff is None:
        return ""
    return _("already handed off to %(carrier)s (%(tracking)s)") % {"carrier": handoff.carrier.name,
                                                                    "tracking": handoff.tracking_number}


class _Undo(Exception):
    """Raised inside the hand-off's transaction to roll the custody move back, with the reason."""


def _hand_off(*, cfs, actor: Actor, user, shipment: Shipment, carrier: Carrier, tracking: str, method: str) -> HandedOff:
    """Move the parcel to handed_off and record the carrier's tracking number, both or neither.

    The lifecycle decides first, so a parcel that may not leave is refused for that reason
    (not released, on hold, not broken down) even when its label is wrong too.
    """
    problem = _already_handed_off(shipment)
    if problem:
        return HandedOff(shipment, refusal=problem)
    message = _("Handed off to %(carrier)s, tracking number %(tracking)s, at %(where)s") % {
        "carrier": carrier.name, "tracking": tracking, "where": _where(cfs)}
    data = {**_place(cfs), "carrier": carrier.name, "carrier_id": carrier.pk, "tracking": tracking, "method": method}
    try:
        with transaction.atomic():
            outcome = lifecycle.shipments_hand_off([shipment.pk], actor=actor, message=message, data=data)
            if not outcome.ok:
                return HandedOff(shipment, refusal=outcome.refused[shipment.pk])
            problem = _tracking_problem(carrier, tracking)
            if problem:
                raise _Undo(problem)
            handoff = Handoff.objects.create(shipment=shipment, cfs=cfs, carrier=carrier, tracking_number=tracking, method=method,
                                             handed_by=user)
    except _Undo as undo:
        return HandedOff(shipment, refusal=str(undo))
    except IntegrityError:  # the same tracking number or parcel, handed off a moment ago by someone else
        return HandedOff(shipment, refusal=_("%(carrier)s tracking number %(tracking)s is already on another parcel") % {
            "tracking": tracking, "carrier": carrier.name})
    shipment.custody = C.HANDED_OFF  # what the database now says, for the caller's page
    return HandedOff(shipment, handoff=handoff)


def _carrier(cfs, carrier_id) -> Carrier | None:
    number = id_or_none(carrier_id)
    return carriers_for(cfs).filter(pk=number).first() if number is not None else None


def carrier_scan_code(carrier: Carrier) -> str:
    """What scanning or typing in the scan field chooses this carrier (UPS, FEDEX, DHL, USPS), and what its barcode on the
    scan page holds; empty for a code in another script, which Code 128 cannot print (that carrier is tapped)."""
    return scan_normalize(carrier.code)


def _carrier_scanned(cfs, code: str) -> Carrier | None:
    """The station's carrier whose code or name was scanned (the shortest tracking number is longer than any of these)."""
    if not code:
        return None
    return next((carrier for carrier in carriers_for(cfs)
                 if code in {carrier_scan_code(carrier), scan_normalize(carrier.name)} - {""}), None)


@retry_on_conflict
def shipment_hand_off(*, cfs, user, shipment_id: int, carrier_id: int, tracking_number: str,
                      method: str = Handoff.Method.SELECTION) -> HandedOff:
    """Give one parcel to a carrier with its tracking number; refused, with the reason, unless it may leave."""
    shipment = station_shipments(cfs, cfs).filter(pk=shipment_id).first()
    if shipment is None:
        return HandedOff(None, refusal=_("no such HAWB at this station"))
    carrier = _carrier(cfs, carrier_id)
    if carrier is None:
        return HandedOff(shipment, refusal=_("choose the carrier"))
    return _hand_off(cfs=cfs, actor=_actor(cfs, user), user=user, shipment=shipment, carrier=carrier,
                     tracking=scan_normalize(tracking_number), method=method)


@retry_on_conflict
def shipments_hand_off_select(*, cfs, user, carrier_id: int, tracking_by_shipment: dict[int, str]) -> list[HandedOff]:
    """Hand off the parcels chosen on the ready list to one carrier, each with the tracking number typed next to it.

    The carrier and the parcels are looked up once; each hand-off is its own transaction, so
    that a refused parcel leaves the others handed off.
    """
    carrier = _carrier(cfs, carrier_id)
    if carrier is None:
        raise CfsError(_("Choose the carrier."))
    found = station_shipments(cfs, cfs).in_bulk([int(i) for i in tracking_by_shipment])
    actor = _actor(cfs, user)
    return [_hand_off(cfs=cfs, actor=actor, user=user, shipment=found[int(shipment_id)], carrier=carrier,
                      tracking=scan_normalize(tracking), method=Handoff.Method.SELECTION)
            if int(shipment_id) in found else HandedOff(None, refusal=_("One of the parcels chosen is not at this station."))
            for shipment_id, tracking in tracking_by_shipment.items()]


@dataclass
class Scan:
    """What one scan did. state: ok (handed off), wait (HAWB accepted: scan its tracking number; or a carrier chosen),
    bad (refused). carrier: the carrier the scan chose, when it was a carrier's name. elsewhere: the MAWBs a HAWB scanned on
    another MAWB's scan page is on (the page offers their scan pages)."""

    state: str
    message: str
    pending: Shipment | None = None
    result: HandedOff | None = None
    carrier: Carrier | None = None
    elsewhere: list[Manifest] = field(default_factory=list)


def _find_hawb(cfs, code: str, *, manifest_id: int | None) -> list[Shipment]:
    found = station_shipments(cfs, cfs).filter(hawb=code).select_related("manifest")
    if manifest_id:
        found = found.filter(manifest_id=manifest_id)
    found = list(found)
    live = [s for s in found if s.status != S.CANCELLED]
    return live or found


def _scan_hawb_elsewhere(cfs, code: str) -> Scan:
    """A HAWB not on the MAWB whose scan page this is: which MAWB of the station it is on, so that the operator takes the
    parcel to that MAWB's scan (it is not handed off from here); unknown when the station has no such HAWB."""
    manifests = sorted({s.manifest for s in _find_hawb(cfs, code, manifest_id=None)}, key=lambda m: (m.mawb, m.pk))
    if not manifests:
        return Scan("bad", _("%(code)s: no such HAWB at this station") % {"code": code})
    if len(manifests) > 1:
        return Scan("bad", _("HAWB %(hawb)s is on MAWBs %(mawbs)s, not this one: open the scan of the MAWB the parcel is "
                             "on") % {"hawb": code, "mawbs": ", ".join(str(m) for m in manifests)}, elsewhere=manifests)
    return Scan("bad", _("HAWB %(hawb)s is on MAWB %(mawb)s, not this one: open that MAWB's scan, or the station's scan "
                         "page") % {"hawb": code, "mawb": manifests[0]}, elsewhere=manifests)


def _scan_hawb(cfs, code: str, *, manifest_id: int | None) -> Scan:
    if not code:
        return Scan("bad", _("Scan or type the HAWB."))
    found = _find_hawb(cfs, code, manifest_id=manifest_id)
    if not found and manifest_id:
        return _scan_hawb_elsewhere(cfs, code)
    if not found:
        return Scan("bad", _("%(code)s: no such HAWB at this station") % {"code": code})
    if len(found) > 1:
        return Scan("bad", _("HAWB %(hawb)s is on several MAWBs (%(mawbs)s): scan from the MAWB's own scan page") % {
            "hawb": code, "mawbs": ", ".join(str(s.manifest) for s in found)})
    shipment = found[0]
    refusal = _already_handed_off(shipment)
    if not refusal:
        blockers = handoff_blockers(shipment)
        if blockers:
            refusal = "; ".join(blockers)
    if refusal:
        return Scan("bad", _("HAWB %(hawb)s may not be handed off: %(reason)s (%(status)s, %(custody)s)") % {
            "hawb": shipment.hawb, "reason": refusal, "status": shipment.get_status_display(),
            "custody": shipment.get_custody_display()})
    return Scan("wait", _("HAWB %(hawb)s may go: now scan its tracking number") % {"hawb": shipment.hawb}, pending=shipment)


@retry_on_conflict
def shipment_hand_off_scan(*, cfs, user, code: str, pending_id: int | None, carrier_id: int | None,
                           manifest_id: int | None = None) -> Scan:
    """One scan on the hand-off screen: a HAWB, then its tracking number; or a carrier's name, which chooses the carrier.

    With no HAWB pending, the scan is a HAWB: refused at once (saying which condition is
    missing) or kept pending. With one pending, the scan is its tracking number, and the
    parcel is handed off to the chosen carrier. Another HAWB of the station scanned then is
    refused and the pending HAWB keeps waiting for its label: the operator is looking at the
    parcel in hand, and a stray scan of the next parcel's HAWB must not put this parcel's
    label on that one. Esc (Start over) is how to leave a parcel for another.
    """
    code = scan_normalize(code)
    pending = station_shipments(cfs, cfs).filter(pk=pending_id).first() if pending_id else None
    if (chosen := _carrier_scanned(cfs, code)) is not None:  # from the carrier card at the station, or typed
        if pending is None:
            return Scan("wait", _("Carrier: %(carrier)s. Scan a HAWB.") % {"carrier": chosen.name}, carrier=chosen)
        return Scan("wait", _("Carrier: %(carrier)s. Now scan the %(carrier)s tracking label of HAWB %(hawb)s") % {
            "carrier": chosen.name, "hawb": pending.hawb}, pending=pending, carrier=chosen)
    if pending is None:
        return _scan_hawb(cfs, code, manifest_id=manifest_id)
    if not code or code == pending.hawb:
        return Scan("wait", _("HAWB %(hawb)s may go: now scan its tracking number") % {"hawb": pending.hawb}, pending=pending)
    carrier = _carrier(cfs, carrier_id)
    if carrier is None:
        return Scan("bad", _("Choose the carrier, then scan the tracking number of HAWB %(hawb)s again") % {"hawb": pending.hawb},
                    pending=pending)
    if _find_hawb(cfs, code, manifest_id=None):  # any HAWB of the station, also one of another MAWB than the page's
        return Scan("bad", _("HAWB %(code)s is a parcel, not a tracking label: scan the %(carrier)s tracking label of HAWB "
                             "%(hawb)s, or press Esc to start over") % {"code": code, "carrier": carrier.name,
                                                                        "hawb": pending.hawb}, pending=pending)
    problem = _tracking_problem(carrier, code)
    if problem:
        return Scan("bad", _("%(problem)s: scan the tracking number of HAWB %(hawb)s again") % {"problem": problem,
                                                                                            "hawb": pending.hawb}, pending=pending)
    result = _hand_off(cfs=cfs, actor=_actor(cfs, user), user=user, shipment=pending, carrier=carrier, tracking=code,
                       method=Handoff.Method.SCAN)
    if not result.ok:
        return Scan("bad", _("HAWB %(hawb)s may not be handed off: %(reason)s") % {"hawb": pending.hawb, "reason": result.refusal},
                    result=result)
    return Scan("ok", _("HAWB %(hawb)s handed off to %(carrier)s, tracking number %(tracking)s") % {
        "hawb": pending.hawb, "carrier": carrier.name, "tracking": code}, result=result)


# --- Hand-off from a CSV file -------------------------------------------------------------------


@dataclass
class CsvLine:
    line: int
    hawb: str
    carrier: str
    tracking: str
    result: HandedOff | None = None
    refusal: str = ""

    earlier: bool = False  # handed off with this carrier and tracking number by an earlier run of the same file

    @property
    def ok(self) -> bool:
        return self.earlier or (self.result is not None and self.result.ok)


@dataclass
class CsvReport:
    lines: list[CsvLine] = field(default_factory=list)
    error: str = ""

    @property
    def handed_off(self) -> int:
        return sum(1 for line in self.lines if line.ok)

    @property
    def refused(self) -> int:
        return len(self.lines) - self.handed_off


def _csv_text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CfsError(_("The file is not text (UTF-8 expected)."))


def _csv_rows(content: bytes) -> list[tuple[int, dict[str, str]]]:
    if len(content) > CSV_MAX_BYTES:
        raise CfsError(_("The file is larger than 2 MB; split it."))
    text = _csv_text(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise CfsError(_("The file is empty."))
    columns = [CSV_COLUMNS.get(re.sub(r"[\s-]+", "_", h.strip().lower())) for h in header]
    missing = [name for name in ("hawb", "carrier", "tracking") if name not in columns]
    if missing:
        raise CfsError(_("The first line must name the columns hawb, carrier and tracking_number (missing: %(missing)s).")
                       % {"missing": ", ".join(missing)})
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {name: cell.strip() for name, cell in zip(columns, cells, strict=False) if name}))
        if len(rows) > CSV_MAX_ROWS:
            raise CfsError(_("The file has more than %(max)s lines; split it.") % {"max": CSV_MAX_ROWS})
    return rows


def _same_hand_off_done(shipment: Shipment, carrier: Carrier, tracking: str) -> bool:
    """The parcel went to this carrier with this tracking number already (by an earlier or a parallel run of a file)."""
    return Handoff.objects.filter(shipment=shipment, carrier=carrier, tracking_number=tracking).exists()


def handoffs_from_csv(*, cfs, user, content: bytes, progress: Callable[[int, int], None] | None = None) -> CsvReport:
    """Hand off the parcels a CSV file lists (hawb, carrier, tracking_number; mawb optional), each line on its own.

    The parcels and carriers are looked up in one query each; each hand-off is then its own
    transaction, so that a refused line (not released, on hold, not broken down) leaves the others done.
    `progress(lines worked, lines)` is called every PROGRESS_EVERY lines and at the end.
    """
    try:
        rows = _csv_rows(content)
    except CfsError as error:
        return CsvReport(error=error.message)
    carriers = list(carriers_for(cfs))
    by_name = {key: c for c in carriers for key in (c.code.lower(), c.name.lower())}
    hawbs = {scan_normalize(row.get("hawb", "")) for _n, row in rows}
    candidates: dict[str, list[Shipment]] = defaultdict(list)
    for shipment in station_shipments(cfs, cfs).filter(hawb__in=hawbs).select_related("manifest"):
        candidates[shipment.hawb].append(shipment)
    actor = _actor(cfs, user)
    report = CsvReport()
    done: dict[int, int] = {}
    for index, (number, row) in enumerate(rows):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, len(rows))
        hawb, mawb = scan_normalize(row.get("hawb", "")), scan_normalize(row.get("mawb", ""))
        line = CsvLine(number, hawb, row.get("carrier", ""), scan_normalize(row.get("tracking", "")))
        report.lines.append(line)
        found = [s for s in candidates.get(hawb, []) if not mawb or s.mawb == mawb]
        live = [s for s in found if s.status != S.CANCELLED] or found
        carrier = by_name.get(line.carrier.lower())
        if not hawb:
            line.refusal = _("no HAWB on this line")
        elif not live:
            line.refusal = _("no such HAWB at this station")
        elif len(live) > 1:
            line.refusal = _("HAWB %(hawb)s is on several MAWBs: add a mawb column") % {"hawb": hawb}
        elif carrier is None:
            line.refusal = _("unknown carrier %(carrier)s") % {"carrier": line.carrier or "—"}
        elif not line.tracking:
            line.refusal = _("no tracking number on this line")
        elif live[0].pk in done:
            line.refusal = _("already handed off on line %(line)s") % {"line": done[live[0].pk]}
        elif _same_hand_off_done(live[0], carrier, line.tracking):
            line.earlier = True  # the same line, done by an earlier run of this file (a retry after a crash)
            done[live[0].pk] = number
        else:
            line.result = _hand_off(cfs=cfs, actor=actor, user=user, shipment=live[0], carrier=carrier, tracking=line.tracking,
                                    method=Handoff.Method.CSV)
            line.refusal = line.result.refusal
            if not line.result.ok and _same_hand_off_done(live[0], carrier, line.tracking):
                # Another run of this file (a retried task beside one still working) did this line while we waited
                # for the parcel's lock: the line is done, not refused.
                line.result, line.refusal, line.earlier = None, "", True
            if line.ok:
                done[live[0].pk] = number
    if progress is not None:
        progress(len(rows), len(rows))
    return report


def handoff_batch_create(*, cfs, user, content: bytes) -> HandoffBatch:
    """Store a CSV of hand-offs and queue its work (for files too long to wait for in a request)."""
    from calista.queueing import enqueue
    from cfs.tasks import handoff_batch_task

    batch = HandoffBatch.objects.create(cfs=cfs, uploaded_by=user, content=content, language=translation.get_language() or "")
    enqueue(handoff_batch_task, batch.pk)
    return batch


def handoff_batch_run(*, batch_id: int) -> HandoffBatch | None:
    """Work a batch; a batch cut short by a crash is worked again from the top, and lines already done stay done.

    Its progress is kept in the cache while it works (handoff_batch_progress_get); its report, with the reason
    of every refused line in the uploader's language, on the batch when it is done.
    """
    batch = HandoffBatch.objects.select_related("cfs", "uploaded_by").get(pk=batch_id)
    if batch.state == HandoffBatch.State.DONE:
        return None
    HandoffBatch.objects.filter(pk=batch.pk).update(state=HandoffBatch.State.PROCESSING, started_at=timezone.now())

    def progress(done: int, total: int) -> None:
        progress_set("handoff_batch", batch.pk, phase="work", done=done, total=total)

    with translation.override(batch.language or None):
        report = handoffs_from_csv(cfs=batch.cfs, user=batch.uploaded_by, content=bytes(batch.content), progress=progress)
        lines = [{"line": line.line, "hawb": line.hawb, "carrier": line.carrier, "tracking": line.tracking, "ok": line.ok,
                  "refusal": str(line.refusal)} for line in report.lines]
    HandoffBatch.objects.filter(pk=batch.pk).update(state=HandoffBatch.State.DONE, finished_at=timezone.now(), report=lines,
                                                    error=report.error, handed_off=report.handed_off, refused=report.refused)
    return batch


def handoff_batch_progress_get(batch: HandoffBatch) -> dict:
    """How far a batch has come: lines worked and lines in all (none known before its worker starts, or without a cache)."""
    state = progress_get("handoff_batch", batch.pk)
    return {"done": state.get("work_done", 0), "total": phase_total(state, "work"), "percent": percent(state, "work")}


def handoff_batches_recover(*, older_than) -> list[int]:
    """Queue again the batches whose worker died (queued or processing for longer than `older_than`)."""
    from cfs.tasks import handoff_batch_task

    cutoff = timezone.now() - older_than
    stuck = list(HandoffBatch.objects.filter(state__in=[HandoffBatch.State.QUEUED, HandoffBatch.State.PROCESSING],
                                             created_at__lte=cutoff).values_list("id", flat=True)[:50])
    for batch_id in stuck:
        handoff_batch_task.delay(batch_id)
    return stuck


# --- Demo traffic -----------------------------------------------------------------------------

DEMO_CARRIERS = ("ups", "fedex", "dhl", "usps")


def _demo_tracking(carrier: Carrier, shipment: Shipment, cfs) -> str:
    digits = str(int(hashlib.sha256(f"{carrier.code}:{shipment.pk}:{shipment.hawb}".encode()).hexdigest(), 16))
    return {
        "ups": f"1Z{cfs.firms_code}{digits[:12]}",
        "fedex": digits[:12],
        "dhl": digits[:10],
        "usps": f"9{digits[:21]}",
    }[carrier.code]


@dataclass
class SimulationStep:
    collected: int = 0
    received: int = 0
    broken_down: int = 0
    back_from_exam: int = 0
    handed_off: int = 0


def cfs_simulate_step(*, cfs, now: datetime) -> SimulationStep:
    """Do what the station's staff would do next with demo traffic, as far as customs allows today.

    Collect every MAWB with a permit to transfer (one truck run), receive each with the
    pieces the manifest announces, break it down, bring back from exam the parcels CBP has
    since released, and hand every released parcel to one of the national carriers with a
    made-up tracking number of that carrier's shape (chosen by the HAWB, so a run repeats).
    Safe to call again: what is done is not done twice. `now` dates the truck run.
    """
    step = SimulationStep()
    manifests = station_manifests(cfs, cfs)
    to_collect = list(manifests.filter(custody=C.TRANSFER_AUTHORIZED).values_list("pk", flat=True))
    if to_collect:
        truck = f"DEMO-{cfs.airport}-{clocks.airport_date(cfs.airport, now):%m%d}"
        collected = manifests_collect_record(cfs=cfs, user=None, manifest_ids=to_collect, driver=_("Demo driver"),
                                             truck=truck, bonded_carrier=_("Demo bonded trucking"))
        step.collected = len(collected.outcome.moved)
    for manifest in manifests.filter(custody=C.IN_TRANSIT):
        try:
            manifest_arrival_record(cfs=cfs, user=None, manifest_id=manifest.pk, pieces_received=manifest.pieces_expected)
            step.received += 1
        except CfsError:  # received by the staff meanwhile
            pass
    for manifest_id in manifests.filter(custody=C.AT_CFS).values_list("pk", flat=True):
        try:
            manifest_breakdown(cfs=cfs, user=None, manifest_id=manifest_id)
            step.broken_down += 1
        except CfsError:
            pass
    shipments = station_shipments(cfs, cfs)
    examined = list(shipments.filter(custody=C.AT_EXAM, status=S.RELEASED, open_holds=0).values_list("pk", flat=True))
    if examined:
        step.back_from_exam = len(shipments_exam_return(cfs=cfs, user=None, shipment_ids=examined).moved)
    carriers = list(Carrier.objects.filter(cfs__isnull=True, code__in=DEMO_CARRIERS).order_by("code"))
    if not carriers:
        return step
    actor = _actor(cfs, None)
    for shipment in ready_for_hand_off(shipments).order_by("pk"):
        carrier = carriers[int(hashlib.sha256(shipment.hawb.encode()).hexdigest(), 16) % len(carriers)]
        result = _hand_off(cfs=cfs, actor=actor, user=None, shipment=shipment, carrier=carrier,
                           tracking=_demo_tracking(carrier, shipment, cfs), method=Handoff.Method.SIMULATION)
        step.handed_off += result.ok
    return step
