"""The operators' console: FleetOps's admin site and the base every console page shares.

``FleetOpsAdminSite`` is the default admin site (``core.apps.ConsoleAdminConfig``): its home is
the dashboard (``core.dashboard`` panels), its navigation is grouped by what operators do
rather than by Python app, and the simulators' and django-celery-beat's internals sit in one
"System" group that only superusers see. Pages show moments in the operator's time zone (the
browser's, sent by ``console.js`` in a cookie).

``ConsoleAdmin`` is the one base of every ``ModelAdmin``: tenancy (a staff member of an
organization sees and acts on that organization's rows only, on every page: lists, filters,
foreign-key choices, autocomplete, actions; a superuser sees all and filters by organization)
and the API's roles (viewers look, operators and admins act).
"""

import zoneinfo
from urllib.parse import unquote

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect
from rest_framework.exceptions import ValidationError as ApiValidationError

from core import audit, dashboard
from core.context import Context
from core.errors import DomainError
from upstream.exceptions import UpstreamError

TIME_ZONE_COOKIE = "fleetops_tz"

# The navigation, in the order an operator scans it.
NAV_GROUPS = [
    "Fleet",
    "Usage & quotas",
    "Messages",
    "Provisioning",
    "Outages & SLA",
    "Payments",
    "Alerts",
    "Operations",
    "Access",
    "System",
]
SYSTEM = "System"
# Third-party apps' models, which carry no ``console_group`` of their own.
APP_GROUPS = {"auth": "Access", "axes": SYSTEM, "django_celery_beat": SYSTEM}
# Roles that act (the API's rule, accounts.permissions.RolePermission.default_write_roles);
# core names them by value because it imports nothing of the apps above it.
WRITE_ROLES = frozenset({"admin", "operator"})


