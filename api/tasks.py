"""Celery tasks of the API: thin wrappers that take ids and call api/webhooks.py and api/uploads.py."""

from celery import shared_task

from api.uploads import idempotency_keys_expire
from api.webhooks import delivery_attempt, webhooks_dispatch


@shared_task(queue="notify", acks_late=True, ignore_result=True)
def webhooks_dispatch_task() -> int:
    """Beat runs this every few seconds: new shipment events and finished uploads become webhook deliveries."""
    return webhooks_dispatch()


@shared_task(queue="notify", acks_late=True, ignore_result=True)
def webhook_deliver_task(delivery_id: int, attempt: int, manual: bool = False) -> str:
    """One attempt at a delivery; a failure queues the next attempt itself, with backoff."""
    return delivery_attempt(delivery_id=delivery_id, attempt=attempt, manual=manual)


@shared_task(queue="notify", acks_late=True, ignore_result=True)
def idempotency_keys_expire_task() -> int:
    """Beat runs this hourly: Idempotency-Keys older than API_IDEMPOTENCY_HOURS are forgotten."""
    return idempotency_keys_expire()
