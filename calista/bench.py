"""`make bench [PART=ingest|pipeline|dashboards|all]`: benchmarks on PostgreSQL, printing figures and ratios.

Each part creates its own database on the PostgreSQL server named by DATABASE_URL (default:
the local server), runs, prints its figures, merges them into bench-results.json and drops
the database. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench-results.json"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
PARTS = ("ingest",)


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_SERVER


def with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def admin_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(with_database(server_url(), "postgres").replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


class BenchDatabase:
    """A fresh database for one part, dropped afterwards whatever happens."""

    def __init__(self, part: str):
        self.name = f"calista_bench_{part}_{os.getpid()}"
        self.url = with_database(server_url(), self.name)

    def __enter__(self):
        admin_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        admin_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run_child(part: str, env: dict, *args: str) -> dict:
    """Run one measured step in a fresh process (so peak memory is its own) and return its JSON line."""
    out = subprocess.run([sys.executable, "-m", "calista.bench", f"--child={part}", *args], cwd=BASE_DIR, env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"bench step {part} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_env(db: BenchDatabase, var_dir: str) -> dict:
    return {**os.environ, "DATABASE_URL": db.url, "DJANGO_SETTINGS_MODULE": "calista.settings", "VAR_DIR": var_dir,
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://"), "CACHE_URL": "locmem://",
            "HTTPS": "0", "LOG_LEVEL": "WARNING", "MANIFEST_MAX_RECORDS": "1000000"}


# --- ingest -----------------------------------------------------------------------------------

INGEST_ROWS = int(os.environ.get("BENCH_INGEST_ROWS", "50000"))


def bench_ingest() -> dict:
    with BenchDatabase("ingest") as db, tempfile.TemporaryDirectory(prefix="calista-bench-") as var:
        env = child_env(db, var)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo", "--orgs-only", "--quiet"], cwd=BASE_DIR, env=env, check=True)
        path = Path(var) / "bench-50k.csv"
        subprocess.run([sys.executable, "manage.py", "generate_manifest", str(path), "--rows", str(INGEST_ROWS),
                        "--defects", "0.02", "--seed", "7"], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)
        copy = run_child("copy", env, str(path))
        ingest = run_child("ingest", env, str(path))
    figures = {
        "ingest_rows": ingest["rows"],
        "copy_seconds": round(copy["seconds"], 3),
        "ingest_seconds": round(ingest["seconds"], 3),
        "ingest_copy_ratio": round(ingest["seconds"] / copy["seconds"], 2),
        "ingest_peak_mb": round(ingest["peak_mb"], 1),
    }
    print(f"ingest: {figures['ingest_rows']:,} rows ({ingest['stored']:,} stored)")
    print(f"  (a) COPY into a text table: {figures['copy_seconds']:.3f} s")
    print(f"  (b) portal ingest:          {figures['ingest_seconds']:.3f} s  "
          f"[{', '.join(f'{k} {v:.3f}' for k, v in ingest['phases'].items())}]")
    print(f"  ratio b/a: {figures['ingest_copy_ratio']}  (target <= 5)")
    print(f"  ingest peak memory: {figures['ingest_peak_mb']} MB (whole process, target <= 500)")
    return figures


def child_copy(path: str) -> dict:
    """(a) PostgreSQL COPY of the file into a plain text table."""
    import psycopg

    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    header = Path(path).open(encoding="utf-8").readline().rstrip("\r\n").split(",")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_raw (" + ", ".join(f"c{i} text" for i in range(len(header))) + ")")
        started = time.perf_counter()
        with conn.cursor() as cursor, Path(path).open("rb") as handle:
            with cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw")
    return {"seconds": seconds}


def child_ingest(path: str) -> dict:
    """(b) the portal's ingest of the same file: read, check, decide, store, events."""
    import django

    django.setup()
    from django.core.files.base import ContentFile

    from accounts.models import Organization
    from shipments import services
    from shipments.models import Shipment

    forwarder = Organization.objects.get(slug="demo-forwarder-1")
    data = Path(path).read_bytes()
    timings: dict[str, float] = {}
    upload = services.upload_create(forwarder=forwarder, user=None, file=ContentFile(data), name=Path(path).name, queue=False)
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):  # a developer's aid: where does the time go?
        import cProfile

        cProfile.runctx("services.manifest_ingest(upload_id=upload.pk, timings=timings)", globals(), locals(),
                        os.environ["BENCH_PROFILE"])
    else:
        services.manifest_ingest(upload_id=upload.pk, timings=timings)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": upload.__class__.objects.get(pk=upload.pk).rows_total,
            "stored": Shipment.objects.count(), "peak_mb": peak_mb, "phases": timings}


# --- pipeline -----------------------------------------------------------------------------------

PIPELINE_ROWS = int(os.environ.get("BENCH_PIPELINE_ROWS", "20000"))


