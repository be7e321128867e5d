"""Platform-wide tasks."""

import time

from celery import shared_task
from django.core.cache import cache

HEARTBEAT_KEY = "calista:worker-heartbeat"


@shared_task(ignore_result=True)
def worker_heartbeat() -> float:
    """Beat runs this every 30 seconds; /healthz reports how long ago a worker last ran it."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now
