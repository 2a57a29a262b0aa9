"""Celery beat task of the idempotency keys: `purge_idempotency_keys` hourly (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from .services import idempotency_keys_purge


@shared_task(name="idempotency.tasks.purge_idempotency_keys", acks_late=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    """Delete the keys past their expiry (24 h after first use). Idempotent: a second run finds
    nothing. Returns how many keys were deleted."""
    return idempotency_keys_purge(now=timezone.now())
