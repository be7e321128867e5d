"""Write a realistic manifest file for demos, benchmarks and tests (see shipments/generator.py)."""

import codecs
import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shipments.generator import manifest_generate, write_manifest


class Command(BaseCommand):
    help = "Write a realistic manifest file (CSV or .xlsx), optionally with defects in a share of its rows."

    def add_arguments(self, parser):
        parser.add_argument("out", help="File to write; with --xlsx, .xlsx is appended when missing.")
        parser.add_argument("--rows", type=int, required=True, help="Number of data rows.")
        parser.add_argument("--date", help="Arrival date of every MAWB, YYYY-MM-DD (default: 3 days from today).")
        parser.add_argument("--defects", type=float, default=0.0, help="Share of rows with one defect, from 0 to 1.")
        parser.add_argument("--xlsx", action="store_true", help="Write an Excel workbook instead of CSV.")
        parser.add_argument("--encoding", default="utf-8", help="Python codec of the CSV file (utf-8, utf-8-sig, gb18030, utf-16 …).")
        parser.add_argument("--seed", type=int, default=0, help="Same seed, same file.")
        parser.add_argument("--chinese-headers", action="store_true", help="Use the Chinese column names of the spec.")
        parser.add_argument("--airports", help="Comma-separated destination airports (default: LAX,SFO,JFK,ATL).")
        parser.add_argument("--mawbs", type=int, help="Spread the rows over exactly this many consolidations.")

    def handle(self, *args, out, rows, date, defects, xlsx, encoding, seed, chinese_headers, airports, mawbs, **options):
        arrival = self._arrival(date)
        # A workbook named .xlsx is what the portal reads as one, whatever the flag says.
        xlsx = xlsx or out.lower().endswith(".xlsx")
        if xlsx and not out.lower().endswith(".xlsx"):
            out += ".xlsx"
        if not xlsx:
            self._check_encoding(encoding)
        try:
            manifest = manifest_generate(
                rows=rows,
                arrival=arrival,
                defects=defects,
                seed=seed,
                airports=airports.split(",") if airports else None,
                mawbs=mawbs,
            )
        except ValueError as e:
            raise CommandError(str(e))
        try:
            write_manifest(out, header=manifest.header, rows=manifest.rows, xlsx=xlsx, encoding=encoding, chinese_headers=chinese_headers)
        except UnicodeEncodeError as e:
            Path(out).unlink(missing_ok=True)  # half a file would look like a truncated upload
            raise CommandError(f"{encoding} cannot write {e.object[e.start : e.end]!r}; use utf-8 or gb18030")
        except OSError as e:
            raise CommandError(f"cannot write {out}: {e.strerror or e}")

        # MAWBs as consolidated: rows a defect moved to a MAWB of their own count among the defects.
        defective = sum(1 for found in manifest.codes if found)
        self.stdout.write(f"wrote {out}: {len(manifest.rows)} rows, {manifest.consolidations} MAWBs, {defective} rows with defects")

    def _arrival(self, text):
        if text is None:
            return timezone.localdate() + datetime.timedelta(days=3)
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"--date must be a date as YYYY-MM-DD, not {text!r}")

    def _check_encoding(self, encoding):
        try:
            codecs.lookup(encoding)
            # Codecs such as rot13 or base64 exist but do not turn text into bytes.
            "".encode(encoding)
        except LookupError:
            raise CommandError(f"unknown text encoding {encoding!r}")
