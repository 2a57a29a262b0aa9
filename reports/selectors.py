"""Reads for the reports (SPEC §6): who sees which figures, and every figure, computed in the database.

Everything starts with `report_scope(user)`: the page, the API and every export ask it first and
put its `q()` into each query, so a district official never sees another district's figures.

The figures are SQL aggregates (GROUP BY with conditional COUNT/SUM, i.e. `COUNT(*) FILTER
(WHERE ...)` on PostgreSQL): `summary_rows` is one GROUP BY over applications and one over awards
at item × round × district grain; the per-district, per-round, settlement and total tables are
roll-ups of those few hundred group rows (`rollup`), never loops over cases. Stage times live in
reports/stage_times.py (window functions and `percentile_cont` in SQL).
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.models import District
from applications.models import ApplicationEvent
from applications.workflow import State
from awards.workflow import AwardState
from common.money import yuan
from policies.models import PolicyItem, Round

# Scope and filters live in reports/selectors_scope.py; re-exported here (views, APIs, exports,
# tests and bench import them from reports.selectors).
from .selectors_scope import (
    APPLICATION_COUNT_KEYS as APPLICATION_COUNT_KEYS,
)
from .selectors_scope import (
    AWARD_AMOUNT_KEYS,
    AWARD_COUNT_KEYS,
    DIRECT_SOURCES,
    DISTRICT_DECISIONS,
    EVER_PAID_STATES,
    PAID_OUT_STATES,
    REQUESTED_STATES,
    ZERO,
    ReportFilters,
    ReportScope,
    scoped_applications,
    scoped_awards,
)
from .selectors_scope import (
    report_scope as report_scope,
)

# --- summary: one GROUP BY over applications, one over awards -----------------------------------

# Each dimension: the id column the GROUP BY uses, and the label fields looked up afterwards from
# the (small) item, round and district tables, so the big GROUP BY hashes three integers only.
DIMENSION_KEYS = {
    "item": ("item_id", "item_code", "item_name"),
    "round": ("round_id", "round_name", "round_budget", "round_opens_at"),
    "district": ("district_id", "district_name", "district_sort"),
}
GRAIN = ("item", "round", "district")


def _application_aggregates() -> dict[str, Any]:
    aggs: dict[str, Any] = {f"n_{s}": Count("pk", filter=Q(state=s)) for s in State.values}
    aggs["n_total"] = Count("pk")
    aggs["requested"] = Sum("suggested_amount", filter=Q(state__in=REQUESTED_STATES))
    aggs["approved"] = Sum("amount", filter=Q(state=State.APPROVED))
    aggs["overdue"] = Count("pk", filter=Q(review_overdue=True))
    return aggs


def _award_aggregates() -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    for s in AwardState.values:
        aggs[f"award_n_{s}"] = Count("pk", filter=Q(state=s))
        aggs[f"award_{s}"] = Sum("amount", filter=Q(state=s))
    paid_out = Q(state__in=PAID_OUT_STATES)
    ever_paid = Q(state__in=EVER_PAID_STATES)
    first = Q(district_pays_first=True)
    aggs.update(
        paid_out=Sum("amount", filter=paid_out),
        paid_out_direct=Sum("amount", filter=paid_out & Q(source__in=DIRECT_SOURCES)),
        # Budget consumed by awards that have no case (免申即享 lists): every one not cancelled/forfeited.
        direct_committed=Sum(
            "amount",
            filter=Q(application__isnull=True) & ~Q(state__in=(AwardState.CANCELLED, AwardState.FORFEITED)),
        ),
        pf_count=Count("pk", filter=first & ever_paid),
        pf_paid_full=Sum("amount", filter=first & ever_paid),
        pf_city_share=Sum("city_share", filter=first & ever_paid),
        pf_city_recovered=Sum("city_share", filter=first & Q(state=AwardState.RECOVERED)),
        npf_count=Count("pk", filter=~first & paid_out),
        npf_city_share=Sum("city_share", filter=~first & paid_out),
        npf_district_share=Sum("district_share", filter=~first & paid_out),
    )
    return aggs


APPLICATION_METRICS = tuple(_application_aggregates())
AWARD_METRICS = tuple(_award_aggregates())
METRICS = APPLICATION_METRICS + AWARD_METRICS
MONEY_METRICS = frozenset(
    (
        *("requested", "approved", *AWARD_AMOUNT_KEYS, "paid_out", "paid_out_direct", "direct_committed"),
        *("pf_paid_full", "pf_city_share", "pf_city_recovered", "npf_city_share", "npf_district_share"),
    )
)


_EMPTY = {m: (ZERO if m in MONEY_METRICS else 0) for m in METRICS}
_SUBMITTED_KEYS = tuple(f"n_{s}" for s in REQUESTED_STATES)


def _empty_metrics() -> dict[str, Any]:
    return _EMPTY.copy()


def _grouped(qs: QuerySet[Any], by: Sequence[str], aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    """The GROUP BY, composed by the ORM (scope and filters as Q objects) and fetched through the
    cursor as plain tuples: the driver already returns int and Decimal, so Django's per-value
    converters (a third of the Python time on a few thousand groups) are skipped."""
    if not by:
        return [qs.aggregate(**aggregates)]
    grouped = qs.values(*(f"{dim}_id" for dim in by)).annotate(**aggregates).order_by()
    try:
        sql, params = grouped.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _labels(rows: list[dict[str, Any]], by: Sequence[str]) -> None:
    """Put the item, round and district labels on the rows: one small query per dimension."""
    if "item" in by:
        ids = {r["item_id"] for r in rows}
        items = {
            pk: (code, name)
            for pk, code, name in PolicyItem.objects.filter(pk__in=ids).values_list("pk", "code", "name")
        }
        for r in rows:
            r["item_code"], r["item_name"] = items.get(r["item_id"], (None, None))
    if "round" in by:
        ids = {r["round_id"] for r in rows if r["round_id"] is not None}
        rounds = {
            pk: rest for pk, *rest in Round.objects.filter(pk__in=ids).values_list("pk", "name", "budget", "opens_at")
        }
        for r in rows:
            r["round_name"], r["round_budget"], r["round_opens_at"] = rounds.get(r["round_id"], (None, None, None))
    if "district" in by:
        ids = {r["district_id"] for r in rows}
        districts = {
            pk: (name, sort)
            for pk, name, sort in District.objects.filter(pk__in=ids).values_list("pk", "name", "sort_order")
        }
        for r in rows:
            r["district_name"], r["district_sort"] = districts.get(r["district_id"], (None, None))


def summary_rows(*, scope: ReportScope, filters: ReportFilters, by: Sequence[str] = GRAIN) -> list[dict[str, Any]]:
    """Counts by state and amounts per group of `by` (default item × round × district).

    Two GROUP BY queries (applications, awards) on the id columns, then one small query per
    dimension for its labels. Each row holds the dimension fields (item_id/item_code/item_name,
    round_id/round_name/round_budget, district_id/district_name) and every metric: `n_<state>`
    for all 11 application states, `n_total`, `requested`, `approved`, `overdue`;
    `award_n_<state>`/`award_<state>` for all 7 award states; `paid_out` (paid + recovering),
    `paid_out_direct` (of it 免申即享/即申即享), `direct_committed`, and the settlement sums
    `pf_*`/`npf_*`. Amounts are Decimal, never None. Awards without a round (免申即享) form rows
    with round_id None.
    """
    apps = _grouped(scoped_applications(scope=scope, filters=filters), by, _application_aggregates())
    awards = _grouped(scoped_awards(scope=scope, filters=filters), by, _award_aggregates())
    key_fields = [f"{dim}_id" for dim in by]
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for source in (apps, awards):
        for group in source:
            key = tuple(group[k] for k in key_fields)
            row = merged.get(key)
            if row is None:
                row = merged[key] = _empty_metrics()
            for name, value in group.items():
                if value is not None or name in key_fields:
                    row[name] = value
    if not by and not merged:
        merged[()] = _empty_metrics()
    rows = list(merged.values())
    _labels(rows, by)
    scale = connection.vendor != "postgresql"  # SQLite's sums come back unscaled
    for row in rows:
        _derive(row, scale=scale)
    rows.sort(key=_row_sort_key)
    return rows


def _derive(row: dict[str, Any], *, scale: bool = False) -> None:
    if scale:
        for name in MONEY_METRICS:
            row[name] = yuan(row[name])
    row["submitted_total"] = sum(row[k] for k in _SUBMITTED_KEYS)
    row["award_total"] = sum(row[k] for k in AWARD_COUNT_KEYS)
    row["budget_used"] = row["approved"] + row["direct_committed"]
    row["pf_city_owes"] = row["pf_city_share"] - row["pf_city_recovered"]
    budget = row.get("round_budget")
    row["budget_left"] = budget - row["budget_used"] if budget is not None else None
    row["budget_ratio"] = (row["budget_used"] / budget) if budget else None


def _row_sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
    opens = row.get("round_opens_at")
    return (
        row.get("item_code") or "",
        -(opens.timestamp()) if isinstance(opens, datetime) else 0,
        row.get("round_id") or 0,
        row.get("district_sort") if row.get("district_sort") is not None else 0,
        row.get("district_id") or 0,
    )


def rollup(rows: Iterable[dict[str, Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """Sum summary rows (already aggregated groups, not cases) up to the coarser grouping `by`."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    keep = [k for dim in by for k in DIMENSION_KEYS[dim]]
    key_fields = [k for k in keep if k.endswith("_id")]
    for row in rows:
        key = tuple(row.get(k) for k in key_fields)
        target = out.get(key)
        if target is None:
            target = out[key] = _empty_metrics()
            target.update({k: row.get(k) for k in keep})
        for m in METRICS:
            target[m] += row[m]
    result = list(out.values())
    if not by and not result:
        result = [_empty_metrics()]
    for row in result:
        _derive(row)
    result.sort(key=_row_sort_key)
    return result


