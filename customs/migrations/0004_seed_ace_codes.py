import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ace_codes.json"


def seed(apps, schema_editor):
    """The ACE disposition and error codes with their meanings; later edits are made in the admin."""
    AceCode = apps.get_model("customs", "AceCode")
    for row in json.loads(FIXTURE.read_text()):
        AceCode.objects.create(**row["fields"])


def unseed(apps, schema_editor):
    apps.get_model("customs", "AceCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("customs", "0003_acecode_entry_acemessage_filersequence_hold_and_more")]
    operations = [migrations.RunPython(seed, unseed)]
