"""The embedded default's broker: kombu's filesystem transport, with messages that appear whole.

kombu's own `_put` creates the message file under its final name and then writes into it; a
worker listing the folder in between reads an empty message and stops with "Unrecoverable error:
JSONDecodeError" (seen under `make run` during a 20,000-row upload: the worker exited, and
with it the web server). Here a message is written under a name no queue matches and renamed
into place once complete (a rename within one folder is atomic), so a reader sees all of it or
nothing. calista/celery.py makes `filesystem://` mean this transport.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written as `<name>.partial` (no queue reads it), then renamed to `<name>`."""
        name = os.path.join(self.data_folder_out, f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg")
        partial = name + ".partial"
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, name)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
