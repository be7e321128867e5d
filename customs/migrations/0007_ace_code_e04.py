from django.db import migrations


def add(apps, schema_editor):
    """E04, which the simulator sends for data that does not match the air manifest, was missing from the table."""
    apps.get_model("customs", "AceCode").objects.update_or_create(kind="error", code="E04", defaults={
        "effect": "reject", "agency": "",
        "meaning_en": "The bill does not match the air manifest (AMS): ACE cannot link the entry to the arriving goods.",
        "meaning_zh": "提单与空运舱单（AMS）不符：ACE 无法将报关单与到港货物关联。",
        "next_step_en": "Check the MAWB and HAWB against the airline's manifest, correct and re-file.",
        "next_step_zh": "对照航空公司舱单核对主单号和分单号，更正后重新申报。",
    })


def remove(apps, schema_editor):
    apps.get_model("customs", "AceCode").objects.filter(kind="error", code="E04").delete()


class Migration(migrations.Migration):
    dependencies = [("customs", "0006_ace_messages_append_only")]
    operations = [migrations.RunPython(add, remove)]
