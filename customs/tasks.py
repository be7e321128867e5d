"""Celery tasks of the customs app: thin wrappers over filing and the ACE inbox. Each takes ids and is safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from accounts.models import Organization
from calista.queueing import enqueue
from customs import filing, notify, services
from customs.ace.inbox import notices_receive


@shared_task(queue="filing", acks_late=True)
def entries_build_task(broker_id: int, shipment_ids=None, refile: bool = False) -> int:
    """Build entries for approved shipments, then start transmitting."""
    broker = Organization.objects.get(pk=broker_id)
    built = filing.entries_build(broker=broker, shipment_ids=shipment_ids, refile=refile)
    if built:
        enqueue(transmissions_send_task)
    return len(built)


@shared_task(bind=True, queue="filing", acks_late=True, max_retries=8)
def transmissions_send_task(self, rounds: int = 20) -> int:
    """Send pending transmissions in batches until none are left (or `rounds` batches), then collect replies."""
    sent = 0
    try:
        for _ in range(rounds):
            claimed = filing.transmissions_claim(limit=settings.ACE_BATCH_SIZE)
            if not claimed:
                break
            filing.transmissions_deliver(transmission_ids=claimed)
            sent += len(claimed)
            ace_receive_task.delay()
    except (OperationalError, ConnectionError) as exc:  # claimed batches are completed by recovery, never sent twice
        raise self.retry(exc=exc, countdown=min(300, 2 ** self.request.retries * 5))
    if sent and filing.Transmission.objects.filter(state="pending").exists():
        transmissions_send_task.apply_async(countdown=1 if settings.ACE_RATE_LIMIT_PER_HOUR else 0)
    return sent


@shared_task(queue="filing", acks_late=True)
def transmissions_recover_task() -> dict:
    return filing.transmissions_recover()


@shared_task(queue="ace", acks_late=True)
def ace_receive_task(rounds: int = 50) -> int:
    """Apply the status notices that have arrived (beat runs this too, so notices flow even without new filings)."""
    total = 0
    for _ in range(rounds):
        applied = notices_receive()
        total += applied
        if not applied:
            break
    return total


@shared_task(acks_late=True)
def decisions_refresh_for_regime_task(after_id: int = 0, rounds: int = 10) -> int:
    """Decide again the parcels not yet with ACE after the regime pin changed, a batch at a time (each batch its own
    transaction); past `rounds` batches the rest goes to a new task. Safe to run twice: an unchanged decision stays."""
    changed = 0
    for _ in range(rounds):
        batch, last = services.decisions_refresh_for_regime(after_id=after_id)
        changed += batch
        if last is None:
            return changed
        after_id = last
    enqueue(decisions_refresh_for_regime_task, after_id)
    return changed


@shared_task(queue="notify", acks_late=True)
def notifications_email_task(notification_ids: list[int]) -> int:
    """E-mail the notifications not e-mailed yet (a retry sends nothing twice)."""
    return notify.notifications_email(notification_ids=notification_ids)
