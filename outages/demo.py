"""A demo history of outages for ``make run``: a few hundred over 90 days across sites and
severities, resolved through the services (so timelines, SLA results and events are real),
most of the older ones with an RCA."""

import random
from datetime import timedelta

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
# Seed 004's examples assign outages to "user123": the demo has that engineer (no password).
DEMO_ENGINEER = "user123"
FACTORS = ["Aged equipment", "No redundancy", "Late detection", "Vendor delay", "Storm"]


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
    return count
