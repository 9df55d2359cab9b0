from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "organization", "role", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser", "organization"]
    list_select_related = ["organization"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("FleetOps", {"fields": ("organization", "role", "full_name")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("FleetOps", {"fields": ("email", "organization", "role")}),
    )
