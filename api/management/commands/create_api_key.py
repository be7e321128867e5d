from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from api.keys import ApiKeyError, api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization and print it (it is shown only this once). For scripts and first set-up."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug, e.g. demo-forwarder-1.")
        parser.add_argument("--read-only", action="store_true", help="A key that reads but cannot upload or change anything.")
        parser.add_argument("--name", default="Command line", help="What the key is for (shown on the portal).")

    def handle(self, *args, org, read_only=False, name="Command line", **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {org!r}.")
        try:
            key, raw = api_key_create(organization=organization, name=name, read_only=read_only)
        except ApiKeyError as error:
            raise CommandError(error.message)
        self.stdout.write(raw)
        self.stderr.write(f"{key.get_scope_display()} key {key.prefix} for {organization.name}; it is not shown again.")
