"""P5 report benchmark (RELIABILITY.md Part B): the summary selector against the same GROUP BY in plain SQL.

    DATABASE_URL=postgres://app:app@127.0.0.1:55432/h6 .venv/bin/python bench/report_bench.py --n 1000000 --reset --csv

1. Fill (--reset, bench/report_fill.py): TRUNCATE … CASCADE the case tables of the DATABASE_URL database (districts,
   organisations and users go too), then INSERT … SELECT generate_series: 14 districts, 1 document,
   40 items, 200 rounds, n/20 enterprises, n applications spread over states, districts, items,
   rounds and the year 2023, awards for the approved cases (spread over the award states) and
   免申即享 awards for every 20th enterprise; then ANALYZE. The audit triggers of security/ are
   disabled for the fill only (ALTER TABLE … DISABLE TRIGGER USER inside the fill transaction),
   so the fill does not write a million audit rows. Without --reset it refuses an empty database
   and measures the data already there. Never point it at a database whose data you want to keep.
2. Time, interleaved (A B A B …, one warm-up each, --reps ≥ 5): the Django selector
   `reports.selectors.summary_rows` (two GROUP BY queries on the id columns, three small label
   look-ups, merging) against the same GROUP BY statements written by hand, run through a separate
   psycopg connection and fully fetched (the L3 floor). Scenarios: city-wide, one district, and
   the monthly selector. Prints the aggregate plan, medians, coefficient of variation and ratio,
   first on the schema as the migrations make it, then (--stats both, the default) with the
   extended statistics proposed in STATS, which are dropped again at the end.
3. --csv: stream the per-case CSV export of every application through the export generator and
   report rows, bytes, seconds and the peak RSS growth of this process.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402

from bench.report_fill import fill, log  # noqa: E402
from reports.exports import csv_lines  # noqa: E402
from reports.selectors import ReportFilters, ReportScope, monthly_rows, summary_rows  # noqa: E402
from reports.tables import cases_table  # noqa: E402

# --- the plain SQL the selector is measured against (hand-written, fetched in full) --------------

APP_STATES = [
    "draft",
    "submitted",
    "district_review",
    "returned",
    "district_rejected",
    "district_approved",
    "city_review",
    "approved",
    "city_rejected",
    "withdrawn",
    "expired",
]
REQUESTED = (
    "('submitted','district_review','returned','district_rejected','district_approved','city_review',"
    "'approved','city_rejected')"
)
AWARD_STATES = ["claimable", "claimed", "paid", "forfeited", "recovering", "recovered", "cancelled"]


def plain_sql(where: str = "") -> tuple[str, str]:
    app_counts = ", ".join(f"count(*) FILTER (WHERE state = '{s}')" for s in APP_STATES)
    apps = f"""
SELECT g.*, i.code, i.name, r.name, r.budget, r.opens_at, d.name, d.sort_order FROM (
  SELECT item_id, round_id, district_id, {app_counts}, count(*),
         sum(suggested_amount) FILTER (WHERE state IN {REQUESTED}),
         sum(amount) FILTER (WHERE state = 'approved'), count(*) FILTER (WHERE review_overdue)
  FROM applications_application {where} GROUP BY item_id, round_id, district_id) g
JOIN policies_policyitem i ON i.id = g.item_id JOIN policies_round r ON r.id = g.round_id
JOIN accounts_district d ON d.id = g.district_id"""
    award_sums = ", ".join(
        f"count(*) FILTER (WHERE state = '{s}'), sum(amount) FILTER (WHERE state = '{s}')" for s in AWARD_STATES
    )
    awards = f"""