def describe_failure(exc: Exception) -> str:
    """The message an operator reads for a refused or failed operation (never a secret)."""
    if isinstance(exc, UpstreamError):
        return f"1NCE: {exc.public_message}"
    if isinstance(exc, ApiValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return " ".join(str(m) for messages_ in detail.values() for m in _listed(messages_))
        return " ".join(str(m) for m in _listed(detail))
    if isinstance(exc, DomainError):
        return str(exc)
    return "The operation failed."


def _listed(value):
    return value if isinstance(value, list) else [value]


def run_operation(request, success: str, operation) -> bool:
    """Run ``operation()`` (a service call) and tell the operator how it went.

    ``success`` may name the result's fields (``"Top-up {result.transaction_id}"``); a choice
    field reads as its label (``{result.status}`` shows "Completed", not ``completed``)."""
    try:
        result = operation()
    except (DomainError, UpstreamError, ApiValidationError) as exc:
        messages.error(request, describe_failure(exc))
        return False
    if "{result" in success:
        success = success.format(result=_AsShown(result))
    messages.success(request, success)
    return True


class _AsShown:
    """A result's fields as an operator reads them: a model's choice field by its label
    (``get_<field>_display``), any other attribute as it is."""

    def __init__(self, result):
        self._result = result

    def __getattr__(self, name):
        display = getattr(self._result, f"get_{name}_display", None)
        return display() if callable(display) else getattr(self._result, name)

    def __format__(self, spec):
        return format(self._result, spec)


# --- tenancy and roles ---------------------------------------------------------------------


def is_member(user) -> bool:
    """A staff user who belongs to an organization (and is not a superuser)."""
    return not user.is_superuser and getattr(user, "organization_id", None) is not None


def may_operate(user) -> bool:
    return user.is_superuser or (
        user.is_active and user.is_staff and getattr(user, "role", None) in WRITE_ROLES
    )


def is_organization_admin(user) -> bool:
    """A superuser, or an active staff admin of their organization (``User.is_org_admin``)."""
    return user.is_superuser or (
        is_member(user)
        and user.is_active
        and user.is_staff
        and bool(getattr(user, "is_org_admin", False))
    )


class ConsoleAdmin(admin.ModelAdmin):
    """Base of every console page.

    ``tenant_field`` is the path from the model to its organization (``"sim__organization"``
    for a quota); ``None`` makes the page a superuser's only. ``console_group`` places the
    model in the navigation. Members may change or add only where ``member_may_change`` /
    ``member_may_add`` say so, and only with a role that acts; deleting is a superuser's.
    ``admins_only`` keeps the page (an organization's upstream accounts) to the organization's
    admins among its members. A member without a role that acts is offered no action.
    ``labels`` names a model's fields as operators read them (``{"iccid": "ICCID"}``) where
    the model gives them no verbose name: in the list's columns and the page's read-only
    fields.
    """

    tenant_field: str | None = "organization"
    console_group: str = SYSTEM
    admins_only = False
    labels: dict[str, str] = {}
    member_may_change = False
    member_may_add = False
    list_per_page = 50
    # Django saves a form in one transaction. A page whose form saves through a service that
    # calls an upstream sets this False: the service owns its transactions and calls the
    # upstream outside them (``upstream.transactions``).
    form_in_transaction = True

    # -- scoping
    def scope_queryset(self, request, queryset):
        user = request.user
        if user.is_superuser:
            return queryset
        if self.tenant_field is None or not is_member(user):
            return queryset.none()
        return queryset.filter(**{f"{self.tenant_field}_id": user.organization_id})

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A member picks only among their organization's rows (and their organization)."""
        related = db_field.remote_field.model
        related_admin = self.admin_site._registry.get(related)
        if isinstance(related_admin, ConsoleAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        organization = self.organization_filter()
        if request.user.is_superuser and organization and organization not in filters:
            filters.append(organization)
        if not request.user.is_superuser:
            filters = [f for f in filters if f != organization]
        return filters

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not request.user.is_superuser:
            columns = [c for c in columns if c != "organization"]
        return self._labelled(columns)

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        return self._labelled(links) if links else links

    # -- labels
    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        for name, label in self.labels.items():
            setattr(self, labelled_name(name), _shown_as(model._meta.get_field(name), label))

    def _labelled(self, names, only=None):
        """``names`` with each field named in ``labels`` (and in ``only``, when given) replaced
        by its labelled display."""
        return [
            labelled_name(name)
            if isinstance(name, str) and name in self.labels and (only is None or name in only)
            else name
            for name in names
        ]

    def get_readonly_fields(self, request, obj=None):
        return self._labelled(super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self.labels:
            return fields
        read_only = {
            name
            for name in self.labels
            if labelled_name(name) in self.get_readonly_fields(request, obj)
        }
        if obj is not None and not self.has_change_permission(request, obj):
            read_only.update(self.labels)  # a page shown, never edited
        return list(dict.fromkeys(self._labelled(fields, only=read_only)))

    def organization_filter(self) -> str | None:
        if self.tenant_field is None:
            return None
        return self.tenant_field

    def lookup_allowed(self, lookup, value, request=None):
        # The organization filter a superuser uses (``sim__organization``) is always allowed.
        if self.tenant_field and lookup.startswith(self.tenant_field):
            return True
        return super().lookup_allowed(lookup, value, request)

    # -- permissions
    def member_may_view(self, request) -> bool:
        user = request.user
        if self.tenant_field is None or not is_member(user):
            return False
        return not self.admins_only or is_organization_admin(user)

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return True
        return self.member_may_view(request)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self.member_may_view(request)

    def has_operate_permission(self, request):
        """May run this page's actions (the API's write roles)."""
        user = request.user
        if user.is_superuser:
            return True
        return self.has_view_permission(request) and may_operate(user)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self.member_may_change and self.has_operate_permission(request)

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self.member_may_add and self.has_operate_permission(request)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return False

    # -- forms saved through a service
    @method_decorator(csrf_protect)
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if self.form_in_transaction:
            return super().changeform_view(request, object_id, form_url, extra_context)
        return self._changeform_view(request, object_id, form_url, extra_context)

    def save_through(self, request, call) -> bool:
        """Run ``call()`` (the service that saves what the form asked for). On a refusal the
        operator reads why and gets the form back; nothing is logged as changed."""
        try:
            call()
        except (DomainError, UpstreamError, ApiValidationError) as exc:
            request.console_failure = describe_failure(exc)
            return False
        return True

    def _failed(self, request):
        failure = getattr(request, "console_failure", "")
        if failure:
            self.message_user(request, failure, messages.ERROR)
            return redirect(request.get_full_path())
        return None

    def response_add(self, request, obj, post_url_continue=None):
        return self._failed(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._failed(request) or super().response_change(request, obj)

    def log_addition(self, request, obj, message):
        if not getattr(request, "console_failure", ""):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not getattr(request, "console_failure", ""):
            return super().log_change(request, obj, message)
        return None

    def get_actions(self, request):
        # Every console action changes something or calls an upstream: a viewer has none.
        if not self.has_operate_permission(request):
            return {}
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)
        return actions


def labelled_name(name: str) -> str:
    return f"{name}__labelled"


def _shown_as(field, label: str):
    """A display of ``field`` under ``label``, formatted as the admin formats the field."""

    @admin.display(description=label, ordering=field.name)
    def show(obj):
        return display_for_field(getattr(obj, field.attname), field, "-")

    return show


# --- the site -------------------------------------------------------------------------------


class AuditedWrites:
    """The pages of models FleetOps does not own (django-celery-beat's schedules, axes'
    lockouts, the simulators' rows: a superuser's System group) save rows as their library
    does; each write is audited too, with the console user as actor, as every other console
    write is through its service. Added by ``FleetOpsAdminSite.register``."""

    def log_addition(self, request, obj, message):
        _audit_write(request, obj, "CONSOLE_ADD", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        _audit_write(request, obj, "CONSOLE_CHANGE", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            _audit_write(request, obj, "CONSOLE_DELETE", str(obj))
        return super().log_deletions(request, queryset)


def _audit_write(request, obj, operation: str, message) -> None:
    meta = obj._meta
    audit.record(
        operation=operation,
        resource_type=f"{meta.app_label}.{meta.model_name}",
        resource_id=str(obj.pk),
        context=Context.from_request(request, via="console"),
        request_body={"object": str(obj), "change": message},
    )


class FleetOpsAdminSite(admin.AdminSite):
    site_header = "FleetOps"
    site_url = "/"  # "View site": the landing page
    site_title = "FleetOps console"
    index_title = "Dashboard"
    index_template = "admin/fleetops/dashboard.html"
    enable_nav_sidebar = True

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every page's writes are audited: FleetOps's own pages write through services that
        audit, any other page (a library's) gets ``AuditedWrites``."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ConsoleAdmin | AuditedWrites):
            admin_class = type(
                admin_class.__name__,
                (AuditedWrites, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def in_operator_time_zone(request, *args, **kwargs):
            name = unquote(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
            try:
                zone = zoneinfo.ZoneInfo(name) if name else None
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = None
            if zone is None:
                return wrapped(request, *args, **kwargs)
            with timezone.override(zone):
                response = wrapped(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # while the operator's zone is active
                return response

        in_operator_time_zone.__wrapped__ = wrapped
        for attribute in ("csrf_exempt", "login_required"):
            if hasattr(wrapped, attribute):
                setattr(in_operator_time_zone, attribute, getattr(wrapped, attribute))
        return in_operator_time_zone

    def each_context(self, request):
        context = super().each_context(request)
        context["time_zone"] = timezone.get_current_timezone_name()
        return context

    # -- navigation
    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        groups: dict[str, list] = {}
        for app in self._build_app_dict(request).values():
            for entry in app["models"]:
                model = entry["model"]
                if isinstance(self._registry[model], ConsoleAdmin):
                    group = self._registry[model].console_group
                else:
                    group = APP_GROUPS.get(model._meta.app_label, SYSTEM)
                if group == SYSTEM and not request.user.is_superuser:
                    continue
                groups.setdefault(group, []).append(entry)
        ordered = sorted(groups, key=lambda g: NAV_GROUPS.index(g) if g in NAV_GROUPS else 99)
        return [
            {
                "name": group,
                "app_label": group.lower().replace(" & ", "-").replace(" ", "-"),
                "app_url": "",
                "has_module_perms": True,
                "models": sorted(groups[group], key=lambda e: e["name"]),
            }
            for group in ordered
        ]

    # -- pages
    def get_urls(self):
        from core import scheduler_console

        urls = [
            path(
                "scheduler/",
                self.admin_view(scheduler_console.scheduler_page(self)),
                name="scheduler",
            ),
        ]
        return urls + super().get_urls()

    def index(self, request, extra_context=None):
        scope = dashboard_scope(request)
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "subtitle": None,
            "panel_groups": dashboard.render(scope),
            "organizations": dashboard_organizations(request),
            "chosen_organization": request.GET.get("organization", ""),
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.index_template, context)


def dashboard_scope(request) -> dashboard.DashboardScope:
    """What the viewer may see on the dashboard: a member their organization, a superuser
    every organization or the one they chose (``?organization=``)."""
    user = request.user
    if user.is_superuser:
        chosen = request.GET.get("organization", "")
        return dashboard.DashboardScope(user, [int(chosen)] if chosen.isdigit() else None)
    if is_member(user):
        return dashboard.DashboardScope(user, [user.organization_id])
    return dashboard.DashboardScope(user, [])


def dashboard_organizations(request) -> list:
    """The organizations a superuser may narrow the dashboard to (none for a member)."""
    if not request.user.is_superuser:
        return []
    from django.apps import apps

    organization = apps.get_model("accounts", "Organization")
    return list(organization.objects.filter(is_active=True).order_by("name", "id")[:200])
