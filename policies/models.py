"""Policy documents, the fundable items they contain, exclusivity groups and rounds.

The rule parts of an item (materials, declared fields, eligibility criteria, amount rule,
funding split) are JSON documents with a fixed shape, validated by policies/schema.py when
they are loaded or edited, and evaluated by policies/rules/.
"""

from datetime import date

from django.db import models
from django.db.models import Q

from common.models import BaseModel


class PolicyDocument(BaseModel):
    code = models.CharField("编号", max_length=16, unique=True, help_text="目录编号，如 P01")
    title = models.CharField("标题", max_length=255)
    doc_no = models.CharField("文号", max_length=64, blank=True)
    issuer = models.CharField("发文机关", max_length=128, blank=True)
    issued_on = models.DateField("成文日期", null=True, blank=True)
    effective_from = models.DateField("施行日期", null=True, blank=True)
    effective_to = models.DateField("有效期至", null=True, blank=True, help_text="未写明有效期的文件持续有效")
    lead_department = models.CharField("牵头单位", max_length=128, blank=True)
    supersedes = models.ForeignKey(
        "self", verbose_name="同时废止", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    abolished_on = models.DateField("废止日期", null=True, blank=True)
    source_seed = models.CharField("来源文本", max_length=64, blank=True)
    source_lines = models.CharField("来源行号", max_length=32, blank=True)
    source_text = models.TextField("政策原文", blank=True)

    class Meta:
        verbose_name = "政策文件"
        verbose_name_plural = "政策文件"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.title}（{self.doc_no}）" if self.doc_no else self.title

    def in_force_on(self, day: date) -> bool:
        """In force from 施行日期 through 有效期至 inclusive, unless abolished earlier."""
        if self.effective_from and day < self.effective_from:
            return False
        if self.effective_to and day > self.effective_to:
            return False
        return not (self.abolished_on and day >= self.abolished_on)


class ExclusivityGroup(BaseModel):
    """同类政策: within a group an enterprise keeps at most one award per year (从优、就高、不重复)."""

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=128)
    description = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "同类政策组"
        verbose_name_plural = "同类政策组"

    def __str__(self) -> str:
        return self.name


class PolicyItem(BaseModel):
    class Mode(models.TextChoices):
        APPLY = "apply", "申报兑现"
        INSTANT = "instant", "即申即享"
        AUTO = "auto", "免申即享"

    code = models.CharField("事项编号", max_length=16, unique=True, help_text="目录编号，如 SP-029")
    document = models.ForeignKey(
        PolicyDocument, verbose_name="政策文件", on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField("事项名称", max_length=255)
    description = models.TextField("政策内容", blank=True)
    bureau_function = models.CharField("主管部门职能", max_length=16, default="economy")
    lead = models.CharField("牵头（责任）单位", max_length=128, blank=True)
    beneficiary = models.CharField("支持对象", max_length=64, default="企业")
    review_departments = models.JSONField(
        "会审部门", default=list, blank=True, help_text="职能代码列表，如 market、tax、drc、finance"
    )
    materials = models.JSONField("申报材料清单", default=list, blank=True)
    declared_fields = models.JSONField("申报数据项", default=list, blank=True)
    eligibility = models.JSONField("申报条件", default=list, blank=True)
    amount_rule = models.JSONField("奖补标准", default=dict, blank=True)
    funding = models.JSONField("资金承担", default=dict, blank=True)
    exclusivity_group = models.ForeignKey(
        ExclusivityGroup,
        verbose_name="同类政策组",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    mode = models.CharField("兑现方式", max_length=16, choices=Mode.choices, default=Mode.APPLY)
    budget = models.DecimalField("年度预算（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    effective_from = models.DateField("条款施行日期", null=True, blank=True, help_text="条款另有实施期限时填写")
    effective_to = models.DateField("条款有效期至", null=True, blank=True)
    schedule = models.JSONField(
        "原文申报安排",
        default=dict,
        blank=True,
        help_text="原文写明的考核期与申报时间（performance_from/to、window_from/to、cite），供设置申报批次参考",
    )
    detailed = models.BooleanField(
        "已完整编码", default=False, help_text="材料、数据项、条件均已按原文编码，可在线申报"
    )
    source_seed = models.CharField("来源文本", max_length=64, blank=True)
    source_lines = models.CharField("来源行号", max_length=32, blank=True)
    catalogue = models.JSONField("目录原始条目", default=dict, blank=True)

    class Meta:
        verbose_name = "政策事项"
        verbose_name_plural = "政策事项"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def in_force_on(self, day: date) -> bool:
        """In force on `day`: the item's own period where the text sets one, else the document's.

        A clause that states its own period overrides the document's (catalogue R01, e.g.
        003 L622 有效期一年（标明具体实施期限的除外）); abolition of the document always ends it.
        """
        doc = self.document
        start = self.effective_from or doc.effective_from
        end = self.effective_to or doc.effective_to
        if start and day < start:
            return False
        if end and day > end:
            return False
        return not (doc.abolished_on and day >= doc.abolished_on)

    @property
    def required_material_kinds(self) -> list[str]:
        return [m["kind"] for m in self.materials if m.get("required", True)]


class Round(BaseModel):
    """申报批次: one call for applications under an item, with its windows and time limits."""

    item = models.ForeignKey(PolicyItem, verbose_name="政策事项", on_delete=models.PROTECT, related_name="rounds")
    name = models.CharField("批次名称", max_length=128)
    performance_from = models.DateField("考核期起", null=True, blank=True)
    performance_to = models.DateField("考核期止", null=True, blank=True)
    opens_at = models.DateTimeField("申报开始")
    closes_at = models.DateTimeField("申报截止", help_text="此时刻起不再受理（如 2月1日 00:00 即“截至1月31日24时”）")
    supplement_days = models.PositiveSmallIntegerField("补正期限（自然日）", default=10)
    review_working_days = models.PositiveSmallIntegerField("属地审核时限（工作日）", default=10)
    city_review_working_days = models.PositiveSmallIntegerField("市级审定时限（工作日）", default=15)
    claim_days = models.PositiveSmallIntegerField("申领期限（自然日）", default=30)
    budget = models.DecimalField("批次预算（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    published = models.BooleanField("已发布", default=True)
    closed_processed_at = models.DateTimeField("截止处理时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "申报批次"
        verbose_name_plural = "申报批次"
        ordering = ["-opens_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="round_window_order",
                condition=Q(closes_at__gt=models.F("opens_at")),
                violation_error_message="申报截止时间必须晚于申报开始时间。",
            ),
            models.CheckConstraint(
                name="round_budget_non_negative",
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                violation_error_message="预算不能为负数。",
            ),
        ]
        indexes = [models.Index(fields=["opens_at", "closes_at"], name="round_window_idx")]

    def __str__(self) -> str:
        return self.name
