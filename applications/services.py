"""Every write to an application. The one transition service is `application_transition`;
the step services below add what each step needs and call it.

All services take keyword arguments, run in one transaction (a failure leaves nothing behind),
raise common.errors.* (mapped to HTTP by the API) or django ValidationError for bad fields,
and notify only after commit.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from common.errors import BadInput, Conflict, InvalidTransition, NotFound, PermissionDenied
from common.money import yuan
from common.timeutil import end_of_day_exclusive, local_date
from deadlines.workdays import add_working_days
from enterprises.models import Enterprise
from policies.models import Round

from .checks import (  # noqa: F401  (missing_materials re-exported)
    check_complete,
    check_editable,
    check_not_listed,
    deferred_extra,
    deferred_materials,
    missing_materials,
    state_label,
)
from .commitments import SUBMISSION_COMMITMENT
from .declared import clean_declared
from .materials import material_reuse, material_upload, reusable_materials  # noqa: F401  (re-exported)
from .models import Application, ApplicationEvent
from .notify import notify_transition
from .permissions import ACTION_PERMISSIONS
from .rules import assess
from .selectors import access_application_by_id
from .workflow import SYSTEM, TRANSITIONS, State

Precheck = Callable[[Application], dict[str, Any] | None]


def _record(
    application: Application,
    *,
    actor: User | None,
    action: str,
    from_state: str,
    to_state: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=timezone.now(),
        extra=extra or {},
    )


@transaction.atomic
def application_transition(
    *,
    application_id: int,
    action: str,
    actor: User | None,
    reason: str = "",
    precheck: Precheck | None = None,
    extra: dict[str, Any] | None = None,
) -> Application:
    """Move one application along the table in applications/workflow.py. Nothing else sets `state`.

    Locks the row, checks the actor may act (403, or 404 if the case is not theirs), the state
    (409), a reason where the table requires one (400), then runs `precheck`, which may refuse by
    raising or return further fields to write. Saves only the named fields, appends a history
    row and queues the notifications for after commit.
    """
    transition = TRANSITIONS[action]
    if transition.role == SYSTEM or actor is None:
        application = (
            Application.objects.select_for_update().select_related("item", "round", "enterprise").get(pk=application_id)
        )
    else:
        application = access_application_by_id(user=actor, application_id=application_id, for_update=True)
        allowed, why = ACTION_PERMISSIONS[action](actor, application)
        if not allowed:
            raise PermissionDenied(why)
    if application.state not in transition.sources:
        raise InvalidTransition(
            f"申报件当前状态为“{state_label(application.state)}”，不能执行“{transition.label}”。", code="invalid_state"
        )
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise BadInput(f"请填写{transition.label}的理由。", code="reason_required")
    changes = (precheck(application) if precheck else None) or {}
    if changes.get("review_deadline"):
        # Reports judge late decisions against the deadline of the cycle they belong to.
        extra = {**(extra or {}), "review_deadline": changes["review_deadline"].isoformat()}
    from_state = application.state
    for field, value in changes.items():
        setattr(application, field, value)
    application.state = transition.target
    application.save(update_fields=[*changes.keys(), "state", "updated_at"])
    _record(
        application,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
        extra=extra,
    )
    notify_transition(application, action, reason)
    return application


# --- drafts, declared figures and materials -------------------------------------------------


def _apply_assessment(application: Application) -> list[str]:
    result = assess(application)
    application.eligibility = result.eligibility
    application.suggested_amount = result.suggested_amount
    application.amount_working = result.working
    return ["eligibility", "suggested_amount", "amount_working"]


@transaction.atomic
def application_create(*, actor: User, round_id: int, declared: dict[str, Any] | None = None) -> Application:
    """An enterprise user starts a draft for a round. Errors: 403 not an enterprise user, 404
    unknown round, 409 round closed or a live application already exists, 400 bad figures."""
    if actor.role != Role.ENTERPRISE or actor.enterprise_id is None:
        raise PermissionDenied("只有企业用户可以发起申报。")
    round_ = Round.objects.select_related("item").filter(pk=round_id, published=True).first()
    if round_ is None:
        raise NotFound("未找到该申报批次。")
    if round_.closes_at <= timezone.now():
        raise Conflict(
            f"“{round_.name}”已于 {timezone.localtime(round_.closes_at):%Y年%m月%d日 %H:%M} 截止申报。",
            code="window_closed",
        )
    cleaned = clean_declared(round_.item.declared_fields, declared or {}, require_all=False)
    application = Application(
        enterprise_id=actor.enterprise_id,
        round=round_,
        item=round_.item,
        district_id=Enterprise.objects.values_list("district_id", flat=True).get(pk=actor.enterprise_id),
        declared=cleaned,
        created_by=actor,
    )
    _apply_assessment(application)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise Conflict("贵企业在本批次已有申报件，不能重复申报；请在“我的申报”中继续办理。", code="duplicate") from None
    _record(application, actor=actor, action="create", from_state="", to_state=State.DRAFT)
    return application


@transaction.atomic
def application_update_declared(*, actor: User, application_id: int, declared: dict[str, Any]) -> Application:
    """Change the declared figures of a draft or a returned case; eligibility and the suggested
    amount are recomputed at once. Errors: 404, 403, 409 wrong state, 400 bad figures."""
    application = access_application_by_id(user=actor, application_id=application_id, for_update=True)
    check_editable(actor, application, "修改申报数据")
    merged = {**application.declared, **declared}
    application.declared = clean_declared(application.item.declared_fields, merged, require_all=False)
    fields = _apply_assessment(application)
    application.save(update_fields=["declared", *fields, "updated_at"])
    return application


# --- the enterprise's steps --------------------------------------------------------------------


@transaction.atomic
def application_submit(*, actor: User, application_id: int, commitment_signed: bool) -> Application:
    """Submit a draft inside the round's window, complete, with the 承诺书 signed. An item in
    即申即享 mode is approved at once when every criterion passes (an award is created).

    Errors: 400 commitment not signed / figures or materials missing, 403 on the dishonesty list,
    409 outside the window or wrong state."""

    def precheck(application: Application) -> dict[str, Any]:
        now = timezone.now()
        round_ = application.round
        if now < round_.opens_at:
            raise Conflict(
                f"本批次申报尚未开始，开始时间为 {timezone.localtime(round_.opens_at):%Y年%m月%d日 %H:%M}。",
                code="window_not_open",
            )
        if now >= round_.closes_at:
            last = timezone.localtime(round_.closes_at - timedelta(seconds=1))
            raise Conflict(
                f"本批次申报已截止（截止时间 {last:%Y年%m月%d日 %H:%M:%S}），不再受理。", code="window_closed"
            )
        if commitment_signed is not True:
            raise BadInput("请阅读并签署承诺书后再提交。", code="commitment_required")
        check_not_listed(application, "申报")
        check_complete(application)
        fields = _apply_assessment(application)
        return {
            "declared": application.declared,
            **{f: getattr(application, f) for f in fields},
            "submitted_at": now,
            "commitment_text": SUBMISSION_COMMITMENT,
            "commitment_signed_by": actor,
            "commitment_signed_at": now,
        }

    application = application_transition(
        application_id=application_id,
        action="submit",
        actor=actor,
        precheck=precheck,
        extra={"commitment": "signed", **deferred_extra(application_id)},
    )
    if application.item.mode == "instant":
        application = _instant_grant(application)
    return application


def _instant_grant(application: Application) -> Application:
    """即申即享: approve with the suggested amount and create the award, if nothing needs a person."""
    reasons = (application.eligibility or {}).get("reasons", [])
    automatic = application.eligibility.get("eligible") is True and all(r.get("passed") is True for r in reasons)
    if (
        not automatic
        or not application.suggested_amount
        or application.suggested_amount <= 0
        or deferred_materials(application)
    ):
        return application
    from awards.services import award_create_instant

    def precheck(app: Application) -> dict[str, Any]:
        return {"amount": app.suggested_amount, "city_decided_at": timezone.now()}

    application = application_transition(
        application_id=application.pk,
        action="instant_approve",
        actor=None,
        precheck=precheck,
        reason="即申即享：各项条件均自动核验通过，按标准自动审定。",
    )
    award_create_instant(application=application)
    return application


def application_withdraw(*, actor: User, application_id: int, reason: str = "") -> Application:
    return application_transition(application_id=application_id, action="withdraw", actor=actor, reason=reason)


def application_resubmit(*, actor: User, application_id: int) -> Application:
    """Resubmit a returned case before its supplement deadline, complete again."""

    def precheck(application: Application) -> dict[str, Any]:
        if application.supplement_deadline and timezone.now() >= application.supplement_deadline:
            raise Conflict("补正期限已过，不能再提交。", code="supplement_expired")
        check_not_listed(application, "申报")
        check_complete(application)
        fields = _apply_assessment(application)
        # A new wait begins: the review clock restarts from this resubmission (deadlines jobs).
        return {
            "declared": application.declared,
            "review_overdue": False,
            **{f: getattr(application, f) for f in fields},
        }

    return application_transition(application_id=application_id, action="resubmit", actor=actor, precheck=precheck)


# --- the district's steps ----------------------------------------------------------------------


def application_accept(*, actor: User, application_id: int) -> Application:
    """受理: the review clock starts (working days, see deadlines/workdays.py)."""

    def precheck(application: Application) -> dict[str, Any]:
        now = timezone.now()
        return {
            "accepted_at": now,
            "district_reviewer": actor,
            "review_cycle": application.review_cycle + 1,
            "review_deadline": add_working_days(now, application.round.review_working_days),
            "review_overdue": False,
        }

    return application_transition(application_id=application_id, action="accept", actor=actor, precheck=precheck)


def application_return(*, actor: User, application_id: int, reason: str) -> Application:
    """退回补正 with what to fix; the enterprise has the round's supplement period to resubmit."""

    def precheck(application: Application) -> dict[str, Any]:
        last_day = local_date() + timedelta(days=application.round.supplement_days)
        return {
            "supplement_request": reason.strip(),
            "supplement_deadline": end_of_day_exclusive(last_day),
            "district_reviewer": actor,
        }

    return application_transition(
        application_id=application_id, action="return", actor=actor, reason=reason, precheck=precheck
    )


