from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from accounts.models import APIKey, AuditLog, Organization, RefreshToken, User
from accounts.services import create_user, issue_api_key, revoke_api_keys
from core.admin import ReadOnlyAdmin
from core.console import ConsoleAdmin

# The library registers its own (unused) key model: one "API keys" page is ours.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)
from core.context import Context


@admin.register(Organization)
class OrganizationAdmin(ConsoleAdmin):
    """Tenants: a superuser's to manage; a member sees their own (and picks it in forms)."""

    console_group = "Access"
    tenant_field = "id"

    def scope_queryset(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk=getattr(request.user, "organization_id", None))

    def organization_filter(self):
        return None

    list_display = ["name", "slug", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(ConsoleAdmin, DjangoUserAdmin):
    console_group = "Access"
    list_display = [
        "username",
        "email",
        "full_name",
        "role",
        "is_active",
        "last_login",
        "organization",
    ]
    list_filter = ["role", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["organization"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("FleetOps", {"fields": ("organization", "role", "full_name")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("FleetOps", {"fields": ("email", "organization", "role")}),
    )

    def save_model(self, request, obj, form, change):
        """A new user is created by the service (unique username and e-mail, the password
        policy, audited); changes to an existing one are a superuser's edit."""
        if change:
            return super().save_model(request, obj, form, change)
        created = []
        data = form.cleaned_data
        self.save_through(
            request,
            lambda: created.append(
                create_user(
                    username=data["username"],
                    password=data.get("password1") or "",
                    email=data.get("email") or "",
                    role=data.get("role") or obj.role,
                    organization=data.get("organization"),
                    context=Context.from_request(request, via="console"),
                )
            ),
        )
        if created:
            obj.pk = created[0].pk
        return None

    def save_related(self, request, form, formsets, change):
        if change or form.instance.pk is not None:
            super().save_related(request, form, formsets, change)


@admin.register(APIKey)
class APIKeyAdmin(ConsoleAdmin, APIKeyModelAdmin):
    console_group = "Access"
    tenant_field = "user__organization"
    list_display = [
        "prefix",
        "name",
        "user",
        "read_only",
        "created",
        "expiry_date",
        "last_used_at",
        "usage_count",
        "_has_expired",
        "revoked",
    ]
    list_filter = ["read_only", "revoked", "created"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["prefix", "last_used_at", "usage_count", "revoked", "revoked_at"]
    raw_id_fields = ["user"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        # Revoking is the action below (the service that drops the cached key), never a
        # checkbox saved by hand.
        fields = [*super().get_readonly_fields(request, obj), *self.readonly_fields]
        return list(dict.fromkeys(fields))

    def save_model(self, request, obj, form, change):
        """A new key is issued by the service (the per-user cap, audited) and shown once."""
        if change:
            return super().save_model(request, obj, form, change)
        issued = []
        self.save_through(
            request,
            lambda: issued.append(
                issue_api_key(
                    user=obj.user,
                    name=obj.name,
                    expires_at=obj.expiry_date,
                    read_only=obj.read_only,
                    context=Context.from_request(request, via="console"),
                )
            ),
        )
        if issued:
            api_key, raw = issued[0]
            obj.pk, obj.prefix = api_key.pk, api_key.prefix
            self.message_user(
                request,
                f"The API key for {api_key.name} is: {raw} — store it somewhere safe: it is "
                "never shown again.",
                messages.WARNING,
            )

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = revoke_api_keys(
            api_keys=queryset, context=Context.from_request(request, via="console")
        )
        self.message_user(request, f"{revoked} API key(s) revoked; they stop working at once.")


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyAdmin):
    console_group = "Access"
    tenant_field = "user__organization"
    list_display = [
        "user",
        "jti",
        "family",
        "ip_address",
        "created_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "jti", "family", "ip_address"]
    exclude = ["token_hash"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    console_group = "Access"
    labels = {"resource_id": "Resource ID", "request_id": "Request ID"}
    list_display = [
        "created_at",
        "username",
        "organization",
        "operation",
        "resource_type",
        "resource_id",
        "status",
        "response_status",
    ]
    list_filter = ["status", "operation", "resource_type"]
    list_select_related = ["organization"]
    search_fields = ["username", "resource_id", "request_id", "ip_address"]
    date_hierarchy = "created_at"
