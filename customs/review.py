"""Broker review and the work that follows filing: the services behind the broker's workbench and the forwarder's replies.

- Review: approve, reject (with a reason) or cancel one shipment, a selection or a whole MAWB;
  big selections run as a Celery task that reports progress (`bulk_start`, `bulk_run`).
  Approval queues filing when the broker files on approval (`Organization.auto_file`).
- Corrections: one field at a time, checked by the same checks as an upload, kept on the
  timeline as a note {"field", "old", "new"}; the decision is then made again (`decisions_recompute`).
- Information requests: the broker asks with a deadline, the forwarder answers; each side is told.
- ACE rejections (re-filing) and holds (actions, released or seized) as work.
- Reading: the queues, their filters, and every ACE message of a shipment, explained.

Status is never written here: every move goes through shipments.lifecycle. Views pass ids that
they looked up through accounts.access; `selection_resolve` does that for selections.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from accounts import access
from accounts.models import Organization
from calista import clocks
from calista.db import retry_on_conflict
from calista.i18n import Text
from calista.params import is_id
from calista.queueing import enqueue
from customs import filing, holds, policy
from customs.ace.explain import explain
from customs.models import AceMessage, Entry, Hold, HoldAction, InfoRequest
from customs.notify import organization_notify, shipments_notify
from customs.services import decisions_refresh, estimates_refresh
from shipments import lifecycle
from shipments.ingest.checks import check_table
from shipments.ingest.codes import message_for
from shipments.ingest.columns import COLUMNS
from shipments.ingest.reader import Table
from shipments.models import CustomsStatus, EntryType, Shipment, ShipmentEvent
from shipments.progress import progress_get, progress_set

S = CustomsStatus

# Where a decision may still be made again: before filing, or after ACE refused the filing.
RECOMPUTED = (S.RECEIVED, S.REJECTED, S.APPROVED, S.ACE_REJECTED)
BROKER_CORRECTS = (S.RECEIVED, S.APPROVED, S.ACE_REJECTED)
FORWARDER_CORRECTS = (S.RECEIVED, S.REJECTED)
FORWARDER_CANCELS = (S.RECEIVED, S.REJECTED, S.APPROVED)
CLOSED = (S.CANCELLED, S.SEIZED, S.RELEASED)

SELECTION_LIMIT = 500  # ids a form may post; the queue shows 100 a page
BULK_LIMIT = 25_000  # shipments one bulk action may touch (a big MAWB is 10,000)
BULK_CHUNK = 1_000  # shipments moved per transaction in a bulk task, between progress reports
BULK_ACTIONS = ("approve", "reject", "cancel")
TEXT_LIMIT = 2_000  # reasons, questions, answers and notes

ENTRY_TYPE = "entry_type"
# Entry types a broker may choose for each decision: a stricter entry is always lawful, a laxer one never.
ALLOWED_ENTRY_TYPES = {"86": ("86", "11", "01"), "11": ("11", "01"), "01": ("01",)}


class ReviewError(Exception):
    """Bad input, or work that cannot be done; says why in the user's words. Nothing was changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def _actor(user, org: Organization) -> lifecycle.Actor:
    return lifecycle.Actor.of(user, org)


