"""`manage.py generate_load`: fill PostgreSQL with a realistic load for the benchmarks (bench/).

    python manage.py generate_load --enterprises 50000 --applications 200000 --awards 1000000 --seed 42

What it makes, on top of the reference data (districts, organisations, the policy catalogue of
policies/data, loaded with seed_demo / policies.loader.load_all() when missing):

- enterprises spread over the 14 districts (weighted like the real city: the urban districts
  hold most), each with a valid 统一社会信用代码 (enterprises.credit_code.make_code; characters
  9–10 are "QY", which is how generated rows are found again);
- one enterprise user for a sample (`--users-share`, default 10%), a district 商务局 and reviewer
  for every district the demo does not cover, and a city approver;
- rounds "压测批次…" for `--items` apply-mode items (commerce/economy lines first), three years
  each: two closed windows (2024, 2025) and one open now;
- applications in every state (drafts and the review queue in the open rounds, mostly decided
  cases in the closed ones), submitted_at peaking towards the end of each window, amounts, the
  eligibility/working JSON a real case carries, and their history rows (ApplicationEvent);
- awards in every state: one for each approved application, the rest 免申即享 (application
  empty, one per enterprise × item × year), each with a claim deadline; a share of the claimable
  ones is already due (what the forfeiture job sweeps); and their history rows (AwardEvent).

Everything big is made inside PostgreSQL with INSERT … SELECT over generate_series, so the rows
never pass through Python (the enterprises' codes are computed in Python and sent as arrays).
`random()` is seeded (`setseed`) and parallel workers are off, so a seed gives the same data.

Idempotent: with the same counts already present it does nothing; other generated data has to
be removed first with `--reset` (which only removes generated rows: the demo data stays).
Prints rows/s for every step. PostgreSQL only.
"""

import random
import time
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models
from django.utils import timezone

from accounts.models import District, Organisation, Role, User
from applications.models import Application, ApplicationEvent
from awards.models import Award, AwardEvent
from enterprises.credit_code import make_code
from enterprises.models import Enterprise
from perf.load_awards import application_awards, auto_awards, award_events
from perf.load_common import (
    APP_PATHS,
    CLOSED_STATES,
    DISTRICT_WEIGHTS,
    INDUSTRIES,
    MARK,
    NAME_WORDS,
    OPEN_STATES,
    REASONS,
    ROUND_PREFIX,
    SIZE_WEIGHTS,
    SIZES,
    USER_PREFIX,
    case_sql,
    insert_select,
    values_sql,
)
from perf.maintenance import triggers_off
from policies.models import PolicyItem, Round


