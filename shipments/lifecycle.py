"""The shipment lifecycle: customs status and custody, and the events that record every change (lifecycle.md).

The only module that writes a shipment's status or custody. New shipments enter as
`received` / `awaiting_arrival` with one event each.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext_lazy as _

from shipments.bulk import repeat
from shipments.models import CustomsStatus, ShipmentEvent


def received_events(*, shipment_ids: pa.Array, rows: pa.Array, upload, at) -> pa.Table:
    """One `received` event per new shipment of an upload, as a table for shipments.bulk.insert_table."""
    n = len(shipment_ids)
    actor = ShipmentEvent.Actor.USER if upload.uploaded_by_id else ShipmentEvent.Actor.SYSTEM

    def const(value, kind=None):
        return repeat(value, n, kind)

    row_text = pc.cast(rows, pa.string())
    before, after = str(_("Accepted from %(file)s, row %(row)s")).replace("%(file)s", upload.original_name).split("%(row)s")
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