SELECT g.*, i.code, i.name, r.name, r.budget, r.opens_at, d.name, d.sort_order FROM (
  SELECT item_id, round_id, district_id, {award_sums},
    sum(amount) FILTER (WHERE state IN ('paid','recovering')),
    sum(amount) FILTER (WHERE state IN ('paid','recovering') AND source IN ('auto','instant')),
    sum(amount) FILTER (WHERE application_id IS NULL AND state NOT IN ('cancelled','forfeited')),
    count(*) FILTER (WHERE district_pays_first AND state IN ('paid','recovering','recovered')),
    sum(amount) FILTER (WHERE district_pays_first AND state IN ('paid','recovering','recovered')),
    sum(city_share) FILTER (WHERE district_pays_first AND state IN ('paid','recovering','recovered')),
    sum(city_share) FILTER (WHERE district_pays_first AND state = 'recovered'),
    count(*) FILTER (WHERE NOT district_pays_first AND state IN ('paid','recovering')),
    sum(city_share) FILTER (WHERE NOT district_pays_first AND state IN ('paid','recovering')),
    sum(district_share) FILTER (WHERE NOT district_pays_first AND state IN ('paid','recovering'))
  FROM awards_award {where} GROUP BY item_id, round_id, district_id) g
JOIN policies_policyitem i ON i.id = g.item_id LEFT JOIN policies_round r ON r.id = g.round_id
JOIN accounts_district d ON d.id = g.district_id"""
    return apps, awards


MONTHLY_SQL = f"""
SELECT date_trunc('month', submitted_at AT TIME ZONE 'Asia/Shanghai') AS m, count(*),
       sum(suggested_amount) FILTER (WHERE state IN {REQUESTED}), count(*) FILTER (WHERE state = 'approved'),
       sum(amount) FILTER (WHERE state = 'approved')
