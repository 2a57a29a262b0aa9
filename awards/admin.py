from django.contrib import admin

from .models import Award, AwardEvent


class AwardEventInline(admin.TabularInline):
    model = AwardEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "from_state", "to_state", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "enterprise",
        "item",
        "district",
        "year",
        "amount",
        "state",
        "claim_deadline",
        "payment_reference",
    ]
    list_filter = ["state", "district", "source", "year"]
    search_fields = ["enterprise__name", "payment_reference", "=id"]
    list_select_related = ["enterprise", "item", "district"]
    inlines = [AwardEventInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in Award._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
