"""`make bench [PART=ingest|pipeline|dashboards|all]`: benchmarks on PostgreSQL, printing figures and ratios.

Each part creates its own database on the PostgreSQL server named by DATABASE_URL (default:
the local server), runs, prints its figures, merges them into bench-results.json and drops
the database. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import json
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
        workers = [subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "calista", "worker", "--loglevel",
                                     "WARNING", "--concurrency", "2", "--queues", "celery,ingest,filing,ace,notify",
                                     "--hostname", f"bench{n}@%h", "--without-gossip", "--without-mingle"],
                                    cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    return {"shipments": Shipment.objects.filter(pk__in=ids, status="released").count(), "seconds": seconds,
            "milestones": milestones}


CHILDREN = {"copy": child_copy, "ingest": child_ingest, "pipeline": child_pipeline}
BENCHES = {"ingest": bench_ingest, "pipeline": bench_pipeline}


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
