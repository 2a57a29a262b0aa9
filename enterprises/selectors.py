"""Reads about enterprises: who is on the dishonesty list right now."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import DishonestyEntry


def active_listings(*, at: datetime | None = None) -> QuerySet[DishonestyEntry]:
    """Entries in force at `at`: started, not yet expired, not ended early by 信用修复."""
    moment = at or timezone.now()
    return DishonestyEntry.objects.filter(starts_at__lte=moment, ends_at__gt=moment, ended_at__isnull=True)


def active_listing(*, enterprise_id: int, at: datetime | None = None) -> DishonestyEntry | None:
    return active_listings(at=at).filter(enterprise_id=enterprise_id).order_by("-ends_at").first()


def listed_enterprise_ids(*, at: datetime | None = None) -> set[int]:
    return set(active_listings(at=at).values_list("enterprise_id", flat=True))


def dishonesty_list(*, include_ended: bool = False) -> QuerySet[DishonestyEntry]:
    qs = DishonestyEntry.objects.select_related("enterprise", "enterprise__district")
    if not include_ended:
        now = timezone.now()
        qs = qs.filter(Q(ended_at__isnull=True) & Q(ends_at__gt=now))
    return qs.order_by("-starts_at", "-id")
