"""Admin for the working-day calendar and the record of deadline-job runs.

Officials extend CalendarDay when the State Council publishes a year's holiday schedule that the
chinese-calendar package does not know yet (a row wins over the package). JobRun is read-only.
"""

from django.contrib import admin
from django.utils.html import format_html_join

from .jobs import JOB_LABELS
from .models import CalendarDay, JobRun
from .workdays import package_knows


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["day", "weekday", "is_workday", "name", "package_year"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "day"
    ordering = ["-day"]
    fieldsets = [
        (
            None,
            {
                "fields": ["day", "is_workday", "name"],
                "description": (
                    "按国务院办公厅公布的节假日安排录入：工作日放假的日期选“否”，调休上班的周末选“是”。"
                    "本表优先于内置日历；内置日历未收录的年度，请录入该年全部节假日和调休日。"
                ),
            },
        )
    ]

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.day.weekday()]

    @admin.display(description="内置日历已收录该年", boolean=True)
    def package_year(self, obj: CalendarDay) -> bool:
        return package_knows(obj.day.year)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "job", "as_of", "finished_at", "summary", "failed"]
    list_filter = ["job"]
    date_hierarchy = "started_at"
    readonly_fields = ["job", "as_of", "started_at", "finished_at", "counts", "error"]
    exclude = ["changed"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="变更")
    def summary(self, obj: JobRun) -> str:
        changed = {k: v for k, v in (obj.changed or {}).items() if v}
        return "；".join(f"{JOB_LABELS.get(k, k)} {v}" for k, v in changed.items()) or "无变更"

    @admin.display(description="失败", boolean=True)
    def failed(self, obj: JobRun) -> bool:
        return bool(obj.error)

    @admin.display(description="各任务变更数量")
    def counts(self, obj: JobRun) -> str:
        return format_html_join(
            "", "<div>{}：{}</div>", ((JOB_LABELS.get(k, k), v) for k, v in (obj.changed or {}).items())
        )