FROM applications_application WHERE submitted_at IS NOT NULL GROUP BY 1 ORDER BY 1"""


def run_sql(conn: psycopg.Connection, statements: list[str]) -> int:
    rows = 0
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
            rows += len(cur.fetchall())
    return rows


def measure(name: str, selector: Callable[[], object], baseline: Callable[[], object], reps: int) -> tuple:
    selector(), baseline()  # warm-up: caches, plans, connection
    a_times, b_times = [], []
    for _ in range(reps):
        t = time.perf_counter()
        selector()
        a_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        baseline()
        b_times.append(time.perf_counter() - t)
    a, b = statistics.median(a_times), statistics.median(b_times)

    def cv(xs: list[float]) -> float:
        return statistics.pstdev(xs) / statistics.mean(xs) * 100

    return name, a, cv(a_times), b, cv(b_times), a / b


# The statistics objects proposed to the owners of applications/ and awards/ (see the report): with
# them the planner knows item × round × district has a few thousand combinations (not 100 000)
# and a year has 12 months (not 500 000), and aggregates in a hash table instead of sorting the
# whole table to disk.
STATS = {
    "app_item_round_district_stx": "(ndistinct) ON item_id, round_id, district_id FROM applications_application",
    "award_item_round_district_stx": "(ndistinct) ON item_id, round_id, district_id FROM awards_award",
    "app_submitted_month_stx": "ON (date_trunc('month', submitted_at AT TIME ZONE 'Asia/Shanghai')) "
    "FROM applications_application",
}


def set_statistics(on: bool) -> None:
    with connection.cursor() as c:
        for name, definition in STATS.items():
            if on:
                c.execute(f"CREATE STATISTICS IF NOT EXISTS {name} {definition}")
            else:
                c.execute(f"DROP STATISTICS IF EXISTS {name}")
        c.execute("ANALYZE applications_application")
        c.execute("ANALYZE awards_award")


def plan_summary(raw: psycopg.Connection, sql: str) -> str:
    with raw.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE) " + sql)
        lines = [r[0].strip() for r in cur.fetchall()]
    keep = [ln.split("  (")[0].lstrip("-> ") for ln in lines if "Aggregate" in ln and "(cost" in ln]
    spill = "，排序落盘" if any("external merge" in ln for ln in lines) else ""
    total = next((ln for ln in lines if ln.startswith("Execution Time")), "")
    return f"{' / '.join(dict.fromkeys(keep))}{spill}；{total}"


def bench(reps: int, stats_modes: list[bool]) -> None:
    if connection.vendor != "postgresql":
        sys.exit("需要 PostgreSQL：请设置 DATABASE_URL=postgres://…")
    raw = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM applications_application")
        n = c.fetchone()[0]
        c.execute("SELECT count(*) FROM awards_award")
        awards = c.fetchone()[0]
        c.execute("SELECT version()")
        version = c.fetchone()[0].split(",")[0]
    all_scope, none = ReportScope(), ReportFilters()
    district = ReportScope(district_id=3, label="西湖区")
    apps_sql, awards_sql = plain_sql()
    d_apps, d_awards = plain_sql("WHERE district_id = 3")
    groups = len(summary_rows(scope=all_scope, filters=none))
    log(f"\n{version}；{n:,} 件申报、{awards:,} 笔奖励；汇总 {groups:,} 组；每项 {reps} 次交替（ABAB…），各预热 1 次")
    for with_stats in stats_modes:
        set_statistics(with_stats)
        label = "有扩展统计（建议新增）" if with_stats else "现有结构"
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        log(f"\n[{label}] 机器负载 {load}")
        log(f"  申报件 GROUP BY：{plan_summary(raw, apps_sql)}")
        log(f"  奖励 GROUP BY：{plan_summary(raw, awards_sql)}")
        log(f"  按月 GROUP BY：{plan_summary(raw, MONTHLY_SQL)}")
        results = [
            measure(
                "汇总（全市，事项×批次×属地）",
                lambda: summary_rows(scope=all_scope, filters=none),
                lambda: run_sql(raw, [apps_sql, awards_sql]),
                reps,
            ),
            measure(
                "汇总（单个属地）",
                lambda: summary_rows(scope=district, filters=none),
                lambda: run_sql(raw, [d_apps, d_awards]),
                reps,
            ),
            measure(
                "按月（全市）",
                lambda: monthly_rows(scope=all_scope, filters=none),
                lambda: run_sql(raw, [MONTHLY_SQL]),
                reps,
            ),
        ]
        log(f"  {'场景':<24}{'selector 中位数':>16}{'CV':>7}{'纯 SQL 中位数':>16}{'CV':>7}{'比值':>8}")
        for name, a, acv, b, bcv, ratio in results:
            log(f"  {name:<20}{a * 1000:>14.1f}ms{acv:>6.1f}%{b * 1000:>14.1f}ms{bcv:>6.1f}%{ratio:>8.2f}")
    set_statistics(False)  # leave the schema as the migrations made it
    raw.close()


def bench_csv() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows = size = 0
    for chunk in csv_lines(cases_table(scope=ReportScope(), filters=ReportFilters())):
        size += len(chunk.encode("utf-8"))
        rows += chunk.count("\n")
    seconds = time.perf_counter() - started
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    log(f"\nCSV 明细导出：{rows - 1:,} 行、{size / 1e6:.1f} MB、{seconds:.1f}s；进程峰值 RSS 增长 {growth:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="申报件数（默认 1 000 000）")
    parser.add_argument("--reps", type=int, default=7, help="每项交替重复次数（≥5）")
    parser.add_argument("--reset", action="store_true", help="清空并重新填充 DATABASE_URL 所指数据库的业务表")
    parser.add_argument("--csv", action="store_true", help="另测 CSV 明细导出的流式内存占用")
    parser.add_argument(
        "--stats",
        choices=["none", "with", "both"],
        default="both",
        help="不带 / 带建议的扩展统计（CREATE STATISTICS … ndistinct）各测一遍（默认 both）",
    )
    args = parser.parse_args()
    if args.reps < 5:
        parser.error("--reps 至少为 5")
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM applications_application")
        existing = c.fetchone()[0]
    if args.reset:
        log(f"填充 {args.n:,} 件申报 …")
        fill(args.n)
    elif existing == 0:
        sys.exit("数据库中没有申报件：加 --reset 填充（会清空该库的业务表）。")
    bench(args.reps, {"none": [False], "with": [True], "both": [False, True]}[args.stats])
    if args.csv:
        bench_csv()


if __name__ == "__main__":
    main()
