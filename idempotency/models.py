"""One row per (user, Idempotency-Key, route): the request's hash and, once done, its response."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class KeyState(models.TextChoices):
    IN_FLIGHT = "in_flight", "处理中"
    DONE = "done", "已完成"


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="用户")
    key = models.CharField("幂等键", max_length=255)
    route = models.CharField("请求", max_length=255, help_text="方法与路径，如 POST /api/v1/awards/1/claim/")
    request_hash = models.CharField("请求体摘要", max_length=64)
    state = models.CharField("状态", max_length=16, choices=KeyState.choices, default=KeyState.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField("响应状态码", null=True, blank=True)
    response_content_type = models.CharField("响应类型", max_length=100, blank=True, default="")
    response_body = models.BinaryField("响应体", default=b"")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间", db_index=True)

    class Meta:
        verbose_name = "幂等键"
        verbose_name_plural = "幂等键"
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "route"], name="idempotency_key_unique_user_key_route")
        ]

    def __str__(self) -> str:
        return f"{self.route} [{self.key}]"
