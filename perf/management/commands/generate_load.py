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
from collections.abc import Sequence
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
from perf.maintenance import triggers_off
from policies.models import PolicyItem, Round

MARK = "QY"  # characters 9–10 of a generated enterprise's credit code
ROUND_PREFIX = "压测批次"
USER_PREFIX = "load_"
SHANGHAI = "Asia/Shanghai"

# Share of enterprises per district (urban districts hold most; the scenic area very few).
DISTRICT_WEIGHTS = {
    "shangcheng": 10,
    "gongshu": 10,
    "xihu": 10,
    "binjiang": 9,
    "xiaoshan": 13,
    "yuhang": 13,
    "linping": 7,
    "qiantang": 7,
    "fuyang": 6,
    "linan": 5,
    "tonglu": 3,
    "chunan": 2,
    "jiande": 3,
    "xihu_scenic": 1,
}
NAME_WORDS = "恒瑞华信达联创鼎盛泰新远博嘉和宏锦睿东海天正元中诚德"
INDUSTRIES = [
    "科技",
    "贸易",
    "制造",
    "电子",
    "物流",
    "生物",
    "医药",
    "软件",
    "机械",
    "食品",
    "纺织",
    "新材料",
    "网络",
    "能源",
]
SIZES = ["large", "medium", "small", "micro"]
SIZE_WEIGHTS = [3, 17, 45, 35]

# Application states by round kind: (state, cumulative share). Open rounds hold the drafts and the
# review queue; closed rounds mostly decided cases, a backlog, and the drafts that expired.
OPEN_STATES = [
    ("draft", 0.25),
    ("submitted", 0.53),
    ("district_review", 0.75),
    ("returned", 0.83),
    ("district_approved", 0.88),
    ("city_review", 0.91),
    ("withdrawn", 0.95),
    ("district_rejected", 1.0),
]
CLOSED_STATES = [
    ("approved", 0.50),
    ("district_rejected", 0.58),
    ("city_rejected", 0.62),
    ("withdrawn", 0.66),
    ("expired", 0.74),
    ("city_review", 0.80),
    ("district_approved", 0.85),
    ("district_review", 0.91),
    ("returned", 0.93),
    ("submitted", 1.0),
]
# History of a case by its state: (action, from, to, step) with step × the case's pace after submission.
APP_PATHS: dict[str, list[tuple[str, str, str, int]]] = {
    "draft": [("create", "", "draft", -1)],
    "expired": [("create", "", "draft", -1), ("expire", "draft", "expired", 6)],
    "submitted": [("create", "", "draft", -1), ("submit", "draft", "submitted", 0)],
    "withdrawn": [
        ("create", "", "draft", -1),
        ("submit", "draft", "submitted", 0),
        ("withdraw", "submitted", "withdrawn", 1),
    ],
}
_REVIEW = [
    ("create", "", "draft", -1),
    ("submit", "draft", "submitted", 0),
    ("accept", "submitted", "district_review", 1),
]
APP_PATHS["district_review"] = _REVIEW
APP_PATHS["returned"] = [*_REVIEW, ("return", "district_review", "returned", 2)]
APP_PATHS["district_rejected"] = [*_REVIEW, ("reject", "district_review", "district_rejected", 2)]
APP_PATHS["district_approved"] = [*_REVIEW, ("approve", "district_review", "district_approved", 2)]
_CITY = [*APP_PATHS["district_approved"], ("submit_to_city", "district_approved", "city_review", 3)]
APP_PATHS["city_review"] = _CITY
APP_PATHS["approved"] = [*_CITY, ("city_approve", "city_review", "approved", 4)]
APP_PATHS["city_rejected"] = [*_CITY, ("city_reject", "city_review", "city_rejected", 4)]
REASONS = {
    "return": "请补充上年度审计报告及纳税证明。",
    "reject": "经核查，企业不符合申报条件。",
    "approve": "材料齐全，符合申报条件。",
    "city_reject": "经市级审定，不予支持。",
    "withdraw": "企业主动撤回。",
    "expire": "申报批次已截止，草稿未在截止前提交，逾期未申报。",
}
# Award states once the claim deadline has passed / while it is still ahead: (state, cumulative share).
AWARD_STATES_PAST = [
    ("claimable", 0.10),  # due: the forfeiture job has not swept it yet
    ("claimed", 0.25),
    ("paid", 0.80),
    ("forfeited", 0.92),
    ("recovering", 0.935),
    ("recovered", 0.95),
    ("cancelled", 1.0),
]
AWARD_STATES_AHEAD = [("claimable", 0.70), ("claimed", 0.90), ("paid", 0.95), ("cancelled", 1.0)]
AWARD_PATHS: dict[str, list[tuple[str, str, str, str]]] = {
    # (action, from, to, column holding the instant)
    "claimable": [("publish", "", "claimable", "created_at")],
    "claimed": [("publish", "", "claimable", "created_at"), ("claim", "claimable", "claimed", "claimed_at")],
    "forfeited": [("publish", "", "claimable", "created_at"), ("forfeit", "claimable", "forfeited", "claim_deadline")],
    "cancelled": [("publish", "", "claimable", "created_at"), ("cancel", "claimable", "cancelled", "updated_at")],
}
AWARD_PATHS["paid"] = [*AWARD_PATHS["claimed"], ("pay", "claimed", "paid", "paid_at")]
AWARD_PATHS["recovering"] = [*AWARD_PATHS["paid"], ("recover", "paid", "recovering", "recovery_started_at")]
AWARD_PATHS["recovered"] = [*AWARD_PATHS["recovering"], ("recovered", "recovering", "recovered", "recovered_at")]


