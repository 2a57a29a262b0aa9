from django.db import models


class CalendarDay(models.Model):
    """An official exception to the Mon–Fri week: a holiday on a weekday, or a 调休 working weekend.

    Officials add rows for years the chinese-calendar package does not know yet; a row here wins
    over the package.
    """

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("说明", max_length=64, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'} {self.name}"


class JobRun(models.Model):
    """One run of the deadline jobs: when, as of which instant, what changed."""

    job = models.CharField("任务", max_length=64)
    as_of = models.DateTimeField("基准时间")
    started_at = models.DateTimeField("开始", auto_now_add=True)
    changed = models.JSONField("变更数量", default=dict)

    class Meta:
        verbose_name = "定时任务记录"
        verbose_name_plural = "定时任务记录"
        ordering = ["-started_at"]
