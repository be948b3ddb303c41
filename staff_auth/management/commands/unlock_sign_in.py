import argparse
import ipaddress

from django.core.management.base import CommandError

from audit.models import AuditSource
from audit.services import Actor
from config.commands import BAD_ARGUMENTS, BaseCommand
from staff_auth.services import sign_in_unlock


def ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an IP address (e.g. 203.0.113.7)") from None


class Command(BaseCommand):
    help = "Let a locked-out username and/or address sign in now: forget their failed sign-ins (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="The username locked out, exactly as it signs in.")
        parser.add_argument(
            "--address", type=ip_address, help="An address locked out (the one the lockout's audit entry names)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say how many failures would be forgotten; forget none."
        )

    def handle(self, *args, username: str | None, address: str | None, dry_run: bool, **options):
        if not username and not address:
            raise CommandError("name a username, an --address, or both", returncode=BAD_ARGUMENTS)
        who = " and ".join(part for part in (username and f"“{username}”", address and f"address {address}") if part)
        failures = sign_in_unlock(
            username=username or None,
            ip_address=address,
            actor=Actor.system("unlock_sign_in"),
            source=AuditSource.COMMAND,
            dry_run=dry_run,
        )
        if not failures:
            self.stdout.write(f"Nothing to unlock: no failed sign-ins are counted for {who}.")
        elif dry_run:
            self.stdout.write(f"Would forget {failures} failed sign-ins of {who} (dry run: nothing changed).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Unlocked {who}: {failures} failed sign-ins forgotten."))
