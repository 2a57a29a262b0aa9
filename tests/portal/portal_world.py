"""A small world for the portal tests, built with the ORM: two districts, the 上城区 bureau and
its co-review department, a city approver, a fund officer, and one policy item with a round.

Shared by tests/portal (Django test client) and tests/browser/portal (Playwright).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PASSWORD = "Hz-portal-2026!"

MATERIALS = [{"kind": "license", "label": "营业执照复印件", "required": True}]
DECLARED_FIELDS = [
    {
        "key": "retail_sales",
        "label": "2022年下半年零售额",
        "type": "number",
        "unit": "元",
        "required": True,
        "min": 0,
        "help": "以统计部门数据为准。",
    }
]
AMOUNT_RULE = {
    "kind": "percent",
    "percent": 1,
    "cap_yuan": None,
    "base_field": "retail_sales",
    "base_label": "2022年下半年零售额",
    "per": "一次性",
    "tiers": [],
}


@dataclass
class World:
    districts: dict[str, Any]
    reviewer: Any
    co_reviewers: dict[str, Any]
    city_approver: Any
    fund_officer: Any
    document: Any
    item: Any
    round: Any
    extra: dict[str, Any] = field(default_factory=dict)


def build_world(*, review_departments: tuple[str, ...] = ("finance", "tax")) -> World:
    from accounts.models import District, Organisation, Role, User
    from policies.models import PolicyDocument, PolicyItem, Round

    shangcheng = District.objects.create(code="shangcheng", name="上城区", sort_order=1)
    xihu = District.objects.create(code="xihu", name="西湖区", sort_order=4)
    bureau = Organisation.objects.create(
        name="上城区商务局", level="district", district=shangcheng, function="commerce", handles=["commerce", "economy"]
    )
    city = Organisation.objects.create(
        name="杭州市商务局", level="city", function="commerce", handles=["commerce", "economy"]
    )
    fund_org = Organisation.objects.create(
        name="上城区财政局（兑现）", level="district", district=shangcheng, function="finance"
    )
    names = {"finance": "上城区财政局", "tax": "上城区税务局", "market": "上城区市场监管局", "drc": "上城区发改局"}
    co_reviewers = {}
    for function in review_departments:
        org = Organisation.objects.create(
            name=names[function], level="district", district=shangcheng, function=function
        )
        co_reviewers[function] = User.objects.create_user(
            username=f"co_{function}",
            password=PASSWORD,
            role=Role.CO_REVIEWER,
            organisation=org,
            display_name=f"{names[function]}经办人",
        )
    reviewer = User.objects.create_user(
        username="rev_sc", password=PASSWORD, role=Role.DISTRICT_REVIEWER, organisation=bureau, display_name="王审核"
    )
    approver = User.objects.create_user(
        username="city_ok", password=PASSWORD, role=Role.CITY_APPROVER, organisation=city, display_name="李审定"
    )
    fund = User.objects.create_user(
        username="fund_sc", password=PASSWORD, role=Role.FUND_OFFICER, organisation=fund_org, display_name="赵兑现"
    )
    document = PolicyDocument.objects.create(
        code="T14",
        title="支持商贸头部企业发展政策实施细则",
        doc_no="杭商务〔2023〕12号",
        issuer="杭州市商务局",
        effective_from=date(2023, 1, 1),
        lead_department="杭州市商务局",
    )
    item = PolicyItem.objects.create(
        code="SP-T01",
        document=document,
        name="商贸头部企业零售额奖励",
        bureau_function="commerce",
        description="对2022年下半年零售额达到标准的在杭销售结算总部，按零售额的1%给予一次性奖励。",
        review_departments=list(review_departments),
        materials=MATERIALS,
        declared_fields=DECLARED_FIELDS,
        eligibility=[],
        amount_rule=AMOUNT_RULE,
        funding={"city_percent": 50, "district_percent": 50},
        detailed=True,
    )
    now = timezone.now()
    round_ = Round.objects.create(
        item=item,
        name="2023年第一批（零售额奖励）",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=12),
        performance_from=date(2022, 7, 1),
        performance_to=date(2022, 12, 31),
    )
    return World(
        {"shangcheng": shangcheng, "xihu": xihu}, reviewer, co_reviewers, approver, fund, document, item, round_
    )


def make_enterprise_user(
    world: World,
    *,
    name: str = "杭州示例商贸有限公司",
    body17: str = "91330102MA2H00001",
    username: str = "ent_user",
    district: str = "shangcheng",
    admin: bool = True,
) -> Any:
    from accounts.models import Role, User
    from enterprises.credit_code import make_code
    from enterprises.models import Enterprise

    enterprise = Enterprise.objects.create(
        name=name,
        credit_code=make_code(body17),
        district=world.districts[district],
        bank_name="中国工商银行杭州分行",
        bank_account_name=name,
        bank_account_no="1202020009900012345",
    )
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        is_enterprise_admin=admin,
        display_name="张企业",
        email=f"{username}@example.com",
    )


def add_items(world: World, count: int) -> None:
    """`count` more items in the same document, each with an open round, some with criteria."""
    from policies.models import PolicyItem, Round

    now = timezone.now()
    for i in range(count):
        eligibility = (
            [
                {"type": "designation", "label": "限上批发零售企业", "tags": ["above_quota_trade"], "cite": "T L1"},
                {"type": "size_class", "label": "中小微企业", "in": ["medium", "small", "micro"], "cite": "T L2"},
                {"type": "text", "label": "依法纳税", "text": "近三年无重大税收违法行为。", "cite": "T L3"},
            ]
            if i % 2
            else []
        )
        item = PolicyItem.objects.create(
            code=f"SP-X{i:03d}",
            document=world.document,
            name=f"测试政策事项{i}",
            bureau_function="commerce",
            materials=MATERIALS,
            declared_fields=DECLARED_FIELDS,
            eligibility=eligibility,
            amount_rule=AMOUNT_RULE,
        )
        Round.objects.create(
            item=item, name=f"测试批次{i}", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5)
        )
        if i % 3 == 0:
            Round.objects.create(
                item=item, name=f"下一批次{i}", opens_at=now + timedelta(days=30), closes_at=now + timedelta(days=40)
            )


def pdf_upload(name: str = "营业执照.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def approve_through_city(world: World, application_id: int):
    """Opinions from every co-review department, district approval, the city list, city approval."""
    from applications import services
    from applications.models import Application
    from reviews.services import city_list_create, city_list_submit, opinion_create

    for officer in world.co_reviewers.values():
        opinion_create(actor=officer, application_id=application_id, decision="agree", remarks="经核查无异议。")
    services.application_approve(actor=world.reviewer, application_id=application_id)
    application = Application.objects.get(pk=application_id)
    city_list = city_list_create(actor=world.reviewer, round_id=application.round_id, application_ids=[application_id])
    city_list_submit(actor=world.reviewer, city_list_id=city_list.pk)
    application.refresh_from_db()
    return services.application_city_approve(
        actor=world.city_approver, application_id=application_id, amount=application.suggested_amount
    )
