"""Provisioning in the console: mirrors and requests are read-only; every change is an action
or form that calls the same service as the API (audited with the operator as actor)."""

from django import forms
from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.console import ConsoleAdmin
from core.context import Context
from core.errors import DomainError
from provisioning import services
from provisioning.models import (
    PMNL_DEFAULT_TOKEN_URL,
    CustomerAuthorization,
    PmnlAccount,
    ProvisioningEvent,
    ProvisioningRequest,
    Subscriber,
)
from upstream.exceptions import UpstreamError

WRITE_ONLY = "Write-only. Leave blank to keep the current value."


class PmnlAccountForm(forms.ModelForm):
    """Secret and API key are write-only: never rendered back; blank on edit keeps them."""

    base_url = forms.URLField(max_length=300, assume_scheme="https")
    token_url = forms.URLField(
        max_length=300, assume_scheme="https", initial=PMNL_DEFAULT_TOKEN_URL
    )
    client_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, help_text=WRITE_ONLY
    )
    api_key = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, help_text=WRITE_ONLY
    )

    class Meta:
        model = PmnlAccount
        fields = [
            "organization",
            "base_url",
            "token_url",
            "client_id",
            "client_secret",
            "api_key",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("client_secret", "api_key"):
            self.initial.pop(name, None)
            if self.instance.pk is None:
                self.fields[name].required = True
                self.fields[name].help_text = "Write-only: it is stored encrypted."

    def _keep(self, name: str) -> str:
        value = self.cleaned_data.get(name)
        if not value and self.instance.pk is not None:
            return getattr(self.instance, name)
        return value

    def clean_client_secret(self) -> str:
        return self._keep("client_secret")

    def clean_api_key(self) -> str:
        return self._keep("api_key")


@admin.register(PmnlAccount)
class PmnlAccountAdmin(ConsoleAdmin):
    """Upstream credentials: the platform's to manage (superusers), as the 1NCE accounts."""

    console_group = "Access"
    tenant_field = None
    form = PmnlAccountForm
    list_display = ["organization", "client_id", "base_url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["organization__name", "client_id"]
    list_select_related = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


def _run(modeladmin, request, rows, verb: str, operation) -> None:
    done = failed = 0
    for row in rows:
        try:
            operation(row, Context.from_request(request, via="console"))
            done += 1
        except (DomainError, UpstreamError) as exc:
            failed += 1
            message = getattr(exc, "public_message", None) or str(exc)
            modeladmin.message_user(request, f"{row}: {message}", messages.ERROR)
    modeladmin.message_user(request, f"{verb} {done}; {failed} failed.")


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyAdmin):
    """The mirror of PMNL subscribers; changes go to PMNL through the services, for the roles
    that act (as in the API: a viewer reads and refreshes)."""

    console_group = "Provisioning"

    list_display = [
        "iccid",
        "msisdn",
        "imsi",
        "cust_id",
        "organization",
        "subscriber_state",
        "service_profile",
        "synced_at",
    ]
    list_filter = ["subscriber_state", "service_profile", "organization"]
    list_select_related = ["organization"]
    search_fields = ["iccid", "msisdn", "imsi", "cust_id", "admin_info"]
    readonly_fields = [f.name for f in Subscriber._meta.fields]
    actions = [
        "refresh_selected",
        "activate_selected",
        "deactivate_selected",
        "delete_selected_at_pmnl",
    ]

    @admin.action(description="Refresh from PMNL")
    def refresh_selected(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("organization"),
            "Refreshed",
            lambda row, context: services.read_subscriber(
                organization=row.organization, identifier=row.iccid, context=context
            ),
        )

    def _set_state(self, request, queryset, state: bool, verb: str):
        _run(
            self,
            request,
            queryset.select_related("organization"),
            verb,
            lambda row, context: services.update_subscriber(
                organization=row.organization,
                identifier=row.iccid,
                aspect="state",
                body={"subscriber_state": state},
                context=context,
            ),
        )

    @admin.action(description="Activate at PMNL", permissions=["operate"])
    def activate_selected(self, request, queryset):
        self._set_state(request, queryset, True, "Activated")

    @admin.action(description="Deactivate at PMNL", permissions=["operate"])
    def deactivate_selected(self, request, queryset):
        self._set_state(request, queryset, False, "Deactivated")

    @admin.action(description="Delete at PMNL", permissions=["operate"])
    def delete_selected_at_pmnl(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("organization"),
            "Deleted",
            lambda row, context: services.delete_subscriber(
                organization=row.organization, identifier=row.iccid, context=context
            ),
        )


class EventInline(ReadOnlyInline):
    model = ProvisioningEvent
    fields = ["kind", "created_at", "published_at", "payload"]
    readonly_fields = fields


@admin.register(ProvisioningRequest)
class ProvisioningRequestAdmin(ReadOnlyAdmin):
    console_group = "Provisioning"
    list_display = [
        "id",
        "operation",
        "iccid",
        "status",
        "progress",
        "queued",
        "organization",
        "created_by",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "operation", "queued", "organization"]
    list_select_related = ["organization", "created_by"]
    search_fields = ["id", "iccid", "msisdn", "upstream_request_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ProvisioningRequest._meta.fields]
    inlines = [EventInline]
    actions = ["poll_selected"]

    @admin.action(description="Poll PMNL now", permissions=["operate"])
    def poll_selected(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Polled",
            lambda row, context: services.poll_request(request_id=row.pk),
        )


@admin.register(ProvisioningEvent)
class ProvisioningEventAdmin(ReadOnlyAdmin):
    console_group = "Provisioning"
    list_display = ["kind", "request", "organization", "created_at", "published_at"]
    list_filter = ["kind", "organization"]
    list_select_related = ["organization", "request"]
    readonly_fields = [f.name for f in ProvisioningEvent._meta.fields]


class CustomerAuthorizationForm(forms.ModelForm):
    class Meta:
        model = CustomerAuthorization
        fields = ["user", "cust_id"]


@admin.register(CustomerAuthorization)
class CustomerAuthorizationAdmin(ConsoleAdmin):
    """Which customer ids a user may provision: an organization's admins grant and revoke them
    for its users (``services.grant_customer`` / ``revoke_customer`` refuse anyone else)."""

    console_group = "Provisioning"
    member_may_add = True
    form = CustomerAuthorizationForm
    list_display = ["user", "cust_id", "organization", "granted_by", "created_at"]
    list_filter = ["organization"]
    list_select_related = ["user", "organization", "granted_by"]
    search_fields = ["user__username", "cust_id"]
    actions = ["revoke_selected"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        def grant():
            obj.pk = services.grant_customer(
                user=obj.user,
                cust_id=obj.cust_id,
                context=Context.from_request(request, via="console"),
            ).pk

        self.save_through(request, grant)

    def delete_model(self, request, obj):
        services.revoke_customer(
            authorization=obj, context=Context.from_request(request, via="console")
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description="Revoke", permissions=["operate"])
    def revoke_selected(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("organization"),
            "Revoked",
            lambda row, context: services.revoke_customer(authorization=row, context=context),
        )
