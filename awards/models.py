"""Awards (奖励): created at 政策上线 from approved applications, or by a 免申即享 list."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import BaseModel

from .workflow import AwardState


class Award(BaseModel):
    class Source(models.TextChoices):
        APPLICATION = "application", "申报兑现"
        INSTANT = "instant", "即申即享"
        AUTO = "auto", "免申即享"

    application = models.OneToOneField(
        "applications.Application",
        verbose_name="申报件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="awards"
    )
    item = models.ForeignKey(
        "policies.PolicyItem", verbose_name="政策事项", on_delete=models.PROTECT, related_name="awards"
    )
    round = models.ForeignKey(
        "policies.Round",
        verbose_name="申报批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
    )
    district = models.ForeignKey(
        "accounts.District", verbose_name="属地", on_delete=models.PROTECT, related_name="awards"
    )
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.APPLICATION)
    year = models.PositiveSmallIntegerField("奖励年度")
    state = models.CharField(
        "状态", max_length=16, choices=AwardState.choices, default=AwardState.CLAIMABLE, editable=False
    )
    amount = models.DecimalField("奖励金额（元）", max_digits=14, decimal_places=2)
    city_share = models.DecimalField("市级承担（元）", max_digits=14, decimal_places=2, default=0)
    district_share = models.DecimalField("区级承担（元）", max_digits=14, decimal_places=2, default=0)
    district_pays_first = models.BooleanField("属地先行全额兑现", default=False)
    claim_deadline = models.DateTimeField("申领截止")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上线人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField("申领时间", null=True, blank=True, editable=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申领人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    claim_commitment_text = models.TextField("申领承诺书", blank=True, editable=False)
    bank_snapshot = models.JSONField("收款账户", default=dict, blank=True, editable=False)
    payment_reference = models.CharField(
        "支付凭证号", max_length=64, null=True, blank=True, unique=True, editable=False
    )
    paid_on = models.DateField("支付日期", null=True, blank=True, editable=False)
    paid_at = models.DateTimeField("兑现登记时间", null=True, blank=True, editable=False)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="兑现人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    recovery_reason = models.TextField("追回原因", blank=True, editable=False)
    recovery_started_at = models.DateTimeField("追回开始", null=True, blank=True, editable=False)
    recovered_at = models.DateTimeField("追回到账", null=True, blank=True, editable=False)
    cancelled_reason = models.TextField("作废原因", blank=True, editable=False)
    last_reminded_days = models.PositiveSmallIntegerField("已提醒（剩余天数）", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "奖励"
        verbose_name_plural = "奖励"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="award_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="award_shares_sum", condition=Q(city_share__gte=0, district_share__gte=0)),
            models.CheckConstraint(name="award_state_valid", condition=Q(state__in=AwardState.values)),
            models.CheckConstraint(
                name="award_paid_has_reference",
                condition=~Q(state__in=["paid", "recovering", "recovered"]) | Q(payment_reference__isnull=False),
            ),
            # 免申即享: one award per enterprise, item and year when there is no application.
            models.UniqueConstraint(
                fields=["enterprise", "item", "year"],
                condition=Q(application__isnull=True),
                name="one_auto_award_per_item_year",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "claim_deadline"], name="award_state_deadline_idx"),
            models.Index(fields=["district", "state"], name="award_district_state_idx"),
            models.Index(fields=["enterprise", "-id"], name="award_enterprise_idx"),
        ]

    def __str__(self) -> str:
        return f"奖励 #{self.pk}"


class AwardEvent(models.Model):
    """Append-only history of an award, as ApplicationEvent."""

    award = models.ForeignKey(Award, verbose_name="奖励", on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("操作", max_length=32)
    from_state = models.CharField("原状态", max_length=16, blank=True)
    to_state = models.CharField("新状态", max_length=16, blank=True)
    reason = models.TextField("理由", blank=True)
    at = models.DateTimeField("时间", db_index=True)
    extra = models.JSONField("附加信息", default=dict, blank=True)

    class Meta:
        verbose_name = "奖励历史"
        verbose_name_plural = "奖励历史"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["award", "at"], name="awardevent_award_at_idx")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state}→{self.to_state}"


class AutoGrantBatch(BaseModel):
    """A 免申即享 list for one item and year: matched from enterprise data or uploaded from
    统计/税务, checked row by row, reviewed, then approved into claimable awards (R49–R51)."""

    class Origin(models.TextChoices):
        MATCH = "match", "按企业数据自动匹配"
        UPLOAD = "upload", "部门名单导入"

    class Status(models.TextChoices):
        DRAFT = "draft", "待审核"
        APPROVED = "approved", "已审核并上线"
        DISCARDED = "discarded", "已作废"

    item = models.ForeignKey(
        "policies.PolicyItem", verbose_name="政策事项", on_delete=models.PROTECT, related_name="auto_batches"
    )
    year = models.PositiveSmallIntegerField("奖励年度")
    origin = models.CharField("来源", max_length=16, choices=Origin.choices)
    source_name = models.CharField("来源说明", max_length=255, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    claim_deadline = models.DateTimeField("申领截止", null=True, blank=True)

    class Meta:
        verbose_name = "免申即享名单"
        verbose_name_plural = "免申即享名单"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.item} {self.year}年度 免申即享名单 #{self.pk}"


class AutoGrantEntry(models.Model):
    """One row of a 免申即享 list, with the result of its check."""

    batch = models.ForeignKey(AutoGrantBatch, verbose_name="名单", on_delete=models.CASCADE, related_name="entries")
    row_number = models.PositiveIntegerField("行号")
    credit_code = models.CharField("统一社会信用代码", max_length=32)
    name = models.CharField("企业名称", max_length=128, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    ok = models.BooleanField("校验通过", default=False)
    problems = models.JSONField("问题", default=list, blank=True)
    award = models.OneToOneField(
        Award, verbose_name="奖励", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "免申即享名单条目"
        verbose_name_plural = "免申即享名单条目"
        ordering = ["batch", "row_number"]

    def __str__(self) -> str:
        return f"{self.credit_code} {self.name}"
