"""Time spent in each stage (median, 90th percentile), from the append-only history tables.

Stages (SPEC §6), each measured per occurrence from ApplicationEvent / AwardEvent:

- 属地审核 `district`: from 提交申报 / 补正后重新提交 / 市级退回 to the district's decision (审核通过、
  审核不通过、退回补正) that follows it;
- 会审 `co_review`: from 受理 to the last 会审意见 of that review cycle (cycles without opinions
  are left out);
- 市级审定 `city`: from 提交审定 to the city's decision (审定通过、审定不通过、退回属地);
- 企业申领 `claim`: from the award becoming 待申领 (政策上线 or a 免申即享 list) to the claim.

One SQL statement pairs the events with window functions (the latest start before each end). On
PostgreSQL the same statement also aggregates with `percentile_cont` and GROUPING SETS (per stage,
and per stage × district), so nothing but the result rows leaves the database. SQLite has no
`percentile_cont`: there the durations come back sorted and the percentiles are interpolated here
the way `percentile_cont` does it.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection

from applications.models import ApplicationEvent
from awards.models import AwardEvent

from .selectors import ReportFilters, ReportScope, scoped_applications, scoped_awards

STAGES: tuple[tuple[str, str, str], ...] = (
    ("district", "属地审核", "提交申报（含补正后重新提交、市级退回）→ 属地审核决定"),
    ("co_review", "会审", "受理 → 本轮最后一个会审部门出具意见"),
    ("city", "市级审定", "提交审定 → 市级审定决定"),
    ("claim", "企业申领", "政策上线（待申领）→ 企业申领"),
)
STAGE_LABELS = {key: label for key, label, _ in STAGES}
DAY = 86400.0


@dataclass
class StageTime:
    stage: str
    label: str
    description: str
    district_id: int | None  # None: all districts in scope
    district_name: str
    count: int
    median_days: float | None
    p90_days: float | None
    mean_days: float | None
    max_days: float | None


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _seconds(start: str, end: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS double precision)"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _durations_sql(apps_sql: str, awards_sql: str) -> str:
    """A CTE chain ending in `durations(stage, district_id, secs)`."""
    ev = _q(ApplicationEvent._meta.db_table)
    aw_ev = _q(AwardEvent._meta.db_table)
    at, action, to_state = _q("at"), _q("action"), _q("to_state")
    window = (
        f"(PARTITION BY e.{_q('application_id')} ORDER BY e.{at}, e.{_q('id')}"
        " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )

    def latest(actions: tuple[str, ...]) -> str:
        names = ", ".join(f"'{a}'" for a in actions)
        return f"MAX(CASE WHEN e.{action} IN ({names}) THEN e.{at} END) OVER {window}"

    return f"""
