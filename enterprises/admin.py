from django.contrib import admin

from .models import Designation, DishonestyEntry, Enterprise, EnterpriseChange


class DesignationInline(admin.TabularInline):
    model = Designation
    extra = 0


class ChangeInline(admin.TabularInline):
    model = EnterpriseChange
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "changes"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "district", "size_class", "in_statistics_db"]
    list_filter = ["district", "size_class", "in_statistics_db"]
    search_fields = ["name", "credit_code"]
    inlines = [DesignationInline, ChangeInline]


@admin.register(DishonestyEntry)
class DishonestyEntryAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "reason", "source", "starts_at", "ends_at", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["enterprise__name", "reason"]
    autocomplete_fields = ["enterprise"]
    readonly_fields = ["award", "created_by", "ended_by"]
