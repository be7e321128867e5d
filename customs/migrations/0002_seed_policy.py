import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "policy.json"


def seed(apps, schema_editor):
    """Load the policy tables once; later edits are made in the admin."""
    for row in json.loads(FIXTURE.read_text()):
        model = apps.get_model(*row["model"].split("."))
        model.objects.create(**row["fields"])


def unseed(apps, schema_editor):
    for name in ("PolicyRule", "PolicyLimit", "PgaPrefix", "VagueTerm", "FeeRate", "DutyRate"):
        apps.get_model("customs", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("customs", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
