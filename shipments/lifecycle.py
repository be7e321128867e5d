"""The shipment lifecycle: customs status and custody, and the events that record every change (lifecycle.md).

The only module that writes a shipment's status or custody. New shipments enter as
`received` / `awaiting_arrival` with one event each.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shipments.models import CustomsStatus, ShipmentEvent

EVENT_COLUMNS = ("shipment", "dimension", "from_state", "to_state", "actor", "user", "organization", "at", "message", "data")


def received_event_rows(*, shipment_ids, rows, upload, at) -> list[tuple]:
    """One `received` event per new shipment of an upload, as rows for shipments.bulk.insert_rows."""
    actor = ShipmentEvent.Actor.USER if upload.uploaded_by_id else ShipmentEvent.Actor.SYSTEM
    template = str(_("Accepted from %(file)s, row %(row)s"))
    return [
        (shipment_id, ShipmentEvent.Dimension.CUSTOMS.value, "", CustomsStatus.RECEIVED.value, actor.value, upload.uploaded_by_id,
         upload.forwarder_id, at, template % {"file": upload.original_name, "row": row}, {"upload": upload.pk})
        for shipment_id, row in zip(shipment_ids, rows, strict=True)
    ]
