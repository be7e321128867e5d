"""Faults survived: the database briefly away, the broker restarted in the middle of work."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import services_required, unavailable


class DatabaseAway:
    """Point the connection at a closed port (or a missing file) until the block ends."""

    def __enter__(self):
        self.saved = dict(connection.settings_dict)
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-folder/calista.sqlite3"
        else:
            connection.settings_dict["PORT"] = "1"
        return self

    def __exit__(self, *exc):
        connection.close()
        connection.settings_dict.update(self.saved)


@pytest.mark.django_db(transaction=True)
def test_a_page_answers_503_with_a_clear_message_while_the_database_is_away(owner):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with DatabaseAway():
        response = client.get("/uploads/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "briefly unavailable" in response.content.decode()
    assert client.get("/uploads/").status_code == 200  # and it works again once the database is back


class TcpProxy:
    """A TCP forwarder to PostgreSQL that the test can cut and restore: the database 'briefly away' for a worker."""

    def __init__(self, port: int):
        import threading

        self.target = ("127.0.0.1", port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(50)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading

        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.up = False
        for s in self.open:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open.clear()

    def restore(self):
        self.up = True


def test_a_task_retries_while_the_database_is_away_and_succeeds_when_it_is_back(worker_with, forwarder_org, tmp_path):
    """The worker's database connection is cut: the ingest fails, retries with backoff, and succeeds once it is back."""
    from django.core.files.base import ContentFile

    from shipments.models import Upload
    from shipments.services import upload_create
    from shipments.tasks import manifest_ingest_task
    from tests.shipments.conftest import sample
    from tests.workers import wait_for

    upload = upload_create(forwarder=forwarder_org, user=None, file=ContentFile(sample("sample_small.csv")), name="s.csv",
                           queue=False)
    if connection.vendor == "postgresql":
        proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
        db = connection.settings_dict
        worker = worker_with(DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}")
        proxy.cut()
        restore = proxy.restore
    else:
        database = Path(connection.settings_dict["NAME"])
        worker = worker_with()
        connection.close()
        hidden = database.with_suffix(".away")
        database.rename(hidden)  # the worker opens a new connection per task: it finds no database

        def restore():
            hidden.rename(database)

    manifest_ingest_task.delay(upload.pk)
    wait_for(lambda: "Retry in" in worker.output(), timeout=60, what="the task to schedule a retry")
    restore()
    wait_for(lambda: Upload.objects.get(pk=upload.pk).state == "done", timeout=90, what="the retried ingest to succeed")
    assert Upload.objects.get(pk=upload.pk).rows_valid == 35


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A Redis of the test's own on a free port, to stop and start at will (no persistence, like the CI's)."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def test_work_survives_a_broker_restart(transactional_db, settings, forwarder_org, broker_user, broker_org, monkeypatch):
    """Queued tasks die with a restarted Redis; the work they stood for lives in the database and is picked up again."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed", required=services_required())
    from django.core.files.base import ContentFile

    from customs.models import Transmission
    from customs.tasks import ace_receive_task, entries_build_task, transmissions_send_task
    from shipments import lifecycle
    from shipments.models import Shipment, Upload
    from shipments.services import upload_create, uploads_recover
    from shipments.tasks import manifest_ingest_task
    from tests.conftest import _cache_settings
    from tests.shipments.conftest import sample
    from tests.workers import PublishToBroker, WorkerProcess, cache_for_tests, wait_for

    redis = RedisServer().start()
    settings.CACHES = {"default": _cache_settings(cache_for_tests())}
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    worker = WorkerProcess(extra_env={"ACE_DELAY_SECONDS": "0", "ACE_HOLD_RATE": "0", "ACE_EXAM_RATE": "0",
                                      "ACE_REJECT_RATE": "0", "ACE_RATE_LIMIT_PER_HOUR": "0"})
    try:
        with PublishToBroker(worker.broker_url, worker.transport_options):
            worker.start()
            upload = upload_create(forwarder=forwarder_org, user=None, file=ContentFile(sample("sample_chinese_gb18030.csv")),
                                   name="c.csv")
            manifest_ingest_task.delay(upload.pk)
            wait_for(lambda: Upload.objects.get(pk=upload.pk).is_finished, timeout=180, what="the ingest")
            shipments = Shipment.objects.filter(upload=upload)
            lifecycle.shipments_approve(list(shipments.values_list("id", flat=True)), actor=lifecycle.Actor.of(broker_user))

            redis.stop()  # the broker goes away with whatever was queued
            entries_build_task.apply(args=[broker_org.pk])  # entries and their outbox rows are in the database
            assert Transmission.objects.filter(state="pending").exists()
            redis.start()  # the broker is back, empty; the worker reconnects

            def settled():
                transmissions_send_task.delay()
                ace_receive_task.delay()
                uploads_recover(older_than=None)
                return not shipments.exclude(status="released").exists()

            wait_for(settled, timeout=240, interval=2, what="every shipment to be released after the broker came back")
            assert not Transmission.objects.exclude(state="done").exists()
    finally:
        worker.stop()
        redis.stop()
