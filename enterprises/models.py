"""Enterprises, the designations policies test, their edit record, and the dishonesty list."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import BaseModel

from .credit_code import validate_credit_code


class SizeClass(models.TextChoices):
    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class Tag(models.TextChoices):
    """Designations that policies test. Each is held with the date it was granted."""

    ABOVE_SCALE = "above_scale", "规上工业企业"
    NEWLY_ABOVE_SCALE = "newly_above_scale", "新升规企业"
    ABOVE_QUOTA_TRADE = "above_quota_trade", "限上批发零售企业"
    SPECIALISED = "specialised", "省级专精特新中小企业"
    LITTLE_GIANT = "little_giant", "国家级专精特新“小巨人”企业"
    HIDDEN_CHAMPION = "hidden_champion", "省隐形冠军企业"
    HIGH_TECH = "high_tech", "高新技术企业"
    TECH_SME = "tech_sme", "科技型中小企业"
    SETTLEMENT_HQ = "settlement_hq", "在杭销售结算总部"
    INDUSTRIAL = "industrial", "工业企业"


class Enterprise(BaseModel):
    name = models.CharField("企业名称", max_length=128)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_credit_code])
    district = models.ForeignKey(
        "accounts.District", verbose_name="属地", on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField("注册地址", max_length=255, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=64, blank=True)
    industry = models.CharField("所属行业", max_length=64, blank=True)
    size_class = models.CharField("企业规模", max_length=8, choices=SizeClass.choices, default=SizeClass.SMALL)
    registered_on = models.DateField("成立日期", null=True, blank=True)
    registered_in_hangzhou = models.BooleanField("在杭注册并纳税", default=True)
    independent_legal_entity = models.BooleanField("独立法人", default=True)
    in_statistics_db = models.BooleanField("在库并上报统计报表", default=False)
    employees = models.PositiveIntegerField("从业人数", null=True, blank=True)
    annual_revenue = models.DecimalField("上年度营业收入（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    figures = models.JSONField("其他经营数据", default=dict, blank=True)
    bank_name = models.CharField("开户银行", max_length=128, blank=True)
    bank_account_name = models.CharField("账户名称", max_length=128, blank=True)
    bank_account_no = models.CharField("银行账号", max_length=40, blank=True)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["id"]
        indexes = [models.Index(fields=["district", "id"], name="ent_district_idx")]

    def __str__(self) -> str:
        return self.name


class Designation(BaseModel):
    """A tag held by an enterprise since a date (首次认定 / 上规 date), optionally until a date."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="designations"
    )
    tag = models.CharField("认定类型", max_length=32, choices=Tag.choices)
    granted_on = models.DateField("认定（取得）日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)
    first_time = models.BooleanField("首次认定", default=True)
    source = models.CharField("数据来源", max_length=64, blank=True)

    class Meta:
        verbose_name = "企业认定"
        verbose_name_plural = "企业认定"
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "tag", "granted_on"], name="designation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tag_display()}（{self.granted_on}）"


class EnterpriseChange(models.Model):
    """Append-only record of every profile edit: who changed which fields from what to what."""

    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField("时间", auto_now_add=True)
    changes = models.JSONField("变更内容", default=dict)

    class Meta:
        verbose_name = "企业信息变更记录"
        verbose_name_plural = "企业信息变更记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.at:%Y-%m-%d %H:%M}"


class DishonestyEntry(BaseModel):
    """A 失信名录 listing. Active from starts_at until ends_at, unless ended early (信用修复)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.PROTECT, related_name="dishonesty_entries"
    )
    reason = models.TextField("列入原因")
    source = models.CharField("来源", max_length=128)
    award = models.ForeignKey(
        "awards.Award",
        verbose_name="关联奖励",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dishonesty_entries",
    )
    starts_at = models.DateTimeField("列入时间")
    ends_at = models.DateTimeField("期满时间")
    ended_at = models.DateTimeField("移出时间", null=True, blank=True)
    end_reason = models.CharField("移出原因", max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="列入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="移出人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "失信名录"
        verbose_name_plural = "失信名录"
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(name="dishonesty_period_valid", condition=Q(ends_at__gt=models.F("starts_at"))),
        ]
        indexes = [models.Index(fields=["enterprise", "ended_at"], name="dishonesty_ent_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise}：{self.reason[:20]}"
