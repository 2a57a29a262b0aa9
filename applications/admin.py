"""Applications are read in the admin; they change only through the workflow services."""

from django.contrib import admin

from .models import Application, ApplicationEvent, Material


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class EventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = ("at", "actor", "action", "from_state", "to_state", "reason")
    readonly_fields = fields


class MaterialInline(ReadOnlyInline):
    model = Material
    fields = ("kind", "version", "is_current", "original_name", "content_type", "size", "sha256")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "enterprise",
        "item",
        "round",
        "district",
        "state",
        "suggested_amount",
        "amount",
        "submitted_at",
    ]
    list_filter = ["state", "district", "round"]
    search_fields = ["enterprise__name", "enterprise__credit_code", "=id"]
    list_select_related = ["enterprise", "item", "round", "district"]
    inlines = [MaterialInline, EventInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in Application._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(admin.ModelAdmin):
    list_display = ["at", "application", "actor", "action", "from_state", "to_state"]
    list_filter = ["action", "to_state"]
    list_select_related = ["application", "actor"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
