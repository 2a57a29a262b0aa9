"""Bridge from an application to the policy rules engine (policies/rules/)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.timeutil import local_date

from .models import Application


@dataclass
class Assessment:
    eligibility: dict[str, Any]
    suggested_amount: Decimal | None
    maximum: Decimal | None
    working: list[str] = field(default_factory=list)


def already_received(application: Application) -> Decimal:
    """What the enterprise already got under the same item, for the rule's period caps: only the
    same award year when the cap is per year (每年最高), every year for total or lifetime caps."""
    from django.db.models import Sum

    from awards.models import Award
    from awards.services import award_year
    from awards.workflow import AwardState

    qs = Award.objects.filter(
        enterprise_id=application.enterprise_id,
        item_id=application.item_id,
        state__in=[AwardState.CLAIMABLE, AwardState.CLAIMED, AwardState.PAID],
    ).exclude(application_id=application.pk)
    rule = application.item.amount_rule or {}
    if rule.get("annual_cap_yuan") is not None and not (rule.get("total_cap_yuan") or rule.get("lifetime_cap_yuan")):
        qs = qs.filter(year=award_year(application.round))
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal(0)


def assess(application: Application) -> Assessment:
    """Eligibility with reasons and the suggested amount with its working, for the declared figures."""
    from policies.rules.amounts import compute
    from policies.rules.eligibility import evaluate

    item = application.item
    result = evaluate(
        item.eligibility, enterprise=application.enterprise, declared=application.declared, on=local_date()
    )
    eligibility = result.as_dict()
    warnings = exclusivity_warnings(application)
    if warnings:
        eligibility["warnings"] = warnings
    amount = compute(item.amount_rule, application.declared, already_received=already_received(application))
    return Assessment(eligibility, amount.amount, amount.maximum, list(amount.working))


RULE = "按“从优、就高、不重复”原则，同一年度只保留金额最高的一项奖励。"


def exclusivity_warnings(application: Application) -> list[str]:
    """从优、就高、不重复: tell the enterprise about other cases or awards in the same group."""
    group_id = application.item.exclusivity_group_id
    if group_id is None:
        return []
    from awards.models import Award
    from awards.workflow import AwardState

    from .workflow import State

    others = (
        Application.objects.filter(enterprise_id=application.enterprise_id, item__exclusivity_group_id=group_id)
        .exclude(pk=application.pk)
        .exclude(state__in=[State.WITHDRAWN, State.EXPIRED, State.DISTRICT_REJECTED, State.CITY_REJECTED])
        .select_related("item")
    )
    awards = (
        Award.objects.filter(
            enterprise_id=application.enterprise_id,
            item__exclusivity_group_id=group_id,
            state__in=[AwardState.CLAIMABLE, AwardState.CLAIMED, AwardState.PAID],
        )
        .exclude(application_id=application.pk)
        .select_related("item")
    )
    group = application.item.exclusivity_group
    messages = [f"您已申报同类政策“{o.item.name}”（申报件 #{o.pk}）。{RULE}" for o in others]
    messages += [f"您已获得同类政策“{a.item.name}”奖励 {a.amount} 元（{a.year}年度）。{RULE}" for a in awards]
    if messages and group is not None:
        messages.insert(0, f"本事项属于同类政策组“{group.name}”。")
    return messages
