import json
import time

from django.core.management.base import BaseCommand, CommandError

from customs.simulation import AIRPORTS, Simulation


class Command(BaseCommand):
    help = ("Demo traffic: upload generated manifests as the demo forwarders, approve as the demo broker, let the ACE "
            "simulator answer and the demo CFSs work, until the shipments stop moving; print the counts per status.")

    def add_arguments(self, parser):
        parser.add_argument("--manifests", type=int, default=2, help="How many manifests to upload (default 2).")
        parser.add_argument("--rows", type=int, default=200, help="Rows per manifest (default 200).")
        parser.add_argument("--airports", default=",".join(AIRPORTS), help="Destination airports, e.g. LAX,JFK.")
        parser.add_argument("--timeout", type=float, default=300, help="Stop waiting after this many seconds.")
        parser.add_argument("--inline", action="store_true", help="Run every task in this process (no workers needed).")
        parser.add_argument("--json", action="store_true", help='Print {"customs": {...}, "custody": {...}} as JSON.')
        parser.add_argument("--seed", type=int, default=None, help="Seed for the generated manifests.")
        parser.add_argument("--forever", action="store_true", help="Keep uploading a manifest every --every seconds.")
        parser.add_argument("--every", type=float, default=60, help="With --forever: seconds between manifests.")

    def handle(self, *args, manifests, rows, airports, timeout, inline, seed, forever, every, **options):
        if manifests < 1 or rows < 1:
            raise CommandError("--manifests and --rows must be at least 1")
        chosen = [a.strip().upper() for a in airports.split(",") if a.strip()]
        unknown = [a for a in chosen if a not in AIRPORTS]
        if unknown or not chosen:
            raise CommandError(f"unknown airport(s) {unknown}: choose from {', '.join(AIRPORTS)}")
        while True:
            simulation = Simulation(manifests=manifests, rows=rows, airports=chosen, inline=inline, timeout=timeout, seed=seed)
            counts = simulation.run()
            if options["json"]:
                self.stdout.write(json.dumps(counts))
            else:
                self.stdout.write("customs: " + ", ".join(f"{k} {v}" for k, v in counts["customs"].items()))
                self.stdout.write("custody: " + ", ".join(f"{k} {v}" for k, v in counts["custody"].items()))
            if not forever:
                return
            time.sleep(every)
            manifests, seed = 1, None
