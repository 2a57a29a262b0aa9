"""Applications (申报件), their materials (versioned files) and their append-only history."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import BaseModel

from .workflow import NOT_LIVE, State


class Application(BaseModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="applications"
    )
    round = models.ForeignKey(
        "policies.Round", verbose_name="申报批次", on_delete=models.PROTECT, related_name="applications"
    )
    # Copied from enterprise/round at creation so scoping and reports need no joins; an enterprise
    # that later moves district keeps its open cases where they were filed.
    district = models.ForeignKey(
        "accounts.District", verbose_name="属地", on_delete=models.PROTECT, related_name="applications"
    )
    item = models.ForeignKey(
        "policies.PolicyItem", verbose_name="政策事项", on_delete=models.PROTECT, related_name="applications"
    )
    state = models.CharField("状态", max_length=32, choices=State.choices, default=State.DRAFT, editable=False)
    declared = models.JSONField("申报数据", default=dict, blank=True)
    eligibility = models.JSONField("资格判断", default=dict, blank=True, editable=False)
    suggested_amount = models.DecimalField(
        "测算金额（元）", max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    amount_working = models.JSONField("测算过程", default=list, blank=True, editable=False)
    amount = models.DecimalField(
        "审定金额（元）", max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    submitted_at = models.DateTimeField("申报时间", null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True, editable=False)
    review_deadline = models.DateTimeField("审核时限", null=True, blank=True, editable=False)
    review_overdue = models.BooleanField("审核超时", default=False, editable=False)
    review_cycle = models.PositiveSmallIntegerField("审核轮次", default=0, editable=False)
    supplement_request = models.TextField("补正要求", blank=True, editable=False)
    supplement_deadline = models.DateTimeField("补正截止", null=True, blank=True, editable=False)
    district_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="属地审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    district_decided_at = models.DateTimeField("属地审核完成时间", null=True, blank=True, editable=False)
    city_list = models.ForeignKey(
        "reviews.CityList",
        verbose_name="报审名单",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        editable=False,
    )
    city_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="市级审定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    city_decided_at = models.DateTimeField("审定时间", null=True, blank=True, editable=False)
    commitment_text = models.TextField("承诺书内容", blank=True, editable=False)
    commitment_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承诺书签署人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    commitment_signed_at = models.DateTimeField("承诺书签署时间", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "申报件"
        verbose_name_plural = "申报件"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "round"],
                condition=~Q(state__in=NOT_LIVE),
                name="one_live_application_per_round",
                violation_error_message="该企业在本批次已有申报件，不能重复申报。",
            ),
            models.CheckConstraint(
                name="application_amount_non_negative", condition=Q(amount__isnull=True) | Q(amount__gte=0)
            ),
            models.CheckConstraint(name="application_state_valid", condition=Q(state__in=State.values)),
        ]
        indexes = [
            models.Index(fields=["district", "state", "-id"], name="app_district_state_idx"),
            models.Index(fields=["round", "state"], name="app_round_state_idx"),
            models.Index(fields=["enterprise", "-id"], name="app_enterprise_idx"),
            models.Index(fields=["state", "supplement_deadline"], name="app_supplement_idx"),
            # The reviewer's queue index (district, submitted_at DESC NULLS LAST, id DESC) is created
            # by migration 0005 on PostgreSQL only: SQLite has no NULLS LAST in an index.
        ]

    def __str__(self) -> str:
        return f"申报件 #{self.pk}"


def material_upload_to(instance: "Material", filename: str) -> str:
    # The stored name is generated, never the uploader's: no path tricks, no guessable names.
    return f"materials/{instance.application_id}/{instance.storage_key}"


class ScanStatus(models.TextChoices):
    PENDING = "pending", "扫描中"
    CLEAN = "clean", "已通过"
    INFECTED = "infected", "未通过（发现病毒）"
    ERROR = "error", "无法扫描"


class Material(BaseModel):
    application = models.ForeignKey(
        Application, verbose_name="申报件", on_delete=models.CASCADE, related_name="materials"
    )
    kind = models.CharField("材料类型", max_length=64)
    version = models.PositiveSmallIntegerField("版本", default=1)
    is_current = models.BooleanField("当前版本", default=True)
    storage_key = models.CharField("存储名", max_length=64, editable=False)
    file = models.FileField("文件", upload_to=material_upload_to, max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Antivirus (R14): every file starts pending; applications.tasks.scan_material records the
    # result. Only clean files count for submission; infected ones are never served.
    scan_status = models.CharField(
        "病毒扫描", max_length=16, choices=ScanStatus.choices, default=ScanStatus.PENDING, editable=False
    )
    scanned_at = models.DateTimeField("扫描时间", null=True, blank=True, editable=False)
    scan_detail = models.CharField("扫描结果说明", max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = "申报材料"
        verbose_name_plural = "申报材料"
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "version"], name="material_version_unique"),
            models.UniqueConstraint(
                fields=["application", "kind"], condition=Q(is_current=True), name="material_one_current"
            ),
        ]
        indexes = [
            # the sweep that retries unscanned files after a scanner outage (tasks.scan_pending_materials)
            models.Index(fields=["created_at"], condition=Q(scan_status="pending"), name="material_scan_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"


class ApplicationEvent(models.Model):
    """Append-only history: one row per state change or recorded action. Written by services only."""

    application = models.ForeignKey(Application, verbose_name="申报件", on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("操作", max_length=32)
    from_state = models.CharField("原状态", max_length=32, blank=True)
    to_state = models.CharField("新状态", max_length=32, blank=True)
    reason = models.TextField("理由", blank=True)
    at = models.DateTimeField("时间", db_index=True)
    extra = models.JSONField("附加信息", default=dict, blank=True)

    class Meta:
        verbose_name = "申报件历史"
        verbose_name_plural = "申报件历史"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"], name="appevent_app_at_idx")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state}→{self.to_state}"
