import json
import sys
from datetime import date
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from shipments.ingest.pipeline import manifest_report
from shipments.management.commands.validate_manifest import manifest_validate_path


class Command(BaseCommand):
    help = ("Ingest a manifest file in the foreground as a forwarder, and print the same report as validate_manifest "
            "(exit 0 all valid, 1 some invalid, 2 file error).")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--org", required=True, help="The forwarder's slug.")
        parser.add_argument("--json", action="store_true", help="Print the JSON report (otherwise a summary line).")
        parser.add_argument("--encoding", default=None, help="Read the text in this encoding instead of detecting it.")
        parser.add_argument("--as-of", default=None, help="The day used as 'today' (YYYY-MM-DD).")

    def handle(self, *args, path, org, encoding=None, as_of=None, **options):
        from django.conf import settings

        from shipments.services import manifest_ingest, upload_create

        try:
            forwarder = Organization.objects.get(slug=org, kind=Organization.Kind.FORWARDER)
        except Organization.DoesNotExist:
            raise CommandError(f"no forwarder with the slug {org!r}")
        try:
            today = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date like 2026-11-27")
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"cannot read {path}")
        if path.stat().st_size > settings.MANIFEST_MAX_BYTES:
            report, code = manifest_validate_path(path)  # refused before reading: the same F_TOO_LARGE report
        else:
            with path.open("rb") as handle:
                upload = upload_create(forwarder=forwarder, user=None, file=File(handle, name=path.name), name=path.name,
                                       encoding=encoding or "", queue=False)
            evaluation = manifest_ingest(upload_id=upload.pk, today=today)
            report, code = manifest_report(evaluation), evaluation.exit_code
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
        else:
            summary = report["summary"]
            self.stdout.write(f"{path.name}: {summary['rows']} rows, {summary['valid']} valid, {summary['invalid']} invalid, "
                              f"entry types {summary['entry_types']}" + (f", file errors {report['file']['errors']}" if code == 2 else ""))
        sys.exit(code)
