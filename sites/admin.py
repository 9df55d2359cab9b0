"""The operators' console for sites: every change goes through the same services as the API
(audited); streamed events, presence and site outages are read-only records."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.console import ConsoleAdmin, describe_failure
from core.context import Context
from core.errors import DomainError
from core.humanize import human_counted, human_datetime
from sims.models import Sim
from sites import selectors, services
from sites.models import (
    DataStream,
    DetectionPolicy,
    OutageEvidence,
    Site,
    SiteOutage,
    SiteOutageState,
    StreamEvent,
)
from sites.services.sites import POLICY_FIELDS, presence_of


def console_context(request) -> Context:
    return Context.from_request(request, via="console")


class SiteForm(forms.ModelForm):
    add_sims = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="ICCIDs to place at this site, separated by spaces, commas or new lines.",
    )

    class Meta:
        model = Site
        fields = ["code", "name", "location", "latitude", "longitude", "tags", "criticality"]

    def iccids(self) -> list[str]:
        text = self.cleaned_data.get("add_sims") or ""
        return [part for part in text.replace(",", " ").split() if part]


@admin.register(Site)
class SiteAdmin(ConsoleAdmin):
    console_group = "Fleet"
    member_may_add = True
    member_may_change = True
    form = SiteForm
    list_display = [
        "code",
        "name",
        "location",
        "criticality",
        "sim_count",
        "online",
        "offline_count",
        "last_change_at",
        "organization",
    ]
    list_filter = ["criticality"]
    search_fields = ["code", "name", "location"]
    list_select_related = ["organization"]
    readonly_fields = [
        "sim_count",
        "offline_count",
        "last_change_at",
        "placed_sims",
        "recent_outages",
    ]
    actions = ["apply_tag_rule"]
    sims_shown = 100

    @admin.display(description="SIMs placed here")
    def placed_sims(self, site):
        """The site's SIMs (the first ``sims_shown`` by ICCID), each online or offline as the
        Data Streamer last said, linking to its page."""
        if site.pk is None:
            return "-"
        sims = list(Sim.objects.filter(site=site).order_by("iccid")[: self.sims_shown])
        if not sims:
            return "None yet."
        presence = presence_of(sim.pk for sim in sims)
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:sims_sim_change", args=[sim.pk]),
                    sim.iccid,
                    sim.label or "",
                    "online"
                    if sim.pk not in presence or presence[sim.pk].online
                    else f"offline since {human_datetime(presence[sim.pk].changed_at)}",
                )
                for sim in sims
            ),
        )
        more = site.sim_count - len(sims)
        return format_html(
            '<table id="site-sims"><thead><tr><th>ICCID</th><th>Label</th><th>Connectivity</th>'
            "</tr></thead><tbody>{}</tbody></table>{}",
            rows,
            f"and {more} more" if more > 0 else "",
        )

    @admin.display(description="Outages")
    def recent_outages(self, site):
        """The site's latest outages: the outage (its page), how the site lost and regained
        its SIMs."""
        if site.pk is None:
            return "-"
        outages = selectors.site_outages(site, limit=10)
        if not outages:
            return "None."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td><a href="{}">{}</a></td><td>{}</td>'
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:outages_outage_change", args=[o.outage_id]),
                    o.outage.public_id,
                    o.outage.get_status_display(),
                    reverse("admin:sites_siteoutage_change", args=[o.pk]),
                    o.get_state_display(),
                    human_datetime(o.first_loss_at),
                    o.sims_lost,
                    human_datetime(o.recovered_at),
                )
                for o in outages
            ),
        )
        return format_html(
            '<table id="site-outages"><thead><tr><th>Outage</th><th>Status</th><th>Site state'
            "</th><th>First loss</th><th>SIMs lost</th><th>Recovered</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Online")
    def online(self, site):
        return site.online_count

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        organization = obj.organization if change else getattr(request.user, "organization", None)
        context = console_context(request)
        fields = {k: form.cleaned_data[k] for k in SiteForm.Meta.fields if k in form.cleaned_data}

        def save():
            if change:
                # The form already set its values on ``obj``: the service compares them with
                # the stored row, so it gets that row.
                stored = Site.objects.get(pk=obj.pk)
                site = services.update_site(site=stored, changes=fields, context=context)
            else:
                site = services.create_site(
                    organization=organization,
                    code=fields.pop("code"),
                    name=fields.pop("name"),
                    context=context,
                    **fields,
                )
            if form.iccids():
                services.assign_sims(
                    site=site, iccids=form.iccids(), organization=organization, context=context
                )
            obj.pk = site.pk

        self.save_through(request, save)

    @admin.action(description="Place SIMs tagged site:<ID> at their sites")
    def apply_tag_rule(self, request, queryset):
        organizations = {site.organization for site in queryset.select_related("organization")}
        moved = 0
        for organization in organizations:
            try:
                moved += services.apply_tag_rule(
                    organization=organization, context=console_context(request)
                )
            except DomainError as exc:
                self.message_user(request, describe_failure(exc), messages.ERROR)
                return
        self.message_user(
            request, f"{human_counted(moved, 'SIM')} placed by their site: tag.", messages.SUCCESS
        )


@admin.register(DetectionPolicy)
class DetectionPolicyAdmin(ConsoleAdmin):
    console_group = "Outages & SLA"
    member_may_change = True
    member_may_add = True
    list_display = [
        "organization",
        "threshold_percent",
        "window_seconds",
        "min_sims",
        "settle_seconds",
        "auto_resolve",
        "flap_transitions",
        "flap_window_seconds",
    ]
    fields = list(POLICY_FIELDS)

    def save_model(self, request, obj, form, change):
        organization = obj.organization if change else request.user.organization
        changes = {k: form.cleaned_data[k] for k in self.fields if k in form.cleaned_data}

        def save():
            policy = services.update_policy(
                organization=organization, changes=changes, context=console_context(request)
            )
            obj.pk = policy.pk

        self.save_through(request, save)


class EvidenceInline(ReadOnlyInline):
    model = OutageEvidence
    fields = ["sim", "lost_at", "lost_event_id", "restored_at", "restored_event_id"]
    readonly_fields = fields


@admin.register(SiteOutage)
class SiteOutageAdmin(ReadOnlyAdmin):
    console_group = "Outages & SLA"
    list_display = [
        "outage",
        "site",
        "state",
        "first_loss_at",
        "recovered_at",
        "sims_lost",
        "organization",
    ]
    list_filter = ["state"]
    search_fields = ["site__code", "site__name"]
    list_select_related = ["outage", "site", "organization"]
    inlines = [EvidenceInline]
    actions = ["accept_resolution"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_operate_permission(request):
            actions.pop("accept_resolution", None)
        return actions

    @admin.action(description="Accept the resolution the SIM evidence proposes")
    def accept_resolution(self, request, queryset):
        accepted = 0
        for site_outage in queryset.filter(state=SiteOutageState.PROPOSED):
            try:
                services.accept_proposed_resolution(
                    site_outage=site_outage, context=console_context(request)
                )
            except DomainError as exc:
                self.message_user(request, describe_failure(exc), messages.ERROR)
                continue
            accepted += 1
        self.message_user(request, f"{accepted} outage(s) resolved.", messages.SUCCESS)


@admin.register(DataStream)
class DataStreamAdmin(ReadOnlyAdmin):
    console_group = "Outages & SLA"
    list_display = [
        "username",
        "onence_account",
        "is_active",
        "events_received",
        "last_received_at",
        "organization",
    ]
    exclude = ["secret_hash"]


@admin.register(StreamEvent)
class StreamEventAdmin(ReadOnlyAdmin):
    console_group = "Outages & SLA"
    labels = {"event_id": "1NCE event ID", "event_type_id": "1NCE event type"}
    list_display = ["event_id", "event_type", "iccid", "transition", "occurred_at", "organization"]
    list_filter = ["transition", "event_type"]
    search_fields = ["=iccid", "=event_id"]
    list_select_related = ["organization"]
    show_full_result_count = False
