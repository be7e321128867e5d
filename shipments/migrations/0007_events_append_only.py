"""Shipment events are append-only in the database itself (PostgreSQL): UPDATE and DELETE are refused."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION calista_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS shipment_event_append_only ON shipments_shipmentevent;
CREATE TRIGGER shipment_event_append_only BEFORE UPDATE OR DELETE ON shipments_shipmentevent
    FOR EACH ROW EXECUTE FUNCTION calista_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS shipment_event_append_only ON shipments_shipmentevent;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW, params=None)


class Migration(migrations.Migration):
    dependencies = [("shipments", "0006_shipment_entry_shipment_open_holds")]
    operations = [migrations.RunPython(forward, backward)]
