import json
import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyInline, UpstreamAccountAdmin, UpstreamAccountForm
from core.console import ConsoleAdmin, describe_failure, run_operation
from core.context import Context
from core.dashboard import Chart, Series
from core.errors import DomainError
from core.humanize import (
    human_ago,
    human_bytes,
    human_count,
    human_counted,
    human_datetime,
    percent,
)
from core.job_kinds import job_progress
from quotas import services as quota_services
from quotas.models import Quota, QuotaType, TopUp, TopUpSource
from quotas.selectors import depleted, over_threshold
from sims import services
from sims.accounts import ONENCE_ACCOUNTS
from sims.api.serializers import SimChangeSerializer
from sims.models import (
    ONENCE_DEFAULT_BASE_URL,
    ConnectivitySnapshot,
    LimitSet,
    OnenceAccount,
    Order,
    Sim,
    SimEvent,
    SimStatus,
)
from sims.selectors import LIMIT_FIELDS, NOT_SEEN_AFTER, latest_snapshot, seen_since, with_last_seen
from sims.services.jobs import start_configure_sims, start_reset_sims, start_sync_sims
from sims.services.limits import set_limits
from sms import services as sms_services
from sms.models import SmsEncoding, SmsMessage
from upstream.exceptions import UpstreamError
from usage.selectors import month_usage, sim_days

MB = 1024 * 1024


class OnenceAccountForm(UpstreamAccountForm):
    base_url = forms.URLField(
        max_length=300, assume_scheme="https", initial=ONENCE_DEFAULT_BASE_URL, label="Base URL"
    )
    client_secret = forms.CharField(strip=True, label="Client secret")
    secret_fields = ("client_secret",)

    class Meta:
        model = OnenceAccount
        fields = ["organization", "base_url", "client_id", "is_active"]


@admin.register(OnenceAccount)
class OnenceAccountAdmin(UpstreamAccountAdmin):
    """The organization's 1NCE API account (its admins', or a superuser's)."""

    accounts = ONENCE_ACCOUNTS
    form = OnenceAccountForm
    labels = {"client_id": "Client ID"}
    list_display = ["organization", "client_id", "base_url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["organization__name", "client_id"]


# --- list filters ---------------------------------------------------------------------------


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        sims = model_admin.get_queryset(request)
        # Distinct tag lists are few; their tags are the choices.
        lists = sims.order_by().values_list("tags", flat=True).distinct()[:500]
        tags = sorted({str(tag) for tags in lists for tag in (tags or [])})
        return [(tag, tag) for tag in tags]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__contains=[self.value()])
        return queryset


class ConnectivityFilter(admin.SimpleListFilter):
    title = "connectivity (newest reading)"
    parameter_name = "connectivity"

    def lookups(self, request, model_admin):
        return [("online", "Online"), ("offline", "Offline"), ("unknown", "No reading")]

    def queryset(self, request, queryset):
        newest = latest_snapshot().values("connected")[:1]
        value = self.value()
        if value in ("online", "offline"):
            return queryset.alias(connected_now=newest).filter(connected_now=value == "online")
        if value == "unknown":
            return queryset.filter(~Exists(ConnectivitySnapshot.objects.filter(sim=OuterRef("pk"))))
        return queryset


class SeenFilter(admin.SimpleListFilter):
    title = "last seen"
    parameter_name = "seen"

    def lookups(self, request, model_admin):
        return [("day", "Within a day"), ("stale", "Not seen for a day")]

    def queryset(self, request, queryset):
        recently = Exists(seen_since(timezone.now() - NOT_SEEN_AFTER))
        if self.value() == "day":
            return queryset.filter(recently)
        if self.value() == "stale":
            return queryset.filter(~recently)
        return queryset


