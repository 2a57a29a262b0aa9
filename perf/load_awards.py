"""The award steps of `manage.py generate_load`: awards for the approved generated cases, 免申即享
awards (no case, one per enterprise × item × year) and the history rows of both, each one
INSERT … SELECT inside PostgreSQL (see perf/management/commands/generate_load.py)."""

from datetime import datetime

from django.core.management.base import CommandError
from django.db import connection

from awards.models import Award, AwardEvent
from perf.load_common import (
    AWARD_PATHS,
    AWARD_STATES_AHEAD,
    AWARD_STATES_PAST,
    SHANGHAI,
    case_sql,
    insert_select,
    values_sql,
)
from policies.models import PolicyItem


def award_exprs(src: str) -> dict[str, str]:
    """Columns of an award from a row `src` with created_at, claim_deadline, state, amount, g."""
    paid = f"{src}.state IN ('paid','recovering','recovered')"
    return {
        "created_at": f"{src}.created_at",
        "updated_at": f"least(now(), {src}.created_at + interval '20 days')",
        "year": f"{src}.year",
        "state": f"{src}.state",
        "amount": f"{src}.amount",
        "city_share": f"round({src}.amount * 0.5, 2)",
        "district_share": f"{src}.amount - round({src}.amount * 0.5, 2)",
        "district_pays_first": f"mod({src}.g, 5) = 0",
        "claim_deadline": f"{src}.claim_deadline",
        "claimed_at": f"CASE WHEN {src}.state IN ('claimed','paid','recovering','recovered') "
        f"THEN least(now(), {src}.created_at + interval '12 days') END",
        "claimed_by_id": f"CASE WHEN {src}.state IN ('claimed','paid','recovering','recovered') THEN {src}.user_id END",
        "claim_commitment_text": f"CASE WHEN {src}.state IN ('claimed','paid','recovering','recovered') "
        "THEN '本企业承诺申领信息真实有效。' ELSE '' END",
        "bank_snapshot": f"CASE WHEN {src}.state IN ('claimed','paid','recovering','recovered') THEN "
        "jsonb_build_object('bank_name', '中国工商银行杭州分行', 'account_no', '1202' || lpad("
        + src
        + ".enterprise_id::text, 15, '0')) ELSE '{}'::jsonb END",
        "payment_reference": f"CASE WHEN {paid} THEN 'YL' || {src}.kind || lpad({src}.g::text, 9, '0') END",
        "paid_on": f"CASE WHEN {paid} THEN (least(now(), {src}.created_at + interval '17 days') "
        f"AT TIME ZONE '{SHANGHAI}')::date END",
        "paid_at": f"CASE WHEN {paid} THEN least(now(), {src}.created_at + interval '17 days') END",
        "recovery_reason": f"CASE WHEN {src}.state IN ('recovering','recovered') THEN '经核查存在虚报，启动追回。' "
        "ELSE '' END",
        "recovery_started_at": f"CASE WHEN {src}.state IN ('recovering','recovered') "
        f"THEN least(now(), {src}.created_at + interval '80 days') END",
        "recovered_at": f"CASE WHEN {src}.state = 'recovered' THEN least(now(), {src}.created_at + interval '110 "
        "days') END",
        "cancelled_reason": f"CASE WHEN {src}.state = 'cancelled' "
        "THEN '同类政策从优不重复享受，本项作废。' ELSE '' END",
        "last_reminded_days": "NULL",
    }


def award_state_sql(u: str) -> str:
    return (
        f"CASE WHEN claim_deadline > now() THEN {case_sql(u, AWARD_STATES_AHEAD)} "
        f"ELSE {case_sql(u, AWARD_STATES_PAST)} END"
    )


def application_awards(n_award: int, now: datetime) -> int:
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS load_award")
        cur.execute(
            f"""
            CREATE TEMP TABLE load_award AS
            SELECT w.*, {award_state_sql("w.u")} AS state FROM (
                SELECT a.id AS application_id, a.enterprise_id, a.item_id, a.round_id, a.district_id,
                       a.amount, le.user_id, 'A' AS kind, row_number() OVER (ORDER BY a.id) AS g,
                       extract(year FROM a.city_decided_at AT TIME ZONE '{SHANGHAI}')::int AS year,
                       least(now() - interval '1 hour', a.city_decided_at + interval '3 days') AS created_at,
                       least(now() - interval '1 hour', a.city_decided_at + interval '3 days')
                         + interval '30 days' AS claim_deadline,
                       random() AS u
                FROM applications_application a JOIN load_ent le ON le.id = a.enterprise_id
                WHERE a.state = 'approved' ORDER BY a.id LIMIT %s
            ) w
            """,
            [n_award],
        )
    return insert_select(
        Award,
        {
            "application_id": "w.application_id",
            "enterprise_id": "w.enterprise_id",
            "item_id": "w.item_id",
            "round_id": "w.round_id",
            "district_id": "w.district_id",
            "source": "'application'",
            "published_by_id": "NULL",
            "paid_by_id": "NULL",
            **award_exprs("w"),
        },
        "FROM load_award w ORDER BY w.g",
    )


