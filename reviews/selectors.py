"""Reads of opinions and city lists, scoped by who asks."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role, User
from common.errors import NotFound

from .models import CityList, Opinion


def city_list_queryset_for(user: User) -> QuerySet[CityList]:
    qs = CityList.objects.select_related("district", "round", "round__item")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    org = user.organisation
    if user.role in (Role.AUDITOR, Role.POLICY_ADMIN):
        return qs
    if user.role in (Role.DISTRICT_REVIEWER, Role.FUND_OFFICER) and org is not None and org.district_id:
        return qs.filter(district_id=org.district_id)
    if user.role == Role.CITY_APPROVER and org is not None:
        return qs.filter(round__item__bureau_function__in=org.handled_functions).exclude(status=CityList.Status.DRAFT)
    return qs.none()


def access_city_list_by_id(*, user: User, city_list_id: Any, for_update: bool = False) -> CityList:
    try:
        pk = int(city_list_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    qs = city_list_queryset_for(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def opinions_for(*, application_id: int) -> QuerySet[Opinion]:
    return (
        Opinion.objects.filter(application_id=application_id)
        .select_related("department", "officer")
        .order_by("created_at", "id")
    )