def _clean_text(text: str, *, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReviewError(_("Please give %(what)s.") % {"what": what})
    if len(text) > TEXT_LIMIT:
        raise ReviewError(_("Please keep %(what)s under %(limit)s characters.") % {"what": what, "limit": TEXT_LIMIT})
    return text


# --- Selections ---------------------------------------------------------------------------------


def selection_parse(values: list[str]) -> list[int]:
    """Shipment ids as posted by a form: numbers only, at least one, at most SELECTION_LIMIT."""
    if not values:
        raise ReviewError(_("Select at least one shipment."))
    if len(values) > SELECTION_LIMIT:
        raise ReviewError(_("At most %(limit)s shipments can be selected at once; use the MAWB or filter actions for more.")
                          % {"limit": SELECTION_LIMIT})
    if not all(is_id(v) for v in values):
        raise ReviewError(_("The selection is not a list of shipments."))
    return sorted({int(v) for v in values})


def selection_resolve(*, org: Organization, shipment_ids: list[int]) -> list[int]:
    """The selection, if every shipment in it is one the organization may see; otherwise a ReviewError.

    A selection with another tenant's shipment in it is refused as a whole (nothing changes), and
    the message does not say whether those shipments exist.
    """
    ids = sorted(set(shipment_ids))
    if not ids:
        raise ReviewError(_("Select at least one shipment."))
    if len(ids) > BULK_LIMIT:
        raise ReviewError(_("At most %(limit)s shipments can be changed at once: narrow the selection.") % {"limit": f"{BULK_LIMIT:,}"})
    found = 0
    scoped = access.shipments_for(org)
    for start in range(0, len(ids), 5000):
        found += scoped.filter(pk__in=ids[start:start + 5000]).count()
    missing = len(ids) - found
    if missing:
        raise ReviewError(ngettext(
            "%(count)s selected shipment is not in your queue; nothing was changed.",
            "%(count)s selected shipments are not in your queue; nothing was changed.", missing) % {"count": missing})
    return ids


# --- What the reviewer saw ---------------------------------------------------------------------------
# A page that acts on shipments carries the moment it read them (`seen_at`). A shipment decided again
# after that moment (a correction, a decision that changed with the consignee's totals) or added after it
# (the forwarder's fix loop adds rows to a MAWB) is not what the broker saw: the action is refused whole.


def seen_at_now() -> str:
    """The moment a page reads the shipments it shows, for its forms."""
    return timezone.now().isoformat()


def seen_at_parse(text: str | None):
    """The `seen_at` of a form: None when the form has none (the API, scripts); a ReviewError when it is not a moment."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReviewError(_("This page is out of date: reload it and try again. Nothing was changed."))
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def unseen_refuse(shipment_ids: list[int], seen_at) -> None:
    """Refuse, with their HAWBs, an action on shipments decided or added after the page showed them."""
    if seen_at is None or not shipment_ids:
        return
    changed = []
    for start in range(0, len(shipment_ids), 5000):
        changed += Shipment.objects.filter(pk__in=shipment_ids[start:start + 5000], decided_at__gt=seen_at).order_by(
            "mawb", "hawb").values_list("hawb", flat=True)[:6]
    if changed:
        count = len(changed)
        listed = ", ".join(changed[:5]) + (" …" if count > 5 else "")
        raise ReviewError(ngettext(
            "Nothing was changed: a shipment was corrected or added after you opened this page (%(hawbs)s). Review it again.",
            "Nothing was changed: shipments were corrected or added after you opened this page (%(hawbs)s). Review them again.",
            count) % {"hawbs": listed})


# --- Review: approve, reject, cancel --------------------------------------------------------------


def _refuse_queued(ids: list[int], outcome: lifecycle.Outcome) -> list[int]:
    """Shipments whose entry waits for transmission are not cancelled under it: approved ones grouped into an entry, and
    ACE-rejected ones whose re-filing is built (the entry would go to ACE with a cancelled parcel in it)."""
    waiting = (Shipment.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=ids)
               .filter(Q(status=S.APPROVED, entry__isnull=False) | filing.refiling_waits()).order_by("pk").values_list("id", "status"))
    queued = set()
    for shipment_id, status in waiting:
        queued.add(shipment_id)
        outcome.refused[shipment_id] = (_("its entry is waiting to be transmitted to ACE") if status == S.APPROVED
                                        else _("its re-filing is already waiting to be transmitted to ACE"))
    return [i for i in ids if i not in queued]


def _move(action: str, *, org: Organization, user, shipment_ids: list[int], reason: str) -> lifecycle.Outcome:
    """The lifecycle move of a review action, without what follows it (filing, notices)."""
    actor = _actor(user, org)
    if action == "approve":
        return lifecycle.shipments_approve(shipment_ids, actor=actor)
    if action == "reject":
        return lifecycle.shipments_reject(shipment_ids, actor=actor, reason=reason)
    outcome = lifecycle.Outcome()
    with transaction.atomic():
        allowed = _refuse_queued(shipment_ids, outcome)
        moved = lifecycle.shipments_cancel(allowed, actor=actor, reason=reason,
                                           allowed_from=None if org.is_broker else FORWARDER_CANCELS)
    outcome.moved = moved.moved
    outcome.refused.update(moved.refused)
    return outcome


def _after(action: str, *, org: Organization, moved: list[int], reason: str) -> None:
    """What follows a review action: filing on approval (if the broker asked for it), telling the other side."""
    if not moved:
        return
    if action == "cancel":  # a cancelled parcel no longer counts in its consignee's totals: the others are decided again
        counted = Shipment.objects.filter(pk__in=moved).values_list("consignee_key", "arrival_date")
        decisions_refresh(keys={key for key, _day in counted}, days={day for _key, day in counted})
    if action == "approve":
        if org.auto_file:
            entries_file(broker=org, shipment_ids=moved)
    elif action == "reject":
        shipments_notify(shipment_ids=moved, kind="rejected", text=Text(gettext_noop("rejected by the broker: %(reason)s"),
                                                                         {"reason": reason}))
    elif org.is_broker:
        shipments_notify(shipment_ids=moved, kind="cancelled", text=Text(gettext_noop("cancelled by the broker: %(reason)s"),
                                                                          {"reason": reason}))
    else:
        shipments_notify(shipment_ids=moved, kind="cancelled", audience="broker",
                         text=Text(gettext_noop("cancelled by the forwarder: %(reason)s"), {"reason": reason}))


def _check_action(action: str, reason: str, org: Organization) -> str:
    if action not in BULK_ACTIONS or (action != "cancel" and not org.is_broker):
        raise ReviewError(_("Unknown action."))
    if action in ("reject", "cancel"):
        return _clean_text(reason, what=_("a reason"))
    return ""


@retry_on_conflict
def review_act(*, org: Organization, user, action: str, shipment_ids: list[int], reason: str = "",
               seen_at=None) -> lifecycle.Outcome:
    """Approve, reject or cancel shipments now (a selection the user sees, or one shipment). The ids are in scope.

    seen_at: when the page showed them; if any changed since, nothing is done (unseen_refuse).
    """
    reason = _check_action(action, reason, org)
    with transaction.atomic():
        unseen_refuse(shipment_ids, seen_at)
        outcome = _move(action, org=org, user=user, shipment_ids=shipment_ids, reason=reason)
        _after(action, org=org, moved=outcome.moved, reason=reason)
    return outcome


def review_approve(*, broker: Organization, user, shipment_ids: list[int]) -> lifecycle.Outcome:
    return review_act(org=broker, user=user, action="approve", shipment_ids=shipment_ids)


def review_reject(*, broker: Organization, user, shipment_ids: list[int], reason: str) -> lifecycle.Outcome:
    return review_act(org=broker, user=user, action="reject", shipment_ids=shipment_ids, reason=reason)


def review_cancel(*, org: Organization, user, shipment_ids: list[int], reason: str) -> lifecycle.Outcome:
    """Broker: any time before release. Forwarder: before filing (received, rejected, approved and not yet in an entry)."""
    return review_act(org=org, user=user, action="cancel", shipment_ids=shipment_ids, reason=reason)


def outcome_message(action: str, outcome: lifecycle.Outcome) -> str:
    done = {
        "approve": ngettext("%(count)s shipment approved.", "%(count)s shipments approved.", len(outcome.moved)),
        "reject": ngettext("%(count)s shipment rejected.", "%(count)s shipments rejected.", len(outcome.moved)),
        "cancel": ngettext("%(count)s shipment cancelled.", "%(count)s shipments cancelled.", len(outcome.moved)),
    }[action] % {"count": len(outcome.moved)}
    if outcome.refused:
        done += " " + ngettext("%(count)s could not be changed: %(reasons)s.", "%(count)s could not be changed: %(reasons)s.",
                               len(outcome.refused)) % {"count": len(outcome.refused), "reasons": "; ".join(outcome.reasons()[:5])}
    return done


# --- Bulk: big selections as a task with progress --------------------------------------------------


def bulk_start(*, org: Organization, user, action: str, shipment_ids: list[int], reason: str = "", seen_at=None) -> int:
    """Queue a review action on many shipments (ids in scope); returns the job number whose progress the page polls.

    seen_at: when the page showed them; if any changed or was added since, nothing is queued (unseen_refuse)."""
    reason = _check_action(action, reason, org)
    ids = sorted(set(shipment_ids))
    if not ids:
        raise ReviewError(_("No shipment matches: nothing to do."))
    if len(ids) > BULK_LIMIT:
        raise ReviewError(_("At most %(limit)s shipments can be changed at once: narrow the selection.") % {"limit": f"{BULK_LIMIT:,}"})
    unseen_refuse(ids, seen_at)
    job = secrets.randbits(48)
    progress_set("bulk", job, phase="queued", total=len(ids), org=org.pk, action=action, moved=0, refused=0)
    language = translation.get_language() or settings.LANGUAGE_CODE

    from customs.review_tasks import review_bulk_task

    enqueue(review_bulk_task, job, org.pk, user.pk, action, ids, reason, language, inline=True)
    return job


def bulk_run(*, job_id: int, org_id: int, user_id: int, action: str, shipment_ids: list[int], reason: str = "") -> dict:
    """Do a bulk review action in chunks, reporting progress after each; then file or notify once for the whole set.

    Safe to run twice: what already moved is refused the second time and nothing is done twice.
    """
    org = Organization.objects.get(pk=org_id)
    user = get_user_model().objects.filter(pk=user_id).first()
    ids = sorted(set(shipment_ids))
    total = len(ids)
    moved: list[int] = []
    refused: dict[int, str] = {}
    scoped = access.shipments_for(org)
    for start in range(0, total, BULK_CHUNK):
        chunk = ids[start:start + BULK_CHUNK]
        mine = list(scoped.filter(pk__in=chunk).values_list("id", flat=True))  # the task checks the scope again
        refused.update({i: _("no such shipment") for i in set(chunk) - set(mine)})
        outcome = _move(action, org=org, user=user, shipment_ids=mine, reason=reason)
        moved += outcome.moved
        refused.update(outcome.refused)
        progress_set("bulk", job_id, phase="work", done=min(total, start + len(chunk)), total=total,
                     moved=len(moved), refused=len(refused))
    with transaction.atomic():
        _after(action, org=org, moved=moved, reason=reason)
    reasons = sorted(set(refused.values()))[:5]
    progress_set("bulk", job_id, phase="done", done=total, total=total, moved=len(moved), refused=len(refused), reasons=reasons)
    return {"moved": len(moved), "refused": len(refused)}


def bulk_state(*, org: Organization, job_id: int) -> dict | None:
    """The progress of a bulk job, for the organization that started it (and operators); None otherwise."""
    state = progress_get("bulk", job_id)
    if not state or (state.get("org") != org.pk and not org.is_operator):
        return None
    total = state.get("total") or 0
    done = state.get("work_done", 0) if state.get("phase") == "work" else (total if state.get("phase") == "done" else 0)
    return {**state, "done": done, "percent": int(100 * done / total) if total else 0, "finished": state.get("phase") == "done"}


# --- Filing ----------------------------------------------------------------------------------------


def entries_file(*, broker: Organization, shipment_ids: list[int] | None = None) -> None:
    """Queue the building and transmission of entries for the broker's approved shipments (all of them, or these)."""
    ids = list(shipment_ids) if shipment_ids is not None else None

    from customs.tasks import entries_build_task

    enqueue(entries_build_task, broker.pk, ids, inline=True)


def approved_unfiled(*, broker: Organization) -> QuerySet:
    return access.shipments_for(broker).filter(status=S.APPROVED, entry__isnull=True)


@retry_on_conflict
def shipments_refile(*, broker: Organization, user, shipment_ids: list[int]) -> lifecycle.Outcome:
    """Build new entries for shipments ACE rejected (and the broker corrected); they wait in the outbox for transmission.
    Others in the selection are refused, and so are those whose re-filing already waits (a double click, a colleague):
    the same goods are filed once. Built here, under the parcels' row locks, so that a second re-filing sees the first."""
    outcome = lifecycle.Outcome()
    with transaction.atomic():
        rows = list(Shipment.objects.select_for_update(no_key=True).filter(pk__in=shipment_ids).order_by("pk")
                    .values_list("id", "status", "entry_id"))
        rejected = [shipment_id for shipment_id, status, _entry in rows if status == S.ACE_REJECTED]
        waiting = set(Shipment.objects.filter(filing.refiling_waits(), pk__in=rejected).values_list("id", flat=True))  # once locked
        by_entry: dict[int | None, list[int]] = defaultdict(list)
        for shipment_id, status, entry_id in rows:
            if shipment_id in waiting:
                outcome.refused[shipment_id] = _("its re-filing is already waiting to be transmitted to ACE")
            elif status == S.ACE_REJECTED:
                by_entry[entry_id].append(shipment_id)
                outcome.moved.append(shipment_id)
            else:
                outcome.refused[shipment_id] = _("not rejected by ACE")
        for entry_id, ids in by_entry.items():  # the rejected entry stays on record; the timeline says which it was
            lifecycle.note(shipment_ids=ids, actor=_actor(user, broker),
                           message=Text(gettext_noop("Queued for re-filing after ACE's rejection")),
                           data={"refile": True, "entry": entry_id})
        if outcome.moved and filing.entries_build(broker=broker, shipment_ids=sorted(outcome.moved), refile=True):
            from customs.tasks import transmissions_send_task

            enqueue(transmissions_send_task)
    return outcome


# --- Corrections and decisions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Correctable:
    field: str  # the Shipment field
    column: str  # the manifest column whose checks apply
    label: object


CORRECTABLE: dict[str, Correctable] = {c.field: c for c in (
    Correctable("description", "description", gettext_lazy("Description")),
    Correctable("hts_code", "hts_code", gettext_lazy("HTS code")),
    Correctable("country_of_origin", "country_of_origin", gettext_lazy("Country of origin")),
    Correctable("value_usd", "value", gettext_lazy("Value (USD)")),
    Correctable("pieces", "pieces", gettext_lazy("Pieces")),
    Correctable("consignee_name", "consignee_name", gettext_lazy("Consignee name")),
    Correctable("consignee_address1", "consignee_address1", gettext_lazy("Consignee street address")),
    Correctable("consignee_address2", "consignee_address2", gettext_lazy("Consignee address, second line")),
    Correctable("consignee_city", "consignee_city", gettext_lazy("Consignee city")),
    Correctable("consignee_state", "consignee_state", gettext_lazy("Consignee state")),
    Correctable("consignee_zip", "consignee_zip", gettext_lazy("Consignee ZIP code")),
    Correctable("consignee_phone", "consignee_phone", gettext_lazy("Consignee phone")),
    Correctable("consignee_email", "consignee_email", gettext_lazy("Consignee e-mail")),
    Correctable("shipper_name", "shipper_name", gettext_lazy("Shipper name")),
    Correctable("shipper_address", "shipper_address", gettext_lazy("Shipper street address")),
    Correctable("shipper_city", "shipper_city", gettext_lazy("Shipper city")),
    Correctable("shipper_country", "shipper_country", gettext_lazy("Shipper country")),
)}
IDENTITY = ("consignee_name", "consignee_address1", "consignee_zip")  # the consignee key rests on these
TOTALS = ("value_usd", *IDENTITY)  # a change here moves the consignee's totals


def correctable_fields(org: Organization) -> list[tuple[str, str]]:
    """(field, label) a member of this organization may correct: the broker also chooses the entry type."""
    fields = [(c.field, str(c.label)) for c in CORRECTABLE.values()]
    return [(ENTRY_TYPE, str(gettext_lazy("Entry type"))), *fields] if org.is_broker else fields


def correction_choices(*, org: Organization, shipment: Shipment) -> list[dict]:
    """The fields the user may correct, each with its current value (the form shows it when the field is chosen)."""
    return [{"field": field, "label": label, "current": str(getattr(shipment, field) or "")}
            for field, label in correctable_fields(org)]


def _as_text(shipment: Shipment) -> dict[str, str]:
    """The shipment as a manifest row would write it, so that a correction is checked exactly like an upload."""
    text = {column.name: "" for column in COLUMNS}
    for name in text:
        if hasattr(shipment, name):
            text[name] = str(getattr(shipment, name) or "")
    text.update({"arrival_date": shipment.arrival_date.isoformat(), "weight": f"{shipment.weight_kg.normalize():f}",
                 "weight_unit": "K", "value": f"{shipment.value_usd:f}", "currency": "USD", "pieces": str(shipment.pieces)})
    return text


def _checked_value(shipment: Shipment, correctable: Correctable, value: str):
    """The corrected value normalised as an upload would store it, or a ReviewError with the check's message."""
    row = _as_text(shipment)
    row[correctable.column] = value if isinstance(value, str) else ""
    names = [column.name for column in COLUMNS]
    table = Table(encoding=None, delimiter=None, header=names, header_row=1, records=[[row[n] for n in names]], row_numbers=[1],
                  columns={n: i for i, n in enumerate(names)})
    today = clocks.portal_today()  # as the upload was checked, not on the broker's own clock
    checked = check_table(table, today=today, served_airports=settings.SERVED_AIRPORTS, vague_terms=policy.vague_terms(today))
    errors = [code for code, column in checked.errors[0] if column == correctable.column]
    if errors:
        raise ReviewError(" ".join(message_for(code) for code in errors))
    column = correctable.column
    if column == "value":
        return Decimal(checked.norm["value_exact"].iat[0])
    if column == "pieces":
        return int(checked.norm["pieces"].iat[0])
    if column in checked.norm.columns:
        return str(checked.norm[column].iat[0])
    return str(checked.values[column].iat[0])


def _policy_entry_type(shipment_id: int) -> tuple[str, list[str]]:
    """What the law says for this shipment, before any choice of the broker."""
    _frame, verdict, _totals = _decide([shipment_id], with_choices=False)
    return str(verdict["entry_type"].iat[0]), list(verdict["reasons"].iat[0])


@retry_on_conflict
def shipment_correct(*, shipment_id: int, org: Organization, user, field: str, value: str) -> dict:
    """Correct one field of a shipment (the id is in scope); keep the change and who made it; decide again.

    The broker corrects before filing and after an ACE rejection; the forwarder before approval.
    The entry type is the broker's to choose, never laxer than the law allows.
    Returns {"field", "old", "new"}.
    """
    if field != ENTRY_TYPE and field not in CORRECTABLE:
        raise ReviewError(_("This field cannot be corrected."))
    if field == ENTRY_TYPE and not org.is_broker:
        raise ReviewError(_("Only the broker chooses the entry type."))
    allowed = BROKER_CORRECTS if org.is_broker else FORWARDER_CORRECTS if org.is_forwarder else ()
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update(no_key=True).get(pk=shipment_id)
        if shipment.status not in allowed:
            raise ReviewError(_("A shipment that is %(status)s cannot be corrected now.") % {"status": shipment.get_status_display()})
        in_outbox = shipment.status == S.APPROVED or Shipment.objects.filter(filing.refiling_waits(), pk=shipment.pk).exists()
        if shipment.entry_id and in_outbox:  # what is corrected now would not reach ACE: the entry carries the old data
            raise ReviewError(_("Its entry is waiting to be transmitted to ACE: correct it after ACE replies."))
        if field == ENTRY_TYPE:
            new = (value or "").strip()
            if new not in EntryType.values:
                raise ReviewError(_("Choose entry type 86, 11 or 01."))
            decided, reasons = _policy_entry_type(shipment.pk)
            if new not in ALLOWED_ENTRY_TYPES[decided]:
                raise ReviewError(_("Type %(type)s is not allowed for this shipment: %(reason)s") % {
                    "type": new, "reason": policy.reason_text(reasons[-1])})
        else:
            new = _checked_value(shipment, CORRECTABLE[field], value)
        old, old_key = getattr(shipment, field), shipment.consignee_key
        if str(old) == str(new):
            raise ReviewError(_("That is already the value: nothing to correct."))
        changes = {field: new}
        if field in IDENTITY:
            setattr(shipment, field, new)
            changes["consignee_key"] = policy.consignee_keys(
                pd.Series([shipment.consignee_name]), pd.Series([shipment.consignee_address1]), pd.Series([shipment.consignee_zip]),
            ).iat[0]
        Shipment.objects.filter(pk=shipment.pk).update(**changes)
        label = CORRECTABLE[field].label if field in CORRECTABLE else gettext_lazy("Entry type")  # lazy: read in English
        change = {"field": field, "old": str(old), "new": str(new)}
        lifecycle.note(shipment_ids=[shipment.pk], actor=_actor(user, org), data=change,
                       message=Text(gettext_noop("%(field)s corrected from “%(old)s” to “%(new)s”"),
                                    {"field": label, "old": str(old), "new": str(new)}))
        affected = [shipment.pk]
        if field in TOTALS:  # the consignee's other parcels waiting for review that day may be decided differently now
            keys = {shipment.consignee_key, changes.get("consignee_key", shipment.consignee_key)}
            affected += list(Shipment.objects.filter(status=S.RECEIVED, consignee_key__in=keys, arrival_date=shipment.arrival_date)
                             .exclude(pk=shipment.pk).values_list("id", flat=True))
        decisions_recompute(shipment_ids=affected)
        if changes.get("consignee_key", shipment.consignee_key) != old_key:
            # It left its entry: the parcels still to be filed there (approved ones too) share the fee without it.
            left = list(Shipment.objects.filter(policy.to_be_filed(), forwarder_id=shipment.forwarder_id, consignee_key=old_key,
                                                flight_number=shipment.flight_number, arrival_date=shipment.arrival_date)
                        .values_list("id", flat=True))
            if left:
                estimates_refresh(shipment_ids=left)
    return change


DECISION_FIELDS = ("id", "arrival_date", "country_of_origin", "hts_code", "value_usd", "consignee_key", "flight_number",
                   "entry_type", "reasons", "pga", "forwarder_id", "broker_id", "status", "duty_estimate_usd", "mpf_estimate_usd")


def _decide(shipment_ids: list[int], *, with_choices: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, tuple]:
    """The policy's decision for stored shipments, with the totals counted across the portal.

    with_choices: a stricter entry type the broker chose replaces the policy's (and its estimates).
    """
    rows = Shipment.objects.filter(pk__in=shipment_ids).order_by("id").values(*DECISION_FIELDS)
    frame = pd.DataFrame.from_records(list(rows), columns=list(DECISION_FIELDS))
    if frame.empty:
        return frame, pd.DataFrame(), (np.zeros(0), np.zeros(0))
    frame["arrival_date"] = pd.to_datetime(frame["arrival_date"])
    frame["value_usd"] = frame["value_usd"].astype(float)
    day_totals, conveyance_totals, _held = policy.totals_for(frame, include_rows=False)
    snap = policy.snapshot()
    peers = policy.entry_peers(frame) if with_choices else None  # the MPF estimate is not wanted without the choices
    verdict = policy.decide(frame, snap=snap, day_totals=day_totals, conveyance_totals=conveyance_totals, peers=peers)
    if not with_choices:
        return frame, verdict, (day_totals, conveyance_totals)
    broker_choices_apply(frame, verdict, snap=snap, peers=peers)
    return frame, verdict, (day_totals, conveyance_totals)


def broker_choices_apply(frame: pd.DataFrame, verdict: pd.DataFrame, *, snap, peers) -> None:
    """A stricter entry type the broker chose for a stored shipment replaces the policy's in `verdict` (and its estimates):
    whatever decides a parcel again (a review, a later upload, a new regime) keeps the broker's choice."""
    overrides = entry_type_choices(frame["id"].tolist())
    chosen = [overrides[i] if overrides.get(i) in ALLOWED_ENTRY_TYPES[t] else t
              for i, t in zip(frame["id"].tolist(), verdict["entry_type"].tolist(), strict=True)]
    if chosen != verdict["entry_type"].tolist():  # the broker's choice of a stricter entry changes the estimates
        days = pd.Series(pd.Timestamp(snap.pinned), index=frame.index) if snap.pinned else frame["arrival_date"]
        duty, mpf = policy.estimates(frame, days, np.array(chosen), snap, peers)
        law = verdict["entry_type"].tolist()
        # The reasons say why the entry is what it is: the broker's choice, where it differs from what the law alone asks.
        verdict["reasons"] = [[policy.BROKER_CHOICE] if mine != plain else list(reasons)
                              for mine, plain, reasons in zip(chosen, law, verdict["reasons"], strict=True)]
        verdict["entry_type"], verdict["duty_estimate"], verdict["mpf_estimate"] = chosen, duty, mpf


def entry_type_choices(shipment_ids: list[int]) -> dict[int, str]:
    """The entry type the broker last chose for each shipment (a correction of the entry type on its timeline)."""
    chosen = {}
    notes = (ShipmentEvent.objects.filter(shipment_id__in=shipment_ids, dimension=ShipmentEvent.Dimension.NOTE, data__field=ENTRY_TYPE)
             .order_by("shipment_id", "at", "id").values_list("shipment_id", "data"))
    for shipment_id, data in notes:
        chosen[shipment_id] = data.get("new")
    return chosen


@lifecycle.in_english  # its events are written here, not through the lifecycle
def decisions_recompute(*, shipment_ids: list[int]) -> int:
    """Decide again, with customs.policy, the given shipments that are not filed (received, rejected, approved, ace_rejected).

    Approved shipments already grouped into an entry are left alone: their entry is on its way
    to ACE. A stricter entry type the broker chose stays chosen. Returns how many changed.
    """
    ids = list(Shipment.objects.filter(pk__in=list(shipment_ids), status__in=RECOMPUTED)
               .exclude(status=S.APPROVED, entry__isnull=False).values_list("id", flat=True))
    if not ids:
        return 0
    frame, verdict, (day_totals, conveyance_totals) = _decide(ids)
    now = timezone.now()
    shipments, events = [], []
    for i in range(len(frame)):
        old_type, new_type = frame["entry_type"].iat[i], str(verdict["entry_type"].iat[i])
        new_reasons = list(verdict["reasons"].iat[i])
        shipments.append(Shipment(
            id=int(frame["id"].iat[i]), entry_type=new_type, reasons=new_reasons, pga=list(verdict["pga"].iat[i]),
            duty_estimate_usd=policy.money(verdict["duty_estimate"].iat[i]), mpf_estimate_usd=policy.money(verdict["mpf_estimate"].iat[i]),
            day_total_usd=round(float(day_totals[i]), 2), conveyance_total_usd=round(float(conveyance_totals[i]), 2), decided_at=now,
        ))
        if old_type != new_type or list(frame["reasons"].iat[i]) != new_reasons:
            events.append(ShipmentEvent(
                shipment_id=int(frame["id"].iat[i]), dimension=ShipmentEvent.Dimension.NOTE, actor=ShipmentEvent.Actor.SYSTEM, at=now,
                organization_id=int(frame["forwarder_id"].iat[i]),
                message=(_("Entry decision changed from Type %(old)s to Type %(new)s: %(reason)s") if old_type != new_type
                         else _("Entry decision stays Type %(new)s, for a new reason: %(reason)s")) % {
                    "old": old_type, "new": new_type, "reason": policy.reason_text(new_reasons[0])},
                data={"entry_type": [old_type, new_type], "reasons": new_reasons},
            ))
    Shipment.objects.bulk_update(shipments, ["entry_type", "reasons", "pga", "duty_estimate_usd", "mpf_estimate_usd", "day_total_usd",
                                             "conveyance_total_usd", "decided_at"], batch_size=500)
    ShipmentEvent.objects.bulk_create(events, batch_size=500)
    estimates_refresh(shipment_ids=ids)  # the other parcels of their entries (before and after) share the fee anew
    return len(events)


def shipments_resubmit(*, forwarder: Organization, user, shipment_ids: list[int]) -> lifecycle.Outcome:
    """The forwarder sends corrected shipments back to the broker's review; they are decided again."""
    with transaction.atomic():
        outcome = lifecycle.shipments_resubmit(shipment_ids, actor=_actor(user, forwarder))
        if outcome.moved:
            decisions_recompute(shipment_ids=outcome.moved)
            shipments_notify(shipment_ids=outcome.moved, kind="resubmitted", audience="broker",
                             text=gettext_noop("corrected and resubmitted by the forwarder"))
    return outcome


# --- Information requests ----------------------------------------------------------------------------


def info_request_ask(*, broker: Organization, user, shipment_id: int, question: str, deadline: date | None) -> InfoRequest:
    """The broker asks the forwarder about a shipment (in scope), to be answered by the deadline (a day at the shipment's
    airport, where customs works: today there is still a valid deadline while it is already tomorrow in UTC)."""
    question = _clean_text(question, what=_("a question"))
    if deadline is None:
        raise ReviewError(_("Please give a deadline."))
    with transaction.atomic():
        shipment = Shipment.objects.get(pk=shipment_id)
        if deadline < clocks.airport_today(shipment.destination_airport):
            raise ReviewError(_("The deadline is in the past: choose today or a later day."))
        if shipment.status in CLOSED:
            raise ReviewError(_("A shipment that is %(status)s needs no more information.") % {"status": shipment.get_status_display()})
        request = InfoRequest.objects.create(shipment=shipment, broker=broker, forwarder_id=shipment.forwarder_id, question=question,
                                             deadline=deadline, asked_by=user)
        lifecycle.note(shipment_ids=[shipment.pk], actor=_actor(user, broker), data={"info_request": request.pk},
                       message=Text(gettext_noop("Information requested (answer by %(deadline)s): %(question)s"),
                                    {"deadline": deadline.isoformat(), "question": question}))
        organization_notify(organization_id=shipment.forwarder_id, kind="info_request",
                            url=reverse("shipments:shipment_detail", args=[shipment.pk]),
                            message=Text(gettext_noop("Your broker asks about HAWB %(hawb)s (answer by %(deadline)s): %(question)s"),
                                         {"hawb": shipment.hawb, "deadline": deadline.isoformat(), "question": question}))
    return request


def info_request_answer(*, forwarder: Organization, user, request_id: int, answer: str) -> InfoRequest:
    """The forwarder answers an open request (in scope); the broker is told."""
    answer = _clean_text(answer, what=_("an answer"))
    with transaction.atomic():
        answered = InfoRequest.objects.filter(pk=request_id, answered_at__isnull=True).update(
            answer=answer, answered_by=user, answered_at=timezone.now())
        if not answered:
            raise ReviewError(_("This request was already answered."))
        request = InfoRequest.objects.select_related("shipment").get(pk=request_id)
        lifecycle.note(shipment_ids=[request.shipment_id], actor=_actor(user, forwarder), data={"info_request": request.pk},
                       message=Text(gettext_noop("Information given: %(answer)s"), {"answer": answer}))
        organization_notify(organization_id=request.broker_id, kind="info_answered",
                            url=reverse("shipments:shipment_detail", args=[request.shipment_id]),
                            message=Text(gettext_noop("The forwarder answered your question on HAWB %(hawb)s: %(answer)s"),
                                         {"hawb": request.shipment.hawb, "answer": answer}))
    return request


def info_requests_for(org: Organization) -> QuerySet:
    """The requests about shipments the organization may see."""
    return InfoRequest.objects.filter(shipment__in=access.shipments_for(org)).select_related("shipment", "asked_by", "answered_by")


# --- Holds --------------------------------------------------------------------------------------------


def holds_open_for(org: Organization) -> QuerySet:
    return (Hold.objects.filter(removed_at__isnull=True, shipment__in=access.shipments_for(org))
            .select_related("shipment", "shipment__forwarder").order_by("placed_at", "id"))


@retry_on_conflict
def hold_action_record(*, hold_id: int, org: Organization, user, note: str) -> HoldAction:
    """What the broker did about an open hold (documents sent, agency called...), kept with the hold and on the timeline."""
    note = _clean_text(note, what=_("what was done"))
    with transaction.atomic():
        hold = Hold.objects.select_for_update(no_key=True).get(pk=hold_id)
        if hold.removed_at is not None:
            raise ReviewError(_("This hold is closed."))
        action = HoldAction.objects.create(hold=hold, user=user, note=note)
        lifecycle.note(shipment_ids=[hold.shipment_id], actor=_actor(user, org), data={"hold": hold.pk},
                       message=Text(gettext_noop("%(agency)s hold: %(note)s"), {"agency": hold.agency, "note": note}))
    return action


@retry_on_conflict
def hold_close(*, hold_id: int, org: Organization, user, outcome: str, note: str = "") -> None:
    """Record the outcome of an open hold: released (the shipment returns to accepted once no hold is left) or seized."""
    if outcome not in (Hold.Outcome.RELEASED, Hold.Outcome.SEIZED):
        raise ReviewError(_("Choose released or seized."))
    note = (note or "").strip()[:TEXT_LIMIT]
    now = timezone.now()
    actor = _actor(user, org)
    with transaction.atomic():
        hold = Hold.objects.select_for_update(no_key=True).select_related("shipment").get(pk=hold_id)
        if hold.removed_at is not None:
            raise ReviewError(_("This hold is closed."))
        text = note or Text(gettext_noop("%(agency)s hold released") if outcome == Hold.Outcome.RELEASED
                            else gettext_noop("Seized after the %(agency)s hold"), {"agency": hold.agency}).english()
        if outcome == Hold.Outcome.SEIZED:
            seized = lifecycle.shipments_seize([hold.shipment_id], actor=actor, message=text, data={"hold": hold.pk})
            if not seized.ok:
                raise ReviewError(seized.refused[hold.shipment_id])
            # Seized goods need no further work: every open hold of the shipment ends here.
            Hold.objects.filter(shipment_id=hold.shipment_id, removed_at__isnull=True).update(removed_at=now, outcome=Hold.Outcome.SEIZED)
            Shipment.objects.filter(pk=hold.shipment_id).update(open_holds=0)
            shipments_notify(shipment_ids=[hold.shipment_id], kind="seized",
                             text=Text(gettext_noop("seized after a %(agency)s hold"), {"agency": hold.agency}))
        else:
            Hold.objects.filter(pk=hold.pk, removed_at__isnull=True).update(removed_at=now, outcome=Hold.Outcome.RELEASED)
            holds.open_holds_recount([hold.shipment_id])
            clear = Shipment.objects.filter(pk=hold.shipment_id, open_holds=0, status=S.ON_HOLD).exists()
            if clear:
                holds.holds_lifted([hold.shipment_id], actor=actor, message=text, data={"hold": hold.pk})
            else:
                lifecycle.note(shipment_ids=[hold.shipment_id], actor=actor, message=text, data={"hold": hold.pk})
        HoldAction.objects.create(hold=hold, user=user, note=text)


# --- Reading: queues, ACE rejections, messages ---------------------------------------------------------


@dataclass
class QueueFilter:
    airport: str = ""
    arrival: date | None = None
    entry_type: str = ""
    reason: str = ""
    pga: str = ""
    status: str = S.RECEIVED
    q: str = ""


def pga_agencies() -> list[str]:
    from customs.models import PgaPrefix

    return list(dict.fromkeys(PgaPrefix.objects.order_by("position", "agency").values_list("agency", flat=True)))


def queue_shipments(*, org: Organization, chosen: QueueFilter) -> QuerySet:
    """The shipments of the queue, as filtered (reasons and PGA flags are short JSON lists: matched by position)."""
    shipments = access.shipments_for(org)
    if chosen.status:
        shipments = shipments.filter(status=chosen.status)
    if chosen.airport:
        shipments = shipments.filter(destination_airport=chosen.airport)
    if chosen.arrival:
        shipments = shipments.filter(arrival_date=chosen.arrival)
    if chosen.entry_type:
        shipments = shipments.filter(entry_type=chosen.entry_type)
    if chosen.reason:
        shipments = shipments.filter(Q(reasons__0=chosen.reason) | Q(reasons__1=chosen.reason))
    if chosen.pga == "any":
        shipments = shipments.filter(pga__0__isnull=False)
    elif chosen.pga == "none":
        shipments = shipments.filter(pga__0__isnull=True)
    elif chosen.pga:
        match = Q()
        for position in range(max(1, len(pga_agencies()))):
            match |= Q(**{f"pga__{position}": chosen.pga})
        shipments = shipments.filter(match)
    if chosen.q:
        compact = chosen.q.replace("-", "").replace(" ", "").upper()
        shipments = shipments.filter(Q(hawb=compact) | Q(mawb=compact))
    return shipments


def queue_manifests(shipments: QuerySet) -> QueueManifests:
    """The MAWBs of the filtered shipments, oldest arrival first, each with how many of its shipments match."""
    return QueueManifests(shipments)


class QueueManifests:
    """A pageable list of MAWBs (for Paginator): the MAWBs are read from their own table, and the matching
    shipments are counted for the MAWBs of the page only, not for every MAWB of a queue of many thousand shipments."""

    def __init__(self, shipments: QuerySet):
        from shipments.models import Manifest

        self.shipments = shipments.order_by()
        self.manifests = (Manifest.objects.filter(pk__in=self.shipments.values("manifest_id"))
                          .values("mawb", "destination_airport", "arrival_date", "flight_number", "forwarder__name",
                                  manifest_id=F("pk"))
                          .order_by("arrival_date", "mawb", "pk"))

    def count(self) -> int:
        return self.manifests.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = list(self.manifests[index]) if isinstance(index, slice) else [self.manifests[index]]
        counts = dict(self.shipments.filter(manifest_id__in=[row["manifest_id"] for row in rows])
                      .values_list("manifest_id").annotate(n=Count("id")))
        for row in rows:
            row["count"] = counts.get(row["manifest_id"], 0)
        return rows if isinstance(index, slice) else rows[0]


def workbench_counts(org: Organization) -> dict[str, int]:
    shipments = access.shipments_for(org)
    return {
        "review": shipments.filter(status=S.RECEIVED).count(),
        "rejections": shipments.filter(status=S.ACE_REJECTED).count(),
        "holds": holds_open_for(org).count(),
        "requests": info_requests_for(org).filter(answered_at__isnull=True).count(),
        "approved": approved_unfiled(broker=org).count() if org.is_broker else 0,
    }


def ace_rejection_codes(shipment_ids: list[int]) -> dict[int, list[str]]:
    """The codes of the latest ACE rejection of each shipment (from its timeline), in one query."""
    codes: dict[int, list[str]] = {}
    events = (ShipmentEvent.objects.filter(shipment_id__in=shipment_ids, dimension=ShipmentEvent.Dimension.CUSTOMS,
                                           to_state=S.ACE_REJECTED).order_by("shipment_id", "at", "id").values_list("shipment_id", "data"))
    for shipment_id, data in events:
        codes[shipment_id] = list((data or {}).get("codes", []))
    return codes


def explained(codes_by_key: dict) -> dict:
    """explain() for many lists of codes at once (one read of the code table)."""
    every = sorted({code for codes in codes_by_key.values() for code in codes})
    table = {item["code"]: item for item in explain(every)} if every else {}
    return {key: [table[code] for code in codes] for key, codes in codes_by_key.items()}


def entries_of(shipment: Shipment) -> list[int]:
    """Every entry the shipment has been in: the current one, those ACE rejected before a re-filing, and those taken apart
    before they were transmitted (customs.filing.entries_withdraw)."""
    earlier = (ShipmentEvent.objects.filter(Q(data__refile=True) | Q(data__entry_withdrawn=True), shipment=shipment,
                                            dimension=ShipmentEvent.Dimension.NOTE)
               .values_list("data", flat=True))
    ids = {data.get("entry") for data in earlier if data.get("entry")}
    if shipment.entry_id:
        ids.add(shipment.entry_id)
    return sorted(ids)


def _readable(message: AceMessage) -> str:
    if message.raw.startswith(("{", "[")):
        try:
            return json.dumps(json.loads(message.raw), indent=2, ensure_ascii=False)
        except ValueError:
            return message.raw
    return message.raw


def messages_explained(messages: list[AceMessage]) -> list[dict]:
    meaning = explained({m.pk: m.codes or [] for m in messages})
    return [{"message": m, "raw": _readable(m), "codes": meaning[m.pk]} for m in messages]


def ace_messages_for_shipment(shipment: Shipment) -> list[dict]:
    """Every ACE message about the shipment: its entries' (out and in) and its MAWB's notices, raw and explained."""
    entries = entries_of(shipment)
    messages = list(AceMessage.objects.filter(Q(entry_id__in=entries) | Q(manifest_id=shipment.manifest_id, entry__isnull=True))
                    .select_related("entry").order_by("at", "id"))
    return messages_explained(messages)


def entry_totals(entry: Entry) -> dict:
    """The entry's entered value and its duty and MPF estimates: the sums of its parcels' own figures, so that they add up
    to what each parcel's page says (the MPF is shared among the parcels by customs.policy.mpf_shares, in whole cents that
    add up to the entry's fee). A parcel without an estimate counts as nothing, as its page shows $0.00."""
    totals = entry.shipments.aggregate(
        count=Count("pk"), value=Coalesce(Sum("value_usd"), Decimal(0)),
        duty=Coalesce(Sum("duty_estimate_usd"), Decimal(0)), mpf=Coalesce(Sum("mpf_estimate_usd"), Decimal(0)))
    cents = {name: Decimal(totals[name]).quantize(Decimal("0.01")) for name in ("value", "duty", "mpf")}
    return {"count": totals["count"], **cents, "owed": cents["duty"] + cents["mpf"]}


def entries_for(org: Organization) -> QuerySet:
    """Entries of the MAWBs the organization may see (through accounts.access)."""
    return Entry.objects.filter(manifest__in=access.manifests_for(org)).select_related("manifest", "forwarder", "broker")
