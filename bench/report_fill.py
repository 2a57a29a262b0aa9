"""The fill of bench/report_bench.py (--reset): TRUNCATE … CASCADE the case tables, then
INSERT … SELECT generate_series (districts, items, rounds, enterprises, n applications spread
over states, districts, items, rounds and 2023, awards, 免申即享 awards), then ANALYZE. The
audit triggers are disabled for the fill only. Needs django.setup() first (report_bench does it).
"""

import time

from django.db import connection, transaction


def log(message: str) -> None:
    print(message, flush=True)


DISTRICTS = [
    "上城区",
    "拱墅区",
    "西湖区",
    "滨江区",
    "萧山区",
    "余杭区",
    "临平区",
    "钱塘区",
    "富阳区",
    "临安区",
    "桐庐县",
    "淳安县",
    "建德市",
    "西湖风景名胜区",
]
N_ITEMS, N_ROUNDS = 40, 200
TABLES = [
    "security_auditlog",
    "notifications_notification",
    "reviews_opinion",
    "awards_awardevent",
    "awards_award",
    "applications_material",
    "applications_applicationevent",
    "applications_application",
    "reviews_citylist",
    "enterprises_designation",
    "enterprises_enterprisechange",
    "enterprises_dishonestyentry",
    "enterprises_enterprise",
    "policies_round",
    "policies_policyitem",
    "policies_policydocument",
    "accounts_district",
]
FILLED = [
    "applications_application",
    "awards_award",
    "enterprises_enterprise",
    "policies_round",
    "policies_policyitem",
    "policies_policydocument",
    "accounts_district",
]

# State of application i from a multiplicative hash: a realistic mix, mostly approved.
STATE_CASE = """CASE
  WHEN h < 50 THEN 'draft' WHEN h < 130 THEN 'submitted' WHEN h < 230 THEN 'district_review'
  WHEN h < 270 THEN 'returned' WHEN h < 350 THEN 'district_rejected' WHEN h < 400 THEN 'district_approved'
  WHEN h < 450 THEN 'city_review' WHEN h < 850 THEN 'approved' WHEN h < 900 THEN 'city_rejected'
  WHEN h < 950 THEN 'withdrawn' ELSE 'expired' END"""
AWARD_STATE_CASE = """CASE
  WHEN h < 100 THEN 'claimable' WHEN h < 200 THEN 'claimed' WHEN h < 800 THEN 'paid' WHEN h < 880 THEN 'forfeited'
  WHEN h < 900 THEN 'recovering' WHEN h < 930 THEN 'recovered' ELSE 'cancelled' END"""


def district_of(enterprise_id: str) -> str:
    """An enterprise's district from a multiplicative hash of its id (high bits, so it does not
    correlate with the id's residues that pick rounds)."""
    return f"(({enterprise_id}::bigint * 2654435761) % 4294967296) / 65536 % {len(DISTRICTS)} + 1"


def _defaults_for_missing(cursor, table: str, given: set[str]) -> dict[str, str]:
    """SQL literals for NOT NULL columns without a default that the fill does not set (columns
    other apps may add later), so the bench keeps working as the schema grows."""
    cursor.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'""",
        [table],
    )
    literal = {
        "jsonb": "'{}'::jsonb",
        "boolean": "false",
        "text": "''",
        "character varying": "''",
        "integer": "0",
        "smallint": "0",
        "bigint": "0",
        "numeric": "0",
        "date": "current_date",
        "timestamp with time zone": "now()",
    }
    return {c: literal.get(t, "''") for c, t in cursor.fetchall() if c not in given}


def insert_select(cursor, table: str, columns: dict[str, str], source: str) -> None:
    columns = {**_defaults_for_missing(cursor, table, set(columns)), **columns}
    names = ", ".join(columns)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {', '.join(columns.values())} {source}")


