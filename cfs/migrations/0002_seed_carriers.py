"""The national last-mile carriers every station hands parcels to (editable in the admin)."""

from django.db import migrations

# (code, name, the shapes of the carrier's tracking numbers as printed in their barcodes)
CARRIERS = [
    ("ups", "UPS", r"1Z[0-9A-Z]{16}"),
    ("fedex", "FedEx", r"[0-9]{12}|[0-9]{15}|[0-9]{20}|[0-9]{22}|[0-9]{34}"),
    ("dhl", "DHL", r"[0-9]{10}|JJD[0-9]{18,20}|GM[0-9]{16,18}|[0-9]{14}"),
    ("usps", "USPS", r"(420[0-9]{5}([0-9]{4})?)?9[0-9]{19,21}|[A-Z]{2}[0-9]{9}US"),
]


def seed(apps, schema_editor):
    Carrier = apps.get_model("cfs", "Carrier")
    for code, name, pattern in CARRIERS:
        Carrier.objects.update_or_create(cfs=None, code=code, defaults={"name": name, "tracking_pattern": pattern})


def unseed(apps, schema_editor):
    apps.get_model("cfs", "Carrier").objects.filter(cfs=None, code__in=[c[0] for c in CARRIERS], handoffs=None).delete()


class Migration(migrations.Migration):
    dependencies = [("cfs", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
