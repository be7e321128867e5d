"""The lists behind the boards' numbers over a million shipments: the index of landed parcels in the lists' order (a day's
first page read straight from it), and an index of the parcels not landed yet (the rest of a period: a few days' traffic).
A period is then two index ranges, not a scan of the table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("shipments", "0013_landed_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="shipment",
            name="shipment_landed",
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(condition=models.Q(("arrived_on__isnull", False)), fields=["arrived_on", "-arrival_date", "mawb", "hawb"],
                               name="shipment_landed"),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(condition=models.Q(("arrived_on__isnull", True)), fields=["arrival_date", "destination_airport"],
                               name="shipment_awaited"),
        ),
    ]
