"""Celery tasks of the CFS app: thin wrappers over cfs/services.py."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings


@shared_task(queue="celery", acks_late=True)
def handoff_batch_task(batch_id: int) -> None:
    from cfs.services import handoff_batch_run

    handoff_batch_run(batch_id=batch_id)


@shared_task(queue="celery")
def handoff_batches_recover_task() -> int:
    from cfs.services import handoff_batches_recover

    return len(handoff_batches_recover(older_than=timedelta(seconds=settings.UPLOAD_STALE_SECONDS)))
