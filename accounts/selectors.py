"""Who should hear about a case: the people of each stage, for notifications."""

from django.db.models import QuerySet

from .models import Role, User


def enterprise_users(*, enterprise_id: int) -> QuerySet[User]:
    return User.objects.filter(role=Role.ENTERPRISE, enterprise_id=enterprise_id, is_active=True)


def district_officials(*, role: str, district_id: int, function: str | None = None) -> list[User]:
    users = User.objects.filter(role=role, organisation__district_id=district_id, is_active=True).select_related(
        "organisation"
    )
    if function is None:
        return list(users)
    return [u for u in users if u.organisation and function in u.organisation.handled_functions]


def co_reviewers(*, district_id: int, functions: list[str]) -> list[User]:
    users = User.objects.filter(
        role=Role.CO_REVIEWER, is_active=True, organisation__function__in=functions
    ).select_related("organisation")
    return [u for u in users if u.organisation and u.organisation.district_id in (None, district_id)]


def city_approvers(*, function: str) -> list[User]:
    users = User.objects.filter(role=Role.CITY_APPROVER, is_active=True).select_related("organisation")
    return [u for u in users if u.organisation and function in u.organisation.handled_functions]
