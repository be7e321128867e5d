"""Celery tasks of the shipments app: thin wrappers that take ids and call the services."""

from celery import shared_task
from django.db import OperationalError

from shipments.services import manifest_ingest, statistics_after_ingest


@shared_task(bind=True, queue="ingest", acks_late=True, max_retries=5)
def manifest_ingest_task(self, upload_id: int) -> None:
    """Read, check, decide and store an upload; retried when the database is briefly away."""
    try:
        evaluation = manifest_ingest(upload_id=upload_id)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=min(60, 5 * 2 ** self.request.retries))
    except Exception:  # recorded on the upload as "crashed"; retrying the same file would fail the same way
        return None
    if evaluation is not None:
        statistics_after_ingest(evaluation)


@shared_task(queue="ingest")
def uploads_recover_task() -> int:
    from shipments.services import uploads_recover

    return len(uploads_recover())
