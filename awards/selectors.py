"""Reads of awards: who sees which, and the one access choke-point."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role, User
from common.errors import NotFound

from .models import Award, AwardEvent


def award_queryset_for(user: User) -> QuerySet[Award]:
    qs = Award.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    org = user.organisation
    if user.role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else qs.none()
    if user.role in (Role.AUDITOR, Role.POLICY_ADMIN):
        return qs
    if user.role == Role.FUND_OFFICER and org is not None and org.district_id:
        return qs.filter(district_id=org.district_id)
    if user.role == Role.DISTRICT_REVIEWER and org is not None and org.district_id:
        return qs.filter(district_id=org.district_id, item__bureau_function__in=org.handled_functions)
    if user.role == Role.CITY_APPROVER and org is not None:
        return qs.filter(item__bureau_function__in=org.handled_functions)
    return qs.none()


def access_award_by_id(*, user: User, award_id: Any, for_update: bool = False) -> Award:
    try:
        pk = int(award_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    qs = award_queryset_for(user).select_related("enterprise", "item", "district", "application")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    award = qs.filter(pk=pk).first()
    if award is None:
        raise NotFound()
    return award


def award_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Award]:
    filters = filters or {}
    qs = award_queryset_for(user).select_related("enterprise", "item", "district")
    for key, field in (("state", "state"), ("round", "round_id"), ("district", "district_id"), ("policy", "item_id")):
        if filters.get(key):
            qs = qs.filter(**{field: filters[key]})
    return qs.order_by("-id")


def award_history(*, award: Award) -> QuerySet[AwardEvent]:
    return award.events.select_related("actor").order_by("at", "id")