class QuotaThresholdFilter(admin.SimpleListFilter):
    title = "quota"
    parameter_name = "quota"

    def lookups(self, request, model_admin):
        return [("reached", "Threshold reached"), ("depleted", "Depleted")]

    def queryset(self, request, queryset):
        condition = {"reached": over_threshold(), "depleted": depleted()}.get(self.value())
        if condition is None:
            return queryset
        return queryset.filter(Exists(Quota.objects.filter(condition, sim=OuterRef("pk"))))


class MissingFilter(admin.SimpleListFilter):
    title = "at 1NCE"
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("yes", "Gone from 1NCE"), ("no", "Present")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(missing_upstream_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(missing_upstream_since__isnull=True)
        return queryset


# --- the SIM page's operations ----------------------------------------------------------------


class TopUpForm(forms.Form):
    quota_type = forms.ChoiceField(choices=QuotaType.choices, label="Quota")
    packages = forms.TypedChoiceField(coerce=int, label="Packages")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["packages"].choices = [
            (n, str(n)) for n in range(1, settings.TOPUP_MAX_PACKAGES + 1)
        ]

    @property
    def volume(self) -> int:
        quota_type = self.cleaned_data["quota_type"]
        return self.cleaned_data["packages"] * quota_services.package_size(quota_type)

    def describe(self) -> str:
        quota_type = self.cleaned_data["quota_type"]
        amount = human_bytes(self.volume) if quota_type == QuotaType.DATA else f"{self.volume} SMS"
        packages = self.cleaned_data["packages"]
        return f"buy {packages} package(s) of {QuotaType(quota_type).label.lower()}: {amount}"


class SmsForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea, max_length=1600, label="Message")
    encoding = forms.ChoiceField(choices=SmsEncoding.choices, initial=SmsEncoding.GSM7)

    def describe(self) -> str:
        return f"send the SMS “{self.cleaned_data['message']}”"


SETTING_NAMES = {
    "label": lambda changes: "the label",
    "imei_lock": lambda changes: f"the IMEI lock ({'on' if changes['imei_lock'] else 'off'})",
}
IMEI_LOCK_CHOICES = [("on", "Locked"), ("off", "Not locked")]


class SimSettingsForm(forms.Form):
    """A SIM's label and IMEI lock, 1NCE's: checked by the API's rules and changed by the
    API's service (``update_sim``), at 1NCE first."""

    label = forms.CharField(max_length=200, required=False, label="Label")
    imei_lock = forms.ChoiceField(choices=IMEI_LOCK_CHOICES, label="IMEI lock")

    @classmethod
    def of(cls, sim) -> "SimSettingsForm":
        initial = {"label": sim.label, "imei_lock": "on" if sim.imei_lock else "off"}
        return cls(initial=initial, auto_id="settings_%s")

    def clean(self):
        cleaned = super().clean()
        values = {"label": cleaned.get("label", ""), "imei_lock": cleaned.get("imei_lock") == "on"}
        changes = SimChangeSerializer(data=values, partial=True)
        if changes.is_valid():
            self.changes = dict(changes.validated_data)
        else:
            for name, problems in changes.errors.items():
                self.add_error(name if name in self.fields else None, str(problems))
        return cleaned

    def changes_of(self, sim) -> dict:
        """What differs from the SIM's mirror (nothing is sent when nothing does)."""
        return {name: value for name, value in self.changes.items() if getattr(sim, name) != value}

    def describe(self) -> str:
        lock = "on" if self.changes["imei_lock"] else "off"
        return f"set the label to “{self.changes['label']}” and the IMEI lock {lock}"


class NoInput(forms.Form):
    def describe(self) -> str:
        return ""


def package_choices() -> list[tuple[str, str]]:
    data = quota_services.package_size(QuotaType.DATA)
    sms = quota_services.package_size(QuotaType.SMS)
    return [
        (n, f"{n} x ({human_bytes(data)} data / {sms} SMS)")
        for n in range(1, settings.TOPUP_MAX_PACKAGES + 1)
    ]


