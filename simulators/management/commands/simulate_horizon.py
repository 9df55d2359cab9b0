"""Drive the Horizon simulator from the shell: seed the demo network, add accounts, faults.

manage.py simulate_horizon seed [--account G... --xlm 100 --usdc 0]
manage.py simulate_horizon faults --apply-then hang --hang-seconds 20 --paths horizon/transactions
manage.py simulate_horizon faults --error-rate 0.5 --error-status 503
manage.py simulate_horizon faults --clear
manage.py simulate_horizon reset
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from stellar_sdk import StrKey

from simulators.horizon import testing


class Command(BaseCommand):
    help = "Seed, reset and inject faults into the Horizon (Stellar) simulator."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, help="What to do.")
        seed = commands.add_parser(
            "seed", help="The demo pool, operator and USDC issuer (from settings); idempotent."
        )
        seed.add_argument("--account", help="Also create (or top up) this account.")
        seed.add_argument("--xlm", default="100", help="Its XLM balance.")
        seed.add_argument("--usdc", help="Its USDC balance (a trustline when given).")

        faults = commands.add_parser("faults", help="Set (or clear) injected faults.")
        faults.add_argument("--clear", action="store_true", help="Clear every fault first.")
        faults.add_argument("--latency-ms", type=int, default=0, help="Delay every answer.")
        faults.add_argument("--error-rate", type=float, default=0.0, help="Share of errors, 0-1.")
        faults.add_argument("--error-status", type=int, default=503, help="Status of an error.")
        faults.add_argument("--hang-seconds", type=float, default=0.0, help="Hang this long.")
        faults.add_argument(
            "--apply-then",
            choices=["", "error", "hang"],
            default="",
            help="Apply submissions, then answer 5xx (error) or only after --hang-seconds.",
        )
        faults.add_argument("--paths", default="", help="Comma-separated path substrings.")

        commands.add_parser("reset", help="Forget every account, transaction and fault.")

    def handle(self, *args, **options):
        getattr(self, "handle_" + options["action"])(options)

    def handle_seed(self, options):
        keys = testing.seed_demo()
        for name, public_key in keys.items():
            self.stdout.write(f"{name:9} {public_key}")
        account = options["account"]
        if account:
            if not StrKey.is_valid_ed25519_public_key(account):
                raise CommandError("--account must be a Stellar public key (G...).")
            assets = {}
            if options["usdc"] is not None:
                assets[("USDC", settings.STELLAR_USDC_ISSUER)] = options["usdc"]
            testing.create_account(account, xlm=options["xlm"], assets=assets)
            self.stdout.write(f"account   {account}")
        self.stdout.write(self.style.SUCCESS("Horizon simulator seeded."))

    def handle_faults(self, options):
        if options["clear"]:
            testing.clear_faults()
            self.stdout.write("Faults cleared.")
            return
        testing.set_faults(
            latency_ms=options["latency_ms"],
            error_rate=options["error_rate"],
            error_status=options["error_status"],
            hang_seconds=options["hang_seconds"],
            apply_then=options["apply_then"],
            paths=options["paths"],
        )
        self.stdout.write("Faults set.")

    def handle_reset(self, options):
        testing.reset()
        self.stdout.write("Horizon simulator reset.")
