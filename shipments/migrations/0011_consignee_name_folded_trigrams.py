"""Support finds "Peña" by "pena": the consignee trigram index is built on the name without accents.

On PostgreSQL, `calista_fold(text)` is an immutable wrapper of the unaccent extension (unaccent itself is only
stable, so no index may use it directly; the wrapper names its dictionary with its schema, so that it does not
depend on the search path). Where unaccent cannot be installed (not shipped, or no right to create it), the
migration still succeeds: `calista_fold` then returns the text as it is, and names are found in any case but with
their accents only. Installing unaccent later and running `migrate shipments 0010 && migrate` builds it again.
On SQLite nothing is created: calista.db registers a Python `calista_fold` on every connection.
"""

import logging

import django.contrib.postgres.indexes
from django.db import DatabaseError, migrations, transaction

import calista.db

log = logging.getLogger(__name__)

FOLD_WITH_UNACCENT = """
CREATE OR REPLACE FUNCTION calista_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$
"""
FOLD_AS_IS = """
CREATE OR REPLACE FUNCTION calista_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT $1 $$
"""


def fold_create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: a refusal leaves the migration going
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except DatabaseError as error:
            log.warning("The unaccent extension could not be installed (%s): consignee names are searched with their accents.",
                        error)
        cursor.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                       "WHERE e.extname = 'unaccent'")
        row = cursor.fetchone()
        cursor.execute(FOLD_WITH_UNACCENT.format(schema=connection.ops.quote_name(row[0])) if row else FOLD_AS_IS)


def fold_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS calista_fold(text)")


def index_on_folded_names(apps, schema_editor):
    # Written out: Django renders OpClass inside an expression index right only with django.contrib.postgres installed.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS shipment_consignee_trgm")
        schema_editor.execute("CREATE INDEX shipment_consignee_trgm ON shipments_shipment USING gin (calista_fold(consignee_name) gin_trgm_ops)")


def index_on_names(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS shipment_consignee_trgm")
        schema_editor.execute("CREATE INDEX shipment_consignee_trgm ON shipments_shipment USING gin (consignee_name gin_trgm_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('shipments', '0010_event_api_key'),
    ]

    operations = [
        migrations.RunPython(fold_create, fold_drop, elidable=False),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(index_on_folded_names, index_on_names, elidable=False)],
            state_operations=[
                migrations.RemoveIndex(model_name='shipment', name='shipment_consignee_trgm'),
                migrations.AddIndex(
                    model_name='shipment',
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass(calista.db.Fold('consignee_name'), name='gin_trgm_ops'),
                        name='shipment_consignee_trgm'),
                ),
            ],
        ),
    ]
