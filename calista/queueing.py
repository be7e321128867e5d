"""Queue a task after the transaction commits, and survive a broker that is briefly away.

The work a task stands for is always in the database first (an upload `queued`, a
transmission `pending`...), so a message lost with the broker is found again by the beat
tasks that look for stuck work. `inline=True` runs the task in this process instead when
the broker cannot take it (for short work the user is waiting for).
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)


def enqueue(task, *args, inline: bool = False, **kwargs) -> None:
    def send():
        try:
            task.delay(*args, **kwargs)
        except (BrokerError, ConnectionError, OSError) as exc:
            if inline:
                log.warning("broker unavailable (%s): running %s in this process", exc, task.name)
                task.apply(args=args, kwargs=kwargs, throw=False)
            else:
                log.warning("broker unavailable (%s): %s will be picked up by recovery", exc, task.name)

    transaction.on_commit(send)
