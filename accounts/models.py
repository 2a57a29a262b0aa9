"""Who acts: districts (属地), organisations (bureaus and co-review departments) and users.

A user has exactly one role (SPEC §1). Enterprise users belong to an enterprise; officials belong
to an organisation, which has a level (city/district) and, at district level, a district.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from common.models import BaseModel


class District(BaseModel):
    """A 属地: one of Hangzhou's districts, counties, the county-level city, or the scenic area."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "区"
        COUNTY = "county", "县"
        CITY = "county_city", "县级市"
        SCENIC = "scenic", "风景名胜区"

    code = models.SlugField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=32, unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.DISTRICT)
    division_code = models.CharField("行政区划代码", max_length=12, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "属地"
        verbose_name_plural = "属地"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Function(models.TextChoices):
    """What a bureau or department does; co-review departments are named by function."""

    COMMERCE = "commerce", "商务"
    ECONOMY = "economy", "经信"
    SCIENCE = "science", "科技"
    HR = "hr", "人力社保"
    MARKET = "market", "市场监管"
    TAX = "tax", "税务"
    DRC = "drc", "发改（信用核查）"
    FINANCE = "finance", "财政"
    STATS = "stats", "统计"
    AUDIT = "audit", "审计"
    OTHER = "other", "其他"


class Organisation(BaseModel):
    """A government body: a city or district bureau, or a co-review department."""

    class Level(models.TextChoices):
        CITY = "city", "市级"
        DISTRICT = "district", "区县级"

    name = models.CharField("名称", max_length=64, unique=True)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    district = models.ForeignKey(
        District, verbose_name="属地", null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    function = models.CharField("职能", max_length=16, choices=Function.choices)
    handles = models.JSONField(
        "主管政策职能",
        default=list,
        blank=True,
        help_text="主管局负责审核哪些职能条线的政策事项（如 commerce、economy）；为空时即本机构职能",
    )

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["level", "district_id", "name"]
        constraints = [
            models.CheckConstraint(
                name="org_district_matches_level",
                condition=(Q(level="city", district__isnull=True) | Q(level="district", district__isnull=False)),
                violation_error_message="区县级机构必须指定属地，市级机构不能指定属地。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def handled_functions(self) -> list[str]:
        return list(self.handles) or [self.function]


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业用户"
    DISTRICT_REVIEWER = "district_reviewer", "属地审核员"
    CO_REVIEWER = "co_reviewer", "会审部门"
    CITY_APPROVER = "city_approver", "市级审定"
    FUND_OFFICER = "fund_officer", "属地兑现"
    POLICY_ADMIN = "policy_admin", "政策管理员"
    AUDITOR = "auditor", "审计"


OFFICIAL_ROLES = {r for r in Role.values if r != Role.ENTERPRISE}


_SESSION_HASHES: dict[tuple[str, str], str] = {}


class User(AbstractUser):
    """A person who signs in. Exactly one role; bound to an enterprise or an organisation."""

    role = models.CharField("角色", max_length=32, choices=Role.choices, default=Role.ENTERPRISE)
    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    is_enterprise_admin = models.BooleanField("企业管理员", default=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属机构", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_enterprise_role_has_enterprise",
                condition=Q(role="enterprise", organisation__isnull=True) | ~Q(role="enterprise"),
                violation_error_message="企业用户不能隶属政府机构。",
            ),
            models.CheckConstraint(
                name="user_official_has_no_enterprise",
                condition=Q(role="enterprise") | Q(enterprise__isnull=True),
                violation_error_message="政府工作人员不能隶属企业。",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django checks this HMAC of the password hash on every request of a session; it is a
        # pure function of (password hash, secret), so each process keeps the answers it made.
        key = (self.password, secret or settings.SECRET_KEY)
        known = _SESSION_HASHES.get(key)
        if known is None:
            if len(_SESSION_HASHES) >= 10_000:
                _SESSION_HASHES.clear()
            known = _SESSION_HASHES[key] = super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]  # Django's, not in the stubs
        return known

    @property
    def is_official(self) -> bool:
        return self.role in OFFICIAL_ROLES

    @property
    def district_id_scope(self) -> int | None:
        """The district an official is bound to, or None for city-level and enterprise users."""
        org = self.organisation
        return org.district_id if org is not None else None
