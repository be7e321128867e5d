"""Demo shipments for seed_demo: a few manifests per demo forwarder, ingested as a forwarder would upload them."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile

from calista import clocks
from shipments.generator import manifest_generate, write_manifest
from shipments.models import Upload
from shipments.services import manifest_ingest, upload_create

# (forwarder slug, file name, rows, days from today, airports, seed, defects)
DEMO_FILES = (
    ("demo-forwarder-1", "demo-szx-lax-jfk.csv", 240, -2, ["LAX", "JFK"], 101, 0.06),
    ("demo-forwarder-1", "demo-pvg-sfo-atl.csv", 180, 1, ["SFO", "ATL"], 102, 0.04),
    ("demo-forwarder-2", "demo-hkg-lax.csv", 150, 0, ["LAX"], 201, 0.05),
)


def demo_shipments_ensure(orgs) -> int:
    """Ingest the demo files not ingested yet (by name); returns how many shipments were created."""
    created = 0
    for slug, name, rows, offset, airports, seed, defects in DEMO_FILES:
        forwarder = orgs[slug]
        if Upload.objects.filter(forwarder=forwarder, original_name=name).exists():
            continue
        today = clocks.airport_today(airports[0])  # "arriving today" at LAX in its evening too, not on UTC's tomorrow
        manifest = manifest_generate(rows=rows, arrival=today + timedelta(days=offset), defects=defects, seed=seed,
                                     airports=airports, hawb_prefix=f"D{seed}")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            write_manifest(path, header=manifest.header, rows=manifest.rows)
            content = path.read_bytes()
        upload = upload_create(forwarder=forwarder, user=None, file=ContentFile(content), name=name, queue=False)
        manifest_ingest(upload_id=upload.pk)
        upload.refresh_from_db()
        created += upload.rows_valid
    if created:
        from dashboards.tallies import tallies_refresh

        tallies_refresh()  # the boards' counts, at once rather than at the next minute
    return created