# --- other tables --------------------------------------------------------------------------------


def monthly_rows(*, scope: ReportScope, filters: ReportFilters) -> list[dict[str, Any]]:
    """Per month of 申报时间 (Shanghai): cases submitted, amount asked, cases approved, amount approved."""
    qs = (
        scoped_applications(scope=scope, filters=filters)
        .filter(submitted_at__isnull=False)
        .annotate(month=TruncMonth("submitted_at"))
        .values("month")
        .annotate(
            n_submitted=Count("pk"),
            requested=Sum("suggested_amount", filter=Q(state__in=REQUESTED_STATES)),
            n_approved=Count("pk", filter=Q(state=State.APPROVED)),
            approved=Sum("amount", filter=Q(state=State.APPROVED)),
        )
        .order_by("month")
    )
    return [
        {
            **r,
            "requested": yuan(r["requested"] or 0),
            "approved": yuan(r["approved"] or 0),
            "label": f"{r['month']:%Y年%m月}",
        }
        for r in qs
    ]


def late_decision_counts(*, scope: ReportScope, filters: ReportFilters) -> dict[int, int]:
    """District decisions (通过/不通过/退回补正) taken after the review time limit, per district id.

    Compared with the limit in force for the case's current review cycle (review_deadline is set
    at 受理 and at a city return), counting decisions made since the last 受理.
    """
    if scope.is_empty:
        return {}
    qs = (
        ApplicationEvent.objects.filter(scope.q("application__") & filters.application_q("application__"))
        .filter(
            action__in=DISTRICT_DECISIONS,
            application__review_deadline__isnull=False,
            at__gt=F("application__review_deadline"),
            at__gte=F("application__accepted_at"),
        )
        .values("application__district_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["application__district_id"]: r["n"] for r in qs}


def breach_rows(
    *, district_rows: Sequence[dict[str, Any]], late: dict[int, int], districts: dict[int, str]
) -> list[dict[str, Any]]:
    """Per district: cases flagged 审核超时 now, and decisions taken after the limit."""
    rows = {
        r["district_id"]: {
            "district_id": r["district_id"],
            "district_name": r["district_name"],
            "overdue": r["overdue"],
            "late_decisions": 0,
        }
        for r in district_rows
    }
    for district_id, n in late.items():
        row = rows.setdefault(
            district_id,
            {
                "district_id": district_id,
                "district_name": districts.get(district_id, ""),
                "overdue": 0,
                "late_decisions": 0,
            },
        )
        row["late_decisions"] = n
    return list(rows.values())


# --- the dashboard in one call -------------------------------------------------------------------


class DashboardData:
    """Every figure of the dashboard for `scope` and `filters`, each computed on first use.

    The dashboard reads all of them in a fixed number of queries that does not grow with the
    number of cases (2 GROUP BYs and 3 label look-ups for the summary and all its roll-ups, 1 each
    for district names, monthly figures, stage times, late decisions and the delivery targets);
    an export of one table computes only what that table needs.
    """

    def __init__(self, *, scope: ReportScope, filters: ReportFilters, with_entitlements: bool = False) -> None:
        self.scope = scope
        self.filters = filters
        self.with_entitlements = with_entitlements

    @cached_property
    def summary(self) -> list[dict[str, Any]]:
        return summary_rows(scope=self.scope, filters=self.filters)

    @cached_property
    def by_district(self) -> list[dict[str, Any]]:
        return rollup(self.summary, ("district",))

    @cached_property
    def by_round(self) -> list[dict[str, Any]]:
        return [r for r in rollup(self.summary, ("item", "round")) if r["round_id"] is not None]

    @cached_property
    def totals(self) -> dict[str, Any]:
        return rollup(self.summary, ())[0]

    @cached_property
    def districts(self) -> dict[int, str]:
        return dict(District.objects.filter(self.scope.districts_q()).values_list("pk", "name"))

    @cached_property
    def monthly(self) -> list[dict[str, Any]]:
        return monthly_rows(scope=self.scope, filters=self.filters)

    @cached_property
    def stages(self) -> list[Any]:
        from .stage_times import stage_times

        return stage_times(scope=self.scope, filters=self.filters, districts=self.districts)

    @cached_property
    def breaches(self) -> list[dict[str, Any]]:
        late = late_decision_counts(scope=self.scope, filters=self.filters)
        return breach_rows(district_rows=self.by_district, late=late, districts=self.districts)

    @cached_property
    def targets(self) -> Any:
        from .targets import delivery_targets

        return delivery_targets(scope=self.scope, filters=self.filters, totals=self.totals)

    @cached_property
    def entitlements(self) -> dict[str, Any] | None:
        from .targets import unclaimed_entitlements

        return unclaimed_entitlements(scope=self.scope, filters=self.filters) if self.with_entitlements else None


# --- per-case detail (exports) -------------------------------------------------------------------

CASE_FIELDS = (
    "pk",
    "enterprise__name",
    "enterprise__credit_code",
    "district__name",
    "item__code",
    "item__name",
    "round__name",
    "state",
    "submitted_at",
    "suggested_amount",
    "amount",
    "review_overdue",
    "award__state",
    "award__amount",
)


def case_rows(*, scope: ReportScope, filters: ReportFilters, chunk_size: int = 2000) -> Iterator[tuple[Any, ...]]:
    """One tuple per application (fields of CASE_FIELDS), streamed from a server-side cursor, so a
    million-row export never holds the rows in memory."""
    qs = scoped_applications(scope=scope, filters=filters).order_by("pk").values_list(*CASE_FIELDS)
    yield from qs.iterator(chunk_size=chunk_size)


def case_count(*, scope: ReportScope, filters: ReportFilters) -> int:
    return scoped_applications(scope=scope, filters=filters).count()
