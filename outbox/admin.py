from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the services and the workers only."""

    list_display = ("id", "task", "created_at", "dispatched_at", "completed_at", "attempts", "last_error")
    list_filter = ("task",)
    search_fields = ("task", "last_error")
    ordering = ("-id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
