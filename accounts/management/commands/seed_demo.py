from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, USERS, demo_organizations_ensure


class Command(BaseCommand):
    help = "Create the demo organizations and users (safe to run again), and demo shipments unless --orgs-only."

    def add_arguments(self, parser):
        parser.add_argument("--orgs-only", action="store_true", help="Organizations and users only, no shipments.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, orgs_only=False, quiet=False, **options):
        orgs = demo_organizations_ensure()
        if not orgs_only:
            from shipments.demo import demo_shipments_ensure

            created = demo_shipments_ensure(orgs)
            if created:
                self.stdout.write(f"Demo shipments: {created} created.")
        if not quiet:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for user in USERS:
                self.stdout.write(f"  {user.username:<16} {user.what}")