def auto_awards(n_auto: int, n_ent: int, now: datetime) -> int:
    if n_auto <= 0:
        return 0
    n_items = PolicyItem.objects.count()
    if n_auto > n_ent * n_items * 3:
        raise CommandError(f"免申即享奖励过多：最多 {n_ent * n_items * 3} 件（企业 × 事项 × 3 个年度）。")
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS load_items")
        cur.execute(
            "CREATE TEMP TABLE load_items AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n "
            "FROM policies_policyitem; CREATE UNIQUE INDEX ON load_items (n)"
        )
        cur.execute("DROP TABLE IF EXISTS load_auto")
        # Award j: enterprise e = j mod E; its c-th award (c = j div E) is for year 2024 + c mod 3 and
        # item (c div 3 + 13·e) mod I: never the same (enterprise, item, year) twice
        # (one_auto_award_per_item_year) while c < 3·I.
        cur.execute(
            f"""
            CREATE TEMP TABLE load_auto AS
            SELECT w.*, {award_state_sql("w.u")} AS state FROM (
                SELECT v.*, v.created_at + interval '30 days' AS claim_deadline FROM (
                    SELECT j.j AS g, e.id AS enterprise_id, e.district_id, e.user_id, it.id AS item_id,
                           y.year, 'M' AS kind, j.u,
                           round((2000 + j.u2 * j.u2 * 200000)::numeric, -2) AS amount,
                           y.starts + (least(now() - interval '1 hour', y.starts + interval '1 year') - y.starts)
                             * j.u3 AS created_at
                    FROM (SELECT j, random() AS u, random() AS u2, random() AS u3
                          FROM generate_series(0, %s - 1) AS j) j
                    JOIN load_ent e ON e.n = mod(j.j, %s)
                    JOIN load_items it ON it.n = mod((j.j / %s) / 3 + 13 * mod(j.j, %s), %s)
                    CROSS JOIN LATERAL (SELECT 2024 + mod(j.j / %s, 3)::int AS year,
                        make_timestamptz(2024 + mod(j.j / %s, 3)::int, 1, 1, 0, 0, 0, '{SHANGHAI}') AS starts) y
                ) v
            ) w
            """,
            [n_auto, n_ent, n_ent, n_ent, n_items, n_ent, n_ent],
        )
    return insert_select(
        Award,
        {
            "application_id": "NULL",
            "enterprise_id": "w.enterprise_id",
            "item_id": "w.item_id",
            "round_id": "NULL",
            "district_id": "w.district_id",
            "source": "'auto'",
            "published_by_id": "NULL",
            "paid_by_id": "NULL",
            **award_exprs("w"),
        },
        "FROM load_auto w ORDER BY w.g",
    )


def award_events() -> int:
    path = values_sql(
        [
            (state, i, action, src, dst, col)
            for state, steps in AWARD_PATHS.items()
            for i, (action, src, dst, col) in enumerate(steps)
        ]
    )
    at = (
        "CASE p.col WHEN 'created_at' THEN w.created_at WHEN 'claimed_at' THEN w.claimed_at "
        "WHEN 'claim_deadline' THEN w.claim_deadline WHEN 'paid_at' THEN w.paid_at "
        "WHEN 'recovery_started_at' THEN w.recovery_started_at WHEN 'recovered_at' THEN w.recovered_at "
        "ELSE w.updated_at END"
    )
    return insert_select(
        AwardEvent,
        {
            "award_id": "w.id",
            "actor_id": "CASE WHEN p.action = 'claim' THEN w.claimed_by_id END",
            "action": "p.action",
            "from_state": "p.src",
            "to_state": "p.dst",
            "reason": "CASE p.action WHEN 'forfeit' THEN '申领期限已过，未如期申领，视为自动放弃。' "
            "WHEN 'cancel' THEN w.cancelled_reason WHEN 'recover' THEN w.recovery_reason ELSE '' END",
            "at": f"least(now(), {at})",
            "extra": "CASE WHEN p.action = 'pay' THEN jsonb_build_object('reference', w.payment_reference) "
            "ELSE '{}'::jsonb END",
        },
        f"FROM awards_award w JOIN (VALUES {path}) AS p(state, i, action, src, dst, col) ON p.state = w.state "
        f"WHERE w.enterprise_id IN (SELECT id FROM load_ent) ORDER BY w.id, p.i",
    )
