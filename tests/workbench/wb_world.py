"""A world for the workbench tests, built with the ORM: two districts, the 上城区 bureau with its
four co-review departments, the 西湖区 bureau, the city bureau, fund officers, a policy
administrator, an auditor, one policy item (1% of retail sales, 会审 market/tax/drc/finance) and
an open round.

Shared by tests/workbench (Django test client) and tests/browser/workbench (Playwright). Cases in
a given state are made with the ORM (`make_case`) for the list and query-count tests, and through
the services (`submit_case`) where the walk matters.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PASSWORD = "Hz-workbench-2026!"
DEPARTMENTS = ("market", "tax", "drc", "finance")
DEPARTMENT_NAMES = {
    "market": "上城区市场监管局",
    "tax": "上城区税务局",
    "drc": "上城区发改局",
    "finance": "上城区财政局",
}
MATERIALS = [
    {"kind": "application_form", "label": "申请表（加盖公章）", "required": True},
    {"kind": "sales_proof", "label": "零售额证明材料", "required": False},
]
DECLARED_FIELDS = [
    {
        "key": "retail_sales",
        "label": "2022年下半年零售额",
        "type": "number",
        "unit": "元",
        "required": True,
        "min": 0,
        "help": "与报送统计部门的数据一致。",
    }
]
ELIGIBILITY = [
    {"type": "enterprise_flag", "label": "在库并上报统计报表", "flag": "in_statistics_db", "cite": "003 L300"},
    {"type": "text", "label": "销售结算总部", "text": "2022年在杭新设立销售结算总部，由属地核实。", "cite": "003 L297"},
]
AMOUNT_RULE = {
    "kind": "percent",
    "percent": 1,
    "bound": "max",
    "base_field": "retail_sales",
    "base_label": "2022年下半年零售额",
    "cap_yuan": None,
    "per": "一次性",
    "cite": "003 L299, L303",
}


@dataclass
class World:
    districts: dict[str, Any]
    users: dict[str, Any]
    item: Any
    round: Any
    group: Any
    enterprise: Any
    counter: list[int] = field(default_factory=lambda: [0])
    extra: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    from accounts.models import District, Organisation, Role, User
    from policies.models import ExclusivityGroup, PolicyDocument, PolicyItem, Round

    sc = District.objects.create(code="shangcheng", name="上城区", sort_order=1)
    xh = District.objects.create(code="xihu", name="西湖区", sort_order=4)
    sc_bureau = Organisation.objects.create(
        name="上城区商务局", level="district", district=sc, function="commerce", handles=["commerce", "economy"]
    )
    xh_bureau = Organisation.objects.create(
        name="西湖区商务局", level="district", district=xh, function="commerce", handles=["commerce", "economy"]
    )
    city = Organisation.objects.create(
        name="杭州市商务局", level="city", function="commerce", handles=["commerce", "economy"]
    )
    audit = Organisation.objects.create(name="杭州市审计局", level="city", function="audit")
    sc_fund = Organisation.objects.create(name="上城区财政局（兑现）", level="district", district=sc, function="other")
    xh_fund = Organisation.objects.create(name="西湖区财政局（兑现）", level="district", district=xh, function="other")

    def user(username: str, role: str, org: Any, name: str) -> Any:
        return User.objects.create_user(
            username=username, password=PASSWORD, role=role, organisation=org, display_name=name
        )

    users = {
        "rev_sc": user("rev_sc", Role.DISTRICT_REVIEWER, sc_bureau, "王审核"),
        "rev_xh": user("rev_xh", Role.DISTRICT_REVIEWER, xh_bureau, "李审核"),
        "city": user("city", Role.CITY_APPROVER, city, "赵审定"),
        "fund_sc": user("fund_sc", Role.FUND_OFFICER, sc_fund, "钱兑现"),
        "fund_xh": user("fund_xh", Role.FUND_OFFICER, xh_fund, "孙兑现"),
        "admin": user("admin", Role.POLICY_ADMIN, city, "周管理"),
        "auditor": user("auditor", Role.AUDITOR, audit, "吴审计"),
    }
    for function in DEPARTMENTS:
        org = Organisation.objects.create(
            name=DEPARTMENT_NAMES[function], level="district", district=sc, function=function
        )
        users[f"co_{function}"] = user(f"co_{function}", Role.CO_REVIEWER, org, f"{DEPARTMENT_NAMES[function]}经办人")

    document = PolicyDocument.objects.create(
        code="WB1",
        title="支持商贸头部企业发展政策实施细则",
        doc_no="杭商务〔2023〕1号",
        issuer="杭州市商务局",
        effective_from=date(2023, 1, 1),
        source_seed="003_32cd36ea271cae91.txt",
        source_lines="296-333",
    )
    group = ExclusivityGroup.objects.create(code="trade-hq", name="商贸企业奖励")
    item = PolicyItem.objects.create(
        code="WB-001",
        document=document,
        name="商贸头部企业零售额奖励",
        bureau_function="commerce",
        lead="市商务局",
        review_departments=list(DEPARTMENTS),
        materials=MATERIALS,
        declared_fields=DECLARED_FIELDS,
        eligibility=ELIGIBILITY,
        amount_rule=AMOUNT_RULE,
        exclusivity_group=group,
        detailed=True,
        funding={"city_percent": 50, "district_percent": 50, "district_pays_first": True},
        source_seed="003_32cd36ea271cae91.txt",
        source_lines="299-303",
        description="对2022年新设立的销售结算总部，按不超过其2022年下半年零售额1%给予一次性奖励。",
    )
    now = timezone.now()
    round_ = Round.objects.create(
        item=item,
        name="商贸头部企业零售额奖励（2023年第一批）",
        performance_from=date(2022, 7, 1),
        performance_to=date(2022, 12, 31),
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=30),
        budget=Decimal("100000000.00"),
    )
    world = World(districts={"sc": sc, "xh": xh}, users=users, item=item, round=round_, group=group, enterprise=None)
    world.enterprise = make_enterprise(world, name="杭州示例商贸有限公司")
    ent_user = User.objects.create_user(
        username="ent_a",
        password=PASSWORD,
        role=Role.ENTERPRISE,
        enterprise=world.enterprise,
        display_name="企业经办人",
    )
    users["ent_a"] = ent_user
    return world


def make_enterprise(world: World, *, name: str | None = None, district: str = "sc") -> Any:
    from enterprises.credit_code import make_code
    from enterprises.models import Designation, Enterprise, SizeClass, Tag

    world.counter[0] += 1
    n = world.counter[0]
    enterprise = Enterprise.objects.create(
        name=name or f"杭州测试商贸第{n:03d}有限公司",
        credit_code=make_code(f"91330102MA{n:07d}"),
        district=world.districts[district],
        size_class=SizeClass.MEDIUM,
        industry="零售业",
        in_statistics_db=True,
        bank_name="杭州银行",
        bank_account_name=name or f"杭州测试商贸第{n:03d}有限公司",
        bank_account_no=f"3301{n:012d}",
    )
    Designation.objects.create(enterprise=enterprise, tag=Tag.ABOVE_QUOTA_TRADE, granted_on=date(2021, 3, 1))
    Designation.objects.create(enterprise=enterprise, tag=Tag.SETTLEMENT_HQ, granted_on=date(2022, 5, 10))
    return enterprise


def pdf_upload(name: str = "申请表.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png_upload(name: str = "零售额证明.png") -> SimpleUploadedFile:
    """A small real PNG (a bar chart in the bureau's blue), made with Pillow."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 180), "white")
    draw = ImageDraw.Draw(image)
    for i, height in enumerate((60, 110, 90, 150)):
        draw.rectangle([30 + i * 70, 170 - height, 80 + i * 70, 170], fill=(31, 95, 168))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def submit_case(world: World, *, retail: str = "3250000000", user: Any = None, with_image: bool = False) -> Any:
    """A submitted case of the world's enterprise, made through the services with a real PDF
    (and, with `with_image`, a PNG as the optional second material)."""
    from applications import services

    actor = user or world.users["ent_a"]
    app = services.application_create(actor=actor, round_id=world.round.pk, declared={"retail_sales": retail})
    services.material_upload(actor=actor, application_id=app.pk, kind="application_form", upload=pdf_upload())
    if with_image:
        services.material_upload(actor=actor, application_id=app.pk, kind="sales_proof", upload=png_upload())
    return services.application_submit(actor=actor, application_id=app.pk, commitment_signed=True)


def make_case(world: World, state: str, *, enterprise: Any = None, district: str = "sc", **fields: Any) -> Any:
    """A case in `state` written straight to the table (for lists and query counts), with one
    history row, one PDF material, and the fields its state implies."""
    from applications.models import Application, ApplicationEvent, Material

    enterprise = enterprise or make_enterprise(world, district=district)
    now = timezone.now()
    retail = Decimal(fields.pop("retail", 1_000_000 + 10_000 * world.counter[0]))
    suggested = (retail / 100).quantize(Decimal("0.01"))
    values: dict[str, Any] = {
        "enterprise": enterprise,
        "round": world.round,
        "item": world.item,
        "district": enterprise.district,
        "state": state,
        "declared": {"retail_sales": str(retail)},
        "suggested_amount": suggested,
        "eligibility": {
            "eligible": True,
            "reasons": [{"criterion": "在库并上报统计报表", "passed": True, "message": "符合"}],
        },
        "amount_working": [f"2022年下半年零售额 {retail:,.2f} 元 × 1% = {suggested:,.2f} 元"],
        "submitted_at": now - timedelta(days=3),
    }
    if state not in ("draft", "submitted"):
        values.update(accepted_at=now - timedelta(days=2), review_cycle=1, district_reviewer=world.users["rev_sc"])
        values["review_deadline"] = now + timedelta(days=12)
    if state in ("approved",):
        values.update(amount=suggested, city_decided_at=now - timedelta(hours=3), city_approver=world.users["city"])
    values.update(fields)
    app = Application.objects.create(**values)
    ApplicationEvent.objects.create(
        application=app,
        actor=None,
        action="submit",
        from_state="draft",
        to_state="submitted",
        at=now - timedelta(days=3),
    )
    material = Material(
        application=app,
        kind="application_form",
        version=1,
        is_current=True,
        storage_key=f"wb-{app.pk}.pdf",
        original_name="申请表.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    material.file.save(material.storage_key, ContentFile(PDF), save=False)
    material.save()
    return app


def make_award(world: World, application: Any, state: str = "claimable", **fields: Any) -> Any:
    from awards.models import Award

    now = timezone.now()
    values: dict[str, Any] = {
        "application": application,
        "enterprise": application.enterprise,
        "item": application.item,
        "round": application.round,
        "district": application.district,
        "year": 2022,
        "state": state,
        "amount": application.amount or application.suggested_amount,
        "claim_deadline": now + timedelta(days=30),
        "published_by": world.users["fund_sc"],
    }
    if state in ("claimed", "paid", "recovering", "recovered"):
        values.update(claimed_at=now - timedelta(days=1), claimed_by=world.users.get("ent_a"))
    if state in ("paid", "recovering", "recovered"):
        values.update(payment_reference=f"PAY-{application.pk}", paid_on=timezone.localdate(), paid_at=now)
    values.update(fields)
    return Award.objects.create(**values)
