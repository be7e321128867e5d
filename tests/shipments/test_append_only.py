"""The audit trail cannot be rewritten: on PostgreSQL the database itself refuses to change or delete events and ACE messages."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from customs.models import AceMessage
from shipments.models import ShipmentEvent
from tests.conftest import services_required, unavailable
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        unavailable("the append-only triggers are PostgreSQL's", required=services_required())


@pytest.fixture
def event(forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org))
    return ShipmentEvent.objects.create(shipment=shipment, dimension="customs", to_state="received", actor="system",
                                        at=timezone.now(), message="received")


def test_an_event_cannot_be_updated(postgres, event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ShipmentEvent.objects.filter(pk=event.pk).update(message="rewritten")
    event.refresh_from_db()
    assert event.message == "received"


def test_an_event_cannot_be_deleted(postgres, event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ShipmentEvent.objects.filter(pk=event.pk).delete()
    assert ShipmentEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_cannot_rewrite_an_event_either(postgres, event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE shipments_shipmentevent SET to_state = 'released' WHERE id = %s", [event.pk])


def test_an_ace_message_is_stamped_processed_once_and_never_changed(postgres):
    message = AceMessage.objects.create(direction="in", kind="notice", codes=["1C"], raw="SO|DISP=1C", at=timezone.now())
    AceMessage.objects.filter(pk=message.pk).update(processed_at=timezone.now())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AceMessage.objects.filter(pk=message.pk).update(raw="SO|DISP=BH")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AceMessage.objects.filter(pk=message.pk).update(processed_at=None)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AceMessage.objects.filter(pk=message.pk).delete()
    message.refresh_from_db()
    assert message.raw == "SO|DISP=1C" and message.processed_at
