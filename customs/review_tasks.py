"""Celery tasks of the broker's review: big selections run here and report progress (shipments.progress, kind "bulk")."""

from celery import shared_task
from django.utils import translation

from customs.review import bulk_run


@shared_task(acks_late=True)
def review_bulk_task(job_id: int, org_id: int, user_id: int, action: str, shipment_ids: list[int], reason: str = "",
                     language: str = "en") -> dict:
    """Approve, reject or cancel many shipments in chunks; safe to run twice (what moved is not moved again)."""
    with translation.override(language):
        return bulk_run(job_id=job_id, org_id=org_id, user_id=user_id, action=action, shipment_ids=shipment_ids, reason=reason)
