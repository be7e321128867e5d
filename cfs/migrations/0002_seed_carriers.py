"""The national last-mile carriers every station hands parcels to, from cfs/fixtures/carriers.json (editable in the admin)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "carriers.json"


def seed(apps, schema_editor):
    Carrier = apps.get_model("cfs", "Carrier")
    for row in json.loads(FIXTURE.read_text()):
        fields = row["fields"]
        Carrier.objects.update_or_create(cfs=None, code=fields["code"], defaults={
            "name": fields["name"], "tracking_pattern": fields["tracking_pattern"], "active": fields["active"]})


def unseed(apps, schema_editor):
    codes = [row["fields"]["code"] for row in json.loads(FIXTURE.read_text())]
    apps.get_model("cfs", "Carrier").objects.filter(cfs=None, code__in=codes, handoffs=None).delete()


class Migration(migrations.Migration):
    dependencies = [("cfs", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
