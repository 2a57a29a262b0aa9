from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import District, Organisation, User


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "division_code", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name", "code"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "district", "function", "handles"]
    list_filter = ["level", "function", "district"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "enterprise", "organisation", "is_active", "last_login"]
    list_filter = ["role", "is_active", "organisation__district"]
    search_fields = ["username", "display_name", "email", "enterprise__name"]
    list_select_related = ["enterprise", "organisation"]
    autocomplete_fields = ["enterprise", "organisation"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (
            "角色与所属",
            {"fields": ["role", "display_name", "phone", "enterprise", "is_enterprise_admin", "organisation"]},
        ),
    ]
