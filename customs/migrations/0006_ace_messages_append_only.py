"""ACE messages are append-only in the database itself (PostgreSQL): DELETE is refused, and UPDATE too,
except stamping `processed_at` once on a message not processed yet."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION calista_ace_message_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.processed_at IS NULL AND NEW.processed_at IS NOT NULL
       AND (NEW.direction, NEW.kind, NEW.entry_id, NEW.manifest_id, NEW.transmission_id, NEW.codes, NEW.raw, NEW.at)
           IS NOT DISTINCT FROM (OLD.direction, OLD.kind, OLD.entry_id, OLD.manifest_id, OLD.transmission_id, OLD.codes,
                                 OLD.raw, OLD.at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ace_message_append_only ON customs_acemessage;
CREATE TRIGGER ace_message_append_only BEFORE UPDATE OR DELETE ON customs_acemessage
    FOR EACH ROW EXECUTE FUNCTION calista_ace_message_guard();
"""

ALLOW = "DROP TRIGGER IF EXISTS ace_message_append_only ON customs_acemessage;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW, params=None)


class Migration(migrations.Migration):
    dependencies = [("customs", "0005_simulator")]
    operations = [migrations.RunPython(forward, backward)]
