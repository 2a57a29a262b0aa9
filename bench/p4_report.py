"""P4: the report summary vs a plain GROUP BY (L3). Bound as Bench.p4."""

from bench.core import Row, _poll_import


def p4(self) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.stats import interleave
    from bench.views import raw_connection

    selectors = _poll_import("reports.selectors", "summary_rows", self.args.poll)
    if selectors is None:
        self.add(Row("P4", "reports.selectors.summary_rows 不存在（等待超时）", ok=None))
        return
    from reports.selectors import ReportFilters, ReportScope, summary_rows

    scope, filters = ReportScope(), ReportFilters()
    with CaptureQueriesContext(connection) as ctx:
        rows = summary_rows(scope=scope, filters=filters)
    same_sql = [q["sql"] for q in ctx.captured_queries]
    plain = [
        "SELECT item_id, round_id, district_id, state, review_overdue, count(*), sum(suggested_amount), "
        "sum(amount) FROM applications_application GROUP BY 1, 2, 3, 4, 5",
        "SELECT item_id, round_id, district_id, state, source, district_pays_first, application_id IS NULL, "
        "count(*), sum(amount), sum(city_share), sum(district_share) FROM awards_award GROUP BY 1, 2, 3, 4, 5, "
        "6, 7",
    ]
    raw = raw_connection()

    def run_sql(statements: list[str]) -> int:
        n = 0
        with raw.cursor() as cur:
            for sql in statements:
                cur.execute(sql.encode())
                n += len(cur.fetchall())
        return n

    groups = run_sql(plain)
    samples = interleave(
        lambda: summary_rows(scope=scope, filters=filters),
        lambda: run_sql(plain),
        reps=self.args.pairs,
        per_rep=self.args.p4_per_rep,
        warmup=1,
    )
    self.ratio_row(
        "P4",
        "report summary_rows (all districts) vs plain GROUP BY (L3)",
        samples,
        1.3,
        note=f"{len(rows)} summary rows from {groups} groups; {len(same_sql)} queries;",
        extra={"portal_sql": same_sql, "plain_sql": plain},
    )
    samples = interleave(
        lambda: summary_rows(scope=scope, filters=filters),
        lambda: run_sql(same_sql),
        reps=self.args.pairs,
        per_rep=self.args.p4_per_rep,
        warmup=1,
    )
    self.ratio_row("P4-orm", "summary_rows vs its own SQL via psycopg (ORM/Python cost)", samples, None)


# --- P5 -------------------------------------------------------------------------------------
