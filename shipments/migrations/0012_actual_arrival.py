"""The general-order clock runs from the flight's actual arrival, not the manifest's scheduled arrival date.

MAWBs and their parcels get `arrived_on`, which the lifecycle writes when ACE's arrival notice moves the MAWB to the
airline terminal; the partial index of the general-order watch moves from `arrival_date` to it.

Parcels that arrived before this migration: the day is read from the MAWB's first arrival event ("at the airline
terminal", in the portal's time zone); a MAWB past arrival without one keeps its scheduled date. Every parcel of a
MAWB past arrival gets its MAWB's day (one consolidation, one flight; parcels added to a MAWB already at the terminal
have no arrival event of their own). Parcels still awaiting arrival stay empty.
"""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import TruncDate

WATCHED = (~models.Q(status__in=["released", "seized"]) & ~models.Q(custody__in=["awaiting_arrival", "handed_off"]))


def arrivals_backfill(apps, schema_editor):
    Manifest = apps.get_model("shipments", "Manifest")
    Shipment = apps.get_model("shipments", "Shipment")
    ShipmentEvent = apps.get_model("shipments", "ShipmentEvent")
    arrived = Manifest.objects.exclude(custody="awaiting_arrival")
    first_arrival = (ShipmentEvent.objects.filter(shipment__manifest_id=OuterRef("pk"), dimension="custody", to_state="at_terminal")
                     .order_by("at").annotate(day=TruncDate("at")).values("day")[:1])
    arrived.filter(arrived_on__isnull=True).update(arrived_on=Subquery(first_arrival))
    arrived.filter(arrived_on__isnull=True).update(arrived_on=F("arrival_date"))
    (Shipment.objects.exclude(custody="awaiting_arrival").filter(arrived_on__isnull=True)
     .update(arrived_on=Subquery(Manifest.objects.filter(pk=OuterRef("manifest_id")).values("arrived_on")[:1])))


class Migration(migrations.Migration):

    dependencies = [
        ("shipments", "0011_consignee_name_folded_trigrams"),
    ]

    operations = [
        migrations.AddField(
            model_name="manifest",
            name="arrived_on",
            field=models.DateField(blank=True, help_text="The day the flight actually arrived; empty until then.", null=True),
        ),
        migrations.AddField(
            model_name="shipment",
            name="arrived_on",
            field=models.DateField(blank=True, help_text="The day the flight actually arrived; empty until then.", null=True),
        ),
        migrations.RunPython(arrivals_backfill, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(
            model_name="shipment",
            name="shipment_go_watch",
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(condition=WATCHED, fields=["arrived_on", "destination_airport"], name="shipment_go_watch"),
        ),
    ]
