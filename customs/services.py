"""Customs operations that write: refreshing decisions when the totals they rest on change."""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from customs import policy
from shipments.lifecycle import in_english
from shipments.models import CustomsStatus, Shipment, ShipmentEvent


@in_english
def decisions_refresh(*, keys: set[str], days: set[date], skip_upload: int | None = None) -> int:
    """Decide again the shipments still waiting for review whose consignee-day totals may have changed.

    When a new upload adds parcels for a person on a day, that person's earlier parcels of
    the same day may lose de minimis too (policy.md, rule 5). Only shipments in `received`
    change: what a broker approved or filed is the broker's to correct. Returns how many changed.
    """
    if not keys or not days:
        return 0
    waiting = (Shipment.objects.filter(status=CustomsStatus.RECEIVED, consignee_key__in=keys, arrival_date__in=days)
               .values("id", "arrival_date", "country_of_origin", "hts_code", "value_usd", "consignee_key", "flight_number",
                       "entry_type", "reasons", "forwarder_id"))
    if skip_upload is not None:
        waiting = waiting.exclude(upload_id=skip_upload)
    frame = pd.DataFrame.from_records(list(waiting))
    if frame.empty:
        return 0
    frame["arrival_date"] = pd.to_datetime(frame["arrival_date"])
    frame["value_usd"] = frame["value_usd"].astype(float)
    day_totals, conveyance_totals, _held = policy.totals_for(frame, include_rows=False)
    verdict = policy.decide(frame, snap=policy.snapshot(), day_totals=day_totals, conveyance_totals=conveyance_totals)
    changed = [
        i for i in range(len(frame))
        if verdict["entry_type"].iat[i] != frame["entry_type"].iat[i] or verdict["reasons"].iat[i] != frame["reasons"].iat[i]
    ]
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
    return len(changed)


def regime_pin_set(*, active: bool, as_of: date | None, note: str, user) -> None:
    """Pin (or unpin) the regime every new decision uses; the history of pins stays in the table."""
    from customs.models import RegimePin

    RegimePin.objects.filter(active=True).update(active=False)
    if active:
        RegimePin.objects.create(active=True, as_of=as_of, note=note, set_by=user)
