"""Reads of the outbox, for monitoring (admin, health checks, tests)."""

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import OutboxMessage


def outbox_backlog(*, now: datetime | None = None, older_than_seconds: float = 60.0) -> dict[str, int]:
    """How many rows are open: never dispatched, dispatched but not completed, and of those how
    many are older than `older_than_seconds` (a lost task if it stays so: R12 wants 0 after 60 s)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=older_than_seconds)
    return OutboxMessage.objects.filter(completed_at__isnull=True).aggregate(
        pending=Count("pk", filter=Q(dispatched_at__isnull=True)),
        unfinished=Count("pk", filter=Q(dispatched_at__isnull=False)),
        overdue=Count("pk", filter=Q(created_at__lt=cutoff)),
    )
