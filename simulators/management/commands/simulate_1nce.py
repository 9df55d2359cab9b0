"""Drive the 1NCE simulator from the shell: seed a fleet, reset it, set faults, prune the log.

manage.py simulate_1nce seed --sims 10000 --days 90 [--client-id X --client-secret Y]
manage.py simulate_1nce reset
manage.py simulate_1nce faults --error-rate 0.2 --latency-ms 300 [--client-id X]
manage.py simulate_1nce faults --clear
manage.py simulate_1nce prune-log --keep-hours 24
manage.py simulate_1nce stream --url URL --username U --password P [--from-now]
manage.py simulate_1nce stream --deliver
manage.py simulate_1nce site-loss --iccids A,B,C [--spread-seconds 90] [--down-minutes 20]
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from simulators.onence import accounts, clock, testing
from simulators.onence.models import (
    OnenceAccount,
    OnenceEvent,
    OnenceFault,
    OnenceOrder,
    OnenceRequestLog,
    OnenceSim,
    OnenceSms,
    OnenceToken,
    OnenceUsageDay,
)
from simulators.onence.seed import seed_fleet


class Command(BaseCommand):
    help = "Seed, reset and inject faults into the 1NCE simulator."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="ACTION",
            help="seed, reset, faults, prune-log, stream or site-loss.",
        )
        seed = commands.add_parser("seed", help="Create a fleet of SIMs with usage history.")
        seed.add_argument("--sims", type=int, required=True, help="How many SIMs to create.")
        seed.add_argument(
            "--days", type=int, default=90, help="Days of usage history per SIM (default 90)."
        )
        seed.add_argument("--client-id", help="Account to seed (default: ONENCE_CLIENT_ID).")
        seed.add_argument("--client-secret", help="Registers the account with this secret.")
        seed.add_argument(
            "--seed", type=int, default=0, help="Random seed: the same seed, the same fleet."
        )
        seed.add_argument(
            "--flaky-share",
            type=float,
            default=0.1,
            help="Share of SIMs whose connectivity comes and goes (default 0.1).",
        )
        seed.add_argument(
            "--disabled-share", type=float, default=0.03, help="Share of disabled SIMs."
        )
        seed.add_argument(
            "--expired-share", type=float, default=0.01, help="Share of SIMs past their expiry."
        )
        seed.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the account has SIMs."
        )

        commands.add_parser("reset", help="Delete every simulator account, SIM and fault.")

        faults = commands.add_parser("faults", help="Set (or clear) injected faults.")
        faults.add_argument("--client-id", help="Only for this account (default: all).")
        faults.add_argument("--clear", action="store_true", help="Remove all faults.")
        faults.add_argument(
            "--latency-ms", type=int, default=0, help="Added to every answer (milliseconds)."
        )
        faults.add_argument(
            "--error-rate", type=float, default=0.0, help="Share of requests that fail (0-1)."
        )
        faults.add_argument(
            "--error-status", type=int, default=500, help="Status of a failed request (500)."
        )
        faults.add_argument(
            "--throttle-rate",
            type=float,
            default=0.0,
            help="Share of requests answered 429 (0-1).",
        )
        faults.add_argument(
            "--retry-after", type=int, default=1, help="Retry-After seconds of a 429 (1)."
        )
        faults.add_argument(
            "--hang-seconds",
            type=float,
            default=0.0,
            help="Requests hang this long before answering (a timeout for the client).",
        )
        faults.add_argument("--hang-rate", type=float, default=1.0, help="Share that hangs.")
        faults.add_argument(
            "--token-ttl-seconds", type=int, help="Lifetime of new tokens (expiry tests)."
        )
        faults.add_argument(
            "--no-rate-limit", action="store_true", help="Do not enforce 1NCE's rate limit."
        )
        faults.add_argument(
            "--ambiguous-writes",
            action="store_true",
            help="Writes are applied but answered with an error (lost answers).",
        )
        faults.add_argument("--paths", default="", help="Comma-separated path substrings.")

        prune = commands.add_parser("prune-log", help="Delete old request-log rows.")
        prune.add_argument(
            "--keep-hours", type=float, default=24, help="Keep rows younger than this (24)."
        )

        stream = commands.add_parser(
            "stream", help="Point the Data Streamer at a URL, or deliver its due events now."
        )
        stream.add_argument("--client-id", help="The account (default: ONENCE_CLIENT_ID).")
        stream.add_argument("--url", help="Where it posts the event records.")
        stream.add_argument("--username", help="HTTP Basic user it posts with.")
        stream.add_argument("--password", help="HTTP Basic password it posts with.")
        stream.add_argument(
            "--from-now", action="store_true", help="Deliver only events after now."
        )
        stream.add_argument("--deliver", action="store_true", help="Deliver due events now.")

        loss = commands.add_parser(
            "site-loss", help="The SIMs lose connectivity from now, one after another."
        )
        loss.add_argument("--iccids", required=True, help="Comma-separated ICCIDs.")
        loss.add_argument(
            "--spread-seconds", type=float, default=90, help="Over how long they go (90)."
        )
        loss.add_argument(
            "--down-minutes",
            type=float,
            default=20,
            help="Each is back this long after it went (20; 0: never).",
        )

    def handle(self, *args, **options):
        getattr(self, "handle_" + options["action"].replace("-", "_"))(options)

    def handle_seed(self, options):
        client_id = options["client_id"]
        if options["client_secret"]:
            if not client_id:
                raise CommandError("--client-secret needs --client-id.")
            accounts.register(client_id=client_id, client_secret=options["client_secret"])
        try:
            account = accounts.account_for(client_id)
        except OnenceAccount.DoesNotExist:
            raise CommandError(f"No account {client_id}: pass --client-secret.") from None
        if options["if_empty"] and OnenceSim.objects.filter(account=account).exists():
            self.stdout.write(f"{account.client_id} already has SIMs; nothing seeded.")
            return
        started = time.perf_counter()
        with tqdm(total=options["sims"], unit="SIM", disable=options["verbosity"] < 1) as bar:
            iccids = seed_fleet(
                account=account,
                sims=options["sims"],
                days=options["days"],
                seed=options["seed"],
                flaky_share=options["flaky_share"],
                disabled_share=options["disabled_share"],
                expired_share=options["expired_share"],
                progress=bar.update,
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {len(iccids)} SIMs with {options['days']} days of usage for "
            f"{account.client_id} in {elapsed:.1f} s."
        )

    def handle_reset(self, options):
        # Children first: each is then one plain DELETE instead of a cascade through the ORM.
        for model in (
            OnenceUsageDay,
            OnenceEvent,
            OnenceSms,
            OnenceFault,
            OnenceRequestLog,
            OnenceOrder,
            OnenceToken,
            OnenceSim,
        ):
            model.objects.all().delete()
        OnenceAccount.objects.all().delete()
        clock.reset()
        self.stdout.write("The 1NCE simulator is empty.")

    def handle_faults(self, options):
        if options["clear"]:
            testing.clear_faults()
            self.stdout.write("Faults cleared.")
            return
        testing.set_faults(
            client_id=options["client_id"],
            latency_ms=options["latency_ms"],
            error_rate=options["error_rate"],
            error_status=options["error_status"],
            throttle_rate=options["throttle_rate"],
            retry_after=options["retry_after"],
            hang_seconds=options["hang_seconds"],
            hang_rate=options["hang_rate"],
            token_ttl_seconds=options["token_ttl_seconds"],
            enforce_rate_limit=not options["no_rate_limit"],
            ambiguous_writes=options["ambiguous_writes"],
            paths=options["paths"],
        )
        scope = options["client_id"] or "all accounts"
        self.stdout.write(f"Faults set for {scope}.")

    def handle_prune_log(self, options):
        cutoff = timezone.now() - timedelta(hours=options["keep_hours"])
        deleted, _ = OnenceRequestLog.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} request-log rows.")

    def handle_stream(self, options):
        if options["deliver"]:
            self.stdout.write(f"Delivered: {testing.stream_events(client_id=options['client_id'])}")
            return
        if not (options["url"] and options["username"] and options["password"]):
            raise CommandError("stream needs --url, --username and --password (or --deliver).")
        testing.configure_data_stream(
            url=options["url"],
            username=options["username"],
            password=options["password"],
            client_id=options["client_id"],
            from_now=options["from_now"],
        )
        self.stdout.write(f"The Data Streamer posts to {options['url']}.")

    def handle_site_loss(self, options):
        iccids = [i.strip() for i in options["iccids"].split(",") if i.strip()]
        known = set(OnenceSim.objects.filter(iccid__in=iccids).values_list("iccid", flat=True))
        if not iccids or known != set(iccids):
            raise CommandError(f"Unknown ICCIDs: {sorted(set(iccids) - known)[:5]}")
        down = options["down_minutes"] * 60 or None
        written = testing.script_site_loss(
            iccids=iccids,
            lose_at=clock.now(),
            spread_seconds=options["spread_seconds"],
            down_seconds=down,
        )
        self.stdout.write(f"{len(iccids)} SIMs lose connectivity ({written} events written).")
