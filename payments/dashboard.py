"""The payments panel of the console dashboard: this month's payouts, penalties against
rewards, and failed payments, each linking to the filtered payment list."""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.dashboard import Chart, PanelContent, Series, Stat, Table, register_panel
from core.humanize import human_amount
from payments import selectors
from payments.models import LedgerStatus, Payment


def _money(value: Decimal) -> str:
    """Totals are of the payment asset (``STELLAR_PAYMENT_ASSET``), named with them."""
    return human_amount(value, settings.STELLAR_PAYMENT_ASSET)


@register_panel(
    "payments.month", title="Stellar payments this month", group="Payments", order=10, cached=True
)
def payments_this_month(scope) -> PanelContent:
    changelist = reverse("admin:payments_payment_changelist")
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = scope.filter(Payment.objects.filter(created_at__gte=start))
    totals = selectors.summary(month)
    failed = scope.filter(Payment.objects.filter(status=LedgerStatus.FAILED))
    open_count = scope.filter(
        Payment.objects.filter(status__in=[LedgerStatus.PENDING, LedgerStatus.SUBMITTED])
    ).count()
    since = f"created_at__gte={start.date().isoformat()}"
    trend = selectors.trends(month, group_by="day")
    recent_failed = list(failed.order_by("-created_at", "-id")[:5])
    return PanelContent(
        stats=[
            Stat(
                "Payouts (rewards)",
                _money(totals["total_rewards"]),
                url=f"{changelist}?payment_type__exact=reward&status__exact=confirmed&{since}",
            ),
            Stat(
                "Penalties",
                _money(totals["total_penalties"]),
                url=f"{changelist}?payment_type__exact=penalty&status__exact=confirmed&{since}",
            ),
            Stat("Net", _money(totals["net_amount"])),
            Stat(
                "Failed",
                failed.count(),
                url=f"{changelist}?status__exact=failed",
                tone="danger" if recent_failed else "ok",
            ),
            Stat("Awaiting the ledger", open_count, url=f"{changelist}?status__exact=submitted"),
        ],
        chart=Chart(
            kind="bar",
            labels=[row["date"] for row in trend],
            series=[
                Series("Rewards", [float(row["rewards"]) for row in trend]),
                Series("Penalties", [float(row["penalties"]) for row in trend]),
            ],
            url=changelist,
        ),
        table=Table(
            columns=["When", "Type", "Amount", "Error"],
            rows=[
                [
                    p.created_at.strftime("%Y-%m-%d %H:%M"),
                    p.payment_type,
                    human_amount(p.amount, p.asset_code),
                    p.error_code,
                ]
                for p in recent_failed
            ],
            links=[reverse("admin:payments_payment_change", args=[p.pk]) for p in recent_failed],
            empty="No failed payments.",
        ),
    )