def _case(column: str, table: Sequence[tuple[str, float]]) -> str:
    """SQL CASE picking a state from a uniform random `column` and cumulative shares."""
    arms = " ".join(f"WHEN {column} < {share} THEN '{state}'" for state, share in table[:-1])
    return f"CASE {arms} ELSE '{table[-1][0]}' END"


def _values(rows: Sequence[Sequence[Any]]) -> str:
    def lit(v: Any) -> str:
        return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def insert_select(model: type[models.Model], exprs: dict[str, str], tail: str, params: Sequence[Any] = ()) -> int:
    """INSERT INTO <model's table> SELECT … `tail`: `exprs` gives SQL per column; every other
    concrete column gets the field's Python default as a parameter, so a field added later with a
    default does not break the generator. `exprs` must not contain %-placeholders."""
    columns, select, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in exprs:
            select.append(exprs.pop(field.column))
        else:
            select.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
    if exprs:
        raise CommandError(f"{model._meta.db_table} 没有这些列：{', '.join(exprs)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(select)} {tail}"
    with connection.cursor() as cur:
        cur.execute(sql, [*defaults, *params])
        return cur.rowcount


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
            self._step("奖励（申报兑现）", lambda: self._application_awards(n_award, now))
            n_auto = max(0, n_award - self.counts()["awards"])
            self._step("奖励（免申即享）", lambda: self._auto_awards(n_auto, n_ent, now))
            self._step("奖励历史", self._award_events)
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
        state = (
            f"CASE WHEN s.is_open THEN {_case('s.u_state', OPEN_STATES)} ELSE {_case('s.u_state', CLOSED_STATES)} END"
        )
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
        path = _values(
            [
                (state, i, action, src, dst, step)
                for state, steps in APP_PATHS.items()
                for i, (action, src, dst, step) in enumerate(steps)
            ]
        )
        reasons = _values(list(REASONS.items()))
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

    # --- awards -------------------------------------------------------------------------------------

    def _award_exprs(self, src: str) -> dict[str, str]:
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
            "claimed_by_id": f"CASE WHEN {src}.state IN ('claimed','paid','recovering','recovered') THEN "
            f"{src}.user_id END",
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

    def _award_state_sql(self, u: str) -> str:
        return (
            f"CASE WHEN claim_deadline > now() THEN {_case(u, AWARD_STATES_AHEAD)} "
            f"ELSE {_case(u, AWARD_STATES_PAST)} END"
        )

    def _application_awards(self, n_award: int, now: datetime) -> int:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS load_award")
            cur.execute(
                f"""
                CREATE TEMP TABLE load_award AS
                SELECT w.*, {self._award_state_sql("w.u")} AS state FROM (
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
                **self._award_exprs("w"),
            },
            "FROM load_award w ORDER BY w.g",
        )

    def _auto_awards(self, n_auto: int, n_ent: int, now: datetime) -> int:
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
                SELECT w.*, {self._award_state_sql("w.u")} AS state FROM (
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
                **self._award_exprs("w"),
            },
            "FROM load_auto w ORDER BY w.g",
        )

    def _award_events(self) -> int:
        path = _values(
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

    def _analyze(self) -> int:
        tables = [m._meta.db_table for m in (Enterprise, User, Round, Application, ApplicationEvent, Award, AwardEvent)]
        with connection.cursor() as cur:
            for table in tables:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        return 0