class SimChangeForm(forms.ModelForm):
    """The parts of a SIM that are ours to change in the console (tags, metadata), checked by
    the API's own rules; everything else is 1NCE's (actions) or the tenant's (never)."""

    tags = forms.CharField(
        required=False,
        help_text="Comma-separated, e.g. “pos, berlin”.",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = Sim
        fields = ["tags", "metadata"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["tags"] = ", ".join(str(tag) for tag in self.instance.tags)

    def clean_tags(self) -> list:
        raw = self.cleaned_data.get("tags", "").strip()
        if raw.startswith("["):  # the API's shape is accepted too
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise forms.ValidationError("Enter tags separated by commas.") from exc
            return value if isinstance(value, list) else [value]
        return [tag.strip() for tag in raw.split(",") if tag.strip()]

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned[name] for name in self.Meta.fields if name in cleaned}
        changes = SimChangeSerializer(data=values, partial=True)
        if changes.is_valid():
            self.validated_changes = changes.validated_data
        else:
            for name, problems in changes.errors.items():
                self.add_error(name if name in self.fields else None, str(problems))
        return cleaned


class TopUpBulkForm(TopUpForm):
    """The same choice for each of the selected SIMs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["packages"].label = "Packages per SIM"


@admin.register(Sim)
class SimAdmin(ConsoleAdmin):
    """The operator's SIM list and SIM page: live connectivity, usage, quotas, history and the
    operations, each through the same service as the API."""

    console_group = "Fleet"
    member_may_change = True
    change_form_template = "admin/sims/sim/operator_page.html"
    list_display = [
        "iccid",
        "label",
        "status_badge",
        "data_used_month",
        "data_left",
        "sms_left",
        "last_seen",
        "tags_list",
        "organization",
    ]
    list_display_links = ["iccid", "label"]
    list_filter = [
        "status",
        TagFilter,
        ConnectivityFilter,
        SeenFilter,
        QuotaThresholdFilter,
        MissingFilter,
        "current_rat",
        "current_country",
    ]
    list_select_related = ["organization"]
    search_fields = ["=iccid", "=iccid_with_luhn", "=imsi", "=msisdn", "=imei", "label"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    form = SimChangeForm
    fieldsets = [
        (None, {"fields": ["tags", "metadata"]}),
        (
            "Identity",
            {
                "fields": [
                    "organization",
                    "iccid",
                    "iccid_with_luhn",
                    "imsi",
                    "imsi_2",
                    "current_imsi",
                    "msisdn",
                    "imei",
                    "imei_lock",
                    "ip_address",
                    "ipv6_address",
                ],
                "classes": ["collapse"],
            },
        ),
        (
            "Mirror",
            {
                "fields": [
                    "status",
                    "label",
                    "activation_date",
                    "current_rat",
                    "current_country",
                    "current_operator",
                    "last_synced",
                    "usage_synced",
                    "missing_upstream_since",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    # Every column but tags and metadata is 1NCE's (changed by the operations) or the
    # tenant's: no console path moves a SIM to another organization.
    readonly_fields = [
        "organization",
        "iccid",
        "iccid_with_luhn",
        "imsi",
        "imsi_2",
        "current_imsi",
        "msisdn",
        "imei",
        "imei_lock",
        "status",
        "label",
        "ip_address",
        "ipv6_address",
        "activation_date",
        "current_rat",
        "current_country",
        "current_operator",
        "last_synced",
        "usage_synced",
        "missing_upstream_since",
    ]
    actions = [
        "sync_selected",
        "reset_selected",
        "enable_selected",
        "disable_selected",
        "top_up_selected",
    ]

    # -- list
    def get_queryset(self, request):
        return with_last_seen(super().get_queryset(request))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # This month's usage of the page's SIMs: one query for the page, not one per row.
        today = timezone.localdate()
        self._month_usage = month_usage(
            [sim.pk for sim in changelist.result_list], month=today.replace(day=1)
        )
        return changelist

    @admin.display(description="Status", ordering="status")
    def status_badge(self, sim):
        tone = {"Enabled": "ok", "Suspended": "warning", "Expired": "danger"}.get(sim.status, "")
        return format_html('<span class="badge {}">{}</span>', tone, sim.get_status_display())

    @admin.display(description="Data used this month")
    def data_used_month(self, sim):
        used = getattr(self, "_month_usage", {}).get(sim.pk)
        return human_bytes(used[0]) if used else "0 B"

    @admin.display(description="Data left", ordering="data_quota_remaining_bytes")
    def data_left(self, sim):
        if sim.data_quota_remaining_bytes is None:
            return "—"
        share = percent(sim.data_quota_remaining_bytes, sim.data_quota_total_bytes)
        text = human_bytes(sim.data_quota_remaining_bytes)
        return f"{text} ({share:g} %)" if share is not None else text

    @admin.display(description="SMS left", ordering="sms_quota_remaining")
    def sms_left(self, sim):
        if sim.sms_quota_remaining is None:
            return "—"
        return f"{human_count(sim.sms_quota_remaining)} of {human_count(sim.sms_quota_total)}"

    @admin.display(description="Last seen", ordering="last_seen_at")
    def last_seen(self, sim):
        state = {True: ("ok", "online"), False: ("danger", "offline")}.get(sim.online)
        badge = format_html(' <span class="badge {}">{}</span>', *state) if state else ""
        return format_html("{}{}", human_ago(sim.last_seen_at), badge)

    @admin.display(description="Tags")
    def tags_list(self, sim):
        return format_html_join(" ", '<span class="badge">{}</span>', ((t,) for t in sim.tags))

    @admin.display(description="Last synced from 1NCE")
    def last_synced(self, sim):
        return f"{human_datetime(sim.last_synced_at)} ({human_ago(sim.last_synced_at)})"

    @admin.display(description="Usage last read")
    def usage_synced(self, sim):
        return human_ago(sim.usage_synced_at)

    def has_add_permission(self, request):
        return False  # SIMs come from 1NCE through the sync

    def has_delete_permission(self, request, obj=None):
        return False  # the sync flags SIMs gone from 1NCE; a row is never dropped by hand

    def save_model(self, request, obj, form, change):
        """Tags and metadata change through the same service as the API: audited with the
        operator as actor, a ``configuration_changed`` event, the read caches dropped."""
        changes = {k: v for k, v in form.validated_changes.items() if k in form.changed_data}
        if changes:
            sim = Sim.objects.select_related("organization").get(pk=obj.pk)
            self.save_through(
                request,
                lambda: services.update_sim(
                    sim=sim, changes=changes, context=Context.from_request(request, via="console")
                ),
            )

    # -- the SIM page
    def get_urls(self):
        return [
            path(
                "<path:object_id>/operate/<str:operation>/",
                self.admin_site.admin_view(self.operate_view),
                name="sims_sim_operate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sim = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if sim is not None:
            extra.update(self.operator_context(request, sim))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def operator_context(self, request, sim) -> dict:
        today = timezone.localdate()
        days = sim_days(sim=sim, start=today - timedelta(days=89), end=today)
        usage_chart = Chart(
            kind="line",
            labels=[d.date.isoformat() for d in days],
            series=[
                Series("Data", [round(d.volume / MB, 2) for d in days], "MB"),
                Series("SMS", [d.mo + d.mt for d in days], "SMS", axis="y2"),
            ],
        )
        month = [d for d in days if d.date >= today.replace(day=1)]
        quotas = {q.quota_type: q for q in Quota.objects.filter(sim=sim)}
        operate = self.has_operate_permission(request)
        return {
            "sim": sim,
            "connectivity": self.connectivity(sim),
            "usage_chart": usage_chart.config(),
            "usage_month": {
                "data": human_bytes(sum(d.volume for d in month)),
                "sms": human_count(sum(d.mo + d.mt for d in month)),
                "data_90": human_bytes(sum(d.volume for d in days)),
            },
            "gauges": [gauge(quotas.get(t.value), t, sim) for t in QuotaType],
            "events": list(SimEvent.objects.filter(sim=sim).order_by("-occurred_at", "-id")[:10]),
            "sms_messages": list(
                SmsMessage.objects.filter(sim=sim).order_by("-created_at", "-id")[:8]
            ),
            "topups": list(
                TopUp.objects.filter(sim=sim)
                .select_related("requested_by")
                .order_by("-created_at", "-id")[:8]
            ),
            "can_operate": operate,
            "topup_form": TopUpForm(),
            "package_choices": package_choices(),
            "sms_form": SmsForm(),
            "settings_form": SimSettingsForm.of(sim),
            "links": {
                "events": f"{reverse('admin:sims_simevent_changelist')}?sim__id__exact={sim.pk}",
                "sms": f"{reverse('admin:sms_smsmessage_changelist')}?sim__id__exact={sim.pk}",
                "topups": f"{reverse('admin:quotas_topup_changelist')}?sim__id__exact={sim.pk}",
                "usage": f"{reverse('admin:usage_usagerecord_changelist')}?sim__id__exact={sim.pk}",
            },
        }

    @staticmethod
    def connectivity(sim) -> dict:
        """1NCE's live answer (cached briefly), else the last stored reading, flagged stale."""
        try:
            answer = services.live_connectivity(sim=sim)
            return {**answer, "age": human_ago(answer["timestamp"]), "error": ""}
        except (UpstreamError, DomainError) as exc:
            last = ConnectivitySnapshot.objects.filter(sim=sim).order_by("-taken_at").first()
            if last is None:
                return {"error": describe_failure(exc), "stale": True, "timestamp": None}
            return {
                "connected": last.connected,
                "connection_details": last.details,
                "timestamp": last.taken_at,
                "stale": True,
                "age": human_ago(last.taken_at),
                "error": describe_failure(exc),
            }

    OPERATIONS = {
        "sync": ("Sync from 1NCE", NoInput),
        "reset": ("Reset connectivity", NoInput),
        "enable": ("Enable at 1NCE", NoInput),
        "disable": ("Disable at 1NCE", NoInput),
        "topup": ("Top up", TopUpForm),
        "sms": ("Send an SMS", SmsForm),
        "settings": ("Change label and IMEI lock", SimSettingsForm),
    }

    def operate_view(self, request, object_id, operation):
        sim = self.get_object(request, object_id)  # scoped: another organization's is absent
        if sim is None or operation not in self.OPERATIONS:
            raise Http404("No such SIM.")
        if not self.has_operate_permission(request):
            raise PermissionDenied
        page = reverse("admin:sims_sim_change", args=[sim.pk])
        if request.method != "POST":
            return redirect(page)
        title, form_class = self.OPERATIONS[operation]
        form = form_class(request.POST)
        if not form.is_valid():
            for problems in form.errors.values():
                messages.error(request, " ".join(problems))
            return redirect(page)
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": f"{title}: {sim.iccid}",
                "sim": sim,
                "operation": operation,
                "operation_title": title,
                "summary": form.describe(),
                "values": {k: request.POST[k] for k in form.fields if k in request.POST},
                # One key per confirmation page: a double submit does it once.
                "idempotency_key": f"console-{uuid.uuid4().hex}",
                "opts": self.opts,
                "page": page,
            }
            return TemplateResponse(request, "admin/sims/sim/confirm_operation.html", context)
        sim = Sim.objects.select_related("organization").get(pk=sim.pk)
        key = request.POST.get("idempotency_key", "")[:255]
        run_operation(request, *self.perform(request, sim, operation, form, key))
        return redirect(page)

    def perform(self, request, sim, operation, form, key):
        """``(success message, the service call)`` of an operation."""
        context = Context.from_request(request, via="console")
        if operation == "sync":
            return "Synced from 1NCE.", lambda: services.sync_one(sim=sim)
        if operation == "reset":
            return (
                "Connectivity reset requested; 1NCE re-attaches the SIM in a few minutes.",
                lambda: services.request_reset(sim=sim, context=context),
            )
        if operation in ("enable", "disable"):
            status = SimStatus.ENABLED if operation == "enable" else SimStatus.DISABLED
            return (
                f"{status.label} at 1NCE.",
                lambda: services.update_sim(sim=sim, changes={"status": status}, context=context),
            )
        if operation == "settings":
            changes = form.changes_of(sim)
            if not changes:
                return "Nothing to change: 1NCE already has this label and IMEI lock.", lambda: None
            # The label is not repeated: the page shows it, and the message is a format string.
            return (
                "Saved at 1NCE: "
                + " and ".join(SETTING_NAMES[name](changes) for name in changes)
                + ".",
                lambda: services.update_sim(sim=sim, changes=changes, context=context),
            )
        if operation == "topup":
            data = form.cleaned_data
            return (
                "Top-up {result.transaction_id}: " + form.describe() + " — {result.status}.",
                lambda: quota_services.top_up_sim(
                    sim=sim,
                    quota_type=data["quota_type"],
                    volume=form.volume,
                    context=context,
                    source=TopUpSource.ADMIN,
                    idempotency_key=key,
                ),
            )
        data = form.cleaned_data
        return (
            "SMS {result.sms_id} accepted by 1NCE ({result.status}).",
            lambda: sms_services.send_sms(
                sim=sim,
                message=data["message"],
                encoding=data["encoding"],
                context=context,
                idempotency_key=key,
            ),
        )

    # -- bulk actions: each starts a job per organization (through its own 1NCE account)
    @admin.action(description="Sync from 1NCE now (as a job)", permissions=["operate"])
    def sync_selected(self, request, queryset):
        return self._start_jobs(request, queryset, "Sync", start_sync_sims)

    @admin.action(description="Reset connectivity (as a job)", permissions=["operate"])
    def reset_selected(self, request, queryset):
        return self._start_jobs(request, queryset, "Reset", start_reset_sims)

    @admin.action(description="Enable at 1NCE (as a job)", permissions=["operate"])
    def enable_selected(self, request, queryset):
        return self._configure_job(request, queryset, {"status": SimStatus.ENABLED}, "Enable")

    @admin.action(description="Disable at 1NCE (as a job)", permissions=["operate"])
    def disable_selected(self, request, queryset):
        return self._configure_job(request, queryset, {"status": SimStatus.DISABLED}, "Disable")

    def _configure_job(self, request, queryset, changes, verb):
        def start(*, organization, iccids, context):
            items = [{"iccid": iccid, **changes} for iccid in iccids]
            return start_configure_sims(organization=organization, items=items, context=context)

        return self._start_jobs(request, queryset, verb, start)

    def _start_jobs(self, request, queryset, verb, start):
        """Start one job per organization of the selected SIMs with
        ``start(organization=, iccids=, context=)``; an organization refused (no 1NCE account,
        the queue down) is reported and the others go on. Links to the jobs' pages, and opens
        the job's page when there is one."""
        jobs = []
        context = Context.from_request(request, via="console")
        for organization, iccids in by_organization(queryset):
            try:
                jobs.append(start(organization=organization, iccids=iccids, context=context))
            except (UpstreamError, DomainError) as exc:
                self.message_user(
                    request, f"{organization}: {describe_failure(exc)}", messages.ERROR
                )
        if not jobs and not len(messages.get_messages(request)):
            self.message_user(request, "None of the selected SIMs can be changed here.")
        for job in jobs:
            job.refresh_from_db()  # a worker may have started it already
            link = reverse("admin:core_job_change", args=[quote(job.pk)])
            self.message_user(
                request,
                format_html(
                    '{} {}: <a href="{}">job {}</a> — {}, {}.',
                    verb,
                    human_counted(job.total, "SIM"),
                    link,
                    job.pk,
                    job.get_status_display().lower(),
                    job_progress(job),
                ),
            )
        if len(jobs) == 1:
            return redirect(reverse("admin:core_job_change", args=[quote(jobs[0].pk)]))
        return None

    @admin.action(description="Top up (as a job)…", permissions=["operate"])
    def top_up_selected(self, request, queryset):
        form = TopUpBulkForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            quota_type = form.cleaned_data["quota_type"]
            volume = form.cleaned_data["packages"] * quota_services.package_size(quota_type)

            def start(*, organization, iccids, context):
                items = [
                    {"iccid": iccid, "quota_type": quota_type, "volume": volume} for iccid in iccids
                ]
                return quota_services.start_bulk_topup(
                    organization=organization, items=items, context=context
                )

            return self._start_jobs(request, queryset, "Topping up", start)
        context = {
            **self.admin_site.each_context(request),
            "title": "Top up the selected SIMs",
            "form": form,
            "sims": queryset.order_by("iccid")[:200],
            "count": queryset.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "package_choices": package_choices(),
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/sims/sim/bulk_topup.html", context)


def by_organization(queryset):
    """The selected SIMs' ICCIDs per organization (a bulk job runs for one organization)."""
    groups: dict = {}
    for sim in queryset.select_related("organization").order_by("organization_id", "iccid"):
        groups.setdefault(sim.organization, []).append(sim.iccid)
    return list(groups.items())


def gauge(quota: Quota | None, quota_type: QuotaType, sim: Sim) -> dict:
    """A quota as a gauge: used, left and total in human units (the mirror; 1NCE's sync or the
    quota refresh keeps it current)."""
    if quota is not None and quota.volume:
        total, left, refreshed = quota.volume, quota.remaining, quota.refreshed_at
    elif quota_type == QuotaType.DATA:
        total, left, refreshed = sim.data_quota_total_bytes, sim.data_quota_remaining_bytes, None
    else:
        total, left, refreshed = sim.sms_quota_total, sim.sms_quota_remaining, None
    show = human_bytes if quota_type == QuotaType.DATA else human_count
    used = total - left if total is not None and left is not None else None
    share = percent(used, total)
    return {
        "label": quota_type.label,
        "known": total is not None and left is not None,
        "share": share,
        "used_text": show(used),
        "left_text": show(left),
        "total_text": show(total),
        "status": quota.get_status_display() if quota else "",
        "over_threshold": bool(quota and quota.threshold_crossed_at),
        "refreshed": human_ago(refreshed) if refreshed else "with the SIM sync",
    }


class RecentEventsInline(ReadOnlyInline):
    model = SimEvent
    fields = ["occurred_at", "event_type", "severity", "source", "description"]
    readonly_fields = fields


@admin.register(SimEvent)
class SimEventAdmin(ConsoleAdmin):
    """Events are history: written by the services that cause them, never by hand."""

    console_group = "Fleet"
    labels = {"upstream_id": "1NCE event ID"}
    list_display = ["occurred", "sim", "event_type", "severity", "source", "organization"]
    list_filter = ["event_type", "severity", "source", "category"]
    search_fields = ["=sim__iccid", "description"]
    list_select_related = ["sim", "organization"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["sim"]
    show_full_result_count = False

    @admin.display(description="When", ordering="occurred_at")
    def occurred(self, event):
        return f"{human_datetime(event.occurred_at)} ({human_ago(event.occurred_at)})"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- limits: changed only through the service (audited) ------------------------------------


class LimitsForm(forms.ModelForm):
    """Limits as the API takes them; saved by ``sims.services.limits.set_limits``."""

    daily_data_limit_mb = forms.IntegerField(min_value=0, required=False, label="Daily data (MB)")
    monthly_data_limit_mb = forms.IntegerField(
        min_value=0, required=False, label="Monthly data (MB)"
    )

    class Meta:
        model = LimitSet
        fields = [
            "organization",
            "sim",
            "daily_sms_limit",
            "monthly_sms_limit",
            "enforce_limits",
            "alert_threshold_percent",
            "sms_allowed_destinations",
            "sms_blocked_destinations",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("daily_data_limit", "monthly_data_limit"):
            value = getattr(self.instance, name, None)
            if value is not None:
                self.initial[f"{name}_mb"] = value // MB

    def limit_values(self) -> dict:
        values = {
            name: self.cleaned_data.get(name)
            for name in LIMIT_FIELDS
            if name in self.cleaned_data and name in self.changed_data
        }
        for name in ("daily_data_limit", "monthly_data_limit"):
            if f"{name}_mb" in self.changed_data:
                mb = self.cleaned_data.get(f"{name}_mb")
                values[name] = None if mb is None else mb * MB
        return values

    def clean(self):
        cleaned = super().clean()
        sim, organization = cleaned.get("sim"), cleaned.get("organization")
        if sim is not None and organization is not None and sim.organization_id != organization.pk:
            self.add_error("sim", "This SIM belongs to another organization.")
        return cleaned


@admin.register(LimitSet)
class LimitSetAdmin(ConsoleAdmin):
    """Usage limits, changed through ``set_limits`` (audited with before/after)."""

    console_group = "Usage & quotas"
    member_may_change = True
    member_may_add = True
    form = LimitsForm
    list_display = [
        "scope",
        "daily_data",
        "monthly_data",
        "daily_sms_limit",
        "monthly_sms_limit",
        "enforce_limits",
        "organization",
    ]
    list_select_related = ["organization", "sim"]
    autocomplete_fields = ["sim"]
    fields = [
        "organization",
        "sim",
        "daily_data_limit_mb",
        "monthly_data_limit_mb",
        "daily_sms_limit",
        "monthly_sms_limit",
        "enforce_limits",
        "alert_threshold_percent",
        "sms_allowed_destinations",
        "sms_blocked_destinations",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["organization", "sim"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # No service deletes limits (nor audits it): a SIM's own values are emptied through
        # the form, and it inherits the organization's again.
        return False

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not request.user.is_superuser:
            initial["organization"] = request.user.organization_id
        return initial

    @admin.display(description="Applies to")
    def scope(self, limits):
        return limits.sim.iccid if limits.sim_id else "Whole organization"

    @admin.display(description="Daily data")
    def daily_data(self, limits):
        return human_bytes(limits.daily_data_limit)

    @admin.display(description="Monthly data")
    def monthly_data(self, limits):
        return human_bytes(limits.monthly_data_limit)

    def save_model(self, request, obj, form, change):
        organization = obj.organization if change else form.cleaned_data["organization"]
        sim = obj.sim if change else form.cleaned_data.get("sim")
        if not request.user.is_superuser and organization.pk != request.user.organization_id:
            raise PermissionDenied
        saved = []
        self.save_through(
            request,
            lambda: saved.append(
                set_limits(
                    organization=organization,
                    sim=sim,
                    values=form.limit_values(),
                    context=Context.from_request(request, via="console"),
                )
            ),
        )
        if saved:
            obj.pk = saved[0].pk


@admin.register(Order)
class OrderAdmin(ConsoleAdmin):
    console_group = "Fleet"
    list_display = ["order_number", "status", "amount", "created_by", "created", "organization"]
    list_filter = ["status"]
    list_select_related = ["organization", "created_by"]
    search_fields = ["order_number"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Order._meta.fields]

    @admin.display(description="Amount", ordering="total_amount")
    def amount(self, order):
        if order.total_amount is None:
            return "—"
        return f"{order.total_amount:,.2f} {order.currency}"

    @admin.display(description="Placed", ordering="created_at")
    def created(self, order):
        return human_datetime(order.created_at)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
