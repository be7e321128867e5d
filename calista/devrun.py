"""`make run`: the web server, a Celery worker and Celery beat as real processes, stopped together by Ctrl-C.

Each process's output is prefixed with its name. When the portal answers /healthz,
the URL and the demo logins are printed. PORT picks the port (default 8000),
HOST the interface (default 127.0.0.1); SIMULATE=1 also starts demo traffic.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COLOURS = {"web": "36", "worker": "35", "beat": "33", "simulate": "32"}


def commands(port: int, host: str) -> dict[str, list[str]]:
    celery = str(BIN / "celery")
    procs = {
        "web": [str(BIN / "gunicorn"), "calista.wsgi", "--bind", f"{host}:{port}", "--workers", "2",
                "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "5"],
        "worker": [celery, "-A", "calista", "worker", "--loglevel", "INFO", "--concurrency", "2",
                   "--queues", "celery,ingest,filing,ace,notify"],
        "beat": [celery, "-A", "calista", "beat", "--loglevel", "INFO"],
    }
    if os.environ.get("SIMULATE", "0") in ("1", "true", "yes"):
        procs["simulate"] = [sys.executable, "manage.py", "simulate", "--forever"]
    return procs


def pump(name: str, stream, lock: threading.Lock) -> None:
    colour = COLOURS.get(name, "0")
    tty = sys.stdout.isatty()
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        prefix = f"\033[{colour}m{name:>8}\033[0m |" if tty else f"{name:>8} |"
        with lock:
            print(prefix, line, flush=True)


def wait_until_up(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except Exception:
            time.sleep(0.5)
    return False


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    env = {**os.environ, "HTTPS": os.environ.get("HTTPS", "0"), "PYTHONUNBUFFERED": "1"}
    lock = threading.Lock()
    procs: dict[str, subprocess.Popen] = {}
    wanted = commands(port, host)

    def start(name: str) -> None:
        procs[name] = subprocess.Popen(wanted[name], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=pump, args=(name, procs[name].stdout, lock), daemon=True).start()

    for name in wanted:
        start(name)
    restarts: dict[str, list[float]] = {name: [] for name in wanted}

    stopping = threading.Event()

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    shown = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"
    if wait_until_up(f"http://127.0.0.1:{port}/healthz" if host in ("127.0.0.1", "0.0.0.0") else shown + "healthz", 60):
        import django

        django.setup()
        from accounts.demo import DEMO_PASSWORD, USERS

        with lock:
            print("\n" + "=" * 64)
            print(f"  Calista is running at {shown}")
            print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
            for user in USERS:
                print(f"    {user.username:<16} {user.what}")
            print("  Press Ctrl-C to stop the web server, the worker and beat.")
            print("=" * 64 + "\n", flush=True)
    else:
        print("The web server did not answer /healthz within 60 seconds; see its output above.", flush=True)

    while not stopping.is_set():
        for name, proc in list(procs.items()):
            if proc.poll() is None:
                continue
            # A worker or beat that dies is started again (work in the broker waits for it); the web server, or a
            # process that keeps dying, stops everything.
            recent = [t for t in restarts[name] if time.monotonic() - t < 60]
            if name == "web" or len(recent) >= 3:
                print(f"{name} exited with code {proc.returncode}; stopping everything.", flush=True)
                stopping.set()
                break
            restarts[name] = recent + [time.monotonic()]
            print(f"{name} exited with code {proc.returncode}; starting it again.", flush=True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # what is left of it (a worker's pool processes)
            except OSError:
                pass
            start(name)
        stopping.wait(0.5)

    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calista.settings")
    sys.exit(main())
