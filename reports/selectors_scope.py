"""Who sees which report figures, and the dashboard's filters (SPEC §6): `report_scope(user)`,
`ReportScope`, `ReportFilters`, the scoped querysets and the state groups every figure counts by.

Split out of reports/selectors.py, which re-exports every name here (import from either).
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from applications.models import Application
from applications.workflow import State
from awards.models import Award
from awards.workflow import AwardState
from common.errors import PermissionDenied
from common.timeutil import end_of_day_exclusive, start_of_day
from policies.models import PolicyItem

ZERO = Decimal("0.00")

# 申报金额 counts the suggested amount of every case that was submitted and is still asking:
# not drafts, not withdrawn, not expired (an expired case either never got submitted or was
# abandoned after 退回补正). Rejected cases stay in: they asked and were refused.
REQUESTED_STATES = tuple(s for s in State.values if s not in (State.DRAFT, State.WITHDRAWN, State.EXPIRED))
# Money counted as paid out: paid, and paid but being recovered (the money is still out until
# it is back). Recovered awards are reported on their own.
PAID_OUT_STATES = (AwardState.PAID, AwardState.RECOVERING)
# Awards whose money the district has paid at some point (settlement basis).
EVER_PAID_STATES = (AwardState.PAID, AwardState.RECOVERING, AwardState.RECOVERED)
DIRECT_SOURCES = (Award.Source.AUTO, Award.Source.INSTANT)
DISTRICT_DECISIONS = ("approve", "reject", "return")

APPLICATION_COUNT_KEYS = tuple(f"n_{s}" for s in State.values)
AWARD_COUNT_KEYS = tuple(f"award_n_{s}" for s in AwardState.values)
AWARD_AMOUNT_KEYS = tuple(f"award_{s}" for s in AwardState.values)


# --- scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """What one user may see in reports: a district (or all), and a set of policy items (or all).

    `item_ids` is resolved once from the user's policy lines (bureau functions), so queries filter
    on `item_id` without a join. `label` says in Chinese what the figures cover.
    """

    district_id: int | None = None
    item_ids: tuple[int, ...] | None = None
    label: str = "全市"

    @property
    def is_empty(self) -> bool:
        return self.item_ids is not None and not self.item_ids

    def q(self, prefix: str = "") -> Q:
        """Filter for rows that carry `district` and `item` (Application, Award), optionally via `prefix`."""
        q = Q()
        if self.district_id is not None:
            q &= Q(**{f"{prefix}district_id": self.district_id})
        if self.item_ids is not None:
            q &= Q(**{f"{prefix}item_id__in": self.item_ids})
        return q

    def items_q(self) -> Q:
        """Filter for PolicyItem rows."""
        return Q(pk__in=self.item_ids) if self.item_ids is not None else Q()

    def districts_q(self) -> Q:
        """Filter for District rows."""
        return Q(pk=self.district_id) if self.district_id is not None else Q()


_DISTRICT_ROLES = (Role.DISTRICT_REVIEWER, Role.FUND_OFFICER)


def report_scope(user: User) -> ReportScope:
    """The figures `user` may see (SPEC §1, §6). The one place reports decide visibility.

    - auditor: everything, read-only;
    - policy administrator and city approver: every district, for their policy lines (items whose
      bureau_function is among the organisation's handled functions; a policy administrator without
      an organisation sees every line);
    - district reviewer, fund officer and district-level co-reviewer: their district only;
    - city-level co-reviewer: every district, for the items their department co-reviews.
    Raises PermissionDenied (403) for enterprise users, anonymous or inactive users, and officials
    whose account lacks the organisation their role needs. One query (the item ids) at most.
    """
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("请先登录。", code="not_authenticated")
    role = user.role
    org = user.organisation
    if role == Role.AUDITOR:
        return ReportScope(label="全市（全部政策）")
    if role == Role.POLICY_ADMIN and org is None:
        return ReportScope(label="全市（全部政策）")
    if role in (Role.POLICY_ADMIN, Role.CITY_APPROVER):
        if org is None:
            raise PermissionDenied("您的账号未关联机构，无法查看统计报表。", code="no_organisation")
        functions = org.handled_functions
        lines = PolicyItem.objects.filter(bureau_function__in=functions).order_by("pk").values_list("pk", flat=True)
        return ReportScope(item_ids=tuple(lines), label=f"全市（{org.name}主管政策）")
    if role in _DISTRICT_ROLES or (role == Role.CO_REVIEWER and org is not None and org.district_id):
        if org is None or org.district_id is None:
            raise PermissionDenied("您的账号未关联属地，无法查看统计报表。", code="no_district")
        return ReportScope(district_id=org.district_id, label=org.district.name if org.district else "本属地")
    if role == Role.CO_REVIEWER and org is not None:
        ids = [
            pk
            for pk, departments in PolicyItem.objects.order_by("pk").values_list("pk", "review_departments")
            if org.function in (departments or [])
        ]
        return ReportScope(item_ids=tuple(ids), label=f"全市（{org.name}会审事项）")
    raise PermissionDenied("统计报表仅向政府工作人员开放。", code="not_official")


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """The dashboard's filters: policy item, round, district, and a period of 申报时间 (dates, Shanghai)."""

    policy_id: int | None = None
    round_id: int | None = None
    district_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def application_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.policy_id is not None:
            q &= Q(**{f"{prefix}item_id": self.policy_id})
        if self.round_id is not None:
            q &= Q(**{f"{prefix}round_id": self.round_id})
        if self.district_id is not None:
            q &= Q(**{f"{prefix}district_id": self.district_id})
        if self.date_from is not None:
            q &= Q(**{f"{prefix}submitted_at__gte": start_of_day(self.date_from)})
        if self.date_to is not None:
            q &= Q(**{f"{prefix}submitted_at__lt": end_of_day_exclusive(self.date_to)})
        return q

    def award_q(self) -> Q:
        """Awards follow their case's 申报时间; 免申即享 awards (no case) their 上线 (creation) time."""
        q = Q()
        if self.policy_id is not None:
            q &= Q(item_id=self.policy_id)
        if self.round_id is not None:
            q &= Q(round_id=self.round_id)
        if self.district_id is not None:
            q &= Q(district_id=self.district_id)
        if self.date_from is not None or self.date_to is not None:
            via_case = Q(application__isnull=False)
            direct = Q(application__isnull=True)
            if self.date_from is not None:
                via_case &= Q(application__submitted_at__gte=start_of_day(self.date_from))
                direct &= Q(created_at__gte=start_of_day(self.date_from))
            if self.date_to is not None:
                via_case &= Q(application__submitted_at__lt=end_of_day_exclusive(self.date_to))
                direct &= Q(created_at__lt=end_of_day_exclusive(self.date_to))
            q &= via_case | direct
        return q

    def as_params(self) -> dict[str, str]:
        """Query-string parameters that reproduce these filters (for export links)."""
        names = {"policy_id": "policy", "round_id": "round", "district_id": "district"}
        params = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                params[names.get(f.name, f.name)] = value.isoformat() if isinstance(value, date) else str(value)
        return params


def scoped_applications(*, scope: ReportScope, filters: ReportFilters) -> QuerySet[Application]:
    """Applications in the user's scope matching the filters (unordered, for aggregates)."""
    if scope.is_empty:
        return Application.objects.none()
    return Application.objects.filter(scope.q() & filters.application_q()).order_by()


def scoped_awards(*, scope: ReportScope, filters: ReportFilters) -> QuerySet[Award]:
    if scope.is_empty:
        return Award.objects.none()
    return Award.objects.filter(scope.q() & filters.award_q()).order_by()
