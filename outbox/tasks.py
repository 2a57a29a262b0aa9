"""Celery beat task of the outbox: `relay_outbox` every 15 s (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .services import outbox_purge, outbox_relay


@shared_task(name="outbox.tasks.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox() -> dict[str, int]:
    """Send the outbox rows that are due, then delete finished rows older than a week.
    Idempotent; safe to run next to another relay (SKIP LOCKED). Never sent through the outbox."""
    counts = outbox_relay().as_dict()
    counts["purged"] = outbox_purge()
    return counts
