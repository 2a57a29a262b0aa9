"""Co-review opinions and the district's list to the city (报审名单)."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from applications.models import Application, ApplicationEvent
from applications.permissions import can_give_opinion, can_review_application
from applications.selectors import access_application_by_id
from applications.services import application_transition
from applications.workflow import State
from common.errors import BadInput, Conflict, InvalidTransition, PermissionDenied
from policies.models import Round

from .models import CityList, Opinion
from .selectors import access_city_list_by_id


@transaction.atomic
def opinion_create(*, actor: User, application_id: int, decision: str, remarks: str = "") -> Opinion:
    """A co-review department records 同意/不同意 on a case under district review, once per
    review cycle. Errors: 404 not visible, 403 not this department's, 409 wrong state or
    already given, 400 bad decision or a 不同意 without remarks."""
    application = access_application_by_id(user=actor, application_id=application_id, for_update=True)
    allowed, why = can_give_opinion(actor, application)
    if not allowed:
        raise PermissionDenied(why)
    if application.state != State.DISTRICT_REVIEW:
        raise InvalidTransition("只有属地审核中的申报件可以出具会审意见。")
    if decision not in Opinion.Decision.values:
        raise BadInput("会审意见只能是“同意”（agree）或“不同意”（disagree）。", code="bad_decision")
    if decision == Opinion.Decision.DISAGREE and not remarks.strip():
        raise BadInput("出具“不同意”意见时请写明理由。", code="reason_required")
    org = actor.organisation
    assert org is not None
    try:
        with transaction.atomic():
            opinion = Opinion.objects.create(
                application=application,
                review_cycle=application.review_cycle,
                department=org,
                function=org.function,
                officer=actor,
                decision=decision,
                remarks=remarks.strip(),
            )
    except IntegrityError:
        raise Conflict(f"{org.name}已就本轮审核出具意见，不能重复出具。", code="opinion_exists") from None
    ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        action="opinion",
        from_state=application.state,
        to_state=application.state,
        reason=remarks.strip(),
        at=timezone.now(),
        extra={"department": org.name, "decision": decision, "decision_label": Opinion.Decision(decision).label},
    )
    return opinion


@transaction.atomic
def city_list_create(*, actor: User, round_id: int, application_ids: Iterable[int]) -> CityList:
    """A district reviewer assembles its district_approved cases of one round into a list.
    Errors: 403 not a district reviewer, 404 a case not theirs, 400 a case of another round or
    not district_approved or already on a list."""
    if actor.role != Role.DISTRICT_REVIEWER or actor.organisation is None or actor.organisation.district_id is None:
        raise PermissionDenied("只有属地审核员可以编制报审名单。")
    round_ = Round.objects.filter(pk=round_id).first()
    ids = sorted({int(i) for i in application_ids})
    if round_ is None:
        raise BadInput("请选择申报批次。", code="round_required")
    if not ids:
        raise BadInput("报审名单至少包含一个申报件。", code="empty_list")
    city_list = CityList.objects.create(district_id=actor.organisation.district_id, round=round_, created_by=actor)
    _attach(city_list, actor, ids)
    return city_list


def _attach(city_list: CityList, actor: User, ids: list[int]) -> None:
    for app_id in ids:
        application = access_application_by_id(user=actor, application_id=app_id, for_update=True)
        allowed, why = can_review_application(actor, application)
        if not allowed:
            raise PermissionDenied(why)
        if application.round_id != city_list.round_id:
            raise BadInput(f"申报件 #{app_id} 不属于本批次。", code="wrong_round")
        if application.state != State.DISTRICT_APPROVED:
            raise BadInput(f"申报件 #{app_id} 尚未属地审核通过，不能列入报审名单。", code="not_approved")
        if application.city_list_id and application.city_list_id != city_list.pk:
            other = CityList.objects.get(pk=application.city_list_id)
            if other.status == CityList.Status.DRAFT:
                raise BadInput(f"申报件 #{app_id} 已在另一份报审名单（#{other.pk}）中。", code="already_listed")
        application.city_list = city_list
        application.save(update_fields=["city_list", "updated_at"])


@transaction.atomic
def city_list_add(*, actor: User, city_list_id: int, application_ids: Iterable[int]) -> CityList:
    city_list = access_city_list_by_id(user=actor, city_list_id=city_list_id, for_update=True)
    if city_list.status != CityList.Status.DRAFT:
        raise InvalidTransition("报审名单已提交，不能再添加申报件。")
    _attach(city_list, actor, sorted({int(i) for i in application_ids}))
    return city_list


@transaction.atomic
def city_list_submit(*, actor: User, city_list_id: int) -> CityList:
    """提交审定: every case on the list moves to city_review, the list becomes submitted."""
    city_list = access_city_list_by_id(user=actor, city_list_id=city_list_id, for_update=True)
    if actor.role != Role.DISTRICT_REVIEWER:
        raise PermissionDenied("只有属地审核员可以提交报审名单。")
    if city_list.status != CityList.Status.DRAFT:
        raise InvalidTransition("该报审名单已提交，不能重复提交。", code="already_submitted")
    ids = list(
        Application.objects.filter(city_list=city_list, state=State.DISTRICT_APPROVED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise BadInput("报审名单中没有待提交的申报件。", code="empty_list")
    for app_id in ids:
        application_transition(
            application_id=app_id, action="submit_to_city", actor=actor, extra={"city_list": city_list.pk}
        )
    city_list.status = CityList.Status.SUBMITTED
    city_list.submitted_at = timezone.now()
    city_list.submitted_by = actor
    city_list.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    return city_list


def city_list_close_if_done(*, city_list_id: int) -> None:
    """A submitted list is done when none of its cases waits for the city any more."""
    pending = Application.objects.filter(city_list_id=city_list_id, state=State.CITY_REVIEW).exists()
    if not pending:
        CityList.objects.filter(pk=city_list_id, status=CityList.Status.SUBMITTED).update(
            status=CityList.Status.DONE, done_at=timezone.now()
        )