def fill(n: int) -> None:
    started = time.perf_counter()
    enterprises = max(1, (n + 19) // 20)
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        for table in FILLED:
            c.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        values = ", ".join(f"({i + 1}, 'bench-{i + 1}', '{name}', {i + 1})" for i, name in enumerate(DISTRICTS))
        insert_select(
            c,
            "accounts_district",
            {
                "id": "v.id",
                "code": "v.code",
                "name": "v.name",
                "sort_order": "v.s",
                "kind": "'district'",
                "division_code": "''",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM (VALUES {values}) AS v(id, code, name, s)",
        )
        insert_select(
            c,
            "policies_policydocument",
            {"id": "1", "code": "'BENCH'", "title": "'基准测试政策文件'", "created_at": "now()", "updated_at": "now()"},
            "",
        )
        insert_select(
            c,
            "policies_policyitem",
            {
                "id": "g",
                "code": "'BENCH-' || lpad(g::text, 3, '0')",
                "document_id": "1",
                "name": "'基准事项' || g",
                "bureau_function": "(ARRAY['commerce','economy','science'])[1 + g % 3]",
                "mode": "CASE WHEN g > 35 THEN 'auto' WHEN g > 30 THEN 'instant' ELSE 'apply' END",
                "review_departments": '\'["tax", "market"]\'::jsonb',
                "funding": "'{\"city_percent\": 50}'::jsonb",
                "materials": "'[]'::jsonb",
                "declared_fields": "'[]'::jsonb",
                "eligibility": "'[]'::jsonb",
                "amount_rule": "'{}'::jsonb",
                "catalogue": "'{}'::jsonb",
                "detailed": "false",
                "beneficiary": "'企业'",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, {N_ITEMS}) g",
        )
        insert_select(
            c,
            "policies_round",
            {
                "id": "g",
                "item_id": f"(g - 1) / {N_ROUNDS // N_ITEMS} + 1",
                "name": "'2023年第' || g || '批'",
                "opens_at": "timestamptz '2023-01-01 00:00+08' + (g % 12) * interval '1 month'",
                "closes_at": "timestamptz '2023-02-01 00:00+08' + (g % 12) * interval '1 month'",
                "budget": "50000000",
                "supplement_days": "10",
                "review_working_days": "10",
                "city_review_working_days": "15",
                "claim_days": "30",
                "published": "true",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, {N_ROUNDS}) g",
        )
        insert_select(
            c,
            "enterprises_enterprise",
            {
                "id": "g",
                "name": "'基准企业' || g",
                "credit_code": "'B' || lpad(g::text, 17, '0')",
                "district_id": district_of("g"),
                "size_class": "'small'",
                "registered_in_hangzhou": "true",
                "independent_legal_entity": "true",
                "in_statistics_db": "g % 3 = 0",
                "figures": "'{}'::jsonb",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, {enterprises}) g",
        )
        log(f"  参照数据完成：{enterprises:,} 家企业  {time.perf_counter() - started:.1f}s")
        # Application i (0-based): enterprise e = i/20; its 20 cases go to 20 distinct rounds, so the
        # one-live-case-per-round constraint holds; district follows the enterprise.
        insert_select(
            c,
            "applications_application",
            {
                "id": "i + 1",
                "enterprise_id": "e + 1",
                "round_id": "r + 1",
                "item_id": f"r / {N_ROUNDS // N_ITEMS} + 1",
                "district_id": district_of("(e + 1)"),
                "state": "s",
                "declared": "'{}'::jsonb",
                "eligibility": "'{}'::jsonb",
                "amount_working": "'[]'::jsonb",
                "suggested_amount": "(10000 + (i * 7919) % 990000)::numeric(14,2)",
                "amount": "CASE WHEN s = 'approved' THEN round((10000 + (i * 7919) % 990000) * 0.8, 2) END",
                "submitted_at": "CASE WHEN s <> 'draft' THEN timestamptz '2023-01-01 00:00+08' "
                "+ ((i * 104729) % 525600) * interval '1 minute' END",
                "review_overdue": "s = 'district_review' AND i % 7 = 0",
                "review_cycle": "0",
                "supplement_request": "''",
                "commitment_text": "''",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"""FROM (SELECT i, e, ((i % 20) * 10 + e % 10) AS r, {STATE_CASE} AS s
                  FROM (SELECT i, i / 20 AS e, (i * 2654435761) % 1000 AS h
                        FROM generate_series(0::bigint, {n - 1}) i) x) y""",
        )
        log(f"  申报件完成：{n:,}  {time.perf_counter() - started:.1f}s")
        insert_select(
            c,
            "awards_award",
            {
                "application_id": "a.id",
                "enterprise_id": "a.enterprise_id",
                "item_id": "a.item_id",
                "round_id": "a.round_id",
                "district_id": "a.district_id",
                "source": "'application'",
                "year": "2023",
                "state": "st",
                "amount": "a.amount",
                "city_share": "round(a.amount * 0.5, 2)",
                "district_share": "a.amount - round(a.amount * 0.5, 2)",
                "district_pays_first": "a.item_id % 2 = 0",
                "claim_deadline": "timestamptz '2024-03-01 00:00+08'",
                "payment_reference": "CASE WHEN st IN ('paid','recovering','recovered') THEN 'P' || a.id END",
                "claim_commitment_text": "''",
                "bank_snapshot": "'{}'::jsonb",
                "recovery_reason": "''",
                "cancelled_reason": "''",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"""FROM (SELECT a.*, {AWARD_STATE_CASE.replace("h <", "(a.id * 40503) % 1000 <")} AS st
                  FROM applications_application a WHERE a.state = 'approved') a""",
        )
        insert_select(
            c,
            "awards_award",
            {
                "application_id": "NULL",
                "enterprise_id": "g",
                "item_id": "36 + g % 5",
                "round_id": f"(35 + g % 5) * {N_ROUNDS // N_ITEMS} + 1",
                "district_id": district_of("g"),
                "source": "CASE WHEN g % 40 = 0 THEN 'instant' ELSE 'auto' END",
                "year": "2023",
                "state": "CASE WHEN g % 60 = 0 THEN 'forfeited' ELSE 'paid' END",
                "amount": "20000",
                "city_share": "10000",
                "district_share": "10000",
                "district_pays_first": "false",
                "claim_deadline": "timestamptz '2024-03-01 00:00+08'",
                "payment_reference": "CASE WHEN g % 60 = 0 THEN NULL ELSE 'A' || g END",
                "claim_commitment_text": "''",
                "bank_snapshot": "'{}'::jsonb",
                "recovery_reason": "''",
                "cancelled_reason": "''",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, {enterprises}) g WHERE g % 20 = 0",
        )
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred FK checks now, before re-enabling
        for table in FILLED:
            c.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")
    with connection.cursor() as c:
        c.execute("ANALYZE")
        c.execute("SELECT count(*) FROM applications_application")
        apps = c.fetchone()[0]
        c.execute("SELECT count(*) FROM awards_award")
        awards = c.fetchone()[0]
    log(f"填充完成：{apps:,} 件申报、{awards:,} 笔奖励，用时 {time.perf_counter() - started:.1f}s")
