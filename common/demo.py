"""Building the demo (SPEC §9 `seed_demo`): reference data, rounds, and cases in every state.

Idempotent: reference data is upserted; rounds are found by name; the demo cases are created
only when the demo enterprises have none. Every case is moved through the real services, so
its history and notifications are what a real case would have; rounds of past years are open
while the cases are built and are then moved to their historical windows.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import District, Organisation, Role, User
from applications import services as app_services
from applications.models import Application
from applications.rules import assess
from applications.scanning import material_scan
from applications.workflow import State
from awards import services as award_services
from awards.models import Award
from common.timeutil import end_of_day_exclusive, local_date, start_of_day
from enterprises.credit_code import make_code
from enterprises.models import Designation, Enterprise
from policies.models import PolicyItem, Round
from reviews import services as review_services

from .demo_refdata import (
    DEMO_PASSWORD,
    DEPARTMENT_NAMES,
    DEPARTMENT_USER_PREFIX,
    DISTRICTS,
    ENTERPRISES,
    OFFICIALS,
)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_reference_data() -> dict[str, Any]:
    """Districts, organisations, demo users and enterprises (upserted)."""
    districts = {}
    for order, (code, name, kind, division) in enumerate(DISTRICTS):
        districts[code], _ = District.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "division_code": division, "sort_order": order}
        )
    orgs: dict[str, Organisation] = {}

    def org(
        key: str, name: str, level: str, district: District | None, function: str, handles: list[str]
    ) -> Organisation:
        orgs[key], _ = Organisation.objects.update_or_create(
            name=name, defaults={"level": level, "district": district, "function": function, "handles": handles}
        )
        return orgs[key]

    org("city:commerce", "杭州市商务局", "city", None, "commerce", ["commerce", "economy"])
    org("city:economy", "杭州市经济和信息化局", "city", None, "economy", ["economy"])
    org("city:audit", "杭州市审计局", "city", None, "audit", [])
    for code in ("shangcheng", "xihu"):
        d = districts[code]
        # The demo's district 商务局 also handles the 经信 policies, so one reviewer account per
        # district can walk all three seed policies (SPEC §9 names only these two reviewers).
        org(f"bureau:{code}", f"{d.name}商务局", "district", d, "commerce", ["commerce", "economy"])
        for function, suffix in DEPARTMENT_NAMES.items():
            org(f"dept:{code}:{function}", f"{d.name}{suffix}", "district", d, function, [])
    users = {}
    for username, display, role, org_key in OFFICIALS:
        users[username] = _user(username, display=display, role=role, organisation=orgs[org_key])
    enterprises = {}
    for username, name, district_code, body, profile, tags in ENTERPRISES:
        enterprise, _ = Enterprise.objects.update_or_create(
            credit_code=make_code(body),
            defaults={
                "name": name,
                "district": districts[district_code],
                "bank_account_name": name,
                "contact_name": f"{name[2:4]}经办人",
                "contact_phone": "0571-87000000",
                **profile,
            },
        )
        for tag, granted in tags:
            Designation.objects.update_or_create(
                enterprise=enterprise, tag=tag, granted_on=granted, defaults={"first_time": True, "source": "演示数据"}
            )
        enterprises[username] = enterprise
        users[username] = _user(
            username, display=f"{name}管理员", role=Role.ENTERPRISE, enterprise=enterprise, admin=True
        )
    return {"districts": districts, "orgs": orgs, "users": users, "enterprises": enterprises}


def _user(
    username: str,
    *,
    display: str,
    role: str,
    organisation: Organisation | None = None,
    enterprise: Enterprise | None = None,
    admin: bool = False,
) -> User:
    user, created = User.objects.get_or_create(username=username)
    user.display_name = display
    user.role = role
    user.organisation = organisation
    user.enterprise = enterprise
    user.is_enterprise_admin = admin
    user.email = f"{username}@demo.hz.gov.cn" if enterprise is None else f"{username}@example.com"
    user.is_staff = role == Role.POLICY_ADMIN
    user.is_superuser = role == Role.POLICY_ADMIN
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
    user.save()
    return user


# --- rounds -------------------------------------------------------------------------------------


@dataclass
class RoundSpec:
    item: str
    name: str
    opens: date
    closes_last_day: date
    performance: tuple[date, date] | None = None
    budget: Decimal | None = None


def _round(spec: RoundSpec, *, open_now: bool = False) -> Round:
    """Find or create a round by item and name; with open_now its window includes this instant."""
    item = PolicyItem.objects.get(code=spec.item)
    defaults = {
        "opens_at": start_of_day(spec.opens),
        "closes_at": end_of_day_exclusive(spec.closes_last_day),
        "performance_from": spec.performance[0] if spec.performance else None,
        "performance_to": spec.performance[1] if spec.performance else None,
        "budget": spec.budget,
    }
    round_, created = Round.objects.get_or_create(item=item, name=spec.name, defaults=defaults)
    if open_now and created:
        now = timezone.now()
        Round.objects.filter(pk=round_.pk).update(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
        round_.refresh_from_db()
    return round_


def seed_rounds() -> dict[str, Round]:
    """Open rounds for every fully encoded item whose policy is in force today (past rounds for the rest)."""
    today = local_date()
    rounds = {}
    for item in PolicyItem.objects.filter(detailed=True).select_related("document"):
        if item.in_force_on(today):
            spec = RoundSpec(
                item.code,
                f"{item.name}（{today.year}年申报）",
                today - timedelta(days=10),
                today + timedelta(days=40),
                _performance(item, today.year - 1),
            )
            rounds[f"open:{item.code}"] = _round(spec)
    return rounds


def _performance(item: PolicyItem, year: int) -> tuple[date, date]:
    if item.code == "SP-029":  # 003 L300: the rewarded period is 2022-07-01…12-31
        return date(2022, 7, 1), date(2022, 12, 31)
    return date(year, 1, 1), date(year, 12, 31)


PAST_ROUNDS = {
    "p14": RoundSpec(
        "SP-029",
        "商贸头部企业零售额奖励（2023年1月申报）",
        date(2023, 1, 1),
        date(2023, 1, 31),
        (date(2022, 7, 1), date(2022, 12, 31)),
        Decimal("200000000"),
    ),
    "sp001": RoundSpec(
        "SP-001",
        "首次上规纳统奖励（2025年度）",
        date(2025, 3, 1),
        date(2025, 3, 31),
        (date(2024, 1, 1), date(2024, 12, 31)),
    ),
    "sp004": RoundSpec(
        "SP-004",
        "新升规企业技改补助（2025年度）",
        date(2025, 3, 1),
        date(2025, 3, 31),
        (date(2024, 1, 1), date(2024, 12, 31)),
    ),
    "sp011": RoundSpec(
        "SP-011",
        "专精特新企业技改补助（2025年度）",
        date(2025, 5, 1),
        date(2025, 5, 31),
        (date(2024, 1, 1), date(2024, 12, 31)),
    ),
    "sp009": RoundSpec(
        "SP-009",
        "专精特新梯度培育奖励（2025年度）",
        date(2025, 5, 1),
        date(2025, 5, 31),
        (date(2024, 1, 1), date(2024, 12, 31)),
    ),
    "sp012": RoundSpec(
        "SP-012",
        "品牌榜单奖励（2025年度）",
        date(2025, 5, 1),
        date(2025, 5, 31),
        (date(2024, 1, 1), date(2024, 12, 31)),
    ),
}


# --- cases ----------------------------------------------------------------------------------------


def _fill(item: PolicyItem, overrides: dict[str, Any]) -> dict[str, Any]:
    declared: dict[str, Any] = {}
    for f in item.declared_fields:
        key = f["key"]
        if key in overrides:
            declared[key] = overrides[key]
            continue
        if f.get("options"):
            first = f["options"][0]
            declared[key] = first["value"] if isinstance(first, dict) else first
        elif f.get("type") == "number":
            declared[key] = str(max(Decimal(str(f.get("min") or 0)), Decimal("8000000")))
        elif f.get("type") == "date":
            declared[key] = "2024-12-31"
        elif f.get("type") == "boolean":
            declared[key] = True
        else:
            declared[key] = "演示数据"
    return declared


class CaseBuilder:
    def __init__(self, ref: dict[str, Any]) -> None:
        self.users: dict[str, User] = ref["users"]

    def ent_user(self, key: str) -> User:
        return self.users[key]

    def draft(self, ent: str, round_: Round, **figures: Any) -> Application:
        user = self.ent_user(ent)
        app = app_services.application_create(actor=user, round_id=round_.pk, declared=_fill(round_.item, figures))
        for m in round_.item.materials:
            upload = SimpleUploadedFile(f"{m['kind']}.pdf", PDF, content_type="application/pdf")
            material = app_services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=upload)
            # Scanned here, as the worker would after commit: the demo submits right away (R14).
            material_scan(material_id=material.pk)
        return app

    def submitted(self, ent: str, round_: Round, **figures: Any) -> Application:
        app = self.draft(ent, round_, **figures)
        return app_services.application_submit(actor=self.ent_user(ent), application_id=app.pk, commitment_signed=True)

    def reviewer(self, app: Application) -> User:
        return self.users["rev_shangcheng" if app.district.code == "shangcheng" else "rev_xihu"]

    def fund(self, app: Application) -> User:
        return self.users["fund_shangcheng" if app.district.code == "shangcheng" else "fund_xihu"]

    def accepted(self, ent: str, round_: Round, **figures: Any) -> Application:
        app = self.submitted(ent, round_, **figures)
        return app_services.application_accept(actor=self.reviewer(app), application_id=app.pk)

    def opinions(self, app: Application, disagree: str | None = None) -> None:
        for function in app.item.review_departments:
            officer = self.users[f"{DEPARTMENT_USER_PREFIX[function]}_{app.district.code}"]
            decision = "disagree" if function == disagree else "agree"
            remarks = "经核查，企业申报数据与本部门掌握情况不符。" if decision == "disagree" else "经核查，未发现异常。"
            review_services.opinion_create(actor=officer, application_id=app.pk, decision=decision, remarks=remarks)

    def district_approved(self, ent: str, round_: Round, **figures: Any) -> Application:
        app = self.accepted(ent, round_, **figures)
        self.opinions(app)
        return app_services.application_approve(
            actor=self.reviewer(app), application_id=app.pk, reason="材料齐全，符合申报条件。"
        )

    def to_city(self, apps: list[Application]) -> None:
        by_list: dict[tuple[int, int], list[Application]] = {}
        for app in apps:
            by_list.setdefault((app.district_id, app.round_id), []).append(app)
        for (_, round_id), group in by_list.items():
            reviewer = self.reviewer(group[0])
            city_list = review_services.city_list_create(
                actor=reviewer, round_id=round_id, application_ids=[a.pk for a in group]
            )
            review_services.city_list_submit(actor=reviewer, city_list_id=city_list.pk)

    def city_approve(self, app: Application, fraction: Decimal = Decimal(1)) -> Application:
        app.refresh_from_db()
        result = assess(app)
        amount = result.suggested_amount or result.maximum or Decimal("100000")
        if result.maximum is not None:
            amount = min(amount, result.maximum)
        amount = (amount * fraction).quantize(Decimal("0.01"))
        return app_services.application_city_approve(
            actor=self.users["city_approver"], application_id=app.pk, amount=amount
        )

    def publish(self, app: Application, deadline: datetime) -> Award:
        award_services.awards_publish(
            actor=self.fund(app), round_id=app.round_id, claim_deadline=deadline, application_ids=[app.pk]
        )
        return Award.objects.get(application=app)


@transaction.atomic
def seed_cases(ref: dict[str, Any]) -> int:
    """Cases in every application and award state, in past rounds (and one upcoming round)."""
    b = CaseBuilder(ref)
    r = {key: _round(spec, open_now=True) for key, spec in PAST_ROUNDS.items()}
    today = local_date()
    upcoming = _round(
        RoundSpec(
            "SP-001",
            f"首次上规纳统奖励（{today.year + 1}年预告）",
            today + timedelta(days=12),
            today + timedelta(days=45),
            (date(today.year, 1, 1), date(today.year, 12, 31)),
        )
    )
    claim_by = end_of_day_exclusive(today + timedelta(days=30))

    # 商贸头部企业 (003 L291-330), 上城区
    a_p14 = b.district_approved("ent_a", r["p14"], retail_sales_2022h2="3250000000")
    c_p14 = b.district_approved("ent_c", r["p14"], retail_sales_2022h2="3100000000")
    e5_p14 = b.district_approved("demo_e5", r["p14"], retail_sales_2022h2="3050000000")
    e4_p14 = b.accepted("demo_e4", r["p14"], retail_sales_2022h2="2500000000")
    b.opinions(e4_p14, disagree="tax")
    app_services.application_reject(
        actor=b.reviewer(e4_p14),
        application_id=e4_p14.pk,
        reason="2022年下半年零售额25亿元，未达到30亿元的奖励条件（003 L303）。",
    )
    e8_p14 = b.accepted("demo_e8", r["p14"], retail_sales_2022h2="3300000000")
    app_services.application_return(
        actor=b.reviewer(e8_p14),
        application_id=e8_p14.pk,
        reason="董事会纪要未体现新设公司数据来源大于杭州地区，请补充完整的董事会纪要（003 L309）。",
    )
    b.to_city([a_p14, c_p14, e5_p14])
    b.city_approve(a_p14)
    b.city_approve(c_p14, Decimal("0.9"))
    a_award = b.publish(a_p14, claim_by)
    b.publish(c_p14, claim_by)  # ent_c: claimable
    award_services.award_claim(actor=b.ent_user("ent_a"), award_id=a_award.pk, commitment_signed=True)
    award_services.award_pay(
        actor=b.fund(a_p14), award_id=a_award.pk, reference="SC-2023-0001", paid_on=today - timedelta(days=1)
    )

    # 杭政办函〔2024〕3号 首次上规奖励 and 技改补助, 西湖区
    b_001 = b.district_approved("ent_b", r["sp001"])
    e6_001 = b.district_approved("demo_e6", r["sp001"])
    e7_001 = b.district_approved("demo_e7", r["sp001"])
    b_004 = b.district_approved("ent_b", r["sp004"])
    b.district_approved("demo_e6", r["sp004"])  # stays district_approved
    e7_004 = b.submitted("demo_e7", r["sp004"])
    app_services.application_withdraw(
        actor=b.ent_user("demo_e7"), application_id=e7_004.pk, reason="技改项目延期，撤回申报。"
    )
    b_011 = b.district_approved("ent_b", r["sp011"])
    e6_009 = b.district_approved("demo_e6", r["sp009"])
    e7_009 = b.district_approved("demo_e7", r["sp009"])
    b.to_city([b_001, e6_001, e7_001, b_004, b_011, e6_009, e7_009])
    b.city_approve(b_001)
    b.city_approve(e6_001)
    app_services.application_city_reject(
        actor=b.users["city_approver"],
        application_id=e7_001.pk,
        reason="经市统计局核对，企业首次上规纳统时间不在本奖励年度。",
    )
    b.city_approve(b_004)
    b.city_approve(b_011, Decimal("0.5"))
    b.city_approve(e6_009)
    b.city_approve(e7_009)
    award_b001 = b.publish(b_001, claim_by)
    award_services.award_claim(actor=b.ent_user("ent_b"), award_id=award_b001.pk, commitment_signed=True)  # claimed
    award_e6 = b.publish(e6_001, claim_by)
    b.publish(b_004, claim_by)
    b.publish(b_011, claim_by)  # 从优、就高、不重复: the lower of the two 技改 awards is cancelled
    for app, reference in ((e6_009, "XH-2025-0101"), (e7_009, "XH-2025-0102")):
        award = b.publish(app, claim_by)
        owner = app.enterprise.users.get()
        award_services.award_claim(actor=owner, award_id=award.pk, commitment_signed=True)
        award_services.award_pay(
            actor=b.fund(app), award_id=award.pk, reference=reference, paid_on=today - timedelta(days=20)
        )
        award_services.award_recover(
            actor=b.fund(app),
            award_id=award.pk,
            reason="经查实企业存在统计违法行为，依规归还奖励资金并列入失信名录（003 L320）。",
        )
        if app is e7_009:
            award_services.award_mark_recovered(actor=b.fund(app), award_id=award.pk, reason="奖励资金已全额退回。")

    # 品牌榜单奖励: submitted, under review, expired draft
    e8_012 = b.submitted("demo_e8", r["sp012"])
    e4_012 = b.accepted("demo_e4", r["sp012"])
    b.opinions(e4_012)
    e5_012 = b.draft("demo_e5", r["sp012"])
    # A draft for a round that opens soon (the open rounds themselves start empty).
    b.draft("demo_e5", upcoming)

    # Move the past rounds to their historical windows, then let the system act as it would have.
    for key, spec in PAST_ROUNDS.items():
        Round.objects.filter(pk=r[key].pk).update(
            opens_at=start_of_day(spec.opens), closes_at=end_of_day_exclusive(spec.closes_last_day)
        )
    app_services.application_transition(
        application_id=e5_012.pk, action="expire", actor=None, reason="申报期已截止，草稿未提交。"
    )
    Award.objects.filter(pk=award_e6.pk).update(claim_deadline=timezone.now() - timedelta(seconds=1))
    award_services.award_transition(
        award_id=award_e6.pk, action="forfeit", actor=None, reason="未如期申领，视为自动放弃（003 L317）。"
    )
    _ = (e8_012, e4_012)
    return Application.objects.count()


def seed_demo() -> dict[str, Any]:
    """Load policies, reference data, open rounds and the demo cases. Safe to run again."""
    from policies.loader import load_all

    loaded = load_all()
    ref = seed_reference_data()
    rounds = seed_rounds()
    from policies.push import open_rounds_push

    open_rounds_push()
    demo_ids = [e.pk for e in ref["enterprises"].values()]
    created_cases = 0
    if not Application.objects.filter(enterprise_id__in=demo_ids).exists():
        created_cases = seed_cases(ref)
    states = {s: Application.objects.filter(enterprise_id__in=demo_ids, state=s).count() for s in State.values}
    return {"policies": loaded, "open_rounds": len(rounds), "cases_created": created_cases, "states": states}
