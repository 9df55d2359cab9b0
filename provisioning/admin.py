"""Provisioning in the console: mirrors and requests are read-only; every change is an action
or form that calls the same service as the API (audited with the operator as actor)."""

from django import forms
from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin, ReadOnlyInline, UpstreamAccountAdmin, UpstreamAccountForm
from core.console import ConsoleAdmin, is_organization_admin
from core.context import Context
from core.errors import DomainError
from provisioning import services
from provisioning.clients import PMNL_ACCOUNTS
from provisioning.models import (
    PMNL_DEFAULT_TOKEN_URL,
    CustomerAuthorization,
    PmnlAccount,
    ProvisioningEvent,
    ProvisioningRequest,
    Subscriber,
)
from upstream.exceptions import UpstreamError


class PmnlAccountForm(UpstreamAccountForm):
    base_url = forms.URLField(max_length=300, assume_scheme="https", label="Base URL")
    token_url = forms.URLField(
        max_length=300, assume_scheme="https", initial=PMNL_DEFAULT_TOKEN_URL, label="Token URL"
    )
    client_secret = forms.CharField(label="Client secret")
    api_key = forms.CharField(label="API key")
    secret_fields = ("client_secret", "api_key")

    class Meta:
        model = PmnlAccount
        fields = ["organization", "base_url", "token_url", "client_id", "is_active"]
        labels = {"client_id": "Client ID"}


@admin.register(PmnlAccount)
class PmnlAccountAdmin(UpstreamAccountAdmin):
    """The organization's PMNL account (its admins', or a superuser's)."""

    labels = {"client_id": "Client ID", "base_url": "Base URL"}
    accounts = PMNL_ACCOUNTS
    form = PmnlAccountForm
    list_display = ["organization", "client_id", "base_url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["organization__name", "client_id"]


# PMNL's identifiers as operators read them (the models name them in lower case).
IDENTIFIERS = {
    "iccid": "ICCID",
    "msisdn": "MSISDN",
    "cust_id": "Customer ID",
}


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
    labels = {
        **IDENTIFIERS,
        "imsi": "IMSI",
        "aor_domain_id": "AOR domain ID",
        "aor_username": "AOR username",
        "apn": "APN",
    }
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
    labels = {**IDENTIFIERS, "id": "Request ID", "upstream_request_id": "PMNL request ID"}
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
        labels = {"cust_id": "Customer ID (cust_id)"}
        help_texts = {"cust_id": "The PMNL customer this user may provision subscribers for."}


@admin.register(CustomerAuthorization)
class CustomerAuthorizationAdmin(ConsoleAdmin):
    """Which customer ids (cust_id) a user may provision: the organization's admins grant and
    revoke them through the services (audited); every member sees their organization's."""

    console_group = "Provisioning"
    labels = {"cust_id": "Customer ID"}
    member_may_add = True  # an organization admin's (the service's rule, also asked here)
    form = CustomerAuthorizationForm
    list_display = ["user", "cust_id", "organization", "granted_by", "created_at"]
    list_select_related = ["user", "organization", "granted_by"]
    search_fields = ["user__username", "cust_id"]
    readonly_fields = ["user", "cust_id", "organization", "granted_by", "created_at"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj is not None else []

    def has_add_permission(self, request):
        return super().has_add_permission(request) and is_organization_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # granted or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked with the action, through the service

    def has_revoke_permission(self, request):
        return self.has_view_permission(request) and is_organization_admin(request.user)

    def save_model(self, request, obj, form, change):
        granted = []
        self.save_through(
            request,
            lambda: granted.append(
                services.grant_customer(
                    user=form.cleaned_data["user"],
                    cust_id=form.cleaned_data["cust_id"],
                    context=Context.from_request(request, via="console"),
                )
            ),
        )
        if granted:
            obj.pk = granted[0].pk

    @admin.action(description="Revoke the selected authorizations", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("user", "organization"),
            "Revoked",
            lambda row, context: services.revoke_customer(authorization=row, context=context),
        )
