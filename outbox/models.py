"""One row per Celery task a transaction wants sent: the transactional outbox (RELIABILITY R12).

The row is written in the caller's transaction, so a rolled-back action leaves no task behind and
a committed one cannot lose its task when Redis is down: the row stays until the broker took it
(`dispatched_at`) and a worker finished it (`completed_at`). See outbox/services.py.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

TASK_ID_PREFIX = "outbox-"


class OutboxMessage(models.Model):
    task = models.CharField("任务名", max_length=200)
    args = models.JSONField("位置参数", default=list, blank=True)
    kwargs = models.JSONField("关键字参数", default=dict, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    dispatched_at = models.DateTimeField("最近一次投递时间", null=True, blank=True)
    completed_at = models.DateTimeField("执行完成时间", null=True, blank=True)
    attempts = models.PositiveIntegerField("投递次数", default=0, help_text="broker 接收的投递次数（失败的不计）")
    last_error = models.TextField("最近一次错误", blank=True, default="")

    class Meta:
        verbose_name = "任务发件箱消息"
        verbose_name_plural = "任务发件箱消息"
        indexes = [
            # The relay's scan: only the rows still open (a handful), never the finished history.
            models.Index(fields=["created_at"], name="outbox_open_idx", condition=Q(completed_at__isnull=True)),
            models.Index(fields=["completed_at"], name="outbox_done_idx", condition=Q(completed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.task}#{self.pk}"

    @property
    def task_id(self) -> str:
        """The Celery task id of every send of this row (a resend reuses it)."""
        return f"{TASK_ID_PREFIX}{self.pk}"
