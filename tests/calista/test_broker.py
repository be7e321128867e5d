"""The embedded default's broker: a message is never seen half-written (kombu's filesystem transport's could be)."""

import json
import os

from kombu import Connection
from kombu.transport import resolve_transport

import calista.broker
from calista.broker import Transport


def channel_on(folder, transport=Transport):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False}
    return Connection(transport=transport, transport_options=options).default_channel


def test_filesystem_urls_use_the_whole_message_transport():
    import calista.celery  # noqa: F401 - the alias is set where the Celery app is made

    assert resolve_transport("filesystem") is Transport


def test_a_worker_looking_while_a_message_is_written_sees_no_message(tmp_path, monkeypatch):
    """The moment between creating the file and finishing it: a reader then finds nothing to take (kombu's own
    transport showed it the empty file under its final name, and the worker died on the JSON)."""
    seen_mid_write = []

    def dumps_while_looking(payload):
        seen_mid_write.extend(name for name in os.listdir(tmp_path) if name.partition(".")[2] == "ingest.msg")
        return json.dumps(payload)

    monkeypatch.setattr(calista.broker, "dumps", dumps_while_looking)
    channel_on(tmp_path)._put("ingest", {"n": 1})
    assert seen_mid_write == []
    assert channel_on(tmp_path)._get("ingest") == {"n": 1}
