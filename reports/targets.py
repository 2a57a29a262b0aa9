"""The delivery targets of SPEC §6 (003 L621) and 应享未享, for the dashboard's targets table.

Both take the scope and filters of reports/selectors.py; DashboardData calls them.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from applications.models import Application
from applications.workflow import State
from awards.models import Award
from notifications.models import Notification
from policies.models import PolicyItem, Round

from .selectors import ZERO, ReportFilters, ReportScope

# Notification kind of a proactive policy push (主动推送); the dedupe key names the item:
# "policy_push:<item_id>:<enterprise_id>". Items count as pushed when one such message exists.
POLICY_PUSH_KIND = "policy_push"


@dataclass
class DeliveryTargets:
    """The targets of SPEC §6 (003 L621), with the measure stated."""

    paid_out: Decimal = ZERO
    paid_out_direct: Decimal = ZERO
    items_total: int = 0
    items_proactive_mode: int = 0
    items_pushed: int = 0
    money_target: Decimal = Decimal("0.50")
    items_target: Decimal = Decimal("0.95")

    @property
    def money_share(self) -> Decimal | None:
        return self.paid_out_direct / self.paid_out if self.paid_out else None

    @property
    def items_reached(self) -> int:
        return self.items_proactive_mode + self.items_pushed

    @property
    def items_share(self) -> Decimal | None:
        return Decimal(self.items_reached) / Decimal(self.items_total) if self.items_total else None


def delivery_targets(*, scope: ReportScope, filters: ReportFilters, totals: dict[str, Any]) -> DeliveryTargets:
    """免申即享/即申即享 share of money paid, and share of offered items reached proactively. One query.

    Money: of the awards paid out (paid + recovering) in scope, the part whose source is 免申即享
    or 即申即享. Items: policy items in scope with at least one published round (matching the
    policy/round filters) — "offered" items; reached = mode 即申即享/免申即享, or mode 申报兑现 with at
    least one `policy_push` notification sent to an enterprise (of the user's district, for a
    district official).
    """
    result = DeliveryTargets(paid_out=totals["paid_out"], paid_out_direct=totals["paid_out_direct"])
    if scope.is_empty:
        return result
    rounds = Round.objects.filter(item=OuterRef("pk"), published=True)
    if filters.round_id is not None:
        rounds = rounds.filter(pk=filters.round_id)
    pushes = Notification.objects.filter(
        kind=POLICY_PUSH_KIND,
        dedupe_key__startswith=Concat(Value(f"{POLICY_PUSH_KIND}:"), Cast(OuterRef("pk"), CharField()), Value(":")),
    )
    if scope.district_id is not None:
        pushes = pushes.filter(user__enterprise__district_id=scope.district_id)
    items = PolicyItem.objects.filter(scope.items_q()).filter(Exists(rounds))
    if filters.policy_id is not None:
        items = items.filter(pk=filters.policy_id)
    counts = items.aggregate(
        total=Count("pk"),
        proactive=Count("pk", filter=~Q(mode=PolicyItem.Mode.APPLY)),
        pushed=Count("pk", filter=Q(Exists(pushes), mode=PolicyItem.Mode.APPLY)),
    )
    result.items_total = counts["total"]
    result.items_proactive_mode = counts["proactive"]
    result.items_pushed = counts["pushed"]
    return result


def unclaimed_entitlements(*, scope: ReportScope, filters: ReportFilters) -> dict[str, Any] | None:
    """应享未享: enterprises that pass every automatic criterion of an item with an open round but have
    neither a live application nor an award under it.

    "Pass every automatic criterion" means `policies.rules.eligibility.evaluate_profile` finds no
    failed criterion and at least one criterion confirmed from the enterprise's data (criteria on
    declared figures or checked by hand are not automatic). Returns {"items", "enterprises",
    "pairs"}, or None when the rules engine offers no `evaluate_profile`. The criteria are judged in
    Python, so this walks enterprises (of the scope's district, if any) × open items; the
    dashboard computes it only on request.
    """
    try:
        from policies.rules.eligibility import evaluate_profile
    except ImportError:
        return None
    from common.errors import DomainError
    from common.timeutil import local_date, now
    from enterprises.models import Enterprise

    moment = now()
    open_rounds = Round.objects.filter(item=OuterRef("pk"), published=True, opens_at__lte=moment, closes_at__gt=moment)
    items = PolicyItem.objects.filter(scope.items_q()).filter(Exists(open_rounds)).select_related("document")
    if filters.policy_id is not None:
        items = items.filter(pk=filters.policy_id)
    today = local_date(moment)
    open_items = [i for i in items if i.in_force_on(today)]
    if not open_items:
        return {"items": 0, "enterprises": 0, "pairs": 0}
    enterprises = Enterprise.objects.order_by("pk").prefetch_related("designations")
    district = filters.district_id or scope.district_id
    if district is not None:
        enterprises = enterprises.filter(district_id=district)
    taken = set(
        Application.objects.filter(item__in=open_items)
        .exclude(state__in=(State.WITHDRAWN, State.EXPIRED))
        .values_list("enterprise_id", "item_id")
    ) | set(Award.objects.filter(item__in=open_items).values_list("enterprise_id", "item_id"))
    pairs = 0
    who: set[int] = set()
    for enterprise in enterprises.iterator(chunk_size=500):
        for item in open_items:
            if (enterprise.pk, item.pk) in taken:
                continue
            try:
                result = evaluate_profile(item.eligibility, enterprise=enterprise, on=today)
            except DomainError:
                continue  # an item whose criteria the engine cannot read: not counted
            if result.eligible and any(r["passed"] is True for r in result.reasons):
                pairs += 1
                who.add(enterprise.pk)
    return {"items": len(open_items), "enterprises": len(who), "pairs": pairs}
