"""Demo traffic: manifests uploaded by the demo forwarders, approved by the demo broker, answered by the
ACE simulator and worked by the demo CFSs, until the shipments stop moving.

Runs with real workers (tasks are queued; this process only plays the people) or in-process
(`inline`: every task is called directly). Used by `manage.py simulate` and `make run SIMULATE=1`.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.demo import demo_organizations_ensure
from calista import clocks
from customs import filing
from customs.ace.inbox import notices_receive
from customs.models import SimulatorNotice, Transmission
from shipments import lifecycle
from shipments.generator import manifest_generate, write_manifest
from shipments.models import CustomsStatus, Shipment, Upload
from shipments.services import manifest_ingest, upload_create

FORWARDERS = ("demo-forwarder-1", "demo-forwarder-2")
AIRPORTS = ("LAX", "SFO", "JFK", "ATL")


@dataclass
class Simulation:
    manifests: int = 2
    rows: int = 200
    airports: list[str] = field(default_factory=lambda: list(AIRPORTS))
    inline: bool = False
    timeout: float = 300.0
    seed: int | None = None
    uploads: list[int] = field(default_factory=list)

    def run(self) -> dict:
        orgs = demo_organizations_ensure()
        self.upload_manifests(orgs)
        self.wait_for_uploads()
        self.approve(orgs)
        self.settle(orgs)
        from dashboards.tallies import tallies_refresh

        tallies_refresh()  # the boards show the new traffic at once
        return self.counts()

    # --- the forwarders -------------------------------------------------------------------

    def upload_manifests(self, orgs) -> None:
        rng = random.Random(self.seed)
        for n in range(self.manifests):
            forwarder = orgs[FORWARDERS[n % len(FORWARDERS)]]
            seed = rng.randrange(1, 10**6)
            days, airport = rng.randint(-1, 2), rng.choice(self.airports)
            manifest = manifest_generate(rows=self.rows, arrival=clocks.airport_today(airport) + timedelta(days=days), defects=0.03,
                                         seed=seed, airports=[airport], hawb_prefix=f"S{seed % 10**5}")
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"sim-{seed}.csv"
                write_manifest(path, header=manifest.header, rows=manifest.rows)
                content = path.read_bytes()
            upload = upload_create(forwarder=forwarder, user=None, file=ContentFile(content), name=path.name, queue=not self.inline)
            if self.inline:
                manifest_ingest(upload_id=upload.pk)
            self.uploads.append(upload.pk)

    def wait_for_uploads(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if not Upload.objects.filter(pk__in=self.uploads).exclude(state__in=["done", "failed", "crashed"]).exists():
                return
            time.sleep(0.5)

    # --- the broker -----------------------------------------------------------------------

    def approve(self, orgs) -> None:
        broker = orgs["demo-broker"]
        user = get_user_model().objects.get(username="broker")
        ids = list(self.shipments().filter(status=CustomsStatus.RECEIVED).values_list("id", flat=True))
        lifecycle.shipments_approve(ids, actor=lifecycle.Actor.of(user, broker))
        if self.inline:
            filing.entries_build(broker=broker)
        else:
            from customs.tasks import entries_build_task

            entries_build_task.delay(broker.pk)

    # --- ACE and the CFSs, until nothing moves --------------------------------------------

    def settle(self, orgs) -> None:
        deadline = time.monotonic() + self.timeout
        quiet_needed = max(3.0, 2.5 * settings.ACE_DELAY_SECONDS)
        last, quiet_since = None, time.monotonic()
        while time.monotonic() < deadline:
            if self.inline:
                self.step_inline()
            self.step_cfs(orgs)
            snapshot = self.counts()
            busy = self.work_pending()
            if snapshot != last or busy:
                last, quiet_since = snapshot, time.monotonic()
            elif time.monotonic() - quiet_since >= (0 if self.inline else quiet_needed):
                return
            if not self.inline:
                time.sleep(0.5)

    def step_inline(self) -> None:
        while claimed := filing.transmissions_claim(limit=settings.ACE_BATCH_SIZE):
            filing.transmissions_deliver(transmission_ids=claimed)
        while notices_receive():
            pass

    def step_cfs(self, orgs) -> None:
        try:
            from cfs.services import cfs_simulate_step
        except ImportError:  # the CFS steps come with the CFS module
            return
        for slug in ("demo-cfs-lax", "demo-cfs-sfo", "demo-cfs-jfk", "demo-cfs-atl"):
            cfs_simulate_step(cfs=orgs[slug], now=timezone.now())

    def work_pending(self) -> bool:
        """Anything still on its way: transmissions not replied, notices not yet sent (not those waiting for goods to be
        presented at exam: only the CFS can move those, and its steps count as movement)."""
        mawbs = set(self.shipments().values_list("mawb", flat=True))
        soon = timezone.now() + timedelta(seconds=60)
        return (Transmission.objects.exclude(state=Transmission.State.DONE).filter(entry__manifest__mawb__in=mawbs).exists()
                or SimulatorNotice.objects.filter(emitted_at__isnull=True, after_exam__isnull=True, due_at__lte=soon).exists())

    # --- what happened ----------------------------------------------------------------------

    def shipments(self):
        return Shipment.objects.filter(upload_id__in=self.uploads)

    def counts(self) -> dict:
        from shipments.services import shipments_count_by_state

        customs, custody = shipments_count_by_state(self.shipments())
        return {"customs": dict(sorted(customs.items())), "custody": dict(sorted(custody.items()))}
