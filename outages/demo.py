"""A demo history of outages for ``make run``: seed 004's example outages, then a few hundred
over 90 days across sites and severities, resolved through the services (so timelines, SLA
results and events are real), most of the older ones with an RCA."""

import random
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from core.context import Context
from outages import services
from outages.models import Outage, RootCauseCategory

SITES = [
    ("Cell Tower Alpha", "SITE001", 9.082, 8.675),
    ("Cell Tower Beta", "SITE002", 6.524, 3.379),
    ("Lagos Core DC", "SITE003", 6.465, 3.406),
    ("Abuja Hub", "SITE004", 9.076, 7.398),
    ("Kano Relay", "SITE005", 12.000, 8.517),
    ("Port Harcourt POP", "SITE006", 4.815, 7.049),
    ("Ibadan Tower", "SITE007", 7.377, 3.947),
    ("Enugu Microwave", "SITE008", 6.458, 7.546),
]
SEVERITY_WEIGHTS = {"critical": 1, "high": 2, "medium": 3, "low": 3}
THRESHOLD = {"critical": 15, "high": 30, "medium": 60, "low": 120}
OPEN = 6  # outages left open
REPORT_MONTHS = 3  # the monthly SLA reports kept for the console
# Seed 004's examples assign outages to "user123": the demo has that engineer (no password).
DEMO_ENGINEER = "user123"
FACTORS = ["Aged equipment", "No redundancy", "Late detection", "Vendor delay", "Storm"]

# Seed 004's own example outages, numbered first so its examples work as written against the
# demo: OUT001 is the detail example (resolved in 15 minutes: met, 750.00, good); OUT002 is the
# POST example, left active for the PUT example that resolves it at 10:40.
SEED_DAY = datetime(2026, 1, 16, tzinfo=UTC)
# Seed 004's POST /api/v1/outages request body, as written.
SEED_POST_BODY = {
    "site_name": "Cell Tower Beta",
    "site_id": "SITE456",
    "severity": "high",
    "description": "Intermittent service degradation",
    "affected_services": ["4G"],
    "affected_subscribers": 500,
    "location": {"latitude": 9.082, "longitude": 8.675},
    "assigned_to": "user123",
}
SEED_EXAMPLES = [
    {
        "site_name": "Cell Tower Alpha",
        "site_id": "SITE123",
        "severity": "critical",
        "description": "Total signal loss due to power failure",
        "affected_services": ["4G", "5G"],
        "affected_subscribers": 1500,
        "detected_at": SEED_DAY.replace(hour=9, minute=30),
        "resolve": {
            "status": "resolved",
            "resolved_at": SEED_DAY.replace(hour=9, minute=45),
            "root_cause": "UPS battery failure",
            "resolution_notes": "UPS batteries replaced, site back on mains",
        },
    },
    {
        **{k: v for k, v in SEED_POST_BODY.items() if k not in ("location", "assigned_to")},
        "detected_at": SEED_DAY.replace(hour=10, minute=15),
    },
]
# The last moment seed 004's examples name (the PUT example's resolved_at).
SEED_LAST = SEED_DAY.replace(hour=10, minute=40)


def seed_example_outages(*, organization, engineer, context: Context) -> int:
    """Seed 004's example outages (none before the moments they name have passed)."""
    if timezone.now() <= SEED_LAST:
        return 0
    for example in SEED_EXAMPLES:
        example = dict(example)
        resolve = example.pop("resolve", None)
        outage = services.create_outage(
            organization=organization,
            latitude=9.082,
            longitude=8.675,
            assigned_to=engineer.username,
            context=context,
            **example,
        )
        if resolve is not None:
            services.update_outage(outage=outage, changes=resolve, context=context)
    return len(SEED_EXAMPLES)


def seed_demo_outages(*, organization, count: int = 300, days: int = 90, seed: int = 15) -> int:
    """Create the demo history once (nothing when the organization has outages already);
    answer how many were created."""
    engineer, created = get_user_model().objects.get_or_create(
        username=DEMO_ENGINEER,
        defaults={"organization": organization, "role": Role.OPERATOR, "full_name": "NOC Engineer"},
    )
    if created:
        engineer.set_unusable_password()
        engineer.save(update_fields=["password"])
    if Outage.objects.filter(organization=organization).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    context = Context.system(via="command")
    with transaction.atomic():
        examples = seed_example_outages(
            organization=organization, engineer=engineer, context=context
        )
    now = timezone.now()
    severities = list(SEVERITY_WEIGHTS)
    starts = sorted(now - timedelta(days=days) * rng.random() for _ in range(count - OPEN))
    # The newest few are still open, detected minutes ago: the live SLA clock has something.
    starts += sorted(now - timedelta(minutes=rng.randrange(2, 45)) for _ in range(OPEN))
    for index, detected in enumerate(starts):
        site, site_id, lat, lon = rng.choice(SITES)
        severity = rng.choices(severities, weights=list(SEVERITY_WEIGHTS.values()))[0]
        with transaction.atomic():
            outage = services.create_outage(
                organization=organization,
                site_name=site,
                site_id=site_id,
                severity=severity,
                description=rng.choice(
                    ["Total signal loss", "Degraded throughput", "Backhaul down"]
                ),
                affected_services=rng.choice([["4G"], ["4G", "5G"], ["3G", "4G"]]),
                affected_subscribers=rng.randrange(50, 5000),
                latitude=lat,
                longitude=lon,
                detected_at=detected,
                assigned_to=engineer.username if rng.random() < 0.5 else None,
                context=context,
            )
            minutes = max(1, int(rng.gammavariate(2.0, THRESHOLD[severity] * 0.45)))
            resolved_at = detected + timedelta(minutes=minutes, seconds=rng.randrange(60))
            if index >= count - OPEN or resolved_at > now:
                continue
            outage, _ = services.resolve_outage(
                outage=outage,
                resolved_at=resolved_at,
                resolution_notes="Service restored",
                context=context,
            )
            if rng.random() < 0.7:
                services.save_rca(
                    outage=outage,
                    category=rng.choice(RootCauseCategory.values),
                    contributing_factors=rng.sample(FACTORS, 2),
                    summary="Post-incident review",
                    actions=[
                        {
                            "description": "Prevent recurrence",
                            "owner": "noc",
                            "due_date": (resolved_at + timedelta(days=14)).date(),
                            "done": rng.random() < 0.6,
                        }
                    ],
                    context=context,
                )
    # The monthly job's reports of the months the history covers, as if it had run then.
    month = services.parse_month(None, today=now.date())
    for _ in range(REPORT_MONTHS):
        services.store_sla_report(organization=organization, month=month)
        month = (month - timedelta(days=1)).replace(day=1)
    return examples + count
