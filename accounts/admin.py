from contextvars import ContextVar

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from accounts.models import APIKey, AuditLog, Organization, RefreshToken, User
from accounts.services import (
    ORGANIZATION_FIELDS,
    create_organization,
    create_user,
    issue_api_key,
    rename_api_key,
    revoke_api_keys,
    set_user_password,
    update_organization,
    update_user,
    user_fields_changeable_by,
)
from core.admin import ReadOnlyAdmin
from core.console import ConsoleAdmin, is_organization_admin
from core.context import SYSTEM, Context

# The library registers its own (unused) key model: one "API keys" page is ours.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)
# FleetOps's permissions are roles: Django's groups are not offered (their page wrote rows no
# service checks or audits).
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


def made_through(model_admin, request, make):
    """What ``make()`` (the service that adds the form's row) returned, or None when it
    refused (the operator reads why: ``ConsoleAdmin.save_through``)."""
    made = []
    model_admin.save_through(request, lambda: made.append(make()))
    return made[0] if made else None


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
    fields = list(ORGANIZATION_FIELDS)

    def has_delete_permission(self, request, obj=None):
        return False  # a tenant is deactivated (its users and rows stay), never deleted here

    def save_model(self, request, obj, form, change):
        """Created and changed by the services (a superuser's act, audited)."""
        context = Context.from_request(request, via="console")
        data = form.cleaned_data
        if change:
            current = Organization.objects.get(pk=obj.pk)  # ``obj`` already holds the form's
            values = {name: data[name] for name in ORGANIZATION_FIELDS if name in form.changed_data}
            self.save_through(
                request,
                lambda: update_organization(organization=current, values=values, context=context),
            )
            return
        created = made_through(
            self,
            request,
            lambda: create_organization(
                name=data["name"],
                slug=data["slug"],
                is_active=data.get("is_active", True),
                context=context,
            ),
        )
        if created:
            obj.pk = created.pk


# The context of the console request in progress, for the password form, which Django's page
# makes without the request (a ContextVar: one per thread or task, never shared).
CONSOLE_CONTEXT: ContextVar[Context | None] = ContextVar("console_context", default=None)


class ConsolePasswordForm(AdminPasswordChangeForm):
    """Django's set-password form, saved by ``set_user_password`` (audited, sessions ended)."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        return set_user_password(
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
            context=CONSOLE_CONTEXT.get() or SYSTEM,
        )


@admin.register(User)
class UserAdmin(ConsoleAdmin, DjangoUserAdmin):
    """People. A superuser adds them (``create_user``) and changes anything but the password
    hash and dates; an organization's admin changes their own organization's users' role and
    active flag. Every change goes through ``update_user`` (audited, API keys' cache dropped);
    FleetOps's permissions are roles, so Django's groups and permissions are not offered."""

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
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("full_name", "first_name", "last_name", "email")}),
        ("FleetOps", {"fields": ("organization", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("FleetOps", {"fields": ("email", "organization", "role")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return (
                (None, {"fields": ("username", "full_name", "email", "organization")}),
                ("Access", {"fields": ("role", "is_active")}),
                ("Important dates", {"fields": ("last_login", "date_joined")}),
            )
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        editable = user_fields_changeable_by(request.user, obj)
        shown = [
            name for fieldset in self.get_fieldsets(request, obj) for name in fieldset[1]["fields"]
        ]
        return [*fields, *(n for n in shown if n not in editable and n != "password")]

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        if not is_organization_admin(request.user):
            return False
        return obj is None or bool(user_fields_changeable_by(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return False  # deactivated (audited), never deleted: the audit trail names them

    change_password_form = ConsolePasswordForm

    def user_change_password(self, request, id, form_url=""):
        """Django's page, a superuser's only; the form saves through ``set_user_password``."""
        if not request.user.is_superuser:
            raise PermissionDenied
        token = CONSOLE_CONTEXT.set(Context.from_request(request, via="console"))
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            CONSOLE_CONTEXT.reset(token)

    def save_model(self, request, obj, form, change):
        """A new user is created by the service (unique username and e-mail, the password
        policy, audited); a change is ``update_user``'s (who may change what, audited)."""
        context = Context.from_request(request, via="console")
        data = form.cleaned_data
        if change:
            current = User.objects.get(pk=obj.pk)  # ``obj`` already holds the form's values
            values = {name: data[name] for name in form.changed_data if name in data}
            self.save_through(
                request, lambda: update_user(user=current, values=values, context=context)
            )
            return None
        created = made_through(
            self,
            request,
            lambda: create_user(
                username=data["username"],
                password=data.get("password1") or "",
                email=data.get("email") or "",
                role=data.get("role") or obj.role,
                organization=data.get("organization"),
                context=context,
            ),
        )
        if created:
            obj.pk = created.pk
        return None

    def save_related(self, request, form, formsets, change):
        # Nothing related is edited here (no groups or permissions); saved by the services.
        return None


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
        # checkbox saved by hand. An issued key keeps its owner, expiry and read-only flag:
        # only its name changes (``rename_api_key``), and a revoked key not even that.
        fields = [*super().get_readonly_fields(request, obj), *self.readonly_fields]
        if obj is not None:
            fields += ["user", "expiry_date", "read_only"]
        return list(dict.fromkeys(fields))

    def has_delete_permission(self, request, obj=None):
        return False  # revoked (audited, the cached copy dropped), never deleted

    def save_model(self, request, obj, form, change):
        """A new key is issued by the service (the per-user cap, audited) and shown once; a
        change renames it through the service (audited)."""
        context = Context.from_request(request, via="console")
        if change:
            if "name" in form.changed_data:
                current = APIKey.objects.get(pk=obj.pk)  # ``obj`` already holds the form's
                self.save_through(
                    request,
                    lambda: rename_api_key(
                        api_key=current, name=form.cleaned_data["name"], context=context
                    ),
                )
            return
        issued = made_through(
            self,
            request,
            lambda: issue_api_key(
                user=obj.user,
                name=obj.name,
                expires_at=obj.expiry_date,
                read_only=obj.read_only,
                context=context,
            ),
        )
        if issued:
            api_key, raw = issued
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