class Command(BaseCommand):
    help = "生成压测数据（企业、申报件、奖励及其历史记录），供 bench/ 基准测试使用。仅支持 PostgreSQL。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=50_000)
        parser.add_argument("--applications", type=int, default=200_000)
        parser.add_argument("--awards", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--items", type=int, default=24, help="参与压测批次的政策事项数（每项三个批次）")
        parser.add_argument("--users-share", type=float, default=0.1, help="有企业用户账号的企业比例")
        parser.add_argument("--reset", action="store_true", help="先删除已生成的压测数据")

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("generate_load 只支持 PostgreSQL（请设置 DATABASE_URL=postgres://...）。")
        n_ent, n_app, n_award = opts["enterprises"], opts["applications"], opts["awards"]
        if n_ent < 1 or n_app < 0 or n_award < 0:
            raise CommandError("数量不能为负，企业数至少为 1。")
        self._reference_data()
        n_items = min(opts["items"], PolicyItem.objects.filter(mode=PolicyItem.Mode.APPLY).count())
        if n_app > n_ent * n_items * 3:
            raise CommandError(f"申报件过多：每家企业每个批次只能有一件，最多 {n_ent * n_items * 3} 件。")
        have = self.counts()
        if have["enterprises"] and not opts["reset"]:
            if (have["enterprises"], have["applications"], have["awards"]) == (n_ent, n_app, n_award):
                self.stdout.write(f"压测数据已存在（{have}），无需重复生成。加 --reset 可重新生成。")
                return
            raise CommandError(f"已有其他规模的压测数据（{have}）。加 --reset 先删除再生成。")
        started = time.perf_counter()
        if opts["reset"] and any(have.values()):
            self._step("删除旧的压测数据", self.reset)
        rng = random.Random(opts["seed"])
        now = timezone.now()
        with connection.cursor() as cur:
            cur.execute("SET max_parallel_workers_per_gather = 0")
            cur.execute("SELECT setseed(%s)", [(opts["seed"] % 1000) / 1000.0])
        # Synthetic rows are not application changes: the audit triggers stay out of the load
        # (perf/maintenance.py); the generated history rows stand in for the real history.
        with triggers_off():
            self._step("企业", lambda: self._enterprises(rng, n_ent))
            self._step("企业用户", lambda: self._users(opts["users_share"]))
            self._step("属地审核员", self._officials)
            self._step("申报批次", lambda: self._rounds(n_items, now))
            self._temp_tables()
            self._step("申报件", lambda: self._applications(n_app, n_ent, now))
            self._step("申报件历史", self._application_events)
            self._step("奖励（申报兑现）", lambda: application_awards(n_award, now))
            n_auto = max(0, n_award - self.counts()["awards"])
            self._step("奖励（免申即享）", lambda: auto_awards(n_auto, n_ent, now))
            self._step("奖励历史", award_events)
        self._step("VACUUM ANALYZE", self._analyze)
        total = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"完成：{self.counts()}，共用时 {total:.1f} 秒。"))

    # --- helpers -------------------------------------------------------------------------------

    def _step(self, label: str, fn: Any) -> None:
        t0 = time.perf_counter()
        rows = fn() or 0
        dt = time.perf_counter() - t0
        rate = f"，{rows / dt:,.0f} 行/秒" if rows and dt > 0 else ""
        self.stdout.write(f"  {label}：{rows:,} 行，{dt:.1f} 秒{rate}")
        self.stdout.flush()

    @staticmethod
    def counts() -> dict[str, int]:
        ents = Enterprise.objects.filter(credit_code__regex=rf"^.{{8}}{MARK}")
        return {
            "enterprises": ents.count(),
            "applications": Application.objects.filter(enterprise__in=ents).count(),
            "awards": Award.objects.filter(enterprise__in=ents).count(),
        }

    def _reference_data(self) -> None:
        if not District.objects.exists():
            self.stdout.write("没有属地等基础数据：先运行 seed_demo。")
            call_command("seed_demo", stdout=self.stdout)
        elif not PolicyItem.objects.exists():
            from policies.loader import load_all

            load_all()

    def reset(self) -> int:
        """Delete every generated row (and nothing else). Returns how many rows went."""
        gone = 0
        with triggers_off() as cur:
            cur.execute(
                "CREATE TEMP TABLE reset_ent ON COMMIT DROP AS SELECT id FROM enterprises_enterprise "
                "WHERE substr(credit_code, 9, 2) = %s",
                [MARK],
            )
            cur.execute(
                "CREATE TEMP TABLE reset_user ON COMMIT DROP AS SELECT id FROM accounts_user WHERE username LIKE %s",
                [USER_PREFIX + "%"],
            )
            statements = [
                "DELETE FROM awards_awardevent WHERE award_id IN (SELECT id FROM awards_award WHERE enterprise_id IN "
                "(SELECT id FROM reset_ent))",
                "DELETE FROM enterprises_dishonestyentry WHERE enterprise_id IN (SELECT id FROM reset_ent)",
                "DELETE FROM awards_award WHERE enterprise_id IN (SELECT id FROM reset_ent)",
                "DELETE FROM applications_applicationevent WHERE application_id IN (SELECT id FROM "
                "applications_application "
                "WHERE enterprise_id IN (SELECT id FROM reset_ent))",
                "DELETE FROM reviews_opinion WHERE application_id IN (SELECT id FROM applications_application "
                "WHERE enterprise_id IN (SELECT id FROM reset_ent))",
                "DELETE FROM applications_material WHERE application_id IN (SELECT id FROM applications_application "
                "WHERE enterprise_id IN (SELECT id FROM reset_ent))",
                "DELETE FROM applications_application WHERE enterprise_id IN (SELECT id FROM reset_ent)",
                "DELETE FROM notifications_notification WHERE user_id IN (SELECT id FROM reset_user)",
                "DELETE FROM authtoken_token WHERE user_id IN (SELECT id FROM reset_user)",
                "DELETE FROM accounts_user WHERE id IN (SELECT id FROM reset_user)",
                "DELETE FROM enterprises_designation WHERE enterprise_id IN (SELECT id FROM reset_ent)",
                "DELETE FROM enterprises_enterprisechange WHERE enterprise_id IN (SELECT id FROM reset_ent)",
                "DELETE FROM enterprises_enterprise WHERE id IN (SELECT id FROM reset_ent)",
                "DELETE FROM policies_round r WHERE r.name LIKE %s AND NOT EXISTS "
                "(SELECT 1 FROM applications_application a WHERE a.round_id = r.id) AND NOT EXISTS "
                "(SELECT 1 FROM awards_award w WHERE w.round_id = r.id)",
            ]
            for sql in statements:
                cur.execute(sql, [ROUND_PREFIX + "%"] if "%s" in sql else None)
                gone += max(cur.rowcount, 0)
        return gone

    # --- enterprises, users, officials, rounds ---------------------------------------------------

    def _enterprises(self, rng: random.Random, n: int) -> int:
        districts = list(District.objects.order_by("sort_order", "id"))
        weights = [DISTRICT_WEIGHTS.get(d.code, 3) for d in districts]
        picked = rng.choices(districts, weights=weights, k=n)
        codes, names, district_ids, industries, sizes, employees, revenues, registered, in_db = ([] for _ in range(9))
        for i, d in enumerate(picked):
            codes.append(make_code(f"91{d.division_code or '330100'}{MARK}{i:07d}"))
            industry = rng.choice(INDUSTRIES)
            names.append(f"杭州{rng.choice(NAME_WORDS)}{rng.choice(NAME_WORDS)}{industry}有限公司")
            district_ids.append(d.pk)
            industries.append(industry)
            size = rng.choices(SIZES, weights=SIZE_WEIGHTS)[0]
            sizes.append(size)
            employees.append(rng.randint(5, 3000))
            revenues.append(rng.randint(1_000_000, 2_000_000_000))
            registered.append(date(2000, 1, 1) + timedelta(days=rng.randint(0, 8500)))
            in_db.append(rng.random() < 0.4)
        return insert_select(
            Enterprise,
            {
                "created_at": "now()",
                "updated_at": "now()",
                "name": "t.name",
                "credit_code": "t.code",
                "district_id": "t.district_id",
                "address": "'杭州市' || t.industry || '园区' || t.n || '号'",
                "legal_representative": "'法定代表人'",
                "industry": "t.industry",
                "size_class": "t.size",
                "registered_on": "t.registered",
                "in_statistics_db": "t.in_db",
                "employees": "t.employees",
                "annual_revenue": "t.revenue",
                "bank_name": "'中国工商银行杭州分行'",
                "bank_account_name": "t.name",
                "bank_account_no": "'1202' || lpad(t.n::text, 15, '0')",
                "contact_name": "'经办人'",
                "contact_phone": "'0571-87000000'",
            },
            "FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::int[], %s::numeric[], "
            "%s::date[], %s::bool[]) WITH ORDINALITY AS t(code, name, district_id, industry, size, employees, revenue, "
            "registered, in_db, n) ORDER BY t.n",
            [codes, names, district_ids, industries, sizes, employees, revenues, registered, in_db],
        )

    def _users(self, share: float) -> int:
        every = max(1, round(1 / share)) if share > 0 else 0
        if not every:
            return 0
        password = make_password("Hz-demo-2026")  # one hash for all: the sample's logins are for tests only
        return insert_select(
            User,
            {
                "password": f"'{password}'",
                "is_superuser": "false",
                "username": f"'{USER_PREFIX}u' || e.n",
                "first_name": "''",
                "last_name": "''",
                "email": f"'{USER_PREFIX}u' || e.n || '@example.com'",
                "is_staff": "false",
                "is_active": "true",
                "date_joined": "now()",
                "role": f"'{Role.ENTERPRISE}'",
                "display_name": "e.name || '管理员'",
                "enterprise_id": "e.id",
                "is_enterprise_admin": "true",
                "organisation_id": "NULL",
            },
            "FROM (SELECT id, name, row_number() OVER (ORDER BY id) - 1 AS n FROM enterprises_enterprise "
            "WHERE substr(credit_code, 9, 2) = %s) e WHERE mod(e.n, %s) = 0 ORDER BY e.n",
            [MARK, every],
        )

    def _officials(self) -> int:
        """A district 商务局 (commerce + economy) and one reviewer for each district without one,
        and a city approver if the demo's is missing: cases name who decided them."""
        made = 0
        for district in District.objects.order_by("sort_order", "id"):
            org = Organisation.objects.filter(
                level=Organisation.Level.DISTRICT, district=district, function="commerce"
            ).first()
            if org is None:
                org = Organisation.objects.create(
                    name=f"{district.name}商务局",
                    level=Organisation.Level.DISTRICT,
                    district=district,
                    function="commerce",
                    handles=["commerce", "economy"],
                )
            if not User.objects.filter(role=Role.DISTRICT_REVIEWER, organisation=org).exists():
                User.objects.create(
                    username=f"{USER_PREFIX}rev_{district.code}",
                    display_name=f"{district.name}商务局审核员",
                    role=Role.DISTRICT_REVIEWER,
                    organisation=org,
                    password=make_password(None),
                )
                made += 1
        if not User.objects.filter(role=Role.CITY_APPROVER).exists():
            org, _ = Organisation.objects.get_or_create(
                name="杭州市商务局",
                defaults={"level": "city", "function": "commerce", "handles": ["commerce", "economy"]},
            )
            User.objects.create(
                username=f"{USER_PREFIX}city",
                display_name="市商务局审定员",
                role=Role.CITY_APPROVER,
                organisation=org,
                password=make_password(None),
            )
            made += 1
        return made

    def _rounds(self, n_items: int, now: datetime) -> int:
        items = list(
            PolicyItem.objects.filter(mode=PolicyItem.Mode.APPLY)
            .annotate(
                line=models.Case(
                    models.When(bureau_function__in=["commerce", "economy"], then=0),
                    default=1,
                    output_field=models.IntegerField(),
                )
            )
            .order_by("line", "-detailed", "code")[:n_items]
        )
        tz = timezone.get_default_timezone()
        rounds = []
        for item in items:
            for year in (2024, 2025):
                rounds.append(
                    Round(
                        item=item,
                        name=f"{ROUND_PREFIX}·{item.code}·{year}年度",
                        opens_at=datetime(year, 3, 1, tzinfo=tz),
                        closes_at=datetime(year, 4, 1, tzinfo=tz),
                        performance_from=date(year - 1, 1, 1),
                        performance_to=date(year - 1, 12, 31),
                        closed_processed_at=datetime(year, 4, 1, 0, 5, tzinfo=tz),
                    )
                )
            rounds.append(
                Round(
                    item=item,
                    name=f"{ROUND_PREFIX}·{item.code}·申报中",
                    opens_at=now - timedelta(days=20),
                    closes_at=now + timedelta(days=40),
                )
            )
        Round.objects.bulk_create(rounds)
        return len(rounds)

    def _temp_tables(self) -> None:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS load_ent, load_round, load_rev")
            cur.execute(
                "CREATE TEMP TABLE load_ent AS SELECT e.id, e.district_id, row_number() OVER (ORDER BY e.id) - 1 AS n, "
                "(SELECT min(u.id) FROM accounts_user u WHERE u.enterprise_id = e.id) AS user_id "
                "FROM enterprises_enterprise e WHERE substr(e.credit_code, 9, 2) = %s",
                [MARK],
            )
            cur.execute("CREATE UNIQUE INDEX ON load_ent (n)")
            cur.execute(
                "CREATE TEMP TABLE load_round AS SELECT r.id, r.item_id, r.opens_at, r.closes_at, "
                "r.closes_at > now() AS is_open, row_number() OVER (ORDER BY r.id) - 1 AS n "
                "FROM policies_round r WHERE r.name LIKE %s",
                [ROUND_PREFIX + "%"],
            )
            cur.execute("CREATE UNIQUE INDEX ON load_round (n)")
            cur.execute(
                "CREATE TEMP TABLE load_rev AS SELECT o.district_id, min(u.id) AS user_id FROM accounts_user u "
                "JOIN accounts_organisation o ON o.id = u.organisation_id WHERE u.role = %s GROUP BY o.district_id",
                [Role.DISTRICT_REVIEWER],
            )
            cur.execute("ANALYZE load_ent; ANALYZE load_round; ANALYZE load_rev")

    # --- applications ------------------------------------------------------------------------------

    def _applications(self, n_app: int, n_ent: int, now: datetime) -> int:
        n_rounds = Round.objects.filter(name__startswith=ROUND_PREFIX).count()
        city = User.objects.filter(role=Role.CITY_APPROVER).order_by("pk").values_list("pk", flat=True).first()
        open_state, closed_state = case_sql("s.u_state", OPEN_STATES), case_sql("s.u_state", CLOSED_STATES)
        state = f"CASE WHEN s.is_open THEN {open_state} ELSE {closed_state} END"
        with connection.cursor() as cur:
            # One row per case with its random draws; the state and instants are derived from it.
            cur.execute("DROP TABLE IF EXISTS load_app")
            cur.execute(
                f"""
                CREATE TEMP TABLE load_app AS
                SELECT s.*, {state} AS state FROM (
                    SELECT g.g, e.id AS enterprise_id, e.district_id, e.user_id, r.id AS round_id, r.item_id,
                           r.is_open, r.opens_at, r.closes_at, g.u_state, g.u_time, g.u_amt, g.u_flag
                    FROM (SELECT g, random() AS u_state, random() AS u_time, random() AS u_amt, random() AS u_flag
                          FROM generate_series(0, %s - 1) AS g) g
                    JOIN load_ent e ON e.n = mod(g.g, %s)
                    JOIN load_round r ON r.n = mod((g.g / %s) * 17 + mod(g.g, %s) * 7, %s)
                ) s
                """,
                [n_app, n_ent, n_ent, n_ent, n_rounds],
            )
            cur.execute(
                """
                ALTER TABLE load_app ADD COLUMN submitted_at timestamptz, ADD COLUMN created_at timestamptz,
                                     ADD COLUMN step interval;
                UPDATE load_app SET submitted_at = CASE
                    WHEN state IN ('draft', 'expired') THEN NULL
                    WHEN is_open THEN now() - (now() - opens_at) * (u_time * u_time)
                    ELSE closes_at - (closes_at - opens_at) * (u_time * u_time * u_time) - interval '1 minute' END;
                UPDATE load_app SET
                    created_at = greatest(opens_at, coalesce(submitted_at,
                        opens_at + (least(now(), closes_at) - opens_at) * u_time) - interval '2 days' * u_flag),
                    step = least(interval '3 days', (now() - coalesce(submitted_at, opens_at)) / 8);
                """
            )
        reviewed = "('returned','district_rejected','district_approved','city_review','approved','city_rejected')"
        accepted = (
            "('district_review','returned','district_rejected','district_approved','city_review','approved',"
            "'city_rejected')"
        )
        amount = "round((20000 + a.u_amt * a.u_amt * 3000000)::numeric, -2)"
        return insert_select(
            Application,
            {
                "created_at": "a.created_at",
                "updated_at": "coalesce(a.submitted_at + a.step * 4, a.created_at)",
                "enterprise_id": "a.enterprise_id",
                "round_id": "a.round_id",
                "district_id": "a.district_id",
                "item_id": "a.item_id",
                "state": "a.state",
                "declared": "jsonb_build_object('main_revenue', (" + amount + " * 40)::text, 'employees', "
                "(20 + floor(a.u_flag * 900))::int, 'rd_expense', (" + amount + " * 3)::text)",
                "eligibility": "jsonb_build_object('eligible', a.u_flag > 0.1, 'reasons', jsonb_build_array("
                "jsonb_build_object('passed', true, 'criterion', '在杭注册', 'message', "
                "'在杭注册：企业信息显示“在杭注册并纳税”为是（申报条件第一条）'), "
                "jsonb_build_object('passed', true, 'criterion', '在库并上报统计报表（入库纳统）', 'message', "
                "'在库并上报统计报表（入库纳统）：企业信息显示“在库并上报统计报表”为是（申报条件第二条）'), "
                "jsonb_build_object('passed', null, 'criterion', '无重大违法违规记录', 'message', "
                "'需人工核验：近三年无重大违法违规记录，以信用中国查询结果为准。'), "
                "jsonb_build_object('passed', a.u_flag > 0.1, 'criterion', '上年度主营业务收入', 'message', "
                "'上年度主营业务收入 ' || (" + amount + " * 40)::text || ' 元（申报条件第三条）')))",
                "suggested_amount": f"CASE WHEN a.state = 'draft' THEN NULL ELSE {amount} END",
                "amount_working": "jsonb_build_array('上年度研发投入 ' || (" + amount + " * 3)::text || ' 元 × 1/3', "
                "'单个企业最高不超过 3,000,000.00 元。', '建议金额 ' || " + amount + "::text || ' 元。')",
                "amount": f"CASE WHEN a.state = 'approved' THEN round({amount} * 0.9, -2) END",
                "submitted_at": "a.submitted_at",
                "accepted_at": f"CASE WHEN a.state IN {accepted} THEN a.submitted_at + a.step END",
                "review_deadline": f"CASE WHEN a.state IN {accepted} THEN a.submitted_at + a.step + interval '14 "
                "days' END",
                "review_overdue": "a.state IN ('submitted', 'district_review') AND a.u_flag < 0.2",
                "review_cycle": f"CASE WHEN a.state IN {accepted} THEN 1 ELSE 0 END",
                "supplement_request": "CASE WHEN a.state = 'returned' THEN '请补充上年度审计报告及纳税证明。' "
                "ELSE '' END",
                "supplement_deadline": "CASE WHEN a.state = 'returned' THEN a.submitted_at + a.step * 2 + "
                "interval '10 days' END",
                "district_reviewer_id": f"CASE WHEN a.state IN {reviewed} THEN rv.user_id END",
                "district_decided_at": f"CASE WHEN a.state IN {reviewed} THEN a.submitted_at + a.step * 2 END",
                "city_list_id": "NULL",
                "city_approver_id": f"CASE WHEN a.state IN ('approved', 'city_rejected') THEN {city or 'NULL'} END",
                "city_decided_at": "CASE WHEN a.state IN ('approved', 'city_rejected') THEN a.submitted_at + a.step "
                "* 4 END",
                "commitment_text": "CASE WHEN a.submitted_at IS NULL THEN '' "
                "ELSE '本企业承诺所报材料真实、准确、完整。' END",
                "commitment_signed_by_id": "CASE WHEN a.submitted_at IS NULL THEN NULL ELSE a.user_id END",
                "commitment_signed_at": "a.submitted_at",
                "created_by_id": "a.user_id",
            },
            "FROM load_app a LEFT JOIN load_rev rv ON rv.district_id = a.district_id ORDER BY a.g",
        )

    def _application_events(self) -> int:
        path = values_sql(
            [
                (state, i, action, src, dst, step)
                for state, steps in APP_PATHS.items()
                for i, (action, src, dst, step) in enumerate(steps)
            ]
        )
        reasons = values_sql(list(REASONS.items()))
        return insert_select(
            ApplicationEvent,
            {
                "application_id": "x.id",
                "actor_id": "CASE WHEN p.action IN ('create','submit','withdraw','resubmit') THEN x.created_by_id "
                "WHEN p.action IN ('city_approve','city_reject') THEN x.city_approver_id "
                "WHEN p.action = 'expire' THEN NULL ELSE x.district_reviewer_id END",
                "action": "p.action",
                "from_state": "p.src",
                "to_state": "p.dst",
                "reason": "coalesce(rs.reason, '')",
                "at": "CASE WHEN p.step < 0 THEN x.created_at WHEN x.submitted_at IS NULL "
                "THEN least(now() - interval '1 hour', x.created_at + interval '40 days') "
                "ELSE x.submitted_at + p.step * least(interval '3 days', (now() - x.submitted_at) / 8) END",
                "extra": "CASE WHEN p.action = 'submit' THEN '{\"commitment\": \"signed\"}'::jsonb ELSE '{}'::jsonb "
                "END",
            },
            f"FROM applications_application x "
            f"JOIN (VALUES {path}) AS p(state, i, action, src, dst, step) ON p.state = x.state "
            f"LEFT JOIN (VALUES {reasons}) AS rs(action, reason) ON rs.action = p.action "
            f"WHERE x.enterprise_id IN (SELECT id FROM load_ent) ORDER BY x.id, p.i",
        )

    def _analyze(self) -> int:
        tables = [m._meta.db_table for m in (Enterprise, User, Round, Application, ApplicationEvent, Award, AwardEvent)]
        with connection.cursor() as cur:
            for table in tables:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        return 0
