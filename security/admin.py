from django.contrib import admin
from django.http import HttpRequest

from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is written by database triggers and can never be edited."""

    list_display = ("id", "at", "table_name", "row_id", "op", "actor", "changed")
    list_filter = ("table_name", "op")
    search_fields = ("actor", "=row_id")
    date_hierarchy = "at"
    readonly_fields = ("table_name", "row_id", "op", "old", "new", "at", "actor", "txid")

    @admin.display(description="变更字段")
    def changed(self, obj: AuditLog) -> str:
        return "、".join(obj.changed_fields())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False
