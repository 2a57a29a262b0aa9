"""Reads the officials' pages need beyond the apps' own selectors: counts, pages, budgets, clocks.

Every function starts from a queryset already scoped by the owning app's selector
(`application_list`, `award_list`, `city_list_queryset_for` …) or from one case the caller got
through an access function, so nothing here widens what a user may see. Each does a fixed
number of queries, whatever the number of cases (no N+1): the pages pin that in tests.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from applications.models import Application
from applications.workflow import State
from awards.models import Award
from awards.workflow import AwardState
from common.timeutil import SHANGHAI, local_date
from policies.models import PolicyItem, Round
from reviews.models import CityList, Opinion

PAGE_SIZE = 50
MAX_PAGE = 200  # 10 000 rows: past that, narrow the filters (offsets stay cheap below it)

SORTS = {  # never-submitted cases (expired drafts: submitted_at NULL) go last either way
    "-submitted_at": (F("submitted_at").desc(nulls_last=True), "-id"),
    "submitted_at": (F("submitted_at").asc(nulls_last=True), "id"),
    "-id": ("-id",),
    "id": ("id",),
    "enterprise": ("enterprise__name", "id"),
    "-enterprise": ("-enterprise__name", "-id"),
}
SORT_LABELS = {
    "-submitted_at": "申报时间（新→旧）",
    "submitted_at": "申报时间（旧→新）",
    "-id": "编号（大→小）",
    "id": "编号（小→大）",
    "enterprise": "企业名称（A→Z）",
    "-enterprise": "企业名称（Z→A）",
}
LIVE_AWARD_STATES = (AwardState.CLAIMABLE, AwardState.CLAIMED, AwardState.PAID)


@dataclass
class Page:
    """One page of rows, fetched as LIMIT n+1 (no COUNT): `has_next` comes from the extra row."""

    rows: list[Any]
    number: int
    has_next: bool
    capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_of(qs: QuerySet, *, number: int, size: int = PAGE_SIZE) -> Page:
    """Rows of page `number` (1-based, capped at MAX_PAGE) with one query."""
    number = max(1, min(number, MAX_PAGE))
    start = (number - 1) * size
    rows = list(qs[start : start + size + 1])
    has_next = len(rows) > size
    return Page(rows=rows[:size], number=number, has_next=has_next and number < MAX_PAGE, capped=number == MAX_PAGE)


def sorted_cases(qs: QuerySet[Application], sort: str) -> QuerySet[Application]:
    """Order a scoped case list by one of SORTS (ties broken by id so pages never overlap)."""
    return qs.order_by(*SORTS.get(sort, SORTS["-submitted_at"]))


def state_counts(qs: QuerySet[Application]) -> dict[str, dict[str, int]]:
    """{state: {"n": cases, "overdue": cases past the review time limit}} in one GROUP BY."""
    rows = qs.order_by().values("state").annotate(n=Count("id"), overdue=Count("id", filter=Q(review_overdue=True)))
    return {r["state"]: {"n": r["n"], "overdue": r["overdue"]} for r in rows}


def queue_filter_choices(qs: QuerySet[Application]) -> tuple[QuerySet[PolicyItem], QuerySet[Round]]:
    """The policy items and rounds that occur in the user's scoped cases (for the filter menus)."""
    ids = qs.order_by().values("item_id")
    items = PolicyItem.objects.filter(pk__in=ids).only("id", "code", "name").order_by("code")
    rounds = Round.objects.filter(pk__in=qs.order_by().values("round_id")).only("id", "name").order_by("-opens_at")
    return items, rounds


# --- working days ------------------------------------------------------------------------------


def _package_workday(day: date) -> bool:
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, ImportError):
        return day.weekday() < 5


def working_days_left(deadlines: Iterable[datetime | None], *, now: datetime | None = None) -> dict[datetime, int]:
    """For each review deadline (an end-of-day instant, see deadlines.workdays.add_working_days),
    the working days left after today up to and including the deadline's last day; negative when
    past (working days overdue). One query for the calendar overrides of the whole span.
    """
    moment = now or timezone.now()
    today = local_date(moment)
    wanted = sorted({d for d in deadlines if d is not None})
    if not wanted:
        return {}
    last_days = {d: (d - timedelta(seconds=1)).astimezone(SHANGHAI).date() for d in wanted}
    low = min([today, *last_days.values()])
    high = max([today, *last_days.values()])
    from deadlines.models import CalendarDay

    overrides = dict(CalendarDay.objects.filter(day__gte=low, day__lte=high).values_list("day", "is_workday"))
    workdays: list[date] = []
    day = low
    while day <= high:
        flag = overrides.get(day)
        if flag if flag is not None else _package_workday(day):
            workdays.append(day)
        day += timedelta(days=1)
    result = {}
    for deadline, last in last_days.items():
        if deadline <= moment:  # overdue: working days passed since the last day (as a negative)
            result[deadline] = -sum(1 for w in workdays if last < w <= today)
        else:
            result[deadline] = sum(1 for w in workdays if today < w <= last)
    return result


def clock_for(application: Application, left: dict[datetime, int], *, now: datetime | None = None) -> dict[str, Any]:
    """The time-limit indicator of one case: {"text", "level"} with level ok/warn/over/none."""
    moment = now or timezone.now()
    deadline = application.review_deadline
    if application.state != State.DISTRICT_REVIEW or deadline is None:
        return {"text": "", "level": "none"}
    if application.review_overdue or deadline <= moment:
        days = left.get(deadline, 0)
        over = f"已超时 {-days} 个工作日" if days < 0 else "已超时"
        return {"text": over, "level": "over"}
    days = left.get(deadline, 0)
    if days == 0:
        return {"text": "今日到期", "level": "warn"}
    return {"text": f"剩余 {days} 个工作日", "level": "warn" if days <= 2 else "ok"}


