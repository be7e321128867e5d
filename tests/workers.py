"""Real Celery worker processes for tests.

A worker runs as a separate process on the test database and a real broker:
Redis when CELERY_BROKER_URL says redis (CI), otherwise kombu's filesystem
transport in the test's VAR_DIR, so that worker tests run everywhere. While a
worker fixture is active, this process publishes to the same broker instead of
running tasks eagerly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from calista.celery import app
from calista.settings_test import redis_for_this_process

CELERY = str(Path(sys.executable).parent / "celery")
QUEUES = "celery,ingest,filing,ace,notify"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_for_tests() -> tuple[str, dict]:
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if configured.startswith("redis"):
        return redis_for_this_process(configured), {"visibility_timeout": 3600}
    folder = Path(settings.VAR_DIR) / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"), "store_processed": False,
    }


def cache_for_tests() -> str:
    configured = os.environ.get("CACHE_URL", "")
    if configured.startswith("redis"):
        return configured  # already this process's own (settings_test moved it)
    return f"file://{Path(settings.VAR_DIR) / 'cache'}"


class WorkerProcess:
    """One `celery worker` process; start(), kill() (SIGKILL, mid-work), stop() (graceful), restart()."""

    def __init__(self, extra_env: dict[str, str] | None = None, concurrency: int = 2):
        self.broker_url, self.transport_options = broker_for_tests()
        self.log = Path(settings.VAR_DIR) / f"worker-{os.getpid()}-{time.monotonic_ns()}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "calista.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CACHE_URL": cache_for_tests(),
            "VAR_DIR": str(settings.VAR_DIR),
            "SECRET_KEY": settings.SECRET_KEY,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "HTTPS": "0",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.concurrency = concurrency
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> WorkerProcess:
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(
            [CELERY, "-A", "calista", "worker", "--loglevel", "INFO", "--concurrency", str(self.concurrency),
             "--queues", QUEUES, "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=settings.BASE_DIR, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if "ready." in self.log.read_text(errors="replace")[offset:]:
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool children, as a crash or an OOM kill would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> WorkerProcess:
        self.stop()
        return self.start()


class PublishToBroker:
    """While active, this process sends tasks to the real broker instead of running them inline."""

    def __init__(self, broker_url: str, transport_options: dict):
        self.broker_url = broker_url
        self.transport_options = transport_options

    def __enter__(self):
        conf = app.conf
        self.saved = (conf.task_always_eager, conf.broker_url, conf.broker_write_url, conf.broker_read_url,
                      conf.broker_transport_options)
        conf.task_always_eager = False
        conf.broker_url = conf.broker_write_url = conf.broker_read_url = self.broker_url
        conf.broker_transport_options = self.transport_options
        self._reset_pools()
        return self

    def __exit__(self, *exc):
        conf = app.conf
        (conf.task_always_eager, conf.broker_url, conf.broker_write_url, conf.broker_read_url,
         conf.broker_transport_options) = self.saved
        self._reset_pools()

    @staticmethod
    def _reset_pools():
        from kombu import pools

        pools.reset()  # forget connections and producers made for the previous broker
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    """Poll until predicate() is truthy; return its value, or fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