WITH apps AS ({apps_sql}),
ev AS (
  SELECT e.{_q("application_id")} AS application_id, apps.district_id AS district_id,
         e.{action} AS action, e.{at} AS at,
         {latest(("submit", "resubmit", "city_return"))} AS district_start,
         {latest(("accept",))} AS cycle_start,
         {latest(("submit_to_city",))} AS city_start
  FROM {ev} e JOIN apps ON apps.id = e.{_q("application_id")}
),
aw AS ({awards_sql}),
claims AS (
  SELECT w.{_q("award_id")} AS award_id, aw.district_id AS district_id,
         MIN(CASE WHEN w.{to_state} = 'claimable' THEN w.{at} END) AS start_at,
         MIN(CASE WHEN w.{action} = 'claim' THEN w.{at} END) AS end_at
  FROM {aw_ev} w JOIN aw ON aw.id = w.{_q("award_id")}
  GROUP BY w.{_q("award_id")}, aw.district_id
),
durations AS (
  SELECT 'district' AS stage, district_id, {_seconds("district_start", "at")} AS secs
    FROM ev WHERE action IN ('approve', 'reject', 'return') AND district_start IS NOT NULL
  UNION ALL
  SELECT 'co_review', district_id, {_seconds("cycle_start", "MAX(at)")}
    FROM ev WHERE action = 'opinion' AND cycle_start IS NOT NULL GROUP BY application_id, district_id, cycle_start
  UNION ALL
  SELECT 'city', district_id, {_seconds("city_start", "at")}
    FROM ev WHERE action IN ('city_approve', 'city_reject', 'city_return') AND city_start IS NOT NULL
  UNION ALL
  SELECT 'claim', district_id, {_seconds("start_at", "end_at")}
    FROM claims WHERE start_at IS NOT NULL AND end_at IS NOT NULL
)"""


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont on an ascending list: linear interpolation between neighbours."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def _scoped_sql(scope: ReportScope, filters: ReportFilters) -> tuple[str, list[Any]] | None:
    if scope.is_empty:
        return None
    apps = scoped_applications(scope=scope, filters=filters).values("id", "district_id")
    awards = scoped_awards(scope=scope, filters=filters).values("id", "district_id")
    try:
        apps_sql, apps_params = apps.query.sql_with_params()
        awards_sql, awards_params = awards.query.sql_with_params()
    except EmptyResultSet:
        return None
    return _durations_sql(apps_sql, awards_sql), [*apps_params, *awards_params]


def _fetch(scope: ReportScope, filters: ReportFilters) -> list[tuple[str, int | None, int, Any, Any, Any, Any]]:
    """(stage, district_id or None for all, n, p50 secs, p90 secs, mean secs, max secs) rows."""
    built = _scoped_sql(scope, filters)
    if built is None:
        return []
    sql, params = built
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                sql
                + """
SELECT stage, district_id, GROUPING(district_id) AS all_districts, COUNT(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY secs), percentile_cont(0.9) WITHIN GROUP (ORDER BY secs),
       AVG(secs), MAX(secs)
FROM durations GROUP BY GROUPING SETS ((stage), (stage, district_id))""",
                params,
            )
            return [
                (s, None if everyone else d, n, p50, p90, mean, mx)
                for s, d, everyone, n, p50, p90, mean, mx in cursor.fetchall()
            ]
        cursor.execute(sql + "\nSELECT stage, district_id, secs FROM durations ORDER BY stage, secs", params)
        groups: dict[tuple[str, int | None], list[float]] = defaultdict(list)
        for stage, district_id, secs in cursor.fetchall():
            groups[(stage, None)].append(float(secs))
            groups[(stage, district_id)].append(float(secs))
    return [
        (stage, district_id, len(v), percentile_cont(v, 0.5), percentile_cont(v, 0.9), sum(v) / len(v), v[-1])
        for (stage, district_id), v in groups.items()
    ]


def _days(secs: Any) -> float | None:
    return None if secs is None else round(float(secs) / DAY, 2)


def stage_times(*, scope: ReportScope, filters: ReportFilters, districts: dict[int, str]) -> list[StageTime]:
    """Median / 90th percentile / mean / max days per stage, first for all districts in scope, then
    per district. Every stage appears in the overall rows, with count 0 when nothing happened.
    One query. `districts` maps ids to names (the caller has them already)."""
    found = {(s, d): row for s, d, *row in _fetch(scope, filters)}
    result: list[StageTime] = []
    for key, label, description in STAGES:
        n, p50, p90, mean, mx = found.get((key, None), (0, None, None, None, None))
        result.append(
            StageTime(key, label, description, None, "全部", n, _days(p50), _days(p90), _days(mean), _days(mx))
        )
    stage_order = [key for key, _, _ in STAGES]
    district_order = {d: i for i, d in enumerate(districts)}
    per_district = sorted(
        ((s, d) for s, d in found if d is not None),
        key=lambda k: (stage_order.index(k[0]), district_order.get(k[1], len(district_order)), k[1]),
    )
    descriptions = {key: description for key, _, description in STAGES}
    for s, d in per_district:
        n, p50, p90, mean, mx = found[(s, d)]
        result.append(
            StageTime(
                s,
                STAGE_LABELS[s],
                descriptions[s],
                d,
                districts.get(d, str(d)),
                n,
                _days(p50),
                _days(p90),
                _days(mean),
                _days(mx),
            )
        )
    return result