# --- case page ---------------------------------------------------------------------------------


def exclusivity_awards(application: Application) -> list[Award]:
    """Other live awards of the same enterprise in the item's exclusivity group (从优、就高、不重复)."""
    group_id = application.item.exclusivity_group_id
    if group_id is None:
        return []
    return list(
        Award.objects.filter(enterprise_id=application.enterprise_id, item__exclusivity_group_id=group_id)
        .exclude(application_id=application.pk)
        .select_related("item")
        .order_by("-year", "-id")
    )


def current_opinion_functions(application_ids: Iterable[int], *, function: str) -> set[int]:
    """Ids of cases where `function` already gave its opinion in the case's current review cycle."""
    return set(
        Opinion.objects.filter(
            application_id__in=list(application_ids), function=function, review_cycle=F("application__review_cycle")
        ).values_list("application_id", flat=True)
    )


# --- city stage --------------------------------------------------------------------------------


def district_stage_participants(user: User, application_ids: Iterable[int]) -> set[int]:
    """Cases (of `application_ids`) in whose district stage `user` took part: the bulk form of
    applications.permissions.acted_at_district_stage, two queries for a whole list. The
    services check the predicate again on every decision; this only decides what to show.
    """
    from applications.models import ApplicationEvent

    ids = list(application_ids)
    district_actions = ("accept", "return", "reject", "approve", "submit_to_city", "override")
    acted = set(Application.objects.filter(pk__in=ids, district_reviewer=user).values_list("pk", flat=True)) | set(
        ApplicationEvent.objects.filter(application_id__in=ids, actor=user, action__in=district_actions).values_list(
            "application_id", flat=True
        )
    )
    acted |= set(Opinion.objects.filter(application_id__in=ids, officer=user).values_list("application_id", flat=True))
    return acted


def round_budget(round_: Round) -> dict[str, Decimal | None]:
    """A round's budget, what the city has approved against it (all districts) and what is left."""
    used = Application.objects.filter(round_id=round_.pk, state=State.APPROVED).aggregate(s=Sum("amount"))["s"]
    used = used or Decimal(0)
    left = None if round_.budget is None else round_.budget - used
    return {"budget": round_.budget, "used": used, "left": left}


def received_by_enterprise_item(applications: Iterable[Application]) -> dict[tuple[int, int], Decimal]:
    """What each (enterprise, item) already holds in live awards, other than these cases' own: the
    `already_received` input of the amount rule, for a whole list in one query."""
    apps = list(applications)
    if not apps:
        return {}
    enterprise_ids = {a.enterprise_id for a in apps}
    item_ids = {a.item_id for a in apps}
    rows = (
        Award.objects.filter(enterprise_id__in=enterprise_ids, item_id__in=item_ids, state__in=LIVE_AWARD_STATES)
        .exclude(application_id__in=[a.pk for a in apps])
        .values("enterprise_id", "item_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return {(r["enterprise_id"], r["item_id"]): r["s"] or Decimal(0) for r in rows}


def amount_maximum(application: Application, *, already_received: Decimal) -> Decimal | None:
    """The highest amount the item's rule allows for the declared figures (None: no cap)."""
    from policies.rules.amounts import compute

    try:
        return compute(application.item.amount_rule, application.declared, already_received=already_received).maximum
    except Exception:  # a rule the engine cannot evaluate still leaves the page usable
        return None


def city_lists_by_district(qs: QuerySet[CityList]) -> list[dict[str, Any]]:
    """Lists grouped per district, each with its case count and cases awaiting the city, one query."""
    lists = list(
        qs.annotate(
            n_cases=Count("applications"),
            n_pending=Count("applications", filter=Q(applications__state=State.CITY_REVIEW)),
        ).order_by("district__sort_order", "district_id", "-id")
    )
    groups: dict[int, dict[str, Any]] = {}
    for city_list in lists:
        group = groups.setdefault(city_list.district_id, {"district": city_list.district, "lists": []})
        group["lists"].append(city_list)
    return list(groups.values())


# --- funds -------------------------------------------------------------------------------------


def publishable_cases(user: User) -> QuerySet[Application]:
    """The fund officer's approved cases without an award yet (政策上线 candidates)."""
    from applications.selectors import application_list

    return application_list(user=user, filters={"state": State.APPROVED}).filter(award__isnull=True)


def publishable_rounds(user: User) -> list[dict[str, Any]]:
    """Rounds with approved cases awaiting 政策上线 in the user's scope, with counts and sums."""
    rows = (
        publishable_cases(user)
        .order_by()
        .values("round_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("round_id")
    )
    counts = {r["round_id"]: r for r in rows}
    rounds = Round.objects.filter(pk__in=counts).select_related("item").order_by("-opens_at")
    return [{"round": r, "n": counts[r.pk]["n"], "total": counts[r.pk]["total"]} for r in rounds]


def award_state_counts(qs: QuerySet[Award]) -> dict[str, dict[str, Any]]:
    rows = qs.order_by().values("state").annotate(n=Count("id"), total=Sum("amount"))
    return {r["state"]: {"n": r["n"], "total": r["total"]} for r in rows}
