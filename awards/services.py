"""Every write to an award: 政策上线 (publish), claim, pay, recover, cancel.

`award_transition` is the only code that changes an award's state row by row; the deadline
job (deadlines/jobs.py) forfeits in sets with the same guard in its WHERE clause.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import enterprise_users
from applications.commitments import CLAIM_COMMITMENT
from applications.models import Application
from applications.workflow import State
from common.errors import BadInput, Conflict, InvalidTransition, PermissionDenied
from enterprises.selectors import active_listing
from enterprises.services import dishonesty_entry_create
from notifications.services import notify_on_commit
from policies.models import Round

from .models import Award, AwardEvent
from .permissions import AWARD_PERMISSIONS
from .selectors import access_award_by_id
from .workflow import AWARD_TRANSITIONS, SYSTEM, AwardState

Precheck = Callable[[Award], dict[str, Any] | None]
LIVE = (AwardState.CLAIMABLE, AwardState.CLAIMED, AwardState.PAID)


def _label(state: str) -> str:
    return AwardState(state).label if state in AwardState.values else state


def _record(
    award: Award,
    *,
    actor: User | None,
    action: str,
    from_state: str,
    to_state: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> AwardEvent:
    return AwardEvent.objects.create(
        award=award,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=timezone.now(),
        extra=extra or {},
    )


@transaction.atomic
def award_transition(
    *,
    award_id: int,
    action: str,
    actor: User | None,
    reason: str = "",
    precheck: Precheck | None = None,
    extra: dict[str, Any] | None = None,
) -> Award:
    """Move one award along awards/workflow.py: lock, permission (403/404), state (409),
    reason (400), precheck, named fields, history row, notifications after commit."""
    transition = AWARD_TRANSITIONS[action]
    if transition.role == SYSTEM or actor is None:
        award = Award.objects.select_for_update().select_related("item", "enterprise").get(pk=award_id)
    else:
        award = access_award_by_id(user=actor, award_id=award_id, for_update=True)
        allowed, why = AWARD_PERMISSIONS[action](actor, award)
        if not allowed:
            raise PermissionDenied(why)
    if award.state not in transition.sources:
        raise InvalidTransition(
            f"奖励当前状态为“{_label(award.state)}”，不能执行“{transition.label}”。", code="invalid_state"
        )
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise BadInput(f"请填写{transition.label}的理由。", code="reason_required")
    changes = (precheck(award) if precheck else None) or {}
    from_state = award.state
    for name, value in changes.items():
        setattr(award, name, value)
    award.state = transition.target
    award.save(update_fields=[*changes.keys(), "state", "updated_at"])
    _record(
        award, actor=actor, action=action, from_state=from_state, to_state=transition.target, reason=reason, extra=extra
    )
    _notify(award, action, reason)
    return award


# --- 政策上线 -----------------------------------------------------------------------------------


@dataclass
class PublishResult:
    created: list[Award] = field(default_factory=list)
    cancelled: list[Award] = field(default_factory=list)


def split_shares(amount: Decimal, funding: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """City and district shares of an award by the item's funding split (按财政体制)."""
    city_percent = Decimal(str(funding.get("city_percent", 50)))
    city = (amount * city_percent / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return city, amount - city


def award_year(round_: Round) -> int:
    if round_.performance_to:
        return round_.performance_to.year
    return timezone.localtime(round_.closes_at).year


@transaction.atomic
def awards_publish(
    *, actor: User, round_id: int, claim_deadline: datetime, application_ids: Iterable[int] | None = None
) -> PublishResult:
    """政策上线: create `claimable` awards for the actor's district's approved cases of a round
    (all of them, or the chosen ones), then apply 从优、就高、不重复 within each exclusivity group.

    Who: the district fund officer. Idempotent: a case that already has an award is skipped.
    Errors: 403 role, 400 deadline not in the future or a chosen case not eligible.
    """
    org = actor.organisation
    if actor.role != Role.FUND_OFFICER or org is None or org.district_id is None:
        raise PermissionDenied("只有属地兑现人员可以办理政策上线。")
    if timezone.is_naive(claim_deadline):
        raise BadInput("申领截止时间必须带时区，如 2026-12-31T23:59:59+08:00。", code="deadline_invalid")
    if claim_deadline <= timezone.now():
        raise BadInput("申领截止时间必须晚于当前时间。", code="deadline_invalid")
    round_ = Round.objects.select_related("item").filter(pk=round_id).first()
    if round_ is None:
        raise BadInput("未找到该申报批次。", code="round_invalid")
    qs = Application.objects.select_for_update(of=("self",)).filter(
        round=round_, district_id=org.district_id, state=State.APPROVED, award__isnull=True
    )
    if application_ids is not None:
        ids = {int(i) for i in application_ids}
        qs = qs.filter(pk__in=ids)
        found = set(qs.values_list("pk", flat=True))
        if ids - found:
            raise BadInput(
                f"以下申报件不能上线（不属于本属地本批次、未审定通过或已上线）：{sorted(ids - found)}",
                code="not_publishable",
            )
    result = PublishResult()
    item = round_.item
    year = award_year(round_)
    for application in qs.order_by("pk"):
        assert application.amount is not None
        city, district = split_shares(application.amount, item.funding or {})
        award = Award.objects.create(
            application=application,
            enterprise_id=application.enterprise_id,
            item=item,
            round=round_,
            district_id=application.district_id,
            source=Award.Source.APPLICATION,
            year=year,
            amount=application.amount,
            city_share=city,
            district_share=district,
            district_pays_first=bool((item.funding or {}).get("district_pays_first", False)),
            claim_deadline=claim_deadline,
            published_by=actor,
        )
        _record(award, actor=actor, action="publish", from_state="", to_state=AwardState.CLAIMABLE)
        _notify(award, "publish", "")
        result.created.append(award)
    for enterprise_id in sorted({a.enterprise_id for a in result.created}):
        if item.exclusivity_group_id:
            result.cancelled += awards_resolve_exclusivity(
                enterprise_id=enterprise_id, group_id=item.exclusivity_group_id, year=year
            )
    return result


def award_create_instant(*, application: Application) -> Award:
    """即申即享: the award of a case the system approved on submission, claimable at once for the
    round's claim period. Called only by applications.services inside the submit transaction."""
    from datetime import timedelta

    from common.timeutil import end_of_day_exclusive, local_date

    round_ = application.round
    item = application.item
    assert application.amount is not None
    city, district = split_shares(application.amount, item.funding or {})
    award = Award.objects.create(
        application=application,
        enterprise_id=application.enterprise_id,
        item=item,
        round=round_,
        district_id=application.district_id,
        source=Award.Source.INSTANT,
        year=award_year(round_),
        amount=application.amount,
        city_share=city,
        district_share=district,
        district_pays_first=bool((item.funding or {}).get("district_pays_first", False)),
        claim_deadline=end_of_day_exclusive(local_date() + timedelta(days=round_.claim_days)),
    )
    _record(award, actor=None, action="publish", from_state="", to_state=AwardState.CLAIMABLE, reason="即申即享")
    _notify(award, "publish", "")
    if item.exclusivity_group_id:
        awards_resolve_exclusivity(
            enterprise_id=award.enterprise_id, group_id=item.exclusivity_group_id, year=award.year
        )
    return award


def _set_cancel_reason(reason: str) -> Precheck:
    def precheck(award: Award) -> dict[str, Any]:
        return {"cancelled_reason": reason}

    return precheck


def awards_resolve_exclusivity(*, enterprise_id: int, group_id: int, year: int) -> list[Award]:
    """从优、就高、不重复: of one enterprise's live awards in a group and year, the highest stands;
    the others not yet paid are cancelled with that reason. Returns the cancelled awards."""
    live = list(
        Award.objects.select_for_update()
        .filter(enterprise_id=enterprise_id, item__exclusivity_group_id=group_id, year=year, state__in=LIVE)
        .select_related("item")
        .order_by("-amount", "pk")
    )
    if len(live) < 2:
        return []
    best = live[0]
    cancelled = []
    for other in live[1:]:
        if other.state == AwardState.PAID:
            continue
        reason = (
            f"按“从优、就高、不重复”原则，{year}年度同类政策只保留金额最高的一项：“{best.item.name}”"
            f"（{best.amount:,.2f} 元，奖励 #{best.pk}）。"
        )
        cancelled.append(
            award_transition(
                award_id=other.pk,
                action="cancel",
                actor=None,
                reason=reason,
                precheck=_set_cancel_reason(reason),
                extra={"superseded_by": best.pk},
            )
        )
    return cancelled


# --- the enterprise claims ------------------------------------------------------------------------


@transaction.atomic
def award_claim(*, actor: User, award_id: int, commitment_signed: bool, bank_account_confirmed: bool = True) -> Award:
    """企业申领: sign the 承诺书 and confirm the bank account before the claim deadline.

    Idempotent: claiming an award already claimed (or paid) returns it unchanged. Errors: 400
    commitment or bank account missing, 403 dishonesty list, 409 deadline passed or wrong state.
    """
    award = access_award_by_id(user=actor, award_id=award_id, for_update=True)
    allowed, why = AWARD_PERMISSIONS["claim"](actor, award)
    if not allowed:
        raise PermissionDenied(why)
    if award.state in (AwardState.CLAIMED, AwardState.PAID):
        return award

    def precheck(a: Award) -> dict[str, Any]:
        now = timezone.now()
        if now >= a.claim_deadline:
            raise Conflict("申领期限已过，按规定视为自动放弃。", code="claim_deadline_passed")
        listing = active_listing(enterprise_id=a.enterprise_id)
        if listing is not None:
            raise PermissionDenied(
                f"贵企业已被列入失信名录（{listing.reason}），期间不能申领奖励。", code="credit_blocked"
            )
        if commitment_signed is not True:
            raise BadInput("请阅读并签署承诺书后再申领。", code="commitment_required")
        ent = a.enterprise
        if not (ent.bank_name and ent.bank_account_name and ent.bank_account_no):
            raise BadInput("请先在“企业信息”中填写开户银行、账户名称和银行账号。", code="bank_account_missing")
        if bank_account_confirmed is not True:
            raise BadInput("请确认收款银行账户信息无误。", code="bank_account_unconfirmed")
        return {
            "claimed_at": now,
            "claimed_by": actor,
            "claim_commitment_text": CLAIM_COMMITMENT,
            "bank_snapshot": {
                "bank_name": ent.bank_name,
                "account_name": ent.bank_account_name,
                "account_no": ent.bank_account_no,
            },
        }

    return award_transition(award_id=award.pk, action="claim", actor=actor, precheck=precheck)


# --- the district pays and recovers -----------------------------------------------------------------


@transaction.atomic
def award_pay(*, actor: User, award_id: int, reference: str, paid_on: date | None = None) -> Award:
    """兑现: record the payment (reference, date). At most once: a second payment is 409, and a
    reference already used for another award is 409."""
    reference = (reference or "").strip()
    if not reference:
        raise BadInput("请填写支付凭证号。", code="reference_required")
    if len(reference) > 64:
        raise BadInput("支付凭证号不能超过64个字符。", code="reference_invalid")
    day = paid_on or timezone.localdate()
    if day > timezone.localdate():
        raise BadInput("支付日期不能晚于今天。", code="paid_on_invalid")

    def precheck(a: Award) -> dict[str, Any]:
        if Award.objects.filter(payment_reference=reference).exclude(pk=a.pk).exists():
            raise Conflict(f"支付凭证号“{reference}”已用于其他奖励，请核对。", code="reference_used")
        return {"payment_reference": reference, "paid_on": day, "paid_at": timezone.now(), "paid_by": actor}

    try:
        with transaction.atomic():
            return award_transition(
                award_id=award_id,
                action="pay",
                actor=actor,
                precheck=precheck,
                extra={"reference": reference, "paid_on": day.isoformat()},
            )
    except IntegrityError:
        raise Conflict(f"支付凭证号“{reference}”已用于其他奖励，请核对。", code="reference_used") from None


@transaction.atomic
def award_recover(*, actor: User, award_id: int, reason: str, listing_days: int = 3 * 365) -> Award:
    """追回: a paid award found improper (e.g. 统计违法) goes to `recovering` and the enterprise is
    put on the dishonesty list for `listing_days` (003 L320)."""

    def precheck(a: Award) -> dict[str, Any]:
        return {"recovery_reason": reason.strip(), "recovery_started_at": timezone.now()}

    award = award_transition(award_id=award_id, action="recover", actor=actor, reason=reason, precheck=precheck)
    dishonesty_entry_create(
        enterprise_id=award.enterprise_id,
        reason=f"奖励追回：{reason.strip()}",
        source=f"奖励 #{award.pk} 追回（{award.item.name}）",
        actor=actor,
        award_id=award.pk,
        days=listing_days,
    )
    return award


def award_mark_recovered(*, actor: User, award_id: int, reason: str = "") -> Award:
    def precheck(a: Award) -> dict[str, Any]:
        return {"recovered_at": timezone.now()}

    return award_transition(award_id=award_id, action="recovered", actor=actor, reason=reason, precheck=precheck)


def _notify(award: Award, action: str, reason: str) -> None:
    users = list(enterprise_users(enterprise_id=award.enterprise_id))
    link = f"/awards/{award.pk}/"
    name = f"“{award.item.name}”奖励 {award.amount:,.2f} 元"
    if action == "publish":
        deadline = timezone.localtime(award.claim_deadline)
        notify_on_commit(
            users=users,
            kind="award_online",
            title=f"{name}已上线，请申领",
            link=link,
            body=f"请于 {deadline:%Y年%m月%d日 %H:%M} 前申领并签署承诺书；未如期申领的视为自动放弃。",
        )
    elif action == "claim":
        notify_on_commit(users=users, kind="claimed", title=f"{name}已申领", link=link, body="等待属地财政拨付。")
    elif action == "pay":
        notify_on_commit(
            users=users,
            kind="paid",
            title=f"{name}已兑现",
            link=link,
            body=f"支付凭证号：{award.payment_reference}，支付日期：{award.paid_on}。",
        )
    elif action == "recover":
        notify_on_commit(users=users, kind="recovering", title=f"{name}被要求退回", link=link, body=f"原因：{reason}")
    elif action == "cancel":
        notify_on_commit(users=users, kind="cancelled", title=f"{name}已作废", link=link, body=reason)
