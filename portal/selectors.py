"""Reads for the enterprise portal: the 政策超市 list and the facts a case page shows.

The market evaluates every item against the enterprise profile in Python: items come with their
document, rounds come in one prefetch, designations in one prefetch, live applications in one
query, so the page runs the same number of queries for 5 items or 500.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from applications.models import Application, ApplicationEvent
from applications.services import missing_materials
from applications.workflow import NOT_LIVE, State
from common.errors import DomainError
from common.timeutil import local_date
from enterprises.models import Enterprise
from enterprises.selectors import active_listing
from policies.models import PolicyDocument, PolicyItem, Round
from policies.selectors import policy_item_list, round_phase


@dataclass
class Verdict:
    """This enterprise against one item's criteria (profile only: declared figures come later)."""

    eligible: bool | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.reasons if r["passed"] is False]

    @property
    def manual(self) -> list[dict[str, Any]]:
        return [r for r in self.reasons if r["passed"] is None]


@dataclass
class MarketEntry:
    item: PolicyItem
    open_round: Round | None
    upcoming_round: Round | None
    in_force: bool
    verdict: Verdict | None
    application: Application | None = None

    @property
    def sort_key(self) -> tuple[int, int, str]:
        phase = 0 if self.open_round else 1 if self.upcoming_round else 2
        if self.verdict is None or self.verdict.eligible is None:
            fit = 1
        else:
            fit = 0 if self.verdict.eligible else 2
        return (phase, fit, self.item.code)


def enterprise_for(user: Any) -> Enterprise | None:
    """The signed-in user's enterprise with its designations (one query each), or None."""
    if not user.is_authenticated or getattr(user, "role", None) != Role.ENTERPRISE or not user.enterprise_id:
        return None
    return (
        Enterprise.objects.select_related("district")
        .prefetch_related("designations")
        .filter(pk=user.enterprise_id)
        .first()
    )


def verdict_for(item: PolicyItem, enterprise: Enterprise | None, *, on: date) -> Verdict | None:
    if enterprise is None:
        return None
    from policies.rules.eligibility import evaluate_profile

    try:
        result = evaluate_profile(item.eligibility or [], enterprise=enterprise, on=on)
    except DomainError as exc:
        return Verdict(eligible=None, error=exc.message)
    return Verdict(eligible=result.eligible, reasons=list(result.reasons))


def _live_applications(enterprise: Enterprise | None, round_ids: set[int]) -> dict[int, Application]:
    if enterprise is None or not round_ids:
        return {}
    qs = Application.objects.filter(enterprise=enterprise, round_id__in=round_ids).exclude(state__in=NOT_LIVE)
    return {a.round_id: a for a in qs.only("id", "round_id", "state")}


def market_documents() -> QuerySet[PolicyDocument]:
    return PolicyDocument.objects.only("id", "title", "doc_no").order_by("code")


def market_entries(
    *,
    enterprise: Enterprise | None,
    search: str = "",
    document_id: int | None = None,
    mode: str = "",
    in_force_only: bool = False,
    open_only: bool = False,
    eligible_only: bool = False,
    at: datetime | None = None,
) -> list[MarketEntry]:
    """Every policy item, those with an open or upcoming round first and, for an enterprise (from
    `enterprise_for`, designations prefetched), those its profile qualifies for first within each
    group. Anonymous visitors and officials pass None and get no verdicts."""
    now = at or timezone.now()
    today = local_date(now)
    live_rounds = Round.objects.filter(published=True, closes_at__gt=now).order_by("opens_at", "id")
    items = policy_item_list(search=search.strip(), mode=mode).prefetch_related(
        Prefetch("rounds", queryset=live_rounds, to_attr="live_rounds")
    )
    if document_id:
        items = items.filter(document_id=document_id)
    entries: list[MarketEntry] = []
    for item in items:
        open_round = next((r for r in item.live_rounds if r.opens_at <= now), None)
        upcoming = next((r for r in item.live_rounds if r.opens_at > now), None)
        in_force = item.in_force_on(today)
        if open_only and open_round is None:
            continue
        if in_force_only and not in_force:
            continue
        verdict = verdict_for(item, enterprise, on=today)
        if eligible_only and (verdict is None or verdict.eligible is False):
            continue
        entries.append(MarketEntry(item, open_round, upcoming, in_force, verdict))
    apps = _live_applications(enterprise, {e.open_round.pk for e in entries if e.open_round})
    for entry in entries:
        if entry.open_round:
            entry.application = apps.get(entry.open_round.pk)
    entries.sort(key=lambda e: e.sort_key)
    return entries


def policy_item_detail(*, item_id: int) -> PolicyItem | None:
    return PolicyItem.objects.select_related("document", "exclusivity_group").filter(pk=item_id).first()


@dataclass
class RoundView:
    round: Round
    phase: str
    application: Application | None


def item_rounds(*, item: PolicyItem, enterprise: Enterprise | None, at: datetime | None = None) -> list[RoundView]:
    """The item's published rounds, newest first, with this enterprise's live case in each."""
    now = at or timezone.now()
    rounds = list(item.rounds.filter(published=True).order_by("-opens_at", "id"))
    apps = _live_applications(enterprise, {r.pk for r in rounds})
    return [RoundView(r, round_phase(r, at=now), apps.get(r.pk)) for r in rounds]


# --- cases -------------------------------------------------------------------------------------


def case_history(*, application: Application) -> QuerySet[ApplicationEvent]:
    return application.events.select_related("actor", "actor__organisation").order_by("at", "id")


def my_applications(*, user: User, state: str = "") -> QuerySet[Application]:
    """The enterprise's cases, newest first, each with its history (no query per case)."""
    from applications.selectors import application_list

    events = ApplicationEvent.objects.select_related("actor", "actor__organisation").order_by("at", "id")
    qs = (
        application_list(user=user, filters={"state": state} if state else None)
        .select_related("item__document")
        .prefetch_related(Prefetch("events", queryset=events, to_attr="history"))
    )
    return qs


@dataclass
class Readiness:
    """What still stands between a draft (or returned case) and submission."""

    missing_fields: list[dict[str, Any]]
    missing_materials: list[str]
    window_problem: str
    listing_problem: str
    failed_criteria: list[dict[str, Any]]

    @property
    def blocking(self) -> bool:
        return bool(self.missing_fields or self.missing_materials or self.window_problem or self.listing_problem)


def case_readiness(application: Application, *, at: datetime | None = None) -> Readiness:
    now = at or timezone.now()
    declared = application.declared or {}
    missing_fields = [
        spec
        for spec in application.item.declared_fields
        if spec.get("required", True) and declared.get(spec["key"]) in (None, "")
    ]
    window = ""
    round_ = application.round
    if application.state == State.DRAFT:
        if now < round_.opens_at:
            window = f"本批次申报尚未开始，开始时间为 {_cn(round_.opens_at)}。"
        elif now >= round_.closes_at:
            window = f"本批次申报已于 {_cn(round_.closes_at)} 截止。"
    elif application.state == State.RETURNED:
        deadline = application.supplement_deadline
        if deadline and now >= deadline:
            window = f"补正期限已于 {_cn(deadline)} 届满。"
    listing = active_listing(enterprise_id=application.enterprise_id)
    listing_problem = ""
    if listing is not None:
        listing_problem = f"贵企业在失信名录中（{listing.reason}，至 {_cn(listing.ends_at)}），期间不能申报。"
    failed = [r for r in (application.eligibility or {}).get("reasons", []) if r.get("passed") is False]
    return Readiness(missing_fields, missing_materials(application), window, listing_problem, failed)


def _cn(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
