"""`make loadtest`: 50 Locust users for 3 minutes against gunicorn, a Celery worker and beat on PostgreSQL and Redis.

A fresh database, the demo organizations, a load-test carrier per CFS and 2,000-row manifest files are prepared; the
portal runs as it would in production (gunicorn on 127.0.0.1, a worker, beat, ACE simulator with short delays);
Locust (headless, bounded in time) plays forwarders, brokers, CFS staff, support agents and boards. At the end it
waits for every upload to finish and counts the rows: every uploaded row must be a shipment or a reported row error.
Figures are printed and written to loadtest-results.json.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from calista.bench import BenchDatabase

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "loadtest-results.json"
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
MEASURE_SECONDS = int(os.environ.get("LOADTEST_SECONDS", "180"))  # the measured phase, after every user logged in
BOUND = MEASURE_SECONDS + 300  # Locust's own time limit: the warm-up (logins) plus the measure, bounded
PORT = int(os.environ.get("LOADTEST_PORT", "8799"))
FILES = int(os.environ.get("LOADTEST_FILES_COUNT", "60"))
# Users start at this many per second: 50 people do not log in within the same five seconds (each login is a
# deliberately slow password hash), and the figures are of the portal at work, not of a login storm.
SPAWN_RATE = os.environ.get("LOADTEST_SPAWN_RATE", "2")


def manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, **kwargs)


def prepare(env, folder: Path) -> None:
    manage(env, "migrate", "-v0")
    manage(env, "seed_demo", "--orgs-only", "--quiet")
    manage(env, "shell", "-c", "from accounts.models import Organization\n"
                               "from cfs.services import carrier_add\n"
                               "for cfs in Organization.objects.filter(kind='cfs'):\n"
                               "    carrier_add(cfs=cfs, name='Load', tracking_pattern='')\n")
    from datetime import date

    from shipments.generator import manifest_generate, write_manifest

    files = folder / "files"
    files.mkdir()
    for n in range(FILES):
        manifest = manifest_generate(rows=2000, arrival=date.today(), defects=0.03, seed=1000 + n, hawb_prefix=f"L{n:03d}")
        write_manifest(files / f"load-{n:03d}.csv", header=manifest.header, rows=manifest.rows)


def start(env, folder: Path) -> list[subprocess.Popen]:
    logs = folder / "logs"
    logs.mkdir()
    bin_dir = Path(sys.executable).parent
    commands = {
        "web": [str(bin_dir / "gunicorn"), "calista.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "3", "--threads", "4",
                "--timeout", "60", "--keep-alive", "30"],
        "worker": [str(bin_dir / "celery"), "-A", "calista", "worker", "--loglevel", "WARNING", "--concurrency", "2",
                   "--queues", "celery,ingest,filing,ace,notify", "--without-gossip", "--without-mingle"],
        "beat": [str(bin_dir / "celery"), "-A", "calista", "beat", "--loglevel", "WARNING", "--schedule",
                 str(folder / "beat-schedule")],
    }
    procs = [subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=(logs / f"{name}.log").open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True) for name, cmd in commands.items()]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2) as response:
                if response.status == 200:
                    return procs
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the portal did not start; see " + str(logs))


def cpu_seconds(procs) -> dict[str, float]:
    """CPU seconds used by each portal process with its children (gunicorn's and Celery's workers)."""
    import psutil

    used = {}
    for name, proc in zip(("web", "worker", "beat"), procs, strict=True):
        try:
            root = psutil.Process(proc.pid)
            family = [root, *root.children(recursive=True)]
            used[name] = round(sum(sum(p.cpu_times()[:2]) for p in family if p.is_running()), 1)
        except psutil.Error:
            used[name] = 0.0
    return used


def stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def account(env, folder: Path, uploaded: list[tuple[str, int]]) -> dict:
    """Wait until every upload finished, then count its rows: stored shipments plus reported row errors."""
    names_file = folder / "names.json"
    names_file.write_text(json.dumps([name for name, _ in uploaded]))
    script = (
        "import json, time\n"
        "from shipments.models import Upload\n"
        f"names = json.load(open({str(names_file)!r}))\n"
        "deadline = time.time() + 600\n"
        "while time.time() < deadline and Upload.objects.filter(original_name__in=names)"
        ".exclude(state__in=['done', 'failed', 'crashed']).exists():\n"
        "    time.sleep(2)\n"
        "uploads = Upload.objects.filter(original_name__in=names)\n"
        "print(json.dumps({'uploads': uploads.count(), 'finished': uploads.filter(state='done').count(),\n"
        "    'rows': sum(u.rows_total for u in uploads), 'stored': sum(u.shipments.count() for u in uploads),\n"
        "    'row_errors': sum(u.row_errors.count() for u in uploads)}))\n")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=BASE_DIR, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    broker = broker if broker.startswith("redis") else "redis://127.0.0.1:6379/13"
    with BenchDatabase("load") as db, tempfile.TemporaryDirectory(prefix="calista-load-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "DATABASE_URL": db.url, "CELERY_BROKER_URL": broker, "CACHE_URL": broker.rsplit("/", 1)[0] + "/12",
               "VAR_DIR": str(folder / "var"), "DJANGO_SETTINGS_MODULE": "calista.settings", "HTTPS": "0", "DEBUG": "0",
               "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING", "ACE_DELAY_SECONDS": "1",
               "ACE_RATE_LIMIT_PER_HOUR": "0", "LOGIN_MAX_FAILURES": "1000",
               "LOADTEST_FILES": str(folder / "files"), "LOADTEST_UPLOADS": str(folder / "uploads.txt"),
               "LOADTEST_MEASURE_SECONDS": str(MEASURE_SECONDS)}
        subprocess.run(["redis-cli", "-u", broker, "flushdb"], check=False, capture_output=True)
        print(f"preparing: database, demo organizations, {FILES} manifest files of 2,000 rows", flush=True)
        prepare(env, folder)
        manage(env, "collectstatic", "--noinput", "-v0")
        procs = start(env, folder)
        try:
            print(f"running: {USERS} users log in, then {MEASURE_SECONDS} s measured against http://127.0.0.1:{PORT}/", flush=True)
            subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", str(BASE_DIR / "loadtest" / "locustfile.py"),
                            "--headless", "-u", str(USERS), "-r", SPAWN_RATE, "-t", f"{BOUND}s", "--host", f"http://127.0.0.1:{PORT}",
                            "--csv", str(folder / "stats"), "--only-summary", "--stop-timeout", "30"],
                           cwd=BASE_DIR, env=env, check=False)
            uploads_file = folder / "uploads.txt"
            uploaded = [(n, int(r)) for n, r in (line.split("\t") for line in uploads_file.read_text().splitlines() if line)] \
                if uploads_file.exists() else []
            used = cpu_seconds(procs)
            warmup_file = folder / "uploads.warmup.json"
            warmup = json.loads(warmup_file.read_text() or "{}") if warmup_file.exists() else {}
            counted = account(env, folder, uploaded)
        finally:
            stop(procs)
            kept = BASE_DIR / "var" / "loadtest-logs"  # the portal's logs of the last run, for a look afterwards
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(folder / "logs", kept)
        with (folder / "stats_stats.csv").open() as handle:
            total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    figures = {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "p95_ms": float(total["95%"]),
        "p50_ms": float(total["50%"]),
        "rows_uploaded": sum(rows for _, rows in uploaded),
        "rows_accounted": counted["stored"] + counted["row_errors"],
        "uploads": len(uploaded),
        "uploads_finished": counted["finished"],
        "cpu_seconds": used,
        "warmup": warmup or "incomplete: not every user logged in",
    }
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    ok = figures["failures"] == 0 and figures["p95_ms"] <= 500 and figures["rows_uploaded"] == figures["rows_accounted"]
    print("targets: no failed request, p95 <= 500 ms, every uploaded row accounted for:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    sys.exit(main())
