"""Drive the PMNL simulator from the shell: seed subscribers, set faults.

manage.py simulate_pmnl seed --subscribers 20 [--client-id X --client-secret Y --api-key Z]
manage.py simulate_pmnl faults --mode refused|timeout|error [--hang-seconds 40] [--error-status 502]
manage.py simulate_pmnl faults --queue-seconds 2 --process-seconds 5 --fail-rate 0.1
manage.py simulate_pmnl faults --clear
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from simulators.pmnl import testing


class Command(BaseCommand):
    help = "Seed the PMNL simulator and inject faults."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, help="What to do.")
        seed = commands.add_parser("seed", help="Create subscribers for an account.")
        seed.add_argument("--subscribers", type=int, default=20, help="How many subscribers.")
        seed.add_argument("--client-id", default=None, help="Default: PMNL_CLIENT_ID.")
        seed.add_argument("--client-secret", default=None, help="Default: PMNL_CLIENT_SECRET.")
        seed.add_argument("--api-key", default=None, help="Default: PMNL_API_KEY.")
        seed.add_argument("--cust-id", default="9123456", help="The customer id.")
        faults = commands.add_parser("faults", help="Set (or clear) faults and timings.")
        faults.add_argument("--client-id", help="Only for this account (default: all).")
        faults.add_argument("--clear", action="store_true", help="Clear every fault first.")
        faults.add_argument(
            "--mode",
            choices=["", "refused", "timeout", "error"],
            default="",
            help="The fault to inject (empty: none).",
        )
        faults.add_argument("--error-status", type=int, default=500, help="Status of an error.")
        faults.add_argument("--hang-seconds", type=float, default=40.0, help="Timeout hang.")
        faults.add_argument("--paths", default="", help="Comma-separated path substrings.")
        faults.add_argument("--queue-seconds", type=float, default=0.5, help="Time queued.")
        faults.add_argument("--process-seconds", type=float, default=1.0, help="Time processing.")
        faults.add_argument("--fail-rate", type=float, default=0.0, help="Share failing, 0-1.")
        faults.add_argument("--token-ttl-seconds", type=int, default=3600, help="Token lifetime.")

    def handle(self, *args, **options):
        if options["action"] == "seed":
            client_id = options["client_id"] or settings.PMNL_CLIENT_ID
            testing.register_account(
                client_id=client_id,
                client_secret=options["client_secret"] or settings.PMNL_CLIENT_SECRET,
                api_key=options["api_key"] or settings.PMNL_API_KEY,
            )
            iccids = testing.seed_subscribers(
                client_id=client_id, count=options["subscribers"], cust_id=options["cust_id"]
            )
            self.stdout.write(f"Seeded {len(iccids)} PMNL subscribers for {client_id}.")
            return
        if options["clear"]:
            testing.clear_faults()
            self.stdout.write("PMNL simulator faults cleared.")
            return
        testing.set_faults(
            client_id=options["client_id"],
            mode=options["mode"],
            error_status=options["error_status"],
            hang_seconds=options["hang_seconds"] if options["mode"] == "timeout" else 0.0,
            paths=options["paths"],
            queue_seconds=options["queue_seconds"],
            process_seconds=options["process_seconds"],
            fail_rate=options["fail_rate"],
            token_ttl_seconds=options["token_ttl_seconds"],
        )
        self.stdout.write(f"PMNL simulator faults set: {options['mode'] or 'none'}.")
