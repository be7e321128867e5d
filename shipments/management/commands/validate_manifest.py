import json
import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shipments.ingest.pipeline import manifest_evaluate, manifest_report
from shipments.ingest.reader import FileProblem, human_bytes, problem


class Command(BaseCommand):
    help = ("Check a manifest file against the portal's data and print the report. Stores nothing. "
            "Exit 0 all valid, 1 some invalid, 2 file error.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true", help="Print the JSON report (the only output format).")
        parser.add_argument("--encoding", default=None, help="Read the text in this encoding instead of detecting it.")
        parser.add_argument("--as-of", default=None, help="The day used as 'today' (YYYY-MM-DD).")

    def handle(self, *args, path, encoding=None, as_of=None, **options):
        today = None
        if as_of:
            try:
                today = date.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"--as-of {as_of!r} is not a date like 2026-11-27")
        self._database_ready()
        report, code = manifest_validate_path(Path(path), encoding=encoding, today=today)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
        sys.exit(code)

    def _database_ready(self) -> None:
        """The policy tables live in the database: on a fresh checkout, set it up first (as `make run` would)."""
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("The database is not set up yet: migrating it first (manage.py migrate).")
            call_command("migrate", verbosity=0, interactive=False)


def manifest_validate_path(path: Path, *, encoding=None, today=None) -> tuple[dict, int]:
    """Evaluate a file on disk, refusing an oversized one before reading it whole."""
    from django.conf import settings

    from shipments.ingest.pipeline import Evaluation

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}")
    if size > settings.MANIFEST_MAX_BYTES:
        evaluation = Evaluation(problem=FileProblem([problem("F_TOO_LARGE", limit=human_bytes(settings.MANIFEST_MAX_BYTES))]))
    else:
        evaluation = manifest_evaluate(path.read_bytes(), filename=path.name, encoding=encoding, today=today)
    return manifest_report(evaluation), evaluation.exit_code
