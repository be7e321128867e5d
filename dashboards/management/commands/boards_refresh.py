from django.core.management.base import BaseCommand

from dashboards.tallies import tallies_refresh


class Command(BaseCommand):
    help = "Recompute the boards' summary tables now (beat does it every minute); --full recomputes every kept day."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Recompute the flows of every kept day, not only since yesterday.")

    def handle(self, *args, full=False, **options):
        result = tallies_refresh(full=full)
        if options["verbosity"]:
            self.stdout.write(f"Tallies recomputed in {result['seconds']:.2f} s: {result['status_rows']} status rows, "
                              f"{result['flow_rows']} flow rows since {result['flows_from']}.")
