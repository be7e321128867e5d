"""Celery tasks of the dashboards: the boards' summary tables, recomputed every minute by beat ("boards-tallies")."""

from celery import shared_task

from dashboards.tallies import tallies_refresh


@shared_task(ignore_result=True)
def tallies_refresh_task() -> dict:
    """Recompute the boards' summary tables (safe to run twice, or two at once: the second waits, then recomputes)."""
    return tallies_refresh()
