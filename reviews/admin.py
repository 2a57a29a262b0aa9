from django.contrib import admin

from .models import CityList, Opinion


@admin.register(Opinion)
class OpinionAdmin(admin.ModelAdmin):
    list_display = ["application", "department", "decision", "officer", "created_at"]
    list_filter = ["decision", "function"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CityList)
class CityListAdmin(admin.ModelAdmin):
    list_display = ["id", "district", "round", "status", "submitted_at", "done_at"]
    list_filter = ["status", "district"]
    readonly_fields = ["status", "submitted_at", "submitted_by", "done_at"]
