"""The status tallies keep the day each flight landed (`arrived_on`) beside its scheduled day: the boards count arrivals
by the landing day. The rows are recomputed whole every minute (dashboards/tallies.py); those made before this migration
do not say when their parcels landed, so they are dropped and the next run makes them again."""

from django.db import migrations, models


def status_tallies_drop(apps, schema_editor):
    apps.get_model("dashboards", "StatusTally").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("dashboards", "0001_boards"),
    ]

    operations = [
        migrations.RunPython(status_tallies_drop, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name="statustally",
            name="unique_status_tally",
        ),
        migrations.AddField(
            model_name="statustally",
            name="arrived_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="statustally",
            constraint=models.UniqueConstraint(fields=("arrival_date", "arrived_on", "airport", "forwarder_org", "broker_org", "cfs_org",
                                                       "status", "custody"), name="unique_status_tally"),
        ),
    ]