def application_reject(*, actor: User, application_id: int, reason: str) -> Application:
    def precheck(application: Application) -> dict[str, Any]:
        return {"district_decided_at": timezone.now(), "district_reviewer": actor}

    return application_transition(
        application_id=application_id, action="reject", actor=actor, reason=reason, precheck=precheck
    )


def opinion_status(application: Application) -> tuple[list[str], list[Any]]:
    """(functions still without an opinion in this review cycle, the disagreeing opinions)."""
    from accounts.models import Function
    from reviews.models import Opinion

    opinions = list(
        Opinion.objects.filter(application=application, review_cycle=application.review_cycle).select_related(
            "department"
        )
    )
    given = {o.function for o in opinions}
    missing = [
        Function(f).label if f in Function.values else f for f in application.item.review_departments if f not in given
    ]
    disagree = [o for o in opinions if o.decision == "disagree"]
    return missing, disagree


def application_approve(*, actor: User, application_id: int, reason: str = "", override: bool = False) -> Application:
    """属地审核通过. Needs every co-review department's opinion; a 不同意 blocks unless the
    reviewer overrides it with a written reason. Errors: 409 opinions missing or disagreeing."""

    def precheck(application: Application) -> dict[str, Any]:
        deferred = deferred_materials(application)
        if deferred:
            raise Conflict(
                f"容缺受理的材料尚未补齐：{'、'.join(deferred)}，补齐后方可审核通过。", code="deferred_missing"
            )
        missing, disagree = opinion_status(application)
        if missing:
            raise Conflict(f"尚缺以下会审部门意见：{'、'.join(missing)}，暂不能审核通过。", code="opinions_missing")
        if disagree:
            names = "、".join(o.department.name for o in disagree)
            if not override:
                raise Conflict(
                    f"{names}出具了“不同意”意见。如仍要通过，请选择“不采纳会审意见”并写明理由。",
                    code="opinion_disagree",
                )
            if not reason.strip():
                raise BadInput("不采纳会审部门“不同意”意见时，必须写明理由。", code="reason_required")
        return {"district_decided_at": timezone.now(), "district_reviewer": actor}

    return application_transition(
        application_id=application_id,
        action="approve",
        actor=actor,
        reason=reason,
        precheck=precheck,
        extra={"override": True} if override else None,
    )


