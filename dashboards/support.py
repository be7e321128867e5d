"""The support console: find any parcel by any number, and say in plain words where it stands and what happens next.

- `shipments_search`: one box for a HAWB, MAWB, entry number, carrier tracking number, consignee name,
  phone or e-mail. Numbers match whole (in any case, with or without separators); names and e-mails
  match in part and in any case (names without accents too: "pena" finds Peña; an e-mail with or without its @);
  a phone matches on its digits. Always scoped by accounts.access.
- `shipment_story`: both dimensions of status, the whole timeline of events and ACE messages, each
  explained in the reader's language (events are stored in English; this layer renders them from their
  data, the AceCode table and the holds and information requests), what happens next and who acts,
  and a status summary to paste into an answer to a customer.
- Internal notes (`note_add`, `notes_for`): the platform operator's only, never shown to a forwarder,
  broker or station. Support never changes a shipment: nothing here moves a status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import F, Func, Lookup, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from calista.db import Fold
from cfs.models import Handoff
from cfs.services import scan_normalize
from customs import review
from customs.ace.explain import code_table, explain
from customs.models import AceCode, AceMessage, Entry
from dashboards.models import SupportNote
from shipments.models import Custody, CustomsStatus, Manifest, Shipment, ShipmentEvent

S, C = CustomsStatus, Custody
SEARCH_LIMIT = 50
NOTE_LIMIT = 2_000
LANGUAGES = (("en", "English"), ("zh-hans", "中文"))

# --- Search -------------------------------------------------------------------------------------------------


class ContainsIgnoringCase(Lookup):
    """`lhs` contains the pattern in any case: ILIKE on PostgreSQL (where a trigram index serves it), LIKE elsewhere
    (SQLite's LIKE ignores case for ASCII letters). The right-hand side is a LIKE pattern, escaped by `like_pattern`."""

    lookup_name = "contains_ignoring_case"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{lhs} {operator} {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


def like_pattern(text: str) -> str:
    """%text%, with LIKE's own characters taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def phone_digits(expression) -> Func:
    """A phone number as digits only, as far as the usual separators go (the same SQL on PostgreSQL and SQLite)."""
    for separator in ("-", " ", "(", ")", "+", ".", "/"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression


@dataclass
class SearchResult:
    query: str
    shipments: list[Shipment] = field(default_factory=list)
    more: bool = False  # more matched than are shown: narrow the search
    matched_as: list[str] = field(default_factory=list)  # what the query was read as (HAWB, name …)
    hint: str = ""  # why nothing was looked for


# Numbers and names have indexes; phones and e-mails are matched on any part, which takes a scan of the table, so
# they are looked for only when no number or name matched (a MAWB is not searched among phone numbers too).
INDEXED, SCANNED = 1, 2


APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _lookups(query: str) -> list[tuple[str, Q, int]]:
    """What the query may be, each as a condition on a shipment (and how costly): only the kinds its shape allows."""
    compact = scan_normalize(query)  # capitals and digits, as numbers are stored
    digits = re.sub(r"\D", "", query)
    letters = re.search(r"[^\W\d_]", query) is not None
    conditions: list[tuple[str, Q, int]] = []
    if compact and compact.isalnum() and any(ch.isdigit() for ch in compact) and "@" not in query:
        if len(compact) <= 12:
            conditions.append((_("HAWB"), Q(hawb=compact), INDEXED))
        if len(compact) == 11 and compact.isdigit():
            conditions.append((_("MAWB"), Q(manifest_id__in=Manifest.objects.filter(mawb=compact).values("id")), INDEXED))
        if re.fullmatch(r"[A-Z0-9]{3}\d{8}", compact):
            conditions.append((_("entry number"), Q(entry_id__in=Entry.objects.filter(number=compact).values("id")), INDEXED))
        if len(compact) >= 8:
            conditions.append((_("tracking number"), Q(pk__in=Handoff.objects.filter(tracking_number=compact).values("shipment_id")),
                               INDEXED))
    if len(digits) >= 4 and not letters:
        candidates = {digits, digits[1:]} if len(digits) == 11 and digits.startswith("1") else {digits}
        condition = Q()
        for candidate in sorted(candidates):
            condition |= Q(ContainsIgnoringCase(phone_digits(F("consignee_phone")), Value(like_pattern(candidate))))
        conditions.append((_("phone"), condition, SCANNED))
    words = query.split()
    if "@" in query or (letters and len(words) == 1 and len(query.strip()) >= 3):  # any part: "campbell80", "@example.org"
        conditions.append((_("e-mail"), Q(ContainsIgnoringCase(F("consignee_email"), Value(like_pattern(query.strip())))), SCANNED))
    # A name's words are parted by spaces, commas, semicolons or slashes ("Lopez, Ana", as tickets write it, is "lopez ana"),
    # and a typographic apostrophe is the typewriter's that manifests use ("O’Brien" finds O'Brien).
    names = [word for word in re.split(r"[\s,;/]+", query.translate(APOSTROPHES)) if word]
    if letters and not digits and "@" not in query and any(len(word) >= 3 for word in names):
        condition = Q()
        for word in names:  # every word, in any order and without accents: "lopez ana" finds Ana López, "pena" Peña
            condition &= Q(ContainsIgnoringCase(Fold(F("consignee_name")), Fold(Value(like_pattern(word)))))
        conditions.append((_("consignee name"), condition, INDEXED))
    return conditions


def shipments_search(*, org, query: str, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Shipments `org` may see that match the query, newest arrival first; at most `limit`."""
    query = (query or "").strip()[:100]
    result = SearchResult(query=query)
    if not query:
        return result
    conditions = _lookups(query)
    if not conditions:
        result.hint = _("Type a HAWB, MAWB, entry or tracking number, or at least 3 letters of a name, or a phone or e-mail.")
        return result
    scoped = access.shipments_for(org)
    found: set[int] = set()
    for tier in (INDEXED, SCANNED):
        if found:
            break
        for label, condition, cost in conditions:
            if cost != tier:
                continue
            # Each kind on its own, unordered and limited, so that each uses its own index and stops early.
            ids = list(scoped.filter(condition).order_by().values_list("id", flat=True)[:limit + 1])
            if ids:
                result.matched_as.append(label)
            result.more = result.more or len(ids) > limit
            found.update(ids)
    result.more = result.more or len(found) > limit
    result.shipments = list(scoped.filter(pk__in=found).select_related("forwarder")
                            .order_by("-arrival_date", "mawb", "hawb")[:limit])
    return result


# --- Plain words for every state and event ---------------------------------------------------------------

WHO = {
    "broker": gettext_lazy("the customs broker"),
    "forwarder": gettext_lazy("the forwarder"),
    "cfs": gettext_lazy("the container freight station"),
    "cbp": gettext_lazy("CBP"),
    "carrier": gettext_lazy("the last-mile carrier"),
    "nobody": gettext_lazy("nobody: nothing more to do"),
}

# state: (what it means, what happens next, who acts next)
CUSTOMS_STATES = {
    S.RECEIVED: (gettext_lazy("The shipment was accepted from the forwarder's manifest and waits for the broker's review."),
                 gettext_lazy("The broker reviews the entry, then approves it or sends it back to the forwarder."), "broker"),
    S.APPROVED: (gettext_lazy("The broker approved the entry data."),
                 gettext_lazy("The entry is transmitted to CBP's ACE system."), "broker"),
    S.REJECTED: (gettext_lazy("The broker sent the shipment back to the forwarder."),
                 gettext_lazy("The forwarder corrects the data and sends it back for review."), "forwarder"),
    S.FILED: (gettext_lazy("The entry was transmitted to CBP (ACE)."),
              gettext_lazy("ACE answers: it accepts the entry or rejects it."), "cbp"),
    S.ACE_REJECTED: (gettext_lazy("ACE rejected the entry."),
                     gettext_lazy("The broker corrects the entry and files it again, or cancels it."), "broker"),
    S.ACCEPTED: (gettext_lazy("ACE accepted the entry; CBP is reviewing it."),
                 gettext_lazy("CBP releases the parcel, or places a hold or an exam."), "cbp"),
    S.ON_HOLD: (gettext_lazy("CBP has placed a hold on the parcel."),
                gettext_lazy("The broker answers the agency with the documents it asks for."), "broker"),
    S.RELEASED: (gettext_lazy("CBP released the parcel (all agencies)."),
                 gettext_lazy("The station hands the parcel to the last-mile carrier once it is broken down."), "cfs"),
    S.CANCELLED: (gettext_lazy("The shipment was cancelled."),
                  gettext_lazy("Nothing: the shipment was withdrawn."), "nobody"),
    S.SEIZED: (gettext_lazy("The goods were seized, refused admission or sent to general order."),
               gettext_lazy("Nothing more through the portal: CBP keeps the goods."), "nobody"),
}
CUSTODY_STATES = {
    C.AWAITING_ARRIVAL: (gettext_lazy("The flight has not arrived yet."),
                         gettext_lazy("The flight lands and the airline reports the arrival."), "cbp"),
    C.AT_TERMINAL: (gettext_lazy("The flight arrived: the consolidation is at the airline terminal."),
                    gettext_lazy("CBP grants the permit to transfer it to the station."), "cbp"),
    C.TRANSFER_AUTHORIZED: (gettext_lazy("CBP granted the permit to transfer the consolidation to the station."),
                            gettext_lazy("The station collects the consolidation at the terminal."), "cfs"),
    C.IN_TRANSIT: (gettext_lazy("The station collected the consolidation and is bringing it to its warehouse."),
                   gettext_lazy("The station receives it and counts the pieces."), "cfs"),
    C.AT_CFS: (gettext_lazy("The consolidation is in the station's bonded warehouse."),
               gettext_lazy("The station breaks it down into parcels."), "cfs"),
    C.BROKEN_DOWN: (gettext_lazy("The consolidation was broken down: the parcel is handled on its own."),
                    gettext_lazy("Once CBP has released it, the station hands it to the last-mile carrier."), "cfs"),
    C.AT_EXAM: (gettext_lazy("The parcel is at CBP's examination station."),
                gettext_lazy("CBP examines it; then it goes back to the station."), "cbp"),
    C.HANDED_OFF: (gettext_lazy("The parcel was handed to the last-mile carrier."),
                   gettext_lazy("The carrier delivers it to the consignee."), "carrier"),
}
HOLDS_BY = {  # who CBP holds a parcel for
    "FDA": gettext_lazy("CBP has placed an FDA hold (Food and Drug Administration)."),
    "USDA": gettext_lazy("CBP has placed a USDA hold (Department of Agriculture)."),
    "CPSC": gettext_lazy("CBP has placed a CPSC hold (Consumer Product Safety Commission)."),
    "FCC": gettext_lazy("CBP has placed an FCC hold (Federal Communications Commission)."),
}


# Who acts after a status notice, by what its code does (customs.models.AceCode.Effect).
NEXT_BY_EFFECT = {
    AceCode.Effect.RELEASE: "cfs", AceCode.Effect.HOLD: "broker", AceCode.Effect.EXAM: "cbp", AceCode.Effect.TRANSFER: "cfs",
    AceCode.Effect.ARRIVAL: "cbp", AceCode.Effect.ACCEPTED: "cbp", AceCode.Effect.REJECT: "broker", AceCode.Effect.INFO: "broker",
}


def _hold_sentence(agency: str) -> str:
    if agency in HOLDS_BY:
        return str(HOLDS_BY[agency])
    if agency and agency != "CBP":
        return _("CBP has placed a hold for %(agency)s.") % {"agency": agency}
    return _("CBP has placed a hold of its own.")


def _hold_removed_sentence(holds: list[tuple[str, str]], context: _Context, *, released: bool = False) -> str:
    """What a "hold removed" event says, from the (agency, code) of the holds it removed.

    released: the parcel had been released before the hold came, and is released again (customs.holds)."""
    agencies = list(dict.fromkeys(agency or "CBP" for agency, _code in holds))
    if released:
        if not holds:
            return _("The hold was removed; the shipment is released again.")
        if all(context.is_exam(code) for _agency, code in holds):
            return _("CBP finished the exam; the shipment is released again.")
        if len(agencies) == 1:
            return _("The %(agency)s hold was removed; the shipment is released again.") % {"agency": agencies[0]}
        return _("The %(agencies)s holds were removed; the shipment is released again.") % {"agencies": ", ".join(agencies)}
    if not holds:  # an old event whose hold is no longer known
        return _("The hold was removed; the entry is accepted again.")
    if all(context.is_exam(code) for _agency, code in holds):
        return _("CBP finished the exam; the entry is accepted again.")
    if len(agencies) == 1:
        return _("The %(agency)s hold was removed; the entry is accepted again.") % {"agency": agencies[0]}
    return _("The %(agencies)s holds were removed; the entry is accepted again.") % {"agencies": ", ".join(agencies)}


def _day(moment) -> str:
    return date_format(moment, "Y-m-d") if moment else ""


@dataclass
class Step:
    """One line of the timeline: an event or an ACE message, in plain words."""

    at: datetime
    kind: str  # "customs", "custody", "note" or "ace"
    title: str
    text: str
    next_step: str = ""
    who: str = ""
    codes: list[dict] = field(default_factory=list)
    stored: str = ""  # the event's message as stored (English), for the curious
    raw: str = ""  # the ACE message as sent or received
    actor: str = ""
    order: int = 0


@dataclass
class Situation:
    """Where a shipment stands now."""

    status: str
    status_label: str
    custody: str
    custody_label: str
    sentences: list[str]
    next_step: str
    who: str
    who_key: str


@dataclass
class Story:
    shipment: Shipment
    situation: Situation
    steps: list[Step]
    summaries: list[dict]  # the status summary in each language: {"language", "name", "text"}


class _Context:
    """What explaining a shipment needs, read once: codes, holds, information requests."""

    def __init__(self, shipment: Shipment):
        self.codes: dict[str, AceCode] = code_table()
        self.holds = list(shipment.holds.order_by("placed_at", "id"))
        self.holds_by_id = {h.pk: h for h in self.holds}
        self.requests = list(shipment.info_requests.order_by("asked_at", "id"))
        self.requests_by_id = {r.pk: r for r in self.requests}
        self.handoff = Handoff.objects.filter(shipment=shipment).select_related("carrier", "cfs").first()

    def holds_removed(self, event: ShipmentEvent, data: dict) -> list[tuple[str, str]]:
        """(agency, code) of each hold a "hold removed" event removed. ACE's notices name them in the event (`holds`), the
        broker's closing names its hold (`hold`); for older notices, the holds last removed by the time of the event."""
        if data.get("holds"):
            return [(h.get("agency", ""), h.get("code", "")) for h in data["holds"]]
        if data.get("hold") in self.holds_by_id:
            hold = self.holds_by_id[data["hold"]]
            return [(hold.agency, hold.code)]
        removed = [h for h in self.holds if h.removed_at is not None and h.removed_at <= event.at]
        last = max((h.removed_at for h in removed), default=None)
        return [(h.agency, h.code) for h in removed if h.removed_at == last]

    def is_exam(self, code: str) -> bool:
        known = self.codes.get(code)
        return known is not None and known.effect == AceCode.Effect.EXAM

    def agency(self, code: str) -> str:
        known = self.codes.get(code)
        return (known.agency if known else "") or "CBP"

    def explain(self, codes: list[str]) -> list[dict]:
        return explain([c for c in codes if c])


def _state(dimension: str, state: str) -> tuple[str, str, str]:
    table = CUSTOMS_STATES if dimension == ShipmentEvent.Dimension.CUSTOMS else CUSTODY_STATES
    meaning, next_step, who = table.get(state, ("", "", ""))
    return str(meaning), str(next_step), who


def _label(dimension: str, state: str) -> str:
    choices = CustomsStatus if dimension == ShipmentEvent.Dimension.CUSTOMS else Custody
    try:
        return str(choices(state).label)
    except ValueError:
        return state


def _customs_text(event: ShipmentEvent, data: dict, context: _Context) -> tuple[str, list[dict]]:
    state, code = event.to_state, data.get("code", "")
    meaning, _next, _who = _state(event.dimension, state)
    if state == S.REJECTED and data.get("reason"):
        return _("The broker sent the shipment back to the forwarder: %(reason)s") % {"reason": data["reason"]}, []
    if state == S.CANCELLED and data.get("reason"):
        return _("The shipment was cancelled: %(reason)s") % {"reason": data["reason"]}, []
    if state == S.FILED and data.get("entry"):
        number = data["entry"]
        return _("The entry %(entry)s was transmitted to CBP (ACE).") % {"entry": f"{number[:3]}-{number[3:10]}-{number[10:]}"}, []
    if state == S.ACE_REJECTED:
        codes = context.explain(list(data.get("codes", [])))
        reasons = "; ".join(f"{c['code']}: {c['meaning']}" for c in codes)
        return (_("ACE rejected the entry: %(reasons)s") % {"reasons": reasons} if reasons else meaning), codes
    if state == S.ON_HOLD:
        codes = context.explain([code])
        if context.is_exam(code):
            return _("CBP has ordered an exam: the parcel goes to the centralized examination station."), codes
        return _hold_sentence(context.agency(code) if code else ""), codes
    if state in (S.ACCEPTED, S.RELEASED) and (event.from_state == S.ON_HOLD or data.get("hold") or data.get("holds")):
        return (_hold_removed_sentence(context.holds_removed(event, data), context, released=state == S.RELEASED),
                context.explain([code]) if code else [])
    if state == S.SEIZED and data.get("hold") in context.holds_by_id:
        return _("The goods were seized after the %(agency)s hold.") % {"agency": context.holds_by_id[data["hold"]].agency}, []
    return meaning, context.explain([code]) if code else []


def _custody_text(event: ShipmentEvent, data: dict, context: _Context) -> tuple[str, list[dict]]:
    state = event.to_state
    meaning, _next, _who = _state(event.dimension, state)
    if state == C.TRANSFER_AUTHORIZED and data.get("firms"):
        return _("CBP granted the permit to transfer the consolidation to the station with FIRMS code %(firms)s.") % {
            "firms": data["firms"]}, context.explain(["07"])
    if state == C.IN_TRANSIT and data.get("bonded_carrier"):
        return _("The station collected the consolidation at the terminal (bonded carrier %(carrier)s, truck %(truck)s).") % {
            "carrier": data["bonded_carrier"], "truck": data.get("truck", "")}, []
    if state == C.HANDED_OFF and data.get("tracking"):
        return _("The parcel was handed to %(carrier)s, tracking number %(tracking)s.") % {
            "carrier": data.get("carrier", ""), "tracking": data["tracking"]}, []
    return meaning, []


def _note_text(event: ShipmentEvent, data: dict, context: _Context) -> tuple[str, str, str]:
    """(text, next step, who acts) of a note on the timeline."""
    request = context.requests_by_id.get(data.get("info_request"))
    if request is not None:
        if event.organization_id == request.forwarder_id:
            return _("The forwarder answered the broker: “%(answer)s”") % {"answer": request.answer}, "", ""
        return (_("The broker asked the forwarder: “%(question)s” (answer by %(deadline)s).") % {
            "question": request.question, "deadline": _day(request.deadline)},
            _("The forwarder answers the broker's question."), "forwarder")
    if "field" in data:
        return _("%(field)s corrected from “%(old)s” to “%(new)s”.") % {
            "field": data["field"], "old": data.get("old", ""), "new": data.get("new", "")}, "", ""
    if "entry_type" in data:
        old, new = (list(data["entry_type"]) + ["", ""])[:2]
        return _("The entry decision changed from Type %(old)s to Type %(new)s.") % {"old": old, "new": new}, "", ""
    if data.get("hold") in context.holds_by_id:
        return _("Work on the %(agency)s hold: %(note)s") % {
            "agency": context.holds_by_id[data["hold"]].agency, "note": event.message}, "", ""
    if data.get("code"):
        item = context.explain([data["code"]])[0]
        return item["meaning"], item["next_step"], ""
    return event.message, "", ""


def _event_step(event: ShipmentEvent, context: _Context) -> Step:
    data = event.data if isinstance(event.data, dict) else {}
    actor = event.actor_display
    if event.dimension == ShipmentEvent.Dimension.NOTE:
        text, next_step, who = _note_text(event, data, context)
        return Step(at=event.at, kind="note", title=_("Note"), text=text, next_step=next_step, who=str(WHO.get(who, "")),
                    stored=event.message, actor=actor)
    explain_text = _customs_text if event.dimension == ShipmentEvent.Dimension.CUSTOMS else _custody_text
    text, codes = explain_text(event, data, context)
    _meaning, next_step, who = _state(event.dimension, event.to_state)
    known = [c for c in codes if c["next_step"]]
    if known and event.to_state in (S.ON_HOLD, S.ACE_REJECTED):
        # The code says precisely what happens next, and so who acts (an exam is CBP's, not the broker's).
        next_step, who = known[0]["next_step"], NEXT_BY_EFFECT.get(known[0]["effect"], who)
    return Step(at=event.at, kind=event.dimension, title=f"{event.get_dimension_display()}: {_label(event.dimension, event.to_state)}",
                text=text, next_step=next_step, who=str(WHO.get(who, "")), codes=codes, stored=event.message, actor=actor)


def _ace_step(item: dict, shipment: Shipment) -> Step:
    message: AceMessage = item["message"]
    codes = item["codes"]
    entry = message.entry.display_number if message.entry else ""
    if message.direction == AceMessage.Direction.OUT:
        text = _("The entry %(entry)s was transmitted to ACE.") % {"entry": entry}
        next_step, who = _("ACE answers: it accepts the entry or rejects it."), "cbp"
    elif message.kind == AceMessage.Kind.REPLY and not codes:
        text = _("ACE accepted the entry %(entry)s.") % {"entry": entry}
        next_step, who = _("CBP releases the parcel, or places a hold or an exam."), "cbp"
    elif message.kind == AceMessage.Kind.REPLY:
        text = _("ACE rejected the entry %(entry)s: %(reasons)s") % {
            "entry": entry, "reasons": "; ".join(f"{c['code']}: {c['meaning']}" for c in codes)}
        next_step, who = codes[0]["next_step"], "broker"
    else:
        subject = entry or (shipment.manifest.mawb_display if message.manifest_id == shipment.manifest_id else "")
        text = _("CBP's status notice for %(subject)s:") % {"subject": subject} if subject else _("CBP's status notice:")
        next_step = codes[0]["next_step"] if codes else ""
        who = NEXT_BY_EFFECT.get(codes[0]["effect"], "") if codes else ""
    title = f"{_('ACE')}: {message.get_direction_display()} · {message.get_kind_display()}"
    return Step(at=message.at, kind="ace", title=title, text=text, next_step=next_step, who=str(WHO.get(who, "")), codes=codes,
                raw=item["raw"], order=1)


def _situation(shipment: Shipment, context: _Context) -> Situation:
    """Where the shipment stands, what happens next and who acts: holds and questions first, then the status."""
    status_meaning, next_step, who = _state(ShipmentEvent.Dimension.CUSTOMS, shipment.status)
    custody_meaning, custody_next, custody_who = _state(ShipmentEvent.Dimension.CUSTODY, shipment.custody)
    sentences = []
    open_holds = [h for h in context.holds if h.removed_at is None]
    if open_holds:
        for hold in open_holds:
            if context.is_exam(hold.code) and shipment.custody == C.AT_EXAM:  # the custody sentence below says so
                sentence = _("CBP has ordered an exam.")
            elif context.is_exam(hold.code):  # CBP examines only what is presented (customs/ace/simulator.py)
                sentence = _("CBP has ordered an exam: it waits for the station to bring the parcel to the exam station, "
                             "and nothing is released before.")
            else:
                sentence = _hold_sentence(hold.agency)
                item = context.explain([hold.code])[0] if hold.code else None
                if item and item["meaning"] != hold.code:
                    sentence += " " + item["meaning"]
            sentences.append(sentence + " " + _("(since %(day)s)") % {"day": _day(hold.placed_at)})
        next_step, who = _hold_next_step(open_holds[0], shipment, context, default=next_step)
    else:
        sentences.append(status_meaning)
    questions = [r for r in context.requests if r.is_open]
    for request in questions:
        sentences.append(_("The broker has asked the forwarder: “%(question)s” (answer by %(deadline)s).") % {
            "question": request.question, "deadline": _day(request.deadline)})
    if shipment.status == S.ACE_REJECTED:
        codes = review.ace_rejection_codes([shipment.pk]).get(shipment.pk, [])
        explained = context.explain(codes)
        if explained:
            sentences.append("; ".join(f"{c['code']}: {c['meaning']}" for c in explained))
            next_step = explained[0]["next_step"] or next_step
    sentences.append(custody_meaning)
    if shipment.custody == C.HANDED_OFF and context.handoff:
        sentences.append(_("Carrier %(carrier)s, tracking number %(tracking)s.") % {
            "carrier": context.handoff.carrier.name, "tracking": context.handoff.tracking_number})
    if questions:
        next_step, who = _("The forwarder answers the broker's question; then the broker goes on."), "forwarder"
    elif shipment.status == S.RELEASED and not open_holds:  # customs is done: the way through the station is what is left
        next_step, who = custody_next, custody_who
    return Situation(status=shipment.status, status_label=shipment.get_status_display(), custody=shipment.custody,
                     custody_label=shipment.get_custody_display(), sentences=[s for s in sentences if s], next_step=next_step,
                     who=str(WHO.get(who, "")), who_key=who)


def _hold_next_step(hold, shipment: Shipment, context: _Context, *, default: str) -> tuple[str, str]:
    """(next step, who acts) while a hold is open. An exam is CBP's once the parcel is at the exam station; until then
    the station has to bring it there. Any other hold waits for the broker's answer to the agency."""
    step = context.explain([hold.code])[0] if hold.code else None
    if context.is_exam(hold.code):
        if shipment.custody == C.AT_EXAM:
            _meaning, at_exam_next, at_exam_who = _state(ShipmentEvent.Dimension.CUSTODY, C.AT_EXAM)
            return at_exam_next, at_exam_who
        return (step["next_step"] or default), "cfs"
    return (step["next_step"] if step and step["next_step"] else default), "broker"


def _summary(shipment: Shipment, situation: Situation) -> str:
    """The status summary to paste into an answer to a customer."""
    flight = {"hawb": shipment.hawb, "mawb": shipment.manifest.mawb_display, "consignee": shipment.consignee_name,
              "flight": shipment.flight_number, "origin": shipment.origin_airport, "destination": shipment.destination_airport,
              "day": _day(shipment.arrived_on or shipment.arrival_date)}
    lines = [
        # The day the flight landed once it has (it may differ from the manifest's), the scheduled day until then.
        (_("HAWB %(hawb)s (MAWB %(mawb)s) for %(consignee)s, flight %(flight)s %(origin)s → %(destination)s, landed %(day)s.")
         if shipment.arrived_on else
         _("HAWB %(hawb)s (MAWB %(mawb)s) for %(consignee)s, flight %(flight)s %(origin)s → %(destination)s, arriving %(day)s.")) % flight,
        _("Customs: %(status)s. Custody: %(custody)s.") % {"status": situation.status_label, "custody": situation.custody_label},
        *situation.sentences,
    ]
    if situation.next_step:
        lines.append(_("Next: %(next)s Who acts: %(who)s.") % {"next": situation.next_step, "who": situation.who})
    return "\n".join(lines)


def shipment_story(*, shipment: Shipment, language: str | None = None) -> Story:
    """The shipment explained in `language` (default: the active one), with its status summary in every language."""
    language = language or translation.get_language() or "en"
    context = _Context(shipment)
    with translation.override(language):
        events = list(shipment.events.select_related("user", "api_key").order_by("at", "id"))
        steps = [_event_step(event, context) for event in events]
        steps += [_ace_step(item, shipment) for item in review.ace_messages_for_shipment(shipment)]
        steps.sort(key=lambda step: (step.at, step.order))
        situation = _situation(shipment, context)
    summaries = []
    for code, name in LANGUAGES:
        with translation.override(code):
            summaries.append({"language": code, "name": name, "text": _summary(shipment, _situation(shipment, context))})
    return Story(shipment=shipment, situation=situation, steps=steps, summaries=summaries)


def event_sentences(*, shipment: Shipment, events: list[ShipmentEvent]) -> dict[int, str]:
    """Each event of the shipment's timeline in plain words of the active language (events are stored in English)."""
    context = _Context(shipment)
    return {event.pk: _event_step(event, context).text for event in events}


def status_summary(*, shipment: Shipment, language: str) -> str:
    """The copyable status summary alone, in one language."""
    context = _Context(shipment)
    with translation.override(language):
        return _summary(shipment, _situation(shipment, context))


# --- Internal notes -------------------------------------------------------------------------------------------


class NoteError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def notes_for(*, org, shipment: Shipment) -> QuerySet:
    """The internal notes on a shipment: the operator's eyes only (none for anyone else)."""
    if org is None or not org.is_operator:
        return SupportNote.objects.none()
    return SupportNote.objects.filter(shipment=shipment).select_related("author")


def note_add(*, org, user, shipment_id: int, text: str) -> SupportNote:
    """A support agent's internal note on a shipment the operator may see; it changes nothing of the shipment."""
    if org is None or not org.is_operator:
        raise PermissionDenied
    shipment = access.shipments_for(org).get(pk=shipment_id)
    text = (text or "").strip()
    if not text:
        raise NoteError(_("Please write the note."))
    if len(text) > NOTE_LIMIT:
        raise NoteError(_("Please keep the note under %(limit)s characters.") % {"limit": NOTE_LIMIT})
    return SupportNote.objects.create(shipment=shipment, author=user, text=text)