def bench_pipeline() -> dict:
    """20,000 approved shipments through real worker processes, Redis and PostgreSQL, from approval to released."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        broker = "redis://127.0.0.1:6379/15"
    with BenchDatabase("pipeline") as db, tempfile.TemporaryDirectory(prefix="calista-bench-") as var:
        env = {**child_env(db, var), "CELERY_BROKER_URL": broker, "CACHE_URL": broker.rsplit("/", 1)[0] + "/14",
               "ACE_DELAY_SECONDS": "0", "ACE_RATE_LIMIT_PER_HOUR": "0", "ACE_HOLD_RATE": "0", "ACE_EXAM_RATE": "0",
               "ACE_REJECT_RATE": "0", "ACE_BATCH_SIZE": "1000"}
        subprocess.run(["redis-cli", "-u", broker, "flushdb"], check=False, capture_output=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo", "--orgs-only", "--quiet"], cwd=BASE_DIR, env=env, check=True)
        path = Path(var) / "bench-pipeline.csv"
        subprocess.run([sys.executable, "manage.py", "generate_manifest", str(path), "--rows", str(PIPELINE_ROWS), "--date",
                        "2026-12-01", "--seed", "21", "--airports", "LAX"], cwd=BASE_DIR, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "manage.py", "import_manifest", str(path), "--org", "demo-forwarder-1"], cwd=BASE_DIR,
                       env=env, check=False, stdout=subprocess.DEVNULL)
        logs = BASE_DIR / "var" / "bench-logs"
        logs.mkdir(parents=True, exist_ok=True)
        workers = [subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "calista", "worker", "--loglevel",
                                     "WARNING", "--concurrency", "2", "--queues", "celery,ingest,filing,ace,notify",
                                     "--hostname", f"bench{n}@%h", "--without-gossip", "--without-mingle"],
                                    cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL,
                                    stderr=(logs / f"pipeline-worker{n}.log").open("w"))
                   for n in range(1)]
        try:
            time.sleep(4)  # the workers connect
            result = run_child("pipeline", env)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
    figures = {
        "pipeline_shipments": result["shipments"],
        "pipeline_seconds": round(result["seconds"], 2),
        "pipeline_per_second": round(result["shipments"] / result["seconds"], 1),
    }
    print(f"pipeline: {figures['pipeline_shipments']:,} shipments from approval to released through real workers")
    print(f"  {figures['pipeline_seconds']} s, {figures['pipeline_per_second']} shipments/s (target >= 500)  "
          f"[{', '.join(f'{k} {v}' for k, v in result['milestones'].items())}]")
    if result["unfinished"]:
        print(f"  not released when the bench stopped: {result['unfinished']} (worker log: var/bench-logs/)")
    return figures


def child_pipeline() -> dict:
    """Approve every received shipment as the demo broker, queue the filing, wait until all are released."""
    import django
    import django.db.models

    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.models import Organization
    from customs.tasks import entries_build_task
    from shipments import lifecycle
    from shipments.models import Shipment

    broker = Organization.objects.get(slug="demo-broker")
    user = get_user_model().objects.get(username="broker")
    ids = list(Shipment.objects.filter(status="received").values_list("id", flat=True))
    started = time.perf_counter()
    milestones = {}
    lifecycle.shipments_approve(ids, actor=lifecycle.Actor.of(user, broker))
    milestones["approved"] = round(time.perf_counter() - started, 2)
    entries_build_task.delay(broker.pk)
    deadline = started + 600
    seen = set()
    while time.perf_counter() < deadline:
        counts = dict(Shipment.objects.filter(pk__in=ids).order_by().values_list("status").annotate(n=django.db.models.Count("id")))
        for status in ("filed", "accepted", "released"):
            if counts.get(status) and status not in seen:
                seen.add(status)
                milestones[f"first {status}"] = round(time.perf_counter() - started, 2)
        if counts.get("released", 0) == len(ids):
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    unfinished = {status: n for status, n in counts.items() if status != "released"}
    return {"shipments": counts.get("released", 0), "seconds": seconds, "milestones": milestones, "unfinished": unfinished}


# --- dashboards ---------------------------------------------------------------------------------

BOARD_SHIPMENTS = int(os.environ.get("BENCH_BOARD_SHIPMENTS", "1000000"))
BOARD_REQUESTS = int(os.environ.get("BENCH_BOARD_REQUESTS", "200"))
BOARD_DAYS = 90  # arrivals spread over the last 90 days, and tomorrow's flights
BOARD_TARGETS = {"board_all": 200, "board_airport": 200, "search_hawb": 100, "search_name": 100}
# The lists behind a board's numbers (a page of 50 and its count, as dashboards.views.board_list runs them), as the
# operator (every shipment), a forwarder (half of them) and a station (its airport's): a period's total, and a day's
# "Arrived" on the chart.
BOARD_LIST_ROLES = {"operator": "support", "forwarder": "forwarder", "station": "cfs-lax"}
BOARD_LIST_TARGET = 200
BOARD_TARGETS.update({f"list_{number}_{role}": BOARD_LIST_TARGET for number in ("period", "arrived") for role in BOARD_LIST_ROLES})


def bench_dashboards() -> dict:
    """1,000,000 shipments with their events, then the boards and the support search as a support agent sees them, and the
    lists behind a period's and a day's numbers as the operator, a forwarder and a station see them."""
    with BenchDatabase("dashboards") as db, tempfile.TemporaryDirectory(prefix="calista-bench-") as var:
        env = child_env(db, var)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo", "--orgs-only", "--quiet"], cwd=BASE_DIR, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
        load = run_child("dashboards_load", env, str(BOARD_SHIPMENTS))
        timing = run_child("dashboards_time", env, str(BOARD_REQUESTS))
    figures = {"board_shipments": load["shipments"], "board_events": load["events"],
               "board_tallies_refresh_seconds": round(load["refresh_seconds"], 2)}
    print(f"dashboards: {load['shipments']:,} shipments, {load['events']:,} events, {load['entries']:,} entries, "
          f"{load['holds']:,} holds, {load['handoffs']:,} hand-offs, {load['manifests']:,} MAWBs")
    print(f"  loaded in {load['seconds']:.1f} s (prepare {load['prepare_seconds']:.1f}, COPY {load['copy_seconds']:.1f}, "
          f"indexes {load['index_seconds']:.1f}); VACUUM ANALYZE {load['analyze_seconds']:.1f} s")
    print(f"  tallies: first build {load['flows_seconds']:.1f} s ({load['status_rows']:,} status rows, {load['flow_rows']:,} flow "
          f"rows); the refresh beat runs every minute takes {load['refresh_seconds']:.2f} s")
    print(f"  {timing['requests']} requests of each kind, boards and searches as a support agent, the lists behind the numbers as "
          f"each role (p50 / p95, target for p95):")
    for kind, target in BOARD_TARGETS.items():
        p50, p95 = timing[kind]["p50"], timing[kind]["p95"]
        figures[f"{kind}_p50_ms"] = round(p50, 1)
        figures[f"{kind}_p95_ms"] = round(p95, 1)
        verdict = "ok" if p95 <= target else "MISSED"
        print(f"  {kind:<24} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   (target <= {target} ms: {verdict})")
    return figures


def _day_start(day) -> float:
    from datetime import datetime
    from datetime import time as clock

    from django.utils import timezone

    return datetime.combine(day, clock.min, tzinfo=timezone.get_current_timezone()).timestamp()


class BoardData:
    """A million shipments as 90 days of traffic leave them: every event, hold, entry and hand-off, written with COPY.

    Each parcel gets a whole timeline (uploaded, approved, filed, sometimes rejected by ACE and
    filed again, accepted, sometimes held and then released or seized, released; arrived,
    transferred, collected, received, broken down, handed off); what lies after now has not
    happened yet, so recent flights are still on their way through customs and the station.
    """

    AIRPORTS = ("LAX", "JFK", "SFO", "ATL")
    AIRPORT_SHARES = (0.4, 0.25, 0.2, 0.15)
    HOLD_CODES = ("BH", "FH", "UH", "CH", "TH")  # CBP, FDA, USDA, CPSC, FCC
    HOLD_SHARES = (0.4, 0.3, 0.1, 0.1, 0.1)
    REJECT_CODES = ("181", "110", "E01", "E02", "E04")
    REJECT_SHARES = (0.5, 0.2, 0.15, 0.1, 0.05)
    ORIGINS = (("160", "CX", "HKG"), ("784", "CZ", "CAN"), ("781", "MU", "PVG"), ("406", "5X", "SZX"), ("297", "CI", "TPE"),
               ("180", "KE", "ICN"))
    H = 3600.0

    def __init__(self, count: int, *, seed: int = 6):
        import numpy as np
        from django.utils import timezone

        self.np = np
        self.rng = np.random.default_rng(seed)
        self.count = count
        self.now = timezone.now().timestamp()
        self.today = timezone.localdate()

    # --- helpers ---------------------------------------------------------------------------------

    def uniform(self, low_hours: float, high_hours: float, size: int):
        return self.rng.uniform(low_hours, high_hours, size) * self.H

    def chosen(self, values, shares, size: int):
        return self.np.asarray(values)[self.rng.choice(len(values), size=size, p=shares)]

    def stamps(self, seconds):
        import pyarrow as pa

        return pa.array((seconds * 1e6).astype("int64"), type=pa.timestamp("us", tz="UTC"))

    def insert(self, model, columns: dict) -> int:
        import pyarrow as pa

        from shipments.bulk import insert_table

        table = pa.table(columns)
        insert_table(model, table)
        return table.num_rows

    # --- the load --------------------------------------------------------------------------------

    def load(self) -> dict:
        from django.db import connection, transaction

        from accounts.models import Organization
        from cfs.models import Carrier, Handoff
        from customs.models import Entry, Hold
        from shipments.models import Manifest, Shipment, ShipmentEvent

        broker = Organization.objects.get(slug="demo-broker")
        forwarders = [Organization.objects.get(slug="demo-forwarder-1"), Organization.objects.get(slug="demo-forwarder-2"),
                      Organization.objects.update_or_create(slug="bench-forwarder-3", defaults={
                          "name": "Bench Forwarder 3", "kind": "forwarder", "default_broker": broker})[0]]
        stations = {o.airport: o for o in Organization.objects.filter(kind="cfs")}
        self.carriers = {c.code: c.pk for c in Carrier.objects.filter(cfs__isnull=True)}
        started = time.perf_counter()
        manifests = self.manifests(forwarders, broker, stations)
        shipments = self.shipments(manifests)
        manifests["table"]["closed_at"] = self.closed(shipments, manifests)
        counts = {"prepare_seconds": time.perf_counter() - started}
        big = [m._meta.db_table for m in (Shipment, ShipmentEvent, Entry, Hold, Handoff)]
        with transaction.atomic(), connection.cursor() as cursor:
            # As pg_restore loads: no foreign-key triggers (the rows are consistent by construction) and the secondary
            # indexes built once at the end rather than row by row.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            rebuild = self.indexes_drop(cursor, big)
            started = time.perf_counter()
            counts["manifests"] = self.insert(Manifest, manifests.pop("table"))
            counts["entries"] = self.insert(Entry, self.entries(shipments, manifests))
            counts["shipments"] = self.insert(Shipment, shipments.pop("table"))
            counts["events"] = sum(self.insert(ShipmentEvent, table) for table in self.events(shipments, manifests))
            counts["holds"] = self.insert(Hold, self.holds(shipments))
            counts["handoffs"] = self.insert(Handoff, self.handoffs(shipments, manifests))
            counts["copy_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            for statement in rebuild:
                cursor.execute(statement)
            counts["index_seconds"] = time.perf_counter() - started
            for model in (Manifest, Shipment, Entry):
                table = model._meta.db_table  # a model's own table name, not input
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            cursor.execute("INSERT INTO customs_filersequence (broker_id, last) VALUES (%s, %s)", [broker.pk, counts["entries"]])
        return counts

    @staticmethod
    def indexes_drop(cursor, tables: list[str]) -> list[str]:
        """Drop the tables' secondary indexes (not those behind a constraint); return the statements that build them again."""
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
            " WHERE t.relname = ANY(%s) AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [tables])
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name}")
        return [definition for _name, definition in found]

    def manifests(self, forwarders, broker, stations) -> dict:
        np = self.np
        sizes = self.rng.integers(200, 501, size=self.count // 200 + 1)
        sizes = sizes[: np.searchsorted(np.cumsum(sizes), self.count) + 1]
        sizes[-1] -= sizes.sum() - self.count
        m = len(sizes)
        days_ago = self.rng.integers(-1, BOARD_DAYS, size=m)
        first = np.datetime64(self.today) - days_ago.astype("timedelta64[D]")
        start = _day_start(self.today) - days_ago * 86400.0
        arrive = start + self.uniform(1, 22, m)
        ptt = arrive + self.uniform(0.5, 3, m)
        collect = ptt + self.uniform(0.5, 4, m)
        at_cfs = collect + self.uniform(0.5, 2, m)
        breakdown = at_cfs + self.uniform(1, 8, m)
        airport = self.chosen(self.AIRPORTS, self.AIRPORT_SHARES, m)
        forwarder = self.chosen([f.pk for f in forwarders], (0.5, 0.3, 0.2), m)
        station = np.array([stations[a].pk for a in airport])
        firms = np.array([stations[a].firms_code for a in airport])
        origin = self.rng.integers(0, len(self.ORIGINS), m)
        serial = self.rng.choice(10**7, size=m, replace=False)
        prefixes = np.array([o[0] for o in self.ORIGINS])[origin]
        mawb = np.char.add(np.char.add(prefixes, np.char.zfill(serial.astype(str), 7)), (serial % 7).astype(str))
        flight = np.char.add(np.array([o[1] for o in self.ORIGINS])[origin], self.rng.integers(100, 999, m).astype(str))
        custody = np.full(m, "awaiting_arrival", dtype="U24")
        for name, at in (("at_terminal", arrive), ("transfer_authorized", ptt), ("in_transit", collect), ("at_cfs", at_cfs),
                         ("broken_down", breakdown)):
            custody[at <= self.now] = name
        import pyarrow as pa

        ids = np.arange(1, m + 1)
        table = {
            "id": pa.array(ids), "forwarder_id": pa.array(forwarder), "broker_id": pa.array(np.full(m, broker.pk)),
            "cfs_id": pa.array(station), "mawb": pa.array(mawb), "origin_airport": pa.array(np.array([o[2] for o in self.ORIGINS])[origin]),
            "destination_airport": pa.array(airport), "flight_number": pa.array(flight),
            "arrival_date": pa.array(first.astype("datetime64[D]")), "custody": pa.array(custody),
            "arrived_on": pa.array(first.astype("datetime64[D]"), mask=arrive > self.now),  # flights land on their day
            "pieces_expected": pa.array(sizes), "pieces_received": pa.array(sizes, mask=at_cfs > self.now),
            "shipments_count": pa.array(sizes), "created_at": self.stamps(arrive - 40 * self.H),
        }
        return {"table": table, "sizes": sizes, "ids": ids, "arrive": arrive, "ptt": ptt, "collect": collect, "at_cfs": at_cfs,
                "breakdown": breakdown, "airport": airport, "forwarder": forwarder, "station": station, "firms": firms,
                "mawb": mawb, "flight": flight, "origin": origin, "arrival_date": first, "broker": broker.pk}

    def shipments(self, manifests: dict) -> dict:
        import pyarrow as pa

        from shipments.generator import CITIES, FIRST_NAMES, LAST_NAMES, STREETS

        np, rng, n, H = self.np, self.rng, self.count, self.H
        of = np.repeat(np.arange(len(manifests["sizes"])), manifests["sizes"])
        arrive = manifests["arrive"][of]
        never = np.full(n, np.nan)
        received = arrive - self.uniform(12, 36, n)
        cancelled = rng.random(n) < 0.003
        cancel = np.where(cancelled, received + self.uniform(1, 8, n), never)
        approved = np.where(cancelled, never, received + self.uniform(0.5, 10, n))
        filed = approved + rng.uniform(60, 1200, n)
        rejected = ~cancelled & (rng.random(n) < 0.015)
        ace_rejected = np.where(rejected, filed + 5, never)
        refiled_mask = rejected & (rng.random(n) < 0.8)
        refiled = np.where(refiled_mask, ace_rejected + self.uniform(2, 30, n), never)
        accepted = np.where(rejected, refiled + 5, filed + 5)
        held = ~np.isnan(accepted) & (rng.random(n) < 0.06)
        hold = np.where(held, accepted + self.uniform(1 / 6, 6, n), never)
        seize = held & (rng.random(n) < 0.1)
        seized = np.where(seize, hold + self.uniform(24, 240, n), never)
        lifted = np.where(held & ~seize, hold + self.uniform(4, 120, n), never)
        base = np.maximum(accepted, arrive - 6 * H)
        released = np.where(~held, base + rng.lognormal(np.log(4), 0.9, n) * H, lifted + rng.uniform(300, 5400, n))
        breakdown = manifests["breakdown"][of]
        handed = np.maximum(released, breakdown) + rng.lognormal(np.log(6), 0.8, n) * H
        customs = [("received", received), ("cancelled", cancel), ("approved", approved), ("filed", filed),
                   ("ace_rejected", ace_rejected), ("filed", refiled), ("accepted", accepted), ("on_hold", hold),
                   ("seized", seized), ("accepted", lifted), ("released", released)]
        custody = [("at_terminal", arrive), ("transfer_authorized", manifests["ptt"][of]), ("in_transit", manifests["collect"][of]),
                   ("at_cfs", manifests["at_cfs"][of]), ("broken_down", breakdown), ("handed_off", handed)]
        status, status_at = np.full(n, "received", dtype="U16"), received.copy()
        for name, at in customs:
            happened = at <= self.now
            status[happened], status_at[happened] = name, at[happened]
        place = np.full(n, "awaiting_arrival", dtype="U24")
        for name, at in custody:
            place[at <= self.now] = name
        hold_code = self.chosen(self.HOLD_CODES, self.HOLD_SHARES, n)
        reject_code = self.chosen(self.REJECT_CODES, self.REJECT_SHARES, n)
        open_holds = ((hold <= self.now) & ~(lifted <= self.now) & ~(seized <= self.now)).astype("int64")
        filed_now = filed <= self.now
        entry_id = np.cumsum(filed_now)  # entries are numbered in shipment order, one per filed parcel
        first_names = np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
        last_names = np.asarray(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
        names = np.char.add(np.char.add(first_names, " "), last_names)
        shouting = rng.random(n) < 0.05
        names[shouting] = np.char.upper(names[shouting])
        city = rng.integers(0, len(CITIES), n)
        area = np.array([c[3][0] for c in CITIES])[city]
        phone = np.char.add(np.char.add(area, "-555-01"), np.char.zfill(rng.integers(0, 100, n).astype(str), 2))
        email = np.char.add(np.char.add(np.char.lower(np.char.replace(np.char.add(np.char.add(first_names, "."), last_names), " ", "")),
                                        rng.integers(1, 99, n).astype(str)), "@example.com")
        email[rng.random(n) < 0.7] = ""
        zip_code = np.char.add(np.array([c[2] for c in CITIES])[city], np.char.zfill(rng.integers(1, 99, n).astype(str), 2))
        street = np.char.add(np.char.add(rng.integers(1, 9999, n).astype(str), " "), np.asarray(STREETS)[rng.integers(0, len(STREETS), n)])
        value = np.round(rng.lognormal(np.log(25), 0.8, n), 2)
        ids = np.arange(1, n + 1)
        hawb = np.char.add("BN", np.char.zfill(ids.astype(str), 10))
        stamp_received = self.stamps(received)
        table = {
            "id": pa.array(ids), "manifest_id": pa.array(manifests["ids"][of]), "row": pa.array(ids),
            "forwarder_id": pa.array(manifests["forwarder"][of]), "broker_id": pa.array(np.full(n, manifests["broker"])),
            "cfs_id": pa.array(manifests["station"][of]), "mawb": pa.array(manifests["mawb"][of]), "hawb": pa.array(hawb),
            "origin_airport": pa.array(np.array([o[2] for o in self.ORIGINS])[manifests["origin"][of]]),
            "destination_airport": pa.array(manifests["airport"][of]), "flight_number": pa.array(manifests["flight"][of]),
            "arrival_date": pa.array(manifests["arrival_date"][of].astype("datetime64[D]")),
            "arrived_on": pa.array(manifests["arrival_date"][of].astype("datetime64[D]"), mask=place == "awaiting_arrival"),
            "shipper_name": pa.array(np.full(n, "Shenzhen Bright Star Trading Co")),
            "shipper_address": pa.array(np.full(n, "88 Shennan Rd")),
            "shipper_city": pa.array(np.full(n, "Shenzhen")), "shipper_country": pa.array(np.full(n, "CN")),
            "consignee_name": pa.array(names), "consignee_address1": pa.array(street), "consignee_address2": pa.array(np.full(n, "")),
            "consignee_city": pa.array(np.array([c[0] for c in CITIES])[city]),
            "consignee_state": pa.array(np.array([c[1] for c in CITIES])[city]),
            "consignee_zip": pa.array(zip_code), "consignee_country": pa.array(np.full(n, "US")), "consignee_phone": pa.array(phone),
            "consignee_email": pa.array(email), "description": pa.array(np.full(n, "Silicone phone case")),
            "hts_code": pa.array(np.full(n, "3926909985")), "country_of_origin": pa.array(np.full(n, "CN")),
            "pieces": pa.array(np.ones(n, dtype="int64")), "weight_kg": pa.array(np.full(n, 0.5)),
            "weight_original": pa.array(np.full(n, "0.5 K")), "value_usd": pa.array(value), "original": pa.array(np.full(n, "{}")),
            "consignee_key": pa.array(np.char.upper(np.char.replace(names, " ", ""))),
            "entry_type": pa.array(np.where(value > 800, "01", "11")), "reasons": pa.array(np.full(n, '["DM_SUSPENDED"]')),
            "pga": pa.array(np.where(hold_code == "FH", '["FDA"]', "[]")), "day_total_usd": pa.array(value),
            "conveyance_total_usd": pa.array(value), "duty_estimate_usd": pa.array(np.round(value * 0.25, 2)),
            "mpf_estimate_usd": pa.array(np.full(n, 2.62)), "decided_at": stamp_received,
            "status": pa.array(status), "custody": pa.array(place), "status_changed_at": self.stamps(status_at),
            "open_holds": pa.array(open_holds), "entry_id": pa.array(entry_id, mask=~filed_now), "created_at": stamp_received,
        }
        return {"table": table, "of": of, "ids": ids, "customs": customs, "custody": custody, "hold": hold, "hold_code": hold_code,
                "lifted": lifted, "seized": seized, "reject_code": reject_code, "handed": handed, "filed_now": filed_now,
                "entry_id": entry_id, "ace_rejected": ace_rejected, "refiled": refiled, "accepted": accepted, "filed": filed,
                "value": value, "names": names}

    def closed(self, shipments: dict, manifests: dict):
        """A MAWB is closed when every parcel is handed off, cancelled or seized: then, at the last of those moments."""
        import pyarrow as pa

        np = self.np
        final = np.full(self.count, np.inf)
        for at in (shipments["handed"], dict(shipments["customs"])["cancelled"], shipments["seized"]):
            final = np.where(at <= self.now, at, final)
        starts = np.concatenate([[0], np.cumsum(manifests["sizes"])[:-1]])
        last = np.maximum.reduceat(final, starts)
        return pa.array((np.where(np.isinf(last), 0, last) * 1e6).astype("int64"), type=pa.timestamp("us", tz="UTC"),
                        mask=np.isinf(last))

    def entry_numbers(self, serials):
        """GGB (the demo broker's filer code), a 7-digit serial and the Luhn check digit of customs.filing."""
        np = self.np
        digits = np.zeros((len(serials), 10), dtype="int64")
        digits[:, 0], digits[:, 1], digits[:, 2] = 7, 7, 2  # G G B, as filing._digit_of counts letters
        for place in range(7):
            digits[:, 3 + place] = serials // 10 ** (6 - place) % 10
        doubled = digits[:, ::-1].copy()
        doubled[:, ::2] *= 2
        doubled = np.where(doubled > 9, doubled - 9, doubled)
        check = (10 - doubled.sum(axis=1) % 10) % 10
        return np.char.add(np.char.add("GGB", np.char.zfill(serials.astype(str), 7)), check.astype(str))

    def entries(self, shipments: dict, manifests: dict) -> dict:
        import pyarrow as pa

        np = self.np
        filed = shipments["filed_now"]
        of = shipments["of"][filed]
        count = int(filed.sum())
        serials = np.arange(1, count + 1)
        self.numbers = self.entry_numbers(serials)
        state = np.where(shipments["accepted"][filed] <= self.now, "accepted",
                         np.where(shipments["ace_rejected"][filed] <= self.now, "rejected", "transmitted"))
        return {
            "id": pa.array(serials), "broker_id": pa.array(np.full(count, manifests["broker"])),
            "forwarder_id": pa.array(manifests["forwarder"][of]), "manifest_id": pa.array(manifests["ids"][of]),
            "number": pa.array(self.numbers), "entry_type": pa.array(np.where(shipments["value"][filed] > 800, "01", "11")),
            "state": pa.array(state), "consignee_key": pa.array(np.char.upper(np.char.replace(shipments["names"][filed], " ", ""))),
            "created_at": self.stamps(shipments["filed"][filed]),
        }

    def events(self, shipments: dict, manifests: dict):
        """One table per step of the timelines: the events of every parcel that has taken that step by now."""
        import pyarrow as pa
        import pyarrow.compute as pc

        np, n = self.np, self.count
        ids = shipments["ids"]
        of = shipments["of"]
        entry_text = np.full(n, "", dtype="U11")
        entry_text[shipments["filed_now"]] = self.numbers
        messages = {
            "received": ("user", "Accepted from bench-manifest.csv"),
            "cancelled": ("user", "Cancelled by the forwarder: duplicate order"),
            "approved": ("user", "Approved by the broker"),
            "filed": ("system", "Entry transmitted to ACE"),
            "ace_rejected": ("ace", "Rejected by ACE"),
            "accepted": ("ace", "00: Entry accepted by ACE; waiting for CBP's release."),
            "on_hold": ("ace", "Hold placed by CBP"),
            "seized": ("user", "Seized after the hold"),
            "released": ("ace", "1C: Released by CBP (all agencies)."),
            "at_terminal": ("ace", "ARR: The flight has arrived; the consolidation is at the airline terminal."),
            "transfer_authorized": ("ace", "07: Permit to transfer (PTT) granted to the container freight station's FIRMS code."),
            "in_transit": ("user", "Collected at the airline terminal: driver Jane Roe, truck 7ABC123, bonded carrier Pacific Bonded"),
            "at_cfs": ("user", "Received in the bonded warehouse, every piece counted"),
            "broken_down": ("user", "Broken down into its HAWBs"),
            "handed_off": ("user", "Handed off to UPS"),
        }
        for dimension, steps in (("customs", shipments["customs"]), ("custody", shipments["custody"])):
            previous = np.full(n, "" if dimension == "customs" else "awaiting_arrival", dtype="U24")
            for position, (state, at) in enumerate(steps):
                happened = at <= self.now
                count = int(happened.sum())
                if not count:
                    continue
                actor, message = messages[state]
                data = pa.array(np.full(count, "{}"))
                if state == "filed":
                    data = pc.binary_join_element_wise('{"entry": "', pa.array(entry_text[happened]), '"}', "")
                elif state == "ace_rejected":
                    data = pc.binary_join_element_wise('{"codes": ["', pa.array(shipments["reject_code"][happened]), '"]}', "")
                elif state == "on_hold":
                    data = pc.binary_join_element_wise('{"code": "', pa.array(shipments["hold_code"][happened]), '"}', "")
                elif state == "released":
                    data = pa.array(np.full(count, '{"code": "1C"}'))
                elif state == "accepted" and position > 6:
                    data = pa.array(np.full(count, '{"code": "HR"}'))
                elif state == "transfer_authorized":
                    data = pc.binary_join_element_wise('{"firms": "', pa.array(manifests["firms"][of][happened]), '"}', "")
                yield {
                    "shipment_id": pa.array(ids[happened]), "dimension": pa.array(np.full(count, dimension)),
                    "from_state": pa.array(previous[happened]), "to_state": pa.array(np.full(count, state)),
                    "actor": pa.array(np.full(count, actor)), "at": self.stamps(at[happened]),
                    "message": pa.array(np.full(count, message)), "data": data,
                }
                previous[happened] = state

    def holds(self, shipments: dict) -> dict:
        import pyarrow as pa

        np = self.np
        placed = shipments["hold"] <= self.now
        lifted, seized = shipments["lifted"][placed], shipments["seized"][placed]
        removed = np.where(lifted <= self.now, lifted, np.where(seized <= self.now, seized, np.nan))
        agency = dict(zip(self.HOLD_CODES, ("CBP", "FDA", "USDA", "CPSC", "FCC"), strict=True))
        codes = shipments["hold_code"][placed]
        return {
            "shipment_id": pa.array(shipments["ids"][placed]),
            "agency": pa.array([agency[code] for code in codes.tolist()], type=pa.string()),
            "code": pa.array(codes), "reason": pa.array(np.full(len(codes), "documents requested")),
            "placed_at": self.stamps(shipments["hold"][placed]),
            "removed_at": pa.array((np.nan_to_num(removed) * 1e6).astype("int64"), type=pa.timestamp("us", tz="UTC"),
                                   mask=np.isnan(removed)),
            "outcome": pa.array(np.where(lifted <= self.now, "released", np.where(seized <= self.now, "seized", ""))),
        }

    def handoffs(self, shipments: dict, manifests: dict) -> dict:
        import pyarrow as pa

        np = self.np
        done = shipments["handed"] <= self.now
        count = int(done.sum())
        codes = self.chosen(("ups", "fedex", "dhl", "usps"), (0.4, 0.3, 0.1, 0.2), count)
        serial = np.char.zfill(np.arange(1, count + 1).astype(str), 16)
        tracking = np.where(codes == "ups", np.char.add("1Z", serial),
                            np.where(codes == "usps", np.char.add("94", np.char.zfill(serial, 20)),
                                     np.where(codes == "fedex", np.char.zfill(serial, 20), np.char.add("JJD", np.char.zfill(serial, 18)))))
        return {
            "shipment_id": pa.array(shipments["ids"][done]), "cfs_id": pa.array(manifests["station"][shipments["of"][done]]),
            "carrier_id": pa.array(np.vectorize(self.carriers.get)(codes)), "tracking_number": pa.array(tracking),
            "method": pa.array(np.full(count, "scan")), "handed_at": self.stamps(shipments["handed"][done]),
        }


def child_dashboards_load(count: str) -> dict:
    """Load the shipments with COPY, let PostgreSQL gather statistics (autovacuum would), build the boards' tallies."""
    import django

    django.setup()
    from django.db import connection

    from dashboards.tallies import tallies_refresh

    started = time.perf_counter()
    counts = BoardData(int(count)).load()
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    analyzed = time.perf_counter()
    full = tallies_refresh(full=True)  # what the first beat run does on a database that has never been summed
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE dashboards_statustally")
        cursor.execute("VACUUM ANALYZE dashboards_flowtally")
    refresh = [tallies_refresh()["seconds"] for _ in range(3)]  # what beat does every minute from then on
    return {**counts, "seconds": loaded - started, "analyze_seconds": analyzed - loaded, "flows_seconds": full["seconds"],
            "flow_rows": full["flow_rows"], "status_rows": full["status_rows"], "refresh_seconds": sorted(refresh)[1]}


def _quantile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _board_list_urls(count: int, *, airport: str) -> dict[str, list[str]]:
    """The lists behind a period's total (today, 7 and 30 days) and behind a day's "Arrived" (each of the last 30 days)."""
    from datetime import timedelta

    from django.utils import timezone

    from dashboards.boards import PERIODS, BoardFilter

    today = timezone.localdate()
    periods = [today - timedelta(days=days - 1) for days, _label in PERIODS.values()]
    return {
        "period": [BoardFilter(airport=airport, arriving_from=periods[i % len(periods)]).url() for i in range(count)],
        "arrived": [BoardFilter(airport=airport, arrived_from=day, arrived_to=day).url()
                    for day in (today - timedelta(days=i % 30) for i in range(count))],
    }


def child_dashboards_time(requests: str) -> dict:
    """`requests` requests of each kind through the whole Django stack (middleware, session, templates): the boards and
    the support search as the support agent, the lists behind the boards' numbers as each role."""
    import random
    from urllib.parse import quote

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from shipments.models import Shipment

    count = int(requests)
    rng = random.Random(11)
    clients = {}
    for role, username in BOARD_LIST_ROLES.items():
        clients[role] = Client(HTTP_HOST="localhost")
        clients[role].force_login(get_user_model().objects.get(username=username))
    client = clients["operator"]
    top = Shipment.objects.order_by("-id").values_list("id", flat=True)[0]
    picked = list(Shipment.objects.filter(pk__in=rng.sample(range(1, top + 1), 2 * count)).values_list("hawb", "consignee_name"))
    periods = ("today", "7d", "30d")
    airports = settings.SERVED_AIRPORTS
    kinds = {
        "board_all": [(f"/boards/?period={periods[i % 3]}", "count-total") for i in range(count)],
        "board_airport": [(f"/boards/{airports[i % len(airports)]}/?period={periods[i // len(airports) % 3]}", "count-total")
                          for i in range(count)],
        # A support agent types the number as it is read out, or the name as the customer says it: lower case.
        "search_hawb": [(f"/boards/support/?q={hawb.lower()}", f"row-{hawb}") for hawb, _name in picked[:count]],
        "search_name": [(f"/boards/support/?q={quote(name.lower())}", "data-testid=\"row-") for _hawb, name in picked[count:]],
    }
    for role in BOARD_LIST_ROLES:
        lists = _board_list_urls(count, airport="LAX" if role == "station" else "")
        for number, urls in lists.items():
            kinds[f"list_{number}_{role}"] = [(url, "data-testid=\"list-count\"") for url in urls]
    results = {"requests": count}
    for kind, urls in kinds.items():
        client = clients[kind.rsplit("_", 1)[1]] if kind.startswith("list_") else clients["operator"]
        for url, _expected in urls[:5]:  # warm: templates compiled, the connection open
            client.get(url)
        times = []
        for url, expected in urls:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or expected not in response.content.decode():
                raise SystemExit(f"{url}: {response.status_code}, {expected!r} not in the page")
        results[kind] = {"p50": _quantile(times, 0.5), "p95": _quantile(times, 0.95), "max": max(times)}
    return results


CHILDREN = {"copy": child_copy, "ingest": child_ingest, "pipeline": child_pipeline, "dashboards_load": child_dashboards_load,
            "dashboards_time": child_dashboards_time}
BENCHES = {"ingest": bench_ingest, "pipeline": bench_pipeline, "dashboards": bench_dashboards}


def main(argv: list[str]) -> int:
    if argv and argv[0].startswith("--child="):
        sys.path.insert(0, str(BASE_DIR))
        print(json.dumps(CHILDREN[argv[0].split("=", 1)[1]](*argv[1:])))
        return 0
    part = argv[0] if argv else "all"
    parts = [p for p in BENCHES if part in ("all", p)]
    if not parts:
        raise SystemExit(f"unknown part {part!r}: choose from {', '.join(BENCHES)} or all")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in parts:
        results.update(BENCHES[name]())
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {RESULTS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
