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
    """One run of the deadline jobs (deadlines.jobs.run_all): when, as of which instant, what
    changed per job. A row without finished_at is a run that is still going or died; `error`
    holds the exception of a run that failed."""

    job = models.CharField("任务", max_length=64)
    as_of = models.DateTimeField("基准时间")
    started_at = models.DateTimeField("开始", auto_now_add=True)
    finished_at = models.DateTimeField("结束", null=True, blank=True)
    changed = models.JSONField("变更数量", default=dict)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = "定时任务记录"
        verbose_name_plural = "定时任务记录"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.job} {self.as_of:%Y-%m-%d %H:%M}"