# --- the city's steps --------------------------------------------------------------------------


def _round_committed(round_id: int, *, excluding: int) -> Decimal:
    total = (
        Application.objects.filter(round_id=round_id, state=State.APPROVED)
        .exclude(pk=excluding)
        .aggregate(s=Sum("amount"))["s"]
    )
    return total or Decimal(0)


def application_city_approve(*, actor: User, application_id: int, amount: Any, reason: str = "") -> Application:
    """审定通过 with the final amount: positive, never above what the item's rule allows for the
    declared figures, and within the round's budget. Errors: 400 amount, 409 budget/state."""

    def precheck(application: Application) -> dict[str, Any]:
        try:
            value = yuan(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise BadInput("请填写审定金额（元），如 150000.00。", code="amount_invalid") from None
        if value <= 0:
            raise BadInput("审定金额必须大于0元。", code="amount_invalid")
        result = assess(application)
        if result.maximum is not None and value > result.maximum:
            raise BadInput(
                f"审定金额 {value:,.2f} 元超过政策标准允许的最高额 {result.maximum:,.2f} 元，只能调低不能调高。",
                code="amount_above_rule",
            )
        round_ = Round.objects.select_for_update().get(pk=application.round_id)
        if round_.budget is not None:
            committed = _round_committed(round_.pk, excluding=application.pk)
            if committed + value > round_.budget:
                left = round_.budget - committed
                raise Conflict(
                    f"超出批次预算：本批次剩余额度 {left:,.2f} 元，审定金额 {value:,.2f} 元。", code="budget_exceeded"
                )
        return {"amount": value, "city_approver": actor, "city_decided_at": timezone.now()}

    application = application_transition(
        application_id=application_id, action="city_approve", actor=actor, reason=reason, precheck=precheck
    )
    _close_list_if_done(application)
    return application


def application_city_reject(*, actor: User, application_id: int, reason: str) -> Application:
    def precheck(application: Application) -> dict[str, Any]:
        return {"city_approver": actor, "city_decided_at": timezone.now()}

    application = application_transition(
        application_id=application_id, action="city_reject", actor=actor, reason=reason, precheck=precheck
    )
    _close_list_if_done(application)
    return application


def application_city_return(*, actor: User, application_id: int, reason: str) -> Application:
    """Back to the district with the city's reason; the district reviews again (new cycle)."""

    def precheck(application: Application) -> dict[str, Any]:
        return {
            "review_cycle": application.review_cycle + 1,
            "review_deadline": add_working_days(timezone.now(), application.round.review_working_days),
            "review_overdue": False,
        }

    application = application_transition(
        application_id=application_id, action="city_return", actor=actor, reason=reason, precheck=precheck
    )
    _close_list_if_done(application)
    return application


def _close_list_if_done(application: Application) -> None:
    from reviews.services import city_list_close_if_done

    if application.city_list_id:
        city_list_close_if_done(city_list_id=application.city_list_id)
