"""The boards count and list arrivals by the day the flight landed (`arrived_on`): an index of the parcels that landed,
by that day and airport. Parcels awaiting arrival (every new one) are not in it, so an ingest writes nothing to it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("shipments", "0012_actual_arrival"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(condition=models.Q(("arrived_on__isnull", False)), fields=["arrived_on", "destination_airport"],
                               name="shipment_landed"),
        ),
    ]
