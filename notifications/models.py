from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """An inbox message for one user; e-mailed too. `dedupe_key` makes reminders send once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类型", max_length=32)
    title = models.CharField("标题", max_length=255)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=255, blank=True)
    dedupe_key = models.CharField("去重键", max_length=128, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_dedupe"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title
