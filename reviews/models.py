"""Co-review opinions (会审意见) and a district's list for the city (报审名单)."""

from django.conf import settings
from django.db import models

from common.models import BaseModel


class Opinion(BaseModel):
    class Decision(models.TextChoices):
        AGREE = "agree", "同意"
        DISAGREE = "disagree", "不同意"

    application = models.ForeignKey(
        "applications.Application", verbose_name="申报件", on_delete=models.CASCADE, related_name="opinions"
    )
    review_cycle = models.PositiveSmallIntegerField("审核轮次")
    department = models.ForeignKey(
        "accounts.Organisation", verbose_name="会审部门", on_delete=models.PROTECT, related_name="opinions"
    )
    function = models.CharField("部门职能", max_length=16)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField("意见", max_length=16, choices=Decision.choices)
    remarks = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "会审意见"
        verbose_name_plural = "会审意见"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "review_cycle", "function"], name="one_opinion_per_function_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department}：{self.get_decision_display()}"


class CityList(BaseModel):
    """One district's batch of district_approved cases of one round, submitted to the city."""

    class Status(models.TextChoices):
        DRAFT = "draft", "编制中"
        SUBMITTED = "submitted", "已提交审定"
        DONE = "done", "审定完毕"

    district = models.ForeignKey(
        "accounts.District", verbose_name="属地", on_delete=models.PROTECT, related_name="city_lists"
    )
    round = models.ForeignKey(
        "policies.Round", verbose_name="申报批次", on_delete=models.PROTECT, related_name="city_lists"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="编制人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    done_at = models.DateTimeField("审定完毕时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "报审名单"
        verbose_name_plural = "报审名单"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.district} · {self.round} 报审名单 #{self.pk}"
