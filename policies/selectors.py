"""Reads of policies and rounds. Policy items and open rounds are public to signed-in users."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import PolicyItem, Round


def policy_item_list(*, search: str = "", mode: str = "") -> QuerySet[PolicyItem]:
    qs = PolicyItem.objects.select_related("document", "exclusivity_group").order_by("code")
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(document__title__icontains=search) | Q(description__icontains=search)
        )
    if mode:
        qs = qs.filter(mode=mode)
    return qs


def round_list(*, state: str = "", at: datetime | None = None) -> QuerySet[Round]:
    """Rounds by phase: `open` (now inside the window), `upcoming`, `closed`, or all."""
    now = at or timezone.now()
    qs = Round.objects.select_related("item", "item__document").filter(published=True)
    if state == "open":
        qs = qs.filter(opens_at__lte=now, closes_at__gt=now)
    elif state == "upcoming":
        qs = qs.filter(opens_at__gt=now)
    elif state == "closed":
        qs = qs.filter(closes_at__lte=now)
    return qs.order_by("-opens_at", "id")


def round_phase(round_: Round, *, at: datetime | None = None) -> str:
    now = at or timezone.now()
    if now < round_.opens_at:
        return "upcoming"
    if now >= round_.closes_at:
        return "closed"
    return "open"
